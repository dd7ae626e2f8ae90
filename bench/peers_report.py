"""peers.py's report: the issue's targets with PASS/MISS, the Markdown table and the README
block it replaces."""
import os
import sys

from peers_engines import round_ratios

def targets(model, kiln, rows, onnx=False):
    """The issues' targets, each with its measured value and PASS/MISS: compiled ResNet18's
    (issue 13), or for an --onnx model compiled Kiln <= 0.9x ONNX Runtime per batch (issue 11)."""
    if not kiln or (model != "resnet18" and not onnx):
        return []
    out = []
    by_batch = {r["batch"]: r for r in rows}
    m = kiln["models"][0]

    def add(name, value, limit, unit, ok, how_far, per_round=None):
        # per_round: the paired rounds' own values of a ratio target, whose spread tells a miss
        # by host noise from a miss by the code (the status itself is the median's).
        spread = None
        if value is not None and per_round:
            spread = {"min": min(per_round), "max": max(per_round), "n": len(per_round),
                      "passing": sum(1 for v in per_round if ok(v))}
        out.append({"target": name, "value": value, "limit": limit, "unit": unit,
                    "status": "n/a" if value is None else ("PASS" if ok(value) else "MISS"),
                    "miss_by": None if value is None or ok(value) else how_far(value), "rounds": spread})

    def per_round(r, num, den):
        return round_ratios((r or {}).get("rounds") or [], num, den)

    if onnx:
        for b, r in sorted(by_batch.items()):
            add(f"compiled {model} batch {b} <= 0.9x ONNX Runtime", r["kiln_over_ort"], 0.9, "x",
                lambda v: v <= 0.9, lambda v: f"{v / 0.9:.2f}x too slow", per_round(r, "kiln_fp32", "ort"))
        return out
    for b in (1, 32):
        r = by_batch.get(b)
        add(f"compiled ResNet18 fp32 batch {b} <= 0.7x OpenVINO fp32", r and r["kiln_over_ov_f32"], 0.7, "x",
            lambda v: v <= 0.7, lambda v: f"{v / 0.7:.2f}x too slow", per_round(r, "kiln_fp32", "ov_f32"))
        add(f"compiled ResNet18 bf16 batch {b} <= 0.9x OpenVINO default (bf16)", r and r["kiln_bf16_over_ov_default"], 0.9, "x",
            lambda v: v <= 0.9, lambda v: f"{v / 0.9:.2f}x too slow", per_round(r, "kiln_bf16", "ov_default"))
        add(f"compiled ResNet18 batch {b} <= 0.9x ONNX Runtime", r and r["kiln_over_ort"], 0.9, "x",
            lambda v: v <= 0.9, lambda v: f"{v / 0.9:.2f}x too slow", per_round(r, "kiln_fp32", "ort"))
    r32 = by_batch.get(32)
    frac = r32 and r32["kiln_fraction_of_peak"]
    add("batch 32 >= 80% of the same-run sgemm peak", frac and frac * 100, 80, "%",
        lambda v: v >= 80, lambda v: f"{80 - v:.0f} points short")
    first = m["first_run_ms"] / m["steady_ms"] if m.get("first_run_ms") and m.get("steady_ms") else None
    add("first run after aotLoad <= 1.2x the steady median", first, 1.2, "x", lambda v: v <= 1.2, lambda v: f"{v / 1.2:.2f}x over")
    add("aotLoad of resnet18 <= 20 ms", m.get("load_ms"), 20, "ms", lambda v: v <= 20, lambda v: f"{v - 20:.1f} ms over")
    add("aotCompile, cold cache <= 3.0 s", m.get("compile_s"), 3.0, "s", lambda v: v <= 3.0, lambda v: f"{v - 3.0:.1f} s over")
    add("aotCompile max-autotune, cold cache <= 20 s", m.get("compile_autotune_s"), 20, "s",
        lambda v: v <= 20, lambda v: f"{v - 20:.1f} s over")
    extra = m["peak_rss_mb"] - m["weights_mb"] if m.get("peak_rss_mb") is not None else None
    add("peak memory of a batch-1 run <= weights + 30 MB", extra, 30, "MB over weights",
        lambda v: v <= 30, lambda v: f"{v - 30:.1f} MB over")
    return out


