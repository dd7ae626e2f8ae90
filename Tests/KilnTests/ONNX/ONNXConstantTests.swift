import Testing
@testable import Kiln

/// `ONNXConstant.intValues` reads integer inputs (shapes, axes, Slice bounds) that a model may
/// give as floats: beyond Int's range they saturate instead of trapping (a fuzzer-found crash,
/// fuzz/regressions/onnx/slice_bound_beyond_int_range.onnx).
@Suite struct ONNXConstantTests {
    @Test func floatsBeyondIntRangeSaturate() {
        let c = ONNXConstant(shape: [8], floats: [1e30, -1e30, 9.3e18, -9.3e18, 3.9, -3.9, .nan, -.infinity])
        #expect(c.intValues == [Int.max, Int.min, Int.max, Int.min, 3, -3, 0, 0])
    }

    @Test func integersPassThrough() {
        let c = ONNXConstant(shape: [3], ints: [Int64.max, Int64.min, -7])
        #expect(c.intValues == [Int.max, Int.min, -7])
    }
}
