// Replays safetensors fuzz inputs, or (built by `make fuzz`) fuzzes the safetensors reader.
import Foundation
import KilnFuzzing

exit(FuzzDriver.main(.safetensors))
