/// How a convolution is computed in a compiled library (autotune picks one per layer).
public enum ConvAlgorithm: String, CaseIterable, Sendable, Codable {
    /// im2col + OpenBLAS sgemm (`kiln_conv2d`): any geometry.
    case im2colSgemm = "im2col_sgemm"
    /// 1×1 without padding as one sgemm per image (strided input gathered first).
    case pointwiseSgemm = "pointwise_sgemm"
    /// Direct loops, no im2col: any geometry.
    case direct
    /// Winograd F(2×2, 3×3) with pre-transformed weights: 3×3, stride 1, no dilation, 1 group.
    case winogradF2x3 = "winograd_f2x3"
    /// Winograd F(4×4, 3×3): 4× fewer multiplies than direct, ~10× its rounding error.
    case winogradF4x3 = "winograd_f4x3"
    /// Kiln's own AVX-512 packed GEMM (`kiln_conv2d_gemm`), im2col fused into B packing,
    /// weights packed at compile time: any geometry with 1 group.
    case packedGemm = "packed_gemm"
    /// Depthwise (groups = C = OC) direct kernel, `kiln_conv2d_depthwise`: any kernel, stride,
    /// dilation and pads; vectorised for 3×3 and 5×5 at stride 1 and 2.
    case depthwise
    /// The packed GEMM in bfloat16 (`kiln_conv2d_gemm_bf16`): weights packed as bf16 pairs,
    /// activations rounded to bf16 while packing, fp32 accumulation (vdpbf16ps) and epilogue.
    /// Only in libraries compiled with `precision: .bf16`; any geometry with 1 group.
    case packedGemmBF16 = "packed_gemm_bf16"
    /// Convolution as an implicit bf16 GEMM (`kiln_conv2d_direct_bf16`): the input rounded to
    /// bf16 channel pairs once per call and read in place by every tap (no im2col), weights
    /// packed as bf16 at compile time, fp32 accumulation and epilogue. Only in libraries
    /// compiled with `precision: .bf16`; one group, any stride.
    case directBF16 = "direct_bf16"
    /// Winograd F(2×2, 3×3) with its 16 per-frequency GEMMs in bf16
    /// (`kiln_conv2d_winograd_f2x3_bf16`): fp32 transforms (entries 0 and ±1, so rounding the
    /// transformed operands costs about what a direct bf16 product's rounding does), weights
    /// and transformed tiles rounded to bf16, fp32 accumulation and epilogue. Only in
    /// libraries compiled with `precision: .bf16`; 3×3, stride 1, no dilation, 1 group.
    case winogradF2x3BF16 = "winograd_f2x3_bf16"
    /// Winograd F(4×4, 3×3) with its 36 per-frequency GEMMs in bf16
    /// (`kiln_conv2d_winograd_f4x3_bf16`): F(4,3)'s fp32 transforms, weights and transformed
    /// tiles rounded to bf16, fp32 accumulation and epilogue. Its transforms amplify that
    /// rounding (~20× a direct bf16 product's on one layer), but the error is independent
    /// across tiles and channels, so later layers average it out (ResNet-18's logits: see
    /// ``AlgorithmSelection``). Only in libraries compiled with `precision: .bf16`; applicable
    /// as F(4,3).
    case winogradF4x3BF16 = "winograd_f4x3_bf16"
    /// Direct convolution for at most 4 input channels (`kiln_conv2d_stem`: a CNN's first
    /// layer on the RGB image): input rows split once into even/odd phase lines, tiles of 4
    /// output channels × 96 pixels, weights packed at compile time. 1 group, stride_w 1 or 2.
    case stem

    /// The precision the algorithm computes in.
    public var precision: Precision { self == .packedGemmBF16 || self == .directBF16 || self == .winogradF2x3BF16 || self == .winogradF4x3BF16 ? .bf16 : .fp32 }
}
