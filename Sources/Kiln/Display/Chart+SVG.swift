extension Chart {
    /// The figure's size in SVG user units (pixels at 100 %).
    static let width = 640.0, height = 360.0
    /// Series colours, in order (colour-blind-safe, distinct in greyscale by lightness).
    static let palette = ["#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860"]

    /// The chart as a standalone SVG document: white background, title, y axis with grid
    /// lines and tick labels, category labels, axis labels (the y label with its unit), the
    /// bars or lines, value labels on bars when they fit, and a legend for several series.
    public func svg() -> String {
        let c = ChartScale.coordinate
        let legendRows = series.count > 1 ? 1 : 0
        let left = 72.0, right = Self.width - 20, top = 48.0 + Double(legendRows) * 20, bottom = Self.height - 56
        let scale = ChartScale(values: series.flatMap(\.values))
        func y(_ v: Double) -> Double { bottom - (v - scale.low) / (scale.high - scale.low) * (bottom - top) }
        let band = (right - left) / Double(max(categories.count, 1))

        var out = [
            ##"<svg xmlns="http://www.w3.org/2000/svg" width="\##(c(Self.width))" height="\##(c(Self.height))" viewBox="0 0 \##(c(Self.width)) \##(c(Self.height))" role="img" aria-label="\##(Self.escape(title))" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">"##,
            "<title>\(Self.escape(title))</title>",
            ##"<rect width="100%" height="100%" fill="#ffffff"/>"##,
            ##"<text x="\##(c(Self.width / 2))" y="26" text-anchor="middle" font-size="16" font-weight="bold" fill="#222222">\##(Self.escape(title))</text>"##,
        ]
        // Grid lines and y tick labels.
        for tick in scale.ticks {
            let ty = c(y(tick))
            out.append(##"<line x1="\##(c(left))" y1="\##(ty)" x2="\##(c(right))" y2="\##(ty)" stroke="#e0e0e0" stroke-width="1"/>"##)
            out.append(##"<text x="\##(c(left - 8))" y="\##(ty)" text-anchor="end" dominant-baseline="middle" fill="#444444">\##(ChartScale.fixed(tick, decimals: scale.decimals))</text>"##)
        }
        // Axes.
        out.append(##"<line x1="\##(c(left))" y1="\##(c(top))" x2="\##(c(left))" y2="\##(c(bottom))" stroke="#444444" stroke-width="1"/>"##)
        out.append(##"<line x1="\##(c(left))" y1="\##(c(y(0)))" x2="\##(c(right))" y2="\##(c(y(0)))" stroke="#444444" stroke-width="1"/>"##)
        // Category labels, shortened to what fits under their band.
        let fit = max(3, Int(band / 7))
        for (i, category) in categories.enumerated() {
            let label = category.count > fit ? String(category.prefix(fit - 1)) + "…" : category
            out.append(##"<text x="\##(c(left + band * (Double(i) + 0.5)))" y="\##(c(bottom + 18))" text-anchor="middle" fill="#444444">\##(Self.escape(label))</text>"##)
        }
        if !xLabel.isEmpty {
            out.append(##"<text x="\##(c((left + right) / 2))" y="\##(c(Self.height - 14))" text-anchor="middle" fill="#222222">\##(Self.escape(xLabel))</text>"##)
        }
        let yTitle = [yLabel, unit.isEmpty ? "" : "(\(unit))"].filter { !$0.isEmpty }.joined(separator: " ")
        if !yTitle.isEmpty {
            let mid = c((top + bottom) / 2)
            out.append(##"<text x="18" y="\##(mid)" transform="rotate(-90 18 \##(mid))" text-anchor="middle" fill="#222222">\##(Self.escape(yTitle))</text>"##)
        }
        out += style == .bars ? bars(y: y, left: left, band: band) : lines(y: y, left: left, band: band)
        if legendRows > 0 { out += legend(top: 40) }
        out.append("</svg>")
        return out.joined(separator: "\n") + "\n"
    }

    private func bars(y: (Double) -> Double, left: Double, band: Double) -> [String] {
        let c = ChartScale.coordinate
        // Bars at most 80 wide, centred in their band: two categories should not look like walls.
        let inner = min(band * 0.8 / Double(max(series.count, 1)), 80)
        let groupOffset = (band - inner * Double(max(series.count, 1))) / 2
        let labelled = inner >= 26
        var out: [String] = []
        for (s, row) in series.enumerated() {
            let colour = Self.palette[s % Self.palette.count]
            for i in categories.indices {
                guard let v = value(row, at: i) else { continue }
                let x = left + band * Double(i) + groupOffset + inner * Double(s) + 1
                let (y0, y1) = (min(y(v), y(0)), max(y(v), y(0)))
                out.append(##"<rect x="\##(c(x))" y="\##(c(y0))" width="\##(c(inner - 2))" height="\##(c(y1 - y0))" fill="\##(colour)"><title>\##(Self.escape(categories[i])): \##(ChartScale.label(v)) \##(Self.escape(unit))</title></rect>"##)
                if labelled {
                    out.append(##"<text x="\##(c(x + (inner - 2) / 2))" y="\##(c(y0 - 5))" text-anchor="middle" font-size="11" fill="#222222">\##(ChartScale.label(v))</text>"##)
                }
            }
        }
        return out
    }

    private func lines(y: (Double) -> Double, left: Double, band: Double) -> [String] {
        let c = ChartScale.coordinate
        var out: [String] = []
        for (s, row) in series.enumerated() {
            let colour = Self.palette[s % Self.palette.count]
            let points = categories.indices.compactMap { i in value(row, at: i).map { (left + band * (Double(i) + 0.5), y($0), $0, i) } }
            if points.count > 1 {
                let path = points.map { "\(c($0.0)),\(c($0.1))" }.joined(separator: " ")
                out.append(##"<polyline points="\##(path)" fill="none" stroke="\##(colour)" stroke-width="2"/>"##)
            }
            for p in points {
                out.append(##"<circle cx="\##(c(p.0))" cy="\##(c(p.1))" r="3.5" fill="\##(colour)"><title>\##(Self.escape(categories[p.3])): \##(ChartScale.label(p.2)) \##(Self.escape(unit))</title></circle>"##)
                if series.count == 1 {
                    out.append(##"<text x="\##(c(p.0))" y="\##(c(p.1 - 9))" text-anchor="middle" font-size="11" fill="#222222">\##(ChartScale.label(p.2))</text>"##)
                }
            }
        }
        return out
    }

    /// One row of coloured keys and names, centred under the title.
    private func legend(top: Double) -> [String] {
        let c = ChartScale.coordinate
        let widths = series.map { 22 + 7 * Double($0.name.count) + 16 }
        var x = (Self.width - widths.reduce(0, +)) / 2
        var out: [String] = []
        for (s, row) in series.enumerated() {
            out.append(##"<rect x="\##(c(x))" y="\##(c(top))" width="12" height="12" fill="\##(Self.palette[s % Self.palette.count])"/>"##)
            out.append(##"<text x="\##(c(x + 18))" y="\##(c(top + 6))" dominant-baseline="middle" fill="#222222">\##(Self.escape(row.name))</text>"##)
            x += widths[s]
        }
        return out
    }

    /// `text` safe in SVG text and attribute values (a title's newline becomes a space).
    static func escape(_ text: String) -> String {
        XMLEscape.text(text.replacingOccurrences(of: "\n", with: " "))
    }
}
