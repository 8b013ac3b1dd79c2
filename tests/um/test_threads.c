/*
 * Threads, events and waits, and an application with several threads
 * doing I/O at once (one handle table and one object manager for the
 * application and the drivers; SEMANTICS 9.3, 9.4, A.3).
 */
#include "umapp.h"

typedef struct _WORKER {
    HANDLE Go;
    DWORD ThreadId;
    DWORD LastError;
} WORKER;

static DWORD WINAPI Worker(LPVOID Parameter)
{
    WORKER *Work = (WORKER *)Parameter;
    Work->ThreadId = GetCurrentThreadId();
    SetLastError(77);
    WaitForSingleObject(Work->Go, INFINITE);
    Work->LastError = GetLastError();
    return 1234;
}

/* CreateThread: a handle that is waitable (signalled when the thread
   ends) and a thread id; GetExitCodeThread says STILL_ACTIVE, then the
   routine's return value; the last error is per thread. */
static void test_create_thread(void **State)
{
    WORKER Work;
    HANDLE Thread;
    DWORD ThreadId = 0, ExitCode = 0;
    (void)State;
    memset(&Work, 0, sizeof(Work));
    Work.Go = CreateEventW(NULL, TRUE, FALSE, NULL);
    SetLastError(5);
    Thread = CreateThread(NULL, 0, Worker, &Work, 0, &ThreadId);
    assert_non_null(Thread);
    assert_int_equal(WaitForSingleObject(Thread, 0), WAIT_TIMEOUT);
    assert_true(GetExitCodeThread(Thread, &ExitCode));
    assert_int_equal(ExitCode, STILL_ACTIVE);
    assert_true(SetEvent(Work.Go));
    assert_int_equal(WaitForSingleObject(Thread, INFINITE), WAIT_OBJECT_0);
    assert_true(GetExitCodeThread(Thread, &ExitCode));
    assert_int_equal(ExitCode, 1234);
    assert_int_equal(Work.ThreadId, ThreadId);
    assert_int_not_equal(ThreadId, GetCurrentThreadId());
    assert_int_equal(Work.LastError, 77);
    assert_int_equal(GetLastError(), 5);
    assert_true(UmIsSignalled(Thread)); /* stays signalled */
    CloseHandle(Thread);
    CloseHandle(Work.Go);

    assert_null(CreateThread(NULL, 0, NULL, NULL, 0, NULL));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    assert_false(GetExitCodeThread(Work.Go, &ExitCode)); /* closed */
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
}

static DWORD WINAPI Exiter(LPVOID Parameter)
{
    (void)Parameter;
    ExitThread(42);
}

/* ExitThread ends the calling thread with that exit code. */
static void test_exit_thread(void **State)
{
    HANDLE Thread = CreateThread(NULL, 0, Exiter, NULL, 0, NULL);
    DWORD ExitCode;
    (void)State;
    assert_int_equal(WaitForSingleObject(Thread, INFINITE), WAIT_OBJECT_0);
    assert_true(GetExitCodeThread(Thread, &ExitCode));
    assert_int_equal(ExitCode, 42);
    CloseHandle(Thread);
}

/* Events: manual-reset events stay signalled, auto-reset events release
   one wait; named events are shared (ERROR_ALREADY_EXISTS on the second
   create); OpenEvent of a missing name fails with ERROR_FILE_NOT_FOUND;
   SetEvent on a handle of another type is ERROR_INVALID_HANDLE. */
