// Replays recipe fuzz inputs, or (built by `make fuzz`) fuzzes the recipe front end.
import Foundation
import KilnFuzzing

exit(FuzzDriver.main(.recipe))
