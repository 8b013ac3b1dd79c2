/*
 * irpsim — the platform abstraction layer (Pal*).
 *
 * The only place that talks to the host: threads, mutexes, condition
 * variables, thread exit hooks, monotonic and wall-clock time. Everything
 * above it (the scheduler in ke/ first of all) is host-independent.
 */
#ifndef IRPSIM_PAL_H
#define IRPSIM_PAL_H

#include <irpsim/wdk/basetypes.h>
#include <pthread.h>

typedef struct _PAL_MUTEX {
    pthread_mutex_t Mutex;
} PAL_MUTEX, *PPAL_MUTEX;

typedef struct _PAL_COND {
    pthread_cond_t Cond;
} PAL_COND, *PPAL_COND;

typedef struct _PAL_THREAD *PPAL_THREAD;
typedef void (*PPAL_THREAD_ROUTINE)(void *Context);

#define PAL_MUTEX_INITIALIZER {PTHREAD_MUTEX_INITIALIZER}

void PalMutexInitialize(PPAL_MUTEX Mutex);
void PalMutexDelete(PPAL_MUTEX Mutex);
void PalMutexLock(PPAL_MUTEX Mutex);
BOOLEAN PalMutexTryLock(PPAL_MUTEX Mutex);
void PalMutexUnlock(PPAL_MUTEX Mutex);

void PalCondInitialize(PPAL_COND Cond);
void PalCondDelete(PPAL_COND Cond);
void PalCondSignal(PPAL_COND Cond);
void PalCondBroadcast(PPAL_COND Cond);
/* Waits until signalled or until the host monotonic clock reaches
   DeadlineNs (0 = no deadline). Returns FALSE on timeout. Spurious wakeups
   are possible: callers re-check their condition. */
BOOLEAN PalCondWait(PPAL_COND Cond, PPAL_MUTEX Mutex, ULONGLONG DeadlineNs);

/* Starts a host thread. Returns FALSE if the host refused. */
BOOLEAN PalThreadCreate(PPAL_THREAD_ROUTINE Routine, void *Context, PPAL_THREAD *Thread);
void PalThreadJoin(PPAL_THREAD Thread);
void PalThreadDetach(PPAL_THREAD Thread);
void PalThreadYield(void);
/* Ends the calling host thread (only for threads made by PalThreadCreate). */
DECLSPEC_NORETURN void PalThreadExitCurrent(void);
ULONG_PTR PalThreadId(void);

/* Calls Callback(Value) when the calling host thread exits (once per thread;
   a second call replaces the value). */
void PalSetThreadExitCallback(void (*Callback)(void *Value), void *Value);

/* Host memory with the given alignment (a power of two >= sizeof(void *)). */
void *PalAlignedAlloc(SIZE_T Size, SIZE_T Alignment);
void PalAlignedFree(void *Block);

ULONGLONG PalMonotonicNs(void);
/* Wall-clock time in 100 ns units since 1601-01-01 UTC (Windows system time). */
LONGLONG PalSystemTime(void);
ULONG PalHostProcessorCount(void);
/* Reads an environment variable; NULL when unset. */
const char *PalGetEnvironment(const char *Name);
DECLSPEC_NORETURN void PalAbort(void);

#endif /* IRPSIM_PAL_H */
