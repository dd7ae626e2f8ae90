extension Tensor {
    /// For each row of a (N, C) tensor, the `k` largest values with their column indices,
    /// largest first (ties: lower index first). NaN sorts last.
    public func topK(_ k: Int) -> [[(index: Int, value: Float)]] {
        precondition(rank == 2, "topK needs a (N, C) tensor, got \(shape)")
        let (rows, cols) = (shape[0], shape[1])
        return withUnsafeBufferPointer { b in
            (0..<rows).map { r in
                let row = (0..<cols).map { (index: $0, value: b[r * cols + $0]) }
                return Array(row.sorted { x, y in
                    if x.value.isNaN != y.value.isNaN { return y.value.isNaN }
                    return x.value != y.value ? x.value > y.value : x.index < y.index
                }.prefix(k))
            }
        }
    }
}
