/*
 * irpsim — querying the host's address space without touching it (POSIX).
 *
 * Linux: readability is asked of the kernel with process_vm_readv on our
 * own process (one byte per 4 KB page; a page that is unmapped or
 * PROT_NONE fails with EFAULT instead of raising SIGSEGV). Writability
 * cannot be asked that way without writing, so it is read from
 * /proc/self/maps. Where process_vm_readv is refused (seccomp, old
 * kernels) /proc/self/maps answers both questions.
 * Other POSIX hosts: no answer; every range counts as accessible.
 * Windows: pal_memory_win32.c instead of this file.
 */
#ifdef _WIN32
#error "pal_memory_posix.c is not for Windows; build pal_memory_win32.c"
#endif
#define _GNU_SOURCE
#include "pal_memory.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#ifdef __linux__
#include <sys/uio.h>
#include <unistd.h>

#define PALP_PROBE_PAGE  0x1000u
#define PALP_PROBE_BATCH 64

/* -1 once process_vm_readv was refused: /proc/self/maps from then on. */
static int PalpVmReadWorks;

/* Readability with process_vm_readv: one byte at Address and at the start
   of every later page. Returns -1 if the call is refused. */
static int PalpProbeRead(uintptr_t Address, size_t Length, uintptr_t *FirstBad)
{
    uintptr_t End = Address + Length; /* caller made sure this does not wrap */
    uintptr_t Probe = Address;
    char Sink[PALP_PROBE_BATCH];
    struct iovec Local[PALP_PROBE_BATCH];
    struct iovec Remote[PALP_PROBE_BATCH];

    while (Probe < End) {
        int Count = 0;
        ssize_t Done;
        while (Count < PALP_PROBE_BATCH && Probe < End) {
            uintptr_t NextPage = (Probe & ~(uintptr_t)(PALP_PROBE_PAGE - 1)) + PALP_PROBE_PAGE;
            Remote[Count].iov_base = (void *)Probe;
            Remote[Count].iov_len = 1;
            Local[Count].iov_base = &Sink[Count];
            Local[Count].iov_len = 1;
            Count++;
            Probe = NextPage > Probe ? NextPage : End; /* the top page: stop */
        }
        Done = process_vm_readv(getpid(), Local, (unsigned long)Count, Remote, (unsigned long)Count, 0);
        if (Done < 0 && (errno == ENOSYS || errno == EPERM || errno == EACCES))
            return -1;
        if (Done < Count) {
            if (FirstBad != NULL)
                *FirstBad = (uintptr_t)Remote[Done < 0 ? 0 : Done].iov_base;
            return 0;
        }
    }
    return 1;
}

/* Both questions from /proc/self/maps: walks the mappings in address
   order and checks that they cover the range with the permissions. */
static int PalpProbeMaps(uintptr_t Address, size_t Length, int Write, uintptr_t *FirstBad)
{
    uintptr_t Next = Address;
    uintptr_t End = Address + Length; /* caller made sure this does not wrap */
    char Line[512];
    FILE *Maps = fopen("/proc/self/maps", "re");
    if (Maps == NULL)
        return 1; /* cannot tell */
    while (Next < End && fgets(Line, sizeof(Line), Maps) != NULL) {
        unsigned long long Start, Stop;
        char Perms[8];
        if (sscanf(Line, "%llx-%llx %7s", &Start, &Stop, Perms) != 3)
            continue;
        if (Stop <= Next)
            continue;
        if (Start > Next)
            break; /* a hole */
        if (Perms[0] != 'r' || (Write && Perms[1] != 'w'))
            break;
        Next = (uintptr_t)Stop;
        /* A line longer than the buffer: skip the rest of it. */
        while (strchr(Line, '\n') == NULL && fgets(Line, sizeof(Line), Maps) != NULL)
            ;
    }
    fclose(Maps);
    if (Next >= End)
        return 1;
    if (FirstBad != NULL)
        *FirstBad = Next;
    return 0;
}

int PalQueryMemoryAccess(uintptr_t Address, size_t Length, int Write, uintptr_t *FirstBad)
{
    if (Length == 0)
        return 1;
    if (!Write && __atomic_load_n(&PalpVmReadWorks, __ATOMIC_RELAXED) >= 0) {
        int Result = PalpProbeRead(Address, Length, FirstBad);
        if (Result >= 0)
            return Result != 0;
        __atomic_store_n(&PalpVmReadWorks, -1, __ATOMIC_RELAXED);
    }
    return PalpProbeMaps(Address, Length, Write, FirstBad);
}

#else /* not Linux */

int PalQueryMemoryAccess(uintptr_t Address, size_t Length, int Write, uintptr_t *FirstBad)
{
    (void)Address;
    (void)Length;
    (void)Write;
    (void)FirstBad;
    return 1;
}

#endif
