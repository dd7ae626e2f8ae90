/// A recipe's generated program: its source and how to compile it.
public struct GeneratedProgram: Sendable, Equatable {
    /// The Swift source (one file).
    public var source: String
    /// The layout it is in (see ``ProgramGenerator``).
    public var layout: ProgramGenerator.Layout

    /// Creates a program.
    public init(source: String, layout: ProgramGenerator.Layout) {
        self.source = source
        self.layout = layout
    }

    /// `swiftc` flags the layout needs: the function layout has no top-level code and names
    /// its entry point with `@main`, which a main file does not allow.
    public var compilerFlags: [String] { layout == .functions ? ["-parse-as-library"] : [] }
}
