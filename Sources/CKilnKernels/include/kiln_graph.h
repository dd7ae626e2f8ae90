/*
 * kiln_graph.h — the contract between a generated model.c and kiln_model_runtime.c inside
 * a library built by aotCompile. Not part of the public ABI (that is kiln_model.h).
 */
#ifndef KILN_GRAPH_H
#define KILN_GRAPH_H

#include "kiln_model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Runs the graph for `batch` rows. in/out: one pointer per input/output; arena: the
 * activation arena, kiln_graph_desc.arena_floats(batch) floats, 64-byte aligned. */
typedef void (*kiln_forward_fn)(int64_t batch, const float *const *in, float *const *out,
                                float *arena);

/* What the generated code describes; the runtime implements kiln_model.h on top of it. */
typedef struct kiln_graph_desc {
    int32_t num_inputs, num_outputs;
    const kiln_io_info *inputs, *outputs;
    /* The arena holds arena_per_row * batch + arena_fixed floats: activations scale with
     * the batch, convolution workspaces (one image at a time) do not. */
    size_t arena_per_row, arena_fixed;
    const char *metadata_json;
    kiln_forward_fn forward;
    /* The embedded weights, so kiln_create can fault them in before the first run. */
    const void *weights;
    size_t weights_bytes;
    /* One name per step, for KILN_PROFILE's report. */
    int32_t num_steps;
    const char *const *step_names;
    /* rows_independent: every input and output has a symbolic batch dim 0 and no step mixes
     * rows, so running the batch image by image gives the same result. split_batch: the
     * runtime does that by default (one image per thread at a time, each thread with its own
     * batch-1 arena), chosen at compile time; KILN_BATCH_SPLIT=0/1 overrides it. */
    int32_t rows_independent, split_batch;
} kiln_graph_desc;

/* KILN_PROFILE=1 in the environment at kiln_create: every step is timed and kiln_destroy
 * prints each step's mean time per run to standard error, slowest first (KILN_PROFILE=cpu:
 * the stepping thread's CPU time instead of wall time). Off, a step costs
 * one predictable branch. Times from concurrent runs on one instance add up (a debug aid). */
extern int kiln_profile_on;
double kiln_profile_now_ms(void);
void kiln_profile_add(int32_t step, double ms);
#define KILN_STEP_BEGIN() const double kiln_t0_ = kiln_profile_on ? kiln_profile_now_ms() : 0
#define KILN_STEP_END(i) do { if (kiln_profile_on) kiln_profile_add((i), kiln_profile_now_ms() - kiln_t0_); } while (0)

#ifdef __cplusplus
}
#endif
#endif /* KILN_GRAPH_H */
