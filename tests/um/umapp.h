/*
 * The application side of the Win32 facade tests: <windows.h>,
 * <winioctl.h>, CMocka, and small helpers. (No WDK header here, as in a
 * real application.)
 */
#ifndef UMAPP_H
#define UMAPP_H

#include <windows.h>
#include <winioctl.h>
#include <irpsim/irpsim_app.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "umtest.h"

static inline int UmSetup(void **State)
{
    (void)State;
    if (IrpSimInitialize(NULL) != 0)
        return -1;
    return UmTestLoadDriver() == 0 ? 0 : -1;
}

/* Every test ends with nothing left behind: no IRP, no pool, no handle. */
static inline int UmTeardown(void **State)
{
    (void)State;
    IrpSimShutdown();
    assert_int_equal(IrpSimGetShutdownLeakCount(), 0);
    return 0;
}

#define UM_TEST(Function) cmocka_unit_test_setup_teardown(Function, UmSetup, UmTeardown)

static inline HANDLE UmOpen(LPCWSTR Name, DWORD Access, DWORD Flags)
{
    HANDLE Handle = CreateFileW(Name, Access, 0, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL | Flags, NULL);
    assert_true(Handle != INVALID_HANDLE_VALUE);
    return Handle;
}

static inline BOOL UmIsSignalled(HANDLE Object)
{
    return WaitForSingleObject(Object, 0) == WAIT_OBJECT_0;
}

/* Waits (politely, not by time) until the driver has Count requests queued. */
static inline void UmWaitForQueued(ULONG Count)
{
    while (UmTestQueuedCount() < Count)
        Sleep(1);
}

#endif /* UMAPP_H */
