/*
 * Kernel timers (SEMANTICS 9.7), mostly on the virtual clock so that due
 * times are exact and nothing depends on the host's speed.
 */
#include "ke_test.h"
#include <irpsim/trace.h>

#include <stdlib.h>

static LARGE_INTEGER Due(LONGLONG Value)
{
    LARGE_INTEGER Result;
    Result.QuadPart = Value;
    return Result;
}

/* A timer DPC that counts its runs and remembers when it ran. */
typedef struct _TIMER_PROBE {
    KTIMER Timer;
    KDPC Dpc;
    volatile LONG Runs;
    ULONGLONG LastRun;
    LONG CancelAtRun; /* cancel the timer from inside the DPC on this run */
    BOOLEAN CancelResult;
} TIMER_PROBE;

static VOID NTAPI ProbeDpc(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2)
{
    TIMER_PROBE *Probe = (TIMER_PROBE *)Context;
    LONG Runs;
    (void)Dpc;
    (void)Argument1;
    (void)Argument2;
    Probe->LastRun = KeQueryInterruptTime();
    Runs = InterlockedIncrement(&Probe->Runs);
    if (Runs == Probe->CancelAtRun)
        Probe->CancelResult = KeCancelTimer(&Probe->Timer);
}

static VOID InitProbe(TIMER_PROBE *Probe, TIMER_TYPE Type)
{
    memset(Probe, 0, sizeof(*Probe));
    KeInitializeTimerEx(&Probe->Timer, Type);
    KeInitializeDpc(&Probe->Dpc, ProbeDpc, Probe);
}

/* KeInitializeTimer(Ex): not signalled, not set, the requested type. */
static void test_initial_state(void **State)
{
    KTIMER Timer;
    (void)State;
    KeInitializeTimer(&Timer);
    assert_int_equal(Timer.Header.Type, TimerNotificationObject);
    assert_false(KeReadStateTimer(&Timer));
    assert_false(KeCancelTimer(&Timer));
    assert_null(Timer.Dpc);
    assert_int_equal(Timer.Period, 0);
    KeInitializeTimerEx(&Timer, SynchronizationTimer);
    assert_int_equal(Timer.Header.Type, TimerSynchronizationObject);
}

/* One-shot: signalled and its DPC queued exactly at the due time, once. */
static void test_one_shot(void **State)
{
    TIMER_PROBE Probe;
    ULONGLONG Start;
    (void)State;
    KE_TEST_REQUIRE_VIRTUAL();
    InitProbe(&Probe, NotificationTimer);
    Start = KeQueryInterruptTime();
    assert_false(KeSetTimer(&Probe.Timer, Due(-KE_TEST_SECONDS(1)), &Probe.Dpc));
    assert_ptr_equal(Probe.Timer.Dpc, &Probe.Dpc);
    assert_int_equal(IrpSimAdvanceTime(KE_TEST_MS(999)), STATUS_SUCCESS);
    assert_int_equal(Probe.Runs, 0);
    assert_false(KeReadStateTimer(&Probe.Timer));
    assert_int_equal(IrpSimAdvanceTime(KE_TEST_MS(1)), STATUS_SUCCESS);
    assert_int_equal(Probe.Runs, 1);
    assert_int_equal(Probe.LastRun - Start, (ULONGLONG)KE_TEST_SECONDS(1));
    assert_true(KeReadStateTimer(&Probe.Timer));
    IrpSimAdvanceTime(KE_TEST_SECONDS(10));
    assert_int_equal(Probe.Runs, 1);
    /* KeCancelTimer on a timer that already fired: FALSE, state unchanged
       (irpsim's choice, as ReactOS; SEMANTICS B.10). */
    assert_false(KeCancelTimer(&Probe.Timer));
    assert_true(KeReadStateTimer(&Probe.Timer));
}

/* KeSetTimer returns TRUE when it replaces a setting, and resets the state;
   KeCancelTimer returns TRUE when the timer was set and prevents the DPC. */
