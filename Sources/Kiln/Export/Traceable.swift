/// A module that can describe its forward pass as graph ops, so that `export` can capture
/// it. Every layer of Kiln's engine conforms; a module that does not makes export fail with
/// ``ExportError/noLowering(module:type:)`` (no graph breaks).
public protocol Lowerable: Module {
    /// Appends the ops of this module's forward pass on `x` to `graph`; returns the output.
    func lower(_ x: GraphValue, in graph: GraphBuilder) throws -> GraphValue
}
