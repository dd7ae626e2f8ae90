"""peers.py --onnx FILE: seeded inputs for any ONNX model's graph inputs."""
import sys

import numpy as np

TYPES = {1: np.float32, 6: np.int32, 7: np.int64, 9: np.bool_, 10: np.float16, 11: np.float64}


def onnx_inputs(path, batch, seed=0):
    """name -> array for each graph input that is not an initializer: float inputs standard
    normal, integer ones zeros; a dimension given by name (or unknown) takes `batch`."""
    import onnx
    model = onnx.load(path, load_external_data=False)
    inits = {i.name for i in model.graph.initializer}
    rng = np.random.default_rng(seed)
    out = {}
    for i in model.graph.input:
        if i.name in inits:
            continue
        t = i.type.tensor_type
        if t.elem_type not in TYPES:
            sys.exit(f"peers.py: {path}: input {i.name} has ONNX element type {t.elem_type}, which peers.py cannot feed. "
                     "Suggested fix: time a model with float or integer inputs")
        shape = [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else batch for d in t.shape.dim]
        dtype = TYPES[t.elem_type]
        out[i.name] = rng.standard_normal(shape).astype(dtype) if np.issubdtype(dtype, np.floating) else np.zeros(shape, dtype)
    return out
