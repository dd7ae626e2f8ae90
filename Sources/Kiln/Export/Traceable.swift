/// A module that can describe its forward pass as graph ops, so that `export` can trace
/// (capture) it. Every layer of Kiln's engine conforms; a module that does not makes export
/// fail with ``ExportError/notTraceable(module:type:)`` (no graph breaks).
///
/// Tracing turns modules into a graph; "lowering" is the compiler's next step, graph →
/// lowered graph (`Compile/Lowering/`).
public protocol Traceable: Module {
    /// Appends the ops of this module's forward pass on `x` to `graph`; returns the output.
    func trace(_ x: GraphValue, in graph: GraphBuilder) throws -> GraphValue
}
