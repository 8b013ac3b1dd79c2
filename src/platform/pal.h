/*
 * irpsim — the platform abstraction layer (Pal*).
 *
 * The only place that talks to the host: threads, mutexes, condition
 * variables, thread exit hooks, monotonic and wall-clock time. Everything
 * above it (the scheduler in ke/ first of all) is host-independent.
 *
 * Two implementations, chosen by CMake (IRPSIM_PAL): pal_posix.c (POSIX
 * threads: Linux, macOS, and Windows through winpthreads) and pal_win32.c
 * (the Win32 API: MSVC, MinGW-w64). docs/portability.md has the details.
 *
 * This header uses standard C types only (and pal_compiler.h, the
 * simulator's compiler layer), and includes no host header and none of
 * irpsim's WDK headers: the simulator includes it next to the WDK
 * types (ULONG, LARGE_INTEGER, NTSTATUS, ...), and the PAL implementation
 * includes it next to the host's headers (<pthread.h>, <windows.h>), which
 * declare the same names differently. So host objects are opaque here: a
 * PAL_MUTEX or PAL_COND is a block of storage big and aligned enough for
 * the host object, and only the implementation knows what is inside (it
 * checks with static assertions that the host object fits).
 */
#ifndef IRPSIM_PAL_H
#define IRPSIM_PAL_H

#include <stddef.h>
#include <stdint.h>

#include "pal_compiler.h" /* atomics and the like, for GCC, Clang and cl.exe */

#if defined(_MSC_VER)
#define PAL_NORETURN __declspec(noreturn)
#else
#define PAL_NORETURN _Noreturn
#endif

/* Enough for pthread_mutex_t / pthread_cond_t on every host irpsim knows
   (glibc x86_64: 40 and 48 bytes; macOS: 64 and 48; winpthreads: 8; Win32
   SRWLOCK / CONDITION_VARIABLE: 8). */
#define PAL_HOST_OBJECT_BYTES 64

typedef union _PAL_HOST_STORAGE {
    unsigned char Bytes[PAL_HOST_OBJECT_BYTES];
    unsigned long long AlignLongLong;
    void *AlignPointer;
    double AlignDouble;
} PAL_HOST_STORAGE;

/*
 * A PAL_MUTEX that is all zero bytes (PAL_MUTEX_INITIALIZER, or any static
 * or zero-filled object) is a valid unlocked mutex: the host object is set
 * up on first use, because a statically initialised host mutex is not all
 * zero bytes on every host (winpthreads' PTHREAD_MUTEX_INITIALIZER is -1).
 * PalMutexInitialize sets one up explicitly.
 */
typedef struct _PAL_MUTEX {
    int PalState; /* PAL internal */
    PAL_HOST_STORAGE Host;
} PAL_MUTEX, *PPAL_MUTEX;

/* Set up with PalCondInitialize before use. */
typedef struct _PAL_COND {
    int PalState; /* PAL internal */
    PAL_HOST_STORAGE Host;
} PAL_COND, *PPAL_COND;

typedef struct _PAL_THREAD *PPAL_THREAD;
typedef void (*PPAL_THREAD_ROUTINE)(void *Context);

#define PAL_MUTEX_INITIALIZER {0}

void PalMutexInitialize(PPAL_MUTEX Mutex);
void PalMutexDelete(PPAL_MUTEX Mutex);
void PalMutexLock(PPAL_MUTEX Mutex);
/* Nonzero if the mutex was taken. */
int PalMutexTryLock(PPAL_MUTEX Mutex);
void PalMutexUnlock(PPAL_MUTEX Mutex);

void PalCondInitialize(PPAL_COND Cond);
void PalCondDelete(PPAL_COND Cond);
void PalCondSignal(PPAL_COND Cond);
void PalCondBroadcast(PPAL_COND Cond);
/* Waits until signalled or until the host monotonic clock reaches
   DeadlineNs (0 = no deadline). Returns 0 on timeout, nonzero otherwise.
   Spurious wakeups are possible: callers re-check their condition. */
int PalCondWait(PPAL_COND Cond, PPAL_MUTEX Mutex, unsigned long long DeadlineNs);

/* Starts a host thread. Returns 0 if the host refused. */
int PalThreadCreate(PPAL_THREAD_ROUTINE Routine, void *Context, PPAL_THREAD *Thread);
void PalThreadJoin(PPAL_THREAD Thread);
void PalThreadDetach(PPAL_THREAD Thread);
void PalThreadYield(void);
/* Ends the calling host thread (only for threads made by PalThreadCreate). */
PAL_NORETURN void PalThreadExitCurrent(void);
uintptr_t PalThreadId(void);

/* Calls Callback(Value) when the calling host thread exits (once per thread;
   a second call replaces the value). Value must not be NULL. Not called
   once the process is exiting (exit(), or main returned). */
void PalSetThreadExitCallback(void (*Callback)(void *Value), void *Value);

/* Host memory with the given alignment (a power of two >= sizeof(void *)). */
void *PalAlignedAlloc(size_t Size, size_t Alignment);
void PalAlignedFree(void *Block);

/* The host's monotonic clock, in nanoseconds from an arbitrary origin. */
unsigned long long PalMonotonicNs(void);
/* Wall-clock time in 100 ns units since 1601-01-01 UTC (Windows system time). */
long long PalSystemTime(void);
unsigned int PalHostProcessorCount(void);
/* Reads an environment variable; NULL when unset. */
const char *PalGetEnvironment(const char *Name);
PAL_NORETURN void PalAbort(void);

#endif /* IRPSIM_PAL_H */
