import Foundation

/// Kiln's documented random generator: SplitMix64 (Steele, Lea & Flood, 2014).
///
/// The stream is a pure function of the seed — integer arithmetic only — so it gives the
/// same numbers on every run and machine. `uniform()` takes the top 24 bits of the next
/// output, giving a float in [0, 1) on a 2⁻²⁴ grid; `normal()` uses the Box–Muller transform
/// in double precision on two uniforms (53-bit) and rounds once to float.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose stream is determined by `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64-bit output.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform float in [0, 1): the top 24 bits of `next()` times 2⁻²⁴.
    public mutating func uniform() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// Uniform double in (0, 1]: 53 bits, never zero (safe for `log`).
    mutating func uniformOpenDouble() -> Double {
        (Double(next() >> 11) + 1) * 0x1p-53
    }

    /// Standard normal via Box–Muller (cosine branch only, one normal per two uniforms).
    public mutating func normal() -> Float {
        let u1 = uniformOpenDouble(), u2 = uniformOpenDouble()
        return Float((-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2))
    }
}

extension Tensor {
    /// Standard-normal values from ``SplitMix64`` seeded with `seed`, in row-major order.
    public static func randn(_ shape: [Int], seed: UInt64 = 0) -> Tensor {
        var rng = SplitMix64(seed: seed)
        return generated(shape) { rng.normal() }
    }

    /// Uniform values in [0, 1) from ``SplitMix64`` seeded with `seed`, in row-major order.
    public static func rand(_ shape: [Int], seed: UInt64 = 0) -> Tensor {
        var rng = SplitMix64(seed: seed)
        return generated(shape) { rng.uniform() }
    }

    /// Uniform values in [low, high) from ``SplitMix64`` seeded with `seed`.
    public static func uniform(_ shape: [Int], low: Float, high: Float, seed: UInt64) -> Tensor {
        var rng = SplitMix64(seed: seed)
        return generated(shape) { low + (high - low) * rng.uniform() }
    }

    static func generated(_ shape: [Int], _ next: () -> Float) -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        let b = t.storage.buffer
        for i in 0..<b.count { b[i] = next() }
        return t
    }
}
