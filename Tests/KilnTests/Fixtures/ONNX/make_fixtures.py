#!/usr/bin/env python3
"""Builds the small ONNX fixtures of Tests/KilnTests/ONNX and their reference outputs.

Each model is built with onnx.helper from random weights (seeded, so reruns give the same
files), checked with onnx.checker, and run by ONNX Runtime on a batch-1 and a batch-3 input;
inputs and outputs go to <model>.safetensors (input_b1, output_b1, input_b3, output_b3).
Every model has a symbolic batch dimension "batch". Needs: pip install onnx onnxruntime numpy.

    python3 Tests/KilnTests/Fixtures/ONNX/make_fixtures.py
"""
import json, os, struct
import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(11)


class Builder:
    def __init__(self):
        self.nodes, self.inits, self.k = [], [], 0

    def name(self, base):
        self.k += 1
        return f"{base}_{self.k}"

    def const(self, array, base="w"):
        n = self.name(base)
        self.inits.append(numpy_helper.from_array(np.asarray(array), n))
        return n

    def op(self, op_type, inputs, n_out=1, **attrs):
        outs = [self.name(op_type.lower()) for _ in range(n_out)]
        self.nodes.append(helper.make_node(op_type, inputs, outs, name=f"/{outs[0]}/{op_type}", **attrs))
        return outs[0] if n_out == 1 else outs

    def conv(self, x, cin, cout, k=3, stride=1, pad=None, group=1, bias=True, pads=None):
        w = self.const((rng.standard_normal((cout, cin // group, k, k)) * (2.0 / (cin // group * k * k)) ** 0.5).astype(np.float32))
        ins = [x, w] + ([self.const(rng.standard_normal(cout).astype(np.float32) * 0.1, "b")] if bias else [])
        p = pads if pads is not None else [k // 2 if pad is None else pad] * 4
        return self.op("Conv", ins, kernel_shape=[k, k], strides=[stride, stride], pads=p, group=group)

    def bn(self, x, c):
        ps = [rng.uniform(0.5, 1.5, c), rng.standard_normal(c) * 0.1, rng.standard_normal(c) * 0.1, rng.uniform(0.5, 1.5, c)]
        return self.op("BatchNormalization", [x] + [self.const(p.astype(np.float32), "bn") for p in ps], epsilon=1e-5)

    def relu6(self, x):
        return self.op("Clip", [x, self.const(np.float32(0), "min"), self.const(np.float32(6), "max")])

    def batch_shape(self, x, rest):
        """torch.onnx.export's dynamic reshape target: [x.size(0)] + rest, via Shape/Gather/Unsqueeze/Concat."""
        s = self.op("Shape", [x])
        n = self.op("Gather", [s, self.const(np.int64(0), "idx")], axis=0)
        n1 = self.op("Unsqueeze", [n, self.const(np.array([0], np.int64), "axes")])
        return self.op("Concat", [n1, self.const(np.array(rest, np.int64), "rest")], axis=0)

    def model(self, x_shape, out, opset=14):
        g = helper.make_graph(self.nodes, "g", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch"] + x_shape)],
                              [helper.make_tensor_value_info(out, TensorProto.FLOAT, None)], self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="kiln-fixtures")
        m.ir_version = 8 if opset <= 18 else 9  # opset 19+ needs IR 9
        inferred = onnx.shape_inference.infer_shapes(m)
        info = [v for v in list(inferred.graph.value_info) + list(inferred.graph.output) if v.name == out and v.type.tensor_type.HasField("shape")][0]
        m.graph.output[0].CopyFrom(info)
        onnx.checker.check_model(m, full_check=True)
        return m


def mobilenet_like():
    b = Builder()
    x = b.relu6(b.bn(b.conv("input", 3, 8, stride=2, bias=False), 8))
    for _ in range(2):   # inverted residual blocks: expand, depthwise, project, add
        h = b.relu6(b.bn(b.conv(x, 8, 24, k=1, bias=False), 24))
        h = b.relu6(b.bn(b.conv(h, 24, 24, group=24, bias=False), 24))
        h = b.bn(b.conv(h, 24, 8, k=1, bias=False), 8)
        x = b.op("Add", [x, h])
    h = b.relu6(b.bn(b.conv(x, 8, 16, stride=2, group=8, bias=False), 16))   # depthwise-ish stride 2
    p = b.op("GlobalAveragePool", [h])
    f = b.op("Flatten", [p], axis=1)
    y = b.op("Gemm", [f, b.const(rng.standard_normal((10, 16)).astype(np.float32) * 0.3), b.const(rng.standard_normal(10).astype(np.float32))], transB=1)
    return b.model([3, 16, 16], y)


def se_block():
    b = Builder()
    x = b.op("Relu", [b.conv("input", 3, 16)])
    s = b.op("GlobalAveragePool", [x])
    s = b.conv(s, 16, 4, k=1)
    s = b.op("Mul", [s, b.op("Sigmoid", [s])])          # SiLU as torch exports it
    s = b.op("Sigmoid", [b.conv(s, 4, 16, k=1)])
    y = b.op("Mul", [x, s])                              # [N,C,H,W] * [N,C,1,1]
    y = b.op("HardSwish", [b.conv(y, 16, 8, k=3, stride=2)])
    return b.model([3, 12, 12], y)


def se_project():
    """Two EfficientNet-style squeeze-excitation blocks whose gated output feeds a 1x1
    projection (the compiled library folds each Mul into that convolution's packing); the
    second multiplies with the operands swapped, and its projection adds a residual."""
    b = Builder()
    x = b.conv("input", 3, 16)
    x = b.op("Mul", [x, b.op("Sigmoid", [x])])
    ys = []
    for i, (cin, cout) in enumerate([(16, 24), (24, 24)]):
        s = b.op("GlobalAveragePool", [x])
        s = b.conv(s, cin, 4, k=1)
        s = b.op("Mul", [s, b.op("Sigmoid", [s])])
        s = b.op("Sigmoid", [b.conv(s, 4, cin, k=1)])
        g = b.op("Mul", [x, s] if i == 0 else [s, x])
        y = b.bn(b.conv(g, cin, cout, k=1, bias=False), cout)
        x = y if i == 0 else b.op("Add", [y, x])
    return b.model([3, 10, 10], x)


def shuffle_unit():
    b = Builder()
    x = b.op("Relu", [b.conv("input", 3, 8)])
    left, right = b.op("Split", [x, b.const(np.array([4, 4], np.int64), "split")], n_out=2, axis=1)
    r = b.op("Relu", [b.bn(b.conv(right, 4, 4, k=1), 4)])
    r = b.bn(b.conv(r, 4, 4, group=4, bias=False), 4)
    r = b.op("Relu", [b.conv(r, 4, 4, k=1)])
    c = b.op("Concat", [left, r], axis=1)
    t = b.op("Reshape", [c, b.batch_shape(c, [2, 4, 10, 10])])
    t = b.op("Transpose", [t], perm=[0, 2, 1, 3, 4])
    t = b.op("Reshape", [t, b.batch_shape(t, [8, 10, 10])])
    t = b.op("Slice", [t, b.const(np.array([1, 2], np.int64)), b.const(np.array([7, 100], np.int64)), b.const(np.array([1, 3], np.int64)), b.const(np.array([1, 2], np.int64))])
    return b.model([3, 10, 10], t)


def mixed_ops():
    b = Builder()
    x = b.op("LeakyRelu", [b.conv("input", 3, 6, k=3, pads=[0, 1, 2, 1])], alpha=0.1)
    x = b.op("MaxPool", [x], kernel_shape=[3, 2], strides=[2, 2], pads=[1, 0, 1, 1], ceil_mode=1)
    x = b.op("AveragePool", [x], kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1], count_include_pad=0)
    x = b.op("LRN", [x], size=3, alpha=1e-3, beta=0.75, bias=1.0)
    x = b.op("Pad", [x, b.const(np.array([0, 0, 1, 2, 0, 0, 2, 1], np.int64), "pads")], mode="reflect")
    x = b.op("HardSigmoid", [x], alpha=0.3, beta=0.4)
    x = b.op("Sub", [x, b.const(rng.standard_normal((6, 1, 1)).astype(np.float32), "sub")])
    x = b.op("Div", [x, b.const(np.float32(1.5), "div")])
    x = b.op("Tanh", [x])
    m = b.op("ReduceMean", [x], axes=[2], keepdims=0)              # (N, 6, W)
    f = b.op("Flatten", [m], axis=1)
    y = b.op("Softmax", [b.op("MatMul", [f, b.const(rng.standard_normal((6 * 8, 4)).astype(np.float32) * 0.3, "fc")])], axis=-1)
    return b.model([3, 9, 9], y)


def upsampling():
    """PRelu, ConvTranspose (groups, stride 2, pads, output_padding; stride 1 with uneven pads) and
    Resize (nearest asymmetric/floor by scales, linear half_pixel)."""
    b = Builder()
    x = b.conv("input", 3, 6)
    x = b.op("PRelu", [x, b.const((rng.standard_normal((6, 1, 1)) * 0.5).astype(np.float32), "slope")])
    x = b.op("Resize", [x, "", b.const(np.array([1, 1, 2, 2], np.float32), "scales")], mode="nearest",
             coordinate_transformation_mode="asymmetric", nearest_mode="floor")                    # (6, 10, 12)
    w = b.const((rng.standard_normal((6, 2, 3, 3)) * 0.3).astype(np.float32))
    x = b.op("ConvTranspose", [x, w, b.const(rng.standard_normal(4).astype(np.float32) * 0.1, "b")],
             strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1], group=2)                       # (4, 20, 24)
    x = b.op("Resize", [x, "", b.const(np.array([1, 1, 3, 2], np.float32), "scales")], mode="linear",
             coordinate_transformation_mode="half_pixel")                                             # (4, 60, 48)
    w2 = b.const((rng.standard_normal((4, 2, 2, 3)) * 0.3).astype(np.float32))
    y = b.op("ConvTranspose", [x, w2], pads=[1, 0, 0, 2])                                             # (2, 60, 48)
    return b.model([3, 5, 6], y, opset=13)


def resize_modes():
    """Resize variants side by side (flattened and concatenated): nearest with every nearest_mode
    and half_pixel / pytorch_half_pixel / asymmetric coordinates, linear with half_pixel and
    asymmetric, odd and even factors, and PRelu with a per-channel slope."""
    b = Builder()
    x = b.op("PRelu", ["input", b.const(np.array([[[0.25]], [[-1.5]]], np.float32), "slope")])
    outs = []
    for mode, coords, nearest, scale in [("nearest", "half_pixel", "round_prefer_floor", [3, 2]),
                                         ("nearest", "half_pixel", "round_prefer_ceil", [2, 3]),
                                         ("nearest", "pytorch_half_pixel", "ceil", [3, 3]),
                                         ("nearest", "asymmetric", "round_prefer_floor", [2, 1]),
                                         ("linear", "asymmetric", "floor", [3, 2]),
                                         ("linear", "pytorch_half_pixel", "floor", [1, 4])]:
        r = b.op("Resize", [x, "", b.const(np.array([1, 1] + scale, np.float32), "scales")], mode=mode,
                 coordinate_transformation_mode=coords, nearest_mode=nearest)
        outs.append(b.op("Flatten", [r], axis=1))
    return b.model([2, 4, 5], b.op("Concat", outs, axis=1), opset=13)


def math_ops():
    """InstanceNormalization, the elementwise math (Elu, Selu, Softplus, Softsign, Exp, Log,
    Sqrt, Neg, Abs, Sign, Reciprocal, Shrink), Max/Min/Pow, ReduceSum, Tile and LogSoftmax."""
    b = Builder()
    x = b.conv("input", 3, 4)
    x = b.op("InstanceNormalization", [x, b.const(rng.uniform(0.5, 1.5, 4).astype(np.float32), "scale"),
                                       b.const(rng.standard_normal(4).astype(np.float32) * 0.1, "bias")], epsilon=1e-3)
    outs = [b.op("Elu", [x], alpha=0.7), b.op("Selu", [x]), b.op("Softplus", [x]), b.op("Softsign", [x]),
            b.op("Exp", [x]), b.op("Neg", [x]), b.op("Sign", [x]), b.op("Shrink", [x], lambd=0.4, bias=0.1)]
    a = b.op("Abs", [x])
    one = b.const(np.float32(1), "one")
    outs += [b.op("Log", [b.op("Add", [a, one])]), b.op("Sqrt", [a]), b.op("Reciprocal", [b.op("Add", [a, one])]),
             b.op("Pow", [a, b.const(np.float32(1.5), "exponent")]),
             b.op("Max", [x, b.const(rng.standard_normal((4, 1, 1)).astype(np.float32), "floor"), outs[0]]),
             b.op("Min", [x, b.const(np.float32(0.25), "ceiling")])]
    s = b.op("ReduceSum", [x, b.const(np.array([2, 3], np.int64), "axes")], keepdims=1)        # (N, 4, 1, 1)
    outs.append(b.op("Add", [x, s]))
    t = b.op("Tile", [x, b.const(np.array([1, 2, 1, 3], np.int64), "repeats")])                # (N, 8, 6, 18)
    outs.append(b.op("LogSoftmax", [t], axis=1))
    return b.model([3, 6, 6], b.op("Concat", [b.op("Flatten", [o], axis=1) for o in outs], axis=1), opset=17)


def resize_general():
    """Resize beyond whole factors: fractional scales (nearest, cubic), sizes through axes,
    align_corners, half_pixel_symmetric, antialias, exclude_outside with cubic_coeff_a, and
    tf_crop_and_resize (a region inside the image, without axes: where the region leaves the
    image, with axes, or on an axis of scale 1, ONNX Runtime 1.32 disagrees with ONNX's
    reference, which Kiln follows and ONNXNodeCaseTests checks)."""
    b = Builder()
    x = b.conv("input", 3, 2)
    outs = []
    for attrs, scales, sizes, roi in [
            (dict(mode="nearest"), [1, 1, 0.6, 1.7], None, None),
            (dict(mode="cubic"), [1, 1, 1.5, 0.8], None, None),
            (dict(mode="linear", coordinate_transformation_mode="align_corners"), None, [9, 4], None),
            (dict(mode="linear", coordinate_transformation_mode="half_pixel_symmetric"), [1, 1, 0.5, 1.25], None, None),
            (dict(mode="linear", antialias=1), [1, 1, 0.5, 0.7], None, None),
            (dict(mode="cubic", cubic_coeff_a=-0.5, exclude_outside=1), [1, 1, 2.5, 1.0], None, None),
            (dict(mode="linear", coordinate_transformation_mode="tf_crop_and_resize", extrapolation_value=5.0), [1, 1, 1.6, 1.5], None,
             [0, 0, 0.1, 0.3, 1, 1, 0.9, 0.8])]:
        ins = [x, b.const(np.array(roi, np.float32), "roi") if roi else "",
               b.const(np.array(scales, np.float32), "scales") if scales else ""]
        if sizes:
            ins.append(b.const(np.array(sizes, np.int64), "sizes"))
            attrs = dict(attrs, axes=[2, 3])   # the batch is symbolic: no size for it
        r = b.op("Resize", ins, **attrs)
        outs.append(b.op("Flatten", [r], axis=1))
    return b.model([3, 5, 6], b.op("Concat", outs, axis=1), opset=19)


def conv_transpose_shapes():
    """ConvTranspose 1-D (pads, output_padding, output_shape), and 2-D with auto_pad
    SAME_UPPER / SAME_LOWER and output_shape with explicit pads. (A SAME output larger than
    the unpadded one is avoided: ONNX Runtime 1.32 then clamps the padding at 0 and returns
    a smaller output than ONNX's reference, which Kiln follows.)"""
    b = Builder()
    x = b.conv("input", 3, 4)                                                                   # (N, 4, 5, 7)
    w = lambda shape: b.const((rng.standard_normal(shape) * 0.3).astype(np.float32))
    outs = [b.op("ConvTranspose", [x, w((4, 3, 3, 3))], strides=[2, 2], auto_pad="SAME_UPPER"),
            b.op("ConvTranspose", [x, w((4, 2, 3, 3))], strides=[3, 2], auto_pad="SAME_LOWER", group=2),
            b.op("ConvTranspose", [x, w((4, 1, 3, 3))], strides=[2, 2], pads=[1, 0, 0, 0], output_shape=[10, 15])]
    flat = b.op("Reshape", [x, b.batch_shape(x, [4, 35])])                                     # (N, 4, 35)
    outs += [b.op("ConvTranspose", [flat, w((4, 2, 3)), b.const(rng.standard_normal(2).astype(np.float32), "b")],
                  strides=[2], pads=[1, 2], output_padding=[1]),
             b.op("ConvTranspose", [flat, w((4, 3, 4))], strides=[3], output_shape=[107])]
    return b.model([3, 5, 7], b.op("Concat", [b.op("Flatten", [o], axis=1) for o in outs], axis=1), opset=17)


def pool3d():
    """3-D MaxPool (asymmetric pads, strides, ceil_mode, dilations) and AveragePool
    (count_include_pad 0 and 1, auto_pad SAME_UPPER) on (N, C, D, H, W)."""
    b = Builder()
    x = b.op("MaxPool", ["input"], kernel_shape=[2, 3, 2], strides=[2, 1, 2], pads=[1, 0, 1, 0, 1, 1], ceil_mode=1)
    a = b.op("AveragePool", [x], kernel_shape=[3, 2, 2], strides=[1, 2, 1], pads=[1, 1, 0, 1, 0, 1], count_include_pad=0)
    c = b.op("AveragePool", [x], kernel_shape=[2, 2, 3], strides=[2, 2, 2], auto_pad="SAME_UPPER", count_include_pad=1)
    m = b.op("MaxPool", [x], kernel_shape=[2, 2, 2], dilations=[2, 1, 2])
    return b.model([2, 5, 6, 7], b.op("Concat", [b.op("Flatten", [o], axis=1) for o in (a, c, m)], axis=1), opset=13)


def convnext_block():
    """A ConvNeXt block as torch.onnx.export (opset 17) writes it: depthwise 7x7 conv,
    Transpose to NHWC, LayerNormalization (axis -1), MatMul + Add, GELU as
    (x * (Erf(x / sqrt 2) + 1)) * 0.5, MatMul + Add, layer scale, Transpose back, residual;
    then a LayerNorm2d (Transpose, LayerNormalization, Transpose) and a bare Erf."""
    b = Builder()
    c = 8
    x = b.conv("input", 3, c, k=3)
    y = b.conv(x, c, c, k=7, group=c)
    y = b.op("Transpose", [y], perm=[0, 2, 3, 1])
    y = b.op("LayerNormalization", [y, b.const(rng.uniform(0.5, 1.5, c).astype(np.float32), "ln_w"),
                                    b.const(rng.standard_normal(c).astype(np.float32) * 0.1, "ln_b")], axis=-1, epsilon=1e-6)
    y = b.op("Add", [b.op("MatMul", [y, b.const(rng.standard_normal((c, 4 * c)).astype(np.float32) * 0.3, "fc1")]),
                     b.const(rng.standard_normal(4 * c).astype(np.float32) * 0.1, "fc1_b")])
    e = b.op("Erf", [b.op("Div", [y, b.const(np.float32(1.4142135381698608), "sqrt2")])])
    y = b.op("Mul", [b.op("Mul", [y, b.op("Add", [e, b.const(np.float32(1), "one")])]), b.const(np.float32(0.5), "half")])
    y = b.op("Add", [b.op("MatMul", [y, b.const(rng.standard_normal((4 * c, c)).astype(np.float32) * 0.2, "fc2")]),
                     b.const(rng.standard_normal(c).astype(np.float32) * 0.1, "fc2_b")])
    y = b.op("Mul", [y, b.const(rng.uniform(0.5, 1.0, c).astype(np.float32), "gamma")])
    x = b.op("Add", [x, b.op("Transpose", [y], perm=[0, 3, 1, 2])])
    z = b.op("Transpose", [x], perm=[0, 2, 3, 1])
    z = b.op("LayerNormalization", [z, b.const(rng.uniform(0.5, 1.5, c).astype(np.float32), "ln2_w"),
                                    b.const(rng.standard_normal(c).astype(np.float32) * 0.1, "ln2_b")], axis=3)
    z = b.op("Transpose", [z], perm=[0, 3, 1, 2])
    outs = [z, b.op("Erf", [x])]
    return b.model([3, 10, 12], b.op("Concat", [b.op("Flatten", [o], axis=1) for o in outs], axis=1), opset=17)


def gelu_ops():
    """Gelu (opset 20) in both forms, and LayerNormalization over the last two axes with a
    broadcast Scale and no B."""
    b = Builder()
    x = b.conv("input", 3, 4)
    outs = [b.op("Gelu", [x]), b.op("Gelu", [x], approximate="tanh"),
            b.op("LayerNormalization", [x, b.const(rng.uniform(0.5, 1.5, (1, 7)).astype(np.float32), "ln_w")], axis=-2)]
    return b.model([3, 6, 7], b.op("Concat", [b.op("Flatten", [o], axis=1) for o in outs], axis=1), opset=20)


def reductions():
    """Every Reduce* but Mean/Sum (opset 18: axes as an input), over runs of axes after the
    batch and axes with a gap (1 and 3), with and without keepdims; Prod and LogSum over
    positive values."""
    b = Builder()
    x = b.conv("input", 4, 4)
    pos = b.op("Add", [b.op("Sigmoid", [x]), b.const(np.float32(0.5), "half")])

    def red(op, v, axes, keep=1):
        return b.op(op, [v, b.const(np.array(axes, np.int64), "axes")], keepdims=keep)
    outs = [red("ReduceMax", x, [2, 3]), red("ReduceMin", x, [1], 0), red("ReduceL2", x, [3]), red("ReduceLogSumExp", x, [1, 2], 0),
            red("ReduceL1", x, [2]), red("ReduceSumSquare", x, [-1]), red("ReduceProd", pos, [1]), red("ReduceLogSum", pos, [2, 3], 0),
            red("ReduceMax", x, [1, 3]), red("ReduceL2", x, [1, 3], 0)]
    return b.model([4, 6, 5], b.op("Concat", [b.op("Flatten", [o], axis=1) for o in outs], axis=1), opset=18)


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name, a in tensors.items():
        a = np.ascontiguousarray(a, dtype=np.float32)
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
        blobs.append(a.tobytes())
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def main():
    for name, build in [("mobilenet_like", mobilenet_like), ("se_block", se_block), ("shuffle_unit", shuffle_unit), ("mixed_ops", mixed_ops), ("upsampling", upsampling), ("resize_modes", resize_modes),
                        ("math_ops", math_ops), ("resize_general", resize_general), ("conv_transpose_shapes", conv_transpose_shapes),
                        ("pool3d", pool3d), ("convnext_block", convnext_block), ("gelu_ops", gelu_ops),
                        ("reductions", reductions), ("se_project", se_project)]:
        m = build()
        path = os.path.join(HERE, name + ".onnx")
        onnx.save(m, path)
        sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        shape = [d.dim_value for d in m.graph.input[0].type.tensor_type.shape.dim[1:]]
        out = {}
        for n in (1, 3):
            x = rng.standard_normal([n] + shape).astype(np.float32)
            out[f"input_b{n}"] = x
            out[f"output_b{n}"] = sess.run(None, {"input": x})[0]
        write_safetensors(os.path.join(HERE, name + ".safetensors"), out)
        print(f"{name}: {len(m.graph.node)} nodes, output {out['output_b3'].shape}")


if __name__ == "__main__":
    main()
