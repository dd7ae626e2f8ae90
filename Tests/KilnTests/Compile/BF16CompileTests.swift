import CKilnKernels
import Foundation
import Testing
@testable import Kiln

/// `AOTCompileOptions(precision: .bf16)`: the compiled ResNet-18 against the fp32 PyTorch
/// fixture (the contract: max |Δ| ≤ 5e-3 · max |reference|, batches 1 and 3), top-1
/// agreement with the fp32 library on 32 seeded inputs, what the library records and the
/// CPU-feature refusals (simulated with the KILN_HIDE_CPU_FEATURES hook). Serialized: the
/// hook is process-wide, and only this suite's libraries need the hidden feature.
@Suite(.serialized) struct BF16CompileTests {
    static let contract: Float = 5e-3
    static var hasBF16: Bool { kiln_cpu_has_avx512_bf16() != 0 && CPUInfo.current.flags.contains("avx512_bf16") }

    static func options(_ output: String? = nil) -> AOTCompileOptions {
        var o = CompileFixtures.options(output)
        o.precision = .bf16
        return o
    }

    /// The fixture program compiled in bf16 (heuristic), once.
    static let fixtureLibrary: String? = {
        guard hasBF16, let p = CompileFixtures.fixtureProgram else { return nil }
        return try! aotCompile(p, exampleInputs: [Tensor.randn([2, 3, 224, 224], seed: 0)], options: options())
    }()

    @Test func resnet18MeetsTheContractAgainstPyTorch() throws {
        guard Self.hasBF16 else { print("skipped: this CPU lacks avx512_bf16"); return }
        guard let path = Self.fixtureLibrary, let cases = Fixtures.file("resnet18_cases.safetensors") else { return }
        let model = try aotLoad(path)
        let file = try SafetensorsFile(contentsOf: cases)
        for b in ["b1", "b3"] {
            let want = try file.tensor(named: "logits_\(b)")
            let got = try model(try file.tensor(named: "input_\(b)"))
            let c = got.compare(to: want, rtol: 0, atol: Self.contract * want.maxAbs)
            print("bf16 ResNet-18 logits_\(b): max |Δ| / max |ref| = \(c.maxAbsDifference / want.maxAbs)")
            #expect(c.isClose, "bf16 logits_\(b): \(c)")
        }
    }

    @Test func resnet18Top1AgreesWithFP32On32SeededInputs() throws {
        guard Self.hasBF16, let path = Self.fixtureLibrary, let fp32Path = CompileFixtures.fixtureLibrary else { return }
        let x = Tensor.randn([32, 3, 224, 224], seed: 2026)
        let bf16 = try aotLoad(path)(x), fp32 = try aotLoad(fp32Path)(x)
        let a = bf16.topK(1).map { $0[0].index }, b = fp32.topK(1).map { $0[0].index }
        let disagree = (0..<32).filter { a[$0] != b[$0] }
        #expect(disagree.isEmpty, "rows whose top-1 differs: \(disagree) (bf16 \(disagree.map { a[$0] }), fp32 \(disagree.map { b[$0] }))")
        let c = bf16.compare(to: fp32, rtol: 0, atol: Self.contract * fp32.maxAbs)
        #expect(c.isClose, "bf16 vs fp32 at batch 32: \(c)")
    }