static void test_set_and_cancel(void **State)
{
    TIMER_PROBE Probe;
    (void)State;
    KE_TEST_REQUIRE_VIRTUAL();
    InitProbe(&Probe, NotificationTimer);
    assert_false(KeSetTimer(&Probe.Timer, Due(-KE_TEST_MS(10)), &Probe.Dpc));
    IrpSimAdvanceTime(KE_TEST_MS(10));
    assert_true(KeReadStateTimer(&Probe.Timer));
    assert_false(KeSetTimer(&Probe.Timer, Due(-KE_TEST_MS(10)), &Probe.Dpc));
    assert_false(KeReadStateTimer(&Probe.Timer));
    assert_true(KeSetTimer(&Probe.Timer, Due(-KE_TEST_MS(20)), &Probe.Dpc));
    IrpSimAdvanceTime(KE_TEST_MS(15));
    assert_int_equal(Probe.Runs, 1); /* the first setting was replaced */
    assert_true(KeCancelTimer(&Probe.Timer));
    assert_false(KeCancelTimer(&Probe.Timer));
    IrpSimAdvanceTime(KE_TEST_SECONDS(1));
    assert_int_equal(Probe.Runs, 1);
    assert_false(KeReadStateTimer(&Probe.Timer));
}

/* Periodic timer: Period is in milliseconds; one expiry per period. */
static void test_periodic(void **State)
{
    TIMER_PROBE Probe;
    (void)State;
    KE_TEST_REQUIRE_VIRTUAL();
    InitProbe(&Probe, NotificationTimer);
    KeSetTimerEx(&Probe.Timer, Due(-KE_TEST_MS(100)), 100, &Probe.Dpc);
    assert_int_equal(Probe.Timer.Period, 100);
    IrpSimAdvanceTime(KE_TEST_SECONDS(1));
    assert_int_equal(Probe.Runs, 10);
    assert_true(KeCancelTimer(&Probe.Timer));
    IrpSimAdvanceTime(KE_TEST_SECONDS(1));
    assert_int_equal(Probe.Runs, 10);
}

/* A periodic timer cancelled from inside its own DPC: KeCancelTimer
   returns TRUE (the next period was already set) and no more DPCs run. */
static void test_cancel_periodic_from_own_dpc(void **State)
{
    TIMER_PROBE Probe;
    (void)State;
    KE_TEST_REQUIRE_VIRTUAL();
    InitProbe(&Probe, NotificationTimer);
    Probe.CancelAtRun = 3;
    KeSetTimerEx(&Probe.Timer, Due(-KE_TEST_MS(50)), 50, &Probe.Dpc);
    IrpSimAdvanceTime(KE_TEST_SECONDS(2));
    assert_int_equal(Probe.Runs, 3);
    assert_true(Probe.CancelResult);
    assert_false(KeCancelTimer(&Probe.Timer));
}

/* The same on the real clock (short period, no timing assertions). */
static void test_cancel_periodic_from_own_dpc_real(void **State)
{
    TIMER_PROBE Probe;
    LARGE_INTEGER Wait = Due(-KE_TEST_MS(5));
    (void)State;
    InitProbe(&Probe, NotificationTimer);
    Probe.CancelAtRun = 3;
    KeSetTimerEx(&Probe.Timer, Due(-KE_TEST_MS(2)), 2, &Probe.Dpc);
    while (ReadAcquire(&Probe.Runs) < 3)
        KeDelayExecutionThread(KernelMode, FALSE, &Wait);
    KeFlushQueuedDpcs();
    assert_true(Probe.CancelResult);
    KeDelayExecutionThread(KernelMode, FALSE, &Wait);
    KeFlushQueuedDpcs();
    assert_int_equal(Probe.Runs, 3);
}

/* Absolute due times (positive, system time) versus relative (negative);
   a due time in the past expires at once. */
