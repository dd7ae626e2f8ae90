import Foundation

/// Validates notebooks with the `nbformat` Python package's own validator (the reference for
/// what Jupyter accepts), run as `python3 -c 'import nbformat; …'`. When python3 or nbformat is
/// missing, ``unavailable`` says why and the tests skip, printing it (CI installs nbformat).
enum NbformatValidator {
    /// Why validation cannot run here, or nil when it can.
    static let unavailable: String? = {
        let (status, output) = python(["-c", "import nbformat"])
        return status == 0 ? nil : "Skipping nbformat validation: `python3 -c 'import nbformat'` failed (\(output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").last ?? "no python3")); `pip install nbformat` enables it"
    }()

    /// The validator's complaint about each notebook at `paths` that is not valid nbformat 4,
    /// and about one whose text is not what `nbformat.write` would write (so Kiln's notebooks
    /// diff cleanly against Jupyter's): empty when all are valid.
    static func problems(_ paths: [String]) -> [String] {
        let script = """
            import sys, nbformat
            for path in sys.argv[1:]:
                try:
                    nb = nbformat.read(path, as_version=4)
                    nbformat.validate(nb)
                    if nb.nbformat_minor != 5:
                        print(path + ": nbformat_minor is " + str(nb.nbformat_minor))
                    if open(path, encoding="utf-8").read() != nbformat.writes(nb) + "\\n":
                        print(path + ": not in nbformat's own layout")
                except Exception as e:
                    print(path + ": " + type(e).__name__ + ": " + str(e).splitlines()[0])
            """
        let (status, output) = python(["-c", script] + paths)
        var lines = output.split(separator: "\n").map(String.init)
        if status != 0 && lines.isEmpty { lines = ["python3 exited with status \(status)"] }
        return lines
    }

    private static func python(_ arguments: [String]) -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do { try process.run() } catch { return (-1, "\(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
