import Foundation

/// One row of a layering table: the files in `folder` (relative to the checked root, e.g.
/// "Compile/Lowering"; "" for files directly in the root) may use what they declare
/// themselves and what the folders in `mayUse` declare, nothing else. A folder in `mayUse`
/// includes its subfolders ("Compile" allows "Compile/Base" too); a file belongs to the
/// rule with the longest matching `folder`.
public struct LayerRule: Sendable {
    public let folder: String
    public let mayUse: Set<String>

    public init(_ folder: String, mayUse: [String]) {
        self.folder = folder
        self.mayUse = Set(mayUse)
    }

    /// Whether a file under this rule may use names declared in `other`.
    public func allows(_ other: String) -> Bool {
        other == folder || mayUse.contains { other == $0 || other.hasPrefix($0 + "/") }
    }
}

/// A file using a name declared in a folder its rule does not allow (or a file in a folder
/// that no rule covers).
public struct LayerViolation: Sendable, CustomStringConvertible {
    /// Path relative to the root, e.g. "Compile/Toolchain/CompileCache.swift".
    public let file: String
    public let line: Int
    /// The name used ("" for a folder without a rule).
    public let identifier: String
    /// The file's folder and the folder(s) declaring the name.
    public let from: String
    public let declaredIn: [String]
    /// The rule broken, in words.
    public let rule: String

    public var description: String {
        identifier.isEmpty ? "\(file): \(rule)"
            : "\(file):\(line): uses \(identifier) (declared in \(declaredIn.joined(separator: ", "))): \(rule)"
    }
}

/// Layering check for one Swift target: Swift has no module boundary between the folders of
/// a target, so "Support uses nothing above it" needs a test to stay true.
///
/// Deliberately simple, no parser: it collects the names of top-level declarations
/// (`struct|class|enum|protocol|actor|typealias|func|let|var` at column 0, after attributes
/// and modifiers) per folder, then reads every file's code (comments and string literals
/// skipped, interpolations kept) and reports each identifier declared only in folders the
/// file's rule does not allow. Member accesses (`.name`), argument labels (`name:`) and
/// names being declared (`func name`) are not uses. `extension X` is a use of X.
public enum LayerCheck {
    /// Every violation under `root` (a target's source folder) of `rules`; empty when the
    /// layering holds. Rules match a file's folder by the longest `folder` prefix.
    public static func violations(root: URL, rules: [LayerRule]) throws -> [LayerViolation] {
        let files = try swiftFiles(under: root)
        var declaredIn: [String: Set<String>] = [:]
        var texts: [(path: String, folder: LayerRule?, text: String)] = []
        for path in files {
            let text = try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
            let rule = Self.rule(for: path, in: rules)
            texts.append((path, rule, text))
            let folder = rule?.folder ?? directory(of: path)
            for name in topLevelDeclarations(in: text) { declaredIn[name, default: []].insert(folder) }
        }
        var out: [LayerViolation] = []
        for (path, rule, text) in texts {
            guard let rule else {
                out.append(LayerViolation(file: path, line: 0, identifier: "", from: directory(of: path), declaredIn: [],
                                          rule: "folder \"\(directory(of: path))\" has no layering rule; add one"))
                continue
            }
            var reported = Set<String>()
            for use in identifierUses(in: text) {
                guard let folders = declaredIn[use.name], !folders.contains(rule.folder),
                      !folders.contains(where: rule.allows), reported.insert(use.name).inserted else { continue }
                let name = rule.folder.isEmpty ? "the root" : rule.folder
                let allowed = rule.mayUse.isEmpty ? "\(name) may use nothing outside itself"
                    : "\(name) may use only \(rule.mayUse.sorted().joined(separator: ", "))"
                out.append(LayerViolation(file: path, line: use.line, identifier: use.name, from: rule.folder,
                                          declaredIn: folders.sorted(), rule: allowed))
            }
        }
        return out
    }

    /// The rule whose folder is the longest prefix of `path`'s directory.
    static func rule(for path: String, in rules: [LayerRule]) -> LayerRule? {
        let dir = directory(of: path)
        return rules.filter { $0.folder.isEmpty || dir == $0.folder || dir.hasPrefix($0.folder + "/") }
            .max { $0.folder.count < $1.folder.count }
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[..<slash])
    }

    static func swiftFiles(under root: URL) throws -> [String] {
        guard let e = FileManager.default.enumerator(atPath: root.path) else { return [] }
        return e.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }.sorted()
    }

    private static let declarationPattern = try! NSRegularExpression(pattern:
        #"^(?:@[A-Za-z_]+(?:\([^)]*\))?\s+|(?:public|internal|private|fileprivate|open|package|final|indirect|nonisolated|static)\s+)*"#
        + #"(?:struct|class|enum|protocol|actor|typealias|func|let|var)\s+([A-Za-z_][A-Za-z0-9_]*)"#,
        options: [.anchorsMatchLines])

    /// Names of the top-level declarations in `text` (column 0 only: members are indented).
    public static func topLevelDeclarations(in text: String) -> [String] {
        let ns = text as NSString
        return declarationPattern.matches(in: text, range: NSRange(location: 0, length: ns.length))
            .map { ns.substring(with: $0.range(at: 1)) }
    }

    /// One identifier in code, with its 1-based line.
    public struct Use: Equatable { public let name: String; public let line: Int }

    /// Identifiers `text` uses (see the type's comment for what counts). A lowercase name the
    /// file binds itself (`let compile = …`, a parameter `compile:`) shadows a global one, so
    /// its uses in that file are not counted.
    public static func identifierUses(in text: String) -> [Use] {
        let tokens = CodeScanner(text).identifiers()
        let declaring: Set<String> = ["func", "let", "var", "case", "struct", "class", "enum", "protocol", "actor", "typealias", "import", "associatedtype"]
        func declares(_ i: Int) -> Bool { i > 0 && declaring.contains(tokens[i - 1].name) && tokens[i - 1].line == tokens[i].line }
        let lowercase = { (t: CodeScanner.Token) in t.name.first?.isLowercase == true }
        var bound = Set<String>()
        for (i, t) in tokens.enumerated() where lowercase(t) && (t.beforeColon || declares(i)) { bound.insert(t.name) }
        var uses: [Use] = []
        for (i, t) in tokens.enumerated() {
            if t.afterDot || declares(i) || (t.beforeColon && lowercase(t)) || (lowercase(t) && bound.contains(t.name)) { continue }
            uses.append(Use(name: t.name, line: t.line))
        }
        return uses
    }
}

