#!/usr/bin/env python3
"""Kiln against its peers on the same network, weights and inputs, in the same run.

Builds the ResNet as an ONNX graph from the same safetensors weights Kiln loads (with the
`onnx` package: no PyTorch needed), runs `kiln bench --json` and ONNX Runtime (and PyTorch
with torchvision, when installed) on identical inputs, checks that every engine's outputs
agree with ONNX Runtime's (max |diff| <= 5e-4 * max |reference|; the script fails loudly
otherwise), and prints a Markdown table with the Kiln/peer ratios and the issue's targets
with PASS/MISS.

    pip install onnx onnxruntime numpy          # torch + torchvision optional
    make release                                # or make run: builds .build/release/kiln
    python3 bench/peers.py [--model resnet18] [--batches 1,32] [--runs 30]
                           [--weights W.safetensors] [--kiln PATH] [--json] [--write-readme]

Weights: --weights, else ../shared/fixtures/resnet18.safetensors for resnet18 when present,
else Kiln's seeded initialisation written out by `kiln export` (its .kep program file is a
safetensors file whose tensors carry torchvision's names).
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np

from peers_formats import build_resnet_onnx, read_safetensors, write_safetensors
from peers_report import render_markdown, targets, write_readme

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TOLERANCE = 5e-4  # max |diff| <= TOLERANCE * max |reference|

def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--kiln", default=os.path.join(ROOT, ".build", "release", "kiln"), help="the kiln executable (release build)")
    p.add_argument("--model", default="resnet18", choices=["resnet18", "resnet34", "resnet50"])
    p.add_argument("--weights", help="torchvision state dict as safetensors (default: see above)")
    p.add_argument("--batches", default="1,32")
    p.add_argument("--runs", type=int, default=30, help="timed runs per (engine, batch), fewer when --budget runs out")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--budget", type=float, default=10.0, help="seconds of timed runs per (engine, batch)")
    p.add_argument("--skip-autotune", action="store_true", help="pass --skip-autotune to kiln bench")
    p.add_argument("--no-compile-timing", action="store_true", help="pass --no-compile-timing to kiln bench")
    p.add_argument("--no-torch", action="store_true", help="do not time PyTorch even when installed")
    p.add_argument("--rounds", type=int, default=5,
                   help="paired rounds after the main pass: Kiln's compiled library and ONNX Runtime timed back to back "
                        "per batch, the table reporting medians over rounds and the median per-round ratio (0: main pass only)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of Markdown")
    p.add_argument("--write-readme", action="store_true",
                   help="replace the table between <!-- bench:begin --> and <!-- bench:end --> in README.md")
    return p.parse_args()


def percentiles(samples):
    """Median and p90 with linear interpolation: the same definition as Kiln's LatencyStatistics."""
    return float(np.percentile(samples, 50)), float(np.percentile(samples, 90))


def time_engine(run, x, warmup, runs, budget):
    """Warm-up runs, then timed runs until `runs` samples or `budget` seconds (at least 3)."""
    for _ in range(warmup):
        run(x)
    samples, spent, y = [], 0.0, None
    while len(samples) < runs and (len(samples) < min(3, runs) or spent < budget * 1000):
        t = time.perf_counter()
        y = run(x)
        ms = (time.perf_counter() - t) * 1000
        samples.append(ms)
        spent += ms
    median, p90 = percentiles(samples)
    return {"median_ms": median, "p90_ms": p90, "runs": len(samples)}, y


