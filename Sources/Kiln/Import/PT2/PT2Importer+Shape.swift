/// Reshaping, axis permutations, concatenation and reductions. Kiln's `reshape` keeps a
/// symbolic batch as 0 (same position) or -1 (inferred), so shapes stay valid for every batch.
extension PT2Importer {
    /// `aten.view/_unsafe_view(self, size)`, `aten.reshape(self, shape)`: sizes are numbers, -1, or a dynamic size
    /// computed by `sym_size`.
    func importView() throws(PT2ImportError) -> PT2Value {
        let x = try tensor("self")
        var target: [SymDim] = []
        var inferred: Int?
        let sizes: [PT2SymIntArgument]
        switch arg("size") ?? arg("shape") {
        case .ints(let v)?: sizes = v.map { .int($0) }
        case .symInts(let v)?: sizes = v
        case let other: throw unsupported("size is \(other?.summary ?? "missing")", fix: "export with a constant or batch-sized view")
        }
        for (i, s) in sizes.enumerated() {
            switch s {
            case .int(-1) where inferred == nil: inferred = i; target.append(.static(-1))
            case .int(let n) where n >= 1: target.append(.static(n))
            case .int(let n): throw unsupported("size \(n) at position \(i) of a view", fix: "view to positive sizes (one -1 at most)")
            case .name(let n):
                guard case .symInt(let d) = try value(n) else { throw invalidGraph("%\(n) is not a size") }
                target.append(d)
            }
        }
        return try reshape(x, to: target)
    }

    /// Reshape `x` to `target` (static sizes, at most one -1 and the input's batch symbol).
    func reshape(_ x: PT2Value, to target: [SymDim]) throws(PT2ImportError) -> PT2Value {
        let input = shape(x)
        let symbols = target.enumerated().filter { $0.element.symbolName != nil }
        guard symbols.count <= 1 else { throw unsupported("a view with several dynamic sizes \(target.shapeDescription)", fix: "keep one dynamic (batch) dimension") }
        var attr: [Int] = target.map { $0.staticValue ?? 0 }
        if let (i, d) = symbols.first {
            if i < input.count, input[i] == d { attr[i] = 0 } else {
                guard !attr.contains(-1) else {
                    throw unsupported("a view \(target.shapeDescription) moving the dynamic size \(d) and inferring another", fix: "keep the batch in dimension 0")
                }
                attr[i] = -1
            }
        }
        if input == target { return x }
        var a = NodeAttributes()
        a.shape = attr
        return try apply(.reshape, [x], a)
    }

    /// `aten.flatten.using_ints(self, start_dim=0, end_dim=-1)`.
    func importFlatten() throws(PT2ImportError) -> PT2Value {
        let x = try tensor("self")
        let s = shape(x)
        let rank = Swift.max(s.count, 1)
        let start = try axis(try int("start_dim", 0), rank: rank), end = try axis(try int("end_dim", -1), rank: rank)
        guard start <= end else { throw shapeError("flatten from dimension \(start) to \(end)") }
        if end == s.count - 1, start >= 1 { return try apply(.flatten, [x], NodeAttributes(startDim: start)) }
        if start == end { return x }
        let merged = s[start...end]
        guard let sizes = [SymDim](merged).staticShape else {
            throw unsupported("flattening the dynamic dimension together with others", fix: "flatten from dimension 1 (torch.flatten(x, 1))")
        }
        return try reshape(x, to: Array(s[..<start]) + [.static(sizes.reduce(1, *))] + Array(s[(end + 1)...]))
    }

    /// `aten.squeeze.dim(s)` / `aten.unsqueeze(self, dim)`, as reshapes.
    func importSqueeze(unsqueeze: Bool) throws(PT2ImportError) -> PT2Value {
        let x = try tensor("self")
        var s = shape(x)
        if unsqueeze {
            s.insert(.static(1), at: try axis(try int("dim", 0), rank: s.count + 1))
        } else {
            let dims: [Int] = arg("dims") != nil ? try ints("dims", []) : [try int("dim", 0)]
            var drop = Set<Int>()
            for d in dims { drop.insert(try axis(d, rank: Swift.max(s.count, 1))) }
            s = s.enumerated().filter { !(drop.contains($0.offset) && $0.element == .static(1)) }.map(\.element)
        }
        return try reshape(x, to: s)
    }

    /// `aten.permute(self, dims)`, `aten.transpose.int(self, dim0, dim1)`, `aten.t(self)`.
    /// A constant's 2-D transpose remembers its source (see ``importAddmm(_:)``).
    func importPermute(_ name: String) throws(PT2ImportError) -> PT2Value {
        let x = try tensor("self")
        let rank = shape(x).count
        var p = Array(0..<rank)
        switch name {
        case "permute":
            let dims = try ints("dims", [])
            guard dims.count == rank else { throw shapeError("permute of a rank-\(rank) tensor by \(dims)") }
            p = []
            for d in dims { p.append(try axis(d, rank: rank)) }
        case "transpose":
            let a = try axis(try int("dim0", 0), rank: rank), b = try axis(try int("dim1", 1), rank: rank)
            p.swapAt(a, b)
        default:
            if rank == 2 { p = [1, 0] }
        }
        if p == Array(0..<rank) { return x }
        let out = try apply(.transpose, [x], perm(p))
        if case .constant(let source) = x, case .constant(var t) = out, p == [1, 0] {
            t.transposeOf = [source]
            return .constant(t)
        }
        return out
    }

    /// `aten.cat(tensors, dim=0)`.
    func importCat() throws(PT2ImportError) -> PT2Value {
        guard case .tensors(let names)? = arg("tensors"), !names.isEmpty else { throw invalidGraph("cat needs a list of tensors") }
        guard names.count <= GraphOp.maxConcatInputs else { throw shapeError("cat of \(names.count) tensors (at most \(GraphOp.maxConcatInputs))") }
        var parts: [PT2Value] = []
        for n in names { parts.append(try value(n)) }
        let rank = shape(parts[0]).count
        var a = NodeAttributes()
        a.axis = try axis(try int("dim", 0), rank: Swift.max(rank, 1))
        return try apply(.concat, parts, a)
    }

    /// `aten.mean.dim(self, dim, keepdim=False, dtype=None)`, `aten.amax`/`aten.amin(self,
    /// dim=[], keepdim=False)`: an empty `dim` reduces every axis.
    func importReduction(_ op: GraphOp) throws(PT2ImportError) -> PT2Value {
        let x = try tensor("self")
        let rank = shape(x).count
        let dims = try ints("dim", Array(0..<rank))
        var axes = Set<Int>()
        for d in (dims.isEmpty ? Array(0..<rank) : dims) { axes.insert(try axis(d, rank: rank)) }
        var a = NodeAttributes()
        a.axes = axes.sorted(); a.keepDims = try bool("keepdim", false)
        return try apply(op, [x], a)
    }

    /// `aten.softmax.int(self, dim, dtype=None)` / `aten._softmax(self, dim, half_to_float)`.
    func importSoftmax() throws(PT2ImportError) -> PT2Value {
        let x = try tensor("self")
        var a = NodeAttributes()
        a.axis = try axis(try int("dim", -1), rank: shape(x).count)
        return try apply(.softmax, [x], a)
    }
}
