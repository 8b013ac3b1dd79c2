/*
 * DeviceIoControl: the buffering methods, the IOCTL access check, the
 * status-to-error mapping and bad input (SEMANTICS A.2, A.3, 8.1, 11.1,
 * 11.4).
 */
#include "umapp.h"

#ifdef __linux__
#include <sys/mman.h>
#endif

#define UM_IRP_BUFFERED_IO 0x00000010
#define UM_IRP_DEALLOCATE_BUFFER 0x00000020
#define UM_IRP_INPUT_OPERATION 0x00000040
#define UM_SL_READ_ACCESS_GRANTED 0x01
#define UM_SL_WRITE_ACCESS_GRANTED 0x04
#define UM_USER_MODE 1

static void FillInput(UCHAR *Buffer, ULONG Length)
{
    for (ULONG i = 0; i < Length; i++)
        Buffer[i] = (UCHAR)(0x10 + i);
}

/* METHOD_BUFFERED (8.1): one system buffer of max(in, out) bytes holding
   the input, zero beyond it; IoStatus.Information bytes copied back to the
   output buffer; flags BUFFERED_IO | DEALLOCATE_BUFFER (+ INPUT_OPERATION
   with output); UserBuffer is the output buffer. Zero lengths: no buffer,
   no flags. Request from user mode: RequestorMode and PreviousMode are
   UserMode in the dispatch routine. */
static void test_buffered_sizes(void **State)
{
    static const ULONG Sizes[][2] = {{0, 0}, {16, 0}, {0, 16}, {16, 16}, {8, 32}, {32, 8}};
    HANDLE Device = UmOpen(L"\\\\.\\UmBuf", GENERIC_READ | GENERIC_WRITE, 0);
    (void)State;
    for (ULONG t = 0; t < sizeof(Sizes) / sizeof(Sizes[0]); t++) {
        ULONG In = Sizes[t][0], Out = Sizes[t][1], Max = In > Out ? In : Out;
        UCHAR Input[64], Output[64];
        DWORD Bytes = 12345;
        UM_SEEN Seen;
        FillInput(Input, In);
        memset(Output, 0xEE, sizeof(Output));
        assert_true(DeviceIoControl(Device, IOCTL_UM_ECHO, In ? Input : NULL, In, Out ? Output : NULL, Out, &Bytes,
                                    NULL));
        assert_int_equal(Bytes, Out);
        for (ULONG i = 0; i < Out; i++)
            assert_int_equal(Output[i], UM_OUTPUT_BYTE(i));
        assert_int_equal(Output[Out], 0xEE); /* nothing beyond Information */
        UmTestGetSeen(&Seen);
        assert_int_equal(Seen.InputLength, In);
        assert_int_equal(Seen.OutputLength, Out);
        assert_int_equal(Seen.HasSystemBuffer, Max != 0);
        assert_false(Seen.HasMdl);
        assert_int_equal(Seen.RequestorMode, UM_USER_MODE);
        assert_int_equal(Seen.PreviousMode, UM_USER_MODE);
        if (Max == 0) {
            assert_int_equal(Seen.IrpFlags & (UM_IRP_BUFFERED_IO | UM_IRP_DEALLOCATE_BUFFER), 0);
            assert_null(Seen.UserBuffer);
            continue;
        }
        assert_int_equal(Seen.IrpFlags & (UM_IRP_BUFFERED_IO | UM_IRP_DEALLOCATE_BUFFER),
                         UM_IRP_BUFFERED_IO | UM_IRP_DEALLOCATE_BUFFER);
        assert_int_equal((Seen.IrpFlags & UM_IRP_INPUT_OPERATION) != 0, Out != 0);
        assert_ptr_equal(Seen.UserBuffer, Out ? Output : NULL);
        assert_memory_equal(Seen.Data, Input, In);
        for (ULONG i = In; i < Max; i++)
            assert_int_equal(Seen.Data[i], 0); /* the rest of the system buffer is zeroed */
    }
    CloseHandle(Device);
}

/* METHOD_IN_DIRECT / METHOD_OUT_DIRECT (8.1, A.2 step 6): the input in a
   system buffer, the output buffer described by a locked MDL (none for a
   zero length); OUT_DIRECT output written through the MDL reaches the
   caller's buffer directly. IN_DIRECT's buffer is read by the driver. */
