/*
 * irpsim — platform layer on POSIX threads (Linux, macOS, and Windows
 * through winpthreads or pthreads-win32).
 *
 * The only file that includes <pthread.h>: PAL_MUTEX and PAL_COND hold the
 * pthread objects in opaque storage (see pal.h).
 */
#if defined(_WIN32) && !defined(__USE_MINGW_ANSI_STDIO)
#define __USE_MINGW_ANSI_STDIO 1
#endif
#include "pal.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#ifdef _WIN32
#include <malloc.h>
#include <windows.h> /* GetSystemInfo */
#else
#include <unistd.h>
#endif

_Static_assert(sizeof(pthread_mutex_t) <= PAL_HOST_OBJECT_BYTES, "PAL_HOST_OBJECT_BYTES too small for pthread_mutex_t");
_Static_assert(sizeof(pthread_cond_t) <= PAL_HOST_OBJECT_BYTES, "PAL_HOST_OBJECT_BYTES too small for pthread_cond_t");
_Static_assert(_Alignof(pthread_mutex_t) <= _Alignof(PAL_HOST_STORAGE), "pthread_mutex_t needs more alignment");
_Static_assert(_Alignof(pthread_cond_t) <= _Alignof(PAL_HOST_STORAGE), "pthread_cond_t needs more alignment");

/* PAL_MUTEX.PalState */
#define PALP_UNSET 0
#define PALP_SETTING_UP 1
#define PALP_READY 2

#define PALP_MUTEX(m) ((pthread_mutex_t *)(void *)(m)->Host.Bytes)
#define PALP_COND(c) ((pthread_cond_t *)(void *)(c)->Host.Bytes)

struct _PAL_THREAD {
    pthread_t Thread;
};

/* What the new thread needs; it frees the block itself, so a thread that
   is detached at once never reads freed memory. */
typedef struct _PALP_START {
    PPAL_THREAD_ROUTINE Routine;
    void *Context;
} PALP_START;

static void PalpCheck(int Error, const char *What)
{
    if (Error != 0) {
        fprintf(stderr, "irpsim: host %s failed with error %d\n", What, Error);
        abort();
    }
}

void PalMutexInitialize(PPAL_MUTEX Mutex)
{
    PalpCheck(pthread_mutex_init(PALP_MUTEX(Mutex), NULL), "pthread_mutex_init");
    __atomic_store_n(&Mutex->PalState, PALP_READY, __ATOMIC_RELEASE);
}

/* A zero-filled PAL_MUTEX: the first thread to use it sets it up, the
   others wait for that (briefly: pthread_mutex_init does not block). */
static pthread_mutex_t *PalpMutexSlow(PPAL_MUTEX Mutex)
{
    int Expected = PALP_UNSET;
    if (__atomic_compare_exchange_n(&Mutex->PalState, &Expected, PALP_SETTING_UP, 0, __ATOMIC_ACQUIRE,
                                    __ATOMIC_ACQUIRE)) {
        PalpCheck(pthread_mutex_init(PALP_MUTEX(Mutex), NULL), "pthread_mutex_init");
        __atomic_store_n(&Mutex->PalState, PALP_READY, __ATOMIC_RELEASE);
    } else {
        while (__atomic_load_n(&Mutex->PalState, __ATOMIC_ACQUIRE) != PALP_READY)
            sched_yield();
    }
    return PALP_MUTEX(Mutex);
}

static inline pthread_mutex_t *PalpMutex(PPAL_MUTEX Mutex)
{
    if (__builtin_expect(__atomic_load_n(&Mutex->PalState, __ATOMIC_ACQUIRE) == PALP_READY, 1))
        return PALP_MUTEX(Mutex);
    return PalpMutexSlow(Mutex);
}

void PalMutexDelete(PPAL_MUTEX Mutex)
{
    if (__atomic_load_n(&Mutex->PalState, __ATOMIC_ACQUIRE) == PALP_READY)
        pthread_mutex_destroy(PALP_MUTEX(Mutex));
    __atomic_store_n(&Mutex->PalState, PALP_UNSET, __ATOMIC_RELEASE);
}

void PalMutexLock(PPAL_MUTEX Mutex)
{
    PalpCheck(pthread_mutex_lock(PalpMutex(Mutex)), "pthread_mutex_lock");
}

int PalMutexTryLock(PPAL_MUTEX Mutex)
{
    return pthread_mutex_trylock(PalpMutex(Mutex)) == 0;
}

void PalMutexUnlock(PPAL_MUTEX Mutex)
{
    PalpCheck(pthread_mutex_unlock(PALP_MUTEX(Mutex)), "pthread_mutex_unlock");
}

void PalCondInitialize(PPAL_COND Cond)
{
    pthread_condattr_t Attributes;
    PalpCheck(pthread_condattr_init(&Attributes), "pthread_condattr_init");
#if !defined(_WIN32) && !defined(__APPLE__)
    PalpCheck(pthread_condattr_setclock(&Attributes, CLOCK_MONOTONIC), "pthread_condattr_setclock");
#endif
    PalpCheck(pthread_cond_init(PALP_COND(Cond), &Attributes), "pthread_cond_init");
    pthread_condattr_destroy(&Attributes);
    Cond->PalState = PALP_READY;
}

void PalCondDelete(PPAL_COND Cond)
{
    pthread_cond_destroy(PALP_COND(Cond));
    Cond->PalState = PALP_UNSET;
}

void PalCondSignal(PPAL_COND Cond)
{
    pthread_cond_signal(PALP_COND(Cond));
}

void PalCondBroadcast(PPAL_COND Cond)
{
    pthread_cond_broadcast(PALP_COND(Cond));
}

