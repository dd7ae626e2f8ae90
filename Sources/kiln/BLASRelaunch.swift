import Foundation
import Kiln

/// Makes the fast OpenBLAS path run: OpenBLAS reads `OPENBLAS_CORETYPE` only when it is
/// loaded, so when it picked a core below this CPU (and the user did not set the variable)
/// the CLI re-executes itself once with the variable set. `KILN_BLAS_AUTOFIX=0` turns this
/// off; `KILN_BLAS_RELAUNCHED` guards against loops.
enum BLASRelaunch {
    static func relaunchIfNeeded() {
        let env = ProcessInfo.processInfo.environment
        guard env["KILN_BLAS_AUTOFIX"] != "0", env["KILN_BLAS_RELAUNCHED"] == nil,
              let core = BLAS.recommendedCoreType(environment: env) else { return }
        if env["KILN_DEBUG"] != nil {
            FileHandle.standardError.write(Data("kiln: OpenBLAS picked \(BLAS.coreName); relaunching with OPENBLAS_CORETYPE=\(core)\n".utf8))
        }
        setenv("OPENBLAS_CORETYPE", core, 1)
        setenv("KILN_BLAS_RELAUNCHED", "1", 1)
        let args = CommandLine.arguments
        let cargs = args.map { strdup($0) } + [nil]
        execv("/proc/self/exe", cargs)
        // execv returned: keep going on the slow path rather than failing.
        FileHandle.standardError.write(Data("kiln: could not relaunch with OPENBLAS_CORETYPE=\(core) (errno \(errno)); continuing\n".utf8))
    }
}