static void test_direct_sizes(void **State)
{
    static const ULONG Sizes[][2] = {{0, 0}, {16, 0}, {0, 16}, {8, 40}, {40, 8}};
    HANDLE Device = UmOpen(L"\\\\.\\UmBuf", GENERIC_READ | GENERIC_WRITE, 0);
    (void)State;
    for (ULONG m = METHOD_IN_DIRECT; m <= METHOD_OUT_DIRECT; m++) {
        for (ULONG t = 0; t < sizeof(Sizes) / sizeof(Sizes[0]); t++) {
            ULONG In = Sizes[t][0], Out = Sizes[t][1];
            UCHAR Input[64], Output[64];
            DWORD Bytes = 12345;
            UM_SEEN Seen;
            FillInput(Input, In);
            for (ULONG i = 0; i < sizeof(Output); i++)
                Output[i] = (UCHAR)(0x50 + i);
            assert_true(DeviceIoControl(Device, UM_IOCTL(UM_FUNCTION_ECHO, m, FILE_ANY_ACCESS), In ? Input : NULL,
                                        In, Out ? Output : NULL, Out, &Bytes, NULL));
            UmTestGetSeen(&Seen);
            assert_int_equal(Seen.InputLength, In);
            assert_int_equal(Seen.OutputLength, Out);
            assert_int_equal(Seen.HasSystemBuffer, In != 0);
            assert_int_equal(Seen.IrpFlags & (UM_IRP_BUFFERED_IO | UM_IRP_DEALLOCATE_BUFFER),
                             In != 0 ? (UM_IRP_BUFFERED_IO | UM_IRP_DEALLOCATE_BUFFER) : 0);
            assert_memory_equal(Seen.Data, Input, In);
            assert_int_equal(Seen.HasMdl, Out != 0);
            assert_int_equal(Seen.MdlByteCount, Out);
            if (m == METHOD_OUT_DIRECT) {
                assert_int_equal(Bytes, Out);
                for (ULONG i = 0; i < Out; i++)
                    assert_int_equal(Output[i], UM_OUTPUT_BYTE(i));
            } else {
                assert_int_equal(Bytes, 0);
                for (ULONG i = 0; i < Out && i < sizeof(Seen.MdlData); i++)
                    assert_int_equal(Seen.MdlData[i], (UCHAR)(0x50 + i));
            }
        }
    }
    CloseHandle(Device);
}

/* METHOD_NEITHER: Type3InputBuffer and UserBuffer are the caller's own
   pointers, no system buffer, no MDL, lengths as given. */
static void test_neither(void **State)
{
    HANDLE Device = UmOpen(L"\\\\.\\UmBuf", GENERIC_READ | GENERIC_WRITE, 0);
    UCHAR Input[8] = {1, 2, 3, 4, 5, 6, 7, 8}, Output[12];
    DWORD Bytes;
    UM_SEEN Seen;
    (void)State;
    assert_true(DeviceIoControl(Device, UM_IOCTL(UM_FUNCTION_ECHO, METHOD_NEITHER, FILE_ANY_ACCESS), Input,
                                sizeof(Input), Output, sizeof(Output), &Bytes, NULL));
    UmTestGetSeen(&Seen);
    assert_ptr_equal(Seen.Type3InputBuffer, Input);
    assert_ptr_equal(Seen.UserBuffer, Output);
    assert_false(Seen.HasSystemBuffer);
    assert_false(Seen.HasMdl);
    assert_int_equal(Seen.IrpFlags & (UM_IRP_BUFFERED_IO | UM_IRP_DEALLOCATE_BUFFER), 0);
    assert_memory_equal(Seen.Data, Input, sizeof(Input));
    assert_int_equal(Bytes, sizeof(Output));
    assert_int_equal(Output[11], UM_OUTPUT_BYTE(11));
    CloseHandle(Device);
}

/* 11.4: FILE_READ_ACCESS needs FILE_READ_DATA on the handle,
   FILE_WRITE_ACCESS needs FILE_WRITE_DATA; otherwise the I/O manager fails
   the call with STATUS_ACCESS_DENIED (ERROR_ACCESS_DENIED) before any IRP
   is built. FILE_ANY_ACCESS works on any handle, even one opened with no
   data access at all. The slot carries SL_READ/WRITE_ACCESS_GRANTED. */
