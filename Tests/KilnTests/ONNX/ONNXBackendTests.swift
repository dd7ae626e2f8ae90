import Foundation
import Testing
@testable import Kiln

/// ONNX's own backend test data (pip package `onnx`: onnx/backend/test/data/…): every case
/// whose operators Kiln imports runs eager (≤ 1e-4 · max|ref|) and, where the compiler takes
/// it, compiled (≤ 5e-4 · max|ref|). Prints per folder how many cases there are, how many
/// import, and how many pass; skips (printing why) when the onnx package is absent.
///
/// Each compiled case costs a full C build (seconds), so by default the whole networks
/// (`light`) and every fourth compilable case of the other folders are compiled;
/// `KILN_ONNX_BACKEND_COMPILE=all` compiles every one (the README's counts), `none` none.
@Suite(.serialized) struct ONNXBackendTests {
    /// (`real` only holds download links to zoo models.)
    static let folders = ["pytorch-converted", "pytorch-operator", "simple", "light"]

    /// The test data folder of the installed onnx package, or nil.
    static let dataDirectory: URL? = {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import onnx, os; print(os.path.dirname(onnx.__file__))"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return nil }
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        let dir = URL(fileURLWithPath: text.trimmingCharacters(in: .whitespacesAndNewlines)).appendingPathComponent("backend/test/data")
        return FileManager.default.fileExists(atPath: dir.path) ? dir : nil
    }()

    struct Case {
        var name: String
        var model: URL
        /// (inputs, outputs) per data set, read when the case runs.
        var sets: () throws -> [([Tensor], [Tensor])]
    }

    /// The cases of a folder. Model-zoo "light" models have no inputs stored: ONNX's runner
    /// feeds arange(n) / n, which is generated here the same way.
    static func cases(_ folder: URL) throws -> [Case] {
        let fm = FileManager.default
        var out: [Case] = []
        for name in try fm.contentsOfDirectory(atPath: folder.path).sorted() {
            let dir = folder.appendingPathComponent(name)
            if name.hasSuffix(".onnx") {
                let base = String(name.dropLast(5))
                let ref = folder.appendingPathComponent(base + "_output_0.pb")
                guard fm.fileExists(atPath: ref.path) else { continue }
                out.append(Case(name: base, model: dir, sets: { [([], [try readONNXTensor(ref)])] }))
                continue
            }
            let model = dir.appendingPathComponent("model.onnx")
            guard fm.fileExists(atPath: model.path) else { continue }
            out.append(Case(name: name, model: model, sets: { try dataSets(dir) }))
        }
        return out
    }

    static func dataSets(_ dir: URL) throws -> [([Tensor], [Tensor])] {
        let fm = FileManager.default
        var sets: [([Tensor], [Tensor])] = []
        for set in try fm.contentsOfDirectory(atPath: dir.path).sorted() where set.hasPrefix("test_data_set_") {
                let s = dir.appendingPathComponent(set)
                func read(_ prefix: String) throws -> [Tensor] {
                    var ts: [Tensor] = []
                    while fm.fileExists(atPath: s.appendingPathComponent("\(prefix)_\(ts.count).pb").path) {
                        ts.append(try readONNXTensor(s.appendingPathComponent("\(prefix)_\(ts.count).pb")))
                    }
                    return ts
                }
                sets.append((try read("input"), try read("output")))
        }
        return sets
    }

    /// arange(n).reshape(shape) / n, as float32 (onnx.backend.test.runner.generate_dummy_data).
    static func dummyInput(_ shape: [Int]) -> Tensor {
        let n = shape.reduce(1, *)
        return Tensor(shape: shape, values: (0..<n).map { Float(Double($0) / Double(n)) })
    }

    static func importCase(_ c: Case) throws -> ExportedProgram {
        do {
            return try importONNX(c.model)
        } catch let e as ONNXImportError where e.kind == .dynamicShapes {
            return try importONNX(c.model, batch: Dim("batch", min: 1, max: 64))
        }
    }

