extension Tensor: CustomStringConvertible {
    /// `Tensor[2, 1000] [0.1234, -0.5, 0.25, …, 1.5]`: the shape and up to six values.
    public var description: String {
        let n = count
        func fmt(_ v: Float) -> String {
            if v.isNaN || v.isInfinite { return "\(v)" }
            let r = (Double(v) * 10_000).rounded() / 10_000
            return "\(r)"
        }
        let values: String
        if n <= 6 {
            values = scalars.map(fmt).joined(separator: ", ")
        } else {
            let b = storage.buffer
            values = (b[0..<3].map(fmt) + ["…"] + b[(n - 3)..<n].map(fmt)).joined(separator: ", ")
        }
        return "Tensor\(shape) [\(values)]"
    }
}