int PalCondWait(PPAL_COND Cond, PPAL_MUTEX Mutex, unsigned long long DeadlineNs)
{
    struct timespec Deadline;
    int Error;

    if (DeadlineNs == 0) {
        PalpCheck(pthread_cond_wait(PALP_COND(Cond), PALP_MUTEX(Mutex)), "pthread_cond_wait");
        return 1;
    }
#if defined(_WIN32) || defined(__APPLE__)
    /* These condition variables time out on the realtime clock. */
    {
        unsigned long long Now = PalMonotonicNs();
        unsigned long long Remaining = DeadlineNs > Now ? DeadlineNs - Now : 0;
        struct timespec Real;
        unsigned long long Target;
        clock_gettime(CLOCK_REALTIME, &Real);
        Target = (unsigned long long)Real.tv_sec * 1000000000ULL + (unsigned long long)Real.tv_nsec + Remaining;
        Deadline.tv_sec = (time_t)(Target / 1000000000ULL);
        Deadline.tv_nsec = (long)(Target % 1000000000ULL);
    }
#else
    Deadline.tv_sec = (time_t)(DeadlineNs / 1000000000ULL);
    Deadline.tv_nsec = (long)(DeadlineNs % 1000000000ULL);
#endif
    Error = pthread_cond_timedwait(PALP_COND(Cond), PALP_MUTEX(Mutex), &Deadline);
    if (Error == ETIMEDOUT)
        return 0;
    PalpCheck(Error, "pthread_cond_timedwait");
    return 1;
}

static void *PalpThreadStart(void *Argument)
{
    PALP_START Start = *(PALP_START *)Argument;
    free(Argument);
    Start.Routine(Start.Context);
    return NULL;
}

int PalThreadCreate(PPAL_THREAD_ROUTINE Routine, void *Context, PPAL_THREAD *Thread)
{
    PPAL_THREAD New = (PPAL_THREAD)calloc(1, sizeof(*New));
    PALP_START *Start = (PALP_START *)malloc(sizeof(*Start));
    if (New == NULL || Start == NULL) {
        free(New);
        free(Start);
        return 0;
    }
    Start->Routine = Routine;
    Start->Context = Context;
    if (pthread_create(&New->Thread, NULL, PalpThreadStart, Start) != 0) {
        free(New);
        free(Start);
        return 0;
    }
    *Thread = New;
    return 1;
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
#ifdef _WIN32
    /* winpthreads does not declare pthread_exit noreturn. */
    abort();
#endif
}

void PalThreadYield(void)
{
    sched_yield();
}

uintptr_t PalThreadId(void)
{
    /* pthread_t is an integer on Linux and winpthreads, a pointer on macOS. */
    return (uintptr_t)pthread_self();
}

static pthread_key_t PalpExitKey;
static pthread_once_t PalpExitKeyOnce = PTHREAD_ONCE_INIT;
static void (*PalpExitCallback)(void *Value);

/* Set by an atexit handler: once the process is exiting, thread exit
   callbacks are skipped. glibc runs no key destructors at exit(); on
   Windows (winpthreads) the main thread's run while the process ends, after
   the other threads were stopped wherever they were, perhaps holding a
   lock the callback needs. */
static int PalpProcessExiting;

static void PalpNoteProcessExit(void)
{
    __atomic_store_n(&PalpProcessExiting, 1, __ATOMIC_RELEASE);
}

static void PalpExitTrampoline(void *Value)
{
    void (*Callback)(void *) = __atomic_load_n(&PalpExitCallback, __ATOMIC_ACQUIRE);
    if (Callback != NULL && !__atomic_load_n(&PalpProcessExiting, __ATOMIC_ACQUIRE))
        Callback(Value);
}

static void PalpCreateExitKey(void)
{
    PalpCheck(pthread_key_create(&PalpExitKey, PalpExitTrampoline), "pthread_key_create");
    atexit(PalpNoteProcessExit);
}

void PalSetThreadExitCallback(void (*Callback)(void *Value), void *Value)
{
    pthread_once(&PalpExitKeyOnce, PalpCreateExitKey);
    __atomic_store_n(&PalpExitCallback, Callback, __ATOMIC_RELEASE);
    pthread_setspecific(PalpExitKey, Value);
}

void *PalAlignedAlloc(size_t Size, size_t Alignment)
{
#ifdef _WIN32
    /* The Microsoft C runtimes have no posix_memalign or aligned_alloc. */
    return _aligned_malloc(Size, Alignment);
#else
    void *Block = NULL;
    /* malloc already aligns for every fundamental type (C11 7.22.3): pool's
       16-byte blocks need nothing more, and malloc is cheaper. */
    if (Alignment <= _Alignof(max_align_t))
        return malloc(Size);
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

unsigned long long PalMonotonicNs(void)
{
    struct timespec Now;
    clock_gettime(CLOCK_MONOTONIC, &Now); /* winpthreads has it too */
    return (unsigned long long)Now.tv_sec * 1000000000ULL + (unsigned long long)Now.tv_nsec;
}

long long PalSystemTime(void)
{
    /* 100 ns intervals between 1601-01-01 and 1970-01-01. */
    const long long EpochDifference = 116444736000000000LL;
    struct timespec Now;
    clock_gettime(CLOCK_REALTIME, &Now);
    return EpochDifference + (long long)Now.tv_sec * 10000000LL + (long long)Now.tv_nsec / 100;
}

unsigned int PalHostProcessorCount(void)
{
#ifdef _WIN32
    SYSTEM_INFO Info; /* winpthreads has no sysconf */
    GetSystemInfo(&Info);
    return Info.dwNumberOfProcessors > 0 ? (unsigned int)Info.dwNumberOfProcessors : 1;
#else
    long Count = sysconf(_SC_NPROCESSORS_ONLN);
    return Count > 0 ? (unsigned int)Count : 1;
#endif
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
