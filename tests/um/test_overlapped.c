/*
 * Overlapped I/O, events and completion ports: every row of SEMANTICS
 * A.2's observed-on-Windows table, GetOverlappedResult(Ex), waiting on a
 * file handle, the low bit of hEvent, FILE_SKIP_COMPLETION_PORT_ON_SUCCESS,
 * completion ports, and a driver that signals the application's event.
 */
#include "umapp.h"

#define UM_OUT 16
#define UM_PORT_KEY 0x55

typedef struct _ROW {
    BOOL Overlapped; /* handle opened with FILE_FLAG_OVERLAPPED */
    ULONG Disposition;
    LONG Status;
} ROW;

typedef struct _OBSERVED {
    BOOL Result;
    DWORD Error;
    BOOL Pending;       /* FALSE + ERROR_IO_PENDING */
    BOOL IosbWritten;   /* OVERLAPPED.Internal no longer STATUS_PENDING */
    LONG IosbStatus;
    ULONG_PTR IosbInformation;
    BOOL EventSignalled;
    BOOL Packet;        /* a packet on the completion port */
    BOOL PacketResult;
    DWORD PacketError;
    BOOL DataCopied;
} OBSERVED;

/* Runs one request with an OVERLAPPED, an event and a completion port,
   and records what the application can see once it has finished. */
static OBSERVED RunRow(const ROW *Row)
{
    HANDLE Device = UmOpen(L"\\\\.\\UmBuf", GENERIC_READ | GENERIC_WRITE, Row->Overlapped ? FILE_FLAG_OVERLAPPED : 0);
    HANDLE Port = CreateIoCompletionPort(Device, NULL, UM_PORT_KEY, 0);
    HANDLE Event = CreateEventW(NULL, TRUE, TRUE, NULL); /* signalled: the I/O manager must reset it */
    UCHAR Output[UM_OUT];
    OVERLAPPED Overlapped;
    LPOVERLAPPED Dequeued = NULL;
    ULONG_PTR Key = 0;
    OBSERVED Seen;
    DWORD Bytes = 0;

    assert_non_null(Port);
    memset(&Seen, 0, sizeof(Seen));
    memset(Output, 0xEE, sizeof(Output));
    memset(&Overlapped, 0, sizeof(Overlapped));
    Overlapped.hEvent = Event;
    UmTestSetBehavior(Row->Status, UM_INFO_DEFAULT, Row->Disposition);
    Seen.Result = DeviceIoControl(Device, IOCTL_UM_ECHO, NULL, 0, Output, sizeof(Output), &Bytes, &Overlapped);
    Seen.Error = Seen.Result ? 0 : GetLastError();
    Seen.Pending = !Seen.Result && Seen.Error == ERROR_IO_PENDING;
    if (Seen.Pending)
        assert_int_equal(WaitForSingleObject(Event, INFINITE), WAIT_OBJECT_0);
    else
        UmTestRunUntilIdle(); /* any late notification would have arrived */
    Seen.EventSignalled = UmIsSignalled(Event);
    Seen.IosbWritten = (DWORD)Overlapped.Internal != (DWORD)UM_STATUS_PENDING;
    Seen.IosbStatus = (LONG)(DWORD)Overlapped.Internal;
    Seen.IosbInformation = Overlapped.InternalHigh;
    Seen.DataCopied = Output[0] == UM_OUTPUT_BYTE(0);
    Seen.PacketResult = GetQueuedCompletionStatus(Port, &Bytes, &Key, &Dequeued, 0);
    Seen.PacketError = Seen.PacketResult ? 0 : GetLastError();
    Seen.Packet = Dequeued != NULL;
    if (Seen.Packet) {
        assert_ptr_equal(Dequeued, &Overlapped);
        assert_int_equal(Key, UM_PORT_KEY);
        assert_int_equal(Bytes, Seen.IosbInformation);
    } else {
        assert_int_equal(Seen.PacketError, WAIT_TIMEOUT);
    }
    CloseHandle(Device);
    CloseHandle(Port);
    CloseHandle(Event);
    return Seen;
}

