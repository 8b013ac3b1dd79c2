/*
 * CreateFile and CloseHandle: names, IRP_MJ_CREATE as the I/O manager
 * builds it, exclusive devices, failed opens, IRP_MJ_CLEANUP and
 * IRP_MJ_CLOSE (SEMANTICS A.1, A.5).
 */
#include "umapp.h"

/* WDK values the create IRP carries (the application side has no WDK
   headers). */
#define UM_FILE_SUPERSEDE 0
#define UM_FILE_OPEN 1
#define UM_FILE_CREATE 2
#define UM_FILE_OPEN_IF 3
#define UM_FILE_OVERWRITE 4
#define UM_FILE_OVERWRITE_IF 5
#define UM_FILE_SYNCHRONOUS_IO_NONALERT 0x20
#define UM_FILE_NON_DIRECTORY_FILE 0x40
#define UM_FO_SYNCHRONOUS_IO 0x2
#define UM_IRP_SYNCHRONOUS_API 0x4
#define UM_IRP_CREATE_OPERATION 0x80
#define UM_IRP_DEFER_IO_COMPLETION 0x800

/* A.1: "\\.\Name" is "\??\Name", a symbolic link to \Device\Name; NT
   paths work too; names are not case sensitive; what follows the
   device's name is the file object's FileName. */
static void test_names(void **State)
{
    static const WCHAR *Good[] = {L"\\\\.\\UmBuf", L"\\\\.\\umbuf", L"\\??\\UmBuf", L"\\Device\\UmBuf",
                                  L"\\DosDevices\\UmBuf", L"\\\\?\\UmBuf", L"//./UmBuf"};
    UM_COUNTS Counts;
    HANDLE Device;
    (void)State;
    for (ULONG i = 0; i < sizeof(Good) / sizeof(Good[0]); i++) {
        Device = CreateFileW(Good[i], GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL);
        assert_true(Device != INVALID_HANDLE_VALUE);
        assert_true(CloseHandle(Device));
    }
    Device = CreateFileA("\\\\.\\UmBuf", GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL);
    assert_true(Device != INVALID_HANDLE_VALUE);
    CloseHandle(Device);

    Device = CreateFileW(L"\\\\.\\UmBuf\\some\\file", GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL);
    assert_true(Device != INVALID_HANDLE_VALUE);
    UmTestGetCounts(&Counts);
    assert_true(wcscmp(Counts.CreateFileName, L"\\some\\file") == 0);
    CloseHandle(Device);
}

/* Names that lead nowhere: ERROR_FILE_NOT_FOUND for a missing name in a
   directory that exists, ERROR_PATH_NOT_FOUND for a missing directory. */
static void test_bad_names(void **State)
{
    static const struct {
        const WCHAR *Name;
        DWORD Error;
    } Bad[] = {{L"\\\\.\\NoSuchDevice", ERROR_FILE_NOT_FOUND},
               {L"\\Device\\NoSuchDevice", ERROR_FILE_NOT_FOUND},
               {L"nosuchfile.txt", ERROR_FILE_NOT_FOUND},
               {L"\\\\.\\NoSuchDevice\\file", ERROR_PATH_NOT_FOUND},
               {L"C:\\no\\such\\file", ERROR_PATH_NOT_FOUND},
               {L"\\NoSuchDirectory\\x", ERROR_PATH_NOT_FOUND},
               {L"", ERROR_PATH_NOT_FOUND}};
    (void)State;
    for (ULONG i = 0; i < sizeof(Bad) / sizeof(Bad[0]); i++) {
        SetLastError(0);
        assert_true(CreateFileW(Bad[i].Name, GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL) == INVALID_HANDLE_VALUE);
        assert_int_equal(GetLastError(), Bad[i].Error);
    }
    assert_true(CreateFileW(NULL, GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL) == INVALID_HANDLE_VALUE);
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    assert_true(CreateFileA("\\\\.\\NoSuchDevice", GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL) ==
                INVALID_HANDLE_VALUE);
    assert_int_equal(GetLastError(), ERROR_FILE_NOT_FOUND);
}