static void test_absolute_and_past_due(void **State)
{
    TIMER_PROBE Probe;
    LARGE_INTEGER Now;
    (void)State;
    KE_TEST_REQUIRE_VIRTUAL();
    InitProbe(&Probe, NotificationTimer);
    KeQuerySystemTime(&Now);
    KeSetTimer(&Probe.Timer, Due(Now.QuadPart + KE_TEST_SECONDS(2)), &Probe.Dpc);
    IrpSimAdvanceTime(KE_TEST_MS(1999));
    assert_int_equal(Probe.Runs, 0);
    IrpSimAdvanceTime(KE_TEST_MS(1));
    assert_int_equal(Probe.Runs, 1);

    KeQuerySystemTime(&Now);
    KeSetTimer(&Probe.Timer, Due(Now.QuadPart - KE_TEST_SECONDS(1)), &Probe.Dpc);
    assert_true(KeReadStateTimer(&Probe.Timer));
    KeFlushQueuedDpcs();
    assert_int_equal(Probe.Runs, 2);
}

/* Timers are waitable. A notification timer stays signalled after a
   satisfied wait; a synchronization timer is reset by it. */
static void test_waitable_timers(void **State)
{
    KTIMER Notification, Synchronization;
    LARGE_INTEGER Zero = Due(0);
    (void)State;
    KE_TEST_REQUIRE_VIRTUAL();
    KeInitializeTimerEx(&Notification, NotificationTimer);
    KeInitializeTimerEx(&Synchronization, SynchronizationTimer);
    KeSetTimer(&Notification, Due(-KE_TEST_SECONDS(5)), NULL);
    KeSetTimer(&Synchronization, Due(-KE_TEST_SECONDS(7)), NULL);
    /* Auto-advance: the only thread waits, so time jumps to the due time. */
    assert_int_equal(KeWaitForSingleObject(&Notification, Executive, KernelMode, FALSE, NULL), STATUS_WAIT_0);
    assert_true(KeReadStateTimer(&Notification));
    assert_int_equal(KeWaitForSingleObject(&Synchronization, Executive, KernelMode, FALSE, NULL), STATUS_WAIT_0);
    assert_false(KeReadStateTimer(&Synchronization));
    assert_int_equal(KeWaitForSingleObject(&Synchronization, Executive, KernelMode, FALSE, &Zero), STATUS_TIMEOUT);
}

/* A periodic synchronization timer releases one waiter per period
   [observed on Windows]. */
typedef struct _TIMER_WAITER {
    PKTIMER Timer;
    volatile LONG *Released;
} TIMER_WAITER;

static VOID NTAPI TimerWaiterThread(PVOID Context)
{
    TIMER_WAITER *Waiter = (TIMER_WAITER *)Context;
    KeWaitForSingleObject(Waiter->Timer, Executive, KernelMode, FALSE, NULL);
    InterlockedIncrement(Waiter->Released);
}

static void test_periodic_synchronization_timer(void **State)
{
    KTIMER Timer;
    TIMER_WAITER Waiters[3];
    PKTHREAD Threads[3];
    volatile LONG Released = 0;
    (void)State;
    KE_TEST_REQUIRE_VIRTUAL();
    KeInitializeTimerEx(&Timer, SynchronizationTimer);
    for (int i = 0; i < 3; i++) {
        Waiters[i].Timer = &Timer;
        Waiters[i].Released = &Released;
        Threads[i] = KeTestStartThread(TimerWaiterThread, &Waiters[i]);
    }
    IrpSimRunUntilIdle(0);
    KeSetTimerEx(&Timer, Due(-KE_TEST_SECONDS(1)), 1000, NULL);
    IrpSimAdvanceTime(KE_TEST_SECONDS(1));
    assert_int_equal(Released, 1);
    IrpSimAdvanceTime(KE_TEST_SECONDS(1));
    assert_int_equal(Released, 2);
    IrpSimAdvanceTime(KE_TEST_SECONDS(1));
    assert_int_equal(Released, 3);
    KeCancelTimer(&Timer);
    for (int i = 0; i < 3; i++)
        KeTestJoinThread(Threads[i]);
}

