/*
 * kiln_fma_peak.h — the physical limit: the CPU's peak FMA throughput per precision,
 * measured with independent accumulator chains (no memory traffic), on `threads` threads.
 * Host-only (kiln bench / kiln doctor); not embedded in generated libraries.
 */
#ifndef KILN_FMA_PEAK_H
#define KILN_FMA_PEAK_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum kiln_fma_kind {
    KILN_FMA_FP32 = 0, /* vfmadd231ps zmm: 16 lanes x 2 FLOP = 32 FLOP per instruction */
    KILN_FMA_BF16 = 1, /* vdpbf16ps zmm: 16 lanes x 2 pairs x 2 FLOP = 64 FLOP per instruction */
} kiln_fma_kind;

/* GFLOP/s of `threads` threads (one pthread each, started together) each running chains of
 * the instruction for about `seconds`; the best of five runs. 0 when this CPU lacks the
 * instruction (AVX-512F for fp32, AVX512_BF16 for bf16). */
double kiln_fma_peak_gflops(int kind, int threads, double seconds);

#ifdef __cplusplus
}
#endif
#endif /* KILN_FMA_PEAK_H */
