import Foundation

/// Metadata keys of a `.kep` file.
enum ProgramFileKey {
    static let formatVersion = "kiln.format_version"
    static let program = "kiln.program"
    static let graphHash = "kiln.graph_hash"
}

extension ExportedProgram {
    /// Writes the program to one file (conventionally `.kep`): a safetensors file holding the
    /// lifted parameters and buffers, with the graph, signature and range constraints as
    /// JSON in its `__metadata__` (`kiln.program`), plus `kiln.format_version` ("1") and
    /// `kiln.graph_hash`. Atomic: the file is replaced only once fully written.
    /// - Throws: ``SafetensorsError/writeFailed(path:reason:)`` when the file cannot be written.
    public func save(to url: URL) throws {
        let metadata = [
            ProgramFileKey.formatVersion: String(ProgramFileError.formatVersion),
            ProgramFileKey.program: programDescription.canonicalJSON(),
            ProgramFileKey.graphHash: graphHash,
        ]
        try Safetensors.write(orderedStateDict, metadata: metadata, to: url)
    }

    /// Loads a program written by ``save(to:)``, validating it: the graph is checked like a
    /// freshly exported one (known ops, every input defined, recorded shapes equal the
    /// inferred ones), the weights must match the signature, and the graph hash must match.
    /// - Throws: ``SafetensorsError`` for unreadable or malformed files, ``ProgramFileError``
    ///   for a missing or other format version, corrupt JSON, an invalid graph or weights.
    public init(contentsOf url: URL) throws {
        let file = try SafetensorsFile(contentsOf: url)
        let path = url.displayPath
        guard let version = file.metadata[ProgramFileKey.formatVersion] else { throw ProgramFileError.notAProgram(path: path) }
        guard Int(version) == ProgramFileError.formatVersion else { throw ProgramFileError.unsupportedVersion(path: path, found: version) }
        guard let json = file.metadata[ProgramFileKey.program] else {
            throw ProgramFileError.corruptProgram(path: path, reason: "the metadata has no \"\(ProgramFileKey.program)\"")
        }
        let description: ProgramDescription
        do {
            description = try JSONDecoder().decode(ProgramDescription.self, from: Data(json.utf8))
        } catch {
            throw ProgramFileError.corruptProgram(path: path, reason: Self.describe(error))
        }

        let constants = description.signature.constants
        let wanted = Set(constants.map(\.name))
        let missing = constants.map(\.name).filter { file.info($0) == nil }
        let unexpected = file.tensorNames.filter { !wanted.contains($0) }.sorted()
        let misshaped = constants.filter { c in file.info(c.name).map { $0.shape != c.shape } ?? false }.map(\.name)
        guard missing.isEmpty, unexpected.isEmpty, misshaped.isEmpty else {
            throw ProgramFileError.weightsMismatch(path: path, missing: missing, unexpected: unexpected, misshaped: misshaped)
        }
        var stateDict: [String: Tensor] = [:]
        for c in constants { stateDict[c.name] = try file.tensor(named: c.name) }

        do {
            self = try ExportedProgram(description, stateDict: stateDict)
        } catch {
            throw ProgramFileError.invalidGraph(path: path, reason: error.description)
        }
        if let stored = file.metadata[ProgramFileKey.graphHash], stored != graphHash {
            throw ProgramFileError.hashMismatch(path: path, stored: stored, computed: graphHash)
        }
    }

    /// A one-line reason for a JSON decoding failure, with the path to the bad field.
    static func describe(_ error: Error) -> String {
        func at(_ path: [CodingKey]) -> String {
            let p = path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return p.isEmpty ? "" : " at \(p.hasPrefix(".") ? String(p.dropFirst()) : p)"
        }
        guard let e = error as? DecodingError else { return "\(error)" }
        switch e {
        case let .dataCorrupted(c):
            if let underlying = c.underlyingError { return "not valid JSON (\((underlying as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? c.debugDescription))" }
            return c.debugDescription + at(c.codingPath)
        case let .keyNotFound(key, c):
            return "missing field \"\(key.stringValue)\"" + at(c.codingPath)
        case let .typeMismatch(type, c):
            return "expected \(type)" + at(c.codingPath)
        case let .valueNotFound(type, c):
            return "missing \(type)" + at(c.codingPath)
        @unknown default:
            return "\(e)"
        }
    }
}
