import Foundation
import KilnTestSupport
import Testing
@testable import Kiln

@Suite struct ExportListingSnapshotTests {
    /// The listing of resnet18 at 224x224 with `Dim("batch", min: 2, max: 32)`; it does not
    /// depend on the weights, so the zero-weight architecture is enough.
    @Test func resnet18Listing() throws {
        let program = try export(ModelName.resnet18.build(), exampleInputs: [.zeros([2, 3, 224, 224])],
                                 dynamicShapes: ExportFixtures.batch2to32)
        Snapshot.expectMatches(program.description, named: "export-resnet18.txt")
    }
}
