import CKilnKernels
import Testing

/// Linear, batch norm, ReLU and add: fast against reference (including the aliasing the
/// header allows), and the references against hand-computed values.
@Suite struct DenseKernelTests {
    /// kiln_linear against kiln_linear_ref on seeded x (seed), w (seed + 1) and bias (seed + 2);
    /// the failure with its parameters, or nil.
    static func linearMismatch(n: Int, in inFeatures: Int, out: Int, bias: Bool, seed: Int, label: String = "linear") -> String? {
        let x = KernelCheck.inputs(n * inFeatures, seed: seed), w = KernelCheck.inputs(out * inFeatures, seed: seed + 1)
        let b = bias ? KernelCheck.inputs(out, seed: seed + 2) : nil
        var ref = KernelCheck.guarded(n * out), fast = ref
        kiln_linear_ref(Int32(n), Int32(inFeatures), Int32(out), x, w, b, &ref)
        kiln_linear(Int32(n), Int32(inFeatures), Int32(out), x, w, b, &fast)
        return KernelCheck.mismatch(fast, ref, count: n * out, params: "\(label) n=\(n) in=\(inFeatures) out=\(out) bias=\(bias)")
    }

    @Test func linearMatchesReference() {
        var failures: [String] = [], seed = 0
        // n above 4 runs on the packed GEMM (x packed as A, w^T packed from w's rows); out over
        // 48 spans several B panels, so each panel's bias offset and columns are checked.
        for n in [1, 3, 5, 8, 17] {
            for inFeatures in [1, 7, 37, 64] {
                for out in [1, 5, 33, 100] {
                    for bias in [false, true] {
                        seed += 1
                        if let m = Self.linearMismatch(n: n, in: inFeatures, out: out, bias: bias, seed: seed) { failures.append(m) }
                    }
                }
            }
        }
        // ResNet-18's classifier at batch 32 (21 B panels, both threads), and ResNet's head.
        for (n, inFeatures, seed) in [(32, 512, 8), (2, 2048, 5)] {
            if let m = Self.linearMismatch(n: n, in: inFeatures, out: 1000, bias: true, seed: seed) { failures.append(m) }
        }
        KernelCheck.record(failures)
    }

    /// Batches over 4 on the GEMM's portable microkernel (what CPUs without AVX-512 run; the
    /// switch is per thread and travels with the pool's chunks).
    @Test func linearMatchesReferenceOnPortableGemm() {
        kiln_gemm_force_portable(1)
        defer { kiln_gemm_force_portable(0) }
        var failures: [String] = [], seed = 100
        for (n, inFeatures, out) in [(5, 37, 100), (17, 64, 49), (32, 512, 1000)] {
            seed += 3
            if let m = Self.linearMismatch(n: n, in: inFeatures, out: out, bias: true, seed: seed, label: "portable linear") {
                failures.append(m)
            }
        }
        KernelCheck.record(failures)
    }

    @Test func linearReferenceHandComputed() {
        var y: [Float] = [0, 0, 0, 0]
        // x: (2, 2), w: (2, 2): y = x wᵀ + b.
        kiln_linear_ref(2, 2, 2, [1, 2, 3, 4], [1, 1, 2, -1], [0.5, 0], &y)
        #expect(y == [3.5, 0, 7.5, 2])
        kiln_linear(2, 2, 2, [1, 2, 3, 4], [1, 1, 2, -1], nil, &y)
        #expect(y == [3, 0, 7, 2])
    }

