/*
 * Device timers (SEMANTICS.md 9.7, last bullet; WDK documentation of
 * IoInitializeTimer, IoStartTimer, IoStopTimer): once started, the IoTimer
 * routine is called about once per second, at DISPATCH_LEVEL, with the
 * device object and the context given to IoInitializeTimer. Under the
 * virtual clock "once per second" is exact and testable: each simulated
 * second that passes gives one call, and no call happens without time
 * passing. A second IoInitializeTimer is Verifier's 0xC9/0x0A.
 */
#include <ntddk.h>
#include <irpsim/irpsim.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <irpsim/cmocka.h>

static PDRIVER_OBJECT TestDriver;
static PDEVICE_OBJECT TestDevice;

static VOID NTAPI TestUnload(PDRIVER_OBJECT DriverObject)
{
    while (DriverObject->DeviceObject != NULL)
        IoDeleteDevice(DriverObject->DeviceObject);
}

static NTSTATUS NTAPI TestDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);
    DriverObject->DriverUnload = TestUnload;
    return IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &TestDevice);
}

static int StartMachine(BOOLEAN Verifier)
{
    IRPSIM_CONFIG Config;
    IrpSimDefaultConfig(&Config);
    Config.ClockMode = IrpSimClockVirtual;
    Config.AutoAdvance = FALSE;
    Config.Verifier = Verifier;
    if (!NT_SUCCESS(IrpSimInitialize(&Config)))
        return -1;
    return NT_SUCCESS(IrpSimLoadDriver(L"\\Driver\\IoTimerTest", TestDriverEntry, &TestDriver)) ? 0 : -1;
}

static int Setup(void **State)
{
    (void)State;
    return StartMachine(TRUE);
}

static int SetupNoVerifier(void **State)
{
    (void)State;
    return StartMachine(FALSE);
}

static int Teardown(void **State)
{
    (void)State;
    IrpSimShutdown();
    return 0;
}

typedef struct _TICKS {
    LONG Count;
    KIRQL Irql;
    PDEVICE_OBJECT Device;
    PVOID Context;
} TICKS;

static VOID NTAPI OnTick(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
    TICKS *Ticks = (TICKS *)Context;
    Ticks->Irql = KeGetCurrentIrql();
    Ticks->Device = DeviceObject;
    Ticks->Context = Context;
    InterlockedIncrement(&Ticks->Count);
}

static VOID NTAPI OnTickOther(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    InterlockedAdd(&((TICKS *)Context)->Count, 100);
}

/* Moves virtual time forward and lets the DPCs that expiry queued run. */
static void Advance(LONGLONG Milliseconds)
{
    assert_int_equal(IrpSimAdvanceTime(Milliseconds * 10000), STATUS_SUCCESS);
    KeFlushQueuedDpcs();
}

static void RequireVirtualClock(void)
{
    if (IrpSimGetClockMode() != IrpSimClockVirtual)
        skip(); /* IRPSIM_CLOCK=real in the environment */
}

/* IoInitializeTimer hangs an IO_TIMER off the device; nothing runs until
   IoStartTimer. */
static void test_initialize_does_not_start(void **State)
{
    TICKS Ticks;
    (void)State;
    RequireVirtualClock();
    memset(&Ticks, 0, sizeof(Ticks));
    assert_null(TestDevice->Timer);
    assert_int_equal(IoInitializeTimer(TestDevice, OnTick, &Ticks), STATUS_SUCCESS);
    assert_non_null(TestDevice->Timer);
    Advance(5000);
    assert_int_equal(Ticks.Count, 0);
}

/* Started, the routine runs once per simulated second at DISPATCH_LEVEL;
   stopped, it does not run; started again, it resumes a second later. */
