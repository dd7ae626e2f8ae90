import Foundation

/// A ready-made ``RunReporter`` for the CLI, writing to standard error.
///
/// On a terminal it keeps one progress line, rewritten in place and refreshed twice a second:
/// `[2/5] recipes/x.md  block 3/7  12.3 s`. Otherwise (CI logs, pipes) it prints plain lines
/// only. Either way each finished recipe gets a permanent line:
/// `PASS recipes/x.md (1.234 s)`, `CACHED recipes/x.md`, `FAIL recipes/x.md:12: thrown error: …`
/// or `INVALID recipes/x.md:3: unknown block option …`.
public final class ConsoleReporter: RunReporter, @unchecked Sendable {
    private let isTerminal: Bool
    private let sink: @Sendable (String) -> Void
    private let lock = NSLock()
    private var total = 0
    private var done = 0
    private var current: (path: String, block: String, since: Date)?
    private var timer: DispatchSourceTimer?
    private var lineShown = false

    /// Creates a reporter; by default it detects a terminal on stderr and writes there.
    public init(isTerminal: Bool = isatty(2) != 0,
                write: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.isTerminal = isTerminal
        sink = write
    }

    public func report(_ event: RunEvent) {
        lock.lock()
        defer { lock.unlock() }
        switch event {
        case .started(let count):
            total = count
            if isTerminal { startTimer() }
        case .recipeStarted(let path, _, _):
            current = (path, "", Date())
        case .compiling(let path):
            current = (path, "compiling", current?.since ?? Date())
        case .blockStarted(let path, let block, let count, _):
            current = (path, "block \(block)/\(count)", current?.since ?? Date())
        case .blockFinished:
            break
        case .recipeFinished(let report):
            done += 1
            permanent(Self.line(for: report))
        case .finished:
            timer?.cancel()
            timer = nil
            clearLine()
            current = nil
        }
        if isTerminal { redraw() }
    }

    /// The permanent line for a finished recipe.
    public static func line(for report: RecipeReport) -> String {
        if report.cached { return "CACHED \(report.path)" }
        switch report.status {
        case .passed: return "PASS \(report.path) (\(formatSeconds(report.seconds)) s)"
        case .failed: return "FAIL \(report.failure ?? report.path)"
        case .invalid: return "INVALID \(report.failure ?? report.path)"
        }
    }

    private func permanent(_ text: String) {
        clearLine()
        sink(text + "\n")
    }

    private func clearLine() {
        if isTerminal && lineShown {
            sink("\r\u{1B}[2K")
            lineShown = false
        }
    }

    private func redraw() {
        guard let c = current else { return }
        let elapsed = String(format: "%.1f s", Date().timeIntervalSince(c.since))
        sink("\r\u{1B}[2K[\(min(done + 1, total))/\(total)] \(c.path)  \(c.block)  \(elapsed)")
        lineShown = true
    }

    private func startTimer() {
        let t = DispatchSource.makeTimerSource(queue: DispatchQueue.global())
        t.schedule(deadline: .now() + 0.5, repeating: 0.5)
        t.setEventHandler { [weak self] in
            guard let self else { return }
            self.lock.lock()
            defer { self.lock.unlock() }
            self.redraw()
        }
        timer = t
        t.resume()
    }
}