    @Test func batchnormMatchesReference() {
        var failures: [String] = [], seed = 0
        for n in [1, 2] {
            for c in [1, 3, 16] {
                for hw in [1, 7, 49, 3000] {
                    seed += 1
                    let count = n * c * hw
                    let x = KernelCheck.inputs(count, seed: seed)
                    let gamma = KernelCheck.inputs(c, seed: seed + 1), beta = KernelCheck.inputs(c, seed: seed + 2)
                    let mean = KernelCheck.inputs(c, seed: seed + 3), variance = KernelCheck.positive(c, seed: seed + 4)
                    var ref = KernelCheck.guarded(count), fast = ref
                    kiln_batchnorm_ref(Int32(n), Int32(c), Int32(hw), x, gamma, beta, mean, variance, 1e-5, &ref)
                    kiln_batchnorm(Int32(n), Int32(c), Int32(hw), x, gamma, beta, mean, variance, 1e-5, &fast)
                    let name = "batchnorm n=\(n) c=\(c) hw=\(hw)"
                    if let m = KernelCheck.mismatch(fast, ref, count: count, params: name) { failures.append(m) }
                    // In place (y aliases x).
                    var inPlace = x
                    inPlace.withUnsafeMutableBufferPointer { buf in
                        kiln_batchnorm(Int32(n), Int32(c), Int32(hw), buf.baseAddress, gamma, beta, mean, variance, 1e-5, buf.baseAddress)
                    }
                    if let m = KernelCheck.mismatch(inPlace, ref, count: count, params: name + " in place") { failures.append(m) }
                }
            }
        }
        KernelCheck.record(failures)
    }

    @Test func batchnormReferenceHandComputed() {
        // Channel 0: (x - 1) / sqrt(3 + 1) * 2 + 1 = x; channel 1: (x - 0) / sqrt(0 + 1) * -1 + 0 = -x.
        var y: [Float] = [0, 0, 0, 0]
        kiln_batchnorm_ref(1, 2, 2, [1, 3, 5, -2], [2, -1], [1, 0], [1, 0], [3, 0], 1, &y)
        #expect(y == [1, 3, -5, 2])
    }

    static let elementCounts = [0, 1, 7, 100, 65_537, 300_001]

    @Test func reluMatchesReference() {
        var failures: [String] = []
        for count in Self.elementCounts {
            let x = KernelCheck.inputs(count, seed: count)
            var ref = KernelCheck.guarded(count), fast = ref
            kiln_relu_ref(count, x, &ref)
            kiln_relu(count, x, &fast)
            if fast != ref { failures.append("relu count=\(count): fast differs from reference") }
            var inPlace = x
            inPlace.withUnsafeMutableBufferPointer { kiln_relu(count, $0.baseAddress, $0.baseAddress) }
            if inPlace[...] != ref[..<count] { failures.append("relu count=\(count) in place: differs from reference") }
        }
        KernelCheck.record(failures)
    }

    @Test func reluReferenceHandComputed() {
        var y = [Float](repeating: 7, count: 5)
        kiln_relu_ref(5, [-1, 0, 2, .nan, -.infinity], &y)
        #expect(y[0] == 0 && y[1] == 0 && y[2] == 2 && y[3].isNaN && y[4] == 0) // NaN passes, as in PyTorch
    }

    @Test func addMatchesReference() {
        var failures: [String] = []
        for count in Self.elementCounts {
            let a = KernelCheck.inputs(count, seed: count), b = KernelCheck.inputs(count, seed: count + 1)
            var ref = KernelCheck.guarded(count), fast = ref
            kiln_add_ref(count, a, b, &ref)
            kiln_add(count, a, b, &fast)
            if fast != ref { failures.append("add count=\(count): fast differs from reference") }
            var intoA = a, intoB = b
            intoA.withUnsafeMutableBufferPointer { kiln_add(count, $0.baseAddress, b, $0.baseAddress) }
            intoB.withUnsafeMutableBufferPointer { kiln_add(count, a, $0.baseAddress, $0.baseAddress) }
            if intoA[...] != ref[..<count] { failures.append("add count=\(count) into a: differs from reference") }
            if intoB[...] != ref[..<count] { failures.append("add count=\(count) into b: differs from reference") }
        }
        KernelCheck.record(failures)
    }

    @Test func addReferenceHandComputed() {
        var y: [Float] = [0, 0, 0]
        kiln_add_ref(3, [1, -2, 0.5], [2, 2, 0.25], &y)
        #expect(y == [3, 0, 0.75])
    }
}
