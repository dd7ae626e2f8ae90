import Foundation

/// The textual scan of C sources behind the choice of a library's kernel files (which `.c` file defines
/// and uses which `kiln_…` symbols) and the compile order (which headers a file includes).
enum KernelSymbolScan {
    struct Index {
        /// symbol → the `.c` files that define it (more than one only for a forward declaration).
        var definers: [String: [String]] = [:]
        /// `.c` file → the `kiln_…` identifiers its code (and its included headers' code) uses.
        var references: [String: Set<String>] = [:]
        /// header → the identifiers its code uses (inline bodies and macros, not prototypes).
        var headerReferences: [String: Set<String>] = [:]
        /// `.c` file → the symbols it defines.
        var definitions: [String: Set<String>] = [:]
    }

    static func index(_ files: [(name: String, text: String)]) -> Index {
        var index = Index()
        for f in files where f.name.hasSuffix(".h") {
            // In a header only code lines count: indented (inline function bodies) or macros.
            // Its column-0 prototypes name every kernel and would pull in all of them.
            let code = stripComments(f.text).split(separator: "\n", omittingEmptySubsequences: false)
                .filter { $0.first == " " || $0.first == "\t" || $0.hasPrefix("#define") }
                .joined(separator: "\n")
            index.headerReferences[f.name] = identifiers(in: code).union(includes(f.text).map { "#" + $0 })
        }
        // Headers including headers: flatten, so a file's references cover everything it pulls in.
        var resolved: [String: Set<String>] = [:]
        for name in index.headerReferences.keys { resolved[name] = closure(of: name, in: index.headerReferences) }
        index.headerReferences = resolved
        for f in files where f.name.hasSuffix(".c") {
            index.references[f.name] = references(in: f.text, includes: index.headerReferences)
            let defined = definitions(in: f.text)
            index.definitions[f.name] = defined
            for s in defined { index.definers[s, default: []].append(f.name) }
        }
        return index
    }

    /// The identifiers `source` uses, with those of the headers it includes.
    static func references(in source: String, includes headers: [String: Set<String>]) -> Set<String> {
        var symbols = identifiers(in: stripComments(source))
        for h in includes(source) { symbols.formUnion(headers[h] ?? []) }
        return symbols
    }

    private static func closure(of header: String, in raw: [String: Set<String>]) -> Set<String> {
        var seen: Set<String> = [header], out = Set<String>(), stack = [header]
        while let h = stack.popLast() {
            for s in raw[h] ?? [] {
                if s.hasPrefix("#") {
                    let inc = String(s.dropFirst())
                    if seen.insert(inc).inserted { stack.append(inc) }
                } else {
                    out.insert(s)
                }
            }
        }
        return out
    }

    /// `#include "x.h"` targets.
    static func includes(_ text: String) -> [String] {
        text.split(separator: "\n").compactMap { line -> String? in
            let t = line.drop(while: { $0 == " " })
            guard t.hasPrefix("#include \"") else { return nil }
            let rest = t.dropFirst("#include \"".count)
            return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
        }
    }

    /// Symbols defined at file scope: a column-0 line that is not `static`/`extern`/`typedef`/
    /// a directive, naming a `kiln_…` identifier followed by `(`, `=` or `[`.
    static func definitions(in source: String) -> Set<String> {
        var out = Set<String>()
        for line in stripComments(source).split(separator: "\n") {
            guard let c = line.first, c.isLetter || c == "_" else { continue }
            if ["static ", "extern ", "typedef ", "struct ", "enum ", "union "].contains(where: { line.hasPrefix($0) }) { continue }
            let chars = Array(line.utf8)
            for (start, end) in identifierRanges(chars) where isKilnSymbol(chars, start, end) {
                var j = end
                while j < chars.count, chars[j] == UInt8(ascii: " ") { j += 1 }
                if j < chars.count, [UInt8(ascii: "("), UInt8(ascii: "="), UInt8(ascii: "[")].contains(chars[j]) {
                    out.insert(String(decoding: chars[start..<end], as: UTF8.self))
                    break
                }
            }
        }
        return out
    }

    /// Every `kiln_…` identifier in `code`.
    static func identifiers(in code: String) -> Set<String> {
        let chars = Array(code.utf8)
        var out = Set<String>()
        for (start, end) in identifierRanges(chars) where isKilnSymbol(chars, start, end) {
            out.insert(String(decoding: chars[start..<end], as: UTF8.self))
        }
        return out
    }

    private static func isKilnSymbol(_ c: [UInt8], _ start: Int, _ end: Int) -> Bool {
        end - start > 5 && c[start] == UInt8(ascii: "k") && c[start + 1] == UInt8(ascii: "i") && c[start + 2] == UInt8(ascii: "l")
            && c[start + 3] == UInt8(ascii: "n") && c[start + 4] == UInt8(ascii: "_")
    }

    private static func identifierRanges(_ c: [UInt8]) -> [(Int, Int)] {
        func isIdent(_ b: UInt8) -> Bool { b == UInt8(ascii: "_") || (b >= 48 && b <= 57) || ((b | 0x20) >= 97 && (b | 0x20) <= 122) }
        var out: [(Int, Int)] = [], i = 0
        while i < c.count {
            guard isIdent(c[i]) else { i += 1; continue }
            let start = i
            while i < c.count, isIdent(c[i]) { i += 1 }
            if !(c[start] >= 48 && c[start] <= 57) { out.append((start, i)) }
        }
        return out
    }

    /// `text` with comments and string/char literals blanked (newlines kept, so lines stay lines).
    static func stripComments(_ text: String) -> String {
        let c = Array(text.utf8)
        var out = [UInt8](), i = 0
        out.reserveCapacity(c.count)
        while i < c.count {
            if c[i] == UInt8(ascii: "/"), i + 1 < c.count, c[i + 1] == UInt8(ascii: "*") {
                i += 2
                while i < c.count, !(c[i] == UInt8(ascii: "*") && i + 1 < c.count && c[i + 1] == UInt8(ascii: "/")) {
                    if c[i] == UInt8(ascii: "\n") { out.append(c[i]) }
                    i += 1
                }
                i += 2
                out.append(UInt8(ascii: " "))
            } else if c[i] == UInt8(ascii: "/"), i + 1 < c.count, c[i + 1] == UInt8(ascii: "/") {
                while i < c.count, c[i] != UInt8(ascii: "\n") { i += 1 }
            } else if c[i] == UInt8(ascii: "\"") || c[i] == UInt8(ascii: "'") {
                let quote = c[i]
                i += 1
                while i < c.count, c[i] != quote, c[i] != UInt8(ascii: "\n") { i += c[i] == UInt8(ascii: "\\") ? 2 : 1 }
                i += 1
                out.append(UInt8(ascii: " "))
            } else {
                out.append(c[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