static void test_events(void **State)
{
    HANDLE Manual = CreateEventW(NULL, TRUE, TRUE, NULL);
    HANDLE Auto = CreateEventA(NULL, FALSE, TRUE, NULL);
    HANDLE Named, Again, Opened, Device;
    (void)State;
    assert_int_equal(WaitForSingleObject(Manual, 0), WAIT_OBJECT_0);
    assert_int_equal(WaitForSingleObject(Manual, 0), WAIT_OBJECT_0);
    assert_true(ResetEvent(Manual));
    assert_int_equal(WaitForSingleObject(Manual, 0), WAIT_TIMEOUT);
    assert_int_equal(WaitForSingleObject(Auto, 0), WAIT_OBJECT_0);
    assert_int_equal(WaitForSingleObject(Auto, 0), WAIT_TIMEOUT);

    Named = CreateEventW(NULL, TRUE, FALSE, L"UmShared");
    assert_non_null(Named);
    assert_int_equal(GetLastError(), ERROR_SUCCESS);
    Again = CreateEventA(NULL, TRUE, FALSE, "UmShared");
    assert_non_null(Again);
    assert_int_equal(GetLastError(), ERROR_ALREADY_EXISTS);
    Opened = OpenEventW(EVENT_ALL_ACCESS, FALSE, L"UmShared");
    assert_non_null(Opened);
    assert_true(SetEvent(Again));
    assert_true(UmIsSignalled(Named));
    assert_true(UmIsSignalled(Opened));
    assert_null(OpenEventA(EVENT_ALL_ACCESS, FALSE, "UmNoSuchEvent"));
    assert_int_equal(GetLastError(), ERROR_FILE_NOT_FOUND);
    assert_null(OpenEventW(EVENT_ALL_ACCESS, FALSE, NULL));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);

    Device = UmOpen(L"\\\\.\\UmBuf", GENERIC_READ, 0);
    assert_false(SetEvent(Device));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    assert_false(ResetEvent(NULL));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    CloseHandle(Device);
    CloseHandle(Manual);
    CloseHandle(Auto);
    CloseHandle(Named);
    CloseHandle(Again);
    CloseHandle(Opened);
}

/* WaitForMultipleObjects: WAIT_OBJECT_0 + the lowest signalled index for
   "any", all of them for "all", WAIT_TIMEOUT, more than three objects,
   threads and events together; bad arguments give WAIT_FAILED. */
static void test_wait_multiple(void **State)
{
    HANDLE Events[10];
    HANDLE Pair[2];
    HANDLE Closed;
    (void)State;
    for (int i = 0; i < 10; i++)
        Events[i] = CreateEventW(NULL, TRUE, FALSE, NULL);
    assert_int_equal(WaitForMultipleObjects(10, Events, FALSE, 0), WAIT_TIMEOUT);
    SetEvent(Events[7]);
    SetEvent(Events[9]);
    assert_int_equal(WaitForMultipleObjects(10, Events, FALSE, INFINITE), WAIT_OBJECT_0 + 7);
    assert_int_equal(WaitForMultipleObjects(10, Events, TRUE, 0), WAIT_TIMEOUT);
    for (int i = 0; i < 10; i++)
        SetEvent(Events[i]);
    assert_int_equal(WaitForMultipleObjectsEx(10, Events, TRUE, INFINITE, TRUE), WAIT_OBJECT_0);

    Pair[0] = Events[0];
    Pair[1] = Events[0];
    assert_int_equal(WaitForMultipleObjects(2, Pair, TRUE, 0), WAIT_FAILED);
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    assert_int_equal(WaitForMultipleObjects(2, Pair, FALSE, 0), WAIT_OBJECT_0);
    assert_int_equal(WaitForMultipleObjects(0, Pair, FALSE, 0), WAIT_FAILED);
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    assert_int_equal(WaitForMultipleObjects(65, Events, FALSE, 0), WAIT_FAILED);
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    Closed = CreateEventW(NULL, TRUE, FALSE, NULL);
    CloseHandle(Closed);
    Pair[1] = Closed;
    assert_int_equal(WaitForMultipleObjects(2, Pair, FALSE, 0), WAIT_FAILED);
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    assert_int_equal(WaitForSingleObject(Closed, 0), WAIT_FAILED);
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    for (int i = 0; i < 10; i++)
        CloseHandle(Events[i]);
}