    @Test func libraryRecordsPrecisionKernelsAndNeededFeatures() throws {
        guard Self.hasBF16, let path = Self.fixtureLibrary, let fp32Path = CompileFixtures.fixtureLibrary else { return }
        let meta = try aotLoad(path).metadataJSON
        // The accuracy budget's check ran, the library is within it, and the layers it kept in
        // fp32 are fp32 kernels marked "accuracy".
        let json = try #require(try JSONSerialization.jsonObject(with: Data(meta.utf8)) as? [String: Any])
        let budget = try #require(json["bf16_accuracy"] as? [String: Any])
        print("ResNet-18 bf16 library: \(budget)")
        let error = try #require(budget["error"] as? Double), all = try #require(budget["error_all_bf16"] as? Double)
        #expect(error <= Double(BF16Budget.budget) && error <= all, "bf16_accuracy: \(budget)")
        let moved = Set(((budget["fp32_for_accuracy"] as? [[String: Any]]) ?? []).compactMap { $0["step"] as? String })
        #expect(moved.isEmpty == (all <= Double(BF16Budget.budget)))
        for layer in (json["autotune"] as? [[String: Any]]) ?? [] {
            let step = layer["step"] as? String ?? "", algorithm = ConvAlgorithm(rawValue: layer["algorithm"] as? String ?? "")
            #expect((layer["source"] as? String == "accuracy") == moved.contains(step), "\(layer)")
            if moved.contains(step) { #expect(algorithm?.precision == .fp32, "\(layer)") }
        }
        #expect(meta.contains("\"precision\":\"bf16\""))
        #expect(meta.contains("\"requires_cpu_features\":[\"avx512f\",\"avx512bw\",\"avx512vl\",\"avx512_bf16\"]"))
        // The stem and the 1x1 layers run the bf16 packed GEMM, the strided 3x3 layers the
        // implicit bf16 GEMM, the 14x14 and 7x7 stride-1 ones Winograd F(2x2, 3x3) with bf16
        // GEMMs, the 56x56 and 28x28 ones Winograd F(4x4, 3x3) with bf16 GEMMs; where the bf16
        // GEMMs run on AMX tiles, every layer runs the implicit bf16 GEMM (its AMX paths). No
        // layer stays fp32.
        let amx = kiln_cpu_has_amx_bf16() != 0
        #expect(meta.contains("\"algorithm\":\"packed_gemm_bf16\"") == !amx)
        #expect(meta.contains("\"algorithm\":\"direct_bf16\""))
        #expect(meta.contains("\"algorithm\":\"winograd_f2x3_bf16\"") == !amx)
        #expect(meta.contains("\"algorithm\":\"winograd_f4x3_bf16\"") == !amx)
        #expect(!meta.contains("\"algorithm\":\"winograd_f4x3\""))
        let fp32Meta = try aotLoad(fp32Path).metadataJSON
        #expect(!fp32Meta.contains("requires_cpu_features") && !fp32Meta.contains("\"precision\"") && !fp32Meta.contains("packed_gemm_bf16"))
    }

    @Test func precisionIsPartOfTheCacheKey() throws {
        guard Self.hasBF16 else { return }
        let x = [Tensor.randn([2, 3, 32, 32], seed: 1)]
        let fp32 = try aotCompileWithReport(CompileFixtures.smallProgram, exampleInputs: x, options: CompileFixtures.options())
        let bf16 = try aotCompileWithReport(CompileFixtures.smallProgram, exampleInputs: x, options: Self.options())
        #expect(fp32.key != bf16.key)
        #expect(bf16.choices.contains { $0.algorithm.precision == .bf16 })
        #expect(!fp32.choices.contains { $0.algorithm.precision == .bf16 })
    }

    /// A CPU without avx512_bf16 (simulated): aotLoad refuses a bf16 library with a typed
    /// load error naming the feature (before any of its code runs), fp32 libraries still
    /// load, and aotCompile with precision bf16 refuses (no silent fp32 fallback).
    @Test func missingFeatureIsATypedErrorAtLoadAndCompile() throws {
        guard Self.hasBF16 else { return }
        let x = [Tensor.randn([2, 3, 32, 32], seed: 1)]
        let path = try aotCompile(CompileFixtures.smallProgram, exampleInputs: x, options: Self.options())
        setenv("KILN_HIDE_CPU_FEATURES", "avx512_bf16", 1)
        defer { unsetenv("KILN_HIDE_CPU_FEATURES") }
        #expect(throws: LoadError.missingCPUFeatures(path: path, features: ["avx512_bf16"])) { try aotLoad(path) }
        do {
            _ = try aotLoad(path)
        } catch let e as LoadError {
            #expect(e.failureClass == .load && e.description.contains("avx512_bf16") && e.suggestion?.hasPrefix("Suggested fix:") == true)
        }
        _ = try aotLoad(CompileFixtures.smallLibrary)
        #expect(throws: CompileError.missingCPUFeatures(precision: "bf16", features: ["avx512_bf16"])) {
            try aotCompile(CompileFixtures.smallProgram, exampleInputs: x, options: Self.options())
        }
        unsetenv("KILN_HIDE_CPU_FEATURES")
        _ = try aotLoad(path)
    }
}
