/*
 * ReadFile, WriteFile, ReadFileEx, WriteFileEx and user APCs (SEMANTICS
 * A.3, A.4, 3.6 REPORT step 4).
 */
#include "umapp.h"

#define UM_IRP_BUFFERED_IO 0x00000010
#define UM_IRP_DEALLOCATE_BUFFER 0x00000020
#define UM_IRP_INPUT_OPERATION 0x00000040
#define UM_IRP_READ_OPERATION 0x00000100
#define UM_IRP_WRITE_OPERATION 0x00000200

/* A.4: buffering follows the target device: DO_BUFFERED_IO (a system
   buffer; read data copied back at completion, write data copied in),
   DO_DIRECT_IO (an MDL over the caller's buffer), neither (UserBuffer is
   the caller's buffer). IRP_READ_OPERATION / IRP_WRITE_OPERATION. A zero
   length makes no buffer and no MDL. */
static void test_buffering(void **State)
{
    static const WCHAR *Names[] = {L"\\\\.\\UmBuf", L"\\\\.\\UmDirect", L"\\\\.\\UmNeither"};
    (void)State;
    for (ULONG d = 0; d < 3; d++) {
        HANDLE Device = UmOpen(Names[d], GENERIC_READ | GENERIC_WRITE, 0);
        UCHAR Buffer[32], Data[20];
        DWORD Bytes = 0;
        UM_SEEN Seen;

        assert_true(ReadFile(Device, Buffer, sizeof(Buffer), &Bytes, NULL));
        assert_int_equal(Bytes, sizeof(Buffer));
        for (ULONG i = 0; i < sizeof(Buffer); i++)
            assert_int_equal(Buffer[i], UM_READ_BYTE(i));
        UmTestGetSeen(&Seen);
        assert_int_equal(Seen.OutputLength, sizeof(Buffer));
        assert_int_equal(Seen.IrpFlags & (UM_IRP_READ_OPERATION | UM_IRP_WRITE_OPERATION), UM_IRP_READ_OPERATION);
        assert_int_equal(Seen.HasSystemBuffer, d == 0);
        assert_int_equal(Seen.HasMdl, d == 1);
        if (d == 0)
            assert_int_equal(Seen.IrpFlags & (UM_IRP_BUFFERED_IO | UM_IRP_DEALLOCATE_BUFFER | UM_IRP_INPUT_OPERATION),
                             UM_IRP_BUFFERED_IO | UM_IRP_DEALLOCATE_BUFFER | UM_IRP_INPUT_OPERATION);
        if (d == 1)
            assert_int_equal(Seen.MdlByteCount, sizeof(Buffer));
        assert_ptr_equal(Seen.UserBuffer, Buffer);

        for (ULONG i = 0; i < sizeof(Data); i++)
            Data[i] = (UCHAR)(0x30 + i);
        assert_true(WriteFile(Device, Data, sizeof(Data), &Bytes, NULL));
        assert_int_equal(Bytes, sizeof(Data));
        UmTestGetSeen(&Seen);
        assert_int_equal(Seen.IrpFlags & (UM_IRP_READ_OPERATION | UM_IRP_WRITE_OPERATION), UM_IRP_WRITE_OPERATION);
        assert_memory_equal(Seen.Data, Data, sizeof(Data));
        if (d == 0)
            assert_int_equal(Seen.IrpFlags & (UM_IRP_BUFFERED_IO | UM_IRP_DEALLOCATE_BUFFER | UM_IRP_INPUT_OPERATION),
                             UM_IRP_BUFFERED_IO | UM_IRP_DEALLOCATE_BUFFER);

        assert_true(ReadFile(Device, Buffer, 0, &Bytes, NULL));
        assert_int_equal(Bytes, 0);
        UmTestGetSeen(&Seen);
        assert_false(Seen.HasSystemBuffer);
        assert_false(Seen.HasMdl);
        CloseHandle(Device);
    }
}

