/*
 * irpsim — platform layer on the Win32 API (MSVC, clang-cl, MinGW-w64).
 *
 * Built instead of pal_posix.c when CMake's IRPSIM_PAL is "win32" (the
 * default with MSVC; MinGW-w64 builds choose either, see
 * docs/portability.md). Needs Windows 7 or later (SRW locks, condition
 * variables, fiber-local storage with callbacks).
 *
 *   PAL_MUTEX  an SRWLOCK taken exclusively. SRWLOCK_INIT is all zero bytes,
 *              so a zero-filled PAL_MUTEX is ready as it is.
 *   PAL_COND   a CONDITION_VARIABLE (also zero-initialised).
 *   threads    _beginthreadex, so the C runtime's per-thread data is set up.
 *   exit hook  a fiber-local storage slot with a callback: Windows calls it
 *              when a thread that stored a value in the slot exits.
 *   clocks     QueryPerformanceCounter (monotonic), GetSystemTimeAsFileTime.
 *
 * Like every PAL file this one sees the host's headers and not irpsim's WDK
 * headers (pal.h uses standard C types only).
 */
#ifndef _WIN32
#error "pal_win32.c is the Windows platform layer; build pal_posix.c on this host"
#endif
#if !defined(_MSC_VER) && !defined(__USE_MINGW_ANSI_STDIO)
#define __USE_MINGW_ANSI_STDIO 1
#endif
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#if !defined(_WIN32_WINNT) || _WIN32_WINNT < 0x0601
#undef _WIN32_WINNT
#define _WIN32_WINNT 0x0601 /* Windows 7 */
#endif
#include "pal.h"

#include <windows.h>

#include <malloc.h>
#include <process.h>
#include <stdio.h>
#include <stdlib.h>

_Static_assert(sizeof(SRWLOCK) <= PAL_HOST_OBJECT_BYTES, "PAL_HOST_OBJECT_BYTES too small for SRWLOCK");
_Static_assert(sizeof(CONDITION_VARIABLE) <= PAL_HOST_OBJECT_BYTES,
               "PAL_HOST_OBJECT_BYTES too small for CONDITION_VARIABLE");
_Static_assert(_Alignof(SRWLOCK) <= _Alignof(PAL_HOST_STORAGE), "SRWLOCK needs more alignment");
_Static_assert(_Alignof(CONDITION_VARIABLE) <= _Alignof(PAL_HOST_STORAGE), "CONDITION_VARIABLE needs more alignment");

#define PALP_LOCK(m) ((PSRWLOCK)(void *)(m)->Host.Bytes)
#define PALP_COND(c) ((PCONDITION_VARIABLE)(void *)(c)->Host.Bytes)

struct _PAL_THREAD {
    HANDLE Handle;
};

/* What the new thread needs; it frees the block itself, so a thread that
   is detached at once never reads freed memory. */
typedef struct _PALP_START {
    PPAL_THREAD_ROUTINE Routine;
    void *Context;
} PALP_START;

static PAL_NORETURN void PalpFail(const char *What)
{
    fprintf(stderr, "irpsim: host %s failed with error %lu\n", What, (unsigned long)GetLastError());
    fflush(stderr);
    abort();
}

void PalMutexInitialize(PPAL_MUTEX Mutex)
{
    InitializeSRWLock(PALP_LOCK(Mutex));
    Mutex->PalState = 0;
}

void PalMutexDelete(PPAL_MUTEX Mutex)
{
    (void)Mutex; /* an SRW lock owns no resources */
}

void PalMutexLock(PPAL_MUTEX Mutex)
{
    AcquireSRWLockExclusive(PALP_LOCK(Mutex));
}

int PalMutexTryLock(PPAL_MUTEX Mutex)
{
    return TryAcquireSRWLockExclusive(PALP_LOCK(Mutex)) != 0;
}

void PalMutexUnlock(PPAL_MUTEX Mutex)
{
    ReleaseSRWLockExclusive(PALP_LOCK(Mutex));
}

void PalCondInitialize(PPAL_COND Cond)
{
    InitializeConditionVariable(PALP_COND(Cond));
    Cond->PalState = 0;
}

void PalCondDelete(PPAL_COND Cond)
{
    (void)Cond; /* a condition variable owns no resources */
}

void PalCondSignal(PPAL_COND Cond)
{
    WakeConditionVariable(PALP_COND(Cond));
}

void PalCondBroadcast(PPAL_COND Cond)
{
    WakeAllConditionVariable(PALP_COND(Cond));
}

int PalCondWait(PPAL_COND Cond, PPAL_MUTEX Mutex, unsigned long long DeadlineNs)
{
    DWORD Milliseconds = INFINITE;
    if (DeadlineNs != 0) {
        unsigned long long Now = PalMonotonicNs();
        unsigned long long Remaining;
        if (DeadlineNs <= Now)
            return 0;
        /* Round up, so the wait never ends before the deadline. */
        Remaining = (DeadlineNs - Now + 999999ULL) / 1000000ULL;
        Milliseconds = Remaining >= (unsigned long long)INFINITE ? INFINITE - 1 : (DWORD)Remaining;
    }
    if (SleepConditionVariableSRW(PALP_COND(Cond), PALP_LOCK(Mutex), Milliseconds, 0))
        return 1;
    if (GetLastError() != ERROR_TIMEOUT)
        PalpFail("SleepConditionVariableSRW");
    /* A timeout in whole milliseconds may end a little early on the
       nanosecond clock: report a timeout only once the deadline passed,
       and otherwise a (spurious) wakeup, which callers handle. */
    return PalMonotonicNs() < DeadlineNs;
}