static VOID NTAPI MarkThread(ULONG_PTR Parameter)
{
    *(DWORD *)Parameter = GetCurrentThreadId();
}

typedef struct _ALERTABLE {
    HANDLE Ready;
    HANDLE Never;
    DWORD Result;
} ALERTABLE;

static DWORD WINAPI AlertableWaiter(LPVOID Parameter)
{
    ALERTABLE *Waiter = (ALERTABLE *)Parameter;
    SetEvent(Waiter->Ready);
    Waiter->Result = WaitForSingleObjectEx(Waiter->Never, INFINITE, TRUE);
    return 0;
}

/* QueueUserAPC to another thread: it runs in that thread, in its
   alertable wait, which returns WAIT_IO_COMPLETION. */
static void test_apc_to_other_thread(void **State)
{
    ALERTABLE Waiter;
    DWORD RanOn = 0, ThreadId = 0;
    HANDLE Thread;
    (void)State;
    Waiter.Ready = CreateEventW(NULL, TRUE, FALSE, NULL);
    Waiter.Never = CreateEventW(NULL, TRUE, FALSE, NULL);
    Waiter.Result = 0;
    Thread = CreateThread(NULL, 0, AlertableWaiter, &Waiter, 0, &ThreadId);
    assert_int_equal(WaitForSingleObject(Waiter.Ready, INFINITE), WAIT_OBJECT_0);
    assert_int_not_equal(QueueUserAPC(MarkThread, Thread, (ULONG_PTR)&RanOn), 0);
    assert_int_equal(WaitForSingleObject(Thread, INFINITE), WAIT_OBJECT_0);
    assert_int_equal(Waiter.Result, WAIT_IO_COMPLETION);
    assert_int_equal(RanOn, ThreadId);
    CloseHandle(Thread);
    CloseHandle(Waiter.Ready);
    CloseHandle(Waiter.Never);
}

/* Sleep and SleepEx: without an APC an alertable sleep returns 0. */
static void test_sleep(void **State)
{
    (void)State;
    Sleep(0);
    Sleep(1);
    assert_int_equal(SleepEx(0, FALSE), 0);
    assert_int_equal(SleepEx(1, TRUE), 0);
    assert_int_equal(GetCurrentProcessId(), GetCurrentProcessId());
    assert_true(GetCurrentProcess() == INVALID_HANDLE_VALUE); /* the pseudo handle's value */
    /* The process is waitable; it never ends while the machine runs. */
    assert_int_equal(WaitForSingleObject(GetCurrentProcess(), 0), WAIT_TIMEOUT);
}

/* Several application threads: some share one synchronous handle (the
   I/O manager serialises them on the file object), others share one
   overlapped handle whose completions a completion-port thread collects. */
#define UM_THREADS 4
#define UM_CALLS 25

typedef struct _SHARED {
    HANDLE Synchronous;
    HANDLE Overlapped;
    HANDLE Port;
    volatile LONG Failures;
} SHARED;

static DWORD WINAPI SynchronousClient(LPVOID Parameter)
{
    SHARED *Shared = (SHARED *)Parameter;
    for (int i = 0; i < UM_CALLS; i++) {
        UCHAR Input[8], Output[8];
        DWORD Bytes = 0;
        memset(Input, i, sizeof(Input));
        if (!DeviceIoControl(Shared->Synchronous, IOCTL_UM_ECHO, Input, sizeof(Input), Output, sizeof(Output),
                             &Bytes, NULL) ||
            Bytes != sizeof(Output) || Output[7] != UM_OUTPUT_BYTE(7))
            __atomic_add_fetch(&Shared->Failures, 1, __ATOMIC_SEQ_CST);
    }
    return 0;
}

