/*
 * kiln_sources.h — the kernel sources as text, embedded in Kiln's own binary so that
 * aotCompile can write them next to the generated model.c wherever Kiln is installed.
 */
#ifndef KILN_SOURCES_H
#define KILN_SOURCES_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One embedded file: its name in a generated library's build directory, and its text
 * (NUL-terminated; length excludes the NUL). */
typedef struct kiln_source_file {
    const char *name;
    const char *text;
    size_t length;
} kiln_source_file;

/* All embedded files (headers first); *count receives how many. Static storage. */
const kiln_source_file *kiln_embedded_sources(size_t *count);

#ifdef __cplusplus
}
#endif
#endif /* KILN_SOURCES_H */
