#!/usr/bin/env python3
"""Reference outputs of torchvision's mobilenet_v2 / efficientnet_b0 for Kiln's Swift zoo.

Builds the torchvision model with seeded random weights (torchvision's own initialisation),
randomises every batch norm (weight, bias, running mean and variance, so that folding and the
eval-mode formula are exercised), and writes to OUT_DIR:

  NAME.pth            torch.save(state_dict) — what `--weights X.pth` reads
  NAME.safetensors    the same state dict as float32 safetensors (num_batches_tracked dropped)
  NAME_cases.safetensors   `input` (2, 3, SIZE, SIZE) and `logits` = model.eval()(input)

Usage: python3 scripts/torchvision_zoo_reference.py mobilenet_v2 OUT_DIR [--size 96] [--seed 0]
The Swift tests run it when torch is importable (Tests/KilnTests/ZooReferenceTests.swift).
"""
import argparse
import os
import sys

import torch
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
from peers_formats import write_safetensors  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model", choices=["mobilenet_v2", "efficientnet_b0"])
    ap.add_argument("out")
    ap.add_argument("--size", type=int, default=96)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    model = getattr(torchvision.models, a.model)(weights=None)
    g = torch.Generator().manual_seed(a.seed + 1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                c = m.num_features
                m.weight.copy_(torch.rand(c, generator=g) + 0.5)
                m.bias.copy_(torch.randn(c, generator=g) * 0.1)
                m.running_mean.copy_(torch.randn(c, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(c, generator=g) + 0.5)
    model.eval()
    x = torch.randn(2, 3, a.size, a.size, generator=g)
    with torch.no_grad():
        y = model(x)
    os.makedirs(a.out, exist_ok=True)
    state = model.state_dict()
    torch.save(state, os.path.join(a.out, a.model + ".pth"))
    write_safetensors(os.path.join(a.out, a.model + ".safetensors"),
                      {k: v.numpy() for k, v in state.items() if not k.endswith("num_batches_tracked")})
    write_safetensors(os.path.join(a.out, a.model + "_cases.safetensors"), {"input": x.numpy(), "logits": y.numpy()})
    print(f"{a.model}: {sum(v.numel() for k, v in state.items() if not k.endswith('num_batches_tracked'))} values, "
          f"logits max |y| {y.abs().max().item():.4g}")


if __name__ == "__main__":
    main()
