/*
 * CancelIo, CancelIoEx, CancelSynchronousIo, closing a handle with
 * requests outstanding, and thread exit (SEMANTICS 5.5, 5.6, A.5, A.6).
 */
#include "umapp.h"

#include <stdlib.h>

static void StartPend(HANDLE Device, OVERLAPPED *Overlapped, HANDLE Event)
{
    DWORD Bytes;
    memset(Overlapped, 0, sizeof(*Overlapped));
    Overlapped->hEvent = Event;
    assert_false(DeviceIoControl(Device, IOCTL_UM_PEND, NULL, 0, NULL, 0, &Bytes, Overlapped));
    assert_int_equal(GetLastError(), ERROR_IO_PENDING);
}

/* 5.6: CancelIo cancels the calling thread's requests on the handle and
   returns once they have completed; they complete through their own
   OVERLAPPED with STATUS_CANCELLED (ERROR_OPERATION_ABORTED). */
static void test_cancel_io(void **State)
{
    HANDLE Device = UmOpen(L"\\\\.\\UmBuf", GENERIC_READ, FILE_FLAG_OVERLAPPED);
    HANDLE Events[2] = {CreateEventW(NULL, TRUE, FALSE, NULL), CreateEventW(NULL, TRUE, FALSE, NULL)};
    OVERLAPPED Overlapped[2];
    DWORD Bytes;
    UM_COUNTS Counts;
    (void)State;
    StartPend(Device, &Overlapped[0], Events[0]);
    StartPend(Device, &Overlapped[1], Events[1]);
    assert_int_equal(UmTestQueuedCount(), 2);
    assert_true(CancelIo(Device));
    /* CancelIo waited: both are finished when it returns. */
    assert_true(HasOverlappedIoCompleted(&Overlapped[0]));
    assert_true(HasOverlappedIoCompleted(&Overlapped[1]));
    assert_int_equal(WaitForMultipleObjects(2, Events, TRUE, 0), WAIT_OBJECT_0);
    assert_false(GetOverlappedResult(Device, &Overlapped[0], &Bytes, FALSE));
    assert_int_equal(GetLastError(), ERROR_OPERATION_ABORTED);
    assert_int_equal((DWORD)Overlapped[1].Internal, (DWORD)UM_STATUS_CANCELLED);
    assert_int_equal(UmTestQueuedCount(), 0);
    UmTestGetCounts(&Counts);
    assert_int_equal(Counts.Cancels, 2);
    /* Nothing left: still TRUE. */
    assert_true(CancelIo(Device));
    assert_false(CancelIo(Events[0]));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    CloseHandle(Device);
    CloseHandle(Events[0]);
    CloseHandle(Events[1]);
}

/* 5.6: CancelIo cancels every request the calling thread has issued on
   the handle, however many, and returns once all of them have completed;
   requests on another handle are left alone. Each completes through its
   own OVERLAPPED (here half signal an event, half the file). */
