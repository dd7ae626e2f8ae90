import Foundation
@testable import Kiln

/// One convolution for kernel-vs-reference sweeps: weights, input and residual from seeds, the
/// reference output, and a check of any kernel run on its packed weights.
struct ConvCase {
    let weight: Tensor, bias: Tensor, x: Tensor, residual: Tensor, want: Tensor
    let shape: ConvShape
    let activation: Activation
    let label: String

    /// x: (2, c, h, h), w: (oc, c / groups, k, k).
    init(c: Int, h: Int, oc: Int, k: Int, stride: Int, padding: Int, groups: Int = 1, relu: Bool, seed: UInt64) {
        weight = Tensor.randn([oc, c / groups, k, k], seed: seed)
        bias = Tensor.randn([oc], seed: seed + 50)
        var step = ConvStep(x: "x", weight: weight, bias: bias, stride: stride, padding: padding, dilation: 1, groups: groups)
        step.relu = relu
        activation = relu ? .relu : .none
        shape = ConvShape(step: step, inputRow: [c, h, h], batch: 2)
        let (oh, ow) = shape.outputSize
        x = Tensor.randn([2, c, h, h], seed: seed + 7)
        residual = Tensor.randn([2, oc, oh, ow], seed: seed + 8)
        want = Tensor.zeros([2, oc, oh, ow])
        shape.runReference(x: x.storage.base, weight: weight.storage.base, bias: bias.storage.base, residual: residual.storage.base,
                           activation: activation, y: want.storage.base)
        label = "\(shape.description) s\(stride) p\(padding) g\(groups) relu \(relu)"
    }

    /// Runs `run(packed weights, workspace, y)` for algorithm `a` and expects the reference
    /// within `tolerance` · max |reference|.
    func check(_ a: ConvAlgorithm, workspace: Int, tolerance: Float, _ what: String,
               run: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void) {
        let packed = shape.packedWeights(weight, for: a)
        let y = Tensor.zeros(want.shape)
        var ws = [Float](repeating: 0, count: max(workspace, 1))
        packed.withUnsafeBufferPointer { p in ws.withUnsafeMutableBufferPointer { run(p.baseAddress!, $0.baseAddress!, y.storage.base) } }
        CompileFixtures.expectMatches(y, want, "\(what) \(a.rawValue) \(label)", tolerance: tolerance)
    }
}
