/*
 * The clock: time queries, the virtual clock with auto-advance, and
 * IrpSimRunUntilIdle / IrpSimAdvanceTime.
 */
#include "ke_test.h"

static int SetupVirtualNoAutoAdvance(void **State)
{
    IRPSIM_CONFIG Config;
    (void)State;
    IrpSimDefaultConfig(&Config);
    Config.ClockMode = IrpSimClockVirtual;
    Config.AutoAdvance = FALSE;
    return NT_SUCCESS(IrpSimInitialize(&Config)) ? 0 : -1;
}

/* KeQueryTimeIncrement is the 15.625 ms clock tick; the performance
   counter runs at 10 MHz; the tick count is interrupt time in ticks. */
static void test_time_queries(void **State)
{
    LARGE_INTEGER Frequency, Counter, Ticks, SystemTime, Precise;
    ULONG64 Qpc = 0;
    ULONGLONG Interrupt;
    (void)State;
    assert_int_equal(KeQueryTimeIncrement(), 156250);
    Counter = KeQueryPerformanceCounter(&Frequency);
    assert_int_equal(Frequency.QuadPart, 10000000);
    assert_true(Counter.QuadPart >= 0);
    Interrupt = KeQueryInterruptTimePrecise(&Qpc);
    assert_true(Interrupt <= KeQueryInterruptTime());
    assert_true(KeQueryUnbiasedInterruptTime() >= Interrupt);
    KeQueryTickCount(&Ticks);
    assert_true((ULONGLONG)Ticks.QuadPart <= KeQueryInterruptTime() / 156250);
    KeQuerySystemTime(&SystemTime);
    KeQuerySystemTimePrecise(&Precise);
    /* After 2000-01-01 (125911584000000000 in 100 ns units since 1601). */
    assert_true(SystemTime.QuadPart > 125911584000000000LL);
    assert_true(Precise.QuadPart >= SystemTime.QuadPart);
}

static void test_time_queries_virtual(void **State)
{
    test_time_queries(State);
}

/* The virtual clock stands still until advanced; the tick count follows. */
static void test_virtual_clock_stands_still(void **State)
{
    LARGE_INTEGER Ticks, Before, After;
    ULONGLONG Start;
    (void)State;
    KE_TEST_REQUIRE_VIRTUAL();
    assert_int_equal(IrpSimGetClockMode(), IrpSimClockVirtual);
    Start = KeQueryInterruptTime();
    KeQuerySystemTime(&Before);
    assert_int_equal(KeQueryInterruptTime(), Start);
    assert_int_equal(IrpSimAdvanceTime(KE_TEST_SECONDS(1)), STATUS_SUCCESS);
    assert_int_equal(KeQueryInterruptTime() - Start, (ULONGLONG)KE_TEST_SECONDS(1));
    KeQuerySystemTime(&After);
    assert_int_equal(After.QuadPart - Before.QuadPart, KE_TEST_SECONDS(1));
    KeQueryTickCount(&Ticks);
    assert_int_equal(Ticks.QuadPart, (LONGLONG)(KeQueryInterruptTime() / 156250));
    assert_int_equal(IrpSimAdvanceTime(-1), STATUS_INVALID_PARAMETER);
}

/* The design's example: a system thread that waits 3 s per item on an event
   nobody signals, for 10 items, finishes at once on the virtual clock while
   the simulated time shows at least 30 s. */
typedef struct _SLOW_WORKER {
    KEVENT NeverSignalled;
    volatile LONG ItemsDone;
} SLOW_WORKER;

static VOID NTAPI SlowWorker(PVOID Context)
{
    SLOW_WORKER *Worker = (SLOW_WORKER *)Context;
    LARGE_INTEGER ThreeSeconds;
    ThreeSeconds.QuadPart = -KE_TEST_SECONDS(3);
    for (int Item = 0; Item < 10; Item++) {
        if (KeWaitForSingleObject(&Worker->NeverSignalled, Executive, KernelMode, FALSE, &ThreeSeconds) ==
            STATUS_TIMEOUT)
            InterlockedIncrement(&Worker->ItemsDone);
    }
}

static void test_three_seconds_times_ten(void **State)
{
    SLOW_WORKER Worker;
    PKTHREAD Thread;
    ULONGLONG Start;
    (void)State;
    KE_TEST_REQUIRE_VIRTUAL();
    KeInitializeEvent(&Worker.NeverSignalled, NotificationEvent, FALSE);
    Worker.ItemsDone = 0;
    Start = KeQueryInterruptTime();
    Thread = KeTestStartThread(SlowWorker, &Worker);
    KeTestJoinThread(Thread);
    assert_int_equal(Worker.ItemsDone, 10);
    assert_true(KeQueryInterruptTime() - Start >= (ULONGLONG)KE_TEST_SECONDS(30));
}

