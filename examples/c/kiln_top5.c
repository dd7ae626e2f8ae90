/*
 * kiln_top5.c — loads a library built by `kiln compile` (or aotCompile) with dlopen, runs
 * one batch through it and prints the top-5 classes of each row. Plain C, no Kiln needed.
 *
 *   cc -O2 -I ../../Sources/CKilnKernels/include kiln_top5.c -o kiln_top5 -ldl
 *   ./kiln_top5 resnet18.so [batch] [input.f32]
 *
 * The input is raw little-endian float32 of shape (batch, C, H, W) as the library's input
 * info says; without a file a deterministic pattern is used.
 */
#include "kiln_model.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

/* The ABI's functions, looked up by name (a dlopen'ed library has no import stubs). */
typedef struct {
    int32_t (*abi_version)(void);
    const char *(*metadata_json)(void);
    const kiln_io_info *(*input_info)(int32_t);
    const kiln_io_info *(*output_info)(int32_t);
    kiln_model *(*create)(void);
    void (*destroy)(kiln_model *);
    int32_t (*run)(kiln_model *, const kiln_tensor *, int32_t, kiln_tensor *, int32_t);
    const char *(*last_error)(void);
} kiln_api;

static int load(void *h, kiln_api *api) {
#define SYM(field, name) if (!(*(void **)&api->field = dlsym(h, name))) { fprintf(stderr, "missing %s\n", name); return -1; }
    SYM(abi_version, "kiln_abi_version")
    SYM(metadata_json, "kiln_metadata_json")
    SYM(input_info, "kiln_input_info")
    SYM(output_info, "kiln_output_info")
    SYM(create, "kiln_create")
    SYM(destroy, "kiln_destroy")
    SYM(run, "kiln_run")
    SYM(last_error, "kiln_last_error")
#undef SYM
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s LIBRARY.so [batch] [input.f32]\n", argv[0]);
        return 64;
    }
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 69;
    }
    kiln_api api;
    if (load(h, &api) != 0) return 69;
    if (api.abi_version() != KILN_ABI_VERSION) {
        fprintf(stderr, "library ABI %d, this program expects %d\n", api.abi_version(), KILN_ABI_VERSION);
        return 69;
    }

    const kiln_io_info *in = api.input_info(0), *out = api.output_info(0);
    kiln_tensor x = {0};
    x.rank = in->rank;
    int64_t count = 1;
    for (int32_t d = 0; d < in->rank; d++) {
        x.shape[d] = in->dims[d].size >= 0 ? in->dims[d].size : (argc > 2 ? atoll(argv[2]) : 1);
        count *= x.shape[d];
    }
    const int64_t batch = x.shape[0];
    x.data = malloc(sizeof(float) * (size_t)count);
    FILE *f = argc > 3 ? fopen(argv[3], "rb") : NULL;
    if (argc > 3 && (!f || fread(x.data, sizeof(float), (size_t)count, f) != (size_t)count)) {
        fprintf(stderr, "cannot read %lld floats from %s\n", (long long)count, argv[3]);
        return 65;
    }
    if (f) fclose(f);
    if (!f)
        for (int64_t i = 0; i < count; i++) x.data[i] = (float)((i * 7919) % 255) / 255.0f - 0.5f;

    int64_t classes = out->dims[out->rank - 1].size;
    kiln_tensor y = {0};
    y.capacity = batch * classes;
    y.data = malloc(sizeof(float) * (size_t)y.capacity);

    kiln_model *m = api.create();
    if (!m || api.run(m, &x, 1, &y, 1) != KILN_OK) {
        fprintf(stderr, "kiln_run: %s\n", api.last_error());
        return 67;
    }
    printf("%s -> %s (%lld x %lld)\n", in->name, out->name, (long long)y.shape[0], (long long)y.shape[1]);
    for (int64_t b = 0; b < batch; b++) {
        const float *row = y.data + b * classes;
        int top[5] = {-1, -1, -1, -1, -1};
        for (int k = 0; k < 5; k++)
            for (int64_t c = 0; c < classes; c++) {
                int taken = 0;
                for (int j = 0; j < k; j++) taken |= top[j] == c;
                if (!taken && (top[k] < 0 || row[c] > row[top[k]])) top[k] = (int)c;
            }
        printf("[%lld] top-5:", (long long)b);
        for (int k = 0; k < 5; k++) printf(" %d (%.4f)", top[k], row[top[k]]);
        printf("\n");
    }
    api.destroy(m);
    free(x.data);
    free(y.data);
    dlclose(h);
    return 0;
}