static DWORD WINAPI OverlappedClient(LPVOID Parameter)
{
    SHARED *Shared = (SHARED *)Parameter;
    OVERLAPPED Overlapped[UM_CALLS];
    HANDLE Events[UM_CALLS];
    UCHAR Output[UM_CALLS][4];
    DWORD Bytes;
    for (int i = 0; i < UM_CALLS; i++) {
        memset(&Overlapped[i], 0, sizeof(Overlapped[i]));
        Events[i] = CreateEventW(NULL, TRUE, FALSE, NULL);
        Overlapped[i].hEvent = Events[i];
        /* Each completion also goes to the port; the collector counts them. */
        if (!DeviceIoControl(Shared->Overlapped, IOCTL_UM_ECHO, NULL, 0, Output[i], sizeof(Output[i]), &Bytes,
                             &Overlapped[i]))
            __atomic_add_fetch(&Shared->Failures, 1, __ATOMIC_SEQ_CST);
    }
    for (int i = 0; i < UM_CALLS; i++) {
        if (!GetOverlappedResult(Shared->Overlapped, &Overlapped[i], &Bytes, TRUE) || Bytes != 4)
            __atomic_add_fetch(&Shared->Failures, 1, __ATOMIC_SEQ_CST);
        CloseHandle(Events[i]);
    }
    return 0;
}

static DWORD WINAPI PortCollector(LPVOID Parameter)
{
    SHARED *Shared = (SHARED *)Parameter;
    DWORD Collected = 0;
    for (;;) {
        LPOVERLAPPED Overlapped;
        ULONG_PTR Key;
        DWORD Bytes;
        if (!GetQueuedCompletionStatus(Shared->Port, &Bytes, &Key, &Overlapped, INFINITE) || Key != 9)
            __atomic_add_fetch(&Shared->Failures, 1, __ATOMIC_SEQ_CST);
        if (Overlapped == NULL)
            break; /* the "stop" packet */
        Collected++;
    }
    return Collected;
}

static void test_many_threads(void **State)
{
    HANDLE Threads[2 * UM_THREADS];
    HANDLE Collector;
    SHARED Shared;
    DWORD Collected;
    (void)State;
    memset(&Shared, 0, sizeof(Shared));
    Shared.Synchronous = UmOpen(L"\\\\.\\UmBuf", GENERIC_READ | GENERIC_WRITE, 0);
    Shared.Overlapped = UmOpen(L"\\\\.\\UmBuf", GENERIC_READ, FILE_FLAG_OVERLAPPED);
    Shared.Port = CreateIoCompletionPort(Shared.Overlapped, NULL, 9, 0);
    assert_non_null(Shared.Port);
    Collector = CreateThread(NULL, 0, PortCollector, &Shared, 0, NULL);
    for (int i = 0; i < UM_THREADS; i++) {
        Threads[i] = CreateThread(NULL, 0, SynchronousClient, &Shared, 0, NULL);
        Threads[UM_THREADS + i] = CreateThread(NULL, 0, OverlappedClient, &Shared, 0, NULL);
    }
    assert_int_equal(WaitForMultipleObjects(2 * UM_THREADS, Threads, TRUE, INFINITE), WAIT_OBJECT_0);
    assert_true(PostQueuedCompletionStatus(Shared.Port, 0, 9, NULL));
    assert_int_equal(WaitForSingleObject(Collector, INFINITE), WAIT_OBJECT_0);
    assert_true(GetExitCodeThread(Collector, &Collected));
    assert_int_equal(Collected, UM_THREADS * UM_CALLS);
    assert_int_equal(Shared.Failures, 0);
    for (int i = 0; i < 2 * UM_THREADS; i++)
        CloseHandle(Threads[i]);
    CloseHandle(Collector);
    CloseHandle(Shared.Synchronous);
    CloseHandle(Shared.Overlapped);
    CloseHandle(Shared.Port);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        UM_TEST(test_create_thread), UM_TEST(test_exit_thread),        UM_TEST(test_events),
        UM_TEST(test_wait_multiple), UM_TEST(test_apc_to_other_thread), UM_TEST(test_sleep),
        UM_TEST(test_many_threads),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
