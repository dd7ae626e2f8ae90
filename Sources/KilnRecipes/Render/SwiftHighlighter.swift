import SwiftParser
import SwiftSyntax

/// Swift syntax highlighting for the recipe pages, from swift-syntax's parser (the only file
/// of the package that imports it): every token of the source-accurate tree, with its trivia,
/// becomes escaped HTML, and the tokens that matter to a reader are wrapped in
/// `<span class="…">`. Keywords are what the parser decided in context (`get` or `set` are
/// keywords in an accessor, identifiers elsewhere), which no regex can tell.
///
/// Classes: `kw` keyword, `str` string literal (quotes, text and delimiters), `num` number,
/// `com` comment, `type` a type (in a type position, a type declaration's name, or a
/// capitalised name in an expression, Swift's convention for types), `fn` a function's name
/// where it is declared or called, `attr` an attribute (`@MainActor`), `dir` a compiler
/// directive (`#if`, `#sourceLocation`). Invalid code still highlights: the parser recovers,
/// and the text is always reproduced exactly.
public enum SwiftHighlighter {
    /// `code` as HTML (escaped, with spans), to go inside `<pre><code>`. Neighbouring pieces
    /// of one class share a span (`@frozen`, a string's quotes and text).
    public static func html(_ code: String) -> String {
        var pieces: [(kind: String?, text: String)] = []
        func add(_ kind: String?, _ text: String) {
            guard !text.isEmpty else { return }
            if let last = pieces.last, last.kind == kind {
                pieces[pieces.count - 1].text += text
            } else {
                pieces.append((kind, text))
            }
        }
        guard let tree = SwiftParsing.parse(code) else { return Markup.escape(code) }   // too deep to parse: plain
        for token in tree.tokens(viewMode: .sourceAccurate) {
            for piece in token.leadingTrivia { add(piece.isComment ? "com" : nil, text(of: piece)) }
            add(tokenClass(token), token.text)
            for piece in token.trailingTrivia { add(piece.isComment ? "com" : nil, text(of: piece)) }
        }
        return pieces.map { kind, text in
            kind.map { "<span class=\"\($0)\">\(Markup.escape(text))</span>" } ?? Markup.escape(text)
        }.joined()
    }

    private static func text(of piece: TriviaPiece) -> String {
        var text = ""
        piece.write(to: &text)
        return text
    }

    /// The class of `token`, or nil for plain text (punctuation, operators, variables).
    static func tokenClass(_ token: TokenSyntax) -> String? {
        if token.ancestorOrSelf(mapping: { $0.as(AttributeSyntax.self) }) != nil { return "attr" }
        switch token.tokenKind {
        case .keyword:
            return "kw"
        case .stringSegment, .stringQuote, .multilineStringQuote, .singleQuote, .rawStringPoundDelimiter,
             .regexLiteralPattern, .regexSlash, .regexPoundDelimiter:
            return "str"
        case .integerLiteral, .floatLiteral:
            return "num"
        case .poundIf, .poundElse, .poundElseif, .poundEndif, .pound, .poundAvailable, .poundUnavailable,
             .poundSourceLocation:
            return "dir"
        case .identifier(let name):
            return identifierClass(token, name: name)
        default:
            return nil
        }
    }

    private static func identifierClass(_ token: TokenSyntax, name: String) -> String? {
        guard let parent = token.parent else { return nil }
        if parent.is(IdentifierTypeSyntax.self) || parent.is(MemberTypeSyntax.self) { return "type" }
        if parent.is(StructDeclSyntax.self) || parent.is(ClassDeclSyntax.self) || parent.is(EnumDeclSyntax.self)
            || parent.is(ProtocolDeclSyntax.self) || parent.is(ActorDeclSyntax.self) || parent.is(TypeAliasDeclSyntax.self)
            || parent.is(AssociatedTypeDeclSyntax.self) || parent.is(GenericParameterSyntax.self) {
            return "type"
        }
        if parent.is(MacroExpansionExprSyntax.self) || parent.is(MacroExpansionDeclSyntax.self) { return "dir" }
        // A compilation condition (`#if DEBUG`) belongs to the directive.
        if parent.parent?.is(IfConfigClauseSyntax.self) == true { return "dir" }
        if parent.is(FunctionDeclSyntax.self) { return "fn" }
        if parent.is(DeclReferenceExprSyntax.self) {
            if name.first?.isUppercase == true { return "type" }
            if isCalled(parent) { return "fn" }
        }
        return nil
    }

    /// Whether the reference `node` is what a call calls: `f(…)` or the member in `x.f(…)`.
    private static func isCalled(_ node: Syntax) -> Bool {
        var callee = node
        if let member = node.parent, member.is(MemberAccessExprSyntax.self),
           member.as(MemberAccessExprSyntax.self)?.declName.id == node.id {
            callee = member
        }
        guard let call = callee.parent?.as(FunctionCallExprSyntax.self) else { return false }
        return call.calledExpression.id == callee.id
    }
}