/* Re-initialising a timer that is set is reported (0xC4/0x1500, irpsim's
   code): on Windows it corrupts the timer list. */
static void test_reinitialise_set_timer(void **State)
{
    KTIMER Timer;
    (void)State;
    KeInitializeTimer(&Timer);
    KeSetTimer(&Timer, Due(-KE_TEST_SECONDS(60)), NULL);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KeInitializeTimer(&Timer));
    irpsim_assert_bugcheck_parameter(0, 0x1500);
    irpsim_assert_bugcheck_parameter(1, (ULONG_PTR)&Timer);
    assert_true(KeCancelTimer(&Timer));
    KeInitializeTimer(&Timer); /* fine once cancelled */
}

/* A timer never initialised is reported (0xC4/0x1002). */
static void test_uninitialised_timer(void **State)
{
    KTIMER Timer;
    (void)State;
    memset(&Timer, 0, sizeof(Timer));
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KeSetTimer(&Timer, Due(-1), NULL));
    irpsim_assert_bugcheck_parameter(0, 0x1002);
}

/* KeSetTimer with a DPC that was never initialised (0xC4/0x1002, P2 the DPC). */
static void test_timer_with_uninitialised_dpc(void **State)
{
    KTIMER Timer;
    KDPC Dpc;
    (void)State;
    KeInitializeTimer(&Timer);
    memset(&Dpc, 0, sizeof(Dpc));
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KeSetTimer(&Timer, Due(-1), &Dpc));
    irpsim_assert_bugcheck_parameter(0, 0x1002);
    irpsim_assert_bugcheck_parameter(1, (ULONG_PTR)&Dpc);
    assert_false(KeCancelTimer(&Timer));
}

/* Many timers: 100,000 armed is ordinary load. Every other one is cancelled;
   the rest fire, in due-time order (checked on the DPC'd subset). */
#define MANY_TIMERS 100000
#define ORDERED_TIMERS 512

typedef struct _ORDER_LOG {
    ULONGLONG Due[ORDERED_TIMERS];
    ULONGLONG Seen[ORDERED_TIMERS];
    volatile LONG Count;
} ORDER_LOG;

static VOID NTAPI OrderDpc(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2)
{
    ORDER_LOG *Log = (ORDER_LOG *)Context;
    LONG Index = Log->Count;
    (void)Dpc;
    (void)Argument1;
    (void)Argument2;
    if (Index < ORDERED_TIMERS)
        Log->Seen[Index] = KeQueryInterruptTime();
    InterlockedIncrement(&Log->Count);
}

static void test_many_timers(void **State)
{
    PKTIMER Timers = (PKTIMER)calloc(MANY_TIMERS, sizeof(KTIMER));
    PKDPC Dpcs = (PKDPC)calloc(ORDERED_TIMERS, sizeof(KDPC));
    ORDER_LOG *Log = (ORDER_LOG *)calloc(1, sizeof(ORDER_LOG));
    ULONG Seed = 12345;
    (void)State;
    KE_TEST_REQUIRE_VIRTUAL();
    assert_non_null(Timers);
    for (ULONG i = 0; i < MANY_TIMERS; i++) {
        LONGLONG Delay;
        Seed = Seed * 1103515245u + 12345u;
        Delay = 1 + (LONGLONG)((Seed >> 8) % 1000000u) * 100; /* up to 100 s */
        KeInitializeTimer(&Timers[i]);
        if (i < ORDERED_TIMERS) {
            KeInitializeDpc(&Dpcs[i], OrderDpc, Log);
            KeSetTargetProcessorDpc(&Dpcs[i], 0);
            KeSetTimer(&Timers[i], Due(-Delay), &Dpcs[i]);
        } else {
            KeSetTimer(&Timers[i], Due(-Delay), NULL);
        }
    }
    for (ULONG i = ORDERED_TIMERS; i < MANY_TIMERS; i += 2)
        assert_true(KeCancelTimer(&Timers[i]));
    IrpSimAdvanceTime(KE_TEST_SECONDS(101));
    for (ULONG i = ORDERED_TIMERS; i < MANY_TIMERS; i++)
        assert_int_equal(KeReadStateTimer(&Timers[i]), (i - ORDERED_TIMERS) % 2 != 0);
    assert_int_equal(Log->Count, ORDERED_TIMERS);
    for (ULONG i = 1; i < ORDERED_TIMERS; i++)
        assert_true(Log->Seen[i - 1] <= Log->Seen[i]);
    free(Timers);
    free(Dpcs);
    free(Log);
}