static void test_access_matrix(void **State)
{
    static const struct {
        DWORD Access;
        BOOL Read, Write;
    } Handles[] = {{0, FALSE, FALSE},
                   {GENERIC_READ, TRUE, FALSE},
                   {GENERIC_WRITE, FALSE, TRUE},
                   {GENERIC_READ | GENERIC_WRITE, TRUE, TRUE},
                   {FILE_READ_DATA, TRUE, FALSE},
                   {FILE_WRITE_DATA, FALSE, TRUE},
                   {FILE_GENERIC_READ | FILE_GENERIC_WRITE, TRUE, TRUE},
                   {FILE_APPEND_DATA, FALSE, FALSE}};
    (void)State;
    for (ULONG h = 0; h < sizeof(Handles) / sizeof(Handles[0]); h++) {
        HANDLE Device = UmOpen(L"\\\\.\\UmBuf", Handles[h].Access, 0);
        for (ULONG Access = FILE_ANY_ACCESS; Access <= (FILE_READ_ACCESS | FILE_WRITE_ACCESS); Access++) {
            BOOL Allowed = (!(Access & FILE_READ_ACCESS) || Handles[h].Read) &&
                           (!(Access & FILE_WRITE_ACCESS) || Handles[h].Write);
            ULONG Before, After;
            UM_SEEN Seen;
            DWORD Bytes;
            BOOL Result;
            UmTestGetSeen(&Seen);
            Before = Seen.Requests;
            SetLastError(0);
            Result = DeviceIoControl(Device, UM_IOCTL(UM_FUNCTION_ECHO, METHOD_BUFFERED, Access), NULL, 0, NULL, 0,
                                     &Bytes, NULL);
            UmTestGetSeen(&Seen);
            After = Seen.Requests;
            assert_int_equal(Result, Allowed);
            if (Allowed) {
                assert_int_equal(After, Before + 1);
                assert_int_equal(Seen.SlotFlags & (UM_SL_READ_ACCESS_GRANTED | UM_SL_WRITE_ACCESS_GRANTED),
                                 (Handles[h].Read ? UM_SL_READ_ACCESS_GRANTED : 0) |
                                     (Handles[h].Write ? UM_SL_WRITE_ACCESS_GRANTED : 0));
            } else {
                assert_int_equal(GetLastError(), ERROR_ACCESS_DENIED);
                assert_int_equal(After, Before); /* the driver never saw it */
            }
        }
        CloseHandle(Device);
    }
}

/* 11.1 / A.3: the driver's status comes back through
   RtlNtStatusToDosError. Errors: FALSE, nothing copied back. Warnings:
   FALSE, but the byte count and the data are returned
   (STATUS_BUFFER_OVERFLOW -> ERROR_MORE_DATA). */
static void test_error_mapping(void **State)
{
    static const struct {
        LONG Status;
        DWORD Error;
    } Errors[] = {{UM_STATUS_INVALID_DEVICE_REQUEST, ERROR_INVALID_FUNCTION},
                  {UM_STATUS_CANCELLED, ERROR_OPERATION_ABORTED},
                  {UM_STATUS_UNSUCCESSFUL, ERROR_GEN_FAILURE},
                  {UM_STATUS_ACCESS_DENIED, ERROR_ACCESS_DENIED},
                  {UM_STATUS_INVALID_PARAMETER, ERROR_INVALID_PARAMETER},
                  {UM_STATUS_END_OF_FILE, ERROR_HANDLE_EOF}};
    HANDLE Device = UmOpen(L"\\\\.\\UmBuf", GENERIC_READ | GENERIC_WRITE, 0);
    UCHAR Output[16];
    DWORD Bytes;
    (void)State;
    for (ULONG i = 0; i < sizeof(Errors) / sizeof(Errors[0]); i++) {
        assert_int_equal(UmTestStatusToError(Errors[i].Status), Errors[i].Error);
        UmTestSetBehavior(Errors[i].Status, UM_INFO_DEFAULT, UM_COMPLETE_INLINE);
        memset(Output, 0xEE, sizeof(Output));
        Bytes = 777;
        assert_false(DeviceIoControl(Device, IOCTL_UM_ECHO, NULL, 0, Output, sizeof(Output), &Bytes, NULL));
        assert_int_equal(GetLastError(), Errors[i].Error);
        assert_int_equal(Output[0], 0xEE); /* an error copies nothing back */
        assert_int_equal(Bytes, 777);
    }

    /* A warning with data. */
    UmTestSetBehavior(UM_STATUS_BUFFER_OVERFLOW, 10, UM_COMPLETE_INLINE);
    memset(Output, 0xEE, sizeof(Output));
    assert_false(DeviceIoControl(Device, IOCTL_UM_ECHO, NULL, 0, Output, sizeof(Output), &Bytes, NULL));
    assert_int_equal(GetLastError(), ERROR_MORE_DATA);
    assert_int_equal(Bytes, 10);
    assert_int_equal(Output[9], UM_OUTPUT_BYTE(9));
    assert_int_equal(Output[10], 0xEE); /* only Information bytes */
    UmTestSetBehavior(UM_STATUS_DEVICE_BUSY, 0, UM_COMPLETE_INLINE);
    assert_false(DeviceIoControl(Device, IOCTL_UM_ECHO, NULL, 0, Output, sizeof(Output), &Bytes, NULL));
    assert_int_equal(GetLastError(), ERROR_BUSY);

    /* An IOCTL the driver does not know: whatever the driver says. */
    UmTestSetBehavior(UM_STATUS_SUCCESS, UM_INFO_DEFAULT, UM_COMPLETE_INLINE);
    assert_false(DeviceIoControl(Device, IOCTL_UM_UNKNOWN, NULL, 0, NULL, 0, &Bytes, NULL));
    assert_int_equal(GetLastError(), ERROR_INVALID_FUNCTION);
    CloseHandle(Device);
}

