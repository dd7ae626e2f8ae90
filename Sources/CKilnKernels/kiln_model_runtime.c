/*
 * kiln_model_runtime.c — implements kiln_model.h for a library built by aotCompile, on
 * top of the kiln_graph_desc that the generated model.c defines.
 *
 * Only compiled into generated libraries (-DKILN_GENERATED_MODEL); in Kiln's own build
 * this file is empty. It ships inside libKiln as text (kiln_embedded_sources.c) like the
 * kernels, so a library never depends on where Kiln's source tree is.
 */
#ifdef KILN_GENERATED_MODEL
#define _GNU_SOURCE /* madvise and its MADV_* flags */
#include "kiln_graph.h"
#include "kiln_kernels.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* Linux >= 5.14; older headers lack them and older kernels answer EINVAL (then we touch). */
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

extern const kiln_graph_desc kiln_generated_graph __attribute__((visibility("hidden")));
#define G (&kiln_generated_graph)

/* Distinct symbolic dims a graph may use (in practice one: the batch). */
#define KILN_MAX_SYMBOLS 4

struct kiln_model {
    pthread_mutex_t arena_lock; /* held by the call using `arena` (taken with trylock) */
    float *arena;
    size_t arena_floats;
    int split_batch; /* run batches image by image across threads (see kiln_graph.h) */
};

static _Thread_local char t_error[512];

static void set_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t_error, sizeof t_error, fmt, ap);
    va_end(ap);
}

int32_t kiln_abi_version(void) { return KILN_ABI_VERSION; }
const char *kiln_metadata_json(void) { return G->metadata_json; }
int32_t kiln_num_inputs(void) { return G->num_inputs; }
int32_t kiln_num_outputs(void) { return G->num_outputs; }
const char *kiln_last_error(void) { return t_error; }

const kiln_io_info *kiln_input_info(int32_t i) {
    return i >= 0 && i < G->num_inputs ? &G->inputs[i] : NULL;
}

const kiln_io_info *kiln_output_info(int32_t i) {
    return i >= 0 && i < G->num_outputs ? &G->outputs[i] : NULL;
}

/* Maps [p, p + bytes) into page tables now. Why: the weights are file-backed pages of the
 * library and the arena is fresh memory; left alone, the first run takes one page fault per
 * 4 KiB (~12k for ResNet-18) and is ~1.5x slower than the rest. One madvise populates
 * them in a single kernel call; where it is unsupported, touching one byte per page does it. */
static void prefault(const void *p, size_t bytes, int write) {
    if (!p || bytes == 0) return;
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    uintptr_t lo = (uintptr_t)p & ~(uintptr_t)(page - 1);
    uintptr_t hi = ((uintptr_t)p + bytes + page - 1) & ~(uintptr_t)(page - 1);
    if (madvise((void *)lo, hi - lo, write ? MADV_POPULATE_WRITE : MADV_POPULATE_READ) == 0) return;
    volatile const char *c = (volatile const char *)p;
    volatile char sink = 0;
    for (size_t i = 0; i < bytes; i += page) {
        if (write) ((volatile char *)c)[i] = 0;
        else sink ^= c[i];
    }
    (void)sink;
}

static float *alloc_arena(size_t floats);

static void start_workers(void *ctx, size_t begin, size_t end) { (void)ctx; (void)begin; (void)end; }

/* ---------------------------------------------------------------- KILN_PROFILE */

/* Most threads KILN_PROFILE=threads reports on (more: the plain wall-time report). */
#define KILN_PROFILE_MAX_SLOTS 64

__attribute__((visibility("hidden"))) int kiln_profile_on = 0;
static double *g_profile_ms;   /* per step, summed over runs */
static long g_profile_runs;
/* KILN_PROFILE=cpu: the stepping thread's CPU time instead of wall time. On a machine shared
 * with other jobs, wall times of a one-thread run (KILN_NUM_THREADS=1) swing with preemption
 * while its CPU time does not, so step-by-step comparisons of two libraries stay meaningful. */
static clockid_t g_profile_clock = CLOCK_MONOTONIC;
/* KILN_PROFILE=threads: wall time plus, per step, how long the pool's owner waited at joins
 * and how long each worker ran chunks (kiln_parallel_accounting), so a report shows whether
 * a slow step is imbalance or waiting (idle) or work that runs slower on two threads (busy). */
static int g_profile_slots;     /* threads accounted, 0 unless KILN_PROFILE=threads */
static double *g_profile_idle;  /* per step: the owner's join waits, summed over runs */
static double *g_profile_busy;  /* per step x slot: the workers' chunk time (slot 0 unused) */
static long *g_profile_taken;   /* per step: runs whose pool time was taken (not batch-split) */