static void test_cancel_io_many_requests(void **State)
{
    enum { Count = 2000, OtherCount = 3 };
    HANDLE Device = UmOpen(L"\\\\.\\UmBuf", GENERIC_READ, FILE_FLAG_OVERLAPPED);
    HANDLE Other = UmOpen(L"\\\\.\\UmBuf", GENERIC_READ, FILE_FLAG_OVERLAPPED);
    HANDLE Event = CreateEventW(NULL, TRUE, FALSE, NULL);
    OVERLAPPED *Overlapped = (OVERLAPPED *)calloc(Count + OtherCount, sizeof(OVERLAPPED));
    UM_COUNTS Counts;
    DWORD Bytes;
    (void)State;
    assert_non_null(Overlapped);
    for (int i = 0; i < Count; i++)
        StartPend(Device, &Overlapped[i], i % 2 ? Event : NULL);
    for (int i = 0; i < OtherCount; i++)
        StartPend(Other, &Overlapped[Count + i], NULL);
    assert_int_equal(UmTestQueuedCount(), Count + OtherCount);

    assert_true(CancelIo(Device));
    for (int i = 0; i < Count; i++) {
        assert_true(HasOverlappedIoCompleted(&Overlapped[i]));
        assert_int_equal((DWORD)Overlapped[i].Internal, (DWORD)UM_STATUS_CANCELLED);
    }
    assert_false(GetOverlappedResult(Device, &Overlapped[Count - 1], &Bytes, FALSE));
    assert_int_equal(GetLastError(), ERROR_OPERATION_ABORTED);
    assert_true(UmIsSignalled(Event));
    for (int i = 0; i < OtherCount; i++)
        assert_false(HasOverlappedIoCompleted(&Overlapped[Count + i]));
    assert_int_equal(UmTestQueuedCount(), OtherCount);
    UmTestGetCounts(&Counts);
    assert_int_equal(Counts.Cancels, Count);

    assert_true(CancelIo(Other));
    for (int i = 0; i < OtherCount; i++)
        assert_int_equal((DWORD)Overlapped[Count + i].Internal, (DWORD)UM_STATUS_CANCELLED);
    assert_int_equal(UmTestQueuedCount(), 0);
    free(Overlapped);
    CloseHandle(Event);
    CloseHandle(Other);
    CloseHandle(Device);
}

/* 5.6: CancelIo waits until the cancelled requests have completed, also
   when the driver completes them later on another processor (its cancel
   routine hands them to a DPC): every OVERLAPPED has been written and
   every event set by the time CancelIo returns. */
static void test_cancel_io_waits_for_late_completion(void **State)
{
    enum { Count = 50 };
    HANDLE Device = UmOpen(L"\\\\.\\UmBuf", GENERIC_READ, FILE_FLAG_OVERLAPPED);
    HANDLE Events[Count];
    OVERLAPPED Overlapped[Count];
    UM_COUNTS Counts;
    (void)State;
    UmTestSetCancelMode(UM_CANCEL_DPC);
    for (int i = 0; i < Count; i++) {
        Events[i] = CreateEventW(NULL, TRUE, FALSE, NULL);
        StartPend(Device, &Overlapped[i], Events[i]);
    }
    assert_true(CancelIo(Device));
    for (int i = 0; i < Count; i++) {
        assert_int_equal((DWORD)Overlapped[i].Internal, (DWORD)UM_STATUS_CANCELLED);
        assert_true(UmIsSignalled(Events[i]));
        CloseHandle(Events[i]);
    }
    UmTestGetCounts(&Counts);
    assert_int_equal(Counts.Cancels, Count);
    assert_int_equal(UmTestQueuedCount(), 0);
    CloseHandle(Device);
}

/* 5.6, 5.5: a cancelled request the driver does not complete (it set no
   cancel routine) is waited for up to a limit (about five minutes on
   Windows; shortened here), then disassociated from the thread with an
   IO_DRIVER_CANCEL_TIMEOUT error-log entry naming it, and CancelIo
   returns TRUE. The request that could be cancelled was. When the driver
   finally completes the other one, nobody is told (3.5 step 7): its
   OVERLAPPED and event stay untouched, and nothing leaks. */