/* Bad handles: STATUS_INVALID_HANDLE or STATUS_OBJECT_TYPE_MISMATCH, both
   ERROR_INVALID_HANDLE. */
static void test_bad_handles(void **State)
{
    HANDLE Device = UmOpen(L"\\\\.\\UmBuf", GENERIC_READ, 0);
    HANDLE Event = CreateEventW(NULL, TRUE, FALSE, NULL);
    HANDLE Bad[] = {NULL, (HANDLE)(ULONG_PTR)0x1234, (HANDLE)(ULONG_PTR)0x7FF0, INVALID_HANDLE_VALUE, Event,
                    GetCurrentThread(), Device};
    DWORD Bytes;
    (void)State;
    CloseHandle(Device); /* now a closed handle */
    for (ULONG i = 0; i < sizeof(Bad) / sizeof(Bad[0]); i++) {
        SetLastError(0);
        assert_false(DeviceIoControl(Bad[i], IOCTL_UM_ECHO, NULL, 0, NULL, 0, &Bytes, NULL));
        assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    }
    CloseHandle(Event);
}

/* Bad buffers (A.2 step 1, 6): the I/O manager probes them for a user-mode
   caller. A NULL buffer counts as none (its length is taken as 0, which is
   what the driver sees); a buffer that may not be touched fails the probe
   with STATUS_ACCESS_VIOLATION (ERROR_NOACCESS) and the driver never sees
   the request. A direct-I/O output buffer is locked with an MDL, so a NULL
   one with a length fails too. */
static void test_bad_buffers(void **State)
{
    static const char ReadOnly[64] = "a string literal lives in read-only memory";
    HANDLE Device = UmOpen(L"\\\\.\\UmBuf", GENERIC_READ | GENERIC_WRITE, 0);
    UCHAR Buffer[16];
    OVERLAPPED *BadOverlapped = (OVERLAPPED *)(ULONG_PTR)0x100;
    ULONG Before;
    UM_SEEN Seen;
    DWORD Bytes;
    (void)State;

    assert_true(DeviceIoControl(Device, IOCTL_UM_ECHO, NULL, 10, Buffer, sizeof(Buffer), &Bytes, NULL));
    UmTestGetSeen(&Seen);
    assert_int_equal(Seen.InputLength, 0);
    assert_true(DeviceIoControl(Device, IOCTL_UM_ECHO, Buffer, 4, NULL, 10, &Bytes, NULL));
    UmTestGetSeen(&Seen);
    assert_int_equal(Seen.OutputLength, 0);
    assert_int_equal(Bytes, 0);
    Before = Seen.Requests;

    assert_false(DeviceIoControl(Device, IOCTL_UM_ECHO, (PVOID)(ULONG_PTR)0x10, 10, NULL, 0, &Bytes, NULL));
    assert_int_equal(GetLastError(), ERROR_NOACCESS);
    assert_false(DeviceIoControl(Device, IOCTL_UM_ECHO, NULL, 0, (PVOID)ReadOnly, sizeof(ReadOnly), &Bytes, NULL));
    assert_int_equal(GetLastError(), ERROR_NOACCESS);
    assert_false(DeviceIoControl(Device, UM_IOCTL(UM_FUNCTION_ECHO, METHOD_OUT_DIRECT, FILE_ANY_ACCESS), NULL, 0,
                                 NULL, 16, &Bytes, NULL));
    assert_int_equal(GetLastError(), ERROR_NOACCESS);
    assert_false(DeviceIoControl(Device, IOCTL_UM_ECHO, NULL, 0, NULL, 0, &Bytes, BadOverlapped));
    assert_int_equal(GetLastError(), ERROR_NOACCESS);
    UmTestGetSeen(&Seen);
    assert_int_equal(Seen.Requests, Before);

    /* A read-only buffer is fine as input, and as IN_DIRECT's buffer. */
    assert_true(DeviceIoControl(Device, IOCTL_UM_ECHO, (PVOID)ReadOnly, 8, NULL, 0, &Bytes, NULL));
    assert_true(DeviceIoControl(Device, UM_IOCTL(UM_FUNCTION_ECHO, METHOD_IN_DIRECT, FILE_ANY_ACCESS), NULL, 0,
                                (PVOID)ReadOnly, 8, &Bytes, NULL));
    CloseHandle(Device);
}

