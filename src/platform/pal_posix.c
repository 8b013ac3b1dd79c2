/*
 * irpsim — platform layer on POSIX threads (Linux, and Windows through
 * winpthreads or pthreads-win32).
 */
#include "pal.h"

#include <errno.h>
#ifdef _WIN32
#include <malloc.h>
#endif
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

struct _PAL_THREAD {
    pthread_t Thread;
    PPAL_THREAD_ROUTINE Routine;
    void *Context;
};

static void PalpCheck(int Error, const char *What)
{
    if (Error != 0) {
        fprintf(stderr, "irpsim: host %s failed with error %d\n", What, Error);
        abort();
    }
}

void PalMutexInitialize(PPAL_MUTEX Mutex)
{
    PalpCheck(pthread_mutex_init(&Mutex->Mutex, NULL), "pthread_mutex_init");
}

void PalMutexDelete(PPAL_MUTEX Mutex)
{
    pthread_mutex_destroy(&Mutex->Mutex);
}

void PalMutexLock(PPAL_MUTEX Mutex)
{
    PalpCheck(pthread_mutex_lock(&Mutex->Mutex), "pthread_mutex_lock");
}

BOOLEAN PalMutexTryLock(PPAL_MUTEX Mutex)
{
    return pthread_mutex_trylock(&Mutex->Mutex) == 0;
}

void PalMutexUnlock(PPAL_MUTEX Mutex)
{
    PalpCheck(pthread_mutex_unlock(&Mutex->Mutex), "pthread_mutex_unlock");
}

void PalCondInitialize(PPAL_COND Cond)
{
    pthread_condattr_t Attributes;
    PalpCheck(pthread_condattr_init(&Attributes), "pthread_condattr_init");
#if !defined(_WIN32) && !defined(__APPLE__)
    PalpCheck(pthread_condattr_setclock(&Attributes, CLOCK_MONOTONIC), "pthread_condattr_setclock");
#endif
    PalpCheck(pthread_cond_init(&Cond->Cond, &Attributes), "pthread_cond_init");
    pthread_condattr_destroy(&Attributes);
}

void PalCondDelete(PPAL_COND Cond)
{
    pthread_cond_destroy(&Cond->Cond);
}

void PalCondSignal(PPAL_COND Cond)
{
    pthread_cond_signal(&Cond->Cond);
}

void PalCondBroadcast(PPAL_COND Cond)
{
    pthread_cond_broadcast(&Cond->Cond);
}

BOOLEAN PalCondWait(PPAL_COND Cond, PPAL_MUTEX Mutex, ULONGLONG DeadlineNs)
{
    struct timespec Deadline;
    int Error;

    if (DeadlineNs == 0) {
        PalpCheck(pthread_cond_wait(&Cond->Cond, &Mutex->Mutex), "pthread_cond_wait");
        return TRUE;
    }
#if defined(_WIN32) || defined(__APPLE__)
    /* These condition variables time out on the realtime clock. */
    {
        ULONGLONG Now = PalMonotonicNs();
        ULONGLONG Remaining = DeadlineNs > Now ? DeadlineNs - Now : 0;
        struct timespec Real;
        clock_gettime(CLOCK_REALTIME, &Real);
        ULONGLONG Target = (ULONGLONG)Real.tv_sec * 1000000000ULL + (ULONGLONG)Real.tv_nsec + Remaining;
        Deadline.tv_sec = (time_t)(Target / 1000000000ULL);
        Deadline.tv_nsec = (long)(Target % 1000000000ULL);
    }
#else
    Deadline.tv_sec = (time_t)(DeadlineNs / 1000000000ULL);
    Deadline.tv_nsec = (long)(DeadlineNs % 1000000000ULL);
#endif
    Error = pthread_cond_timedwait(&Cond->Cond, &Mutex->Mutex, &Deadline);
    if (Error == ETIMEDOUT)
        return FALSE;
    PalpCheck(Error, "pthread_cond_timedwait");
    return TRUE;
}

static void *PalpThreadStart(void *Argument)
{
    PPAL_THREAD Thread = (PPAL_THREAD)Argument;
    Thread->Routine(Thread->Context);
    return NULL;
}

BOOLEAN PalThreadCreate(PPAL_THREAD_ROUTINE Routine, void *Context, PPAL_THREAD *Thread)
{
    PPAL_THREAD New = (PPAL_THREAD)calloc(1, sizeof(*New));
    if (New == NULL)
        return FALSE;
    New->Routine = Routine;
    New->Context = Context;
    if (pthread_create(&New->Thread, NULL, PalpThreadStart, New) != 0) {
        free(New);
        return FALSE;
    }
    *Thread = New;
    return TRUE;
}

void PalThreadJoin(PPAL_THREAD Thread)
{
    pthread_join(Thread->Thread, NULL);
    free(Thread);
}

void PalThreadDetach(PPAL_THREAD Thread)
{
    pthread_detach(Thread->Thread);
    free(Thread);
}

void PalThreadExitCurrent(void)
{
    pthread_exit(NULL);
}

void PalThreadYield(void)
{
    sched_yield();
}

ULONG_PTR PalThreadId(void)
{
    return (ULONG_PTR)pthread_self();
}

static pthread_key_t PalpExitKey;
static pthread_once_t PalpExitKeyOnce = PTHREAD_ONCE_INIT;
static void (*PalpExitCallback)(void *Value);

static void PalpExitTrampoline(void *Value)
{
    void (*Callback)(void *) = __atomic_load_n(&PalpExitCallback, __ATOMIC_ACQUIRE);
    if (Callback != NULL)
        Callback(Value);
}

static void PalpCreateExitKey(void)
{
    PalpCheck(pthread_key_create(&PalpExitKey, PalpExitTrampoline), "pthread_key_create");
}

void PalSetThreadExitCallback(void (*Callback)(void *Value), void *Value)
{
    pthread_once(&PalpExitKeyOnce, PalpCreateExitKey);
    __atomic_store_n(&PalpExitCallback, Callback, __ATOMIC_RELEASE);
    pthread_setspecific(PalpExitKey, Value);
}

void *PalAlignedAlloc(SIZE_T Size, SIZE_T Alignment)
{
#ifdef _WIN32
    return _aligned_malloc(Size, Alignment);
#else
    void *Block = NULL;
    if (posix_memalign(&Block, Alignment, Size) != 0)
        return NULL;
    return Block;
#endif
}

void PalAlignedFree(void *Block)
{
#ifdef _WIN32
    _aligned_free(Block);
#else
    free(Block);
#endif
}

ULONGLONG PalMonotonicNs(void)
{
    struct timespec Now;
    clock_gettime(CLOCK_MONOTONIC, &Now);
    return (ULONGLONG)Now.tv_sec * 1000000000ULL + (ULONGLONG)Now.tv_nsec;
}

LONGLONG PalSystemTime(void)
{
    /* 100 ns intervals between 1601-01-01 and 1970-01-01. */
    const LONGLONG EpochDifference = 116444736000000000LL;
    struct timespec Now;
    clock_gettime(CLOCK_REALTIME, &Now);
    return EpochDifference + (LONGLONG)Now.tv_sec * 10000000LL + (LONGLONG)Now.tv_nsec / 100;
}

ULONG PalHostProcessorCount(void)
{
    long Count = sysconf(_SC_NPROCESSORS_ONLN);
    return Count > 0 ? (ULONG)Count : 1;
}

const char *PalGetEnvironment(const char *Name)
{
    return getenv(Name);
}

void PalAbort(void)
{
    fflush(stdout);
    fflush(stderr);
    abort();
}
