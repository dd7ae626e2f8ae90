/// A marker line of a recipe program, `"\u{1E}KILN-<secret> <kind> <block> <monotonic ns>\n"`:
/// the program ``ProgramGenerator`` generates writes one before and after each block, and
/// ``OutputSplitter`` parses them back out of the output. Both take the spelling from here.
struct BlockMarker: Equatable {
    /// What the marker says about its block.
    enum Kind: String {
        /// The block starts.
        case begin
        /// The block completed.
        case end
        /// An `expect-error` block completed without throwing; the program exits after it.
        case unexpected
        /// The running block showed an item (``Display``): its number, in place of the block's
        /// index, names the file the program wrote it to in its display folder.
        case display
    }

    var kind: Kind
    /// The block's index among the recipe's blocks (for `display`, the item's number).
    var block: Int
    /// The program's monotonic clock, so a block's time excludes the pipe's delays.
    var nanoseconds: UInt64

    /// Starts every marker: U+001E (record separator) never starts a line of ordinary output.
    private static let lead = "\u{1E}KILN-"

    /// The text before the kind: lead, the run's secret, space.
    static func prefix(secret: String) -> String { lead + secret + " " }

    /// ``lead`` as the inside of a Swift string literal (control characters escaped), for the
    /// generated program's source.
    static var leadLiteral: String {
        lead.unicodeScalars.map { scalar in
            scalar.value < 0x20 ? "\\u{\(String(scalar.value, radix: 16, uppercase: true))}" : String(scalar)
        }.joined()
    }

    /// Parses the text between the prefix and the newline (`begin 3 123456`).
    init?(payload: String) {
        let parts = payload.split(separator: " ")
        guard parts.count == 3, let kind = Kind(rawValue: String(parts[0])), let block = Int(parts[1]),
              let nanoseconds = UInt64(parts[2]) else { return nil }
        self.init(kind: kind, block: block, nanoseconds: nanoseconds)
    }

    init(kind: Kind, block: Int, nanoseconds: UInt64) {
        self.kind = kind
        self.block = block
        self.nanoseconds = nanoseconds
    }
}