#ifdef __linux__
/* A.2 step 1: the probes answer for the memory as it is at the call. A
   page the application made read-only after using it as an output buffer
   fails the output probe (ERROR_NOACCESS, the driver never sees the
   request), as does an output buffer that runs into an inaccessible page
   or an OVERLAPPED in read-only memory; the same page is fine as input.
   Buffers and the OVERLAPPED on the caller's stack pass. */
static void test_probe_follows_protection(void **State)
{
    const size_t Page = 4096;
    HANDLE Device = UmOpen(L"\\\\.\\UmBuf", GENERIC_READ | GENERIC_WRITE, 0);
    HANDLE Overlapped = UmOpen(L"\\\\.\\UmBuf", GENERIC_READ | GENERIC_WRITE, FILE_FLAG_OVERLAPPED);
    PUCHAR Map = (PUCHAR)mmap(NULL, 2 * Page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    UCHAR Stack[16];
    OVERLAPPED StackOverlapped;
    ULONG Before;
    UM_SEEN Seen;
    DWORD Bytes;
    (void)State;
    assert_true(Map != (PUCHAR)MAP_FAILED);

    assert_true(DeviceIoControl(Device, IOCTL_UM_ECHO, NULL, 0, Map, 16, &Bytes, NULL));
    assert_int_equal(Map[0], UM_OUTPUT_BYTE(0));
    assert_true(DeviceIoControl(Device, IOCTL_UM_ECHO, NULL, 0, Stack, sizeof(Stack), &Bytes, NULL));
    assert_int_equal(Stack[15], UM_OUTPUT_BYTE(15));
    memset(&StackOverlapped, 0, sizeof(StackOverlapped));
    assert_true(DeviceIoControl(Overlapped, IOCTL_UM_ECHO, NULL, 0, Stack, sizeof(Stack), &Bytes, &StackOverlapped));
    UmTestGetSeen(&Seen);
    Before = Seen.Requests;

    assert_int_equal(mprotect(Map, Page, PROT_READ), 0);
    assert_false(DeviceIoControl(Device, IOCTL_UM_ECHO, NULL, 0, Map, 16, &Bytes, NULL));
    assert_int_equal(GetLastError(), ERROR_NOACCESS);
    assert_false(DeviceIoControl(Overlapped, IOCTL_UM_ECHO, NULL, 0, NULL, 0, &Bytes, (LPOVERLAPPED)Map));
    assert_int_equal(GetLastError(), ERROR_NOACCESS);
    assert_int_equal(mprotect(Map + Page, Page, PROT_NONE), 0);
    assert_false(DeviceIoControl(Device, IOCTL_UM_ECHO, NULL, 0, Map + Page - 8, 16, &Bytes, NULL));
    assert_int_equal(GetLastError(), ERROR_NOACCESS);
    UmTestGetSeen(&Seen);
    assert_int_equal(Seen.Requests, Before);

    assert_true(DeviceIoControl(Device, IOCTL_UM_ECHO, Map, 16, NULL, 0, &Bytes, NULL));
    assert_int_equal(munmap(Map, 2 * Page), 0);
    CloseHandle(Overlapped);
    CloseHandle(Device);
}
#endif

/* The trace names each Win32 call, its handle and the IRP it made, and
   its result and last error. */
static void test_trace(void **State)
{
    HANDLE Device = UmOpen(L"\\\\.\\UmBuf", GENERIC_READ, 0);
    PVOID Handle = NULL, Irp = NULL;
    ULONG_PTR Result = 0, Error = 0;
    DWORD Bytes;
    (void)State;
    UmTestTraceStart();
    assert_true(DeviceIoControl(Device, IOCTL_UM_ECHO, NULL, 0, NULL, 0, &Bytes, NULL));
    assert_true(UmTestFindWin32Call("DeviceIoControl", &Handle, &Irp));
    assert_ptr_equal(Handle, Device);
    assert_non_null(Irp);
    assert_true(UmTestFindWin32Return("DeviceIoControl", &Result, &Error));
    assert_int_equal(Result, TRUE);
    SetLastError(0);
    assert_false(DeviceIoControl(Device, IOCTL_UM_UNKNOWN, NULL, 0, NULL, 0, &Bytes, NULL));
    assert_true(UmTestFindWin32Return("DeviceIoControl", &Result, &Error));
    assert_int_equal(Result, FALSE);
    assert_int_equal(Error, ERROR_INVALID_FUNCTION);
    CloseHandle(Device);
    assert_true(UmTestFindWin32Call("CloseHandle", &Handle, &Irp));
    assert_null(Irp); /* CloseHandle's IRPs are the I/O manager's own */
}

/* A driver opens another device with ZwCreateFile (OBJ_KERNEL_HANDLE)
   and uses it with ZwDeviceIoControlFile / ZwReadFile / ZwWriteFile /
   ZwClose: those requests carry RequestorMode KernelMode and run with
   PreviousMode KernelMode; back in the driver's own dispatch routine the
   application's UserMode is in force again. The kernel handle cannot be
   used from the application. */
static void test_driver_uses_zw(void **State)
{
    HANDLE Device = UmOpen(L"\\\\.\\UmBuf", GENERIC_READ, 0);
    UM_ZW_RESULT Result;
    UM_COUNTS Counts;
    DWORD Bytes;
    (void)State;
    memset(&Result, 0xCC, sizeof(Result));
    assert_true(DeviceIoControl(Device, IOCTL_UM_ZW, NULL, 0, &Result, sizeof(Result), &Bytes, NULL));
    assert_int_equal(Bytes, sizeof(Result));
    assert_int_equal(Result.CreateStatus, UM_STATUS_SUCCESS);
    assert_int_equal(Result.IoctlStatus, UM_STATUS_SUCCESS);
    assert_int_equal(Result.IoctlInformation, 8);
    assert_int_equal(Result.IoctlOutput[7], UM_OUTPUT_BYTE(7));
    assert_int_equal(Result.InnerRequestorMode, 0 /* KernelMode */);
    assert_int_equal(Result.InnerPreviousMode, 0);
    assert_int_equal(Result.OuterPreviousMode, UM_USER_MODE);
    assert_int_equal(Result.ReadStatus, UM_STATUS_SUCCESS);
    assert_int_equal(Result.ReadInformation, 8);
    assert_int_equal(Result.ReadData[0], UM_READ_BYTE(3));
    assert_int_equal(Result.WriteStatus, UM_STATUS_SUCCESS);
    assert_int_equal(Result.CloseStatus, UM_STATUS_SUCCESS);
    UmTestGetCounts(&Counts);
    assert_int_equal(Counts.Creates, 2);
    assert_int_equal(Counts.Cleanups, 1);
    assert_int_equal(Counts.Closes, 1);
    CloseHandle(Device);
    /* A kernel handle means nothing to the application. */
    assert_false(DeviceIoControl(Result.KernelHandle, IOCTL_UM_ECHO, NULL, 0, NULL, 0, &Bytes, NULL));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        UM_TEST(test_buffered_sizes), UM_TEST(test_direct_sizes), UM_TEST(test_neither),
        UM_TEST(test_access_matrix),  UM_TEST(test_error_mapping), UM_TEST(test_bad_handles),
        UM_TEST(test_bad_buffers),    UM_TEST(test_trace),         UM_TEST(test_driver_uses_zw),
#ifdef __linux__
        UM_TEST(test_probe_follows_protection),
#endif
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
