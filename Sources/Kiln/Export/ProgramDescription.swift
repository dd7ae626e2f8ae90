import Foundation

/// Everything about an exported program except the weights: what a `.kep` file stores as
/// JSON under `kiln.program`, and what ``ExportedProgram/graphHash`` hashes.
struct ProgramDescription: Hashable, Sendable, Codable {
    var model: String
    var graph: Graph
    var signature: GraphSignature
    var rangeConstraints: [RangeConstraint]

    enum CodingKeys: String, CodingKey { case model, graph, signature, rangeConstraints = "range_constraints" }

    /// Compact JSON with sorted keys: the same description always gives the same bytes.
    func canonicalJSON() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return String(decoding: try encoder.encode(self), as: UTF8.self)
        } catch {
            preconditionFailure("encoding a program description failed: \(error)")
        }
    }

    /// FNV-1a 64 of ``canonicalJSON()``, as 16 lowercase hex digits.
    var hash: String {
        let h = fnv1a64(canonicalJSON())
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
