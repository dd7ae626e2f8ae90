import Foundation

extension Module {
    /// Deterministic initialisation in torchvision's style — NOT pretrained weights.
    ///
    /// Every parameter draws from its own ``SplitMix64`` stream seeded with
    /// `seed ^ fnv1a64(key)` (its state-dict key), so values do not depend on traversal order:
    /// - `Conv2d.weight`: normal, std √(2 / fan_out), fan_out = OC·KH·KW (kaiming_normal_,
    ///   mode "fan_out", nonlinearity "relu"); conv biases 0.
    /// - `BatchNorm2d`: weight 1, bias 0, running_mean 0, running_var 1.
    /// - `Linear`: weight and bias uniform in ±1/√in (PyTorch's default reset_parameters).
    public func initializeParameters(seed: UInt64) {
        for (path, module) in namedModules() {
            func stream(_ name: String) -> UInt64 { seed ^ fnv1a64(Module.join(path, name)) }
            switch module {
            case let conv as Conv2d:
                let w = conv.weight.shape
                let std = Float((2.0 / Double(w[0] * w[2] * w[3])).squareRoot())
                let n = Tensor.randn(w, seed: stream("weight"))
                conv.weight.value = Tensor(shape: w, values: n.scalars.map { $0 * std })
                conv.bias?.value = .zeros([w[0]])
            case let bn as BatchNorm2d:
                bn.weight.value = .ones([bn.numFeatures]); bn.bias.value = .zeros([bn.numFeatures])
                bn.runningMean.value = .zeros([bn.numFeatures]); bn.runningVar.value = .ones([bn.numFeatures])
            case let fc as Linear:
                let bound = Float(1 / Double(fc.inFeatures).squareRoot())
                fc.weight.value = .uniform(fc.weight.shape, low: -bound, high: bound, seed: stream("weight"))
                if let b = fc.bias { b.value = .uniform(b.shape, low: -bound, high: bound, seed: stream("bias")) }
            default: break
            }
        }
    }
}

/// FNV-1a, 64-bit, over the UTF-8 bytes of `s`.
func fnv1a64(_ s: String) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
    return h
}
