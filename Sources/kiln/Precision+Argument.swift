import ArgumentParser
import Kiln

/// `--precision fp32|bf16` on `kiln compile` and `kiln bench`.
extension Precision: ExpressibleByArgument {}