/* A.2, overlapped handle: the native call returns the dispatch result
   (STATUS_PENDING if pended); the OVERLAPPED is written, the event
   signalled and a port packet queued iff the request was pended or its
   status is not an error; data is copied back iff the status is not an
   error. kernel32: TRUE only for a success returned at once. */
static void test_table_overlapped_handle(void **State)
{
    static const struct {
        ROW Row;
        BOOL Result;
        DWORD Error;
        BOOL Reported;
        BOOL Data;
    } Rows[] = {
        {{TRUE, UM_COMPLETE_INLINE, UM_STATUS_SUCCESS}, TRUE, 0, TRUE, TRUE},
        {{TRUE, UM_COMPLETE_INLINE, UM_STATUS_BUFFER_OVERFLOW}, FALSE, ERROR_MORE_DATA, TRUE, TRUE},
        {{TRUE, UM_COMPLETE_INLINE, UM_STATUS_UNSUCCESSFUL}, FALSE, ERROR_GEN_FAILURE, FALSE, FALSE},
        {{TRUE, UM_PEND_DPC, UM_STATUS_SUCCESS}, FALSE, ERROR_IO_PENDING, TRUE, TRUE},
        {{TRUE, UM_PEND_DPC, UM_STATUS_BUFFER_OVERFLOW}, FALSE, ERROR_IO_PENDING, TRUE, TRUE},
        {{TRUE, UM_PEND_DPC, UM_STATUS_UNSUCCESSFUL}, FALSE, ERROR_IO_PENDING, TRUE, FALSE},
    };
    (void)State;
    for (ULONG i = 0; i < sizeof(Rows) / sizeof(Rows[0]); i++) {
        OBSERVED Seen = RunRow(&Rows[i].Row);
        assert_int_equal(Seen.Result, Rows[i].Result);
        assert_int_equal(Seen.Error, Rows[i].Error);
        assert_int_equal(Seen.IosbWritten, Rows[i].Reported);
        assert_int_equal(Seen.EventSignalled, Rows[i].Reported);
        assert_int_equal(Seen.Packet, Rows[i].Reported);
        assert_int_equal(Seen.DataCopied, Rows[i].Data);
        if (Rows[i].Reported) {
            assert_int_equal(Seen.IosbStatus, Rows[i].Row.Status);
            assert_int_equal(Seen.IosbInformation, UM_OUT); /* the driver's IoStatus, whatever the status */
            /* The packet carries the status: GetQueuedCompletionStatus
               fails for anything but success, with the mapped error. */
            assert_int_equal(Seen.PacketResult, Rows[i].Row.Status == UM_STATUS_SUCCESS);
            if (!Seen.PacketResult)
                assert_int_equal(Seen.PacketError, UmTestStatusToError(Rows[i].Row.Status));
        }
    }
}

/* A.2, synchronous handle: the native call returns the dispatch result if
   not pended, else (after waiting) the final status; the status block,
   event and port are written / signalled / posted iff the status is not
   an error, pended or not; data copied back iff not an error. */
static void test_table_synchronous_handle(void **State)
{
    static const struct {
        ROW Row;
        BOOL Result;
        DWORD Error;
        BOOL Reported;
    } Rows[] = {
        {{FALSE, UM_COMPLETE_INLINE, UM_STATUS_SUCCESS}, TRUE, 0, TRUE},
        {{FALSE, UM_COMPLETE_INLINE, UM_STATUS_BUFFER_OVERFLOW}, FALSE, ERROR_MORE_DATA, TRUE},
        {{FALSE, UM_COMPLETE_INLINE, UM_STATUS_UNSUCCESSFUL}, FALSE, ERROR_GEN_FAILURE, FALSE},
        {{FALSE, UM_PEND_DPC, UM_STATUS_SUCCESS}, TRUE, 0, TRUE},
        {{FALSE, UM_PEND_DPC, UM_STATUS_BUFFER_OVERFLOW}, FALSE, ERROR_MORE_DATA, TRUE},
        {{FALSE, UM_PEND_DPC, UM_STATUS_UNSUCCESSFUL}, FALSE, ERROR_GEN_FAILURE, FALSE},
    };
    (void)State;
    for (ULONG i = 0; i < sizeof(Rows) / sizeof(Rows[0]); i++) {
        OBSERVED Seen = RunRow(&Rows[i].Row);
        assert_false(Seen.Pending); /* a synchronous handle never returns pending */
        assert_int_equal(Seen.Result, Rows[i].Result);
        assert_int_equal(Seen.Error, Rows[i].Error);
        assert_int_equal(Seen.IosbWritten, Rows[i].Reported);
        assert_int_equal(Seen.EventSignalled, Rows[i].Reported);
        assert_int_equal(Seen.Packet, Rows[i].Reported);
        assert_int_equal(Seen.DataCopied, Rows[i].Reported);
    }
}

