import SwiftParser
import SwiftSyntax

/// SwiftParser, bounded for untrusted recipes. Its lookahead for inline-array types
/// (`[3 of Int]`) is exponential in how deeply `[` nests: each level doubles the time (the
/// recipe fuzzer's ASan build took 2 s at 16 levels, 20 s at 20 and 6 minutes at 24). Code that
/// nests `[` deeper than ``maxBracketDepth`` (counted over the raw text, strings and comments
/// included, so the count can only be too high) is not handed to the parser; callers treat it
/// as code that does not parse.
enum SwiftParsing {
    /// Far above what real code nests, far below where parsing gets slow (~1 ms at 12 levels).
    static let maxBracketDepth = 12

    /// The deepest nesting of `[` in `code` (a `]` without its `[` does not go below zero).
    static func bracketDepth(_ code: String) -> Int {
        var depth = 0, deepest = 0
        for byte in code.utf8 {
            if byte == UInt8(ascii: "[") {
                depth += 1
                deepest = max(deepest, depth)
            } else if byte == UInt8(ascii: "]") {
                depth = max(0, depth - 1)
            }
        }
        return deepest
    }

    /// The syntax tree of `code`, or nil when it nests `[` too deeply to parse safely.
    static func parse(_ code: String) -> SourceFileSyntax? {
        bracketDepth(code) > maxBracketDepth ? nil : Parser.parse(source: code)
    }
}