/* A.1: IRP_MJ_CREATE carries IRP_CREATE_OPERATION | IRP_SYNCHRONOUS_API |
   IRP_DEFER_IO_COMPLETION, the desired access with GENERIC_* mapped
   (kernel32 adds SYNCHRONIZE | FILE_READ_ATTRIBUTES), the disposition in
   the high byte of Options, FILE_SYNCHRONOUS_IO_NONALERT unless
   FILE_FLAG_OVERLAPPED (and then FO_SYNCHRONOUS_IO on the new file
   object), the share access and attributes. */
static void test_create_irp(void **State)
{
    static const struct {
        DWORD Win32;
        ULONG Nt;
    } Dispositions[] = {{CREATE_NEW, UM_FILE_CREATE},
                        {CREATE_ALWAYS, UM_FILE_OVERWRITE_IF},
                        {OPEN_EXISTING, UM_FILE_OPEN},
                        {OPEN_ALWAYS, UM_FILE_OPEN_IF},
                        {TRUNCATE_EXISTING, UM_FILE_OVERWRITE}};
    UM_COUNTS Counts;
    HANDLE Device;
    (void)State;

    Device = CreateFileW(L"\\\\.\\UmBuf", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING,
                         FILE_ATTRIBUTE_NORMAL, NULL);
    assert_true(Device != INVALID_HANDLE_VALUE);
    UmTestGetCounts(&Counts);
    assert_int_equal(Counts.Creates, 1);
    assert_int_equal(Counts.CreateIrpFlags,
                     UM_IRP_CREATE_OPERATION | UM_IRP_SYNCHRONOUS_API | UM_IRP_DEFER_IO_COMPLETION);
    assert_int_equal(Counts.CreateAccess, FILE_GENERIC_READ | FILE_READ_ATTRIBUTES | SYNCHRONIZE);
    assert_int_equal(Counts.CreateOptions,
                     (UM_FILE_OPEN << 24) | UM_FILE_SYNCHRONOUS_IO_NONALERT | UM_FILE_NON_DIRECTORY_FILE);
    assert_int_equal(Counts.CreateShareAccess, FILE_SHARE_READ | FILE_SHARE_WRITE);
    assert_int_equal(Counts.CreateFileAttributes, FILE_ATTRIBUTE_NORMAL);
    assert_int_equal(Counts.CreateFileObjectFlags & UM_FO_SYNCHRONOUS_IO, UM_FO_SYNCHRONOUS_IO);
    CloseHandle(Device);

    Device = CreateFileW(L"\\\\.\\UmBuf", GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
                         FILE_FLAG_OVERLAPPED, NULL);
    assert_true(Device != INVALID_HANDLE_VALUE);
    UmTestGetCounts(&Counts);
    assert_int_equal(Counts.CreateAccess, FILE_GENERIC_READ | FILE_GENERIC_WRITE);
    assert_int_equal(Counts.CreateOptions, (UM_FILE_OPEN << 24) | UM_FILE_NON_DIRECTORY_FILE);
    assert_int_equal(Counts.CreateFileObjectFlags & UM_FO_SYNCHRONOUS_IO, 0);
    CloseHandle(Device);

    for (ULONG i = 0; i < sizeof(Dispositions) / sizeof(Dispositions[0]); i++) {
        SetLastError(12345);
        Device = CreateFileW(L"\\\\.\\UmBuf", GENERIC_WRITE, 0, NULL, Dispositions[i].Win32, 0, NULL);
        assert_true(Device != INVALID_HANDLE_VALUE);
        UmTestGetCounts(&Counts);
        assert_int_equal(Counts.CreateOptions >> 24, Dispositions[i].Nt);
        /* The driver answers FILE_OPENED: OPEN_ALWAYS found it there. */
        assert_int_equal(GetLastError(), Dispositions[i].Win32 == OPEN_ALWAYS ? ERROR_ALREADY_EXISTS : ERROR_SUCCESS);
        CloseHandle(Device);
    }
    assert_true(CreateFileW(L"\\\\.\\UmBuf", GENERIC_READ, 0, NULL, 0, 0, NULL) == INVALID_HANDLE_VALUE);
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    assert_true(CreateFileW(L"\\\\.\\UmBuf", GENERIC_READ, 0, NULL, 6, 0, NULL) == INVALID_HANDLE_VALUE);
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
}

