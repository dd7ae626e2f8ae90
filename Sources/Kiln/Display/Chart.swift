/// A small chart of what recipes measure — latency per batch size, first call AOT against JIT,
/// AUTOTUNE timings — drawn as bars or lines over named categories and rendered to SVG
/// (``svg()``) with a title, axes, tick labels, axis labels with units and, for several series,
/// a legend. The SVG is a pure function of the chart (fixed size, fonts and palette, numbers
/// printed the same way everywhere), so an unchanged chart regenerates byte for byte.
///
/// ```swift
/// show(chart: Chart.bars("First inference", ["AOT (load + run)": 12.5, "JIT": 2900], yLabel: "time", unit: "ms"))
/// show(chart: Chart(title: "Latency per batch", style: .line, categories: ["1", "8", "32"],
///                   series: [.init("median", [2.1, 9.8, 37.0])], xLabel: "batch", yLabel: "latency", unit: "ms"))
/// ```
public struct Chart: Sendable, Equatable {
    /// How values are drawn.
    public enum Style: String, Sendable {
        /// One bar per category and series (grouped when there are several series).
        case bars
        /// One line per series through its values at the categories, with a dot at each.
        case line
    }

    /// One named row of values, one per category (NaN or a missing value: no mark).
    public struct Series: Sendable, Equatable {
        /// The legend's name for it.
        public var name: String
        /// Its values, in category order.
        public var values: [Double]

        /// A series `name` of `values`.
        public init(_ name: String, _ values: [Double]) {
            self.name = name
            self.values = values
        }
    }

    /// The title above the plot.
    public var title: String
    /// Bars or lines.
    public var style: Style
    /// The x axis's labels, left to right.
    public var categories: [String]
    /// The values.
    public var series: [Series]
    /// The x axis's label.
    public var xLabel: String
    /// The y axis's label (the unit is added in parentheses).
    public var yLabel: String
    /// The values' unit (`ms`), shown on the y axis and in the text form.
    public var unit: String

    /// A chart of `series` over `categories`.
    public init(title: String, style: Style = .bars, categories: [String], series: [Series],
                xLabel: String = "", yLabel: String = "", unit: String = "") {
        self.title = title
        self.style = style
        self.categories = categories
        self.series = series
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.unit = unit
    }

    /// A bar chart of one value per label, in the order given.
    public static func bars(_ title: String, _ values: KeyValuePairs<String, Double>, xLabel: String = "",
                            yLabel: String = "", unit: String = "") -> Chart {
        Chart(title: title, style: .bars, categories: values.map(\.key), series: [Series(yLabel, values.map(\.value))],
              xLabel: xLabel, yLabel: yLabel, unit: unit)
    }

    /// The value of `series` at category `index`, if it has a finite one.
    func value(_ series: Series, at index: Int) -> Double? {
        guard index < series.values.count, series.values[index].isFinite else { return nil }
        return series.values[index]
    }

    /// The chart as text: the title, then one line per category with each series' value.
    public var plainText: String {
        let unitSuffix = unit.isEmpty ? "" : " " + unit
        var lines = [title]
        for (i, category) in categories.enumerated() {
            let values = series.map { s -> String in
                let v = value(s, at: i).map { ChartScale.label($0) + unitSuffix } ?? "n/a"
                return series.count > 1 ? "\(s.name) \(v)" : v
            }
            lines.append("  \(category): " + values.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }
}
