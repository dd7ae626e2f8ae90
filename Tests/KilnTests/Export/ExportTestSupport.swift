import Foundation
import Testing
@testable import Kiln

/// Models and helpers shared by the export tests.
enum ExportFixtures {
    /// Seeded models, built once (seeded initialisation is slow in debug builds).
    nonisolated(unsafe) static let seededResNet18 = try! resnet18(weights: .seeded(1))

    /// A small seeded model with every layer type: conv (with bias), batch norm, relu, max
    /// pool, adaptive average pool, flatten, linear.
    static func smallModel(seed: UInt64 = 3) -> Sequential {
        let m = Sequential(Conv2d(3, 4, kernelSize: 3, padding: 1), BatchNorm2d(4), ReLU(),
                           MaxPool2d(kernelSize: 2), AdaptiveAvgPool2d(outputSize: (1, 1)), Flatten(startDim: 1), Linear(4, 2))
        m.assignPaths()
        m.initializeParameters(seed: seed)
        return m
    }

    /// `Dim("batch", min: 2, max: 32)` on dimension 0 of `x`.
    static let batch2to32: DynamicShapes = ["x": [0: Dim("batch", min: 2, max: 32)]]

    /// A fresh temporary directory, removed by the caller.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-export-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

