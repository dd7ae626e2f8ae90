"""peers.py's engines: timing, ONNX Runtime, OpenVINO (fp32 and its default precision), Kiln
through `kiln bench --json`, and the paired rounds that time them back to back."""
import json
import os
import subprocess
import sys
import time

import numpy as np


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


def ort_runner(session):
    """x (one array, or a dict name -> array) -> the first output."""
    names = [i.name for i in session.get_inputs()]
    out = session.get_outputs()[0].name
    return lambda x: session.run([out], x if isinstance(x, dict) else {names[0]: x})[0]


class OpenVINO:
    """OpenVINO on the CPU plugin, one compiled model per (precision, input shapes): static
    shapes are how OpenVINO is deployed for speed (a dynamic batch costs it time). Precision
    "f32" sets INFERENCE_PRECISION_HINT=f32; "default" leaves OpenVINO's own choice, bf16 on
    CPUs with avx512_bf16 or AMX (the compiled model's hint is recorded as what it ran)."""

    def __init__(self, onnx_path, threads):
        import openvino as ov
        self.ov, self.core, self.path, self.threads = ov, ov.Core(), onnx_path, threads
        self.version = ov.__version__.split("-")[0]
        self.cache, self.precisions = {}, {}

    def runner(self, precision, shapes):
        """shapes: input name -> shape. Returns x -> the first output (numpy)."""
        key = (precision, tuple(sorted((k, tuple(v)) for k, v in shapes.items())))
        if key not in self.cache:
            model = self.core.read_model(self.path)
            model.reshape({name: self.ov.PartialShape(list(s)) for name, s in shapes.items()})
            # One stream and Kiln's thread count: one request at a time on the same cores, as Kiln runs.
            cfg = {"INFERENCE_NUM_THREADS": self.threads, "NUM_STREAMS": 1, "PERFORMANCE_HINT": "LATENCY"}
            if precision == "f32":
                cfg["INFERENCE_PRECISION_HINT"] = "f32"
            compiled = self.core.compile_model(model, "CPU", cfg)
            hint = compiled.get_property("INFERENCE_PRECISION_HINT")
            self.precisions[precision] = hint.to_string() if hasattr(hint, "to_string") else str(hint)
            request = compiled.create_infer_request()
            names = [i.any_name for i in compiled.inputs]
            out = compiled.outputs[0]

            def run(x):
                feed = x if isinstance(x, dict) else {names[0]: x}
                return np.array(request.infer(feed)[out], copy=True)
            self.cache[key] = run
        return self.cache[key]


