/*
 * tmpfile() for the tests, tried again when it fails.
 *
 * Under Wine, tmpfile() once returned NULL in CI while the suite ran two
 * test processes at a time (trace_kernel_test, winpthreads layer), and the
 * test passed when run again: a transient failure of the host's C
 * library, not of irpsim. A further call gets a new file.
 */
#ifndef IRPSIM_TEST_TMPFILE_H
#define IRPSIM_TEST_TMPFILE_H

#include <stdio.h>

static inline FILE *TestTmpFile(void)
{
    FILE *Stream = NULL;
    for (int Try = 0; Stream == NULL && Try < 16; Try++)
        Stream = tmpfile();
    return Stream;
}

#endif /* IRPSIM_TEST_TMPFILE_H */
