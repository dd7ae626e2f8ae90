import SwiftParser
import SwiftSyntax

/// Splits a block's code into the pieces of the scalable program layout (see
/// ``ProgramGenerator``): declarations later blocks may use, which go to file scope, and runs of
/// statements, which become the body of the block's function.
///
/// Classification is by SwiftParser's syntax tree, not by text, so a `let` inside a string, a
/// comment or a closure is never mistaken for a top-level declaration. A block the layout cannot
/// express faithfully makes ``split(_:)`` return nil, and the generator falls back to the
/// top-level layout for the whole program: code that does not parse (the compiler then reports
/// it as before), top-level `guard`, `defer` and `return` (their meaning depends on top-level
/// scope), `await` outside closures (top-level code would become async), `#if` and
/// `#sourceLocation` at top level, and variables the file scope cannot hold (no initializer,
/// attributes such as property wrappers, `lazy`, `async let`).
enum BlockSplitter {
    /// One piece of a block, in document order.
    struct Piece: Equatable {
        /// Whether the piece is a shared declaration (file scope) or statements (the block's function).
        var isDeclaration: Bool
        /// The code, as written except that a throwing variable initializer is wrapped in the
        /// runtime's `try` function (global initializers cannot throw).
        var text: String
        /// The line of the piece's first character within the block's code (0-based).
        var line: Int
        /// Its column (1-based, in UTF-8 bytes), so that padding keeps compiler columns true.
        var column: Int
        /// Stored variables the declaration binds: globals are initialized lazily, so the
        /// block's function reads each one where the declaration stood to keep its side effects
        /// in document order.
        var initializedNames: [String] = []
    }

    /// The pieces of `code`, or nil when the block needs the top-level layout.
    /// `tryFunction` names the runtime function a throwing initializer is wrapped in.
    static func split(_ code: String, tryFunction: String) -> [Piece]? {
        guard let tree = SwiftParsing.parse(code), !tree.hasError else { return nil }
        let converter = SourceLocationConverter(fileName: "", tree: tree)
        let bytes = Array(code.utf8)
        var pieces: [Piece] = []
        var run: (start: AbsolutePosition, end: AbsolutePosition)?

        func flushRun() {
            guard let r = run else { return }
            let location = converter.location(for: r.start)
            pieces.append(Piece(isDeclaration: false, text: text(bytes, r.start, r.end), line: location.line - 1,
                                column: location.column))
            run = nil
        }

        for item in tree.statements {
            let start = item.positionAfterSkippingLeadingTrivia, end = item.endPositionBeforeTrailingTrivia
            switch classify(item) {
            case .unsupported:
                return nil
            case .statement:
                run = (run?.start ?? start, end)
            case .declaration(let names, let throwingInitializers):
                flushRun()
                var text = ""
                var cursor = start
                for value in throwingInitializers {
                    let (from, to) = (value.positionAfterSkippingLeadingTrivia, value.endPositionBeforeTrailingTrivia)
                    text += Self.text(bytes, cursor, from) + "\(tryFunction) { " + Self.text(bytes, from, to) + " }"
                    cursor = to
                }
                text += Self.text(bytes, cursor, end)
                let location = converter.location(for: start)
                pieces.append(Piece(isDeclaration: true, text: text, line: location.line - 1, column: location.column,
                                    initializedNames: names))
            }
        }
        flushRun()
        return pieces
    }

    private enum Kind {
        case statement
        /// Names of stored variables to initialize in order; initializers that throw.
        case declaration([String], [ExprSyntax])
        case unsupported
    }

    private static func classify(_ item: CodeBlockItemSyntax) -> Kind {
        switch item.item {
        case .expr(let expr):
            return containsAwait(expr) ? .unsupported : .statement
        case .stmt(let stmt):
            if stmt.is(GuardStmtSyntax.self) || stmt.is(DeferStmtSyntax.self) || stmt.is(ReturnStmtSyntax.self) {
                return .unsupported
            }
            return containsAwait(stmt) ? .unsupported : .statement
        case .decl(let decl):
            if let variable = decl.as(VariableDeclSyntax.self) { return classify(variable) }
            if decl.is(IfConfigDeclSyntax.self) || decl.is(PoundSourceLocationSyntax.self) { return .unsupported }
            // `#warning(…)`, expression macros: as valid in a function body as at top level.
            if decl.is(MacroExpansionDeclSyntax.self) { return containsAwait(decl) ? .unsupported : .statement }
            return .declaration([], [])
        }
    }

