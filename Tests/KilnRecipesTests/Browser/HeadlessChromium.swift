import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Debian's `chromium`, headless, driven over the DevTools protocol on a pipe
/// (`--remote-debugging-pipe`: the browser reads commands on fd 3 and writes replies and
/// events on fd 4, each a JSON object ended by a NUL byte). One browser serves every page of a
/// test: navigate, wait for the load event (which waits for images), evaluate a check in the
/// page, take a screenshot, and collect console errors, exceptions and failed loads.
final class HeadlessChromium {
    /// What loading one page found wrong (empty when it is fine).
    struct PageReport {
        var url: URL
        var problems: [String]
        var images: Int
        var links: Int
    }

    /// The browser executable: `$KILN_CHROMIUM`, else `chromium` or `chromium-browser` on PATH.
    static let executable: String? = {
        let env = ProcessInfo.processInfo.environment
        if let given = env["KILN_CHROMIUM"], !given.isEmpty { return given }
        for dir in (env["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            for name in ["chromium", "chromium-browser"] where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
                return "\(dir)/\(name)"
            }
        }
        return nil
    }()

    private let pid: pid_t
    private var input: Int32
    private var output: Int32
    private var buffer: [UInt8] = []
    private var nextID = 0
    private var events: [[String: Any]] = []
    private var session = ""
    /// How long any one reply or event may take (the machine may be busy).
    private let timeout: Double = 90

