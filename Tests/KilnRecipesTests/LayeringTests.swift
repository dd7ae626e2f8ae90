import Foundation
import Testing

/// KilnRecipes' folders are floors (README "Layout"): each may use the folders below it and none
/// above. Swift has no module boundary inside a target, so this test keeps the rule true: it
/// collects the types and top-level functions each folder declares and fails on a file that
/// names one declared in a folder above its own.
@Suite struct LayeringTests {
    /// Bottom to top.
    static let floors = ["Support", "Markdown", "Recipe", "Execute", "Render", "Gallery", "Runner"]

    static let sources: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/KilnRecipes")

    /// Every Swift file under `folder`, with its text stripped of comments and string literals.
    static func files(in folder: String) -> [(name: String, code: String)] {
        let dir = sources.appendingPathComponent(folder)
        guard let walker = FileManager.default.enumerator(atPath: dir.path) else { return [] }
        var out: [(String, String)] = []
        while let relative = walker.nextObject() as? String {
            guard relative.hasSuffix(".swift"), let text = try? String(contentsOf: dir.appendingPathComponent(relative), encoding: .utf8) else { continue }
            out.append((folder + "/" + relative, strip(text)))
        }
        return out
    }

    static func strip(_ text: String) -> String {
        var s = text.replacingOccurrences(of: #"(?s)"""(.*?)""""#, with: " ", options: .regularExpression)
        s = s.replacingOccurrences(of: #"//[^\n]*"#, with: " ", options: .regularExpression)
        return s.replacingOccurrences(of: #""(?:[^"\\\n]|\\.)*""#, with: " ", options: .regularExpression)
    }

    static func declarations(in code: String) -> [String] {
        let pattern = #"(?m)^(?:(?:public|internal|private|fileprivate|final|indirect)\s+)*(?:struct|enum|class|protocol|typealias|func)\s+(\w+)"#
        let regex = try! NSRegularExpression(pattern: pattern)
        return regex.matches(in: code, range: NSRange(code.startIndex..., in: code)).compactMap {
            Range($0.range(at: 1), in: code).map { String(code[$0]) }
        }
    }

    @Test func everyFolderIsAFloor() throws {
        let found = try FileManager.default.contentsOfDirectory(atPath: Self.sources.path).filter { !$0.hasPrefix(".") }
        #expect(Set(found) == Set(Self.floors), "README Layout and this test list the floors; a new folder needs a place")
    }

    @Test func noFileUsesAFolderAboveItsOwn() {
        var owner: [String: Int] = [:]
        let files = Self.floors.enumerated().map { level, folder in (level, Self.files(in: folder)) }
        for (level, list) in files {
            for file in list { for name in Self.declarations(in: file.code) { owner[name] = level } }
        }
        var violations: [String] = []
        for (level, list) in files {
            for file in list {
                for (name, at) in owner where at > level {
                    if file.code.range(of: #"\b\#(name)\b"#, options: .regularExpression) != nil {
                        violations.append("\(file.name) uses \(name) from \(Self.floors[at])/")
                    }
                }
            }
        }
        #expect(violations.isEmpty, "arrows up:\n\(violations.sorted().joined(separator: "\n"))")
    }
}
