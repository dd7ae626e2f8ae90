// Replays PyTorch-checkpoint fuzz inputs, or (built by `make fuzz`) fuzzes the .pth reader.
import Foundation
import KilnFuzzing

exit(FuzzDriver.main(.pytorch))
