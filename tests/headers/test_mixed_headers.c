/*
 * <windows.h> and <wdm.h> in one file, application headers first, the way
 * the SDK wants it: WIN32_NO_STATUS before <windows.h> so that the
 * NTSTATUS values come from <ntstatus.h>. Windows behaviour checked: a
 * DeviceIoControl from either file reaches the driver's
 * IRP_MJ_DEVICE_CONTROL with Parameters.DeviceIoControl.IoControlCode set
 * to the code the application passed.
 */
#define WIN32_NO_STATUS
#include <windows.h>
#undef WIN32_NO_STATUS
#include <winioctl.h>
#include <wdm.h>
#include <irpsim/irpsim.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "mixed_headers.h"

NTSTATUS NTAPI MixedDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);
BOOL MixedSendFromDriverFile(DWORD Code);

static int Setup(void **State)
{
    PDRIVER_OBJECT Driver;
    (void)State;
    if (!NT_SUCCESS(IrpSimInitialize(NULL)))
        return -1;
    return IrpSimLoadDriver(L"\\Driver\\IrpSimMixed", MixedDriverEntry, &Driver) == STATUS_SUCCESS ? 0 : -1;
}

static int Teardown(void **State)
{
    (void)State;
    IrpSimShutdown();
    return 0;
}

static void test_ioctl_from_both_files(void **State)
{
    DWORD Bytes = 0;
    HANDLE Device;
    (void)State;
    assert_true(MixedSendFromDriverFile(MIXED_IOCTL_A));
    assert_int_equal(MixedSeenCode, MIXED_IOCTL_A);

    Device = CreateFileW(L"\\\\.\\IrpSimMixed", GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    assert_true(Device != INVALID_HANDLE_VALUE);
    assert_true(DeviceIoControl(Device, MIXED_IOCTL_B, NULL, 0, NULL, 0, &Bytes, NULL));
    assert_int_equal(MixedSeenCode, MIXED_IOCTL_B);
    assert_int_equal(STATUS_PENDING, (NTSTATUS)0x00000103); /* from <ntstatus.h>, an NTSTATUS */
    assert_true(CloseHandle(Device));
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(test_ioctl_from_both_files, Setup, Teardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