/* Without auto-advance, time moves only through IrpSimAdvanceTime; the
   worker finishes once the test has advanced 30 s. */
static void test_manual_advance(void **State)
{
    SLOW_WORKER Worker;
    PKTHREAD Thread;
    (void)State;
    KE_TEST_REQUIRE_VIRTUAL();
    KeInitializeEvent(&Worker.NeverSignalled, NotificationEvent, FALSE);
    Worker.ItemsDone = 0;
    Thread = KeTestStartThread(SlowWorker, &Worker);
    IrpSimRunUntilIdle(0);
    assert_int_equal(Worker.ItemsDone, 0);
    IrpSimAdvanceTime(KE_TEST_SECONDS(3));
    assert_int_equal(Worker.ItemsDone, 1);
    IrpSimAdvanceTime(KE_TEST_SECONDS(27));
    assert_int_equal(Worker.ItemsDone, 10);
    KeTestJoinThread(Thread);
}

/* IrpSimRunUntilIdle(MaxInterval) advances the virtual clock while timers
   remain, but no further than MaxInterval. */
static void test_run_until_idle_bounded(void **State)
{
    SLOW_WORKER Worker;
    PKTHREAD Thread;
    ULONGLONG Start;
    (void)State;
    KE_TEST_REQUIRE_VIRTUAL();
    KeInitializeEvent(&Worker.NeverSignalled, NotificationEvent, FALSE);
    Worker.ItemsDone = 0;
    Start = KeQueryInterruptTime();
    Thread = KeTestStartThread(SlowWorker, &Worker);
    IrpSimRunUntilIdle(KE_TEST_SECONDS(10));
    assert_int_equal(Worker.ItemsDone, 3);
    assert_int_equal(KeQueryInterruptTime() - Start, (ULONGLONG)KE_TEST_SECONDS(9));
    IrpSimRunUntilIdle(KE_TEST_SECONDS(100));
    assert_int_equal(Worker.ItemsDone, 10);
    KeTestJoinThread(Thread);
}

/* Real clock: the same worker with 1 ms waits completes. */
typedef struct _QUICK_WORKER {
    KEVENT NeverSignalled;
    volatile LONG ItemsDone;
} QUICK_WORKER;

static VOID NTAPI QuickWorker(PVOID Context)
{
    QUICK_WORKER *Worker = (QUICK_WORKER *)Context;
    LARGE_INTEGER OneMs;
    OneMs.QuadPart = -KE_TEST_MS(1);
    for (int Item = 0; Item < 5; Item++) {
        if (KeWaitForSingleObject(&Worker->NeverSignalled, Executive, KernelMode, FALSE, &OneMs) == STATUS_TIMEOUT)
            InterlockedIncrement(&Worker->ItemsDone);
    }
}

static void test_real_clock_waits(void **State)
{
    QUICK_WORKER Worker;
    PKTHREAD Thread;
    (void)State;
    if (IrpSimGetClockMode() != IrpSimClockReal)
        skip();
    KeInitializeEvent(&Worker.NeverSignalled, NotificationEvent, FALSE);
    Worker.ItemsDone = 0;
    Thread = KeTestStartThread(QuickWorker, &Worker);
    KeTestJoinThread(Thread);
    assert_int_equal(Worker.ItemsDone, 5);
}

/* The time controls wait for DPCs and threads, so they are refused from a
   DPC or with a raised IRQL (IRPSIM_INVALID_USE), and before the machine
   runs. */
static void test_controls_misuse(void **State)
{
    KIRQL Old;
    (void)State;
    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    irpsim_assert_bugcheck(IRPSIM_INVALID_USE, IrpSimRunUntilIdle(0));
    irpsim_assert_bugcheck(IRPSIM_INVALID_USE, IrpSimAdvanceTime(1));
    KeLowerIrql(Old);
}

static void test_controls_before_initialize(void **State)
{
    KDPC Dpc;
    (void)State;
    assert_false(IrpSimIsInitialized());
    irpsim_assert_bugcheck(IRPSIM_INVALID_USE, IrpSimAdvanceTime(1));
    KeInitializeDpc(&Dpc, NULL, NULL);
    irpsim_assert_bugcheck(IRPSIM_INVALID_USE, KeInsertQueueDpc(&Dpc, NULL, NULL));
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(test_time_queries, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_time_queries_virtual, KeTestSetupVirtual, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_virtual_clock_stands_still, KeTestSetupVirtual, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_three_seconds_times_ten, KeTestSetupVirtual, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_manual_advance, SetupVirtualNoAutoAdvance, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_run_until_idle_bounded, SetupVirtualNoAutoAdvance, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_real_clock_waits, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_controls_misuse, KeTestSetupVirtual, KeTestTeardown),
        cmocka_unit_test(test_controls_before_initialize),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