static void test_cancel_io_gives_up(void **State)
{
    HANDLE Device = UmOpen(L"\\\\.\\UmBuf", GENERIC_READ, FILE_FLAG_OVERLAPPED);
    HANDLE Events[2] = {CreateEventW(NULL, TRUE, FALSE, NULL), CreateEventW(NULL, TRUE, FALSE, NULL)};
    OVERLAPPED Overlapped[2];
    PVOID Handle, Stuck, Noted;
    (void)State;
    UmTestTraceStart();
    UmTestSetCancelWaitLimit(10000 /* 1 ms */, 5);
    StartPend(Device, &Overlapped[0], Events[0]);
    UmTestSetCancelMode(UM_CANCEL_IGNORE);
    StartPend(Device, &Overlapped[1], Events[1]);
    assert_true(UmTestFindWin32Call("DeviceIoControl", &Handle, &Stuck));

    assert_true(CancelIo(Device));
    assert_int_equal((DWORD)Overlapped[0].Internal, (DWORD)UM_STATUS_CANCELLED);
    assert_true(UmIsSignalled(Events[0]));
    assert_int_equal((DWORD)Overlapped[1].Internal, (DWORD)UM_STATUS_PENDING);
    assert_true(UmTestFindNote("IO_DRIVER_CANCEL_TIMEOUT", &Noted));
    assert_ptr_equal(Noted, Stuck);
    assert_int_equal(UmTestQueuedCount(), 1);
    /* Nothing of ours is left on the handle. */
    assert_true(CancelIo(Device));

    assert_int_equal(UmTestCompleteQueued(UM_STATUS_SUCCESS, 0, FALSE), 1);
    assert_int_equal((DWORD)Overlapped[1].Internal, (DWORD)UM_STATUS_PENDING);
    assert_false(UmIsSignalled(Events[1]));
    assert_int_equal(UmTestOutstandingIrps(), 0);
    CloseHandle(Events[0]);
    CloseHandle(Events[1]);
    CloseHandle(Device);
}

/* A thread that issues a request and waits for it. */
typedef struct _ISSUER {
    HANDLE Device;
    HANDLE Issued;
    OVERLAPPED Overlapped;
    DWORD WaitResult;
} ISSUER;

static DWORD WINAPI IssueAndWait(LPVOID Parameter)
{
    ISSUER *Issuer = (ISSUER *)Parameter;
    HANDLE Event = CreateEventW(NULL, TRUE, FALSE, NULL);
    StartPend(Issuer->Device, &Issuer->Overlapped, Event);
    SetEvent(Issuer->Issued);
    Issuer->WaitResult = WaitForSingleObject(Event, INFINITE);
    CloseHandle(Event);
    return 0;
}

static DWORD WINAPI CallCancelIo(LPVOID Parameter)
{
    return CancelIo((HANDLE)Parameter) ? 1 : 0;
}

/* 5.6: CancelIo from one thread leaves another thread's requests alone
   (its own list only); CancelIoEx cancels any thread's. The other
   thread's request completes in that thread, which is waiting. */
static void test_cancel_io_other_thread(void **State)
{
    HANDLE Device = UmOpen(L"\\\\.\\UmBuf", GENERIC_READ, FILE_FLAG_OVERLAPPED);
    HANDLE Event = CreateEventW(NULL, TRUE, FALSE, NULL);
    OVERLAPPED Mine;
    ISSUER Issuer;
    HANDLE Thread, Canceller;
    DWORD ExitCode;
    (void)State;
    memset(&Issuer, 0, sizeof(Issuer));
    Issuer.Device = Device;
    Issuer.Issued = CreateEventW(NULL, TRUE, FALSE, NULL);
    Thread = CreateThread(NULL, 0, IssueAndWait, &Issuer, 0, NULL);
    assert_int_equal(WaitForSingleObject(Issuer.Issued, INFINITE), WAIT_OBJECT_0);
    StartPend(Device, &Mine, Event);
    assert_int_equal(UmTestQueuedCount(), 2);

    /* A third thread has nothing on this handle: it cancels nothing. */
    Canceller = CreateThread(NULL, 0, CallCancelIo, Device, 0, NULL);
    assert_int_equal(WaitForSingleObject(Canceller, INFINITE), WAIT_OBJECT_0);
    assert_true(GetExitCodeThread(Canceller, &ExitCode));
    assert_int_equal(ExitCode, 1);
    CloseHandle(Canceller);
    assert_int_equal(UmTestQueuedCount(), 2);

    /* Ours only. */
    assert_true(CancelIo(Device));
    assert_int_equal((DWORD)Mine.Internal, (DWORD)UM_STATUS_CANCELLED);
    assert_int_equal(UmTestQueuedCount(), 1);

    /* Any thread's. */
    assert_true(CancelIoEx(Device, NULL));
    assert_int_equal(WaitForSingleObject(Thread, INFINITE), WAIT_OBJECT_0);
    assert_int_equal(Issuer.WaitResult, WAIT_OBJECT_0);
    assert_int_equal((DWORD)Issuer.Overlapped.Internal, (DWORD)UM_STATUS_CANCELLED);
    assert_int_equal(UmTestQueuedCount(), 0);
    CloseHandle(Thread);
    CloseHandle(Issuer.Issued);
    CloseHandle(Event);
    CloseHandle(Device);
}