/* A.3 without an OVERLAPPED: on a synchronous handle the call waits for a
   pended request; on an overlapped handle kernel32 waits on the file
   handle (its file object's event) and reads the local status block. */
static void test_no_overlapped(void **State)
{
    UCHAR Output[UM_OUT];
    DWORD Bytes;
    (void)State;
    for (int Flags = 0; Flags < 2; Flags++) {
        HANDLE Device = UmOpen(L"\\\\.\\UmBuf", GENERIC_READ, Flags ? FILE_FLAG_OVERLAPPED : 0);
        UmTestSetBehavior(UM_STATUS_SUCCESS, UM_INFO_DEFAULT, UM_PEND_DPC);
        Bytes = 0;
        assert_true(DeviceIoControl(Device, IOCTL_UM_ECHO, NULL, 0, Output, sizeof(Output), &Bytes, NULL));
        assert_int_equal(Bytes, UM_OUT);
        assert_int_equal(Output[UM_OUT - 1], UM_OUTPUT_BYTE(UM_OUT - 1));
        UmTestSetBehavior(UM_STATUS_CANCELLED, UM_INFO_DEFAULT, UM_PEND_DPC);
        assert_false(DeviceIoControl(Device, IOCTL_UM_ECHO, NULL, 0, Output, sizeof(Output), &Bytes, NULL));
        assert_int_equal(GetLastError(), ERROR_OPERATION_ABORTED);
        UmTestSetBehavior(UM_STATUS_BUFFER_OVERFLOW, 5, UM_PEND_DPC);
        assert_false(DeviceIoControl(Device, IOCTL_UM_ECHO, NULL, 0, Output, sizeof(Output), &Bytes, NULL));
        assert_int_equal(GetLastError(), ERROR_MORE_DATA);
        assert_int_equal(Bytes, 5);
        CloseHandle(Device);
    }
}

/* GetOverlappedResult: ERROR_IO_INCOMPLETE while pending without bWait;
   with bWait it waits (on hEvent, or the file when hEvent is NULL), then
   reports InternalHigh and the mapped status. HasOverlappedIoCompleted
   reads Internal. GetOverlappedResultEx times out with WAIT_TIMEOUT, and
   an alertable wait that runs an APC ends with WAIT_IO_COMPLETION. */
static VOID NTAPI CountApc(ULONG_PTR Parameter)
{
    (*(int *)Parameter)++;
}