def agree(name, got, ref):
    """Fails loudly unless max |got - ref| <= TOLERANCE * max |ref|."""
    got, ref = np.asarray(got, dtype=np.float32), np.asarray(ref, dtype=np.float32)
    if got.shape != ref.shape:
        sys.exit(f"peers.py: FAILED: {name} has shape {got.shape}, ONNX Runtime's is {ref.shape}")
    diff = float(np.max(np.abs(got - ref)))
    limit = TOLERANCE * float(np.max(np.abs(ref)))
    if not diff <= limit:
        worst = np.unravel_index(int(np.argmax(np.abs(got - ref))), ref.shape)
        sys.exit(f"peers.py: FAILED: {name} disagrees with ONNX Runtime: max |diff| {diff:.3g} at {tuple(int(i) for i in worst)} "
                 f"> {TOLERANCE} * max|ref| = {limit:.3g}")
    return diff / max(float(np.max(np.abs(ref))), 1e-30)


def resolve_weights(args, tmp):
    """The weights file every engine reads, and how to describe it."""
    if args.weights:
        return os.path.abspath(args.weights), os.path.basename(args.weights)
    fixture = os.path.join(ROOT, "..", "shared", "fixtures", f"{args.model}.safetensors")
    if os.path.exists(fixture):
        return os.path.abspath(fixture), f"{args.model}.safetensors (../shared/fixtures)"
    kep = os.path.join(tmp, f"{args.model}.kep")
    run_checked([args.kiln, "export", "--model", args.model, "--seed", "0", "--output", kep], quiet=True)
    return kep, "Kiln's seeded initialisation (seed 0, not pretrained), via kiln export"


def run_checked(cmd, quiet=False):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=None if not quiet else subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.exit(f"peers.py: FAILED: {' '.join(cmd)} exited with {r.returncode}\n{r.stdout[-2000:]}{(r.stderr or '')[-2000:]}")
    return r.stdout


def ort_session(onnx_bytes, threads):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads  # the same number of threads as Kiln's kernels
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.__version__, ort.InferenceSession(onnx_bytes, so, providers=["CPUExecutionProvider"])


def time_ort(session, x, args, runs=None, budget=None):
    return time_engine(lambda v: session.run(["logits"], {"x": v})[0], x, args.warmup, runs or args.runs, budget or args.budget)


def paired_rounds(args, session, inputs, weights, in_path):
    """Kiln's compiled library and ONNX Runtime timed back to back, `--rounds` times per
    batch, alternating which goes first. Why: this machine's speed drifts by tens of percent
    over minutes (other tenants), and the main pass times Kiln and the peer minutes apart;
    a ratio taken within seconds, as the median of several rounds, is what survives that."""
    out = {b: [] for b in inputs}
    runs, budget = max(3, args.runs // 2), max(1.0, args.budget / 3)
    for r in range(args.rounds):
        for b, x in inputs.items():
            def kiln_once():
                cmd = [args.kiln, "bench", "--json", "--model", args.model, "--weights", weights, "--batches", str(b),
                       "--runs", str(runs), "--warmup", str(args.warmup), "--budget", str(budget), "--no-compile-timing",
                       "--skip-autotune", "--no-eager", "--skip-fresh-process", "--sgemm-size", "64", "--inputs", in_path]
                return json.loads(run_checked(cmd, quiet=True))["results"][0]["median_ms"]
            if r % 2 == 0:
                k, o = kiln_once(), time_ort(session, x, args, runs, budget)[0]["median_ms"]
            else:
                o, k = time_ort(session, x, args, runs, budget)[0]["median_ms"], kiln_once()
            out[b].append({"kiln_ms": k, "ort_ms": o})
            print(f"peers.py: round {r + 1}/{args.rounds}, batch {b}: Kiln {k:.2f} ms, ONNX Runtime {o:.2f} ms", file=sys.stderr)
    return out


def run_torch(state, model, inputs, threads, args):
    """PyTorch eager (torchvision's model, inference mode) when torch and torchvision import."""
    if args.no_torch:
        return None, {}
    try:
        import torch
        import torchvision
    except ImportError:
        return None, {}
    torch.set_num_threads(threads)
    net = getattr(torchvision.models, model)(weights=None)
    sd = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items()}
    missing, unexpected = net.load_state_dict(sd, strict=False)
    if [k for k in missing if not k.endswith("num_batches_tracked")] or unexpected:
        sys.exit(f"peers.py: FAILED: torchvision {model} does not take these weights: missing {missing}, unexpected {unexpected}")
    net.eval()
    out = {}
    with torch.inference_mode():
        for b, x in inputs.items():
            tx = torch.from_numpy(x)
            stats, y = time_engine(lambda v: net(v).numpy(), tx, args.warmup, args.runs, args.budget)
            out[b] = (stats, y)
    return torch.__version__, out


