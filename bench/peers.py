#!/usr/bin/env python3
"""Kiln against its peers on the same network, weights and inputs, in the same run.

Builds the ResNet as an ONNX graph from the same safetensors weights Kiln loads (with the
`onnx` package: no PyTorch needed), runs `kiln bench --json` (fp32, and bf16 with
`--precision bf16` when the build has it), ONNX Runtime, OpenVINO (fp32 via
INFERENCE_PRECISION_HINT=f32, and its default precision: bf16 on CPUs with avx512_bf16 or AMX)
and PyTorch (when installed) on identical inputs with Kiln's thread count. Every output's
error against ONNX Runtime's fp32 output is measured in the same run: Kiln fp32 and PyTorch
must agree to max |diff| <= 5e-4 * max |reference| and Kiln bf16 to its contract, 5e-3 (the
script fails loudly otherwise); OpenVINO's are reported. Then every engine is timed back to
back in paired rounds, and a Markdown table prints the ratios and the issue's targets with
PASS/MISS. `--onnx FILE` times any ONNX model the same way (Kiln too, when its CLI has
ONNX: `kiln bench --onnx`).

    pip install onnx onnxruntime openvino numpy   # torch + torchvision optional
    make release                                  # or make run: builds .build/release/kiln
    python3 bench/peers.py [--model resnet18 | --onnx FILE] [--batches 1,32] [--runs 30] [--rounds 5]
                           [--weights W.safetensors] [--kiln PATH] [--no-openvino] [--no-bf16] [--json] [--write-readme]

Weights: --weights, else ../shared/fixtures/resnet18.safetensors for resnet18 when present,
else Kiln's seeded initialisation written out by `kiln export` (its .kep program file is a
safetensors file whose tensors carry torchvision's names).
"""
import argparse
import json
import datetime
import os
import platform
import sys
import tempfile
import time

import numpy as np

from peers_engines import (OpenVINO, Placement, cpu_flags, cpu_snapshot, kiln_bench_cmd, kiln_json, kiln_supports, median_of, median_ratio,
                           ort_runner, ort_session, other_load, paired_rounds, relative_error, run_checked, time_engine,
                           write_temp_onnx)
from peers_formats import build_resnet_onnx, read_safetensors, write_safetensors
from peers_onnx import onnx_inputs
from peers_report import render_markdown, targets, write_readme

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TOLERANCE = 5e-4       # fp32 engines: max |diff| <= TOLERANCE * max |reference|
BF16_TOLERANCE = 5e-3  # Kiln's bf16 contract against the fp32 reference

def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--kiln", default=os.path.join(ROOT, ".build", "release", "kiln"), help="the kiln executable (release build)")
    p.add_argument("--model", default="resnet18", choices=["resnet18", "resnet34", "resnet50"])
    p.add_argument("--onnx", metavar="FILE", help="time this ONNX model instead of a ResNet (ONNX Runtime, OpenVINO, and Kiln "
                                                  "when its CLI imports ONNX); dynamic dims take the batch size")
    p.add_argument("--weights", help="torchvision state dict as safetensors (default: see above)")
    p.add_argument("--batches", default="1,32")
    p.add_argument("--runs", type=int, default=30, help="timed runs per (engine, batch), fewer when --budget runs out")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--budget", type=float, default=10.0, help="seconds of timed runs per (engine, batch)")
    p.add_argument("--skip-autotune", action="store_true", help="pass --skip-autotune to kiln bench")
    p.add_argument("--no-compile-timing", action="store_true", help="pass --no-compile-timing to kiln bench")
    p.add_argument("--no-torch", action="store_true", help="do not time PyTorch even when installed")
    p.add_argument("--no-openvino", action="store_true", help="do not time OpenVINO even when installed")
    p.add_argument("--no-bf16", action="store_true", help="do not time Kiln's bf16 library")
    p.add_argument("--rounds", type=int, default=5,
                   help="paired rounds after the main pass: every engine timed back to back per batch, the table reporting "
                        "medians over rounds and the median per-round ratios (0: main pass only)")
    p.add_argument("--placement-retries", type=int, default=3,
                   help="time a paired round again, up to this many times, when the core-to-core round trip "
                        "(Sources/CKilnKernels/kiln_core_latency.c) says the hypervisor moved the vCPUs between its engines")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of Markdown")
    p.add_argument("--write-readme", action="store_true",
                   help="replace the table between <!-- bench:begin --> and <!-- bench:end --> in README.md")
    args = p.parse_args()
    if args.write_readme and args.onnx:
        # The README's bench block is ResNet-18's table; an --onnx run would replace it.
        p.error("--write-readme writes the ResNet-18 table between the README's bench markers; "
                "for --onnx, copy the printed table into README \"ONNX import\" by hand")
    return args


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


