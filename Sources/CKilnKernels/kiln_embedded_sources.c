/*
 * kiln_embedded_sources.c — the kernel sources, embedded as text with C23 #embed.
 *
 * Why #embed: the text becomes part of libKiln itself, so aotCompile works from any
 * install location (no resource bundle to find, no dependency on the source tree), and
 * clang records the embedded files in its dependency output, so editing a kernel
 * rebuilds this file too. Tests check that this list covers every .c file of the target.
 */
#include "kiln_sources.h"

#pragma clang diagnostic ignored "-Wc23-extensions"


static const char kernels_h[] = {
#embed "include/kiln_kernels.h"
    , 0};
static const char model_h[] = {
#embed "include/kiln_model.h"
    , 0};
static const char graph_h[] = {
#embed "include/kiln_graph.h"
    , 0};
static const char variants_h[] = {
#embed "include/kiln_conv_variants.h"
    , 0};
static const char gemm_h[] = {
#embed "include/kiln_gemm.h"
    , 0};
static const char gemm_tile_h[] = {
#embed "kiln_gemm_tile.h"
    , 0};
static const char gemm_bf16_h[] = {
#embed "include/kiln_gemm_bf16.h"
    , 0};
static const char gemm_bf16_c[] = {
#embed "kiln_gemm_bf16.c"
    , 0};
static const char gemm_bf16_amx_c[] = {
#embed "kiln_gemm_bf16_amx.c"
    , 0};
static const char conv_gemm_bf16_c[] = {
#embed "kiln_conv_gemm_bf16.c"
    , 0};
static const char conv_direct_bf16_c[] = {
#embed "kiln_conv_direct_bf16.c"
    , 0};
static const char conv_direct_bf16_amx_c[] = {
#embed "kiln_conv_direct_bf16_amx.c"
    , 0};
static const char conv_direct_bf16_amx_narrow_c[] = {
#embed "kiln_conv_direct_bf16_amx_narrow.c"
    , 0};
static const char amx_tiles_h[] = {
#embed "kiln_amx_tiles.h"
    , 0};
static const char gemm_c[] = {
#embed "kiln_gemm.c"
    , 0};
static const char gemm_im2col_c[] = {
#embed "kiln_gemm_im2col.c"
    , 0};
static const char conv_gemm_c[] = {
#embed "kiln_conv_gemm.c"
    , 0};
static const char threads_c[] = {
#embed "threads.c"
    , 0};
static const char threads_balanced_c[] = {
#embed "threads_balanced.c"
    , 0};
static const char conv2d_c[] = {
#embed "conv2d.c"
    , 0};
static const char conv2d_ref_c[] = {
#embed "conv2d_ref.c"
    , 0};
static const char batchnorm_c[] = {
#embed "batchnorm.c"
    , 0};
static const char elementwise_c[] = {
#embed "elementwise.c"
    , 0};
static const char pool_c[] = {
#embed "pool.c"
    , 0};
static const char linear_c[] = {
#embed "linear.c"
    , 0};
static const char runtime_c[] = {
#embed "kiln_model_runtime.c"
    , 0};
static const char variants_c[] = {
#embed "kiln_conv_variants.c"
    , 0};
static const char winograd_simd_h[] = {
#embed "kiln_winograd_simd.h"
    , 0};
static const char winograd_c[] = {
#embed "kiln_winograd.c"
    , 0};
static const char winograd_f2x3_c[] = {
#embed "kiln_winograd_f2x3.c"
    , 0};
static const char winograd_f2x3_bf16_c[] = {
#embed "kiln_winograd_f2x3_bf16.c"
    , 0};
static const char winograd_f4x3_bf16_c[] = {
#embed "kiln_winograd_f4x3_bf16.c"
    , 0};
static const char lazy_weights_h[] = {
#embed "kiln_lazy_weights.h"
    , 0};
static const char lazy_weights_c[] = {
#embed "kiln_lazy_weights.c"
    , 0};
static const char winograd_f4x3_c[] = {
#embed "kiln_winograd_f4x3.c"
    , 0};
static const char ops_h[] = {
#embed "include/kiln_ops.h"
    , 0};
static const char ops_internal_h[] = {
#embed "kiln_ops_internal.h"
    , 0};
static const char ops_activation_c[] = {
#embed "ops_activation.c"
    , 0};
static const char ops_binary_c[] = {
#embed "ops_binary.c"
    , 0};
static const char ops_pool_c[] = {
#embed "ops_pool.c"
    , 0};
static const char ops_reduce_c[] = {
#embed "ops_reduce.c"
    , 0};
static const char ops_copy_c[] = {
#embed "ops_copy.c"
    , 0};
static const char ops_matmul_c[] = {
#embed "ops_matmul.c"
    , 0};
