import Foundation
#if KILN_LIBFUZZER
import CLibFuzzer
#endif

/// The `main` of the fuzz executables (`KilnFuzzRecipe`, `KilnFuzzSafetensors`, `KilnFuzzPyTorch`, `KilnFuzzONNX`).
///
/// Built normally, an executable *replays*: every file (or every file under every folder)
/// named on the command line goes through the target's entry function; it prints each
/// violation and exits 1 if there was any. Built by `make fuzz` (`-D KILN_LIBFUZZER`, ASan and
/// coverage instrumentation, linked with libFuzzer's no-main runtime), it hands the command
/// line to libFuzzer instead, so all of libFuzzer's flags work.
public enum FuzzDriver {
    /// Runs the executable for `target`; returns the process exit code.
    public static func main(_ target: FuzzTarget) -> Int32 {
        #if KILN_LIBFUZZER
        return runLibFuzzer(target)
        #else
        return replay(target, paths: Array(CommandLine.arguments.dropFirst()))
        #endif
    }

    /// Replays the inputs at `paths` (files or folders); prints a summary line.
    public static func replay(_ target: FuzzTarget, paths: [String]) -> Int32 {
        guard !paths.isEmpty else {
            print("usage: KilnFuzz\(target.executableSuffix) FILE|DIR …  (replays inputs; `make fuzz` builds the fuzzer)")
            return 64
        }
        var count = 0, failed = 0
        for path in paths {
            for file in FuzzTarget.inputFiles(under: URL(fileURLWithPath: path)) {
                guard let data = FileManager.default.contents(atPath: file.path) else {
                    print("\(file.path): cannot read")
                    failed += 1
                    continue
                }
                count += 1
                let violations = target.violations(for: data)
                if !violations.isEmpty {
                    failed += 1
                    for v in violations { print("\(file.path): \(v)") }
                }
            }
        }
        print("\(target.rawValue): \(count - failed) passed, \(failed) failed")
        return failed == 0 && count > 0 ? 0 : 1
    }

    #if KILN_LIBFUZZER
    /// libFuzzer's loop over `target`; an invariant violation traps, which libFuzzer records
    /// as a crash (`crash-<sha1>` in `-artifact_prefix`).
    static func runLibFuzzer(_ target: FuzzTarget) -> Int32 {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        // A C callback cannot capture `target`: one closure per target.
        switch target {
        case .recipe: return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOne(.recipe, data, size) }
        case .safetensors: return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOne(.safetensors, data, size) }
        case .pytorch: return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOne(.pytorch, data, size) }
        case .onnx: return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOne(.onnx, data, size) }
        case .pt2: return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOne(.pt2, data, size) }
        }
    }
    #endif
}

#if KILN_LIBFUZZER
/// One libFuzzer input (a global function: a C callback cannot capture even `Self`).
private func fuzzOne(_ target: FuzzTarget, _ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = data.map { Data(bytes: $0, count: size) } ?? Data()
    let violations = target.violations(for: input)
    if !violations.isEmpty {
        fatalError("\(target.rawValue) invariant violated:\n" + violations.joined(separator: "\n"))
    }
    return 0
}
#endif