def fmt(v, spec=".2f", none="–"):
    return none if v is None else format(v, spec)


def busy_reason(r):
    """Why the run's numbers are suspect, or None: a loaded machine before we started, other
    processes taking CPU time during the run, or a hypervisor stealing it (the benchmark's own
    load, which the load average after the run includes, does not count)."""
    o, q, why = r.get("other_cpu"), r.get("other_cpu_before"), []
    if q and q["others"] > 0.25:
        why.append(f"other processes used {q['others'] * 100:.0f}% of the CPUs in the second before the run")
    if o and o["others"] > 0.05:
        why.append(f"other processes used {o['others'] * 100:.0f}% of the CPU time during it")
    if o and o["steal"] > 0.05:
        why.append(f"the hypervisor took {o['steal'] * 100:.0f}% of it (steal)")
    return ", ".join(why) or None


def placement_line(r):
    """How the hypervisor placed the vCPUs during the paired rounds (kiln_core_latency.c), or None."""
    rounds = [p for row in r["rows"] for p in row["rounds"] if p.get("_placement")]
    if not rounds:
        return None
    count = {k: sum(p["_placement"] == k for p in rounds) for k in ("near", "far", "mixed")}
    probes = {k: sorted(ns for p in rounds if p["_placement"] == k for ns in p["_probes_ns"]) for k in ("near", "far")}
    med = lambda v: f"{v[len(v) // 2]:.0f} ns" if v else "–"
    return (f"vCPU placement in the paired rounds (core-to-core round trip, probed before every engine; a round "
            f"whose engines saw different placements is timed again): {count['near']} near ({med(probes['near'])}), "
            f"{count['far']} far ({med(probes['far'])}), {count['mixed']} mixed after retries.")


