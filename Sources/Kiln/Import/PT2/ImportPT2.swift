import Foundation

/// Limits that keep a hostile or broken `.pt2` archive from exhausting memory or time.
public struct PT2ImportLimits: Sendable, Hashable {
    /// Largest archive.
    public var maxFileBytes: UInt64 = 16 << 30
    /// Most zip members.
    public var maxMembers = 100_000
    /// Largest JSON member (`models/model.json`, the weights config).
    public var maxJSONBytes: UInt64 = 256 << 20
    /// Deepest nesting of arrays and objects in a JSON member (the schema needs about 12).
    public var maxJSONDepth = 64
    public var maxNodes = 100_000
    /// Largest rank of any tensor.
    public var maxRank = 8
    /// Most elements of one weight.
    public var maxTensorElements = 1 << 30
    /// Most bytes of weights once read as float32 (and of any one storage file).
    public var maxWeightBytes: UInt64 = 16 << 30

    public init() {}
    public static let `default` = PT2ImportLimits()
}

/// The schema major version of `torch.export`'s serialization Kiln reads (torch 2.15 writes
/// 8.20; minor versions only add fields).
public let pt2SupportedSchemaMajor = 8

/// Imports a program saved by `torch.export.save(ep, "model.pt2")` as an ``ExportedProgram``
/// — printable, savable to `.kep`, run by the interpreter behind the same guards, and
/// compiled by `aotCompile` unchanged. No Python runs and nothing is unpickled.
///
/// ```swift
/// let program = try importPT2(URL(fileURLWithPath: "resnet18.pt2"))
/// print(program.rangeConstraints)   // [s77: 2…32 (Dim "s77")], the program's own symbol
/// ```
///
/// The program's dynamic dimensions keep their own symbols and ranges
/// (`torch.export.Dim("batch", min=2, max=32)` is saved as `s77` in 2…32); only dimension 0
/// of an input may be dynamic, and it needs a finite `max`. Both the default export IR
/// (`aten.conv2d`, `aten.batch_norm`, `aten.relu_`, `aten.linear`, …) and the core ATen IR of
/// `ep.run_decompositions()` (`aten.convolution`, `aten._native_batch_norm_legit_no_training`,
/// `aten.addmm`, …) import; `x * sigmoid(x)` becomes `silu`.
///
/// - Throws: ``PT2ImportError`` naming the file and the member, node or weight at fault, with
///   a `Suggested fix:` — unsupported operators are all listed at once, as are a schema
///   version Kiln does not read, pickled weights (`use_pickle: true`) and parsing limits.
public func importPT2(_ url: URL, limits: PT2ImportLimits = .default) throws -> ExportedProgram {
    try PT2Importer(archive: try PT2Archive(url: url, limits: limits)).run()
}

/// Imports an archive whose bytes are already in memory; `url` names it in messages.
public func importPT2(data: Data, url: URL, limits: PT2ImportLimits = .default) throws -> ExportedProgram {
    try PT2Importer(archive: try PT2Archive(data: data, url: url, limits: limits)).run()
}

/// What a `.pt2` archive says about itself, read without importing the graph.
public struct PT2ArchiveInfo: Sendable, Hashable {
    /// `schema_version` of `models/<model>.json`.
    public let schemaVersion: PT2SchemaVersion
    /// `torch_version`, when recorded (`2.15.0+cu132`).
    public let torchVersion: String?
    /// The model's name inside the archive (`model`).
    public let modelName: String
    /// Nodes of the graph.
    public let nodeCount: Int
}

/// Reads the archive's header: schema version, torch version and node count.
public func readPT2Info(_ url: URL, limits: PT2ImportLimits = .default) throws -> PT2ArchiveInfo {
    let archive = try PT2Archive(url: url, limits: limits)
    let (name, model) = try PT2Importer.readModel(archive)
    return PT2ArchiveInfo(schemaVersion: model.schemaVersion, torchVersion: model.torchVersion, modelName: name,
                          nodeCount: model.graphModule.graph.nodes.count)
}
