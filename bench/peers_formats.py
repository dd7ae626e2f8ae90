"""peers.py's file formats: safetensors read and written by hand (so the benchmark needs no
Kiln code) and the ResNet built as an ONNX graph from a torchvision state dict with the
`onnx` package (no PyTorch needed)."""
import json
import sys

import numpy as np

# ---- safetensors, by hand: 8-byte little-endian header length, JSON header, raw data ----

DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32, "F64": np.float64}


def read_safetensors(path):
    """name -> float32 array (BF16 widened; integer tensors such as num_batches_tracked skipped)."""
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        raw = data[a:b]
        if info["dtype"] == "BF16":
            arr = (np.frombuffer(raw, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)
        elif info["dtype"] in ("F32", "F16", "F64"):
            arr = np.frombuffer(raw, dtype=DTYPES[info["dtype"]]).astype(np.float32)
        else:
            continue
        out[name] = arr.reshape(info["shape"])
    return out


def write_safetensors(path, tensors):
    """Writes float32 tensors (name -> array); the header is padded to 8 bytes as the format asks."""
    header, offset, blobs = {}, 0, []
    for name, arr in tensors.items():
        blob = np.ascontiguousarray(arr, dtype=np.float32).tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for blob in blobs:
            f.write(blob)


# ---- the network as ONNX: torchvision's ResNet (v1.5: stride on the 3x3 conv of Bottleneck) ----

LAYERS = {"resnet18": ("basic", [2, 2, 2, 2]), "resnet34": ("basic", [3, 4, 6, 3]), "resnet50": ("bottleneck", [3, 4, 6, 3])}


def build_resnet_onnx(model, state):
    """Serialized ONNX (opset 17) of `model` with `state`'s weights: input x (batch, 3, 224, 224), output logits."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits, used = [], [], set()

    def const(name):
        if name not in state:
            sys.exit(f"peers.py: FAILED: the weights have no tensor {name!r} for {model}")
        if name not in used:
            used.add(name)
            inits.append(numpy_helper.from_array(np.ascontiguousarray(state[name], dtype=np.float32), name))
        return name

    def conv_bn(x, conv, bn, out, k, stride, pad, relu):
        c = out + "_conv"
        nodes.append(helper.make_node("Conv", [x, const(conv + ".weight")], [c], kernel_shape=[k, k],
                                      strides=[stride, stride], pads=[pad] * 4))
        y = out if not relu else out + "_bn"
        nodes.append(helper.make_node("BatchNormalization", [c] + [const(f"{bn}.{p}") for p in
                                      ("weight", "bias", "running_mean", "running_var")], [y], epsilon=1e-5))
        if relu:
            nodes.append(helper.make_node("Relu", [y], [out]))
        return out

    kind, counts = LAYERS[model]
    x = conv_bn("x", "conv1", "bn1", "stem", 7, 2, 3, True)
    nodes.append(helper.make_node("MaxPool", [x], ["maxpool"], kernel_shape=[3, 3], strides=[2, 2], pads=[1] * 4))
    x = "maxpool"
    for li, n in enumerate(counts, start=1):
        for bi in range(n):
            p = f"layer{li}.{bi}"
            stride = 2 if bi == 0 and li > 1 else 1
            t = p.replace(".", "_")
            if kind == "basic":
                h = conv_bn(x, p + ".conv1", p + ".bn1", t + "_a", 3, stride, 1, True)
                h = conv_bn(h, p + ".conv2", p + ".bn2", t + "_b", 3, 1, 1, False)
            else:
                h = conv_bn(x, p + ".conv1", p + ".bn1", t + "_a", 1, 1, 0, True)
                h = conv_bn(h, p + ".conv2", p + ".bn2", t + "_b", 3, stride, 1, True)
                h = conv_bn(h, p + ".conv3", p + ".bn3", t + "_c", 1, 1, 0, False)
            skip = x
            if p + ".downsample.0.weight" in state:
                skip = conv_bn(x, p + ".downsample.0", p + ".downsample.1", t + "_down", 1, stride, 0, False)
            nodes.append(helper.make_node("Add", [h, skip], [t + "_sum"]))
            nodes.append(helper.make_node("Relu", [t + "_sum"], [t]))
            x = t
    nodes.append(helper.make_node("GlobalAveragePool", [x], ["avgpool"]))
    nodes.append(helper.make_node("Flatten", ["avgpool"], ["flat"], axis=1))
    nodes.append(helper.make_node("Gemm", ["flat", const("fc.weight"), const("fc.bias")], ["logits"], transB=1))
    classes = state["fc.weight"].shape[0]
    graph = helper.make_graph(
        nodes, model, [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, 224, 224])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", classes])], initializer=inits)
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="kiln bench/peers.py")
    onnx.checker.check_model(proto)
    return proto.SerializeToString()
