import Foundation

extension URL {
    /// The path as the caller spelled it, for error messages: `../shared/x.safetensors` stays
    /// relative instead of being resolved against the working directory. Messages then read
    /// the same wherever the checkout lives, so regenerated documents that show an error stay
    /// byte-identical across machines (`kiln verify --check` compares them).
    var displayPath: String { relativePath }  // an absolute URL's relativePath is its path
}
