import Foundation

/// Where shown items go (see ``show(image:alt:)``, ``show(table:headers:)``, ``show(chart:)``).
///
/// By default an item's `text/plain` is printed on standard output, so a program that shows a
/// chart still runs on its own (`output/x.swift`). The recipe runner's program installs a
/// handler before its first block that hands each bundle to the runner over its private
/// channel; the first handler installed stays, so recipe code cannot divert the runner's.
public enum Display {
    /// Receives every shown item, one at a time, with its number in the program (1, 2, …).
    public typealias Handler = @Sendable (_ bundle: DisplayBundle, _ number: Int) -> Void

    private static let state = State()

    private final class State: @unchecked Sendable {
        let lock = NSLock()
        var handler: Handler?
        var shown = 0
    }

    /// Installs `handler` unless one is installed already; returns whether it was installed.
    @discardableResult
    public static func install(_ handler: @escaping Handler) -> Bool {
        state.lock.withLock {
            guard state.handler == nil else { return false }
            state.handler = handler
            return true
        }
    }

    /// Shows `bundle`: hands it to the installed handler, or prints its `text/plain`.
    /// Serialised, so items from several threads arrive whole and in some order.
    public static func show(_ bundle: DisplayBundle) {
        state.lock.withLock {
            state.shown += 1
            if let handler = state.handler {
                handler(bundle, state.shown)
            } else {
                print(bundle.data[DisplayBundle.plainText] ?? "<display: \(bundle.data.keys.sorted().joined(separator: ", "))>")
            }
        }
    }
}

/// Shows the PNG or SVG image in the file at `url` (relative paths start in the working
/// directory: in a recipe, its scratch folder, where the recipe's own files are saved), with
/// `alt` as its text. The recipe runner copies it into `output/images/` and links it after the
/// block's output. Throws ``DisplayError`` when the file cannot be read or is not an image.
public func show(image url: URL, alt: String = "") throws {
    let data: Data
    do {
        data = try Data(contentsOf: url)
    } catch {
        throw DisplayError.unreadable(url.path, (error as NSError).localizedFailureReason ?? error.localizedDescription)
    }
    Display.show(try DisplayBundle.image(data, alt: alt, source: url.path))
}

/// Shows the PNG or SVG image `data` with `alt` as its text.
public func show(image data: Data, alt: String = "") throws {
    Display.show(try DisplayBundle.image(data, alt: alt))
}

/// Shows a table of `rows` under `headers` (a Markdown table in a recipe's document).
public func show(table rows: [[String]], headers: [String]) {
    Display.show(.table(DisplayBundle.Table(headers: headers, rows: rows)))
}

/// Shows a table whose first row holds the headers.
public func show(table: [[String]]) {
    show(table: Array(table.dropFirst()), headers: table.first ?? [])
}

/// Shows `chart` as an SVG figure (its ``Chart/plainText`` as the text).
public func show(chart: Chart) {
    Display.show(DisplayBundle([DisplayBundle.svg: chart.svg(), DisplayBundle.plainText: chart.plainText]))
}