/// Identifiers in Swift code outside comments and string literals (interpolations are code).
struct CodeScanner {
    struct Token { let name: String; let line: Int; let afterDot: Bool; let beforeColon: Bool }
    private let b: [UInt8]
    init(_ text: String) { b = Array(text.utf8) }

    func identifiers() -> [Token] {
        var out: [Token] = []
        var i = 0, line = 1
        // Each entry: an open string literal (its raw-hash count and whether multi-line) whose
        // interpolation we are in, with the parenthesis depth inside that interpolation.
        var stack: [(hashes: Int, multiline: Bool, depth: Int)] = []
        func at(_ j: Int) -> UInt8 { j < b.count ? b[j] : 0 }
        func isIdent(_ c: UInt8) -> Bool { c == 95 || (c >= 48 && c <= 57) || (c | 32 >= 97 && c | 32 <= 122) }
        func lastNonSpace(before j: Int) -> UInt8 {
            var k = j - 1
            while k >= 0, b[k] == 32 || b[k] == 9 || b[k] == 10 { k -= 1 }
            return k >= 0 ? b[k] : 0
        }
        /// Skips a string literal whose opening quote(s) start at `i` (after `hashes` #s);
        /// stops at its end, or at an interpolation's `(` (pushed on the stack).
        func skipString(hashes: Int, multiline: Bool) {
            while i < b.count {
                let c = b[i]
                if c == 10 { line += 1 }
                if c == 92 { // backslash: escape or interpolation if followed by the hashes
                    var k = i + 1, h = 0
                    while h < hashes, at(k) == 35 { k += 1; h += 1 }
                    if h == hashes {
                        if at(k) == 40 { stack.append((hashes, multiline, 1)); i = k + 1; return }
                        i = k + 1; continue
                    }
                }
                if c == 34 {
                    let quotes = multiline ? 3 : 1
                    var k = i, q = 0
                    while q < quotes, at(k) == 34 { k += 1; q += 1 }
                    var h = 0
                    while h < hashes, at(k) == 35 { k += 1; h += 1 }
                    if q == quotes, h == hashes { i = k; return }
                }
                i += 1
            }
        }
        while i < b.count {
            let c = b[i]
            if c == 10 { line += 1; i += 1; continue }
            if c == 47, at(i + 1) == 47 { while i < b.count, b[i] != 10 { i += 1 }; continue }
            if c == 47, at(i + 1) == 42 {
                var depth = 0
                repeat {
                    if b[i] == 47, at(i + 1) == 42 { depth += 1; i += 2; continue }
                    if b[i] == 42, at(i + 1) == 47 { depth -= 1; i += 2; continue }
                    if b[i] == 10 { line += 1 }
                    i += 1
                } while i < b.count && depth > 0
                continue
            }
            if c == 35 || c == 34 { // #"raw"#, "…", """…"""
                var k = i, hashes = 0
                while at(k) == 35 { k += 1; hashes += 1 }
                if at(k) == 34 {
                    let multiline = at(k + 1) == 34 && at(k + 2) == 34
                    i = k + (multiline ? 3 : 1)
                    skipString(hashes: hashes, multiline: multiline)
                    continue
                }
                i = k == i ? i + 1 : k
                continue
            }
            if c == 40, !stack.isEmpty { stack[stack.count - 1].depth += 1 }
            if c == 41, !stack.isEmpty {
                stack[stack.count - 1].depth -= 1
                if stack[stack.count - 1].depth == 0 {
                    let s = stack.removeLast()
                    i += 1
                    skipString(hashes: s.hashes, multiline: s.multiline)
                    continue
                }
            }
            if isIdent(c), !(c >= 48 && c <= 57) {
                let start = i
                while i < b.count, isIdent(b[i]) { i += 1 }
                var k = i
                while at(k) == 32 { k += 1 }
                let name = String(decoding: b[start..<i], as: UTF8.self)
                out.append(Token(name: name, line: line, afterDot: lastNonSpace(before: start) == 46,
                                 beforeColon: at(k) == 58 && at(k + 1) != 58))
                continue
            }
            if isIdent(c) { while i < b.count, isIdent(b[i]) { i += 1 }; continue } // numbers
            i += 1
        }
        return out
    }
}
