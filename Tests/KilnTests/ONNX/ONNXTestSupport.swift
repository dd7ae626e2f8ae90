import Foundation
import Testing
@testable import Kiln

/// The committed ONNX fixtures (Tests/KilnTests/Fixtures/ONNX, made by make_fixtures.py)
/// and their ONNX Runtime references.
enum ONNXFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/ONNX")

    static func model(_ name: String) -> URL { directory.appendingPathComponent(name + ".onnx") }

    static func references(_ name: String) throws -> SafetensorsFile {
        try SafetensorsFile(contentsOf: directory.appendingPathComponent(name + ".safetensors"))
    }

    static let batch: DynamicShapes = ["input": [0: Dim("batch", min: 1, max: 8)]]

    /// max |Δ| ≤ tolerance · max |reference|.
    static func expectClose(_ got: Tensor, _ want: Tensor, tolerance: Float, _ what: String,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(got.shape == want.shape, "\(what): shape \(got.shape), reference \(want.shape)", sourceLocation: sourceLocation)
        guard got.shape == want.shape else { return }
        let c = got.compare(to: want, rtol: 0, atol: tolerance * Swift.max(want.maxAbs, 1e-6))
        #expect(c.isClose, "\(what): \(c)", sourceLocation: sourceLocation)
    }
}
