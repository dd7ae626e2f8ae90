/// Where a value lives while the compiled graph runs.
enum ValueStorage: Equatable {
    /// The caller's input buffer `i`.
    case input(Int)
    /// The caller's output buffer `o` (the step producing a graph output writes there).
    case output(Int)
    /// The arena, at `offset` floats per batch row (so at `offset * batch` floats).
    case arena(offset: Int)
}

/// Activation memory planned into one arena with liveness reuse.
///
/// Every activation's size is proportional to the batch, so offsets are planned once in
/// floats *per batch row* and scaled by the batch at run time. A value's block is freed
/// after its last reader runs and reused best-fit; a step's output is allocated before its
/// inputs are freed, so no step writes over what it reads. Flatten and reshape are views: it shares its
/// input's block, which then lives until the view's last reader.
struct MemoryPlan {
    /// Storage of every value by name (views resolved to their root's storage).
    var storage: [String: ValueStorage] = [:]
    /// Arena floats per batch row (high-water mark).
    var arenaPerRow = 0
    /// Sum of all activations per row without reuse, to report the saving.
    var unplannedPerRow = 0
    /// Graph outputs whose value is not written straight into the output buffer (a view or
    /// an input returned as is): copied out at the end. (output index, value)
    var copiedOutputs: [(Int, String)] = []

    /// Alignment of every block: 16 floats = 64 bytes, one cache line / AVX-512 vector.
    static let alignment = 16

    static func plan(_ g: LoweredGraph) -> MemoryPlan {
        var plan = MemoryPlan()
        var root: [String: String] = [:]  // view -> the value owning the memory
        for (i, input) in g.inputs.enumerated() { plan.storage[input.name] = .input(i); root[input.name] = input.name }
        for n in g.nodes { if let x = n.op.viewSource { root[n.name] = root[x] ?? x } else { root[n.name] = n.name } }

        // Outputs produced by a real step write to the caller's buffer directly.
        var outputOf: [String: Int] = [:]
        for (o, name) in g.outputs.enumerated() {
            let isView = root[name] != name
            let isInput = g.inputs.contains { $0.name == name }
            if isView || isInput || outputOf[name] != nil { plan.copiedOutputs.append((o, name)) } else { outputOf[name] = o }
        }

        // Last reader of every root (views extend their root's life; outputs live to the end).
        var lastUse: [String: Int] = [:]
        for (i, n) in g.nodes.enumerated() { for v in n.op.inputs { lastUse[root[v] ?? v] = i } }
        for o in g.outputs { lastUse[root[o] ?? o] = g.nodes.count }

        var free: [(offset: Int, size: Int)] = []
        var top = 0
        func allocate(_ size: Int) -> Int {
            if let k = free.indices.filter({ free[$0].size >= size }).min(by: { free[$0].size < free[$1].size }) {
                let block = free.remove(at: k)
                if block.size > size { free.append((block.offset + size, block.size - size)) }
                return block.offset
            }
            // Grow the arena, absorbing a free block that ends at the top.
            if let k = free.firstIndex(where: { $0.offset + $0.size == top }) {
                let block = free.remove(at: k)
                top = block.offset + size
                return block.offset
            }
            defer { top += size }
            return top
        }
        func release(_ offset: Int, _ size: Int) {
            var block = (offset: offset, size: size)
            // Merge with neighbours so large later values can reuse the space.
            while let k = free.firstIndex(where: { $0.offset + $0.size == block.offset || block.offset + block.size == $0.offset }) {
                let nb = free.remove(at: k)
                block = (min(nb.offset, block.offset), nb.size + block.size)
            }
            free.append(block)
        }

        var sizes: [String: Int] = [:]
        for (i, n) in g.nodes.enumerated() {
            if n.op.viewSource != nil {
                // A view: no memory of its own.
            } else if let o = outputOf[n.name] {
                plan.storage[n.name] = .output(o)
            } else {
                let size = (n.shape.rowElements + alignment - 1) / alignment * alignment
                sizes[n.name] = size
                plan.unplannedPerRow += size
                plan.storage[n.name] = .arena(offset: allocate(size))
            }
            // Ordered, not a Set: the plan (and so the library's bytes) must not depend on
            // hash-seed iteration order.
            var seen: [String] = []
            for v in n.op.inputs + [n.name] where !seen.contains(v) {
                seen.append(v)
                let r = root[v] ?? v
                guard lastUse[r, default: i] <= i, let size = sizes[r], case .arena(let off) = plan.storage[r] else { continue }
                release(off, size)
                sizes[r] = nil
            }
        }
        for n in g.nodes { if n.op.viewSource != nil, let r = root[n.name] { plan.storage[n.name] = plan.storage[r] } }
        plan.arenaPerRow = top
        return plan
    }
}
