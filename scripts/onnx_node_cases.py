#!/usr/bin/env python3
"""Writes ONNX's own node test cases for the given operators in the backend-data layout
(<out>/<case>/model.onnx, test_data_set_<k>/input_<i>.pb, output_<i>.pb), for
Tests/KilnTests/ONNX/ONNXNodeCaseTests.swift.

The pip package `onnx` ships the generators (onnx.backend.test.case.node), not their data:
expected outputs come from ONNX's reference implementation (numpy). With --ort, every
case's expected outputs are also checked against ONNX Runtime where it runs the model, and
a case whose outputs differ by more than 1e-4 * max|ref| is reported (exit 1).

    python3 scripts/onnx_node_cases.py OUT_DIR Resize ConvTranspose Elu ... [--ort]
"""
import os
import sys
import warnings

import numpy as np
import onnx
from onnx import numpy_helper

warnings.filterwarnings("ignore")


# Inputs that are parameters (weights, scales, sizes, axes, repeats): the node cases feed
# them as graph inputs; Kiln needs them known at import, so they become initializers with
# the same values (the one data set's).
PARAMETERS = {"Resize": {1, 2, 3}, "ConvTranspose": {1, 2}, "InstanceNormalization": {1, 2}, "ReduceSum": {1}, **{op: {1} for op in ("ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp")}, "Tile": {1}, "Expand": {1}}


def freeze_parameters(case):
    node = case.model.graph.node[0]
    keep = PARAMETERS.get(node.op_type, set())
    if not keep or len(case.data_sets) != 1:
        return case.model, case.data_sets
    model = onnx.ModelProto()
    model.CopyFrom(case.model)
    inputs, outputs = case.data_sets[0]
    names = [i.name for i in model.graph.input]
    frozen = {node.input[k] for k in keep if k < len(node.input) and node.input[k] in names}
    runtime = []
    for name, value in zip(names, inputs):
        if name in frozen:
            model.graph.initializer.append(numpy_helper.from_array(np.asarray(value), name))
        else:
            runtime.append(value)
    kept = [i for i in model.graph.input if i.name not in frozen]
    del model.graph.input[:]
    model.graph.input.extend(kept)
    return model, [(runtime, outputs)]


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    check_ort = "--ort" in sys.argv
    out, ops = args[0], args[1:]
    from onnx.backend.test.case.node import collect_testcases
    bad = 0
    # collect_testcases fills one module-level list on its first call: collect all, then filter.
    for case in collect_testcases(None):
        # One-node cases of the operators (not the *_expanded function bodies of others).
        nodes = case.model.graph.node
        if case.kind != "node" or len(nodes) != 1 or nodes[0].op_type not in ops:
            continue
        d = os.path.join(out, case.name)
        os.makedirs(d, exist_ok=True)
        model, data_sets = freeze_parameters(case)
        onnx.save(model, os.path.join(d, "model.onnx"))
        for k, (inputs, outputs) in enumerate(data_sets):
            s = os.path.join(d, f"test_data_set_{k}")
            os.makedirs(s, exist_ok=True)
            for prefix, values, infos in (("input", inputs, model.graph.input), ("output", outputs, model.graph.output)):
                for i, v in enumerate(values):
                    t = numpy_helper.from_array(np.asarray(v), infos[i].name if i < len(infos) else f"{prefix}_{i}")
                    with open(os.path.join(s, f"{prefix}_{i}.pb"), "wb") as f:
                        f.write(t.SerializeToString())
            if check_ort:
                bad += ort_differs(case.name, model, inputs, outputs)
    sys.exit(1 if bad else 0)


def ort_differs(name, model, inputs, outputs):
    try:
        import onnxruntime as ort
        ort.set_default_logger_severity(3)
        sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
        feeds = {i.name: v for i, v in zip(sess.get_inputs(), inputs)}
        got = sess.run(None, feeds)
    except Exception as e:  # ORT lacks some opsets/types: the reference output stands alone
        print(f"{name}: ONNX Runtime cannot run it ({str(e).splitlines()[0][:120]})")
        return 0
    for g, r in zip(got, outputs):
        r = np.asarray(r)
        if r.dtype.kind != "f":
            continue
        err = float(np.max(np.abs(g.astype(np.float64) - r))) if r.size else 0.0
        if err > 1e-4 * max(float(np.max(np.abs(r))) if r.size else 0.0, 1e-6):
            print(f"{name}: ONNX Runtime differs from the reference by {err:.3g}")
            return 1
    return 0


if __name__ == "__main__":
    main()
