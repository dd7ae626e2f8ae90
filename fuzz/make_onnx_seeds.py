#!/usr/bin/env python3
"""Writes the ONNX seed corpus (fuzz/corpus/onnx/): small models of the operators Kiln
imports (dynamic batch, shape arithmetic, pooling with pads, external data pointing nowhere)
and the dictionary fuzz/onnx.dict. Needs `pip install onnx`; deterministic (no random data)."""
import os
import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "onnx")


def model(nodes, inits, inputs, out_name, opset=13):
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs],
                          [helper.make_tensor_value_info(out_name, TensorProto.FLOAT, None)],
                          [numpy_helper.from_array(np.asarray(a), n) for n, a in inits])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m.SerializeToString()


def arange(*shape):
    return (np.arange(np.prod(shape)) / 7.0 - 1).astype(np.float32).reshape(shape)


def main():
    os.makedirs(OUT, exist_ok=True)
    seeds = {
        "relu": model([helper.make_node("Relu", ["x"], ["y"])], [], [("x", ["batch", 4])], "y"),
        "conv_bn_clip": model([
            helper.make_node("Conv", ["x", "w", "b"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
            helper.make_node("BatchNormalization", ["c", "s", "bb", "m", "v"], ["n"]),
            helper.make_node("Clip", ["n", "lo", "hi"], ["y"])],
            [("w", arange(2, 3, 3, 3)), ("b", arange(2)), ("s", np.ones(2, np.float32)), ("bb", arange(2)),
             ("m", arange(2)), ("v", np.ones(2, np.float32)), ("lo", np.float32(0)), ("hi", np.float32(6))],
            [("x", ["batch", 3, 5, 5])], "y"),
        "shape_reshape": model([
            helper.make_node("Shape", ["x"], ["s"]),
            helper.make_node("Gather", ["s", "i0"], ["n"], axis=0),
            helper.make_node("Unsqueeze", ["n", "ax"], ["n1"]),
            helper.make_node("Concat", ["n1", "rest"], ["t"], axis=0),
            helper.make_node("Reshape", ["x", "t"], ["r"]),
            helper.make_node("Transpose", ["r"], ["y"], perm=[0, 2, 1])],
            [("i0", np.int64(0)), ("ax", np.array([0], np.int64)), ("rest", np.array([2, 6], np.int64))],
            [("x", ["batch", 3, 4])], "y"),
        "pools": model([
            helper.make_node("MaxPool", ["x"], ["p"], kernel_shape=[3, 2], strides=[2, 1], pads=[1, 0, 1, 1], ceil_mode=1),
            helper.make_node("AveragePool", ["p"], ["a"], kernel_shape=[2, 2], pads=[0, 1, 1, 0], count_include_pad=1),
            helper.make_node("GlobalAveragePool", ["a"], ["g"]),
            helper.make_node("Flatten", ["g"], ["f"]),
            helper.make_node("Gemm", ["f", "w", "b"], ["y"], transB=1)],
            [("w", arange(3, 2)), ("b", arange(3))], [("x", [1, 2, 6, 6])], "y"),
        "slice_split_concat": model([
            helper.make_node("Split", ["x", "sp"], ["a", "b"], axis=1),
            helper.make_node("Slice", ["b", "st", "en", "axs", "stp"], ["c"]),
            helper.make_node("Pad", ["c", "pads"], ["d"], mode="reflect"),
            helper.make_node("Concat", ["a", "d"], ["y"], axis=1)],
            [("sp", np.array([1, 1], np.int64)), ("st", np.array([-1], np.int64)), ("en", np.array([-100], np.int64)),
             ("axs", np.array([2], np.int64)), ("stp", np.array([-1], np.int64)), ("pads", np.zeros(8, np.int64))],
            [("x", ["batch", 2, 4, 4])], "y"),
    }
    ext = onnx.load_from_string(seeds["relu"])
    t = numpy_helper.from_array(arange(4), "w")
    t.ClearField("raw_data")
    t.data_location = TensorProto.EXTERNAL
    for k, v in [("location", "weights.bin"), ("offset", "0"), ("length", "16")]:
        e = t.external_data.add(); e.key, e.value = k, v
    ext.graph.initializer.append(t)
    ext.graph.node.append(helper.make_node("Add", ["y", "w"], ["z"]))
    ext.graph.output[0].name = "z"
    seeds["external_missing"] = ext.SerializeToString()
    for name, data in seeds.items():
        with open(os.path.join(OUT, name + ".onnx"), "wb") as f:
            f.write(data)
    ops = ["Conv", "BatchNormalization", "Relu", "Clip", "Sigmoid", "Add", "Mul", "MaxPool", "AveragePool", "GlobalAveragePool",
           "Gemm", "MatMul", "Flatten", "Reshape", "Transpose", "Concat", "Split", "Slice", "Squeeze", "Unsqueeze", "Softmax",
           "Pad", "Constant", "ConstantOfShape", "Shape", "Gather", "Cast", "kernel_shape", "strides", "pads", "dilations",
           "group", "axis", "axes", "perm", "ceil_mode", "count_include_pad", "auto_pad", "SAME_UPPER", "location", "offset",
           "length", "batch", "../", "/etc/passwd"]
    with open(os.path.join(HERE, "onnx.dict"), "w") as f:
        f.write("# ONNX operator and attribute names for libFuzzer (fuzz/make_onnx_seeds.py)\n")
        for o in ops:
            f.write(f'"{o}"\n')
    print(f"wrote {len(seeds)} seeds to {OUT}")


if __name__ == "__main__":
    main()
