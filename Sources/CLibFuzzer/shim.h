// libFuzzer's entry point for programs with their own main() (compiler-rt's
// libclang_rt.fuzzer_no_main). Declared here only: nothing links libFuzzer unless the
// fuzzers are built by `make fuzz`, and only code compiled with KILN_LIBFUZZER calls it.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
