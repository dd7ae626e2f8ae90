import ArgumentParser
import Foundation
import Kiln
import KilnBench

/// `kiln doctor`: what Kiln runs on — CPU, BLAS core and threads — and whether it is fast.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Show the CPU, the OpenBLAS core and thread counts Kiln uses."
    )

    func run() throws {
        let cpu = CPUInfo.current
        print("kiln \(KilnVersion.string)")
        print("CPU: \(cpu.modelName), \(cpu.logicalCores) logical cores, \(cpu.simdLevel)")
        print("BLAS: \(BLAS.summary)")
        print("Kiln kernels: \(Kernels.threadCount) threads (KILN_NUM_THREADS)")
        print("bf16 kernels (GEMMs and convolutions): \(CPUInfo.bf16GemmEngine)")
        print(FMAPeak.measure())
        print(CoreRoundTrip.measure().map(\.description) ?? "core-to-core round trip: not measured (fewer than two CPUs)")
        if let relaunched = ProcessInfo.processInfo.environment["KILN_BLAS_RELAUNCHED"], relaunched == "1" {
            print("note: relaunched with OPENBLAS_CORETYPE=\(ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "?") because OpenBLAS picked a core below this CPU")
        }
    }
}