static const char act_simd_h[] = {
#embed "kiln_act_simd.h"
    , 0};
static const char conv_depthwise_c[] = {
#embed "conv_depthwise.c"
    , 0};
static const char conv_stem_c[] = {
#embed "kiln_conv_stem.c"
    , 0};
static const char conv_stem_h[] = {
#embed "kiln_conv_stem.h"
    , 0};
static const char conv_stem_pool_c[] = {
#embed "kiln_conv_stem_pool.c"
    , 0};

#define FILE_ENTRY(name, var) {name, var, sizeof(var) - 1}

static const kiln_source_file files[] = {
    FILE_ENTRY("kiln_kernels.h", kernels_h),
    FILE_ENTRY("kiln_model.h", model_h),
    FILE_ENTRY("kiln_graph.h", graph_h),
    FILE_ENTRY("kiln_conv_variants.h", variants_h),
    FILE_ENTRY("kiln_gemm.h", gemm_h),
    FILE_ENTRY("kiln_gemm_bf16.h", gemm_bf16_h),
    FILE_ENTRY("kiln_gemm_tile.h", gemm_tile_h),
    FILE_ENTRY("kiln_amx_tiles.h", amx_tiles_h),
    FILE_ENTRY("kiln_winograd_simd.h", winograd_simd_h),
    FILE_ENTRY("kiln_lazy_weights.h", lazy_weights_h),
    FILE_ENTRY("kiln_ops.h", ops_h),
    FILE_ENTRY("kiln_ops_internal.h", ops_internal_h),
    FILE_ENTRY("kiln_act_simd.h", act_simd_h),
    FILE_ENTRY("threads.c", threads_c),
    FILE_ENTRY("threads_balanced.c", threads_balanced_c),
    FILE_ENTRY("conv2d.c", conv2d_c),
    FILE_ENTRY("conv2d_ref.c", conv2d_ref_c),
    FILE_ENTRY("batchnorm.c", batchnorm_c),
    FILE_ENTRY("elementwise.c", elementwise_c),
    FILE_ENTRY("pool.c", pool_c),
    FILE_ENTRY("linear.c", linear_c),
    FILE_ENTRY("kiln_model_runtime.c", runtime_c),
    FILE_ENTRY("kiln_conv_variants.c", variants_c),
    FILE_ENTRY("kiln_winograd.c", winograd_c),
    FILE_ENTRY("kiln_winograd_f2x3.c", winograd_f2x3_c),
    FILE_ENTRY("kiln_winograd_f2x3_bf16.c", winograd_f2x3_bf16_c),
    FILE_ENTRY("kiln_winograd_f4x3.c", winograd_f4x3_c),
    FILE_ENTRY("kiln_winograd_f4x3_bf16.c", winograd_f4x3_bf16_c),
    FILE_ENTRY("kiln_gemm.c", gemm_c),
    FILE_ENTRY("kiln_gemm_im2col.c", gemm_im2col_c),
    FILE_ENTRY("kiln_conv_gemm.c", conv_gemm_c),
    FILE_ENTRY("kiln_lazy_weights.c", lazy_weights_c),
    FILE_ENTRY("ops_activation.c", ops_activation_c),
    FILE_ENTRY("ops_binary.c", ops_binary_c),
    FILE_ENTRY("ops_pool.c", ops_pool_c),
    FILE_ENTRY("ops_reduce.c", ops_reduce_c),
    FILE_ENTRY("ops_copy.c", ops_copy_c),
    FILE_ENTRY("ops_matmul.c", ops_matmul_c),
    FILE_ENTRY("conv_depthwise.c", conv_depthwise_c),
    FILE_ENTRY("kiln_gemm_bf16.c", gemm_bf16_c),
    FILE_ENTRY("kiln_gemm_bf16_amx.c", gemm_bf16_amx_c),
    FILE_ENTRY("kiln_conv_gemm_bf16.c", conv_gemm_bf16_c),
    FILE_ENTRY("kiln_conv_direct_bf16.c", conv_direct_bf16_c),
    FILE_ENTRY("kiln_conv_direct_bf16_amx.c", conv_direct_bf16_amx_c),
    FILE_ENTRY("kiln_conv_direct_bf16_amx_narrow.c", conv_direct_bf16_amx_narrow_c),
    FILE_ENTRY("kiln_conv_stem.c", conv_stem_c),
    FILE_ENTRY("kiln_conv_stem.h", conv_stem_h),
    FILE_ENTRY("kiln_conv_stem_pool.c", conv_stem_pool_c),
};

const kiln_source_file *kiln_embedded_sources(size_t *count) {
    if (count) *count = sizeof files / sizeof files[0];
    return files;
}