/* 5.6: CancelIoEx with an OVERLAPPED cancels that request only; with
   nothing to cancel it fails with ERROR_NOT_FOUND. */
static void test_cancel_io_ex(void **State)
{
    HANDLE Device = UmOpen(L"\\\\.\\UmBuf", GENERIC_READ, FILE_FLAG_OVERLAPPED);
    HANDLE Other = UmOpen(L"\\\\.\\UmBuf", GENERIC_READ, FILE_FLAG_OVERLAPPED);
    HANDLE Events[2] = {CreateEventW(NULL, TRUE, FALSE, NULL), CreateEventW(NULL, TRUE, FALSE, NULL)};
    OVERLAPPED Overlapped[2];
    DWORD Bytes;
    (void)State;
    StartPend(Device, &Overlapped[0], Events[0]);
    StartPend(Device, &Overlapped[1], Events[1]);
    /* Another handle's request is not this handle's. */
    assert_false(CancelIoEx(Other, NULL));
    assert_int_equal(GetLastError(), ERROR_NOT_FOUND);

    assert_true(CancelIoEx(Device, &Overlapped[0]));
    assert_false(GetOverlappedResult(Device, &Overlapped[0], &Bytes, TRUE));
    assert_int_equal(GetLastError(), ERROR_OPERATION_ABORTED);
    assert_false(HasOverlappedIoCompleted(&Overlapped[1]));
    assert_int_equal(UmTestQueuedCount(), 1);
    assert_false(CancelIoEx(Device, &Overlapped[0]));
    assert_int_equal(GetLastError(), ERROR_NOT_FOUND);

    assert_true(CancelIoEx(Device, NULL));
    assert_false(GetOverlappedResult(Device, &Overlapped[1], &Bytes, TRUE));
    assert_int_equal(GetLastError(), ERROR_OPERATION_ABORTED);
    assert_false(CancelIoEx(Device, NULL));
    assert_int_equal(GetLastError(), ERROR_NOT_FOUND);
    assert_false(CancelIoEx(NULL, NULL));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    CloseHandle(Device);
    CloseHandle(Other);
    CloseHandle(Events[0]);
    CloseHandle(Events[1]);
}

typedef struct _SYNC_CALLER {
    HANDLE Device;
    BOOL Result;
    DWORD Error;
} SYNC_CALLER;

static DWORD WINAPI SynchronousPend(LPVOID Parameter)
{
    SYNC_CALLER *Caller = (SYNC_CALLER *)Parameter;
    DWORD Bytes;
    Caller->Result = DeviceIoControl(Caller->Device, IOCTL_UM_PEND, NULL, 0, NULL, 0, &Bytes, NULL);
    Caller->Error = GetLastError();
    return 0;
}

/* 5.6: CancelSynchronousIo cancels the synchronous request a thread is
   blocked in; the blocked call returns ERROR_OPERATION_ABORTED. With
   nothing pending: ERROR_NOT_FOUND. */
