/// Why an item cannot be shown: the image file is missing, too large or not an image.
public enum DisplayError: KilnError, Equatable, Sendable {
    /// The file could not be read; the path and the system's reason.
    case unreadable(String, String)
    /// The bytes are neither PNG nor SVG; what they came from.
    case notAnImage(String)
    /// The image is larger than ``maximumImageBytes``.
    case tooLarge(String, bytes: Int)

    /// The largest image a program may show: 16 MiB (a documentation figure is far smaller;
    /// the bound keeps a runaway program from filling the output folder).
    public static let maximumImageBytes = 16 << 20

    public var failureClass: FailureClass { .badInput }

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "show(image:): cannot read \(path): \(reason)"
        case .notAnImage(let source): return "show(image:): \(source) is neither a PNG nor an SVG image"
        case .tooLarge(let source, let bytes):
            return "show(image:): \(source) holds \(bytes) bytes, more than the \(Self.maximumImageBytes) an image may have"
        }
    }

    public var suggestion: String? {
        switch self {
        case .unreadable: return "Suggested fix: save the image first; relative paths start in the recipe's working directory."
        case .notAnImage: return "Suggested fix: save the figure as PNG or SVG (or show a Chart with show(chart:))."
        case .tooLarge: return "Suggested fix: save the figure smaller (fewer pixels, or SVG)."
        }
    }
}
