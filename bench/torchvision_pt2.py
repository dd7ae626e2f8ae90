#!/usr/bin/env python3
"""Export torchvision classification CNNs with torch.export and check Kiln against PyTorch.

For each model: `torch.export.export` (random weights, eval mode,
dynamic_shapes={"x": {0: Dim("batch", min=2, max=32)}}) saved with `torch.export.save`, both
the default IR and after `ep.run_decompositions()` (core ATen); then a seeded batch of 2
through the PyTorch module (the reference), `kiln infer --pt2` (the interpreter) and
`kiln compile m.pt2` + `kiln infer --library` (the compiled library). Prints
max |diff| / max |ref| for both and the cold compile time. Needs `pip install torch
torchvision numpy` and a built kiln (default: debug).

    python3 bench/torchvision_pt2.py [--kiln .build/release/kiln] [--out DIR] [MODEL …]
"""
import argparse, os, sys, tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torchvision_onnx import ROOT, check_kiln  # noqa: E402

MODELS = ["resnet18", "mobilenet_v2", "efficientnet_b0"]


def export(name, path, decomposed):
    import torch, torchvision
    torch.manual_seed(0)
    model = getattr(torchvision.models, name)(weights=None).eval()
    batch = torch.export.Dim("batch", min=2, max=32)
    ep = torch.export.export(model, (torch.randn(2, 3, 224, 224),), dynamic_shapes={"x": {0: batch}})
    torch.export.save(ep.run_decompositions() if decomposed else ep, path)
    return model


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--kiln", default=os.path.join(ROOT, ".build", "debug", "kiln"))
    p.add_argument("--out", help="folder for the .pt2 files and results (default: a temporary one)")
    p.add_argument("models", nargs="*", default=MODELS)
    a = p.parse_args()
    import torch
    out = a.out or tempfile.mkdtemp(prefix="kiln-torchvision-pt2-")
    os.makedirs(out, exist_ok=True)
    failed = 0
    print("| model | IR | eager max|Δ|/max|ref| | compiled | cold compile s |\n|---|---|---:|---:|---:|")
    for name in a.models:
        for ir in ("default", "decomposed"):
            f = lambda ext: os.path.join(out, f"{name}_{ir}.{ext}")
            try:
                model = export(name, f("pt2"), ir == "decomposed")
                x = np.random.default_rng(0).standard_normal((2, 3, 224, 224)).astype(np.float32)
                with torch.no_grad():
                    ref = model(torch.from_numpy(x)).numpy()
                eager, compiled, seconds = check_kiln(a.kiln, f, ["--pt2", f("pt2")], [f("pt2")], x, ref)
                print(f"| {name} | {ir} | {eager:.1e} | {compiled:.1e} | {seconds:.1f} |", flush=True)
                failed += eager > 1e-4 or compiled > 5e-4
            except Exception as e:  # one model's failure is reported, the others still run
                print(f"| {name} | {ir} | FAILED: {e} | | |", flush=True)
                failed += 1
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
