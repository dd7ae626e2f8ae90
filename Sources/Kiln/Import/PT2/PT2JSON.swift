import Foundation

/// Decoding the archive's JSON members with a nesting limit: the schema nests a dozen
/// levels, and a hostile file of a million `[` must fail fast, not recurse.
enum PT2JSON {
    /// The deepest nesting of arrays and objects in `data` (strings skipped), stopping as
    /// soon as it passes `limit`.
    static func depth(_ data: Data, limit: Int) -> Int {
        var depth = 0, deepest = 0, inString = false, escaped = false
        for b in data {
            if inString {
                if escaped { escaped = false } else if b == 0x5C { escaped = true } else if b == 0x22 { inString = false }
                continue
            }
            switch b {
            case 0x22: inString = true
            case 0x5B, 0x7B:
                depth += 1
                deepest = Swift.max(deepest, depth)
                if deepest > limit { return deepest }
            case 0x5D, 0x7D: depth -= 1
            default: break
            }
        }
        return deepest
    }

    /// `T` from the member `member` of `archive` (`what` names it in messages).
    static func decode<T: Decodable>(_ type: T.Type, member: String, from archive: PT2Archive, what: String) throws(PT2ImportError) -> T {
        let data = try archive.read(member, limit: archive.limits.maxJSONBytes)
        let name = archive.prefix + member
        guard depth(data, limit: archive.limits.maxJSONDepth) <= archive.limits.maxJSONDepth else {
            throw PT2ImportError(.limitExceeded, "\(archive.path): \(name) nests arrays and objects deeper than \(archive.limits.maxJSONDepth) levels",
                                 fix: "write the archive with torch.export.save; its \(what) nests far less")
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let e as DecodingError {
            throw PT2ImportError(.malformed, "\(archive.path): \(name) is not a valid \(what): \(describe(e))",
                                 fix: "write the archive again with torch.export.save (torch 2.x)")
        } catch {
            throw PT2ImportError(.malformed, "\(archive.path): \(name) is not valid JSON (\(error))",
                                 fix: "write the archive again with torch.export.save (torch 2.x)")
        }
    }

    /// `at graph_module.graph.nodes[3].target: expected a string`.
    static func describe(_ e: DecodingError) -> String {
        func at(_ path: [CodingKey]) -> String {
            var s = ""
            for k in path {
                if let i = k.intValue { s += "[\(i)]" } else { s += (s.isEmpty ? "" : ".") + k.stringValue }
            }
            return s.isEmpty ? "the top level" : s
        }
        switch e {
        case .typeMismatch(let t, let c): return "at \(at(c.codingPath)): expected \(t)"
        case .valueNotFound(let t, let c): return "at \(at(c.codingPath)): a \(t) is missing"
        case .keyNotFound(let k, let c): return "at \(at(c.codingPath)): the key \"\(k.stringValue)\" is missing"
        case .dataCorrupted(let c): return "at \(at(c.codingPath)): \(c.debugDescription)"
        @unknown default: return "\(e)"
        }
    }
}
