"""Layer by layer: a compiled Kiln library against ONNX Runtime on the same ONNX model.

    python3 bench/layers_vs_ort.py LIBRARY.so MODEL.onnx [--batch 1] [--runs 50] [--top 12] [--threads 1]

One thread (the default): Kiln runs with KILN_NUM_THREADS=1 and KILN_PROFILE=cpu (each step's
thread CPU time, steady on a loaded machine); ONNX Runtime with one intra-op thread and its node
profiler (wall time of each kernel, so it reads high under load). With --threads N both engines
get N threads and Kiln's steps are timed by wall clock (KILN_PROFILE=1), as ONNX Runtime's are. Steps are matched by the ONNX output names Kiln
keeps in its step names (ONNX Runtime appends `_nchwc` to nodes it moved to its blocked
layout, and names a SiLU it fused into QuickGelu after the replaced Mul, which Kiln folds
into the convolution before it: both count against that step). Layout reorders and the
nodes no step names are reported as their own rows. Prints totals by Kiln algorithm and the steps with the largest gap.
"""
import argparse, collections, json, os, re, statistics, subprocess, sys, tempfile

KILN_RUNNER = r"""
import ctypes, sys, numpy as np
lib_path, batch, runs, shape = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), [int(d) for d in sys.argv[4].split(",")]
class T(ctypes.Structure):
    _fields_ = [("data", ctypes.POINTER(ctypes.c_float)), ("shape", ctypes.c_int64 * 8),
                ("rank", ctypes.c_int32), ("capacity", ctypes.c_int64)]
lib = ctypes.CDLL(lib_path)
lib.kiln_create.restype = ctypes.c_void_p
lib.kiln_run.argtypes = [ctypes.c_void_p, ctypes.POINTER(T), ctypes.c_int32, ctypes.POINTER(T), ctypes.c_int32]
lib.kiln_destroy.argtypes = [ctypes.c_void_p]
lib.kiln_last_error.restype = ctypes.c_char_p
x = np.random.default_rng(0).standard_normal([batch] + shape).astype(np.float32)
y = np.zeros(1 << 24, np.float32)
tin = T(); tin.data = x.ctypes.data_as(ctypes.POINTER(ctypes.c_float)); tin.rank = x.ndim
for i, d in enumerate(x.shape): tin.shape[i] = d
tout = T(); tout.data = y.ctypes.data_as(ctypes.POINTER(ctypes.c_float)); tout.capacity = y.size
m = lib.kiln_create()
for _ in range(runs):
    if lib.kiln_run(m, ctypes.byref(tin), 1, ctypes.byref(tout), 1) != 0:
        sys.exit("kiln_run failed: " + lib.kiln_last_error().decode())
lib.kiln_destroy(m)
"""


def kiln_steps(library, batch, runs, shape, threads=1):
    """(ms, step name) per step from KILN_PROFILE in a child process (the report goes to stderr):
    each step's thread CPU time on one thread, its wall time on more."""
    env = dict(os.environ, KILN_NUM_THREADS=str(threads), KILN_PROFILE="cpu" if threads == 1 else "1")
    done = subprocess.run([sys.executable, "-c", KILN_RUNNER, library, str(batch), str(runs), ",".join(map(str, shape))],
                          env=env, capture_output=True, text=True)
    if done.returncode != 0 or ("thread CPU time" if threads == 1 else "ms per run") not in done.stderr:
        sys.exit(f"Kiln run failed (a library built before KILN_PROFILE=cpu existed?):\n{done.stderr}")
    steps = []
    for line in done.stderr.splitlines():
        m = re.match(r"\s*([0-9.]+) ms\s+[0-9.]+%\s+(.*)$", line)
        if m: steps.append((float(m.group(1)), m.group(2)))
    return steps


