import Kiln
import SwiftParser
import SwiftSyntax

/// A recipe parameter, papermill-style: declared with its default in the recipe's
/// ```` ```swift parameters ```` block and replaced by `kiln run -p name=value`.
///
/// ````markdown
/// ```swift parameters
/// let batch = 1
/// let model: String = "resnet18"
/// ```
/// ````
///
/// The block holds only `let`/`var` declarations of one name each, with a literal of type `Int`,
/// `Double`, `Bool` or `String` on one line (the type written or the literal's own). A value
/// given with `-p` is parsed as the declared type and written into the block in place of the
/// default, so the block runs as if it had been written with that value; the document records
/// the values, and they are part of the cache key.
public struct RecipeParameter: Sendable, Equatable {
    /// The types a parameter can have.
    public enum Kind: String, Sendable, CaseIterable {
        case int = "Int", double = "Double", bool = "Bool", string = "String"

        /// A value of the type, for messages.
        var example: String { [.int: "8", .double: "0.5", .bool: "true", .string: "text"][self]! }
    }

    /// Its name.
    public var name: String
    /// Its type.
    public var kind: Kind
    /// The default as written.
    public var defaultValue: String
    /// The recipe line of its declaration.
    public var line: Int
    /// Byte range of the default within the block's code.
    var valueRange: Range<Int>

    /// `value` as a Swift literal of this parameter's type, or nil when it is not one.
    public func literal(for value: String) -> String? {
        switch kind {
        case .int: return Int(value).map { String($0) }
        case .double:
            guard let d = Double(value), d.isFinite else { return nil }
            return "\(d)"
        case .bool: return ["true", "false"].contains(value) ? value : nil
        case .string: return swiftStringLiteral(value)
        }
    }

    /// The parameters `block` declares (its code parsed with SwiftParser); `path` locates errors.
    static func declared(in block: Block, path: String) throws -> [RecipeParameter] {
        guard let tree = SwiftParsing.parse(block.code) else {
            throw RecipeError.badInput(path, line: block.codeLines.lowerBound,
                                       "the parameters block nests `[` more than \(SwiftParsing.maxBracketDepth) deep",
                                       fix: "write one parameter per line as `let name = 1` (Int, Double, Bool or String literal), e.g. `let batch = 8`.")
        }
        let converter = SourceLocationConverter(fileName: path, tree: tree)
        func fail(_ node: some SyntaxProtocol, _ what: String) -> RecipeError {
            let line = block.codeLines.lowerBound + converter.location(for: node.positionAfterSkippingLeadingTrivia).line - 1
            return RecipeError.badInput(path, line: line, "the parameters block \(what)",
                                        fix: "write one parameter per line as `let name = 1` (Int, Double, Bool or String literal), e.g. `let batch = 8`.")
        }
        if tree.hasError { throw fail(tree, "does not parse as Swift") }
        var out: [RecipeParameter] = []
        for item in tree.statements {
            guard case .decl(let decl) = item.item, let variable = decl.as(VariableDeclSyntax.self),
                  variable.bindings.count == 1, let binding = variable.bindings.first,
                  let name = binding.pattern.as(IdentifierPatternSyntax.self)?.identifier.text,
                  let value = binding.initializer?.value else {
                throw fail(item, "may hold only `let name = literal` declarations")
            }
            let literalKind: Kind? = value.is(IntegerLiteralExprSyntax.self) ? .int
                : value.is(FloatLiteralExprSyntax.self) ? .double
                : value.is(BooleanLiteralExprSyntax.self) ? .bool
                : (value.as(StringLiteralExprSyntax.self).map { $0.segments.allSatisfy { $0.is(StringSegmentSyntax.self) } } ?? false) ? .string
                : nil
            guard let literalKind else { throw fail(value, "gives `\(name)` a default that is not an Int, Double, Bool or String literal") }
            var kind = literalKind
            if let annotation = binding.typeAnnotation?.type.trimmedDescription {
                guard let declared = Kind(rawValue: annotation),
                      declared == literalKind || (declared == .double && literalKind == .int) else {
                    throw fail(binding, "declares `\(name)` as \(annotation): parameters are Int, Double, Bool or String with a literal of that type")
                }
                kind = declared
            }
            let start = value.positionAfterSkippingLeadingTrivia.utf8Offset, end = value.endPositionBeforeTrailingTrivia.utf8Offset
            let text = value.trimmedDescription
            if text.contains("\n") { throw fail(value, "gives `\(name)` a default over several lines") }
            if out.contains(where: { $0.name == name }) { throw fail(binding, "declares `\(name)` twice") }
            out.append(RecipeParameter(name: name, kind: kind, defaultValue: text,
                                       line: block.codeLines.lowerBound + converter.location(for: value.positionAfterSkippingLeadingTrivia).line - 1,
                                       valueRange: start..<end))
        }
        return out
    }
}

extension Recipe {
    /// The parameters block, if the recipe has one.
    public var parametersBlock: Block? { blocks.first { $0.options.parameters } }

    /// The recipe's parameters (none without a parameters block).
    public func parameters() throws -> [RecipeParameter] {
        guard let block = parametersBlock else { return [] }
        return try RecipeParameter.declared(in: block, path: path)
    }

    /// The recipe with `values` (`-p name=value`) in place of its parameters' defaults.
    /// Throws a `.usage` ``RecipeError`` for a name the recipe does not declare (listing the
    /// ones it does) or a value that is not of the parameter's type.
    public func injecting(_ values: [String: String]) throws -> Recipe {
        guard !values.isEmpty else { return self }
        let declared = try parameters()
        var replacements: [(Range<Int>, String)] = []
        for (name, value) in values.sorted(by: { $0.key < $1.key }) {
            guard let parameter = declared.first(where: { $0.name == name }) else {
                let known = declared.isEmpty ? "it declares none (no ```swift parameters block)"
                    : "it declares " + declared.map { "`\($0.name)` (\($0.kind.rawValue))" }.joined(separator: ", ")
                let guess = closest(to: name, in: declared.map(\.name)).map { "did you mean `\($0)`? " } ?? ""
                throw RecipeError(.usage, "\(path): unknown parameter `\(name)` (-p \(name)=…): \(known)",
                                  suggestion: "Suggested fix: \(guess)pass only parameters the recipe declares, e.g. -p \(declared.first?.name ?? "name")=VALUE.")
            }
            guard let literal = parameter.literal(for: value) else {
                throw RecipeError(.usage, "\(path):\(parameter.line): parameter `\(name)` is \(parameter.kind == .int ? "an" : "a") \(parameter.kind.rawValue), and `\(value)` is not one (-p \(name)=\(value))",
                                  suggestion: "Suggested fix: pass \(parameter.kind == .int ? "an" : "a") \(parameter.kind.rawValue), e.g. -p \(name)=\(parameter.kind.example)")
            }
            replacements.append((parameter.valueRange, literal))
        }
        guard let block = parametersBlock else { return self }
        var code = Array(block.code.utf8)
        for (range, literal) in replacements.sorted(by: { $0.0.lowerBound > $1.0.lowerBound }) {
            code.replaceSubrange(range, with: Array(literal.utf8))
        }
        var recipe = self
        recipe.blocks[block.index].code = String(decoding: code, as: UTF8.self)
        recipe.injectedParameters = values
        return recipe
    }
}