/* A.4: a synchronous handle reads and writes at its file position, which
   moves on by the bytes transferred on success (also after an explicit
   offset from an OVERLAPPED); a failed request leaves it. */
static void test_file_position(void **State)
{
    HANDLE Device = UmOpen(L"\\\\.\\UmBuf", GENERIC_READ | GENERIC_WRITE, 0);
    UCHAR Buffer[10];
    OVERLAPPED Overlapped;
    DWORD Bytes;
    UM_SEEN Seen;
    (void)State;
    assert_true(ReadFile(Device, Buffer, 10, &Bytes, NULL));
    UmTestGetSeen(&Seen);
    assert_int_equal(Seen.ByteOffset, 0);
    assert_true(ReadFile(Device, Buffer, 10, &Bytes, NULL));
    UmTestGetSeen(&Seen);
    assert_int_equal(Seen.ByteOffset, 10);
    assert_int_equal(Buffer[0], UM_READ_BYTE(10));
    assert_true(WriteFile(Device, Buffer, 5, &Bytes, NULL));
    UmTestGetSeen(&Seen);
    assert_int_equal(Seen.ByteOffset, 20);

    memset(&Overlapped, 0, sizeof(Overlapped));
    Overlapped.Offset = 100;
    assert_true(ReadFile(Device, Buffer, 10, &Bytes, &Overlapped));
    UmTestGetSeen(&Seen);
    assert_int_equal(Seen.ByteOffset, 100);
    assert_int_equal(Buffer[0], UM_READ_BYTE(100));

    UmTestSetBehavior(UM_STATUS_UNSUCCESSFUL, 0, UM_COMPLETE_INLINE);
    assert_false(ReadFile(Device, Buffer, 10, &Bytes, NULL));
    assert_int_equal(GetLastError(), ERROR_GEN_FAILURE);
    UmTestSetBehavior(UM_STATUS_SUCCESS, UM_INFO_DEFAULT, UM_COMPLETE_INLINE);
    assert_true(ReadFile(Device, Buffer, 10, &Bytes, NULL));
    UmTestGetSeen(&Seen);
    assert_int_equal(Seen.ByteOffset, 110);
    CloseHandle(Device);
}

/* A.4: an overlapped handle takes the offset from the OVERLAPPED (both
   halves); without an OVERLAPPED the I/O manager refuses the request
   (STATUS_INVALID_PARAMETER); negative offsets are refused. */
static void test_overlapped_offsets(void **State)
{
    HANDLE Device = UmOpen(L"\\\\.\\UmBuf", GENERIC_READ | GENERIC_WRITE, FILE_FLAG_OVERLAPPED);
    UCHAR Buffer[8];
    OVERLAPPED Overlapped;
    ULONG Before;
    DWORD Bytes;
    UM_SEEN Seen;
    (void)State;
    memset(&Overlapped, 0, sizeof(Overlapped));
    Overlapped.Offset = 0x1000;
    Overlapped.OffsetHigh = 1;
    assert_true(ReadFile(Device, Buffer, sizeof(Buffer), &Bytes, &Overlapped));
    assert_int_equal(Bytes, sizeof(Buffer));
    UmTestGetSeen(&Seen);
    assert_int_equal(Seen.ByteOffset, 0x100001000LL);
    Before = Seen.Requests;

    assert_false(ReadFile(Device, Buffer, sizeof(Buffer), &Bytes, NULL));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    assert_false(WriteFile(Device, Buffer, sizeof(Buffer), &Bytes, NULL));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    Overlapped.OffsetHigh = 0x80000000;
    assert_false(ReadFile(Device, Buffer, sizeof(Buffer), &Bytes, &Overlapped));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    UmTestGetSeen(&Seen);
    assert_int_equal(Seen.Requests, Before);
    CloseHandle(Device);
}

/* A read needs FILE_READ_DATA, a write FILE_WRITE_DATA or
   FILE_APPEND_DATA on the handle (ERROR_ACCESS_DENIED). Bad buffers and
   handles are refused without reaching the driver. */