def ort_nodes(model, batch, runs, threads=1):
    """{node name without `_nchwc`: (median ms, op type)} from ONNX Runtime's profiler."""
    import numpy as np, onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.enable_profiling = True
    folder = tempfile.mkdtemp(prefix="kiln_layers_")
    so.profile_file_prefix = os.path.join(folder, "ort")
    s = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
    i = s.get_inputs()[0]
    shape = [batch] + [d if isinstance(d, int) else 1 for d in i.shape[1:]]
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    for _ in range(runs): s.run(None, {i.name: x})
    path = s.end_profiling()
    times = collections.defaultdict(list)
    for e in json.load(open(path)):
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
            times[(e["name"][: -len("_kernel_time")], e["args"].get("op_name", "?"))].append(e["dur"] / 1e3)
    os.remove(path)
    os.rmdir(folder)
    nodes = {}
    for (n, op), v in times.items():
        # A fused SiLU is named after the Mul it replaced, ".../Mul/QuickGeluFusion/": Kiln's
        # step names carry that Mul's output, ".../Mul_output_0".
        fused_silu = re.match(r"(.*/Mul)/QuickGeluFusion/?$", n)
        name = fused_silu.group(1) + "_output_0" if fused_silu else n.replace("_nchwc", "")
        nodes[name] = (statistics.median(v), op)
    return nodes, shape[1:]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("library"); ap.add_argument("model")
    ap.add_argument("--batch", type=int, default=1); ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--top", type=int, default=12)
    ap.add_argument("--threads", type=int, default=1, help="threads for both engines (default 1)")
    a = ap.parse_args()
    ort_times, shape = ort_nodes(a.model, a.batch, a.runs, a.threads)
    steps = kiln_steps(a.library, a.batch, a.runs, shape, a.threads)
    matched, by_alg, rows = set(), collections.defaultdict(lambda: [0.0, 0.0]), []
    for ms, desc in steps:
        names = [n.strip() for n in desc.split(": ")[0].split(" + ")]
        # ONNX Runtime names a node by its own name; torch.onnx names outputs node + "_output_0".
        hits = [o for n in names for o in (n, n.removesuffix("_output_0")) if o in ort_times and o not in matched]
        ort_ms = sum(ort_times[n][0] for n in hits) if hits else None
        matched.update(hits)
        alg = re.search(r"\[([a-z_0-9]+)", desc)
        kind = alg.group(1) if alg else desc.split(": ", 1)[1].split(" ")[0]
        by_alg[kind][0] += ms
        by_alg[kind][1] += ort_ms or 0.0
        shape_text = re.search(r"\(n,[^)]*\) -> \(n,[^)]*\)", desc)
        rows.append((ms, ort_ms, kind, shape_text.group(0) if shape_text else names[0]))
    print(f"{'one thread' if a.threads == 1 else f'{a.threads} threads'}, batch {a.batch}, {a.runs} runs; "
          f"load {os.getloadavg()[0]:.1f}")
    print(f"Kiln total {sum(r[0] for r in rows):.3f} ms ({'thread CPU' if a.threads == 1 else 'step wall time'}), ONNX Runtime total "
          f"{sum(v[0] for v in ort_times.values()):.3f} ms (node wall time)")
    print(f"{'Kiln step kind':24s} {'Kiln ms':>8s} {'ORT ms':>8s}  (ORT: the matched nodes)")
    for kind, (k, o) in sorted(by_alg.items(), key=lambda kv: -kv[1][0]):
        print(f"{kind:24s} {k:8.3f} {o:8.3f}")
    rest = collections.defaultdict(float)
    for n, (ms, op) in ort_times.items():
        if n not in matched: rest[op] += ms
    for op, ms in sorted(rest.items(), key=lambda kv: -kv[1]):
        print(f"{'ORT unmatched ' + op:24s} {'':8s} {ms:8.3f}")
    for ms, o, kind, text in rows:
        if o is None and ms >= 0.01:
            print(f"{'Kiln unmatched ' + kind:24s} {ms:8.3f}           {text}")
    print(f"\nlargest gaps (Kiln - ORT):\n{'Kiln ms':>8s} {'ORT ms':>8s}  kind, shape")
    paired = sorted((r for r in rows if r[1] is not None), key=lambda r: r[1] - r[0])
    for ms, o, kind, text in paired[: a.top]:
        print(f"{ms:8.3f} {o:8.3f}  {kind} {text}")


if __name__ == "__main__":
    main()
