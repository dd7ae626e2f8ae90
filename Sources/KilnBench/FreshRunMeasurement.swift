import Foundation
import Kiln

/// What a fresh process measured on a compiled library at batch 1: load time, the first
/// run after loading, the steady median, and its resident memory at start, after loading
/// and at its peak. Measured in a fresh process so that nothing else (a compiler, an eager
/// model, other batches) inflates the peak.
///
/// ``measureFromC(library:runs:compiler:)`` measures it from a plain C program, as the
/// library is deployed from C (`dlopen`, `kiln_create`). Why a C host: a Swift process
/// starts with ~25 MB of runtime and Foundation resident, and the question "what does the
/// model cost in memory" is about the library, not the host. The host is built with the same
/// toolchain as the library (`CC`, else `cc`) from the source below and Kiln's shipped
/// `kiln_model.h`, so it needs nothing Kiln does not. (`kiln bench` also measures the same
/// figures in a Swift host, through `aotLoad`.)
public struct FreshRunMeasurement: Codable, Sendable {
    public var loadMilliseconds: Double
    public var firstRunMilliseconds: Double
    public var steadyMedianMilliseconds: Double
    public var baselineResidentBytes: Int
    /// Resident memory right after loading, before the first run.
    public var loadedResidentBytes: Int
    public var peakResidentBytes: Int

    public init(loadMilliseconds: Double, firstRunMilliseconds: Double, steadyMedianMilliseconds: Double,
                baselineResidentBytes: Int, loadedResidentBytes: Int, peakResidentBytes: Int) {
        self.loadMilliseconds = loadMilliseconds
        self.firstRunMilliseconds = firstRunMilliseconds
        self.steadyMedianMilliseconds = steadyMedianMilliseconds
        self.baselineResidentBytes = baselineResidentBytes
        self.loadedResidentBytes = loadedResidentBytes
        self.peakResidentBytes = peakResidentBytes
    }

    /// The first run over the steady median (the issue's target: ≤ 1.2).
    public var firstRunRatio: Double { firstRunMilliseconds / max(steadyMedianMilliseconds, 1e-9) }

    enum CodingKeys: String, CodingKey {
        case loadMilliseconds = "load_ms", firstRunMilliseconds = "first_run_ms", steadyMedianMilliseconds = "steady_ms"
        case baselineResidentBytes = "baseline_rss_bytes", loadedResidentBytes = "loaded_rss_bytes", peakResidentBytes = "peak_rss_bytes"
    }

    /// Builds the C host in a temporary directory and runs it on `library` at batch 1 with
    /// an input of shape (1, 3, 224, 224), `runs` steady runs.
    public static func measureFromC(library: String, runs: Int, compiler: String? = nil) throws -> FreshRunMeasurement {
        var env = ProcessInfo.processInfo.environment
        if let compiler { env["CC"] = compiler }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-chost-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // -O2: the host only times calls; -ldl for dlopen on older glibc.
        let host = try CProgram.build(source: source, named: "host", in: dir, flags: ["-O2"], libraries: ["-ldl"], environment: env)
        let run = try CProgram.run(host, arguments: [library, "\(max(runs, 1))"])
        guard run.status == 0, let line = run.output.split(separator: "\n").last(where: { $0.hasPrefix("{") }) else {
            throw CompileError.unsupported("the C host measurement failed (exit \(run.status)): \(run.output.suffix(400))")
        }
        return try JSONDecoder().decode(FreshRunMeasurement.self, from: Data(line.utf8))
    }

    /// The host: times dlopen + kiln_create, one first run, then `runs` runs; reads VmRSS
    /// and VmHWM from /proc/self/status; prints one JSON line.
    static let source = #"""
    #define _GNU_SOURCE
    #include "kiln_model.h"
    #include <dlfcn.h>
    #include <stdio.h>
    #include <stdlib.h>
    #include <string.h>
    #include <time.h>

    static double now_ms(void) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
    }

    static long status_kb(const char *field) {
        FILE *f = fopen("/proc/self/status", "r");
        char line[256];
        long kb = -1;
        size_t n = strlen(field);
        while (f && fgets(line, sizeof line, f))
            if (strncmp(line, field, n) == 0 && line[n] == ':') { kb = atol(line + n + 1); break; }
        if (f) fclose(f);
        return kb;
    }

    static int by_value(const void *a, const void *b) {
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
    }

    int main(int argc, char **argv) {
        if (argc < 3) { fprintf(stderr, "usage: host LIBRARY RUNS\n"); return 2; }
        int runs = atoi(argv[2]);
        long baseline = status_kb("VmRSS");
        double t0 = now_ms();
        void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
        if (!h) { fprintf(stderr, "%s\n", dlerror()); return 1; }
        kiln_model *(*create)(void) = (kiln_model *(*)(void))dlsym(h, "kiln_create");
        int32_t (*run)(kiln_model *, const kiln_tensor *, int32_t, kiln_tensor *, int32_t) =
            (int32_t (*)(kiln_model *, const kiln_tensor *, int32_t, kiln_tensor *, int32_t))dlsym(h, "kiln_run");
        if (!create || !run) { fprintf(stderr, "not a Kiln library\n"); return 1; }
        kiln_model *m = create();
        double load = now_ms() - t0;
        long loaded = status_kb("VmRSS");
        /* x: (1, 3, 224, 224), deterministic values in [-1, 1) */
        float *x = malloc(sizeof(float) * 3 * 224 * 224), *y = malloc(sizeof(float) * 1000);
        for (long i = 0; i < 3L * 224 * 224; i++) x[i] = (float)((i * 2654435761u) % 2000) / 1000.0f - 1.0f;
        kiln_tensor in = {.data = x, .shape = {1, 3, 224, 224}, .rank = 4};
        kiln_tensor out = {.data = y, .capacity = 1000};
        double t1 = now_ms();
        if (run(m, &in, 1, &out, 1) != 0) { fprintf(stderr, "kiln_run failed\n"); return 1; }
        double first = now_ms() - t1;
        double *t = malloc(sizeof(double) * runs);
        for (int i = 0; i < runs; i++) {
            double s = now_ms();
            run(m, &in, 1, &out, 1);
            t[i] = now_ms() - s;
        }
        qsort(t, runs, sizeof(double), by_value);
        double median = runs % 2 ? t[runs / 2] : (t[runs / 2 - 1] + t[runs / 2]) / 2;
        printf("{\"load_ms\": %.4f, \"first_run_ms\": %.4f, \"steady_ms\": %.4f, "
               "\"baseline_rss_bytes\": %ld, \"loaded_rss_bytes\": %ld, \"peak_rss_bytes\": %ld}\n",
               load, first, median, baseline * 1024, loaded * 1024, status_kb("VmHWM") * 1024);
        return 0;
    }
    """#
}