static void test_get_overlapped_result(void **State)
{
    HANDLE Device = UmOpen(L"\\\\.\\UmBuf", GENERIC_READ, FILE_FLAG_OVERLAPPED);
    HANDLE Event = CreateEventW(NULL, TRUE, FALSE, NULL);
    UCHAR Output[UM_OUT];
    OVERLAPPED Overlapped;
    DWORD Bytes = 0;
    int Apcs = 0;
    (void)State;

    memset(&Overlapped, 0, sizeof(Overlapped));
    Overlapped.hEvent = Event;
    UmTestSetBehavior(UM_STATUS_SUCCESS, UM_INFO_DEFAULT, UM_PEND_QUEUE);
    assert_false(DeviceIoControl(Device, IOCTL_UM_ECHO, NULL, 0, Output, sizeof(Output), NULL, &Overlapped));
    assert_int_equal(GetLastError(), ERROR_IO_PENDING);
    assert_false(HasOverlappedIoCompleted(&Overlapped));
    assert_false(GetOverlappedResult(Device, &Overlapped, &Bytes, FALSE));
    assert_int_equal(GetLastError(), ERROR_IO_INCOMPLETE);
    assert_false(GetOverlappedResultEx(Device, &Overlapped, &Bytes, 0, FALSE));
    assert_int_equal(GetLastError(), ERROR_IO_INCOMPLETE);
    /* Nothing completes it until the driver is told to: a time-out. */
    assert_false(GetOverlappedResultEx(Device, &Overlapped, &Bytes, 1, FALSE));
    assert_int_equal(GetLastError(), WAIT_TIMEOUT);
    assert_int_not_equal(QueueUserAPC(CountApc, GetCurrentThread(), (ULONG_PTR)&Apcs), 0);
    assert_false(GetOverlappedResultEx(Device, &Overlapped, &Bytes, INFINITE, TRUE));
    assert_int_equal(GetLastError(), WAIT_IO_COMPLETION);
    assert_int_equal(Apcs, 1);

    assert_int_equal(UmTestCompleteQueued(UM_STATUS_SUCCESS, UM_INFO_DEFAULT, TRUE), 1);
    assert_true(GetOverlappedResult(Device, &Overlapped, &Bytes, TRUE));
    assert_int_equal(Bytes, UM_OUT);
    assert_true(HasOverlappedIoCompleted(&Overlapped));

    /* hEvent NULL: the wait is on the file handle. */
    Overlapped.hEvent = NULL;
    assert_false(DeviceIoControl(Device, IOCTL_UM_ECHO, NULL, 0, Output, sizeof(Output), NULL, &Overlapped));
    assert_int_equal(GetLastError(), ERROR_IO_PENDING);
    assert_int_equal(UmTestCompleteQueued(UM_STATUS_CANCELLED, 0, TRUE), 1);
    assert_false(GetOverlappedResult(Device, &Overlapped, &Bytes, TRUE));
    assert_int_equal(GetLastError(), ERROR_OPERATION_ABORTED);
    assert_int_equal(Bytes, 0);
    assert_true(UmIsSignalled(Device)); /* a file handle is waitable */

    /* Bad arguments. */
    assert_false(GetOverlappedResult(Device, NULL, &Bytes, TRUE));
    assert_int_equal(GetLastError(), ERROR_NOACCESS);
    CloseHandle(Device);
    CloseHandle(Event);
}

/* A.3: a set low bit in hEvent keeps the completion off the port (the
   event, with the bit cleared, is still signalled). */
static void test_event_low_bit(void **State)
{
    HANDLE Device = UmOpen(L"\\\\.\\UmBuf", GENERIC_READ, FILE_FLAG_OVERLAPPED);
    HANDLE Port = CreateIoCompletionPort(Device, NULL, 1, 0);
    HANDLE Event = CreateEventW(NULL, TRUE, FALSE, NULL);
    OVERLAPPED Overlapped;
    LPOVERLAPPED Dequeued;
    ULONG_PTR Key;
    DWORD Bytes;
    (void)State;
    memset(&Overlapped, 0, sizeof(Overlapped));
    Overlapped.hEvent = (HANDLE)((ULONG_PTR)Event | 1);
    assert_true(DeviceIoControl(Device, IOCTL_UM_ECHO, NULL, 0, NULL, 0, &Bytes, &Overlapped));
    assert_true(UmIsSignalled(Event));
    assert_false(GetQueuedCompletionStatus(Port, &Bytes, &Key, &Dequeued, 0));
    assert_int_equal(GetLastError(), WAIT_TIMEOUT);
    assert_null(Dequeued);
    CloseHandle(Device);
    CloseHandle(Port);
    CloseHandle(Event);
}

/* FILE_SKIP_COMPLETION_PORT_ON_SUCCESS (A.2, Windows 8+): no packet for a
   request that succeeds at once; a warning or a pended request still
   posts one. Other flags are refused here (FILE_SKIP_SET_EVENT_ON_HANDLE
   is not simulated). */