static void test_access_and_bad_input(void **State)
{
    static const UCHAR ReadOnly[16] = {1};
    HANDLE Reader = UmOpen(L"\\\\.\\UmBuf", GENERIC_READ, 0);
    HANDLE Writer = UmOpen(L"\\\\.\\UmBuf", GENERIC_WRITE, 0);
    HANDLE Appender = UmOpen(L"\\\\.\\UmBuf", FILE_APPEND_DATA, 0);
    HANDLE Event = CreateEventW(NULL, TRUE, FALSE, NULL);
    UCHAR Buffer[16];
    DWORD Bytes;
    (void)State;
    assert_false(ReadFile(Writer, Buffer, sizeof(Buffer), &Bytes, NULL));
    assert_int_equal(GetLastError(), ERROR_ACCESS_DENIED);
    assert_false(WriteFile(Reader, Buffer, sizeof(Buffer), &Bytes, NULL));
    assert_int_equal(GetLastError(), ERROR_ACCESS_DENIED);
    assert_true(WriteFile(Appender, Buffer, sizeof(Buffer), &Bytes, NULL));
    assert_true(ReadFile(Reader, Buffer, sizeof(Buffer), &Bytes, NULL));

    assert_false(ReadFile(Reader, NULL, 10, &Bytes, NULL));
    assert_int_equal(GetLastError(), ERROR_NOACCESS);
    assert_false(ReadFile(Reader, (PVOID)ReadOnly, sizeof(ReadOnly), &Bytes, NULL));
    assert_int_equal(GetLastError(), ERROR_NOACCESS);
    assert_false(WriteFile(Writer, NULL, 10, &Bytes, NULL));
    assert_int_equal(GetLastError(), ERROR_NOACCESS);
    assert_true(WriteFile(Writer, ReadOnly, sizeof(ReadOnly), &Bytes, NULL));
    assert_false(ReadFile(Event, Buffer, sizeof(Buffer), &Bytes, NULL));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    assert_false(WriteFile(NULL, Buffer, sizeof(Buffer), &Bytes, NULL));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    CloseHandle(Reader);
    CloseHandle(Writer);
    CloseHandle(Appender);
    CloseHandle(Event);
}

/* kernel32: a synchronous ReadFile at end of file (STATUS_END_OF_FILE)
   succeeds with 0 bytes; with an OVERLAPPED it fails with
   ERROR_HANDLE_EOF. */
static void test_end_of_file(void **State)
{
    HANDLE Device = UmOpen(L"\\\\.\\UmBuf", GENERIC_READ, 0);
    HANDLE Async = UmOpen(L"\\\\.\\UmBuf", GENERIC_READ, FILE_FLAG_OVERLAPPED);
    UCHAR Buffer[8];
    OVERLAPPED Overlapped;
    DWORD Bytes = 99;
    (void)State;
    UmTestSetBehavior(UM_STATUS_END_OF_FILE, 0, UM_COMPLETE_INLINE);
    assert_true(ReadFile(Device, Buffer, sizeof(Buffer), &Bytes, NULL));
    assert_int_equal(Bytes, 0);
    memset(&Overlapped, 0, sizeof(Overlapped));
    assert_false(ReadFile(Async, Buffer, sizeof(Buffer), &Bytes, &Overlapped));
    assert_int_equal(GetLastError(), ERROR_HANDLE_EOF);
    UmTestSetBehavior(UM_STATUS_END_OF_FILE, 0, UM_PEND_DPC);
    assert_true(ReadFile(Device, Buffer, sizeof(Buffer), &Bytes, NULL));
    assert_int_equal(Bytes, 0);
    CloseHandle(Device);
    CloseHandle(Async);
}

typedef struct _COMPLETION_RECORD {
    int Calls;
    DWORD Error;
    DWORD Bytes;
    LPOVERLAPPED Overlapped;
    DWORD ThreadId;
} COMPLETION_RECORD;
static COMPLETION_RECORD Completion;

