/// Why a `.kep` program file cannot be loaded. Every case names the file.
/// (Unreadable or malformed safetensors containers throw ``SafetensorsError``.)
public enum ProgramFileError: KilnError, Equatable {
    /// A valid safetensors file without Kiln's program metadata (`kiln.format_version`).
    case notAProgram(path: String)
    /// Written in a format version this Kiln does not read.
    case unsupportedVersion(path: String, found: String)
    /// The program JSON (`kiln.program`) is missing or does not decode.
    case corruptProgram(path: String, reason: String)
    /// The graph decodes but breaks an invariant (dangling input, shape contradiction, …).
    case invalidGraph(path: String, reason: String)
    /// The weights do not match the signature's constants.
    case weightsMismatch(path: String, missing: [String], unexpected: [String], misshaped: [String])
    /// The stored graph hash differs from the graph's: the JSON was edited.
    case hashMismatch(path: String, stored: String, computed: String)

    /// The format version this Kiln writes and reads.
    public static let formatVersion = 1

    public var failureClass: FailureClass { .badInput }

    public var path: String {
        switch self {
        case let .notAProgram(p), let .unsupportedVersion(p, _), let .corruptProgram(p, _), let .invalidGraph(p, _),
             let .weightsMismatch(p, _, _, _), let .hashMismatch(p, _, _):
            p
        }
    }

    public var description: String {
        switch self {
        case let .notAProgram(p):
            return "\(p) is a safetensors file but not a Kiln program (its metadata has no \"kiln.format_version\")"
        case let .unsupportedVersion(p, found):
            return "\(p) is a Kiln program of format version \(found); this Kiln (\(KilnVersion.string)) reads version \(Self.formatVersion)"
        case let .corruptProgram(p, reason):
            return "\(p): the program description (\"kiln.program\") is corrupt: \(reason)"
        case let .invalidGraph(p, reason):
            return "\(p): invalid graph: \(reason)"
        case let .weightsMismatch(p, missing, unexpected, misshaped):
            var parts: [String] = []
            if !missing.isEmpty { parts.append("missing \(Self.list(missing))") }
            if !unexpected.isEmpty { parts.append("unexpected \(Self.list(unexpected))") }
            if !misshaped.isEmpty { parts.append("misshaped \(Self.list(misshaped))") }
            return "\(p): the weights do not match the program's signature: " + parts.joined(separator: "; ")
        case let .hashMismatch(p, stored, computed):
            return "\(p): the graph hash is \(computed) but the file records \(stored); the program was edited after export"
        }
    }

    public var suggestion: String? {
        switch self {
        case let .notAProgram(p):
            return "Suggested fix: export a program with try export(model, exampleInputs: [x]).save(to: URL(fileURLWithPath: \(swiftStringLiteral(p)))), or load \(p) as weights with SafetensorsFile(contentsOf:)"
        case .unsupportedVersion, .corruptProgram, .invalidGraph, .weightsMismatch, .hashMismatch:
            return "Suggested fix: export the program again with this Kiln: try export(model, exampleInputs: [x], dynamicShapes: [\"x\": [0: Dim(\"batch\", min: 1, max: 32)]]).save(to: URL(fileURLWithPath: \(swiftStringLiteral(path))))"
        }
    }

    private static func list(_ names: [String]) -> String {
        names.count <= 5 ? names.joined(separator: ", ") : names.prefix(5).joined(separator: ", ") + ", … (\(names.count) in all)"
    }
}