def kiln_supports(kiln, option):
    """True when `kiln bench --help` lists `option` (older builds lack --precision, --onnx)."""
    r = subprocess.run([kiln, "bench", "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return option in r.stdout


def kiln_bench_cmd(args, model_args, batch, in_path, precision, runs, budget):
    """A `kiln bench --json` timing only the compiled library at one batch (compile cached)."""
    cmd = [args.kiln, "bench", "--json", *model_args, "--batches", str(batch), "--runs", str(runs),
           "--warmup", str(args.warmup), "--budget", str(budget), "--no-compile-timing", "--skip-autotune",
           "--no-eager", "--skip-fresh-process", "--sgemm-size", "64", "--skip-fma-peak", "--inputs", in_path]
    return cmd + (["--precision", precision] if precision != "fp32" else [])


class Placement:
    """Where the hypervisor put our CPUs: the cache-line round trip of Kiln's
    Sources/CKilnKernels/kiln_core_latency.c (what `kiln doctor` and `kiln bench` report),
    compiled alone into a program in a temporary folder (exe None without a C compiler or a
    second CPU). A probe is "far" when the round trip is over FAR_FACTOR times the fastest
    seen in this run."""
    FAR_FACTOR = 2.5

    def __init__(self, tmp):
        self.exe, self.best = os.path.join(tmp, "core_latency"), None
        kernels = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Sources", "CKilnKernels")
        cc = os.environ.get("CC", "cc")
        r = subprocess.run([cc, "-O2", "-pthread", "-DKILN_CORE_LATENCY_MAIN", "-I", os.path.join(kernels, "include"),
                            os.path.join(kernels, "kiln_core_latency.c"), "-o", self.exe], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if r.returncode != 0 or self.probe() is None:
            self.exe = None

    def probe(self):
        """The round trip in ns, or None."""
        if not self.exe:
            return None
        r = subprocess.run([self.exe], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            ns = float(r.stdout)
        except ValueError:
            return None
        self.best = ns if self.best is None else min(self.best, ns)
        return ns

    def kind(self, ns):
        return None if ns is None or self.best is None else ("far" if ns > self.FAR_FACTOR * self.best else "near")


def paired_rounds(args, engines, batches, placement=None):
    """Every engine timed back to back, `--rounds` times per batch, the order reversed every
    other round. engines: name -> (batch -> median ms). Why: this machine's speed drifts by
    tens of percent over minutes (other tenants); ratios taken within seconds, as the median
    over rounds, survive that. With a Placement, the core-to-core round trip is probed before
    every engine and after the last; a round whose probes disagree (the hypervisor moved our
    vCPUs between engines) is timed again, up to `--placement-retries` times, so that a
    round's engines ran with the same placement. Each round records its probes ("_probes_ns")
    and placement ("_placement": near, far, or mixed when the retries ran out)."""
    out = {b: [] for b in batches}
    names = list(engines)
    retries = getattr(args, "placement_retries", 0) if placement else 0
    for r in range(args.rounds):
        for b in batches:
            order = names if r % 2 == 0 else names[::-1]
            for attempt in range(retries + 1):
                times, probes = {}, []
                for n in order:
                    probes.append(placement and placement.probe())
                    times[n] = engines[n](b)
                probes.append(placement and placement.probe())
                kinds = {placement.kind(p) for p in probes} if placement else {None}
                if len(kinds) == 1:
                    break
                print(f"peers.py: round {r + 1}, batch {b}: the vCPUs moved between engines "
                      f"(round trips {', '.join(f'{p:.0f}' for p in probes)} ns); timing it again", file=sys.stderr)
            if placement:
                times["_probes_ns"] = probes
                times["_placement"] = kinds.pop() if len(kinds) == 1 else "mixed"
            out[b].append(times)
            print(f"peers.py: round {r + 1}/{args.rounds}, batch {b}: "
                  + ", ".join(f"{n} {t:.2f} ms" for n, t in times.items() if not n.startswith("_"))
                  + (f" ({times['_placement']})" if placement else ""), file=sys.stderr)
    if placement:
        relabel_rounds(out, placement)
    return out


def relabel_rounds(out, placement):
    """Labels every round again against the fastest round trip of the whole run: while the
    rounds ran, "far" meant slower than the fastest probe so far, so a run that began with its
    vCPUs far apart called those first rounds near until a near period showed what near is."""
    for rounds in out.values():
        for times in rounds:
            kinds = {placement.kind(p) for p in times["_probes_ns"]}
            label = kinds.pop() if len(kinds) == 1 else "mixed"
            if label != times["_placement"]:
                print(f"peers.py: a round labelled {times['_placement']} while it ran is {label} against the run's "
                      f"fastest round trip ({placement.best:.0f} ns)", file=sys.stderr)
                times["_placement"] = label


def round_ratios(rounds, num, den):
    """num/den in each round that timed both."""
    return [p[num] / p[den] for p in rounds if p.get(num) and p.get(den)]


def median_ratio(rounds, num, den):
    """The median over rounds of num/den, or None when either was not timed."""
    vals = round_ratios(rounds, num, den)
    return float(np.median(vals)) if vals else None


def median_of(rounds, name):
    vals = [p[name] for p in rounds if p.get(name)]
    return float(np.median(vals)) if vals else None


def relative_error(got, ref):
    """max |got - ref| / max |ref|, or a failure naming the shapes when they differ."""
    got, ref = np.asarray(got, dtype=np.float32), np.asarray(ref, dtype=np.float32)
    if got.shape != ref.shape:
        sys.exit(f"peers.py: FAILED: output shape {got.shape} differs from ONNX Runtime's {ref.shape}")
    return float(np.max(np.abs(got - ref))) / max(float(np.max(np.abs(ref))), 1e-30)


def cpu_flags():
    """The CPU's feature flags from /proc/cpuinfo (empty where there is none)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def kiln_json(cmd):
    return json.loads(run_checked(cmd, quiet=True))


def write_temp_onnx(tmp, onnx_bytes, name="model.onnx"):
    path = os.path.join(tmp, name)
    with open(path, "wb") as f:
        f.write(onnx_bytes)
    return path


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
