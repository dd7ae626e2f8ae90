import Foundation

/// Finds, in a regenerated document (``DocumentRenderer``), the ```` ```text ```` blocks that
/// hold a block's captured output or its failure, so the page can show them apart from code.
///
/// The document marks them by position: an output block directly follows the caption
/// paragraph `*recipes/x.md, lines 6-9*`, a failure's details directly follow
/// `**Failed** at recipes/x.md:7:`. A `text` block the author wrote is never in either place
/// (the caption is inserted by the runner right after a Swift block's closing fence).
enum OutputBlockFinder {
    /// What a captured block shows.
    enum Kind: Equatable {
        /// A block's output; `nondeterministic` when it differs run to run.
        case output(nondeterministic: Bool)
        /// A block's failure.
        case error
    }

    /// The captured blocks of `document`, by the line of their opening fence.
    static func capturedBlocks(in document: MarkdownDocument) -> [Int: Kind] {
        var found: [Int: Kind] = [:]
        for parent in document.root.allNodes {
            for (previous, node) in zip(parent.children, parent.children.dropFirst()) {
                guard node.type == "code_block", let info = node.fenceInfo else { continue }
                let words = info.split(separator: " ")
                guard words.first == "text", words.dropFirst().allSatisfy({ $0 == "nondeterministic" }) else { continue }
                if isCaption(previous) {
                    found[node.startLine] = .output(nondeterministic: words.count > 1)
                } else if isFailure(previous) {
                    found[node.startLine] = .error
                }
            }
        }
        return found
    }

    /// `*recipes/x.md, lines 6-9*`: a paragraph of one emphasis ending in `, lines N-M`.
    private static func isCaption(_ node: MarkdownNode) -> Bool {
        guard node.type == "paragraph", node.children.count == 1, node.children[0].type == "emph" else { return false }
        let text = node.plainText
        guard let range = text.range(of: ", lines ", options: .backwards) else { return false }
        let numbers = text[range.upperBound...].split(separator: "-", omittingEmptySubsequences: false)
        return numbers.count == 2 && numbers.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isASCII) && Int($0) != nil }
    }

    /// `**Failed** at recipes/x.md:7:`.
    private static func isFailure(_ node: MarkdownNode) -> Bool {
        node.type == "paragraph" && node.children.first?.type == "strong"
            && node.children.first?.plainText == "Failed" && node.plainText.hasPrefix("Failed at ") && node.plainText.hasSuffix(":")
    }
}