static void test_cancel_synchronous_io(void **State)
{
    SYNC_CALLER Caller;
    HANDLE Thread;
    (void)State;
    memset(&Caller, 0, sizeof(Caller));
    Caller.Device = UmOpen(L"\\\\.\\UmBuf", GENERIC_READ, 0);
    Thread = CreateThread(NULL, 0, SynchronousPend, &Caller, 0, NULL);
    UmWaitForQueued(1);
    assert_true(CancelSynchronousIo(Thread));
    assert_int_equal(WaitForSingleObject(Thread, INFINITE), WAIT_OBJECT_0);
    assert_false(Caller.Result);
    assert_int_equal(Caller.Error, ERROR_OPERATION_ABORTED);
    assert_false(CancelSynchronousIo(Thread));
    assert_int_equal(GetLastError(), ERROR_NOT_FOUND);
    assert_false(CancelSynchronousIo(GetCurrentThread()));
    assert_int_equal(GetLastError(), ERROR_NOT_FOUND);
    assert_false(CancelSynchronousIo(Caller.Device));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    CloseHandle(Thread);
    CloseHandle(Caller.Device);
}

/* A.5: closing the last handle sends IRP_MJ_CLEANUP; the I/O manager
   cancels nothing, the driver's cleanup routine completes the file's
   queued requests. IRP_MJ_CLOSE comes when the last reference goes, that
   is after every request holding the file object has completed. */
static void test_close_with_pending_io(void **State)
{
    HANDLE Event = CreateEventW(NULL, TRUE, FALSE, NULL);
    OVERLAPPED Overlapped;
    UM_COUNTS Counts;
    HANDLE Device;
    (void)State;

    Device = UmOpen(L"\\\\.\\UmBuf", GENERIC_READ, FILE_FLAG_OVERLAPPED);
    StartPend(Device, &Overlapped, Event);
    assert_true(CloseHandle(Device));
    UmTestGetCounts(&Counts);
    assert_int_equal(Counts.Cleanups, 1);
    assert_int_equal(Counts.CleanupCompleted, 1);
    assert_int_equal(Counts.Cancels, 0); /* completed by cleanup, not cancelled */
    assert_int_equal(Counts.Closes, 1);
    assert_true(UmIsSignalled(Event));
    assert_int_equal((DWORD)Overlapped.Internal, (DWORD)UM_STATUS_CANCELLED);

    /* A driver that keeps the request past cleanup delays IRP_MJ_CLOSE. */
    UmTestKeepOnCleanup(TRUE);
    ResetEvent(Event);
    Device = UmOpen(L"\\\\.\\UmBuf", GENERIC_READ, FILE_FLAG_OVERLAPPED);
    StartPend(Device, &Overlapped, Event);
    assert_true(CloseHandle(Device));
    UmTestGetCounts(&Counts);
    assert_int_equal(Counts.Cleanups, 2);
    assert_int_equal(Counts.Closes, 1);
    assert_false(UmIsSignalled(Event));
    assert_int_equal(UmTestCompleteQueued(UM_STATUS_SUCCESS, 0, FALSE), 1);
    UmTestGetCounts(&Counts);
    assert_int_equal(Counts.Closes, 2);
    assert_true(UmIsSignalled(Event));
    CloseHandle(Event);
}

static DWORD WINAPI IssueAndExit(LPVOID Parameter)
{
    ISSUER *Issuer = (ISSUER *)Parameter;
    StartPend(Issuer->Device, &Issuer->Overlapped, NULL);
    return 7;
}

/* 5.5 / A.6: a thread that ends with requests outstanding has them
   cancelled, and its exit waits for them. */
static void test_thread_exit_cancels(void **State)
{
    HANDLE Device = UmOpen(L"\\\\.\\UmBuf", GENERIC_READ, FILE_FLAG_OVERLAPPED);
    ISSUER Issuer;
    HANDLE Thread;
    DWORD ExitCode;
    (void)State;
    memset(&Issuer, 0, sizeof(Issuer));
    Issuer.Device = Device;
    Thread = CreateThread(NULL, 0, IssueAndExit, &Issuer, 0, NULL);
    assert_int_equal(WaitForSingleObject(Thread, INFINITE), WAIT_OBJECT_0);
    assert_true(GetExitCodeThread(Thread, &ExitCode));
    assert_int_equal(ExitCode, 7);
    assert_int_equal((DWORD)Issuer.Overlapped.Internal, (DWORD)UM_STATUS_CANCELLED);
    assert_int_equal(UmTestQueuedCount(), 0);
    CloseHandle(Thread);
    CloseHandle(Device);
}

