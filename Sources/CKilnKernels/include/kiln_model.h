/*
 * kiln_model.h — the C ABI of a shared library built by Kiln's aotCompile.
 *
 * A compiled library holds one exported model: its graph as generated C, Kiln's kernels,
 * and its weights (embedded in .rodata). It needs no compiler and no Kiln at run time,
 * only libc and libm, and libopenblas when a step calls BLAS (MatMul of two run-time
 * tensors, the sgemm convolutions of CPUs without AVX-512): the link keeps only what the
 * objects reference (`readelf -d` lists it).
 *
 * Lifecycle
 *   kiln_model *m = kiln_create();          // NULL on failure: see kiln_last_error()
 *   kiln_tensor in = {data, {3, 3, 224, 224}, 4, 0};
 *   kiln_tensor out = {logits, {0}, 0, 3 * 1000};
 *   if (kiln_run(m, &in, 1, &out, 1) != 0) fprintf(stderr, "%s\n", kiln_last_error());
 *   kiln_destroy(m);
 *
 * Threads
 *   kiln_run may be called from several threads at once, on one instance or on several.
 *   Weights are read-only. Each instance keeps one cached activation arena behind a
 *   try-lock: the call that gets it reuses it; a call that finds it busy allocates its
 *   own arena for the duration of the call. So concurrent calls never share scratch
 *   memory and never wait for each other. Errors are reported per thread.
 *
 * Shapes
 *   Dimensions are static, or symbolic (the batch): kiln_dim_info.size is then -1, the
 *   symbol names it and [min, max] is its allowed range. Static dims have min = max = size.
 */
#ifndef KILN_MODEL_H
#define KILN_MODEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Version of this ABI. A loader refuses libraries built for another version. */
#define KILN_ABI_VERSION 1
/* Highest tensor rank the ABI carries. */
#define KILN_MAX_RANK 8

/* Symbols of the ABI are the only ones a compiled library exports (it is built with
 * -fvisibility=hidden, so its copies of the kernels never interpose with the host's). */
#if defined(__GNUC__)
#define KILN_API __attribute__((visibility("default")))
#else
#define KILN_API
#endif

/* Status codes of kiln_run. */
#define KILN_OK 0
#define KILN_ERROR_ARGUMENT 1 /* NULL pointer, wrong number of tensors */
#define KILN_ERROR_SHAPE 2    /* rank, static dim or batch range violated */
#define KILN_ERROR_CAPACITY 3 /* an output buffer is too small */
#define KILN_ERROR_MEMORY 4   /* the activation arena could not be allocated */

/* One dimension of an input or output. */
typedef struct kiln_dim_info {
    int64_t size;       /* static size, or -1 when symbolic */
    const char *symbol; /* symbolic dims: the symbol ("batch"); static dims: NULL */
    int64_t min, max;   /* allowed range (static dims: min = max = size) */
} kiln_dim_info;

/* An input or output of the model. */
typedef struct kiln_io_info {
    const char *name;          /* the exported program's value name, e.g. "x", "linear" */
    int32_t rank;
    const kiln_dim_info *dims; /* rank entries */
} kiln_io_info;

/* A tensor passed to kiln_run: float32, contiguous, row-major. */
typedef struct kiln_tensor {
    float *data;                  /* inputs: read; outputs: written */
    int64_t shape[KILN_MAX_RANK]; /* inputs: given by the caller; outputs: set by kiln_run */
    int32_t rank;                 /* inputs: given; outputs: set by kiln_run */
    int64_t capacity;             /* outputs: floats available at data; inputs: ignored */
} kiln_tensor;

/* An instance: owns a cached activation arena. */
typedef struct kiln_model kiln_model;

/* KILN_ABI_VERSION of the library. */
KILN_API int32_t kiln_abi_version(void);
/* A JSON object: Kiln version, graph hash, compile options, autotune choices, the CPU
 * features the library was built for. Static storage; never NULL. */
KILN_API const char *kiln_metadata_json(void);

KILN_API int32_t kiln_num_inputs(void);
KILN_API int32_t kiln_num_outputs(void);
/* Static storage; NULL when i is out of range. */
KILN_API const kiln_io_info *kiln_input_info(int32_t i);
KILN_API const kiln_io_info *kiln_output_info(int32_t i);

/* A new instance, or NULL (kiln_last_error() says why). */
KILN_API kiln_model *kiln_create(void);
/* Frees an instance; NULL is ignored. No kiln_run on it may be in flight. */
KILN_API void kiln_destroy(kiln_model *model);

/* Runs the model. inputs/outputs: kiln_num_inputs()/kiln_num_outputs() tensors.
 * Returns KILN_OK, or a KILN_ERROR_* code with kiln_last_error() set. */
KILN_API int32_t kiln_run(kiln_model *model, const kiln_tensor *inputs, int32_t num_inputs,
                          kiln_tensor *outputs, int32_t num_outputs);

/* The message of the calling thread's last failed call ("" when none). Thread-local;
 * valid until that thread's next call into the library. */
KILN_API const char *kiln_last_error(void);

#ifdef __cplusplus
}
#endif
#endif /* KILN_MODEL_H */