__attribute__((visibility("hidden"))) double kiln_profile_now_ms(void) {
    struct timespec t;
    clock_gettime(g_profile_clock, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

__attribute__((visibility("hidden"))) void kiln_profile_add(int32_t step, double ms) {
    if (!g_profile_ms || step < 0 || step >= G->num_steps) return;
    g_profile_ms[step] += ms;
    /* Steps of a batch split across threads run inside the pool's chunks (kiln_get_num_threads
     * is 1 there): their kernels run inline, so there is no join to account. */
    if (g_profile_slots > 1 && kiln_get_num_threads() > 1) {
        double idle[KILN_PROFILE_MAX_SLOTS] = {0};
        kiln_parallel_time_take(idle, g_profile_busy + (size_t)step * g_profile_slots, g_profile_slots);
        g_profile_idle[step] += idle[0];
        g_profile_taken[step]++;
    }
}

static void profile_start(void) {
    const char *env = getenv("KILN_PROFILE");
    if (!env || !*env || strcmp(env, "0") == 0 || g_profile_ms) return;
    g_profile_clock = strcmp(env, "cpu") == 0 ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC;
    g_profile_ms = (double *)calloc((size_t)G->num_steps, sizeof(double));
    kiln_profile_on = g_profile_ms != NULL;
    const int slots = kiln_get_num_threads();
    if (kiln_profile_on && strcmp(env, "threads") == 0 && slots > 1 && slots <= KILN_PROFILE_MAX_SLOTS) {
        g_profile_idle = (double *)calloc((size_t)G->num_steps, sizeof(double));
        g_profile_busy = (double *)calloc((size_t)G->num_steps * (size_t)slots, sizeof(double));
        g_profile_taken = (long *)calloc((size_t)G->num_steps, sizeof(long));
        if (g_profile_idle && g_profile_busy && g_profile_taken) {
            g_profile_slots = slots;
            kiln_parallel_accounting(1);
        }
    }
}

static double g_sort_ms[4096];
static int by_time_desc(const void *a, const void *b) {
    double x = g_sort_ms[*(const int *)a], y = g_sort_ms[*(const int *)b];
    return (x < y) - (x > y);
}

/* KILN_PROFILE=threads: after each step's ms and share, each thread's busy ms per run (the
 * owner's: the step's wall time less its join waits) and the step's idle share (thread time
 * not spent in the step's work). */
static int profile_report_threads(int k, double total, double *busy_total) {
    const double runs = (double)g_profile_runs, wall = g_profile_ms[k] / runs;
    double busy = 0;
    if (g_profile_taken[k] != g_profile_runs) { /* some runs split the batch: no joins to account */
        fprintf(stderr, "  %8.3f ms %5.1f%%  busy -  %s\n", wall, total > 0 ? 100 * g_profile_ms[k] / total : 0.0, G->step_names[k]);
        return 0;
    }
    fprintf(stderr, "  %8.3f ms %5.1f%%  busy", wall, total > 0 ? 100 * g_profile_ms[k] / total : 0.0);
    for (int t = 0; t < g_profile_slots; t++) {
        const double b = t == 0 ? wall - g_profile_idle[k] / runs : g_profile_busy[(size_t)k * g_profile_slots + t] / runs;
        busy += b;
        busy_total[t] += b;
        fprintf(stderr, " %.3f", b);
    }
    fprintf(stderr, " idle %4.1f%%  %s\n", wall > 0 ? 100 * (1 - busy / (wall * g_profile_slots)) : 0.0, G->step_names[k]);
    return 1;
}

/* Drops the pool's time counted outside steps (a batch split across threads runs its steps
 * inside chunks, so its workers' time belongs to no step). */
static void profile_discard_pool_time(void) {
    if (!g_profile_slots) return;
    double idle[KILN_PROFILE_MAX_SLOTS] = {0}, busy[KILN_PROFILE_MAX_SLOTS] = {0};
    kiln_parallel_time_take(idle, busy, g_profile_slots);
}

/* Mean ms per run of every step, slowest first, with its share of the total. */
static void profile_report(void) {
    if (!kiln_profile_on || g_profile_runs == 0) return;
    int n = G->num_steps < 4096 ? G->num_steps : 4096;
    int order[4096];
    double total = 0;
    for (int i = 0; i < n; i++) { order[i] = i; g_sort_ms[i] = g_profile_ms[i]; total += g_profile_ms[i]; }
    qsort(order, (size_t)n, sizeof order[0], by_time_desc);
    fprintf(stderr, "KILN_PROFILE: %ld runs, %.3f ms per run in %d steps%s\n", g_profile_runs, total / g_profile_runs, n,
            g_profile_clock == CLOCK_MONOTONIC ? (g_profile_slots ? ", ms busy per thread (the caller first)" : "")
                                               : " (thread CPU time)");
    double busy_total[KILN_PROFILE_MAX_SLOTS] = {0}, accounted_ms = 0;
    for (int i = 0; i < n; i++) {
        int k = order[i];
        if (g_profile_slots) {
            if (profile_report_threads(k, total, busy_total)) accounted_ms += g_profile_ms[k];
            continue;
        }
        fprintf(stderr, "  %8.3f ms %5.1f%%  %s\n", g_profile_ms[k] / g_profile_runs,
                total > 0 ? 100 * g_profile_ms[k] / total : 0, G->step_names[k]);
    }
    if (g_profile_slots && accounted_ms == 0) {
        fprintf(stderr, "KILN_PROFILE: busy per thread not measured: the runs split their batch across threads, each "
                        "image's steps on one thread (KILN_BATCH_SPLIT=0 profiles the kernels' threads)\n");
    } else if (g_profile_slots) {
        double busy = 0;
        const double wall = accounted_ms / g_profile_runs;
        fprintf(stderr, "KILN_PROFILE: busy per thread");
        for (int t = 0; t < g_profile_slots; t++) { busy += busy_total[t]; fprintf(stderr, " %.3f", busy_total[t]); }
        fprintf(stderr, " ms per run; idle %.1f%% of %d threads x %.3f ms%s\n", wall > 0 ? 100 * (1 - busy / (wall * g_profile_slots)) : 0.0,
                g_profile_slots, wall, accounted_ms < total ? " (the steps with busy columns)" : "");
    }
    if (g_profile_slots) {
        memset(g_profile_idle, 0, sizeof(double) * (size_t)G->num_steps);
        memset(g_profile_taken, 0, sizeof(long) * (size_t)G->num_steps);
        memset(g_profile_busy, 0, sizeof(double) * (size_t)G->num_steps * (size_t)g_profile_slots);
    }
    memset(g_profile_ms, 0, sizeof(double) * (size_t)G->num_steps);
    g_profile_runs = 0;
}

kiln_model *kiln_create(void) {
    t_error[0] = 0;
    kiln_model *m = (kiln_model *)calloc(1, sizeof *m);
    if (!m) {
        set_error("kiln_create: out of memory");
        return NULL;
    }
    pthread_mutex_init(&m->arena_lock, NULL);
    profile_start();
    m->split_batch = G->rows_independent && G->split_batch;
    const char *split = getenv("KILN_BATCH_SPLIT");
    if (G->rows_independent && split && (split[0] == '0' || split[0] == '1') && !split[1]) m->split_batch = split[0] == '1';
    prefault(G->weights, G->weights_bytes, 0);
    /* Start the kernel thread pool now (a no-op job of one chunk per thread): creating and
     * placing its workers is then part of loading, not of the first run. */
    kiln_parallel_for((size_t)kiln_get_num_threads(), 1, start_workers, NULL);
    /* A batch-1 arena up front, populated, so the first run allocates nothing; larger
     * batches grow it on demand (acquire_arena). Failure here is not fatal: the run retries. */
    size_t floats = G->arena_per_row + G->arena_fixed;
    m->arena = alloc_arena(floats);
    if (m->arena) {
        m->arena_floats = floats;
        prefault(m->arena, floats * sizeof(float), 1);
    }
    return m;
}

void kiln_destroy(kiln_model *m) {
    if (!m) return;
    profile_report();
    pthread_mutex_destroy(&m->arena_lock);
    free(m->arena);
    free(m);
}

typedef struct {
    const char *name[KILN_MAX_SYMBOLS];
    int64_t value[KILN_MAX_SYMBOLS];
    int count;
} symbols;

static int64_t *symbol_slot(symbols *s, const char *name) {
    for (int i = 0; i < s->count; i++)
        if (strcmp(s->name[i], name) == 0) return &s->value[i];
    if (s->count == KILN_MAX_SYMBOLS) return NULL;
    s->name[s->count] = name;
    s->value[s->count] = -1;
    return &s->value[s->count++];
}

static void format_shape(char *buf, size_t size, const int64_t *shape, int32_t rank) {
    size_t at = (size_t)snprintf(buf, size, "(");
    for (int32_t d = 0; d < rank && at < size; d++)
        at += (size_t)snprintf(buf + at, size - at, d ? ", %lld" : "%lld", (long long)shape[d]);
    if (at < size) snprintf(buf + at, size - at, ")");
}

/* Checks one input against its info, binding symbolic dims. 0 or a KILN_ERROR_* code. */
static int check_input(int32_t i, const kiln_tensor *t, symbols *syms) {
    const kiln_io_info *info = &G->inputs[i];
    char got[160];
    if (!t->data) {
        set_error("input %d (%s): data is NULL", i, info->name);
        return KILN_ERROR_ARGUMENT;
    }
    if (t->rank < 0 || t->rank > KILN_MAX_RANK) {
        set_error("input %d (%s): rank %d is out of range", i, info->name, t->rank);
        return KILN_ERROR_SHAPE;
    }
    format_shape(got, sizeof got, t->shape, t->rank);
    if (t->rank != info->rank) {
        set_error("input %d (%s): expected rank %d, got rank %d %s", i, info->name, info->rank,
                  t->rank, got);
        return KILN_ERROR_SHAPE;
    }
    for (int32_t d = 0; d < info->rank; d++) {
        const kiln_dim_info *dim = &info->dims[d];
        const int64_t v = t->shape[d];
        if (dim->size >= 0) {
            if (v != dim->size) {
                set_error("input %d (%s): dim %d must be %lld, got %lld in %s", i, info->name, d,
                          (long long)dim->size, (long long)v, got);
                return KILN_ERROR_SHAPE;
            }
            continue;
        }
        if (v < dim->min || v > dim->max) {
            set_error("input %d (%s): dim %d (%s) must be in %lld...%lld, got %lld in %s", i,
                      info->name, d, dim->symbol, (long long)dim->min, (long long)dim->max,
                      (long long)v, got);
            return KILN_ERROR_SHAPE;
        }
        int64_t *slot = symbol_slot(syms, dim->symbol);
        if (!slot) {
            set_error("input %d (%s): too many symbolic dims", i, info->name);
            return KILN_ERROR_SHAPE;
        }
        if (*slot >= 0 && *slot != v) {
            set_error("input %d (%s): dim %d (%s) is %lld but another input binds it to %lld", i,
                      info->name, d, dim->symbol, (long long)v, (long long)*slot);
            return KILN_ERROR_SHAPE;
        }
        *slot = v;
    }
    return KILN_OK;
}

/* 64-byte aligned (the kernels' vector loads), NULL when out of memory. */
static float *alloc_arena(size_t floats) {
    void *p = NULL;
    if (posix_memalign(&p, 64, (floats ? floats : 1) * sizeof(float)) != 0) return NULL;
    return (float *)p;
}

/* The arena for one call: the instance's cached one when free, else a private one. */
static float *acquire_arena(kiln_model *m, size_t floats, int *owned) {
    *owned = 0;
    if (pthread_mutex_trylock(&m->arena_lock) == 0) {
        if (m->arena_floats < floats) {
            free(m->arena);
            m->arena = alloc_arena(floats);
            m->arena_floats = m->arena ? floats : 0;
            if (!m->arena) {
                pthread_mutex_unlock(&m->arena_lock);
                return NULL;
            }
        }
        return m->arena;
    }
    float *p = alloc_arena(floats);
    if (p) *owned = 1;
    return p;
}

static int64_t tensor_count(const kiln_tensor *t) {
    int64_t count = 1;
    for (int32_t d = 0; d < t->rank; d++) count *= t->shape[d];
    return count;
}

/* A batch run image by image: why — a depthwise-separable network's activations at batch 32
 * are ~150 MB per tensor (112x112x96 floats x 32), so every layer streams them through
 * DRAM; one image's (~5 MB) stay in the caches from one layer to the next. Each runner (one
 * per thread) claims images until none is left, and runs them with its own batch-1 arena and
 * single-threaded kernels (kiln_get_num_threads is 1 inside a job). */
typedef struct {
    int64_t batch;
    const float *const *in;
    float *const *out;
    size_t in_row[16], out_row[16]; /* floats per image of every input and output */
    float *arenas;
    size_t stride; /* floats per runner's arena */
    _Atomic int64_t next;
} split_ctx;

static void split_runner(void *vctx, size_t r0, size_t r1) {
    (void)r1;
    split_ctx *s = (split_ctx *)vctx;
    float *arena = s->arenas + r0 * s->stride;
    const float *in[16];
    float *out[16];
    for (int64_t i; (i = atomic_fetch_add_explicit(&s->next, 1, memory_order_relaxed)) < s->batch;) {
        for (int32_t j = 0; j < G->num_inputs; j++) in[j] = s->in[j] + (size_t)i * s->in_row[j];
        for (int32_t j = 0; j < G->num_outputs; j++) out[j] = s->out[j] + (size_t)i * s->out_row[j];
        G->forward(1, in, out, arena);
    }
}

int32_t kiln_run(kiln_model *m, const kiln_tensor *inputs, int32_t num_inputs,
                 kiln_tensor *outputs, int32_t num_outputs) {
    t_error[0] = 0;
    if (!m || (!inputs && num_inputs) || (!outputs && num_outputs)) {
        set_error("kiln_run: model, inputs and outputs must not be NULL");
        return KILN_ERROR_ARGUMENT;
    }
    if (num_inputs != G->num_inputs || num_outputs != G->num_outputs) {
        set_error("kiln_run: expected %d inputs and %d outputs, got %d and %d", G->num_inputs,
                  G->num_outputs, num_inputs, num_outputs);
        return KILN_ERROR_ARGUMENT;
    }
    symbols syms = {{0}, {0}, 0};
    for (int32_t i = 0; i < num_inputs; i++) {
        int rc = check_input(i, &inputs[i], &syms);
        if (rc) return rc;
    }
    /* The batch: dim 0 of the first input (symbolic or static). */
    const int64_t batch = G->num_inputs > 0 ? inputs[0].shape[0] : 1;
    const float *in_ptrs[16];
    float *out_ptrs[16];
    if (num_inputs > 16 || num_outputs > 16) {
        set_error("kiln_run: more than 16 inputs or outputs");
        return KILN_ERROR_ARGUMENT;
    }
    for (int32_t i = 0; i < num_inputs; i++) in_ptrs[i] = inputs[i].data;
    for (int32_t o = 0; o < num_outputs; o++) {
        const kiln_io_info *info = &G->outputs[o];
        kiln_tensor *t = &outputs[o];
        int64_t count = 1;
        for (int32_t d = 0; d < info->rank; d++) {
            int64_t v = info->dims[d].size;
            if (v < 0) {
                int64_t *slot = symbol_slot(&syms, info->dims[d].symbol);
                v = slot && *slot >= 0 ? *slot : batch;
            }
            t->shape[d] = v;
            count *= v;
        }
        t->rank = info->rank;
        if (!t->data || t->capacity < count) {
            set_error("output %d (%s): needs %lld floats, buffer holds %lld", o, info->name,
                      (long long)count, (long long)(t->data ? t->capacity : 0));
            return KILN_ERROR_CAPACITY;
        }
        out_ptrs[o] = t->data;
    }
    /* Split batches: one batch-1 arena per thread, 64-byte aligned each. One thread splits
     * too: image by image, the activations stay in cache (MobileNetV2 batch 16 on one thread:
     * the whole batch through each step took 1.28x ONNX Runtime's time). */
    const int threads = kiln_get_num_threads();
    const int split = m->split_batch && batch > 1;
    const size_t runners = split ? (size_t)(batch < threads ? batch : threads) : 1;
    const size_t stride = (G->arena_per_row + G->arena_fixed + 15) / 16 * 16;
    const size_t floats = split ? runners * stride : G->arena_per_row * (size_t)batch + G->arena_fixed;
    int owned = 0;
    float *arena = acquire_arena(m, floats, &owned);
    if (!arena) {
        set_error("kiln_run: cannot allocate an arena of %zu floats", floats);
        return KILN_ERROR_MEMORY;
    }
    profile_discard_pool_time();
    if (split) {
        split_ctx ctx = {batch, in_ptrs, out_ptrs, {0}, {0}, arena, stride, 0};
        for (int32_t i = 0; i < num_inputs; i++) ctx.in_row[i] = (size_t)(tensor_count(&inputs[i]) / batch);
        for (int32_t o = 0; o < num_outputs; o++) ctx.out_row[o] = (size_t)(tensor_count(&outputs[o]) / batch);
        kiln_parallel_for(runners, 1, split_runner, &ctx);
    } else {
        G->forward(batch, in_ptrs, out_ptrs, arena);
    }
    if (kiln_profile_on) g_profile_runs++;
    profile_discard_pool_time();
    if (owned) free(arena);
    else pthread_mutex_unlock(&m->arena_lock);
    return KILN_OK;
}
#endif /* KILN_GENERATED_MODEL */