static VOID WINAPI OnComplete(DWORD dwErrorCode, DWORD dwNumberOfBytesTransfered, LPOVERLAPPED lpOverlapped)
{
    Completion.Calls++;
    Completion.Error = dwErrorCode;
    Completion.Bytes = dwNumberOfBytesTransfered;
    Completion.Overlapped = lpOverlapped;
    Completion.ThreadId = GetCurrentThreadId();
}

/* A.3: ReadFileEx's completion routine is a user APC: it runs only when
   the issuing thread waits alertably (SleepEx(..., TRUE) then returns
   WAIT_IO_COMPLETION), with the mapped error (0 on success), the byte
   count and the OVERLAPPED. It is queued when the request is reported:
   also when it completes at once; not when it fails with an error at
   once (ReadFileEx returns FALSE then). */
static void test_read_file_ex(void **State)
{
    HANDLE Device = UmOpen(L"\\\\.\\UmBuf", GENERIC_READ | GENERIC_WRITE, FILE_FLAG_OVERLAPPED);
    UCHAR Buffer[32];
    OVERLAPPED Overlapped;
    (void)State;
    memset(&Completion, 0, sizeof(Completion));
    memset(&Overlapped, 0, sizeof(Overlapped));

    /* Pended, completed from a DPC later. */
    UmTestSetBehavior(UM_STATUS_SUCCESS, UM_INFO_DEFAULT, UM_PEND_QUEUE);
    assert_true(ReadFileEx(Device, Buffer, sizeof(Buffer), &Overlapped, OnComplete));
    assert_int_equal(SleepEx(0, TRUE), 0);
    assert_int_equal(UmTestCompleteQueued(UM_STATUS_SUCCESS, UM_INFO_DEFAULT, TRUE), 1);
    Sleep(0); /* not alertable: the routine must not run */
    assert_int_equal(Completion.Calls, 0);
    assert_int_equal(SleepEx(INFINITE, TRUE), WAIT_IO_COMPLETION);
    assert_int_equal(Completion.Calls, 1);
    assert_int_equal(Completion.Error, ERROR_SUCCESS);
    assert_int_equal(Completion.Bytes, sizeof(Buffer));
    assert_ptr_equal(Completion.Overlapped, &Overlapped);
    assert_int_equal(Completion.ThreadId, GetCurrentThreadId());
    assert_int_equal(Buffer[5], UM_READ_BYTE(5));

    /* Completed at once: still an APC. */
    UmTestSetBehavior(UM_STATUS_SUCCESS, UM_INFO_DEFAULT, UM_COMPLETE_INLINE);
    assert_true(WriteFileEx(Device, Buffer, 7, &Overlapped, OnComplete));
    assert_int_equal(GetLastError(), ERROR_SUCCESS);
    assert_int_equal(Completion.Calls, 1);
    assert_int_equal(SleepEx(0, TRUE), WAIT_IO_COMPLETION);
    assert_int_equal(Completion.Calls, 2);
    assert_int_equal(Completion.Bytes, 7);

    /* A warning at once: TRUE, the warning in GetLastError and the routine. */
    UmTestSetBehavior(UM_STATUS_BUFFER_OVERFLOW, 4, UM_COMPLETE_INLINE);
    assert_true(ReadFileEx(Device, Buffer, sizeof(Buffer), &Overlapped, OnComplete));
    assert_int_equal(GetLastError(), ERROR_MORE_DATA);
    assert_int_equal(SleepEx(0, TRUE), WAIT_IO_COMPLETION);
    assert_int_equal(Completion.Error, ERROR_MORE_DATA);
    assert_int_equal(Completion.Bytes, 4);

    /* Pended and cancelled: the routine sees ERROR_OPERATION_ABORTED. */
    UmTestSetBehavior(UM_STATUS_SUCCESS, UM_INFO_DEFAULT, UM_PEND_QUEUE);
    assert_true(ReadFileEx(Device, Buffer, sizeof(Buffer), &Overlapped, OnComplete));
    assert_true(CancelIo(Device));
    assert_int_equal(SleepEx(INFINITE, TRUE), WAIT_IO_COMPLETION);
    assert_int_equal(Completion.Error, ERROR_OPERATION_ABORTED);

    /* An error at once: FALSE and no routine. */
    UmTestSetBehavior(UM_STATUS_UNSUCCESSFUL, 0, UM_COMPLETE_INLINE);
    assert_false(ReadFileEx(Device, Buffer, sizeof(Buffer), &Overlapped, OnComplete));
    assert_int_equal(GetLastError(), ERROR_GEN_FAILURE);
    assert_int_equal(SleepEx(0, TRUE), 0);
    assert_int_equal(Completion.Calls, 4);

    /* Bad arguments. */
    assert_false(ReadFileEx(Device, Buffer, sizeof(Buffer), NULL, OnComplete));
    assert_int_equal(GetLastError(), ERROR_NOACCESS);
    assert_false(ReadFileEx(Device, Buffer, sizeof(Buffer), &Overlapped, NULL));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    CloseHandle(Device);
}

