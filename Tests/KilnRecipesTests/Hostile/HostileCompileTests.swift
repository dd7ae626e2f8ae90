import Foundation
import Testing
@testable import KilnRecipes

/// A compiler that never finishes (issue 15 item 12). Decision: `--timeout` (RunOptions.timeout)
/// bounds compiling a recipe's program as well as running it, unless a separate compile limit
/// is set; the compiler's process group is killed and the first block fails with a compile
/// error saying so.
@Suite(.enabled(if: TestEnvironment.canExecute, "needs libKiln.so"))
final class HostileCompileTests {
    let root = TestEnvironment.temporaryDirectory()

    deinit { try? FileManager.default.removeItem(atPath: root) }

    @Test func timeoutBoundsTheCompileStep() throws {
        let hanging = root + "/swiftc"
        try "#!/bin/sh\nsleep 240\n".write(toFile: hanging, atomically: true, encoding: .utf8)
        chmod(hanging, 0o755)
        try FileManager.default.createDirectory(atPath: root + "/recipes", withIntermediateDirectories: true)
        try "# Slow\n\n```swift\nprint(1)\n```\n".write(toFile: root + "/recipes/slow.md", atomically: true, encoding: .utf8)
        var options = RunOptions()
        options.outputDirectory = root + "/output"
        options.kilnBuildDirectory = TestEnvironment.buildDirectory!
        options.toolchain = SwiftToolchain(swiftc: hanging, version: "hanging 1.0")
        options.buildIdentity = "compile"
        options.timeout = 2
        let start = Date()
        let summary = try RecipeRunner(options).run([root + "/recipes"])
        #expect(Date().timeIntervalSince(start) < 120) // the fake compiler sleeps 240 s
        let block = try #require(summary.recipes.first?.execution?.blocks.first)
        guard case .failed(.compileError(let message)) = block.status else { Issue.record("\(block.status)"); return }
        #expect(message.hasPrefix("the compiler did not finish within 2.000 s (--timeout)"), "\(message)")
        #expect(summary.exitCode == 70)
    }
}
