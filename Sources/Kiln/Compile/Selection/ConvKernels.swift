internal import CKilnKernels

/// One convolution's geometry for one image, and what each algorithm needs for it:
/// whether it applies, its per-image workspace, its packed weights, and a way to run it
/// in-process (autotune benchmarks and verifies candidates with these same kernels).
struct ConvShape: Hashable, Sendable {
    var n = 1, c: Int, h: Int, w: Int, oc: Int, kh: Int, kw: Int
    var geometry: Conv2dGeometry

    init(step: ConvStep, inputRow: [Int], batch: Int = 1) {
        n = batch; c = inputRow[0]; h = inputRow[1]; w = inputRow[2]
        oc = step.weight.shape[0]; kh = step.weight.shape[2]; kw = step.weight.shape[3]
        geometry = step.geometry
    }

    var groups: Int { geometry.groups }
    /// Largest stride (the heuristics' "strided").
    var stride: Int { max(geometry.stride.h, geometry.stride.w) }
    /// groups = C = OC: one filter per channel.
    var isDepthwise: Bool { groups == c && oc == c && groups > 1 }

    var params: kiln_conv2d_params {
        var p = Kernels.convParams([n, c, h, w], weight: [oc, c / max(groups, 1), kh, kw], geometry)
        _ = kiln_conv2d_init(&p)
        return p
    }

    var outputSize: (Int, Int) { let p = params; return (Int(p.oh), Int(p.ow)) }

    /// `2x64x56x56, 64x64x3x3`, as in the AUTOTUNE table.
    var description: String { "\(n)x\(c)x\(h)x\(w), \(oc)x\(c / groups)x\(kh)x\(kw)" }

    func applies(_ a: ConvAlgorithm) -> Bool {
        var p = params
        switch a {
        case .im2colSgemm, .direct: return true
        case .pointwiseSgemm: return kiln_conv2d_pointwise_applicable(&p) != 0
        case .winogradF2x3, .winogradF2x3BF16: return kiln_winograd_f2x3_applicable(&p) != 0
        case .winogradF4x3, .winogradF4x3BF16: return kiln_winograd_f4x3_applicable(&p) != 0
        case .packedGemm: return kiln_conv2d_gemm_applicable(&p) != 0
        case .depthwise: return kiln_conv2d_depthwise_applicable(&p) != 0
        case .packedGemmBF16: return kiln_conv2d_gemm_bf16_applicable(&p) != 0
        case .directBF16: return kiln_conv2d_direct_bf16_applicable(&p) != 0
        case .stem: return kiln_conv2d_stem_applicable(&p) != 0
        }
    }

    /// Floats of scratch per image (independent of the batch).
    func workspace(_ a: ConvAlgorithm) -> Int {
        var p = params
        switch a {
        case .im2colSgemm: return kiln_conv2d_workspace_size(&p)
        case .pointwiseSgemm: return kiln_conv2d_pointwise_workspace_size(&p)
        case .direct: return 0
        case .winogradF2x3: return kiln_winograd_f2x3_workspace_size(&p)
        case .winogradF2x3BF16: return kiln_winograd_f2x3_bf16_workspace_size(&p)
        case .winogradF4x3: return kiln_winograd_f4x3_workspace_size(&p)
        case .winogradF4x3BF16: return kiln_winograd_f4x3_bf16_workspace_size(&p)
        case .packedGemm: return kiln_conv2d_gemm_workspace_size(&p)
        case .depthwise: return 0
        case .packedGemmBF16, .directBF16, .stem: return 0
        }
    }

    /// Floats of scratch per image in a generated library, built for
    /// ``Toolchain/winogradSlots`` Winograd slots (the in-process kernels keep four).
    func libraryWorkspace(_ a: ConvAlgorithm) -> Int {
        var p = params
        switch a {
        case .winogradF2x3, .winogradF2x3BF16: return kiln_winograd_workspace_size_for(4, &p, Int32(Toolchain.winogradSlots))
        case .winogradF4x3, .winogradF4x3BF16: return kiln_winograd_workspace_size_for(6, &p, Int32(Toolchain.winogradSlots))
        default: return workspace(a)
        }
    }

