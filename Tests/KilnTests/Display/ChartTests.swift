import Foundation
import KilnTestSupport
import Testing
@testable import Kiln

@Suite struct ChartTests {
    static let bars = Chart(title: "First inference <AOT & JIT>", style: .bars, categories: ["AOT: load + run", "JIT: first call", "JIT: second"],
                            series: [.init("median", [12.5, 2900, 9.75]), .init("p90", [14, 3100, .nan])],
                            xLabel: "path", yLabel: "time", unit: "ms")
    static let line = Chart(title: "Latency per batch", style: .line, categories: ["1", "2", "4", "8"],
                            series: [.init("median", [2.1, 3.9, 7.6, 15.2])], xLabel: "batch", yLabel: "latency", unit: "ms")

    /// The SVG is a pure function of the chart: snapshots pin every coordinate, and a second
    /// rendering is the same bytes.
    @Test func svgSnapshots() {
        Snapshot.expectMatches(Self.bars.svg(), named: "chart-bars.svg")
        Snapshot.expectMatches(Self.line.svg(), named: "chart-line.svg")
        #expect(Self.bars.svg() == Self.bars.svg())
    }

    @Test func svgHasTitleAxesLabelsAndEscapes() {
        let svg = Self.bars.svg()
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"360\""))
        #expect(svg.contains("<title>First inference &lt;AOT &amp; JIT&gt;</title>"))
        #expect(!svg.contains("<AOT"))
        #expect(svg.contains(">time (ms)</text>"))
        #expect(svg.contains(">path</text>"))
        #expect(svg.contains(">p90</text>"), "two series get a legend")
        // The NaN of the second series draws nothing: 5 bars, not 6.
        #expect(svg.components(separatedBy: "<rect x=").count - 1 == 5 + 2, "5 bars and 2 legend keys")
        #expect(Self.line.svg().contains("<polyline points="))
    }

    @Test func scaleUsesRoundSteps() {
        let s = ChartScale(values: [12.5, 2900])
        #expect(s.step == 500 && s.low == 0 && s.high == 3000)
        #expect(s.ticks == [0, 500, 1000, 1500, 2000, 2500, 3000])
        let negative = ChartScale(values: [-0.3, 0.7])
        #expect(negative.low < 0 && negative.high >= 0.7 && negative.decimals == 1)
        #expect(ChartScale(values: []).high == 1)
        #expect(ChartScale(values: [0, 0]).ticks.first == 0)
        #expect(ChartScale.label(2900) == "2900" && ChartScale.label(12.5) == "12.5" && ChartScale.label(0.1234) == "0.123")
        #expect(ChartScale.fixed(-0.0001, decimals: 2) == "0.00")
    }

    @Test func plainTextListsEveryValue() {
        #expect(Self.line.plainText == "Latency per batch\n  1: 2.10 ms\n  2: 3.90 ms\n  4: 7.60 ms\n  8: 15.2 ms")
        #expect(Self.bars.plainText.contains("JIT: second: median 9.75 ms, p90 n/a"))
    }
}

@Suite struct DisplayBundleTests {
    static let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13])

    @Test func imagesAreToldByContent() throws {
        #expect(try DisplayBundle.image(Self.png, alt: "p").data == [DisplayBundle.png: Self.png.base64EncodedString(), DisplayBundle.plainText: "p"])
        let svg = "\u{FEFF}<?xml version=\"1.0\"?>\n<!-- made by hand -->\n<!DOCTYPE svg>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>"
        #expect(try DisplayBundle.image(Data(svg.utf8), alt: "").data[DisplayBundle.svg]?.hasSuffix("-->\n<!DOCTYPE svg>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>") == true)
        #expect(throws: DisplayError.notAnImage("the image data")) { try DisplayBundle.image(Data("GIF89a".utf8), alt: "") }
        #expect(throws: DisplayError.notAnImage("the image data")) { try DisplayBundle.image(Data("<html><svg/></html>".utf8), alt: "") }
        let huge = Data(count: DisplayError.maximumImageBytes + 1)
        #expect(throws: DisplayError.tooLarge("the image data", bytes: huge.count)) { try DisplayBundle.image(huge, alt: "") }
    }

    @Test func missingFileIsATypedErrorWithAFix() {
        do {
            try show(image: URL(fileURLWithPath: "/nonexistent/plot.png"))
            Issue.record("expected an error")
        } catch let error as DisplayError {
            #expect(error.description.hasPrefix("show(image:): cannot read /nonexistent/plot.png"))
            #expect(error.suggestion?.hasPrefix("Suggested fix: ") == true)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func jsonRoundTripsAndIsStable() throws {
        let bundle = DisplayBundle.table(.init(headers: ["batch", "ms"], rows: [["1", "2.5"], ["8"]]))
        #expect(try DisplayBundle(json: bundle.json()) == bundle)
        #expect(bundle.json() == DisplayBundle.table(.init(headers: ["batch", "ms"], rows: [["1", "2.5"], ["8"]])).json())
        #expect(bundle.data[DisplayBundle.plainText] == "batch  ms\n-----  ---\n1      2.5\n8")
        #expect(throws: (any Error).self) { try DisplayBundle(json: Data("[]".utf8)) }
    }

    /// The first handler stays (the recipe runner's); every item reaches it numbered.
    @Test func firstInstalledHandlerReceivesNumberedItems() {
        let seen = SeenItems()
        let installed = Display.install { bundle, number in seen.add(number, bundle) }
        #expect(!Display.install { _, _ in })
        guard installed else { return }  // another test of this process installed one first
        show(table: [["a"], ["1"]])
        show(chart: ChartTests.line)
        let items = seen.items
        #expect(items.count == 2 && items[1].0 == items[0].0 + 1)
        #expect(items[1].1.data[DisplayBundle.svg] == ChartTests.line.svg())
    }

    final class SeenItems: @unchecked Sendable {
        private let lock = NSLock()
        private var list: [(Int, DisplayBundle)] = []
        func add(_ n: Int, _ b: DisplayBundle) { lock.withLock { list.append((n, b)) } }
        var items: [(Int, DisplayBundle)] { lock.withLock { list } }
    }
}