def render_markdown(r):
    k = r["kiln"] or {}
    ov = r.get("openvino_precisions") or {}
    peers = (f"ONNX Runtime {r['onnxruntime']}" + (f", OpenVINO {r['openvino']} (fp32; default = {ov.get('default', '?')})"
             if r.get("openvino") else "") + (f", PyTorch {r['pytorch']}" if r["pytorch"] else " (PyTorch not installed)"))
    fma = r.get("fma_peak") or {}
    peak = (f"sgemm peak {r['sgemm_peak_gflops']:.0f} GFLOP/s" if r.get("sgemm_peak_gflops") else "") + (
        f"; FMA peak fp32 {fma['fp32_gflops']:.0f}, bf16 {fma['bf16_gflops']:.0f} GFLOP/s" if fma.get("bf16_gflops") else "")
    rounds = r["rows"][0]["rounds"] if r["rows"] else []
    # OpenVINO's default column as what it ran: bf16 where the CPU has it, else f32.
    ov_default = "bf16" if ov.get("default", "bf16").lower() == "bf16" else f"default ({ov['default']})"
    lines = [
        f"Measured {r['date']} on {r['cpu']}, {r['threads']} threads for every engine, "
        + (f"OpenBLAS core {r['blas_core']} ({peak} in the same run); Kiln {r['kiln_version']}, " if k else "")
        + f"{peers}; model: {r['weights']}. Median of up to {k['results'][0]['runs'] if k.get('results') else '?'} runs"
        + (f", then {len(rounds)} paired rounds (all engines timed back to back, the order reversed every other round): "
           f"times are medians over the rounds and ratios the median of the rounds' ratios; " if rounds else "; ")
        + (f"Kiln compiled = the {k['models'][0]['library']} library. " if k else "") + f"Reproduce: `{r['command']}`.",
        *(["", f"**Warning:** the machine was busy: {busy_reason(r)}; these numbers are noisy."] if busy_reason(r) else []),
        *(["", placement_line(r)] if placement_line(r) else []),
        "",
        f"| model | batch | Kiln fp32 ms | Kiln bf16 ms | ONNX Runtime ms | OpenVINO fp32 ms | OpenVINO {ov_default} ms | Kiln / ORT "
        f"| Kiln fp32 / OV fp32 | Kiln bf16 / OV {ov_default} | Kiln eager ms | PyTorch ms | Kiln GFLOP/s (of sgemm peak) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    x = lambda v: "–" if v is None else f"{v:.2f}x"
    for row in r["rows"]:
        frac = row["kiln_fraction_of_peak"]
        lines.append(f"| {row['model']} | {row['batch']} | {fmt(row['kiln_compiled_ms'])} | {fmt(row['kiln_bf16_ms'])} | "
                     f"{fmt(row['ort_ms'])} | {fmt(row['ov_f32_ms'])} | {fmt(row['ov_default_ms'])} | {x(row['kiln_over_ort'])} | "
                     f"{x(row['kiln_over_ov_f32'])} | {x(row['kiln_bf16_over_ov_default'])} | {fmt(row['kiln_eager_ms'])} | "
                     f"{fmt(row['pytorch_ms'])} | {fmt(row['kiln_gflops'], '.0f')} ({fmt(frac and frac * 100, '.0f')}%) |")
    if k:
        m = k["models"][0]
        prebuilt = (f" ({m['compile_prebuilt_objects']} kernel objects from `kiln prebuild-kernels`; "
                    f"{fmt(m.get('compile_everything_s'))} s compiling every kernel file)") if m.get("compile_prebuilt_objects") else ""
        lines += ["", f"{m['model']}: aotCompile cold {fmt(m['compile_s'])} s{prebuilt}, max-autotune cold {fmt(m['compile_autotune_s'])} s; "
                  f"fresh process (median of {m.get('fresh_processes', 1)} by first-run ratio): aotLoad {fmt(m['load_ms'])} ms, "
                  f"first run {fmt(m['first_run_ms'])} ms (steady {fmt(m['steady_ms'])} ms); batch-1 peak RSS {fmt(m['peak_rss_mb'], '.1f')} MB from a "
                  f"{'plain C' if m.get('peak_rss_host') == 'c' else 'Swift'} host "
                  f"(weights {fmt(m['weights_mb'], '.1f')} MB; a Swift host peaks at {fmt(m.get('swift_host_peak_rss_mb'), '.1f')} MB)."]
    lines += ["", "Error against ONNX Runtime's fp32 output, max |diff| / max |ref|, measured in this run: "
              + ", ".join(f"{v:.1e} ({n})" for n, v in sorted(r["max_relative_diff"].items())) + "."]
    if r["targets"]:
        lines += ["", "| target | measured | rounds (min–max) | status |", "|---|---:|---:|---|"]
        for t in r["targets"]:
            value = fmt(t["value"], ".2f", "not measured")
            spread = t.get("rounds")
            rounds_text = f"{spread['min']:.2f}–{spread['max']:.2f}" if spread else "–"
            notes = [t["miss_by"]] if t["miss_by"] else []
            if spread and t["status"] == "MISS":
                notes.append(f"{spread['passing']} of {spread['n']} rounds within")
            status = t["status"] + (f" ({'; '.join(notes)})" if notes else "")
            lines.append(f"| {t['target']} | {value} {t['unit'] if t['value'] is not None else ''} | {rounds_text} | {status} |")
    return "\n".join(lines)


def write_readme(markdown, root):
    path = os.path.join(root, "README.md")
    text = open(path, encoding="utf-8").read()
    begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
    if begin not in text or end not in text:
        sys.exit(f"peers.py: --write-readme needs {begin} … {end} markers in {path}")
    head, rest = text.split(begin, 1)
    tail = rest.split(end, 1)[1]
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(head + begin + "\n" + markdown + "\n" + end + tail)
    os.replace(tmp, path)
    print(f"peers.py: wrote the table into {path}", file=sys.stderr)
