#!/usr/bin/env python3
"""Export torchvision classification CNNs to ONNX and check Kiln against ONNX Runtime.

For each model: `torch.onnx.export` (random weights, opset 17, a dynamic batch axis), then a
seeded batch of 2 through ONNX Runtime (the reference), `kiln infer --onnx` (the interpreter)
and `kiln compile … --dynamic-batch 1...32` + `kiln infer --library` (the compiled library).
Prints max |diff| / max |ref| for both and the cold compile time. Needs
`pip install torch torchvision onnx onnxruntime numpy` and a built kiln (default: debug).

    python3 bench/torchvision_onnx.py [--kiln .build/release/kiln] [--out DIR] [MODEL …]
"""
import argparse, json, os, struct, subprocess, sys, tempfile, time

import numpy as np

MODELS = ["mobilenet_v2", "efficientnet_b0", "shufflenet_v2_x1_0", "squeezenet1_0", "googlenet",
          "densenet121", "regnet_y_400mf", "resnext50_32x4d"]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def save_safetensors(path, name, array):
    data = np.ascontiguousarray(array, dtype=np.float32).tobytes()
    header = json.dumps({name: {"dtype": "F32", "shape": list(array.shape), "data_offsets": [0, len(data)]}}).encode()
    header += b" " * ((8 - len(header) % 8) % 8)  # the format pads the header to 8 bytes
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header + data)


def load_safetensors(path, name):
    blob = open(path, "rb").read()
    n = struct.unpack("<Q", blob[:8])[0]
    entry = json.loads(blob[8:8 + n])[name]
    begin, end = entry["data_offsets"]
    return np.frombuffer(blob[8 + n + begin:8 + n + end], dtype=np.float32).reshape(entry["shape"])


def export(name, path):
    import torch, torchvision
    torch.manual_seed(0)
    extra = {"aux_logits": False, "init_weights": True} if name == "googlenet" else {}
    model = getattr(torchvision.models, name)(weights=None, **extra).eval()
    torch.onnx.export(model, torch.randn(1, 3, 224, 224), path, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, opset_version=17, dynamo=False)


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(f"{' '.join(cmd)} exited {r.returncode}: {r.stderr.strip()[-600:]}")


def check_kiln(kiln, f, model_args, compile_args, x, ref):
    """Runs `x` through Kiln's interpreter (`kiln infer` + `model_args`) and through a library
    compiled by `kiln compile` + `compile_args`, with the files named by `f(ext)`; returns
    (eager, compiled) as max |diff| / max |ref| and the compile's seconds."""
    save_safetensors(f("in.safetensors"), "x", x)
    run([kiln, "infer", *model_args, "--input", f("in.safetensors") + ":x", "--output", f("eager.safetensors")])
    start = time.time()
    run([kiln, "compile", *compile_args, "--output", f("so")])
    seconds = time.time() - start
    run([kiln, "infer", "--library", f("so"), "--input", f("in.safetensors") + ":x", "--output", f("lib.safetensors")])
    scale = float(np.abs(ref).max())
    eager = np.abs(load_safetensors(f("eager.safetensors"), "logits") - ref).max() / scale
    compiled = np.abs(load_safetensors(f("lib.safetensors"), "logits") - ref).max() / scale
    return eager, compiled, seconds


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--kiln", default=os.path.join(ROOT, ".build", "debug", "kiln"))
    p.add_argument("--out", help="folder for the .onnx files and results (default: a temporary one)")
    p.add_argument("models", nargs="*", default=MODELS)
    a = p.parse_args()
    import onnxruntime as ort
    out = a.out or tempfile.mkdtemp(prefix="kiln-torchvision-")
    os.makedirs(out, exist_ok=True)
    failed = 0
    print("| model | eager max|Δ|/max|ref| | compiled | cold compile s |\n|---|---:|---:|---:|")
    for name in a.models:
        f = lambda ext: os.path.join(out, f"{name}.{ext}")
        try:
            export(name, f("onnx"))
            x = np.random.default_rng(0).standard_normal((2, 3, 224, 224)).astype(np.float32)
            so = ort.SessionOptions()
            so.intra_op_num_threads = 2
            ref = ort.InferenceSession(f("onnx"), so).run(None, {"input": x})[0]
            eager, compiled, seconds = check_kiln(a.kiln, f, ["--onnx", f("onnx")],
                                                  [f("onnx"), "--dynamic-batch", "1...32"], x, ref)
            print(f"| {name} | {eager:.1e} | {compiled:.1e} | {seconds:.1f} |", flush=True)
            failed += eager > 1e-4 or compiled > 5e-4
        except Exception as e:  # one model's failure is reported, the others still run
            print(f"| {name} | FAILED: {e} | | |", flush=True)
            failed += 1
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