def cpu_snapshot():
    """(busy, steal, total) jiffies of all CPUs from /proc/stat, and this process tree's CPU
    seconds (self + waited-for children): to tell our own load from other work and from a
    hypervisor taking the CPUs (steal)."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return None
    user, nice, system, idle, iowait, irq, softirq, steal = (v + [0] * 8)[:8]
    t = os.times()
    return (user + nice + system + irq + softirq, steal, sum(v[:8]), t.user + t.system + t.children_user + t.children_system)


def other_load(before, after):
    """Fractions of all CPU time used by other processes and stolen by the hypervisor while
    the benchmark ran (our own work excluded), or None without /proc/stat."""
    if not before or not after:
        return None
    hz = os.sysconf("SC_CLK_TCK")
    total = max(after[2] - before[2], 1)
    others = (after[0] - before[0]) - (after[3] - before[3]) * hz
    return {"others": round(max(others, 0) / total, 3), "steal": round((after[1] - before[1]) / total, 3)}


def main():
    args = parse_args()
    if not os.access(args.kiln, os.X_OK):
        sys.exit(f"peers.py: {args.kiln} not found. Suggested fix: `make release` (or `make run`), or pass --kiln PATH")
    batches = sorted({int(b) for b in args.batches.split(",")})
    load_before = os.getloadavg()[0]
    # One quiet second first: what the machine does without us (the load average would still
    # count a benchmark that just finished).
    idle_before = cpu_snapshot()
    time.sleep(1)
    cpu_before = cpu_snapshot()
    quiet_check = other_load(idle_before, cpu_before)
    with tempfile.TemporaryDirectory(prefix="kiln-peers-") as tmp:
        weights, weights_label = resolve_weights(args, tmp)
        state = read_safetensors(weights)
        # One deterministic input per batch, written as safetensors for Kiln and fed as is to
        # the peers: every engine sees the same numbers.
        rng = np.random.default_rng(0)
        inputs = {b: rng.standard_normal((b, 3, 224, 224), dtype=np.float32) for b in batches}
        in_path, out_path = os.path.join(tmp, "inputs.safetensors"), os.path.join(tmp, "outputs.safetensors")
        write_safetensors(in_path, {f"x_b{b}": x for b, x in inputs.items()})

        cmd = [args.kiln, "bench", "--json", "--model", args.model, "--weights", weights, "--batches", ",".join(map(str, batches)),
               "--runs", str(args.runs), "--warmup", str(args.warmup), "--budget", str(args.budget),
               "--inputs", in_path, "--outputs", out_path]
        cmd += ["--skip-autotune"] if args.skip_autotune else []
        cmd += ["--no-compile-timing"] if args.no_compile_timing else []
        print(f"peers.py: running {' '.join(cmd)}", file=sys.stderr)
        kiln = json.loads(run_checked(cmd))
        kiln_out = read_safetensors(out_path)
        threads = int(kiln["threads"])

        print(f"peers.py: ONNX Runtime ({threads} threads)…", file=sys.stderr)
        ort_version, session = ort_session(build_resnet_onnx(args.model, state), threads)
        ort = {b: time_ort(session, x, args) for b, x in inputs.items()}
        rounds = paired_rounds(args, session, inputs, weights, in_path) if args.rounds > 0 else {}
        print("peers.py: PyTorch (when installed)…", file=sys.stderr)
        torch_version, torch = run_torch(state, args.model, inputs, threads, args)

    # Outputs must agree before any time is worth printing.
    diffs = {}
    for b in batches:
        ref = ort[b][1]
        for path in ("compiled", "eager"):
            if f"{path}_b{b}" in kiln_out:
                diffs[f"kiln_{path}_b{b}"] = agree(f"Kiln {path} batch {b}", kiln_out[f"{path}_b{b}"], ref)
        if b in torch:
            diffs[f"pytorch_b{b}"] = agree(f"PyTorch batch {b}", torch[b][1], ref)

    report = assemble(args, kiln, batches, weights_label, ort_version, ort, torch_version, torch, diffs, rounds)
    report["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    report["other_cpu"] = other_load(cpu_before, cpu_snapshot())
    report["other_cpu_before"] = quiet_check
    report["cores"] = os.cpu_count()
    markdown = render_markdown(report)
    if args.write_readme:
        write_readme(markdown, ROOT)
    print(json.dumps(report, indent=2, sort_keys=True) if args.json else markdown)
    return 0


def assemble(args, kiln, batches, weights_label, ort_version, ort, torch_version, torch, diffs, rounds):
    res = {(r["batch"], r["path"]): r for r in kiln["results"]}
    rows = []
    for b in batches:
        c, e = res.get((b, "compiled")), res.get((b, "eager"))
        o = ort[b][0]
        t = torch[b][0] if b in torch else None
        kiln_ms, ort_ms, ratio = c["median_ms"], o["median_ms"], c["median_ms"] / o["median_ms"]
        paired = rounds.get(b) or []
        if paired:  # the paired rounds' medians replace the main pass's (which stays in "first_pass")
            kiln_ms = float(np.median([p["kiln_ms"] for p in paired]))
            ort_ms = float(np.median([p["ort_ms"] for p in paired]))
            ratio = float(np.median([p["kiln_ms"] / p["ort_ms"] for p in paired]))
        flops = c["gflops"] * c["median_ms"]  # GFLOP/s x ms: the same work at the new median
        rows.append({
            "model": args.model, "batch": b,
            "kiln_compiled_ms": kiln_ms, "kiln_compiled_p90_ms": c["p90_ms"], "kiln_gflops": flops / kiln_ms,
            "kiln_fraction_of_peak": c.get("fraction_of_peak") and c["fraction_of_peak"] * c["median_ms"] / kiln_ms,
            "kiln_eager_ms": e["median_ms"] if e else None,
            "ort_ms": ort_ms, "ort_p90_ms": o["p90_ms"], "kiln_over_ort": ratio,
            "pytorch_ms": t["median_ms"] if t else None,
            "kiln_over_pytorch": kiln_ms / t["median_ms"] if t else None,
            "rounds": paired, "first_pass": {"kiln_ms": c["median_ms"], "ort_ms": o["median_ms"]},
        })
    # The reproduce command: the options that change what is measured (not --kiln's local
    # path, not the output format).
    argv, kept = sys.argv[1:], []
    while argv:
        a = argv.pop(0)
        if a == "--kiln":
            argv = argv[1:]
        elif not a.startswith("--kiln=") and a not in ("--json", "--write-readme"):
            kept.append(a)
    command = "python3 bench/peers.py " + " ".join(kept)
    return {
        "date": datetime.date.today().isoformat(), "command": command.strip(), "cpu": kiln["cpu"], "threads": kiln["threads"],
        "blas_core": kiln["blas_core"], "sgemm_peak_gflops": kiln["sgemm_peak_gflops"], "kiln_version": kiln["kiln_version"],
        "onnxruntime": ort_version, "pytorch": torch_version, "python": platform.python_version(), "weights": weights_label,
        "max_relative_diff": diffs, "rows": rows, "kiln": kiln, "targets": targets(args.model, kiln, rows),
    }



if __name__ == "__main__":
    sys.exit(main())