/* A.1: a DO_EXCLUSIVE device that is open refuses a second open
   (STATUS_ACCESS_DENIED); once closed it opens again. */
static void test_exclusive(void **State)
{
    HANDLE First = UmOpen(L"\\\\.\\UmExcl", GENERIC_READ, 0);
    HANDLE Second;
    UM_COUNTS Counts;
    (void)State;
    Second = CreateFileW(L"\\\\.\\UmExcl", GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
    assert_true(Second == INVALID_HANDLE_VALUE);
    assert_int_equal(GetLastError(), ERROR_ACCESS_DENIED);
    UmTestGetCounts(&Counts);
    assert_int_equal(Counts.Creates, 1); /* the driver never saw the second */
    CloseHandle(First);
    Second = UmOpen(L"\\\\.\\UmExcl", GENERIC_READ, 0);
    CloseHandle(Second);
}

/* A.1: a create the driver fails makes no handle, and the driver gets
   neither IRP_MJ_CLEANUP nor IRP_MJ_CLOSE for that file object. */
static void test_create_fails(void **State)
{
    UM_COUNTS Counts;
    (void)State;
    UmTestSetCreateStatus(UM_STATUS_ACCESS_DENIED);
    assert_true(CreateFileW(L"\\\\.\\UmBuf", GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL) == INVALID_HANDLE_VALUE);
    assert_int_equal(GetLastError(), ERROR_ACCESS_DENIED);
    UmTestSetCreateStatus(UM_STATUS_UNSUCCESSFUL);
    assert_true(CreateFileW(L"\\\\.\\UmBuf", GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL) == INVALID_HANDLE_VALUE);
    assert_int_equal(GetLastError(), ERROR_GEN_FAILURE);
    UmTestGetCounts(&Counts);
    assert_int_equal(Counts.Creates, 2);
    assert_int_equal(Counts.Cleanups, 0);
    assert_int_equal(Counts.Closes, 0);
}

/* A.5: IRP_MJ_CLEANUP when the last handle goes, IRP_MJ_CLOSE when the
   last reference goes; CloseHandle succeeds. Closing a handle twice, a
   NULL handle or a made-up one: ERROR_INVALID_HANDLE. Closing a pseudo
   handle succeeds and does nothing. */
static void test_close(void **State)
{
    HANDLE Device = UmOpen(L"\\\\.\\UmBuf", GENERIC_READ, 0);
    UM_COUNTS Counts;
    (void)State;
    UmTestGetCounts(&Counts);
    assert_int_equal(Counts.Cleanups, 0);
    assert_int_equal(Counts.Closes, 0);
    assert_true(CloseHandle(Device));
    UmTestGetCounts(&Counts);
    assert_int_equal(Counts.Cleanups, 1);
    assert_int_equal(Counts.Closes, 1);
    assert_false(CloseHandle(Device));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    assert_false(CloseHandle(NULL));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    assert_false(CloseHandle((HANDLE)(ULONG_PTR)0x4444));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    assert_true(CloseHandle(GetCurrentThread()));
    assert_true(CloseHandle(GetCurrentProcess()));
}

/* A.1: the request goes to the top of the device's stack: a filter
   attached to \Device\UmBuf sees the create and every request, and passes
   them down. */
static void test_top_of_stack(void **State)
{
    HANDLE Device;
    UM_COUNTS Counts;
    DWORD Bytes;
    (void)State;
    assert_int_equal(UmTestAttachFilter(), 0);
    Device = UmOpen(L"\\\\.\\UmBuf", GENERIC_READ, 0);
    assert_true(DeviceIoControl(Device, IOCTL_UM_ECHO, NULL, 0, NULL, 0, &Bytes, NULL));
    CloseHandle(Device);
    UmTestGetCounts(&Counts);
    assert_int_equal(Counts.FilterRequests, 4); /* create, ioctl, cleanup, close */
    assert_int_equal(Counts.Creates, 1);
    assert_int_equal(Counts.Closes, 1);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        UM_TEST(test_names),        UM_TEST(test_bad_names),     UM_TEST(test_create_irp),
        UM_TEST(test_exclusive),    UM_TEST(test_create_fails),  UM_TEST(test_close),
        UM_TEST(test_top_of_stack),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
