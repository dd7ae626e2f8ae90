/// Execution order of an ONNX graph: ONNX requires nodes in topological order, but some
/// tools write them otherwise, so Kiln sorts them (stably) and reports undefined inputs and
/// cycles by name.
enum ONNXGraphOrder {
    /// The remedy for a graph breaking ONNX's naming and ordering rules.
    static let recheck = "check the model with onnx.checker.check_model(model, full_check=True) and re-export it"

    static func sorted(_ g: ONNXGraph, path: String) throws(ONNXImportError) -> [ONNXNode] {
        let available = Set(g.initializers.map(\.name)).union(g.inputs.map(\.name))
        var producer: [String: Int] = [:]
        for (i, n) in g.nodes.enumerated() { for o in n.outputs where !o.isEmpty { producer[o] = i } }
        for n in g.nodes {
            for i in n.inputs where !i.isEmpty && !available.contains(i) && producer[i] == nil {
                throw .invalidGraph(ONNXLocation(file: path), problem: "node \(n.label) reads \"\(i)\", which no node, input or initializer defines", remedy: recheck)
            }
        }
        // Kahn's algorithm, taking the lowest-numbered ready node first (keeps the file's order
        // when it is already topological).
        var waiting = [Int](repeating: 0, count: g.nodes.count)
        var readers: [Int: [Int]] = [:]
        for (i, n) in g.nodes.enumerated() {
            for name in Set(n.inputs) where !name.isEmpty && !available.contains(name) {
                guard let p = producer[name] else { continue }
                waiting[i] += 1
                readers[p, default: []].append(i)
            }
        }
        var done = [Bool](repeating: false, count: g.nodes.count)
        var ready = Heap(g.nodes.indices.filter { waiting[$0] == 0 })
        var order: [ONNXNode] = []
        order.reserveCapacity(g.nodes.count)
        while let i = ready.popMin() {
            done[i] = true
            order.append(g.nodes[i])
            for r in readers[i] ?? [] {
                waiting[r] -= 1
                if waiting[r] == 0 { ready.insert(r) }
            }
        }
        if order.count < g.nodes.count {
            let stuck = g.nodes.indices.filter { !done[$0] }.prefix(5).map { g.nodes[$0].label }
            throw .invalidGraph(ONNXLocation(file: path), problem: "the graph has a cycle through \(stuck.joined(separator: ", "))",
                                remedy: "an ONNX graph must be acyclic; re-export the model")
        }
        return order
    }
}

/// A binary min-heap of node indices.
private struct Heap {
    private var items: [Int] = []
    init(_ xs: [Int]) { for x in xs { insert(x) } }

    mutating func insert(_ x: Int) {
        items.append(x)
        var i = items.count - 1
        while i > 0, items[(i - 1) / 2] > items[i] { items.swapAt(i, (i - 1) / 2); i = (i - 1) / 2 }
    }

    mutating func popMin() -> Int? {
        guard let top = items.first else { return nil }
        items[0] = items[items.count - 1]
        items.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < items.count, items[l] < items[m] { m = l }
            if r < items.count, items[r] < items[m] { m = r }
            if m == i { break }
            items.swapAt(i, m); i = m
        }
        return top
    }
}
