// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Kiln",
    platforms: [.macOS(.v13)],
    products: [
        // Dynamic so that recipe programs (and users' own tools) can link `-lKiln`
        // against the already-built library instead of rebuilding the package.
        .library(name: "Kiln", type: .dynamic, targets: ["Kiln"]),
        .library(name: "KilnRecipes", targets: ["KilnRecipes"]),
        .executable(name: "kiln", targets: ["kiln"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // Zip reading for PyTorch .pth checkpoints (one bridge file: Weights/PyTorch/ZipArchive.swift).
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        // ONNX models are protobuf: parsed by the generated types of Import/ONNX/Generated.
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        // swift-syntax's parser: recipe programs (ProgramGenerator's BlockSplitter classifies
        // each block's top-level items) and Swift highlighting in the recipe pages
        // (Render/SwiftHighlighter.swift). Exact: its major version follows Swift releases, and
        // both uses must see the same parser.
        .package(url: "https://github.com/swiftlang/swift-syntax", exact: "602.0.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CCmarkGFM",
            pkgConfig: "libcmark-gfm",
            providers: [.apt(["libcmark-gfm-dev", "libcmark-gfm-extensions-dev"])]
        ),
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .target(
            name: "CKilnKernels",
            dependencies: ["COpenBLAS"],
            cSettings: [
                // Kernels are hot even in debug builds (tests run ResNet on real weights):
                // always optimise them. -O3 after SwiftPM's -O0 wins.
                .unsafeFlags(["-O3", "-fno-math-errno"]),
            ],
            linkerSettings: [.linkedLibrary("pthread"), .linkedLibrary("m")]
        ),
        .target(
            name: "Kiln",
            dependencies: ["CKilnKernels", "COpenBLAS", .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                           .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["Import/ONNX/Generated/README.md"]
        ),
        // The benchmark harness (`kiln bench`): FLOP counts, latency statistics, the sgemm peak
        // and fresh-process runs from a plain C host. Outside the engine library, which has no
        // use for it. CKilnKernels for the FMA peak's register-only chains (kiln_fma_peak.c).
        .target(name: "KilnBench", dependencies: ["Kiln", "CKilnKernels"]),
        .target(
            name: "KilnRecipes",
            dependencies: ["CCmarkGFM", "Kiln",
                           .product(name: "SwiftParser", package: "swift-syntax"),
                           .product(name: "SwiftSyntax", package: "swift-syntax")]
        ),
        .executableTarget(
            name: "kiln",
            dependencies: [
                "Kiln", "KilnBench", "KilnRecipes",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Fuzzing (`make fuzz`, README "Fuzzing"): the entry functions and their invariants,
        // shared by the libFuzzer builds, the replay executables and the regression tests.
        // CLibFuzzer only declares libFuzzer's LLVMFuzzerRunDriver (called under KILN_LIBFUZZER).
        .systemLibrary(name: "CLibFuzzer"),
        .target(name: "KilnFuzzing", dependencies: ["Kiln", "KilnRecipes", "CLibFuzzer"]),
        .executableTarget(name: "KilnFuzzRecipe", dependencies: ["KilnFuzzing"]),
        .executableTarget(name: "KilnFuzzSafetensors", dependencies: ["KilnFuzzing"]),
        .executableTarget(name: "KilnFuzzPyTorch", dependencies: ["KilnFuzzing"]),
        .executableTarget(name: "KilnFuzzONNX", dependencies: ["KilnFuzzing"]),
        .executableTarget(name: "KilnFuzzPT2", dependencies: ["KilnFuzzing"]),
        // Test helpers shared by the test targets (snapshot files).
        .target(name: "KilnTestSupport", path: "Tests/KilnTestSupport"),
        .testTarget(
            name: "KilnTests",
            dependencies: ["Kiln", "CKilnKernels", "KilnTestSupport", "KilnFuzzing",
                           .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["Snapshots", "Fixtures/PyTorch", "Fixtures/ONNX"]
        ),
        .testTarget(name: "KilnBenchTests", dependencies: ["KilnBench"]),
        .testTarget(
            name: "KilnRecipesTests",
            dependencies: ["KilnRecipes", "KilnTestSupport", "KilnFuzzing"],
            exclude: ["Snapshots", "Fixtures"]
        ),
        .testTarget(
            name: "KilnCLITests",
            dependencies: ["Kiln", "KilnTestSupport", "KilnFuzzing"],
            exclude: ["Snapshots"]
        ),
    ]
)
