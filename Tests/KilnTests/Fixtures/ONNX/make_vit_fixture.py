#!/usr/bin/env python3
"""Builds vit_tiny.onnx: torchvision's VisionTransformer, tiny (2 encoder layers, embed dim
32, 2 heads, patch 8 on 32x32 images, 10 classes, seeded random weights), exported the way
torch.onnx.export (TorchScript exporter, opset 17, dynamic batch) writes vit_b_16, so the
fixture keeps the class-token Expand and the attention's batch-moving shape arithmetic
(Shape/Equal/Where/Mod, Transpose of the batch, reshape to batch x heads). ONNX Runtime's
outputs at batch 1 and 3 go to vit_tiny.safetensors, as for make_fixtures.py's models.
Needs: pip install torch torchvision onnx onnxruntime numpy.

    python3 Tests/KilnTests/Fixtures/ONNX/make_vit_fixture.py
"""
import os
import numpy as np
import onnx
import onnxruntime as ort
import torch
from torchvision.models.vision_transformer import VisionTransformer
from make_fixtures import HERE, write_safetensors


def main():
    torch.manual_seed(7)
    m = VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2, hidden_dim=32, mlp_dim=64, num_classes=10).eval()
    with torch.no_grad():  # torchvision zero-initialises the class token, position embedding and head
        for p in (m.class_token, m.encoder.pos_embedding, m.heads.head.weight, m.heads.head.bias):
            p.normal_(0, 0.5)
    path = os.path.join(HERE, "vit_tiny.onnx")
    torch.onnx.export(m, torch.randn(1, 3, 32, 32), path, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, opset_version=17, dynamo=False)
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(17)
    out = {}
    for n in (1, 3):
        x = rng.standard_normal([n, 3, 32, 32]).astype(np.float32)
        out[f"input_b{n}"] = x
        out[f"output_b{n}"] = sess.run(None, {"input": x})[0]
    write_safetensors(os.path.join(HERE, "vit_tiny.safetensors"), out)
    ops = sorted({n.op_type for n in model.graph.node})
    print(f"vit_tiny: {len(model.graph.node)} nodes ({', '.join(ops)}), output {out['output_b3'].shape}, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
