import Foundation

/// Compiles `model` lazily, like `torch.compile`: the returned callable exports, compiles
/// (``aotCompile(_:exampleInputs:options:)``, through the compile cache) and loads the model
/// on its first call for each input shape, then reuses that library for the shape.
///
/// ```swift
/// let fast = compile(try resnet18())
/// let (y, firstMs) = try timed { try fast(x) }   // export + C compiler + dlopen
/// let (_, nextMs) = try timed { try fast(x) }    // the library only
/// ```
public func compile(_ model: Module, options: AOTCompileOptions = .init(log: { _ in })) -> JITCompiledModel {
    JITCompiledModel(model: model, options: options)
}

/// The callable ``compile(_:options:)`` returns. Thread-safe: concurrent first calls for one
/// shape compile once.
public final class JITCompiledModel: @unchecked Sendable {
    private let model: Module
    private let options: AOTCompileOptions
    private let lock = NSLock()
    private var libraries: [[Int]: CompiledModel] = [:]
    private var reports: [[Int]: AOTCompileReport] = [:]

    init(model: Module, options: AOTCompileOptions) {
        self.model = model
        self.options = options
    }

    /// Input shapes compiled so far.
    public var compiledShapes: [[Int]] { lock.withLock { Array(libraries.keys) } }

    /// What compiling for `shape` did (nil before the first call with that shape).
    public func report(for shape: [Int]) -> AOTCompileReport? { lock.withLock { reports[shape] } }

    /// The library for `x`'s shape, compiled on first use.
    public func library(for x: Tensor) throws -> CompiledModel {
        try lock.withLock {
            if let lib = libraries[x.shape] { return lib }
            // Each shape is specialised (static), as torch.compile does on first call.
            let program = try export(model, exampleInputs: [x])
            let report = try aotCompileWithReport(program, exampleInputs: [x], options: options)
            let lib = try aotLoad(report.path)
            libraries[x.shape] = lib
            reports[x.shape] = report
            return lib
        }
    }

    /// Runs the model on `x`, compiling first when this shape is new.
    public func callAsFunction(_ x: Tensor) throws -> Tensor { try library(for: x)(x) }
}
