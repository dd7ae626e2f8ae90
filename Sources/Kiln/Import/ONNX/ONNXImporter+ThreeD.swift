/// 3-D pooling (N, C, D, H, W) as two 2-D poolings, because a box window is separable: over
/// (H, W) with depth folded into the channels, then over D with (H·W) as the width. Max of
/// maxima is the max; for averages, the cells counted (with or without padding, ceil_mode's
/// extra cells never) form a product set, so the mean of per-depth means is the box mean.
/// The batch stays in dimension 0, so both halves compile.
extension ONNXImporter {
    func pool3D(_ x: ImportValue, kernel k: [Int]) throws(ONNXImportError) -> ImportValue {
        let xs = shape(x)
        guard xs.count == 5, let c = xs[1].staticValue, let d = xs[2].staticValue, let h = xs[3].staticValue, let w = xs[4].staticValue else {
            throw shapeError("a 3-D pooling window needs an (N, C, D, H, W) input with static C, D, H, W, got \(xs.shapeDescription)")
        }
        let s = try ints("strides") ?? [1, 1, 1], dl = try ints("dilations") ?? [1, 1, 1], p = try ints("pads") ?? [0, 0, 0, 0, 0, 0]
        guard s.count == 3, dl.count == 3, p.count == 6 else {
            throw shapeError("strides \(s), dilations \(dl) and pads \(p) do not fit a 3-D window \(k)")
        }
        let saved = current!
        defer { current = saved }
        func stage(_ kernel: [Int], _ strides: [Int], _ dilations: [Int], _ pads: [Int]) {
            var n = saved
            n.attributes["kernel_shape"] = .ints(kernel); n.attributes["strides"] = .ints(strides)
            n.attributes["pads"] = .ints(pads)
            if saved.attributes["dilations"] != nil { n.attributes["dilations"] = .ints(dilations) }
            current = n
        }
        stage([k[1], k[2]], [s[1], s[2]], [dl[1], dl[2]], [p[1], p[2], p[4], p[5]])
        let planes = try pool(try reshape(x, toShape: [xs[0], .static(c * d), .static(h), .static(w)]))
        let ps = shape(planes)
        guard let oh = ps[2].staticValue, let ow = ps[3].staticValue else { throw shapeError("3-D pooling lost its static size") }
        // auto_pad SAME resolves against each stage's own input, as it would against the volume.
        stage([k[0], 1], [s[0], 1], [dl[0], 1], [p[0], 0, p[3], 0])
        let depth = try pool(try reshape(planes, toShape: [xs[0], .static(c), .static(d), .static(oh * ow)]))
        let ds = shape(depth)
        return try reshape(depth, toShape: [xs[0], .static(c), ds[2], .static(oh), .static(ow)])
    }
}
