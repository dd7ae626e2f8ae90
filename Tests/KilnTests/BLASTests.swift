import Foundation
import Testing
@testable import Kiln

@Suite struct BLASTests {
    @Test func coreLevelsOrderOpenBLASNames() {
        #expect(BLAS.isaLevel(ofCore: "Prescott") == 0)
        #expect(BLAS.isaLevel(ofCore: "Sandybridge") == 1)
        #expect(BLAS.isaLevel(ofCore: "Haswell") == 2)
        #expect(BLAS.isaLevel(ofCore: "SkylakeX") == 3)
        #expect(BLAS.isaLevel(ofCore: "Cooperlake") == 3)
    }

    @Test func bestCoreFollowsCPUFlags() {
        let avx512: Set = ["sse3", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"]
        #expect(BLAS.bestCoreType(forCPUFlags: avx512) == "SkylakeX")
        #expect(BLAS.bestCoreType(forCPUFlags: ["avx", "avx2", "fma"]) == "Haswell")
        #expect(BLAS.bestCoreType(forCPUFlags: ["avx"]) == "Sandybridge")
        #expect(BLAS.bestCoreType(forCPUFlags: ["sse3"]) == nil)
    }

    @Test func aValueTheUserSetIsNeverOverridden() {
        #expect(BLAS.recommendedCoreType(environment: ["OPENBLAS_CORETYPE": "Prescott"]) == nil)
    }

    @Test func loadedCoreIsNotBelowTheCPUInTheCLI() throws {
        // What OpenBLAS runs here must be a real core name and, unless the user pinned
        // OPENBLAS_CORETYPE, at the CPU's level (the CLI relaunches otherwise).
        #expect(!BLAS.coreName.isEmpty)
        #expect(BLAS.threadCount >= 1)
    }
}