typedef struct _MANY_ISSUER {
    HANDLE Device;
    int Count;
    OVERLAPPED Overlapped[20];
} MANY_ISSUER;

static DWORD WINAPI IssueManyAndExit(LPVOID Parameter)
{
    MANY_ISSUER *Issuer = (MANY_ISSUER *)Parameter;
    for (int i = 0; i < Issuer->Count; i++)
        StartPend(Issuer->Device, &Issuer->Overlapped[i], NULL);
    return 3;
}

/* Runs a thread that issues Count requests on a new handle and ends; returns once it has ended. */
static void RunManyIssuer(MANY_ISSUER *Issuer, int Count)
{
    HANDLE Thread;
    DWORD ExitCode;
    memset(Issuer, 0, sizeof(*Issuer));
    Issuer->Device = UmOpen(L"\\\\.\\UmBuf", GENERIC_READ, FILE_FLAG_OVERLAPPED);
    Issuer->Count = Count;
    Thread = CreateThread(NULL, 0, IssueManyAndExit, Issuer, 0, NULL);
    assert_int_equal(WaitForSingleObject(Thread, INFINITE), WAIT_OBJECT_0);
    assert_true(GetExitCodeThread(Thread, &ExitCode));
    assert_int_equal(ExitCode, 3);
    CloseHandle(Thread);
}

/* 5.5: the exit of a thread with requests outstanding cancels them and
   waits for them, also when the driver completes them later from a DPC:
   by the time the thread has ended each has been reported. */
static void test_thread_exit_waits_for_late_completion(void **State)
{
    MANY_ISSUER Issuer;
    (void)State;
    UmTestSetCancelMode(UM_CANCEL_DPC);
    RunManyIssuer(&Issuer, 20);
    for (int i = 0; i < Issuer.Count; i++)
        assert_int_equal((DWORD)Issuer.Overlapped[i].Internal, (DWORD)UM_STATUS_CANCELLED);
    assert_int_equal(UmTestQueuedCount(), 0);
    CloseHandle(Issuer.Device);
}

/* 5.5: a request that is not completed after the cancel keeps the exiting
   thread only up to the limit; then it is disassociated (with an
   IO_DRIVER_CANCEL_TIMEOUT entry) and the thread ends. Its late
   completion reports to nobody. */
static void test_thread_exit_gives_up(void **State)
{
    MANY_ISSUER Issuer;
    PVOID Noted;
    (void)State;
    UmTestTraceStart();
    UmTestSetCancelWaitLimit(10000 /* 1 ms */, 5);
    UmTestSetCancelMode(UM_CANCEL_IGNORE);
    RunManyIssuer(&Issuer, 2);
    assert_true(UmTestFindNote("IO_DRIVER_CANCEL_TIMEOUT", &Noted));
    assert_int_equal(UmTestQueuedCount(), 2);
    assert_int_equal(UmTestCompleteQueued(UM_STATUS_SUCCESS, 0, FALSE), 2);
    for (int i = 0; i < Issuer.Count; i++)
        assert_int_equal((DWORD)Issuer.Overlapped[i].Internal, (DWORD)UM_STATUS_PENDING);
    assert_int_equal(UmTestOutstandingIrps(), 0);
    CloseHandle(Issuer.Device);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        UM_TEST(test_cancel_io),
        UM_TEST(test_cancel_io_many_requests),
        UM_TEST(test_cancel_io_waits_for_late_completion),
        UM_TEST(test_cancel_io_gives_up),
        UM_TEST(test_cancel_io_other_thread),
        UM_TEST(test_cancel_io_ex),
        UM_TEST(test_cancel_synchronous_io),
        UM_TEST(test_close_with_pending_io),
        UM_TEST(test_thread_exit_cancels),
        UM_TEST(test_thread_exit_waits_for_late_completion),
        UM_TEST(test_thread_exit_gives_up),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