static void test_skip_completion_port(void **State)
{
    HANDLE Device = UmOpen(L"\\\\.\\UmBuf", GENERIC_READ, FILE_FLAG_OVERLAPPED);
    HANDLE Port = CreateIoCompletionPort(Device, NULL, 1, 0);
    UCHAR Output[UM_OUT];
    OVERLAPPED Overlapped;
    LPOVERLAPPED Dequeued;
    ULONG_PTR Key;
    DWORD Bytes;
    (void)State;
    assert_true(SetFileCompletionNotificationModes(Device, FILE_SKIP_COMPLETION_PORT_ON_SUCCESS));
    assert_false(SetFileCompletionNotificationModes(Device, 0x2));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    memset(&Overlapped, 0, sizeof(Overlapped));

    assert_true(DeviceIoControl(Device, IOCTL_UM_ECHO, NULL, 0, Output, sizeof(Output), &Bytes, &Overlapped));
    assert_false(GetQueuedCompletionStatus(Port, &Bytes, &Key, &Dequeued, 0));
    assert_null(Dequeued);

    UmTestSetBehavior(UM_STATUS_BUFFER_OVERFLOW, UM_INFO_DEFAULT, UM_COMPLETE_INLINE);
    assert_false(DeviceIoControl(Device, IOCTL_UM_ECHO, NULL, 0, Output, sizeof(Output), &Bytes, &Overlapped));
    assert_false(GetQueuedCompletionStatus(Port, &Bytes, &Key, &Dequeued, 0));
    assert_ptr_equal(Dequeued, &Overlapped);
    assert_int_equal(GetLastError(), ERROR_MORE_DATA);

    UmTestSetBehavior(UM_STATUS_SUCCESS, UM_INFO_DEFAULT, UM_PEND_DPC);
    assert_false(DeviceIoControl(Device, IOCTL_UM_ECHO, NULL, 0, Output, sizeof(Output), &Bytes, &Overlapped));
    assert_int_equal(GetLastError(), ERROR_IO_PENDING);
    assert_true(GetQueuedCompletionStatus(Port, &Bytes, &Key, &Dequeued, INFINITE));
    assert_ptr_equal(Dequeued, &Overlapped);
    assert_int_equal(Bytes, UM_OUT);
    CloseHandle(Device);
    CloseHandle(Port);
}

/* Completion ports: time-outs (FALSE, WAIT_TIMEOUT, *lpOverlapped NULL),
   PostQueuedCompletionStatus packets in FIFO order, one association per
   file, associating with an existing port returns that port, bad
   handles. */
static void test_completion_port(void **State)
{
    HANDLE Port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
    HANDLE Device = UmOpen(L"\\\\.\\UmBuf", GENERIC_READ, FILE_FLAG_OVERLAPPED);
    HANDLE Event = CreateEventW(NULL, FALSE, FALSE, NULL);
    OVERLAPPED First, Second;
    LPOVERLAPPED Dequeued = &First;
    ULONG_PTR Key = 0;
    DWORD Bytes = 0;
    (void)State;
    assert_non_null(Port);
    assert_false(GetQueuedCompletionStatus(Port, &Bytes, &Key, &Dequeued, 0));
    assert_int_equal(GetLastError(), WAIT_TIMEOUT);
    assert_null(Dequeued);
    assert_false(GetQueuedCompletionStatus(Port, &Bytes, &Key, &Dequeued, 5));
    assert_int_equal(GetLastError(), WAIT_TIMEOUT);

    assert_true(PostQueuedCompletionStatus(Port, 11, 0xAA, &First));
    assert_true(PostQueuedCompletionStatus(Port, 22, 0xBB, &Second));
    assert_true(GetQueuedCompletionStatus(Port, &Bytes, &Key, &Dequeued, INFINITE));
    assert_int_equal(Bytes, 11);
    assert_int_equal(Key, 0xAA);
    assert_ptr_equal(Dequeued, &First);
    assert_true(GetQueuedCompletionStatus(Port, &Bytes, &Key, &Dequeued, 0));
    assert_ptr_equal(Dequeued, &Second);

    assert_ptr_equal(CreateIoCompletionPort(Device, Port, 7, 0), Port);
    assert_null(CreateIoCompletionPort(Device, Port, 8, 0));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    assert_null(CreateIoCompletionPort(INVALID_HANDLE_VALUE, Port, 0, 0));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    assert_null(CreateIoCompletionPort(Event, NULL, 0, 0));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    assert_false(GetQueuedCompletionStatus(Event, &Bytes, &Key, &Dequeued, 0));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    assert_false(PostQueuedCompletionStatus(Device, 0, 0, NULL));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    CloseHandle(Device);
    CloseHandle(Port);
    CloseHandle(Event);
}

