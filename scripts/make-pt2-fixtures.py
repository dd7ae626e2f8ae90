#!/usr/bin/env python3
"""Writes the .pt2 fixtures of Tests/KilnTests/PT2/ and Hostile/HostilePT2Tests.swift into
Tests/KilnTests/Fixtures/PT2/ (needs `pip install torch`; run from anywhere).

  tiny_cnn.pt2             torch.export.save of a small CNN touching every operator family
                           Kiln maps (ReLU6, Hardswish, SiLU, sigmoid gate, depthwise and dilated
                           convolutions, in-place residual add, channel shuffle through
                           view/transpose, cat, max/avg/adaptive pooling, mean, dropout, linear),
                           exported with dynamic_shapes={"x": {0: Dim("batch", min=2, max=32)}}
  tiny_cnn_decomposed.pt2  the same program after ep.run_decompositions() (core ATen IR)
  tiny_cnn.safetensors     input_b{1,2,3} and PyTorch's eager output_b{1,2,3}
  tiny_convnext.pt2, tiny_convnext.safetensors   two ConvNeXt blocks (layer_norm,
                           gelu exact and tanh, permutes, linear, layer scale); alone with
                           --tiny-convnext
  tiny_reductions.pt2, tiny_reductions.safetensors   amax/amin over channel and spatial
                           axes; alone with --tiny-reductions
  tiny_math.pt2, tiny_math.safetensors   elementwise math (sin … atanh, floor/ceil/round,
                           mish, exp/log/sqrt/abs/neg/sign/reciprocal); alone with --tiny-math
  hostile/*.pt2            broken or malicious variants of a minimal program (micro.pt2):
                           truncated, zip-slip and absolute member names, lying sizes,
                           compressed members, wrong dtypes and shapes, missing and pickled
                           weights, weight paths escaping the folder, deep JSON, schema 99,
                           unsupported operators, unbounded Dim ...
  hostile/manifest.json    what each must be refused with: {name: {"kind": …, "says": …}}
  recipes/models/tiny_cnn.pt2, tiny_cnn_pytorch.safetensors   copies for the recipe

  --resnet18 WEIGHTS.safetensors OUT.pt2 [--decompose]   torchvision's resnet18 with those
                           weights, exported and saved (used by the tests when torch is
                           installed; nothing is committed)
"""
import json, os, shutil, struct, zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "KilnTests", "Fixtures", "PT2")
HOSTILE = os.path.join(OUT, "hostile")


def save_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        data = t.detach().contiguous().float().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header, sort_keys=True).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def tiny_cnn():
    import torch
    from torch import nn
    import torch.nn.functional as F

    class TinyCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Conv2d(3, 16, 3, stride=2, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(16)
            self.relu6 = nn.ReLU6(inplace=True)                      # hardtanh_
            self.dw = nn.Conv2d(16, 16, 3, padding=2, dilation=2, groups=16, bias=False)
            self.bn2 = nn.BatchNorm2d(16)
            self.hswish = nn.Hardswish(inplace=True)                 # hardswish_
            self.se1 = nn.Conv2d(16, 4, 1)
            self.se2 = nn.Conv2d(4, 16, 1)
            self.pw = nn.Conv2d(16, 16, 1, bias=False)
            self.bn3 = nn.BatchNorm2d(16)
            self.branch = nn.Conv2d(16, 8, (3, 1), padding=(1, 0))   # rectangular kernel
            self.pool = nn.MaxPool2d(3, 2, 1)
            self.avg = nn.AvgPool2d(2, count_include_pad=False)
            self.drop = nn.Dropout(0.2)
            self.fc = nn.Linear(24 * 2 * 2 + 24, 10)

        def forward(self, x):
            y = self.relu6(self.bn1(self.stem(x)))                  # (N, 16, 8, 8)
            z = self.hswish(self.bn2(self.dw(y)))
            g = z.mean((2, 3), keepdim=True)                         # mean.dim
            g = torch.sigmoid(self.se2(F.silu(self.se1(g), inplace=True)))
            z = z * g                                                # mul.Tensor, broadcast
            z = self.bn3(self.pw(z))
            z += y                                                   # add_.Tensor
            z = F.relu(z, inplace=True)                              # relu_
            n = z.shape[0]
            z = z.view(n, 2, 8, 8, 8).transpose(1, 2).reshape(n, 16, 8, 8)   # channel shuffle
            c = torch.cat([z, torch.tanh(self.branch(y))], 1)        # (N, 24, 8, 8)
            c = F.leaky_relu(self.pool(c), 0.1)                      # (N, 24, 4, 4)
            a = self.avg(c) * F.hardsigmoid(c.mean((2, 3), keepdim=True))   # (N, 24, 2, 2)
            p = F.adaptive_avg_pool2d(c, 1).flatten(1)               # (N, 24)
            f = torch.cat([torch.flatten(a, 1), p], 1)
            return self.fc(self.drop(f))

    torch.manual_seed(0)
    m = TinyCNN().eval()
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, nn.BatchNorm2d):
                mod.weight.uniform_(0.5, 1.5); mod.bias.uniform_(-0.2, 0.2)
                mod.running_mean.uniform_(-0.2, 0.2); mod.running_var.uniform_(0.5, 1.5)
    return m


