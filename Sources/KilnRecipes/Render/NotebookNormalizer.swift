import Foundation

/// Normalises notebooks for `verify --check`, as ``DocumentNormalizer`` does documents: the
/// outputs of code cells marked `metadata.kiln.nondeterministic` (timings, AUTOTUNE tables, the
/// charts of them) are replaced with a placeholder; everything else is compared as written.
public enum NotebookNormalizer {
    /// The notebook's JSON with those outputs replaced, re-encoded with sorted keys; nil when
    /// `text` is not a JSON object with a `cells` list.
    public static func normalized(_ text: String) -> String? {
        guard var notebook = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
              let cells = notebook["cells"] as? [[String: Any]] else { return nil }
        notebook["cells"] = cells.map { cell -> [String: Any] in
            let kiln = (cell["metadata"] as? [String: Any])?["kiln"] as? [String: Any]
            guard kiln?["nondeterministic"] as? Bool == true else { return cell }
            var copy = cell
            copy["outputs"] = "<nondeterministic outputs>"
            return copy
        }
        guard let data = try? JSONSerialization.data(withJSONObject: notebook, options: [.sortedKeys, .prettyPrinted]) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// The first line where two notebooks differ once normalised, or nil when they agree.
    public static func firstDifference(committed: String, fresh: String) -> String? {
        guard let a = normalized(committed) else { return "  committed: (not a notebook)" }
        guard let b = normalized(fresh) else { return "  fresh: (not a notebook)" }
        return a == b ? nil : DocumentNormalizer.firstDifference(committed: a, fresh: b) ?? "  the notebooks differ"
    }
}