/* Closing the port's last handle ends a wait in another thread with
   ERROR_ABANDONED_WAIT_0. */
typedef struct _PORT_WAITER {
    HANDLE Port;
    HANDLE Started;
    BOOL Result;
    DWORD Error;
    LPOVERLAPPED Overlapped;
} PORT_WAITER;

static DWORD WINAPI PortWaiter(LPVOID Parameter)
{
    PORT_WAITER *Waiter = (PORT_WAITER *)Parameter;
    ULONG_PTR Key;
    DWORD Bytes;
    SetEvent(Waiter->Started);
    Waiter->Result = GetQueuedCompletionStatus(Waiter->Port, &Bytes, &Key, &Waiter->Overlapped, INFINITE);
    Waiter->Error = GetLastError();
    return 0;
}

static void test_completion_port_closed(void **State)
{
    PORT_WAITER Waiter;
    HANDLE Thread;
    (void)State;
    memset(&Waiter, 0, sizeof(Waiter));
    Waiter.Port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
    Waiter.Started = CreateEventW(NULL, TRUE, FALSE, NULL);
    Thread = CreateThread(NULL, 0, PortWaiter, &Waiter, 0, NULL);
    assert_non_null(Thread);
    assert_int_equal(WaitForSingleObject(Waiter.Started, INFINITE), WAIT_OBJECT_0);
    /* Closing while it waits or before it waits: either way the wait ends. */
    CloseHandle(Waiter.Port);
    assert_int_equal(WaitForSingleObject(Thread, INFINITE), WAIT_OBJECT_0);
    assert_false(Waiter.Result);
    assert_true(Waiter.Error == ERROR_ABANDONED_WAIT_0 || Waiter.Error == ERROR_INVALID_HANDLE);
    assert_null(Waiter.Overlapped);
    CloseHandle(Thread);
    CloseHandle(Waiter.Started);
}

/* One object manager: a driver given the application's event handle
   references it (EVENT_MODIFY_STATE, *ExEventObjectType, UserMode) and
   sets it from a DPC. The wrong type of handle or too little access is
   refused by ObReferenceObjectByHandle (ERROR_INVALID_HANDLE /
   ERROR_ACCESS_DENIED reach the application). */
static void test_driver_signals_event(void **State)
{
    HANDLE Device = UmOpen(L"\\\\.\\UmBuf", GENERIC_READ, 0);
    HANDLE Event = CreateEventW(NULL, FALSE, FALSE, L"UmSignal");
    HANDLE SyncOnly = OpenEventW(SYNCHRONIZE, FALSE, L"UmSignal");
    DWORD Bytes;
    (void)State;
    assert_non_null(Event);
    assert_non_null(SyncOnly);
    assert_true(DeviceIoControl(Device, IOCTL_UM_SIGNAL, &Event, sizeof(Event), NULL, 0, &Bytes, NULL));
    assert_int_equal(WaitForSingleObject(Event, INFINITE), WAIT_OBJECT_0);
    /* A synchronization event: the wait consumed it. */
    assert_false(UmIsSignalled(Event));

    assert_false(DeviceIoControl(Device, IOCTL_UM_SIGNAL, &Device, sizeof(Device), NULL, 0, &Bytes, NULL));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    assert_false(DeviceIoControl(Device, IOCTL_UM_SIGNAL, &SyncOnly, sizeof(SyncOnly), NULL, 0, &Bytes, NULL));
    assert_int_equal(GetLastError(), ERROR_ACCESS_DENIED);
    /* The application cannot set it through that handle either. */
    assert_false(SetEvent(SyncOnly));
    assert_int_equal(GetLastError(), ERROR_ACCESS_DENIED);
    CloseHandle(SyncOnly);
    CloseHandle(Event);
    CloseHandle(Device);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        UM_TEST(test_table_overlapped_handle),
        UM_TEST(test_table_synchronous_handle),
        UM_TEST(test_no_overlapped),
        UM_TEST(test_get_overlapped_result),
        UM_TEST(test_event_low_bit),
        UM_TEST(test_skip_completion_port),
        UM_TEST(test_completion_port),
        UM_TEST(test_completion_port_closed),
        UM_TEST(test_driver_signals_event),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
