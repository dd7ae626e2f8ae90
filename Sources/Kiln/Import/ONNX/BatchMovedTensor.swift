/// A run-time tensor of the ONNX graph whose batch is not dimension 0, or is merged with
/// other sizes (torch's `nn.MultiheadAttention` works on (L, N, E) and reshapes to
/// (L, N·heads, E/heads)). Kiln's graph keeps the batch first in every value, so the importer
/// stores such a tensor batch-first: logically it is (A, N, B) in row-major order (A the
/// sizes before the batch, B those after), physically (N, A, B). Transposes and reshapes of
/// the logical tensor then become transposes and reshapes of the physical one.
struct BatchMovedTensor {
    /// The stored tensor: shape [N] + ``atoms``.
    var physical: GraphValue
    /// Logical dimensions, the batch's holding `outer · inner` (its size is that times N).
    var dims: [Int]
    var batchAxis: Int
    var outer: Int
    var inner: Int
    var symbol: String

    /// A batch-first tensor `(N, …)` as the plain case.
    init?(plain t: GraphValue) {
        guard case .symbol(let s)? = t.shape.first, let rest = Array(t.shape.dropFirst()).staticShape else { return nil }
        self.init(physical: t, dims: [1] + rest, batchAxis: 0, outer: 1, inner: 1, symbol: s)
    }

    init(physical: GraphValue, dims: [Int], batchAxis: Int, outer: Int, inner: Int, symbol: String) {
        self.physical = physical; self.dims = dims; self.batchAxis = batchAxis
        self.outer = outer; self.inner = inner; self.symbol = symbol
    }

    /// The physical sizes after the batch, each the logical dimension it belongs to.
    var atoms: [(size: Int, dim: Int)] {
        var out: [(size: Int, dim: Int)] = []
        for (i, d) in dims.enumerated() {
            if i != batchAxis { out.append((d, i)); continue }
            if outer > 1 { out.append((outer, i)) }
            if inner > 1 { out.append((inner, i)) }
        }
        return out
    }

    var physicalShape: [SymDim] { [.symbol(symbol)] + atoms.map { .static($0.size) } }

    var logicalShape: [ShapeScalar] {
        dims.indices.map { $0 == batchAxis ? ShapeScalar(factor: outer * inner, symbol: symbol) : .static(dims[$0]) }
    }

    /// Batch-first and not merged: an ordinary graph value.
    var isPlain: Bool { batchAxis == 0 && outer == 1 && inner == 1 }

    /// Elements before the batch in the logical row-major order (A) and after it (B).
    var before: Int { dims[..<batchAxis].reduce(outer, *) }
    var after: Int { dims[(batchAxis + 1)...].reduce(inner, *) }

    /// The same data seen with other logical dimensions (a reshape), or nil when the batch
    /// would not keep its place between the same A and B elements.
    func reshaped(_ target: [ShapeScalar]) -> BatchMovedTensor? {
        guard let b = target.firstIndex(where: { $0.symbol != nil }), target.filter({ $0.symbol != nil }).count == 1,
              target[b].symbol == symbol, target.allSatisfy({ $0.factor >= 1 }) else { return nil }
        let pre = target[..<b].reduce(1) { $0 * $1.factor }, post = target[(b + 1)...].reduce(1) { $0 * $1.factor }
        guard before % pre == 0, after % post == 0 else { return nil }
        let o = before / pre, i = after / post
        guard o * i == target[b].factor else { return nil }
        var m = self
        m.dims = target.map(\.factor)
        m.batchAxis = b; m.outer = o; m.inner = i
        return m
    }
}
