import Foundation
import Testing
@testable import Kiln

/// aotLoad's checks: every load error, the device, and the guards on every call.
@Suite struct LoaderTests {
    static func expectLoadError(_ path: String, _ check: (LoadError) -> Bool, _ what: String) {
        do {
            _ = try aotLoad(path)
            Issue.record("\(what): loaded")
        } catch let e as LoadError {
            #expect(check(e), "\(what): \(e)")
            #expect(e.failureClass == .load || e.failureClass == .badInput)
            #expect(e.suggestion?.hasPrefix("Suggested fix:") == true)
        } catch {
            Issue.record("\(what): unexpected \(error)")
        }
    }

    @Test func missingFile() {
        Self.expectLoadError("/nonexistent/model.so", { if case .fileNotFound = $0 { true } else { false } }, "missing")
    }

    @Test func notAnELFFile() throws {
        let f = CompileFixtures.scratch().appendingPathComponent("text.so")
        try Data("not a library\n".utf8).write(to: f)
        Self.expectLoadError(f.path, { if case .notELF = $0 { true } else { false } }, "text file")
    }

    @Test func foreignSharedLibrary() throws {
        let libm = ["/lib/x86_64-linux-gnu/libm.so.6", "/usr/lib/x86_64-linux-gnu/libm.so.6"].first { FileManager.default.fileExists(atPath: $0) }
        guard let libm else { return }
        Self.expectLoadError(libm, { if case .notKilnLibrary = $0 { true } else { false } }, "libm")
    }

    @Test func truncatedLibrary() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: CompileFixtures.smallLibrary))
        let f = CompileFixtures.scratch().appendingPathComponent("half.so")
        try data.prefix(data.count / 2).write(to: f)
        Self.expectLoadError(f.path, { if case .truncated = $0 { true } else { false } }, "truncated")
    }

    @Test func otherABIVersion() throws {
        let dir = CompileFixtures.scratch()
        try Data("int kiln_abi_version(void) { return 999; }\n".utf8).write(to: dir.appendingPathComponent("v.c"))
        let r = try Subprocess.run(["cc", "-shared", "-fPIC", "v.c", "-o", "v.so"], in: dir)
        try #require(r.succeeded, "\(r.output)")
        Self.expectLoadError(dir.appendingPathComponent("v.so").path, {
            if case let .abiVersion(_, found, supported) = $0 { found == 999 && supported == KilnModelABI.version } else { false }
        }, "ABI 999")
    }

    @Test func cudaIsNotSupported() {
        #expect(throws: LoadError.unsupportedDevice("cuda")) { try aotLoad(CompileFixtures.smallLibrary, device: .cuda) }
    }

    @Test func guardsOnEveryCall() throws {
        let model = try aotLoad(CompileFixtures.smallLibrary)
        func expectGuard(_ inputs: [Tensor], _ check: (InputGuardError) -> Bool, _ what: String) {
            do {
                _ = try model.run(inputs)
                Issue.record("\(what): ran")
            } catch let e as InputGuardError {
                #expect(check(e), "\(what): \(e)")
                #expect(e.suggestion?.hasPrefix("Suggested fix:") == true)
            } catch {
                Issue.record("\(what): unexpected \(error)")
            }
        }
        expectGuard([], { if case .inputCount = $0 { true } else { false } }, "no inputs")
        expectGuard([Tensor.zeros([3, 32, 32])], { if case .rank = $0 { true } else { false } }, "rank 3")
        expectGuard([Tensor.zeros([1, 3, 32, 31])], { if case .staticDimension = $0 { true } else { false } }, "width 31")
        expectGuard([Tensor.zeros([17, 3, 32, 32])], { if case .aboveMax = $0 { true } else { false } }, "batch 17 > 16")
        expectGuard([Tensor.zeros([0, 3, 32, 32])], { if case .belowOne = $0 { true } else { false } }, "batch 0")
        // Batch 1 runs although the example had 2 (a range's min constrains export only).
        #expect(try model(Tensor.zeros([1, 3, 32, 32])).shape == [1, 1000])
    }

    @Test func metadataDescribesTheBuild() throws {
        let model = try aotLoad(CompileFixtures.smallLibrary)
        #expect(model.modelName == "resnet18")
        #expect(model.graphHash == CompileFixtures.smallProgram.graphHash)
        let meta = try #require(try JSONSerialization.jsonObject(with: Data(model.metadataJSON.utf8)) as? [String: Any])
        #expect(meta["kiln_version"] as? String == KilnVersion.string)
        #expect(meta["abi_version"] as? Int == Int(KilnModelABI.version))
        #expect((meta["autotune"] as? [Any])?.count == 20)
        #expect((meta["cpu"] as? [String: Any])?["features"] != nil)
        #expect(meta["options"] != nil)
    }
}