    struct Tally { var cases = 0, imported = 0, eager = 0, candidates = 0, compilable = 0, compiled = 0; var failures: [String] = []; var skipped: [String: Int] = [:] }

    /// Which compilable cases to compile: "all", "none" or "sample" (default).
    static let compileMode = ProcessInfo.processInfo.environment["KILN_ONNX_BACKEND_COMPILE"] ?? "sample"

    static func run(_ c: Case, _ t: inout Tally, compileAll: Bool, compileEvery: Int = 4) {
        t.cases += 1
        let program: ExportedProgram
        var sets: [([Tensor], [Tensor])]
        do {
            program = try importCase(c)
            sets = try c.sets()
        } catch {
            let reason = (error as? ONNXImportError)?.kind.rawValue ?? "other"
            t.skipped[reason, default: 0] += 1
            if ProcessInfo.processInfo.environment["KILN_ONNX_BACKEND_VERBOSE"] != nil { print("  not imported \(c.name): \(error)") }
            return
        }
        t.imported += 1
        for (k, s) in sets.enumerated() where s.0.isEmpty {
            let shapes = program.signature.inputs.map { $0.shape.map { $0.staticValue ?? 1 } }
            sets[k].0 = shapes.map(dummyInput)
        }
        var ok = true
        for (inputs, outputs) in sets {
            do {
                let ys = try program.run(inputs)
                for (y, ref) in zip(ys, outputs) where !close(y, ref, 1e-4) { ok = false }
                if ys.count != outputs.count { ok = false }
            } catch { ok = false; t.failures.append("\(c.name) eager: \(error)") }
        }
        if ok { t.eager += 1 } else if !t.failures.contains(where: { $0.hasPrefix(c.name + " eager") }) { t.failures.append("\(c.name): eager outputs differ") }
        guard ok, let first = sets.first, Self.compileMode != "none" else { return }
        t.candidates += 1
        guard compileAll || Self.compileMode == "all" || t.candidates % compileEvery == 1 else { return }
        let path: String
        do {
            path = try aotCompile(program, exampleInputs: first.0, options: CompileFixtures.options())
        } catch CompileError.unsupported {
            return
        } catch {
            t.failures.append("\(c.name) compile: \(error)")
            return
        }
        t.compilable += 1
        do {
            let library = try aotLoad(path)
            var good = true
            for (inputs, outputs) in sets {
                let ys = try library.run(inputs)
                for (y, ref) in zip(ys, outputs) where !close(y, ref, 5e-4) { good = false }
            }
            if good { t.compiled += 1 } else { t.failures.append("\(c.name): compiled outputs differ") }
        } catch { t.failures.append("\(c.name) compiled: \(error)") }
    }

    static func close(_ y: Tensor, _ ref: Tensor, _ tolerance: Float) -> Bool {
        guard y.count == ref.count else { return false }
        let r = ref.reshaped(y.shape)
        return y.compare(to: r, rtol: 0, atol: tolerance * Swift.max(r.maxAbs, 1e-6)).isClose
    }

    @Test func backendTestData() throws {
        guard let root = Self.dataDirectory else {
            print("ONNXBackendTests: skipped — the onnx pip package is not installed (pip install onnx)")
            return
        }
        var failures: [String] = []
        for folder in Self.folders {
            let dir = root.appendingPathComponent(folder)
            guard FileManager.default.fileExists(atPath: dir.path) else { print("ONNX backend \(folder): not in this onnx version"); continue }
            var t = Tally()
            for c in try Self.cases(dir) { Self.run(c, &t, compileAll: folder == "light") }
            print("ONNX backend \(folder): \(t.cases) cases, \(t.imported) imported, \(t.eager) pass eager, \(t.compiled) of \(t.compilable) compiled pass (compile mode \(Self.compileMode)); not imported: \(t.skipped.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
            for f in t.failures { print("  FAIL \(folder)/\(f)") }
            failures += t.failures.map { "\(folder)/\($0)" }
        }
        #expect(failures.isEmpty, "\(failures.count) imported cases failed:\n\(failures.joined(separator: "\n"))")
    }
}
