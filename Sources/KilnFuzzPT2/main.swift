// Replays .pt2 fuzz inputs, or (built by `make fuzz`) fuzzes the torch.export importer.
import Foundation
import KilnFuzzing

exit(FuzzDriver.main(.pt2))