static void test_fires_once_per_second_while_started(void **State)
{
    TICKS Ticks;
    (void)State;
    RequireVirtualClock();
    memset(&Ticks, 0, sizeof(Ticks));
    IoInitializeTimer(TestDevice, OnTick, &Ticks);
    IoStartTimer(TestDevice);
    Advance(500);
    assert_int_equal(Ticks.Count, 0);
    for (LONG Second = 1; Second <= 5; Second++) {
        Advance(1000);
        assert_int_equal(Ticks.Count, Second);
    }
    assert_int_equal(Ticks.Irql, DISPATCH_LEVEL);
    assert_ptr_equal(Ticks.Device, TestDevice);
    assert_ptr_equal(Ticks.Context, &Ticks);

    IoStopTimer(TestDevice);
    Advance(3000);
    assert_int_equal(Ticks.Count, 5);
    IoStopTimer(TestDevice); /* stopping a stopped timer is harmless */

    IoStartTimer(TestDevice);
    IoStartTimer(TestDevice); /* starting a started timer changes nothing */
    Advance(500);
    assert_int_equal(Ticks.Count, 5);
    Advance(1000);
    assert_int_equal(Ticks.Count, 6);
    IoStopTimer(TestDevice);
}

/* IoStartTimer / IoStopTimer may be called at DISPATCH_LEVEL. */
static void test_start_stop_at_dispatch_level(void **State)
{
    TICKS Ticks;
    KIRQL OldIrql;
    (void)State;
    RequireVirtualClock();
    memset(&Ticks, 0, sizeof(Ticks));
    IoInitializeTimer(TestDevice, OnTick, &Ticks);
    KeRaiseIrql(DISPATCH_LEVEL, &OldIrql);
    IoStartTimer(TestDevice);
    KeLowerIrql(OldIrql);
    Advance(1500);
    assert_int_equal(Ticks.Count, 1);
    KeRaiseIrql(DISPATCH_LEVEL, &OldIrql);
    IoStopTimer(TestDevice);
    KeLowerIrql(OldIrql);
    Advance(2000);
    assert_int_equal(Ticks.Count, 1);
}

/* A second IoInitializeTimer for the same device: Driver Verifier's I/O
   verification stops with 0xC9/0x0A (P2 the device). */
static void test_second_initialize_bugchecks(void **State)
{
    TICKS Ticks;
    (void)State;
    IoInitializeTimer(TestDevice, OnTick, &Ticks);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION,
                           (void)IoInitializeTimer(TestDevice, OnTickOther, &Ticks));
    irpsim_assert_bugcheck_parameter(0, 0x0A);
    irpsim_assert_bugcheck_parameter(1, TestDevice);
}

/* Without the verifier Windows accepts it and the new routine and context
   replace the old ones. */
static void test_second_initialize_without_verifier_replaces_routine(void **State)
{
    TICKS Ticks;
    (void)State;
    RequireVirtualClock();
    memset(&Ticks, 0, sizeof(Ticks));
    IoInitializeTimer(TestDevice, OnTick, &Ticks);
    assert_int_equal(IoInitializeTimer(TestDevice, OnTickOther, &Ticks), STATUS_SUCCESS);
    IoStartTimer(TestDevice);
    Advance(1500);
    assert_int_equal(Ticks.Count, 100);
    IoStopTimer(TestDevice);
}

/* IoStartTimer for a device without a timer dereferences NULL on Windows
   at DISPATCH_LEVEL: bug check 0xA. */
static void test_start_without_initialize_bugchecks(void **State)
{
    (void)State;
    irpsim_assert_bugcheck(IRQL_NOT_LESS_OR_EQUAL, IoStartTimer(TestDevice));
    irpsim_assert_bugcheck_parameter(0, 0);
    irpsim_assert_bugcheck_parameter(1, DISPATCH_LEVEL);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(test_initialize_does_not_start, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_fires_once_per_second_while_started, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_start_stop_at_dispatch_level, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_second_initialize_bugchecks, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_second_initialize_without_verifier_replaces_routine, SetupNoVerifier,
                                        Teardown),
        cmocka_unit_test_setup_teardown(test_start_without_initialize_bugchecks, Setup, Teardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
