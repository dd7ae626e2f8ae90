// Replays ONNX fuzz inputs, or (built by `make fuzz`) fuzzes the ONNX importer.
import Foundation
import KilnFuzzing

exit(FuzzDriver.main(.onnx))