/* A file associated with a completion port takes no APC routine: the I/O
   manager refuses it (STATUS_INVALID_PARAMETER). */
static void test_read_file_ex_with_port(void **State)
{
    HANDLE Device = UmOpen(L"\\\\.\\UmBuf", GENERIC_READ, FILE_FLAG_OVERLAPPED);
    HANDLE Port = CreateIoCompletionPort(Device, NULL, 0, 0);
    UCHAR Buffer[4];
    OVERLAPPED Overlapped;
    (void)State;
    memset(&Overlapped, 0, sizeof(Overlapped));
    assert_false(ReadFileEx(Device, Buffer, sizeof(Buffer), &Overlapped, OnComplete));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    CloseHandle(Device);
    CloseHandle(Port);
}

static VOID NTAPI RecordApc(ULONG_PTR Parameter)
{
    int *Order = (int *)Parameter;
    *Order = ++Completion.Calls;
}

/* QueueUserAPC: the routine runs in an alertable wait, first queued
   first; WaitForSingleObjectEx then returns WAIT_IO_COMPLETION. A bad
   thread handle fails (ERROR_INVALID_HANDLE). */
static void test_queue_user_apc(void **State)
{
    HANDLE Event = CreateEventW(NULL, TRUE, FALSE, NULL);
    int First = 0, Second = 0;
    (void)State;
    memset(&Completion, 0, sizeof(Completion));
    assert_int_not_equal(QueueUserAPC(RecordApc, GetCurrentThread(), (ULONG_PTR)&First), 0);
    assert_int_not_equal(QueueUserAPC(RecordApc, GetCurrentThread(), (ULONG_PTR)&Second), 0);
    assert_int_equal(WaitForSingleObject(Event, 0), WAIT_TIMEOUT); /* not alertable */
    assert_int_equal(First, 0);
    assert_int_equal(WaitForSingleObjectEx(Event, INFINITE, TRUE), WAIT_IO_COMPLETION);
    assert_int_equal(First, 1);
    assert_int_equal(Second, 2);
    assert_int_equal(SleepEx(0, TRUE), 0);
    assert_int_equal(QueueUserAPC(RecordApc, Event, 0), 0);
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    assert_int_equal(QueueUserAPC(NULL, GetCurrentThread(), 0), 0);
    CloseHandle(Event);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        UM_TEST(test_buffering),           UM_TEST(test_file_position),  UM_TEST(test_overlapped_offsets),
        UM_TEST(test_access_and_bad_input), UM_TEST(test_end_of_file),   UM_TEST(test_read_file_ex),
        UM_TEST(test_read_file_ex_with_port), UM_TEST(test_queue_user_apc),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