/* The lifecycle trace records a timer's life in order: set, fired, its DPC
   queued, the DPC run (at the due time). */
static void test_trace(void **State)
{
    TIMER_PROBE Probe;
    IRPSIM_TRACE_EVENT Set, Fired, Queued, Ran;
    ULONG Index = 0;
    (void)State;
    KE_TEST_REQUIRE_VIRTUAL();
    InitProbe(&Probe, NotificationTimer);
    IrpSimTraceEnable(IRPSIM_TRACE_MEMORY, NULL);
    IrpSimTraceClear();
    KeSetTimer(&Probe.Timer, Due(-KE_TEST_MS(100)), &Probe.Dpc);
    IrpSimAdvanceTime(KE_TEST_MS(100));
    assert_true(IrpSimTraceFind(&Index, IrpSimTraceTimerSet, &Probe.Timer, &Set));
    assert_true(IrpSimTraceFind(&Index, IrpSimTraceTimerFired, &Probe.Timer, &Fired));
    assert_true(IrpSimTraceFind(&Index, IrpSimTraceDpcQueued, &Probe.Dpc, &Queued));
    assert_true(IrpSimTraceFind(&Index, IrpSimTraceDpcRun, &Probe.Dpc, &Ran));
    IrpSimTraceEnable(0, NULL);
    assert_int_equal(Set.Argument[0], Fired.Time);
    assert_int_equal(Fired.Time - Set.Time, (ULONGLONG)KE_TEST_MS(100));
    assert_int_equal(Ran.Time, Fired.Time);
    assert_ptr_equal((PVOID)Ran.Argument[0], (PVOID)ProbeDpc);
    assert_int_equal(Ran.Irql, DISPATCH_LEVEL);
}

/* IrpSimAdvanceTime is for the virtual clock only. */
static void test_advance_real_clock(void **State)
{
    (void)State;
    if (IrpSimGetClockMode() != IrpSimClockReal)
        skip();
    assert_int_equal(IrpSimAdvanceTime(KE_TEST_SECONDS(1)), STATUS_INVALID_DEVICE_STATE);
}

/* A real-clock timer fires (short interval; the test only waits for it). */
static void test_real_clock_timer(void **State)
{
    KTIMER Timer;
    (void)State;
    KeInitializeTimer(&Timer);
    KeSetTimer(&Timer, Due(-KE_TEST_MS(10)), NULL);
    assert_int_equal(KeWaitForSingleObject(&Timer, Executive, KernelMode, FALSE, NULL), STATUS_WAIT_0);
    assert_true(KeReadStateTimer(&Timer));
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(test_initial_state, KeTestSetupVirtual, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_one_shot, KeTestSetupVirtual, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_set_and_cancel, KeTestSetupVirtual, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_periodic, KeTestSetupVirtual, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_cancel_periodic_from_own_dpc, KeTestSetupVirtual, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_cancel_periodic_from_own_dpc_real, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_absolute_and_past_due, KeTestSetupVirtual, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_waitable_timers, KeTestSetupVirtual, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_periodic_synchronization_timer, KeTestSetupVirtual, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_reinitialise_set_timer, KeTestSetupVirtual, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_uninitialised_timer, KeTestSetupVirtual, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_timer_with_uninitialised_dpc, KeTestSetupVirtual, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_many_timers, KeTestSetupVirtual, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_trace, KeTestSetupVirtual, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_advance_real_clock, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_real_clock_timer, KeTestSetup, KeTestTeardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
