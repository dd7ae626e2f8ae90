import Foundation

/// Splits the recipe program's merged stdout/stderr into per-block outputs at the marker lines
/// written by the generated program (see ``ProgramGenerator``), bounding each block's capture.
///
/// A marker (``BlockMarker``) may follow a partial
/// line (the output before it belongs to the previous block) and may arrive split across reads.
struct OutputSplitter {
    /// One block's bounded capture: the head of its output (up to the limit) and, past it, the
    /// last `tailLimit` bytes, so a failure's report at the end survives a flood.
    struct Capture {
        var bytes: [UInt8] = []
        /// Bytes past the head, the last `tailLimit` of them kept (up to twice that between trims).
        var tail: [UInt8] = []
        /// How many bytes past the head were written in all.
        var pastHead = 0
    }

    /// Bytes kept from the end of a block's output once it passed the limit: 64 KiB, at most
    /// the limit itself.
    var tailLimit: Int { min(65_536, limit) }

    let prefix: [UInt8]
    let limit: Int
    private var pending: [UInt8] = []
    /// Captures by block index; `-1` collects output before the first marker, and
    /// ``afterLastBlock`` output after the last block's end.
    private(set) var captures: [Int: Capture] = [:]
    /// The block whose output is being collected (the last `begin`), or -1 before any.
    private(set) var current = -1

    /// The capture of output after `lastBlock` ended (an `atexit` handler's, say).
    static let afterLastBlock = -2
    /// The block whose `end` marker starts ``afterLastBlock``.
    let lastBlock: Int?

    /// A splitter for markers carrying `secret`; `lastBlock` is the last runnable block.
    init(secret: String, limit: Int, lastBlock: Int? = nil) {
        prefix = Array(BlockMarker.prefix(secret: secret).utf8)
        self.limit = limit
        self.lastBlock = lastBlock
    }

    /// Feeds bytes; calls `onMarker` for each complete marker in order.
    mutating func feed(_ bytes: ArraySlice<UInt8>, onMarker: (BlockMarker) -> Void) {
        // Fast path for floods: no marker can start in these bytes and none is held back, so
        // they are all output. memchr scans them without per-byte Swift overhead, which a
        // debug build would otherwise pay on every byte of a flood.
        guard !bytes.isEmpty else { return }
        if pending.isEmpty && !bytes.withUnsafeBytes({ memchr($0.baseAddress!, 0x1E, $0.count) != nil }) {
            append(bytes)
            return
        }
        pending.append(contentsOf: bytes)
        var start = 0
        while start < pending.count {
            guard let hit = find(prefix, in: pending, from: start) else {
                // Keep a tail that could be the beginning of a marker.
                let keep = min(pending.count - start, prefix.count - 1)
                var tailStart = pending.count - keep
                while tailStart < pending.count && !isPrefixOfMarker(pending[tailStart...]) { tailStart += 1 }
                append(pending[start..<tailStart])
                start = tailStart
                break
            }
            append(pending[start..<hit])
            guard let newline = pending[(hit + prefix.count)...].firstIndex(of: 10) else {
                start = hit
                break
            }
            let payload = String(decoding: pending[(hit + prefix.count)..<newline], as: UTF8.self)
            if let marker = BlockMarker(payload: payload) {
                if marker.kind == .begin { current = marker.block }
                if marker.kind == .end && marker.block == lastBlock { current = Self.afterLastBlock }
                onMarker(marker)
            }
            start = newline + 1
        }
        pending.removeFirst(start)
    }

    /// Flushes bytes held back as a possible marker start (call at end of stream).
    mutating func finish() {
        append(pending[...])
        pending.removeAll()
    }

    /// The text of a block's output, with invalid UTF-8 and NUL bytes replaced by U+FFFD (a
    /// NUL would make git treat the regenerated document as binary) and a note when truncated.
    func text(of block: Int) -> String {
        guard let c = captures[block] else { return "" }
        var text = Self.decode(c.bytes[...])
        var tail = c.tail.suffix(tailLimit)
        if c.pastHead > tail.count {
            // Start the kept tail at a line (when one starts inside it), else at a character:
            // not inside a UTF-8 sequence.
            if let newline = tail.firstIndex(of: 10), newline + 1 < tail.endIndex {
                tail = tail[(newline + 1)...]
            } else {
                tail = tail.drop { (0x80...0xBF).contains($0) }
            }
        }
        let dropped = c.pastHead - tail.count
        if dropped > 0 {
            if !text.hasSuffix("\n") { text += "\n" }
            text += "… output truncated (\(dropped) bytes dropped)\n"
        }
        return text + Self.decode(tail)
    }

    /// `bytes` as text, invalid UTF-8 and NUL replaced by U+FFFD.
    private static func decode(_ bytes: ArraySlice<UInt8>) -> String {
        let text = String(decoding: bytes, as: UTF8.self)
        return bytes.contains(0) ? text.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}") : text
    }

    private mutating func append(_ bytes: ArraySlice<UInt8>) {
        guard !bytes.isEmpty else { return }
        // Mutate in place through the dictionary: copying the capture out and back would copy
        // up to `limit` bytes per read.
        let room = max(0, limit - (captures[current]?.bytes.count ?? 0))
        if room > 0 { captures[current, default: Capture()].bytes.append(contentsOf: bytes.prefix(room)) }
        guard bytes.count > room else { return }
        let past = bytes.dropFirst(room)
        captures[current, default: Capture()].pastHead += past.count
        captures[current, default: Capture()].tail.append(contentsOf: past.suffix(tailLimit))
        // Trim only when twice the tail is held, so a stream of small reads does not shift the
        // tail on every read.
        if let count = captures[current]?.tail.count, count > 2 * tailLimit {
            captures[current, default: Capture()].tail.removeFirst(count - tailLimit)
        }
    }

    private func isPrefixOfMarker(_ tail: ArraySlice<UInt8>) -> Bool {
        zip(tail, prefix).allSatisfy { $0 == $1 }
    }

    private func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard haystack.count - from >= needle.count else { return nil }
        var i = from
        let first = needle[0]
        while i <= haystack.count - needle.count {
            // Jump to the next candidate first byte with memchr (hostile output may be mostly 0x1E).
            let next = haystack.withUnsafeBytes { raw -> Int? in
                guard let hit = memchr(raw.baseAddress! + i, Int32(first), haystack.count - needle.count + 1 - i) else { return nil }
                return UnsafeRawPointer(hit) - raw.baseAddress!
            }
            guard let candidate = next else { return nil }
            if haystack[candidate..<(candidate + needle.count)].elementsEqual(needle) { return candidate }
            i = candidate + 1
        }
        return nil
    }
}
