import Foundation
import Testing
@testable import Kiln

/// Hostile inputs at run time, one test per case, each over the compiled library, the
/// eager-exported program and the JIT. The error is exact (class `.shape`, exit code 67),
/// the input is untouched, and the model still gives bit-identical results afterwards.
///
/// `LoaderTests.guardsOnEveryCall` and `ExportGuardTests` check the cases by kind and the
/// message texts; here the three surfaces must agree exactly. The JIT specialises on every
/// new shape (like torch.compile), so it has no input count, static dims or batch maximum to
/// violate: a new height compiles a new library by design. What it must refuse before
/// compiling anything is an input no model can take.
@Suite struct HostileInputTests {
    enum Surface: String, CaseIterable, CustomTestStringConvertible {
        case compiled, exported
        var testDescription: String { rawValue }

        /// Both are CompileFixtures' small resnet18: [s0, 3, 32, 32], s0 in 1…16.
        func run(_ inputs: [Tensor]) throws -> [Tensor] {
            switch self {
            case .compiled: try HostileInputTests.library.run(inputs)
            case .exported: try CompileFixtures.smallProgram.run(inputs)
            }
        }
    }

    static let library = try! aotLoad(CompileFixtures.smallLibrary)
    static let good = Tensor.randn([1, 3, 32, 32], seed: 41)
    static let goodResult: [Surface: [UInt32]] = Dictionary(uniqueKeysWithValues: Surface.allCases.map {
        ($0, try! $0.run([good])[0].scalars.map(\.bitPattern))
    })

    /// Every surface refuses `inputs` with exactly `expected`, leaves them as they were, and
    /// still computes the good input bit for bit as before.
    private func expectRefused(_ inputs: [Tensor], _ expected: InputGuardError, sourceLocation: SourceLocation = #_sourceLocation) {
        let copies = inputs.map { $0.scalars.map(\.bitPattern) }
        for surface in Surface.allCases {
            let e = Hostile.expectFailure(InputGuardError.self, .shape, sourceLocation: sourceLocation) { _ = try surface.run(inputs) }
            #expect(e == expected, "\(surface)", sourceLocation: sourceLocation)
            #expect(inputs.map { $0.scalars.map(\.bitPattern) } == copies, "\(surface) changed its input", sourceLocation: sourceLocation)
            #expect((try? surface.run([Self.good])[0].scalars.map(\.bitPattern)) == Self.goodResult[surface],
                    "\(surface) computes differently after refusing an input", sourceLocation: sourceLocation)
        }
    }

    private var inputShape: [SymDim] { CompileFixtures.smallProgram.signature.inputs[0].shape }
    private var batch: RangeConstraint { CompileFixtures.smallProgram.rangeConstraints[0] }

    @Test func wrongInputCount() {
        expectRefused([], .inputCount(names: ["x"], got: 0))
        expectRefused([Self.good, Self.good], .inputCount(names: ["x"], got: 2))
    }

    @Test func wrongRank() throws {
        expectRefused([.zeros([3, 32, 32])], .rank(input: "x", expected: inputShape, got: [3, 32, 32]))
        // The JIT has no exported shape: tracing the model refuses the 3-D input before compiling.
        let jit = compile(Hostile.tinyModel, options: CompileFixtures.options())
        let e = Hostile.expectFailure(ExportError.self, .shape) { _ = try jit(.zeros([3, 8, 8])) }
        #expect(e?.description.contains("[3, 8, 8]") == true, "\(String(describing: e))")
        #expect(jit.compiledShapes.isEmpty)
    }

    @Test func wrongStaticDimension() {
        expectRefused([.zeros([1, 3, 32, 31])],
                      .staticDimension(input: "x", dimension: 3, expected: inputShape, got: [1, 3, 32, 31], example: [1, 3, 32, 31]))
        expectRefused([.zeros([2, 4, 32, 32])],
                      .staticDimension(input: "x", dimension: 1, expected: inputShape, got: [2, 4, 32, 32], example: [2, 4, 32, 32]))
    }

    @Test func batchZero() throws {
        expectRefused([.zeros([0, 3, 32, 32])],
                      .belowOne(input: "x", dimension: 0, got: [0, 3, 32, 32], constraint: batch, example: [1, 3, 32, 32]))
        let jit = compile(Hostile.tinyModel, options: CompileFixtures.options())
        // Before the fix the JIT compiled a batch-0 library whose max pool divided by zero (SIGFPE).
        let e = Hostile.expectFailure(ExportError.self, .shape) { _ = try jit(.zeros([0, 3, 8, 8])) }
        #expect(e == .emptyExample(input: "x", shape: [0, 3, 8, 8]))
        #expect(jit.compiledShapes.isEmpty)
    }

    @Test func batchAboveMax() {
        expectRefused([.zeros([17, 3, 32, 32])], .aboveMax(input: "x", dimension: 0, size: 17, constraint: batch))
    }

    @Test func emptyTensors() throws {
        expectRefused([.zeros([1, 3, 0, 32])],
                      .staticDimension(input: "x", dimension: 2, expected: inputShape, got: [1, 3, 0, 32], example: [1, 3, 0, 32]))
        expectRefused([.zeros([2, 0, 32, 32])],
                      .staticDimension(input: "x", dimension: 1, expected: inputShape, got: [2, 0, 32, 32], example: [2, 0, 32, 32]))
        // Dimensions are checked in order: an empty batch is reported first.
        expectRefused([.zeros([0, 3, 0, 0])],
                      .belowOne(input: "x", dimension: 0, got: [0, 3, 0, 0], constraint: batch, example: [1, 3, 0, 0]))
        let jit = compile(Hostile.tinyModel, options: CompileFixtures.options())
        let e = Hostile.expectFailure(ExportError.self, .shape) { _ = try jit(.zeros([1, 3, 0, 8])) }
        #expect(e == .emptyExample(input: "x", shape: [1, 3, 0, 8]))
        #expect(jit.compiledShapes.isEmpty)
    }
}