    /// The weights as the algorithm reads them (Winograd: 16 or 36 transformed (OC, C) matrices, packed for the GEMM).
    func packedWeights(_ weight: Tensor, for a: ConvAlgorithm) -> [Float] {
        if a == .packedGemm {
            // MR-row panels of the (OC, C*KH*KW) weight matrix (kiln_gemm.h).
            var p = params
            var packed = [Float](repeating: 0, count: kiln_conv2d_gemm_packed_size(&p))
            weight.withUnsafeBufferPointer { w in kiln_conv2d_gemm_pack(&p, w.baseAddress, &packed) }
            return packed
        }
        if a == .packedGemmBF16 {
            // bf16 pairs (kiln_gemm_bf16.h), two per float of the weights blob.
            var p = params
            var packed = [Float](repeating: 0, count: kiln_conv2d_gemm_bf16_packed_size(&p))
            weight.withUnsafeBufferPointer { w in packed.withUnsafeMutableBytes { kiln_conv2d_gemm_bf16_pack(&p, w.baseAddress, $0.baseAddress) } }
            return packed
        }
        if a == .directBF16 {
            // bf16 pair panels (kiln_conv_direct_bf16.c), two per float of the weights blob.
            var p = params
            var packed = [Float](repeating: 0, count: kiln_conv2d_direct_bf16_packed_size(&p))
            weight.withUnsafeBufferPointer { w in packed.withUnsafeMutableBytes { kiln_conv2d_direct_bf16_pack(&p, w.baseAddress, $0.baseAddress) } }
            return packed
        }
        if a == .stem {
            // Blocks of 8 output channels, tap-major (kiln_conv_stem.c).
            var p = params
            var packed = [Float](repeating: 0, count: kiln_conv2d_stem_packed_size(&p))
            weight.withUnsafeBufferPointer { w in kiln_conv2d_stem_pack(&p, w.baseAddress, &packed) }
            return packed
        }
        if a == .winogradF2x3BF16 {
            // 16 transformed (OC, C) matrices as bf16 pair panels (kiln_gemm_bf16.h), two per float.
            var u = [Float](repeating: 0, count: kiln_winograd_f2x3_bf16_packed_size(Int32(oc), Int32(c)))
            weight.withUnsafeBufferPointer { w in kiln_winograd_f2x3_bf16_pack(Int32(oc), Int32(c), w.baseAddress, &u) }
            return u
        }
        if a == .winogradF4x3BF16 {
            // 36 transformed (OC, C) matrices as bf16 pair panels (kiln_gemm_bf16.h), two per float.
            var u = [Float](repeating: 0, count: kiln_winograd_f4x3_bf16_packed_size(Int32(oc), Int32(c)))
            weight.withUnsafeBufferPointer { w in kiln_winograd_f4x3_bf16_pack(Int32(oc), Int32(c), w.baseAddress, &u) }
            return u
        }
        if a == .winogradF4x3 {
            var u = [Float](repeating: 0, count: kiln_winograd_f4x3_packed_size(Int32(oc), Int32(c)))
            weight.withUnsafeBufferPointer { w in kiln_winograd_f4x3_pack(Int32(oc), Int32(c), w.baseAddress, &u) }
            return u
        }
        guard a == .winogradF2x3 else { return weight.scalars }
        var u = [Float](repeating: 0, count: kiln_winograd_f2x3_packed_size(Int32(oc), Int32(c)))
        weight.withUnsafeBufferPointer { w in kiln_winograd_f2x3_pack(Int32(oc), Int32(c), w.baseAddress, &u) }
        return u
    }

    /// Runs algorithm `a` in-process. x: (N, C, H, W) → y: (N, OC, OH, OW), with the epilogue.
    func run(_ a: ConvAlgorithm, x: UnsafePointer<Float>, packed: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
             residual: UnsafePointer<Float>?, activation: Activation, y: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>?) {
        var p = params
        p.act = activation.c
        Self.kernel(a).run(&p, x, packed, bias, residual, y, workspace)
    }

    /// Runs a library's build of an algorithm's kernel (autotune's ``LibraryKernels``).
    func run(_ kernel: LibraryConvKernel, x: UnsafePointer<Float>, packed: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
             residual: UnsafePointer<Float>?, activation: Activation, y: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>?) {
        var p = params
        p.act = activation.c
        kernel(&p, x, packed, bias, residual, y, workspace)
    }

