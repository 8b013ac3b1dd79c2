/*
 * CancelIo, CancelIoEx, CancelSynchronousIo, closing a handle with
 * requests outstanding, and thread exit (SEMANTICS 5.5, 5.6, A.5, A.6).
 */
#include "umapp.h"

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

int main(void)
{
    const struct CMUnitTest Tests[] = {
        UM_TEST(test_cancel_io),
        UM_TEST(test_cancel_io_other_thread),
        UM_TEST(test_cancel_io_ex),
        UM_TEST(test_cancel_synchronous_io),
        UM_TEST(test_close_with_pending_io),
        UM_TEST(test_thread_exit_cancels),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
