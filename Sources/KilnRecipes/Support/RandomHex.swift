/// Random hexadecimal strings: the nonces in a recipe program's markers and the tokens that tag
/// a child's descendants. Unguessable is all they need to be.
enum RandomHex {
    /// `words * 16` random hex digits (16 per random 64-bit word, zero-padded).
    static func string(words: Int = 1) -> String {
        (0..<words).map { _ in
            let hex = String(UInt64.random(in: .min ... .max), radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }
}