    /// The reference (naive loops, double accumulation) that candidates are checked against.
    func runReference(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                      residual: UnsafePointer<Float>?, activation: Activation, y: UnsafeMutablePointer<Float>) {
        var p = params
        p.act = activation.c
        kiln_conv2d_ref(&p, x, weight, bias, residual, y)
    }

    /// The C call the generated code makes (p, x, w, bias, residual, y, ws are C expressions).
    static func cCall(_ a: ConvAlgorithm) -> String {
        let k = kernel(a)
        return "\(k.name)(&p, x, w, b, r, y\(k.usesWorkspace ? ", ws" : ""))"
    }

    /// A convolution kernel: (params, x, weights as packed, bias, residual, y, workspace).
    typealias Kernel = (inout kiln_conv2d_params, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>?,
                        UnsafePointer<Float>?, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>?) -> Void

    /// Algorithm → C kernel, the one table: its name for generated code, and the function for
    /// in-process runs (autotune), so both always run the same kernel.
    static func kernel(_ a: ConvAlgorithm) -> (name: String, usesWorkspace: Bool, run: Kernel) {
        switch a {
        case .im2colSgemm: ("kiln_conv2d", true, { kiln_conv2d(&$0, $1, $2, $3, $4, $5, $6) })
        case .pointwiseSgemm: ("kiln_conv2d_pointwise", true, { kiln_conv2d_pointwise(&$0, $1, $2, $3, $4, $5, $6) })
        case .direct: ("kiln_conv2d_direct", false, { p, x, w, b, r, y, _ in kiln_conv2d_direct(&p, x, w, b, r, y) })
        case .winogradF2x3: ("kiln_conv2d_winograd_f2x3", true, { kiln_conv2d_winograd_f2x3(&$0, $1, $2, $3, $4, $5, $6) })
        case .winogradF4x3: ("kiln_conv2d_winograd_f4x3", true, { kiln_conv2d_winograd_f4x3(&$0, $1, $2, $3, $4, $5, $6) })
        case .packedGemm: ("kiln_conv2d_gemm", true, { kiln_conv2d_gemm(&$0, $1, $2, $3, $4, $5, $6) })
        case .depthwise: ("kiln_conv2d_depthwise", false, { p, x, w, b, r, y, _ in kiln_conv2d_depthwise(&p, x, w, b, r, y) })
        case .packedGemmBF16: ("kiln_conv2d_gemm_bf16", true, { kiln_conv2d_gemm_bf16(&$0, $1, $2, $3, $4, $5, $6) })
        case .winogradF2x3BF16: ("kiln_conv2d_winograd_f2x3_bf16", true, { kiln_conv2d_winograd_f2x3_bf16(&$0, $1, $2, $3, $4, $5, $6) })
        case .winogradF4x3BF16: ("kiln_conv2d_winograd_f4x3_bf16", true, { kiln_conv2d_winograd_f4x3_bf16(&$0, $1, $2, $3, $4, $5, $6) })
        case .directBF16: ("kiln_conv2d_direct_bf16", false, { p, x, w, b, r, y, _ in kiln_conv2d_direct_bf16(&p, x, w, b, r, y) })
        case .stem: ("kiln_conv2d_stem", false, { p, x, w, b, r, y, _ in kiln_conv2d_stem(&p, x, w, b, r, y) })
        }
    }
}

/// A convolution kernel as a generated library builds it: (params, x, weights as packed, bias,
/// residual, y, workspace), the table's uniform signature.
typealias LibraryConvKernel = @convention(c) (UnsafePointer<kiln_conv2d_params>?, UnsafePointer<Float>?, UnsafePointer<Float>?,
                                              UnsafePointer<Float>?, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?,
                                              UnsafeMutablePointer<Float>?) -> Void
/// Where max-autotune finds the library's build of each algorithm's kernel (the driver's
/// `KernelBench`); nil for an algorithm: time the in-process one.
typealias LibraryKernels = (ConvAlgorithm) -> LibraryConvKernel?