    /// Starts the browser with a fresh profile in `profile` (its log goes to `profile/chromium.log`)
    /// and opens one tab of `width`×`height` CSS pixels.
    init(profile: String, width: Int = 1000, height: Int = 800) throws {
        guard let executable = Self.executable else { throw BrowserError("chromium is not installed") }
        var toBrowser: [Int32] = [0, 0], fromBrowser: [Int32] = [0, 0]
        guard pipe(&toBrowser) == 0, pipe(&fromBrowser) == 0 else { throw BrowserError("pipe: \(errno)") }
        // Glibc's module does not export pipe2: close-on-exec set right after, so the ends do
        // not leak into processes other tests start.
        for fd in toBrowser + fromBrowser { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        // Away from 3 and 4, which the child's dup2s write: a pipe end already there would keep
        // its close-on-exec flag and vanish in the browser.
        let childIn = fcntl(toBrowser[0], F_DUPFD_CLOEXEC, 10), childOut = fcntl(fromBrowser[1], F_DUPFD_CLOEXEC, 10)
        [toBrowser[0], fromBrowser[1]].forEach { _ = Glibc.close($0) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, childIn, 3)
        posix_spawn_file_actions_adddup2(&actions, childOut, 4)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, profile + "/chromium.log", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let arguments = [
            executable, "--headless", "--remote-debugging-pipe", "--user-data-dir=\(profile)",
            // Tests run as root in containers, where Chromium's sandbox cannot start; the pages
            // loaded are the test's own files.
            "--no-sandbox",
            // Containers give /dev/shm 64 MB, too little for the renderer's shared memory.
            "--disable-dev-shm-usage",
            "--disable-gpu", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
            "--disable-background-networking", "--disable-sync", "--mute-audio", "--hide-scrollbars",
            "--window-size=\(width),\(height)", "about:blank",
        ]
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, executable, &actions, nil, argv, environ)
        [childIn, childOut].forEach { _ = Glibc.close($0) }
        guard status == 0 else {
            [toBrowser[1], fromBrowser[0]].forEach { _ = Glibc.close($0) }
            throw BrowserError("cannot start \(executable): \(String(cString: strerror(status)))")
        }
        pid = child
        input = toBrowser[1]
        output = fromBrowser[0]
        do {
            let target = try send("Target.createTarget", ["url": "about:blank"], toBrowser: true)
            guard let targetID = target["targetId"] as? String else { throw BrowserError("no targetId in \(target)") }
            let attached = try send("Target.attachToTarget", ["targetId": targetID, "flatten": true], toBrowser: true)
            guard let id = attached["sessionId"] as? String else { throw BrowserError("no sessionId in \(attached)") }
            session = id
            for domain in ["Page.enable", "Runtime.enable", "Log.enable"] { _ = try send(domain) }
            _ = try send("Emulation.setDeviceMetricsOverride",
                         ["width": width, "height": height, "deviceScaleFactor": 1, "mobile": false])
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    /// Loads `url`, checks it and saves a PNG screenshot of the first screen to `screenshot`.
    /// Problems: a console error or assertion, an uncaught exception, a resource that failed to
    /// load, an `<img>` not rendered (incomplete or `naturalWidth` 0), a link to a local file
    /// that does not exist. Links to other sites are not followed (tests run offline).
    func check(_ url: URL, screenshot: String) throws -> PageReport {
        events.removeAll()
        let navigation = try send("Page.navigate", ["url": url.absoluteString])
        var problems: [String] = []
        if let error = navigation["errorText"] as? String { problems.append("navigation failed: \(error)") }
        _ = try waitForEvent("Page.loadEventFired")
        let script = """
            JSON.stringify({
              images: [...document.images].map(i => ({src: i.getAttribute("src"), ok: i.complete && i.naturalWidth > 0,
                                                     width: i.naturalWidth})),
              links: [...document.querySelectorAll("a[href]")].map(a => a.href)
            })
            """
        let evaluated = try send("Runtime.evaluate", ["expression": script, "returnByValue": true])
        guard let json = (evaluated["result"] as? [String: Any])?["value"] as? String,
              let found = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            throw BrowserError("the page check returned \(evaluated)")
        }
        let images = found["images"] as? [[String: Any]] ?? []
        for image in images where image["ok"] as? Bool != true {
            problems.append("image not rendered: \(image["src"] ?? "?") (naturalWidth \(image["width"] ?? "?"))")
        }
        let links = found["links"] as? [String] ?? []
        for link in links {
            guard let target = URL(string: link), target.isFileURL else { continue }
            if !FileManager.default.fileExists(atPath: target.path) { problems.append("broken link: \(link)") }
        }
        problems += eventProblems()
        let shot = try send("Page.captureScreenshot", ["format": "png"])
        guard let base64 = shot["data"] as? String, let png = Data(base64Encoded: base64) else {
            throw BrowserError("no screenshot data for \(url.path)")
        }
        try png.write(to: URL(fileURLWithPath: screenshot))
        return PageReport(url: url, problems: problems, images: images.count, links: links.count)
    }

    /// Console errors, exceptions and failed loads among the events since the navigation.
    private func eventProblems() -> [String] {
        events.compactMap { event in
            let params = event["params"] as? [String: Any] ?? [:]
            switch event["method"] as? String {
            case "Runtime.consoleAPICalled":
                guard let type = params["type"] as? String, type == "error" || type == "assert" else { return nil }
                let args = (params["args"] as? [[String: Any]] ?? []).map { "\($0["value"] ?? $0["description"] ?? "?")" }
                return "console.\(type): \(args.joined(separator: " "))"
            case "Runtime.exceptionThrown":
                let details = params["exceptionDetails"] as? [String: Any] ?? [:]
                let exception = (details["exception"] as? [String: Any])?["description"] ?? details["text"] ?? "?"
                return "uncaught exception: \(exception)"
            case "Log.entryAdded":
                guard let entry = params["entry"] as? [String: Any], entry["level"] as? String == "error" else { return nil }
                return "console error: \(entry["text"] ?? "?") \(entry["url"] ?? "")"
            default:
                return nil
            }
        }
    }

    /// Asks the browser to quit, then kills it if it has not within 10 s.
    func close() {
        guard input >= 0 else { return }
        _ = try? write(["id": 999_999, "method": "Browser.close"])
        Glibc.close(input)
        Glibc.close(output)
        input = -1
        output = -1
        var status: Int32 = 0
        for _ in 0..<100 {
            if waitpid(pid, &status, WNOHANG) == pid { return }
            usleep(100_000)
        }
        kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
    }

    // MARK: protocol

    /// Sends a command to the page's session (or the browser itself) and returns its result;
    /// events read meanwhile are kept.
    private func send(_ method: String, _ params: [String: Any] = [:], toBrowser: Bool = false) throws -> [String: Any] {
        nextID += 1
        let id = nextID
        var message: [String: Any] = ["id": id, "method": method, "params": params]
        if !toBrowser { message["sessionId"] = session }
        try write(message)
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let reply = try readMessage(until: deadline, waiting: method)
            if reply["id"] as? Int == id {
                if let error = reply["error"] { throw BrowserError("\(method) failed: \(error)") }
                return reply["result"] as? [String: Any] ?? [:]
            }
            if reply["method"] != nil { events.append(reply) }
        }
    }

    private func waitForEvent(_ method: String) throws -> [String: Any] {
        if let seen = events.first(where: { $0["method"] as? String == method }) { return seen }
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let message = try readMessage(until: deadline, waiting: method)
            guard message["method"] != nil else { continue }
            events.append(message)
            if message["method"] as? String == method { return message }
        }
    }

    private func write(_ message: [String: Any]) throws {
        var data = try JSONSerialization.data(withJSONObject: message)
        data.append(0)
        try data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(input, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw BrowserError("the browser closed its pipe (write: errno \(errno))") }
                offset += n
            }
        }
    }

    private func readMessage(until deadline: Date, waiting what: String) throws -> [String: Any] {
        while true {
            if let end = buffer.firstIndex(of: 0) {
                let data = Data(buffer[..<end])
                buffer.removeSubrange(...end)
                guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { continue }
                return object
            }
            let remaining = Int32(max(0, deadline.timeIntervalSinceNow * 1000))
            guard remaining > 0 else { throw BrowserError("timed out after \(Int(timeout)) s waiting for \(what)") }
            var fd = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
            let ready = poll(&fd, 1, remaining)
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let n = Glibc.read(output, &chunk, chunk.count)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw BrowserError("the browser exited while waiting for \(what)") }
            buffer += chunk[..<n]
        }
    }
}

/// A failure of the browser itself (not of a page).
struct BrowserError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