    private static func classify(_ variable: VariableDeclSyntax) -> Kind {
        if containsAwait(variable) { return .unsupported }
        var names: [String] = []
        var throwing: [ExprSyntax] = []
        for binding in variable.bindings {
            let bound = boundNames(binding.pattern)
            guard let bound else { return .unsupported }
            names += bound
        }
        // `let _ = f()` binds nothing: a statement, which a function body holds as well.
        if names.isEmpty { return .statement }
        guard variable.attributes.isEmpty,
              !variable.modifiers.contains(where: { ["lazy", "async"].contains($0.name.text) }) else { return .unsupported }
        var stored: [String] = []
        for binding in variable.bindings {
            let computed = binding.accessorBlock.map(isComputed) ?? false
            if computed { continue }
            guard let initializer = binding.initializer else { return .unsupported }
            if containsTry(initializer.value) { throwing.append(initializer.value) }
            // Reading one name of a tuple pattern initializes all of them.
            stored += (boundNames(binding.pattern) ?? []).prefix(1)
        }
        return .declaration(stored, throwing)
    }

    /// The names `pattern` binds, or nil for patterns a declaration cannot hold.
    private static func boundNames(_ pattern: PatternSyntax) -> [String]? {
        if let identifier = pattern.as(IdentifierPatternSyntax.self) { return [identifier.identifier.text] }
        if pattern.is(WildcardPatternSyntax.self) { return [] }
        if let tuple = pattern.as(TuplePatternSyntax.self) {
            var names: [String] = []
            for element in tuple.elements {
                guard let inner = boundNames(element.pattern) else { return nil }
                names += inner
            }
            return names
        }
        return nil
    }

    /// A getter (or get/set) makes a computed variable; observers keep it stored.
    private static func isComputed(_ block: AccessorBlockSyntax) -> Bool {
        switch block.accessors {
        case .getter: return true
        case .accessors(let list):
            return list.contains { !["willSet", "didSet"].contains($0.accessorSpecifier.text) }
        }
    }

    private static func containsAwait(_ node: some SyntaxProtocol) -> Bool {
        let finder = KeywordFinder(keyword: .await)
        finder.walk(node)
        return finder.found
    }

    private static func containsTry(_ node: some SyntaxProtocol) -> Bool {
        let finder = KeywordFinder(keyword: .try)
        finder.walk(node)
        return finder.found
    }

    private static func text(_ bytes: [UInt8], _ from: AbsolutePosition, _ to: AbsolutePosition) -> String {
        String(decoding: bytes[from.utf8Offset..<to.utf8Offset], as: UTF8.self)
    }
}

/// Finds a keyword outside closures and nested declarations (whose bodies are their own
/// context: `await` in a `Task { }` closure or an `async` function does not make top-level
/// code async, and `try` there does not make an initializer throw). `try?` and `try!` do not
/// throw and are not counted.
private final class KeywordFinder: SyntaxVisitor {
    let keyword: Keyword
    var found = false

    init(keyword: Keyword) {
        self.keyword = keyword
        super.init(viewMode: .sourceAccurate)
    }

    override func visit(_ node: ClosureExprSyntax) -> SyntaxVisitorContinueKind { .skipChildren }
    override func visit(_ node: FunctionDeclSyntax) -> SyntaxVisitorContinueKind { .skipChildren }
    override func visit(_ node: AccessorBlockSyntax) -> SyntaxVisitorContinueKind { .skipChildren }
    override func visit(_ node: MemberBlockSyntax) -> SyntaxVisitorContinueKind { .skipChildren }

    override func visit(_ node: TryExprSyntax) -> SyntaxVisitorContinueKind {
        if keyword == .try && node.questionOrExclamationMark == nil { found = true }
        return .visitChildren
    }

    override func visit(_ token: TokenSyntax) -> SyntaxVisitorContinueKind {
        if keyword == .await && token.tokenKind == .keyword(.await) { found = true }
        return .skipChildren
    }
}
