import Foundation

extension KernelSources {
    /// The kernel `.c` files a library built from `modelSource` needs, in `files` order: the
    /// closure of the `kiln_…` symbols that `model.c` and `kiln_model_runtime.c` reference over
    /// the files defining them.
    ///
    /// Why: every kernel file costs compiler time on every cold `aotCompile` (the ONNX-only,
    /// depthwise and bf16 kernels are ~45% of it), and a ResNet needs fewer than half of them.
    /// The symbol scan is textual and errs towards including: a file that merely mentions a
    /// symbol (in code, not comments) pulls in its definer. `-Wl,--no-undefined` would fail the
    /// link if it missed one, and `KernelUnitTests` checks it against `nm` of every object.
    static func compilationUnits(for modelSource: String) -> [String] {
        let index = unitIndex
        var needed: Set<String> = ["kiln_model_runtime.c"]
        var pending = [KernelSymbolScan.references(in: modelSource, includes: index.headerReferences)]
        pending.append(index.references["kiln_model_runtime.c"] ?? [])
        while let symbols = pending.popLast() {
            for s in symbols {
                for file in index.definers[s] ?? [] where needed.insert(file).inserted {
                    pending.append(index.references[file] ?? [])
                }
            }
        }
        return compilationUnits.filter(needed.contains)
    }

    /// Per `.c` file, the symbols it defines and references (its headers' code included).
    static let unitIndex: KernelSymbolScan.Index = KernelSymbolScan.index(files)
}