def check(name, got, ref, tolerance, errors):
    """Records got's error against the fp32 reference; fails loudly above `tolerance` (None: report only)."""
    err = relative_error(got, ref)
    errors[name] = err
    if tolerance is not None and not err <= tolerance:
        sys.exit(f"peers.py: FAILED: {name} disagrees with ONNX Runtime (fp32): max |diff| / max |ref| = {err:.3g} > {tolerance}")


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
    bf16 = not args.no_bf16 and kiln_supports(args.kiln, "--precision")
    if bf16 and "avx512_bf16" not in cpu_flags():
        # Kiln's bf16 libraries refuse to build or load without AVX512_BF16 (exit 69), so the
        # bf16 targets are reported n/a; OpenVINO's default then computes in f32 here.
        print("peers.py: this CPU lacks avx512_bf16: Kiln bf16 not timed (its libraries need it)", file=sys.stderr)
        bf16 = False
    with tempfile.TemporaryDirectory(prefix="kiln-peers-") as tmp:
        in_path = os.path.join(tmp, "inputs.safetensors")
        if args.onnx:
            onnx_path, label = os.path.abspath(args.onnx), os.path.basename(args.onnx)
            onnx_bytes, state = open(onnx_path, "rb").read(), None
            inputs = {b: onnx_inputs(onnx_path, b) for b in batches}
            model_args = ["--onnx", onnx_path] if kiln_supports(args.kiln, "--onnx") else None
        else:
            weights, label = resolve_weights(args, tmp)
            state = read_safetensors(weights)
            onnx_bytes = build_resnet_onnx(args.model, state)
            onnx_path = write_temp_onnx(tmp, onnx_bytes)
            # One deterministic input per batch, written as safetensors for Kiln and fed as is to
            # the peers: every engine sees the same numbers.
            rng = np.random.default_rng(0)
            inputs = {b: {"x": rng.standard_normal((b, 3, 224, 224), dtype=np.float32)} for b in batches}
            model_args = ["--model", args.model, "--weights", weights]
        if model_args and len(inputs[batches[0]]) == 1:
            write_safetensors(in_path, {f"x_b{b}": next(iter(inputs[b].values())) for b in batches})
        else:
            model_args = None  # Kiln's bench takes one input tensor
        kiln, kiln_out, kiln_bf16_out = None, {}, {}
        if model_args:
            out_path = os.path.join(tmp, "outputs.safetensors")
            cmd = [args.kiln, "bench", "--json", *model_args, "--batches", ",".join(map(str, batches)),
                   "--runs", str(args.runs), "--warmup", str(args.warmup), "--budget", str(args.budget),
                   "--inputs", in_path, "--outputs", out_path]
            cmd += ["--skip-autotune"] if args.skip_autotune else []
            cmd += ["--no-compile-timing"] if args.no_compile_timing else []
            print(f"peers.py: running {' '.join(cmd)}", file=sys.stderr)
            kiln = kiln_json(cmd)
            kiln_out = read_safetensors(out_path)
            if bf16:
                bf_path = os.path.join(tmp, "outputs_bf16.safetensors")
                kiln["bf16"] = kiln_json(kiln_bench_cmd(args, model_args, ",".join(map(str, batches)), in_path, "bf16",
                                                         args.runs, args.budget) + ["--outputs", bf_path])
                kiln_bf16_out = read_safetensors(bf_path)
        threads = int(kiln["threads"]) if kiln else os.cpu_count()

        print(f"peers.py: ONNX Runtime ({threads} threads)…", file=sys.stderr)
        ort_version, session = ort_session(onnx_bytes, threads)
        run_ort = ort_runner(session)
        ort = {b: time_engine(run_ort, x, args.warmup, args.runs, args.budget) for b, x in inputs.items()}
        ov = None if args.no_openvino else OpenVINO(onnx_path, threads)
        shapes = {b: {k: v.shape for k, v in x.items()} for b, x in inputs.items()}
        ov_main = {}
        for prec in ([] if ov is None else ["f32", "default"]):
            print(f"peers.py: OpenVINO {prec} ({threads} threads)…", file=sys.stderr)
            for b, x in inputs.items():
                ov_main[(prec, b)] = time_engine(ov.runner(prec, shapes[b]), x, args.warmup, args.runs, args.budget)

        engines, short = {}, (max(3, args.runs // 2), max(1.0, args.budget / 3))
        if model_args:
            engines["kiln_fp32"] = lambda b: kiln_json(kiln_bench_cmd(args, model_args, b, in_path, "fp32", *short))["results"][0]["median_ms"]
            if bf16:
                engines["kiln_bf16"] = lambda b: kiln_json(kiln_bench_cmd(args, model_args, b, in_path, "bf16", *short))["results"][0]["median_ms"]
        engines["ort"] = lambda b: time_engine(run_ort, inputs[b], args.warmup, *short)[0]["median_ms"]
        if ov:
            engines["ov_f32"] = lambda b: time_engine(ov.runner("f32", shapes[b]), inputs[b], args.warmup, *short)[0]["median_ms"]
            engines["ov_default"] = lambda b: time_engine(ov.runner("default", shapes[b]), inputs[b], args.warmup, *short)[0]["median_ms"]
        placement = Placement(tmp) if args.rounds > 0 else None
        rounds = paired_rounds(args, engines, batches, placement) if args.rounds > 0 else {}
        print("peers.py: PyTorch (when installed)…", file=sys.stderr)
        torch_version, torch = run_torch(state, args.model, {b: x["x"] for b, x in inputs.items()}, threads, args) \
            if state is not None else (None, {})

    # Errors against ONNX Runtime's fp32 outputs, all measured in this run; Kiln fp32 and PyTorch
    # must agree to 5e-4 and Kiln bf16 to its contract (5e-3); OpenVINO's are reported.
    errors = {}
    for b in batches:
        ref = ort[b][1]
        for path in ("compiled", "eager"):
            if f"{path}_b{b}" in kiln_out:
                check(f"kiln_{path}_b{b}", kiln_out[f"{path}_b{b}"], ref, TOLERANCE, errors)
        if f"compiled_b{b}" in kiln_bf16_out:
            check(f"kiln_bf16_b{b}", kiln_bf16_out[f"compiled_b{b}"], ref, BF16_TOLERANCE, errors)
        if b in torch:
            check(f"pytorch_b{b}", torch[b][1], ref, TOLERANCE, errors)
        for prec in ("f32", "default"):
            if (prec, b) in ov_main:
                check(f"openvino_{prec}_b{b}", ov_main[(prec, b)][1], ref, None, errors)

    report = assemble(args, kiln, batches, label, ort_version, ort, ov, ov_main, torch_version, torch, errors, rounds)
    report["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    report["other_cpu"] = other_load(cpu_before, cpu_snapshot())
    report["other_cpu_before"] = quiet_check
    report["cores"] = os.cpu_count()
    markdown = render_markdown(report)
    if args.write_readme:
        write_readme(markdown, ROOT)
    print(json.dumps(report, indent=2, sort_keys=True) if args.json else markdown)
    return 0


def assemble(args, kiln, batches, label, ort_version, ort, ov, ov_main, torch_version, torch, errors, rounds):
    """The report: per batch, each engine's time (the paired rounds' medians when there were
    rounds, else the main pass's) and the ratios (the median of the rounds' ratios)."""
    res = {(r["batch"], r["path"]): r for r in kiln["results"]} if kiln else {}
    bf = {r["batch"]: r for r in kiln["bf16"]["results"]} if kiln and "bf16" in kiln else {}
    rows = []
    for b in batches:
        c, e, t = res.get((b, "compiled")), res.get((b, "eager")), torch[b][0] if b in torch else None
        first = {"kiln_fp32": c and c["median_ms"], "kiln_bf16": bf.get(b, {}).get("median_ms"), "ort": ort[b][0]["median_ms"],
                 "ov_f32": ov_main.get(("f32", b), [{}])[0].get("median_ms"),
                 "ov_default": ov_main.get(("default", b), [{}])[0].get("median_ms")}
        paired = rounds.get(b) or []
        ms = {n: (median_of(paired, n) if paired else v) for n, v in first.items()}

        def ratio(num, den):
            if paired:
                return median_ratio(paired, num, den)
            return ms[num] / ms[den] if ms[num] and ms[den] else None
        kiln_ms = ms["kiln_fp32"]
        flops = c["gflops"] * c["median_ms"] if c else None  # GFLOP/s x ms: the same work at the new median
        rows.append({
            "model": os.path.basename(args.onnx) if args.onnx else args.model, "batch": b,
            "kiln_compiled_ms": kiln_ms, "kiln_compiled_p90_ms": c and c["p90_ms"],
            "kiln_gflops": flops / kiln_ms if flops and kiln_ms else None,
            "kiln_fraction_of_peak": c and c.get("fraction_of_peak") and c["fraction_of_peak"] * c["median_ms"] / kiln_ms,
            "kiln_eager_ms": e["median_ms"] if e else None, "kiln_bf16_ms": ms["kiln_bf16"],
            "ort_ms": ms["ort"], "ort_p90_ms": ort[b][0]["p90_ms"], "kiln_over_ort": ratio("kiln_fp32", "ort"),
            "ov_f32_ms": ms["ov_f32"], "ov_default_ms": ms["ov_default"],
            "kiln_over_ov_f32": ratio("kiln_fp32", "ov_f32"), "kiln_bf16_over_ov_default": ratio("kiln_bf16", "ov_default"),
            "ov_f32_over_ort": ratio("ov_f32", "ort"), "ov_default_over_ort": ratio("ov_default", "ort"),
            "pytorch_ms": t["median_ms"] if t else None,
            "kiln_over_pytorch": kiln_ms / t["median_ms"] if t and kiln_ms else None,
            "rounds": paired, "first_pass": first,
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
    k = kiln or {}
    return {
        "date": datetime.date.today().isoformat(), "command": command.strip(), "cpu": k.get("cpu", platform.processor()),
        "threads": k.get("threads", os.cpu_count()), "blas_core": k.get("blas_core"), "sgemm_peak_gflops": k.get("sgemm_peak_gflops"),
        "fma_peak": k.get("fma_peak"), "kiln_version": k.get("kiln_version"), "onnxruntime": ort_version,
        "openvino": ov and ov.version, "openvino_precisions": ov and ov.precisions, "pytorch": torch_version,
        "python": platform.python_version(), "weights": label, "max_relative_diff": errors, "rows": rows, "kiln": kiln,
        "targets": targets(os.path.basename(args.onnx) if args.onnx else args.model, kiln, rows, onnx=bool(args.onnx)),
    }


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



if __name__ == "__main__":
    sys.exit(main())