static unsigned __stdcall PalpThreadStart(void *Argument)
{
    PALP_START Start = *(PALP_START *)Argument;
    free(Argument);
    Start.Routine(Start.Context);
    return 0;
}

int PalThreadCreate(PPAL_THREAD_ROUTINE Routine, void *Context, PPAL_THREAD *Thread)
{
    PPAL_THREAD New = (PPAL_THREAD)calloc(1, sizeof(*New));
    PALP_START *Start = (PALP_START *)malloc(sizeof(*Start));
    uintptr_t Handle;
    if (New == NULL || Start == NULL) {
        free(New);
        free(Start);
        return 0;
    }
    Start->Routine = Routine;
    Start->Context = Context;
    Handle = _beginthreadex(NULL, 0, PalpThreadStart, Start, 0, NULL);
    if (Handle == 0) {
        free(New);
        free(Start);
        return 0;
    }
    New->Handle = (HANDLE)Handle;
    *Thread = New;
    return 1;
}

void PalThreadJoin(PPAL_THREAD Thread)
{
    if (WaitForSingleObject(Thread->Handle, INFINITE) != WAIT_OBJECT_0)
        PalpFail("WaitForSingleObject");
    CloseHandle(Thread->Handle);
    free(Thread);
}

void PalThreadDetach(PPAL_THREAD Thread)
{
    CloseHandle(Thread->Handle);
    free(Thread);
}

void PalThreadExitCurrent(void)
{
    _endthreadex(0);
    abort(); /* not reached; the C runtimes do not declare _endthreadex noreturn */
}

void PalThreadYield(void)
{
    SwitchToThread();
}

uintptr_t PalThreadId(void)
{
    return (uintptr_t)GetCurrentThreadId();
}

/* ---- thread exit callback ---- */

static INIT_ONCE PalpExitSlotOnce = INIT_ONCE_STATIC_INIT;
static DWORD PalpExitSlot = FLS_OUT_OF_INDEXES;
static void (*volatile PalpExitCallback)(void *Value);
/* Set by an atexit handler. Windows also calls fiber-local storage
   callbacks while the process ends, after ExitProcess stopped the other
   threads wherever they were (perhaps holding a lock the callback needs);
   POSIX runs no thread exit destructors at exit(). So once the process is
   exiting the callback is skipped, as on Linux. */
static volatile LONG PalpProcessExiting;

static void PalpNoteProcessExit(void)
{
    InterlockedExchange(&PalpProcessExiting, 1);
}

static void WINAPI PalpExitTrampoline(void *Value)
{
    void (*Callback)(void *) = PalpExitCallback;
    MemoryBarrier();
    if (Value != NULL && Callback != NULL && InterlockedCompareExchange(&PalpProcessExiting, 0, 0) == 0)
        Callback(Value);
}

static BOOL CALLBACK PalpCreateExitSlot(PINIT_ONCE Once, void *Parameter, void **Context)
{
    (void)Once;
    (void)Parameter;
    (void)Context;
    PalpExitSlot = FlsAlloc(PalpExitTrampoline);
    if (PalpExitSlot == FLS_OUT_OF_INDEXES)
        return FALSE;
    atexit(PalpNoteProcessExit);
    return TRUE;
}

void PalSetThreadExitCallback(void (*Callback)(void *Value), void *Value)
{
    if (!InitOnceExecuteOnce(&PalpExitSlotOnce, PalpCreateExitSlot, NULL, NULL))
        PalpFail("FlsAlloc");
    PalpExitCallback = Callback;
    MemoryBarrier();
    if (!FlsSetValue(PalpExitSlot, Value))
        PalpFail("FlsSetValue");
}

/* ---- memory, clocks, environment ---- */

void *PalAlignedAlloc(size_t Size, size_t Alignment)
{
    return _aligned_malloc(Size, Alignment);
}

void PalAlignedFree(void *Block)
{
    _aligned_free(Block);
}

unsigned long long PalMonotonicNs(void)
{
    static volatile LONGLONG Frequency; /* counts per second; fixed at boot */
    LARGE_INTEGER Count;
    LONGLONG PerSecond = Frequency;
    unsigned long long Ticks;
    if (PerSecond == 0) {
        LARGE_INTEGER Value;
        QueryPerformanceFrequency(&Value);
        PerSecond = Value.QuadPart;
        Frequency = PerSecond; /* racing threads store the same value */
    }
    QueryPerformanceCounter(&Count);
    Ticks = (unsigned long long)Count.QuadPart;
    /* Whole seconds, then the rest: no overflow for centuries of uptime. */
    return (Ticks / (unsigned long long)PerSecond) * 1000000000ULL +
           (Ticks % (unsigned long long)PerSecond) * 1000000000ULL / (unsigned long long)PerSecond;
}

long long PalSystemTime(void)
{
    FILETIME Now; /* already 100 ns units since 1601-01-01 UTC */
    GetSystemTimeAsFileTime(&Now);
    return (long long)(((unsigned long long)Now.dwHighDateTime << 32) | Now.dwLowDateTime);
}

unsigned int PalHostProcessorCount(void)
{
    DWORD Count = GetActiveProcessorCount(ALL_PROCESSOR_GROUPS);
    return Count > 0 ? (unsigned int)Count : 1;
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
