/*
 * irpsim — querying the host's address space without touching it (POSIX).
 *
 * Linux: readability is asked of the kernel with process_vm_readv on our
 * own process (one byte per 4 KB page; a page that is unmapped or
 * PROT_NONE fails with EFAULT instead of raising SIGSEGV). Writability
 * is asked with futex(FUTEX_WAKE_OP), whose operation is an atomic
 * read-modify-write of a word, here "add 0": it needs write access
 * (EFAULT otherwise, again without a signal), changes nothing, and races
 * with no other writer of the word, as it is atomic; it wakes nobody. One
 * system call per page either way. Where a call is refused (seccomp, old
 * kernels) /proc/self/maps answers, which costs tens of microseconds.
 * A range inside the calling thread's stack, between the current frame
 * and the stack's base, is in use and so readable and writable: answered
 * without a system call (buffers and I/O status blocks often live there).
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
#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define PALP_PROBE_PAGE  0x1000u
#define PALP_PROBE_BATCH 64

/* -1 once process_vm_readv was refused: /proc/self/maps from then on. */
static int PalpVmReadWorks;
/* -1 once futex(FUTEX_WAKE_OP) was refused: /proc/self/maps from then on. */
static int PalpFutexWorks;
/* The calling thread's stack, [Low, Base); Base 1 when it cannot be told. */
static _Thread_local uintptr_t PalpStackLow;
static _Thread_local uintptr_t PalpStackBase;

/* Nonzero if [Address, Address + Length) lies in the part of the calling
   thread's stack that is in use: from this frame up to the stack's base. */
static int PalpInLiveStack(uintptr_t Address, size_t Length)
{
    uintptr_t Here = (uintptr_t)__builtin_frame_address(0);
    if (PalpStackBase == 0) {
        pthread_attr_t Attributes;
        void *Low;
        size_t Size;
        PalpStackBase = 1;
        if (pthread_getattr_np(pthread_self(), &Attributes) == 0) {
            if (pthread_attr_getstack(&Attributes, &Low, &Size) == 0) {
                PalpStackLow = (uintptr_t)Low;
                PalpStackBase = (uintptr_t)Low + Size;
            }
            pthread_attr_destroy(&Attributes);
        }
    }
    return PalpStackLow <= Here && Here <= Address && Address < PalpStackBase && Length <= PalpStackBase - Address;
}

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

/* Writability with FUTEX_WAKE_OP: an atomic "add 0" to the aligned word
   holding Address and the word at the start of every later page (each in
   the page being asked about). Returns -1 if the call is refused. */
static int PalpProbeWrite(uintptr_t Address, size_t Length, uintptr_t *FirstBad)
{
    static uint32_t Unused; /* the futex woken (nobody waits on it) */
    uintptr_t End = Address + Length; /* caller made sure this does not wrap */
    uintptr_t Probe = Address;

    while (Probe < End) {
        uintptr_t NextPage = (Probe & ~(uintptr_t)(PALP_PROBE_PAGE - 1)) + PALP_PROBE_PAGE;
        long Result = syscall(SYS_futex, &Unused, FUTEX_WAKE_OP | FUTEX_PRIVATE_FLAG, 0, (void *)0,
                              (uint32_t *)(Probe & ~(uintptr_t)3), FUTEX_OP(FUTEX_OP_ADD, 0, FUTEX_OP_CMP_EQ, 0));
        if (Result < 0) {
            if (errno != EFAULT)
                return -1;
            if (FirstBad != NULL)
                *FirstBad = Probe;
            return 0;
        }
        Probe = NextPage > Probe ? NextPage : End; /* the top page: stop */
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
    if (Length == 0 || PalpInLiveStack(Address, Length))
        return 1;
    if (!Write && __atomic_load_n(&PalpVmReadWorks, __ATOMIC_RELAXED) >= 0) {
        int Result = PalpProbeRead(Address, Length, FirstBad);
        if (Result >= 0)
            return Result != 0;
        __atomic_store_n(&PalpVmReadWorks, -1, __ATOMIC_RELAXED);
    }
    if (Write && __atomic_load_n(&PalpFutexWorks, __ATOMIC_RELAXED) >= 0) {
        int Result = PalpProbeWrite(Address, Length, FirstBad);
        if (Result >= 0)
            return Result != 0;
        __atomic_store_n(&PalpFutexWorks, -1, __ATOMIC_RELAXED);
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
