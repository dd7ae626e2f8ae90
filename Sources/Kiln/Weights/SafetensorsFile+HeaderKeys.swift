import Foundation

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

    /// A JSON string literal (with its quotes) decoded to its text.
    private static func decodeJSONString(_ literal: UnsafeBufferPointer<UInt8>) -> String? {
        (try? JSONSerialization.jsonObject(with: Data(literal), options: [.fragmentsAllowed])) as? String
    }
}