def micro():
    import torch
    from torch import nn

    class Micro(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3, padding=1)
            self.fc = nn.Linear(4, 2)

        def forward(self, x):
            return self.fc(torch.relu(self.conv(x)).mean((2, 3)))

    torch.manual_seed(1)
    return Micro().eval()


def tiny_convnext():
    """Two ConvNeXt blocks as torchvision writes them (depthwise 7x7, permute to NHWC,
    nn.LayerNorm, Linear, GELU exact and tanh, Linear, layer scale, permute back, residual)
    between a LayerNorm2d-style stem norm and a mean-pooled head."""
    import torch
    from torch import nn
    import torch.nn.functional as F

    class Block(nn.Module):
        def __init__(self, c, approximate):
            super().__init__()
            self.dw = nn.Conv2d(c, c, 7, padding=3, groups=c)
            self.norm = nn.LayerNorm(c, eps=1e-6)
            self.fc1, self.fc2 = nn.Linear(c, 4 * c), nn.Linear(4 * c, c)
            self.act = nn.GELU(approximate=approximate)
            self.gamma = nn.Parameter(torch.rand(c) * 0.5 + 0.5)

        def forward(self, x):
            y = self.dw(x).permute(0, 2, 3, 1)
            y = self.fc2(self.act(self.fc1(self.norm(y))))
            return x + (self.gamma * y).permute(0, 3, 1, 2)

    class TinyConvNeXt(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Conv2d(3, 8, 4, stride=4)
            self.stem_norm = nn.LayerNorm(8, eps=1e-6)
            self.blocks = nn.Sequential(Block(8, "none"), Block(8, "tanh"))
            self.head = nn.Linear(8, 10)

        def forward(self, x):
            x = self.stem_norm(self.stem(x).permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
            return self.head(self.blocks(x).mean(dim=(2, 3)))

    torch.manual_seed(3)
    return TinyConvNeXt().eval()


def write_tiny_convnext():
    """tiny_convnext.pt2 and tiny_convnext.safetensors (PyTorch's outputs). Default IR only: the
    decomposed program computes Linear's flattened batch with _operator.mul on sizes, which
    Kiln does not import."""
    m = tiny_convnext()
    export(m, os.path.join(OUT, "tiny_convnext.pt2"))
    save_safetensors(os.path.join(OUT, "tiny_convnext.safetensors"), references(m, seed=8))


def tiny_reductions():
    """amax and amin (aten.amax/amin.default) over channel and spatial axes, beside mean."""
    import torch
    from torch import nn

    class TinyReductions(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 6, 3, padding=1)
            self.fc = nn.Linear(6 + 6 + 16, 4)

        def forward(self, x):
            y = self.conv(x)
            top = y.amax(dim=(2, 3))                                 # (N, 6)
            low = y.amin(dim=(2, 3), keepdim=True).flatten(1)        # (N, 6)
            chan = y.amax(dim=1).amin(dim=-1)                        # (N, 16)
            return self.fc(torch.cat([top, low, chan + y.mean(dim=(1, 3))], 1))

    torch.manual_seed(4)
    return TinyReductions().eval()


def write_tiny_reductions():
    m = tiny_reductions()
    export(m, os.path.join(OUT, "tiny_reductions.pt2"))
    save_safetensors(os.path.join(OUT, "tiny_reductions.safetensors"), references(m, seed=9))


def tiny_math():
    """One tensor through every elementwise math function Kiln maps from ATen, each kept in
    its domain (asin/acos/atanh of a tanh, acosh of 1 + |x|, log/sqrt of a positive value).
    Rounding takes the input times 4, which every engine computes exactly: on a convolution's
    output, a value a rounding error away from an integer could round either way."""
    import torch
    from torch import nn

    class TinyMath(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3, padding=1)

        def forward(self, x):
            y = self.conv(x)
            t = torch.tanh(y) * 0.9
            parts = [torch.sin(y), torch.cos(y), torch.tan(t), torch.asin(t), torch.acos(t), torch.atan(y),
                     torch.sinh(t), torch.cosh(t), torch.asinh(y), torch.acosh(1 + y.abs()), torch.atanh(t),
                     torch.floor(x * 4), torch.ceil(x * 4), torch.round(x * 4), nn.functional.mish(y),
                     torch.exp(t), torch.log(1 + y.abs()), torch.sqrt(y.abs()), torch.neg(y), torch.sign(y),
                     torch.reciprocal(2 + t)]
            return torch.cat(parts, 1).mean(dim=(2, 3))

    torch.manual_seed(5)
    return TinyMath().eval()


def write_tiny_math():
    m = tiny_math()
    export(m, os.path.join(OUT, "tiny_math.pt2"))
    save_safetensors(os.path.join(OUT, "tiny_math.safetensors"), references(m, seed=10))


def references(model, seed):
    """Seeded inputs of batch 1, 2 and 3 (16x16 images) and the model's eager outputs."""
    import torch
    refs = {}
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for b in (1, 2, 3):
            x = torch.randn(b, 3, 16, 16, generator=g)
            refs[f"input_b{b}"], refs[f"output_b{b}"] = x, model(x)
    return refs


def export(model, path, decompose=False, image=16):
    import torch
    batch = torch.export.Dim("batch", min=2, max=32)
    ep = torch.export.export(model, (torch.randn(2, 3, image, image),), dynamic_shapes={"x": {0: batch}})
    if decompose:
        ep = ep.run_decompositions()
    torch.export.save(ep, path)
    # torch.export.save also stores the example inputs as a pickle (data/sample_inputs/);
    # Kiln never reads it, and the fixtures are smaller and pickle-free without it.
    strip(path, lambda name: "/data/sample_inputs/" not in name)


def members(path):
    with zipfile.ZipFile(path) as z:
        return [(i.filename, z.read(i.filename)) for i in z.infolist()]


def write_zip(path, entries, compress=False):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED) as z:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
            z.writestr(info, data)


def strip(path, keep):
    write_zip(path, [(n, d) for n, d in members(path) if keep(n)])


def edit_json(entries, suffix, fn):
    out = []
    for n, d in entries:
        if n.endswith(suffix):
            j = json.loads(d)
            fn(j)
            d = json.dumps(j).encode()
        out.append((n, d))
    return out


def hostile(micro_path):
    os.makedirs(HOSTILE, exist_ok=True)
    base = members(micro_path)
    root = base[0][0].split("/")[0]
    manifest = {}

    def case(name, entries=None, raw=None, kind="malformed", says="", compress=False):
        path = os.path.join(HOSTILE, name + ".pt2")
        if raw is not None:
            open(path, "wb").write(raw)
        else:
            write_zip(path, entries, compress)
        manifest[name] = {"kind": kind, "says": says}

    whole = open(micro_path, "rb").read()
    case("truncated", raw=whole[: len(whole) // 2], says="not a readable zip archive")
    case("not_a_zip", raw=b"this is not a zip archive at all\n" * 4, says="not a readable zip archive")
    case("zip_slip", base + [(root + "/../../../tmp/kiln-pt2-escape", b"x")], says="climbs out of the archive")
    case("absolute_member", base + [("/tmp/kiln-pt2-absolute", b"x")], says="absolute path")
    case("stray_member", base + [("elsewhere/file", b"x")], says="outside the archive's folder")
    case("compressed", base, compress=True, says="is compressed")
    case("duplicate_member", base + [base[0]], says="appears twice")
    # A weight's central-directory entry claims 2 GiB: refused before anything is read.
    lie = bytearray(whole)
    first_cd = whole.find(b"PK\x01\x02")
    struct.pack_into("<I", lie, first_cd + 24, 0x7FFFFFF0)      # uncompressed size
    struct.pack_into("<I", lie, first_cd + 20, 0x7FFFFFF0)      # compressed size
    case("huge_declared_size", raw=bytes(lie), says="bytes in a")
    case("missing_model_json", [(n, d) for n, d in base if not n.endswith("models/model.json")], says="models/<model>.json")
    case("missing_weights_config", [(n, d) for n, d in base if not n.endswith("model_weights_config.json")],
         says="model_weights_config.json is missing")
    wc = "model_weights_config.json"
    first_weight = json.loads(dict(base)[root + "/data/weights/" + wc])["config"]
    conv_w = first_weight["conv.weight"]["path_name"]
    case("missing_weight", [(n, d) for n, d in base if not n.endswith("/data/weights/" + conv_w)],
         kind="invalidWeight", says="which is missing")
    case("truncated_weight", [(n, d[:20] if n.endswith("/data/weights/" + conv_w) else d) for n, d in base],
         kind="invalidWeight", says="conv.weight")
    case("pickled_weight", edit_json(base, wc, lambda j: j["config"]["conv.weight"].update(use_pickle=True)),
         kind="invalidWeight", says="use_pickle: true")
    case("weight_path_escape", edit_json(base, wc, lambda j: j["config"]["conv.weight"].update(path_name="../../models/model.json")),
         kind="invalidWeight", says="not a plain name")
    case("wrong_dtype", edit_json(base, wc, lambda j: j["config"]["conv.weight"]["tensor_meta"].update(dtype=5)),
         kind="invalidWeight", says="dtype int64")
    case("wrong_shape", edit_json(base, wc, lambda j: j["config"]["conv.weight"]["tensor_meta"].update(
        sizes=[{"as_int": 4}, {"as_int": 3}, {"as_int": 5}, {"as_int": 5}],
        strides=[{"as_int": 75}, {"as_int": 25}, {"as_int": 5}, {"as_int": 1}])), kind="invalidWeight", says="but the graph uses it as")
    case("huge_stride", edit_json(base, wc, lambda j: j["config"]["conv.weight"]["tensor_meta"].update(
        strides=[{"as_int": 1 << 40}, {"as_int": 9}, {"as_int": 3}, {"as_int": 1}])), kind="invalidWeight", says="conv.weight")
    def graph_shape(j):
        j["graph_module"]["graph"]["tensor_values"]["conv2d"]["sizes"][1] = {"as_int": 5}
    case("wrong_graph_shape", edit_json(base, "models/model.json", graph_shape), kind="shapeMismatch", says="the archive records")
    case("bad_schema_version", edit_json(base, "models/model.json", lambda j: j.update(schema_version={"major": 99, "minor": 0})),
         kind="unsupportedVersion", says="schema version 99.0")
    def unsupported(j):
        nodes = j["graph_module"]["graph"]["nodes"]
        nodes[0]["target"] = "torch.ops.aten.conv3d.default"
        nodes[1]["target"] = "torch.ops.aten.erf.default"
    case("unsupported_ops", edit_json(base, "models/model.json", unsupported), kind="unsupportedOps",
         says="aten.conv3d.default (%conv2d); aten.erf.default (%relu)")
    def both(j):
        j["schema_version"] = {"major": 9, "minor": 0}
        unsupported(j)
    case("schema_and_ops", edit_json(base, "models/model.json", both), kind="unsupportedVersion", says="aten.erf.default")
    def gelu(approximate):
        def edit(j):
            relu = j["graph_module"]["graph"]["nodes"][1]
            relu["target"] = "torch.ops.aten.gelu.default"
            relu["inputs"].append({"name": "approximate", "arg": {"as_string": approximate}, "kind": 1})
        return edit
    case("gelu_unknown_approximate", edit_json(base, "models/model.json", gelu("fast")), kind="unsupportedArgument",
         says="gelu with approximate \"fast\"")
    def layer_norm(j):  # normalized_shape [7] of a (batch, 4, 16, 16) tensor
        relu = j["graph_module"]["graph"]["nodes"][1]
        relu["target"] = "torch.ops.aten.layer_norm.default"
        relu["inputs"] = [dict(relu["inputs"][0], name="input"), {"name": "normalized_shape", "arg": {"as_ints": [7]}, "kind": 1}]
    case("layer_norm_wrong_shape", edit_json(base, "models/model.json", layer_norm), kind="shapeMismatch",
         says="normalized_shape [7]")
    case("unbounded_dim", edit_json(base, "models/model.json", lambda j: [r.update(max_val=None) for r in j["range_constraints"].values()]),
         kind="unsupportedArgument", says="no upper bound")
    case("deep_json", [(n, b"[" * 5000 if n.endswith("models/model.json") else d) for n, d in base],
         kind="limitExceeded", says="deeper than")
    case("not_json", [(n, b"{\"graph_module\": " if n.endswith("models/model.json") else d) for n, d in base], says="not valid")
    case("wrong_json_types", edit_json(base, "models/model.json", lambda j: j["graph_module"]["graph"].update(nodes="conv")),
         says="graph_module.graph.nodes")
    def undefined(j):
        j["graph_module"]["graph"]["nodes"][1]["inputs"][0]["arg"] = {"as_tensor": {"name": "nowhere"}}
    case("undefined_value", edit_json(base, "models/model.json", undefined), kind="invalidGraph", says="%nowhere")
    case("wrong_archive_format", [(n, b"pt99" if n.endswith("/archive_format") else d) for n, d in base],
         kind="unsupportedVersion", says="reads \"pt2\" archives")
    with open(os.path.join(HOSTILE, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    return manifest


def resnet18_pt2(weights, out, decompose=False):
    """torchvision's resnet18 with the weights of a safetensors state dict, exported with a
    dynamic batch and saved as `out` (for the tests, when torch is installed)."""
    import torch, torchvision
    blob = open(weights, "rb").read()
    n = struct.unpack("<Q", blob[:8])[0]
    header = json.loads(blob[8:8 + n])
    state = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        begin, end = e["data_offsets"]
        dtype = {"F32": torch.float32, "I64": torch.int64}[e["dtype"]]
        state[name] = torch.frombuffer(bytearray(blob[8 + n + begin:8 + n + end]), dtype=dtype).reshape(e["shape"])
    model = torchvision.models.resnet18()
    model.load_state_dict(state, strict=False)
    export(model.eval(), out, decompose, image=224)


def main():
    import sys
    if len(sys.argv) >= 4 and sys.argv[1] == "--resnet18":
        resnet18_pt2(sys.argv[2], sys.argv[3], "--decompose" in sys.argv[4:])
        return
    if sys.argv[1:] == ["--tiny-convnext"]:  # only these fixtures (the others stay byte-identical)
        write_tiny_convnext()
        return
    if sys.argv[1:] == ["--tiny-reductions"]:
        write_tiny_reductions()
        return
    if sys.argv[1:] == ["--tiny-math"]:
        write_tiny_math()
        return
    import torch
    os.makedirs(OUT, exist_ok=True)
    m = tiny_cnn()
    export(m, os.path.join(OUT, "tiny_cnn.pt2"))
    export(m, os.path.join(OUT, "tiny_cnn_decomposed.pt2"), decompose=True)
    save_safetensors(os.path.join(OUT, "tiny_cnn.safetensors"), references(m, seed=7))
    write_tiny_convnext()
    write_tiny_reductions()
    write_tiny_math()
    # The recipe recipes/export_pytorch_pt2.md compiles the same program.
    models = os.path.join(ROOT, "recipes", "models")
    shutil.copyfile(os.path.join(OUT, "tiny_cnn.pt2"), os.path.join(models, "tiny_cnn.pt2"))
    shutil.copyfile(os.path.join(OUT, "tiny_cnn.safetensors"), os.path.join(models, "tiny_cnn_pytorch.safetensors"))
    micro_path = os.path.join(HOSTILE, "micro.pt2")
    os.makedirs(HOSTILE, exist_ok=True)
    export(micro(), micro_path)
    print(f"wrote {OUT}: {len(hostile(micro_path))} hostile cases")


if __name__ == "__main__":
    main()
