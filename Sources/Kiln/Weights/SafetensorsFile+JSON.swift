import Foundation

/// The header's JSON: duplicate keys (which JSONSerialization hides) and typed readings of
/// its values for validation and messages.
extension SafetensorsFile {
    /// The first top-level key of a JSON object that occurs twice (compared after unescaping,
    /// so `"b1"` and `"b\u0031"` are one key), or nil. `header` must already parse as a JSON
    /// object: JSONSerialization keeps the last of equal keys, which would drop a tensor
    /// without a word, so the raw text is scanned for them.
    static func firstDuplicateTopLevelKey(_ header: UnsafeBufferPointer<UInt8>) -> String? {
        var seen = Set<String>()
        var depth = 0
        var i = 0
        var lastString: Range<Int>?     // the latest string closed at depth 1
        while i < header.count {
            let c = header[i]
            switch c {
            case UInt8(ascii: "\""):
                let start = i
                i += 1
                while i < header.count, header[i] != UInt8(ascii: "\"") {
                    i += header[i] == UInt8(ascii: "\\") ? 2 : 1
                }
                if depth == 1 { lastString = start..<(i + 1) }
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                lastString = nil
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                lastString = nil
            case UInt8(ascii: ":"):
                // A string at depth 1 followed by a colon is one of the object's keys.
                if depth == 1, let range = lastString, let key = decodeJSONString(UnsafeBufferPointer(rebasing: header[range])) {
                    if !seen.insert(key).inserted { return key }
                }
                lastString = nil
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"):
                break
            default:
                lastString = nil
            }
            i += 1
        }
        return nil
    }

    /// The value as a UInt64 when it is a non-negative JSON integer within 64 bits.
    static func jsonUInt64(_ v: Any) -> UInt64? {
        guard let n = v as? NSNumber, !(v is String) else { return nil }
        switch String(cString: n.objCType) {
        case "c", "C", "B", "f", "d": return nil
        case "Q", "L", "I", "S": return n.uint64Value
        default: return UInt64(exactly: n.int64Value)
        }
    }

    /// A JSON string literal (with its quotes) decoded to its text.
    private static func decodeJSONString(_ literal: UnsafeBufferPointer<UInt8>) -> String? {
        (try? JSONSerialization.jsonObject(with: Data(literal), options: [.fragmentsAllowed])) as? String
    }

    // MARK: JSON values

    /// The value as an Int when it is a JSON integer (not a float or boolean); integers
    /// beyond Int.max saturate to Int.max so that range checks reject them.
    static func jsonInteger(_ v: Any) -> Int? {
        guard let n = v as? NSNumber, !(v is String) else { return nil }
        switch String(cString: n.objCType) {
        case "c", "C", "B", "f", "d": return nil   // booleans and floating point
        case "Q", "L", "I", "S":
            let u = n.uint64Value
            return u > UInt64(Int.max) ? Int.max : Int(u)
        default:
            return Int(exactly: n.int64Value)
        }
    }

    static func jsonKind(_ v: Any) -> String {
        switch v {
        case is String: return "string"
        case is [Any]: return "array"
        case is [String: Any]: return "object"
        case is NSNull: return "null"
        case let n as NSNumber:
            switch String(cString: n.objCType) {
            case "c", "C", "B": return "boolean"
            default: return "number"
            }
        default: return "value"
        }
    }

    /// Short JSON-ish text of a value for error messages.
    static func jsonText(_ v: Any) -> String {
        switch v {
        case let s as String: return "\"\(s)\""
        case is NSNull: return "null"
        case let n as NSNumber:
            if jsonKind(n) == "boolean" { return n.boolValue ? "true" : "false" }
            return "\(n)"
        default: return "a JSON \(jsonKind(v))"
        }
    }

    static func describeJSONError(_ error: Error) -> String {
        let ns = error as NSError
        if let detail = ns.userInfo[NSDebugDescriptionErrorKey] as? String { return detail }
        return ns.localizedDescription
    }
}
