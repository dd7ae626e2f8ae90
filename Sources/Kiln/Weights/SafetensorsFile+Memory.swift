import Foundation

extension SafetensorsFile {
    /// Validates a safetensors image held in memory (a whole file's bytes, e.g. received over
    /// a pipe or embedded in another file), exactly as ``init(contentsOf:)`` validates a file.
    /// The bytes are copied; `url` is not read, it only names the image in errors and ``url``.
    public init(data: Data, url: URL) throws(SafetensorsError) {
        try self.init(file: MappedFile(copying: data, url: url), url: url)
    }
}
