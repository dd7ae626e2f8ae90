#!/bin/sh
# Regenerates Sources/Kiln/Import/ONNX/Generated/onnx.pb.swift from the onnx.proto that ships
# in the `onnx` pip package (proto2 syntax; ONNX's own canonical schema), with Debian's
# `protoc` (apt-get install protobuf-compiler) and protoc-gen-swift built from
# apple/swift-protobuf at the version Package.swift pins (1.39.0):
#
#   git clone https://github.com/apple/swift-protobuf /tmp/swift-protobuf
#   git -C /tmp/swift-protobuf checkout 1.39.0
#   (cd /tmp/swift-protobuf && swift build -c release --product protoc-gen-swift)
#   PROTOC_GEN_SWIFT=/tmp/swift-protobuf/.build/release/protoc-gen-swift scripts/regenerate-onnx-proto.sh
#
# The types are internal (Visibility=Internal): only Import/ONNX/ONNXProtobuf.swift uses them.
set -eu
cd "$(dirname "$0")/.."
plugin=${PROTOC_GEN_SWIFT:-$(command -v protoc-gen-swift || true)}
[ -x "$plugin" ] || { echo "protoc-gen-swift not found: set PROTOC_GEN_SWIFT (see the comment above)" >&2; exit 1; }
proto_dir=${ONNX_PROTO_DIR:-$(python3 -c 'import onnx, os; print(os.path.dirname(onnx.__file__))')}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$proto_dir/onnx.proto" "$tmp/onnx.proto"
protoc --plugin=protoc-gen-swift="$plugin" -I "$tmp" --swift_opt=Visibility=Internal --swift_opt=UseAccessLevelOnImports=true \
    --swift_out="$tmp" "$tmp/onnx.proto"
# SwiftProtobuf stays an internal import (only the bridge uses it); Foundation is imported
# plainly, as in the rest of the module (mixed access levels on one import are an error).
sed -e 's/^internal import Foundation$/import Foundation/' -e 's/^internal import FoundationEssentials$/import FoundationEssentials/' \
    "$tmp/onnx.pb.swift" > Sources/Kiln/Import/ONNX/Generated/onnx.pb.swift
echo "wrote Sources/Kiln/Import/ONNX/Generated/onnx.pb.swift from $proto_dir/onnx.proto ($(python3 -c 'import onnx; print("onnx", onnx.__version__)'))"
