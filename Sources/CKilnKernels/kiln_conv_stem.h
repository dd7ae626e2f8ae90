/*
 * kiln_conv_stem.h — private to the kernels: what the stem convolution (kiln_conv_stem.c)
 * shares with the stem that max-pools its own output (kiln_conv_stem_pool.c), which computes
 * its rows with the same tiles, so both give the same bits. Shipped inside generated
 * libraries with the other kernel sources.
 */
#ifndef KILN_CONV_STEM_H
#define KILN_CONV_STEM_H

#include "kiln_conv_variants.h"

#include <stddef.h>

/* Output channels per tile (and per packed weight block). */
#define STEM_MR 8
/* Output rows per task: rows of a band share its input lines (3x3 stride 2: 9 input rows
 * for 4 output rows instead of 12). */
#define STEM_BAND 4
/* Floats of phase lines one task keeps on its stack (48 KB). */
#define STEM_LINE_FLOATS 12288

/* The naive twins' convolution value at (image n, channel o, oy, ox): the double sum over
 * the packed weights, before bias and activation. */
double kiln_stem_ref_sum(const kiln_conv2d_params *p, const float *x, const float *packed, int n, int o, int oy, int ox);
/* Whether this CPU runs the AVX-512 stem on p (else: the naive twin's loops). */
int kiln_stem_can_run(const kiln_conv2d_params *p);
/* Whether batch 1 on `threads` threads splits output channels (each thread a share of the
 * channel blocks through every row), and share `piece` of `pieces`: channels [*begin, *end). */
int kiln_stem_shares(const kiln_conv2d_params *p, int threads);
void kiln_stem_share(int oc, int pieces, int piece, int *begin, int *end);
/* Output rows [oy0, oy1) of one image (xi: its input) for output channels [oc_begin,
 * oc_end), with bias and p's activation: row oy of channel o at y + o * plane + (oy & rmask)
 * * OW. buf: STEM_LINE_FLOATS floats, 64-byte aligned, for the input lines. Only where
 * kiln_stem_can_run(p). */
void kiln_stem_rows(const kiln_conv2d_params *p, const float *xi, const float *packed, const float *bias, float *y,
                    size_t plane, int rmask, int oy0, int oy1, int oc_begin, int oc_end, float *buf);

#endif /* KILN_CONV_STEM_H */
