/*
 * KeWaitForSingleObject / KeWaitForMultipleObjects / KeDelayExecutionThread
 * (SEMANTICS 9.4): return values, WaitAny / WaitAll, timeouts on the
 * virtual clock, waitable threads and timers, and the bug checks.
 */
#include "ke_test.h"

/* irpsim's internal alert routine (src/ke/ki.h); the Win32 facade uses it. */
BOOLEAN KiAlertThread(PKTHREAD Thread, KPROCESSOR_MODE AlertMode);

static LARGE_INTEGER Timeout(LONGLONG Value)
{
    LARGE_INTEGER Result;
    Result.QuadPart = Value;
    return Result;
}

/* A zero timeout polls: STATUS_TIMEOUT when not signalled. */
static void test_poll(void **State)
{
    KEVENT Event;
    LARGE_INTEGER Zero = Timeout(0);
    (void)State;
    KeInitializeEvent(&Event, NotificationEvent, FALSE);
    assert_int_equal(KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, &Zero), STATUS_TIMEOUT);
    KeSetEvent(&Event, IO_NO_INCREMENT, FALSE);
    assert_int_equal(KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, &Zero), STATUS_SUCCESS);
}

/* WaitAny: the lowest signalled index wins and only that object's side
   effect applies [observed on Windows]. */
static void test_wait_any_lowest_index(void **State)
{
    KEVENT A, B, C;
    PVOID Objects[3] = {&A, &B, &C};
    LARGE_INTEGER Zero = Timeout(0);
    (void)State;
    KeInitializeEvent(&A, SynchronizationEvent, FALSE);
    KeInitializeEvent(&B, SynchronizationEvent, TRUE);
    KeInitializeEvent(&C, SynchronizationEvent, TRUE);
    assert_int_equal(KeWaitForMultipleObjects(3, Objects, WaitAny, Executive, KernelMode, FALSE, &Zero, NULL),
                     STATUS_WAIT_1);
    assert_int_equal(KeReadStateEvent(&B), 0);
    assert_int_not_equal(KeReadStateEvent(&C), 0);
    assert_int_equal(KeWaitForMultipleObjects(3, Objects, WaitAny, Executive, KernelMode, FALSE, &Zero, NULL),
                     STATUS_WAIT_2);
    assert_int_equal(KeWaitForMultipleObjects(3, Objects, WaitAny, Executive, KernelMode, FALSE, &Zero, NULL),
                     STATUS_TIMEOUT);
}

/* WaitAll is satisfied only when every object is signalled at once; then
   all side effects apply. A WaitAll that times out consumes nothing. */
static void test_wait_all(void **State)
{
    KEVENT A, B;
    KSEMAPHORE Semaphore;
    PVOID Objects[3] = {&A, &B, &Semaphore};
    LARGE_INTEGER Zero = Timeout(0);
    (void)State;
    KeInitializeEvent(&A, SynchronizationEvent, TRUE);
    KeInitializeEvent(&B, NotificationEvent, FALSE);
    KeInitializeSemaphore(&Semaphore, 1, 1);
    assert_int_equal(KeWaitForMultipleObjects(3, Objects, WaitAll, Executive, KernelMode, FALSE, &Zero, NULL),
                     STATUS_TIMEOUT);
    assert_int_not_equal(KeReadStateEvent(&A), 0);
    assert_int_equal(KeReadStateSemaphore(&Semaphore), 1);
    KeSetEvent(&B, IO_NO_INCREMENT, FALSE);
    assert_int_equal(KeWaitForMultipleObjects(3, Objects, WaitAll, Executive, KernelMode, FALSE, &Zero, NULL),
                     STATUS_WAIT_0);
    assert_int_equal(KeReadStateEvent(&A), 0);
    assert_int_not_equal(KeReadStateEvent(&B), 0);
    assert_int_equal(KeReadStateSemaphore(&Semaphore), 0);
}

/* A thread signals the objects of a blocked WaitAll one at a time. */
typedef struct _SIGNALLER {
    PKEVENT Events[2];
    LARGE_INTEGER Delay;
} SIGNALLER;

static VOID NTAPI SignallerThread(PVOID Context)
{
    SIGNALLER *Signaller = (SIGNALLER *)Context;
    for (int i = 0; i < 2; i++) {
        KeDelayExecutionThread(KernelMode, FALSE, &Signaller->Delay);
        KeSetEvent(Signaller->Events[i], IO_NO_INCREMENT, FALSE);
    }
}

static void test_wait_all_blocking(void **State)
{
    KEVENT A, B;
    PVOID Objects[2] = {&A, &B};
    KWAIT_BLOCK Blocks[2];
    SIGNALLER Signaller;
    PKTHREAD Thread;
    (void)State;
    KeInitializeEvent(&A, SynchronizationEvent, FALSE);
    KeInitializeEvent(&B, SynchronizationEvent, FALSE);
    Signaller.Events[0] = &A;
    Signaller.Events[1] = &B;
    Signaller.Delay = Timeout(-KE_TEST_MS(5));
    Thread = KeTestStartThread(SignallerThread, &Signaller);
    assert_int_equal(KeWaitForMultipleObjects(2, Objects, WaitAll, Executive, KernelMode, FALSE, NULL, Blocks),
                     STATUS_WAIT_0);
    assert_int_equal(KeReadStateEvent(&A), 0);
    assert_int_equal(KeReadStateEvent(&B), 0);
    KeTestJoinThread(Thread);
}

/* Relative (negative) timeouts count from now on interrupt time; with the
   virtual clock the wait ends when every thread is blocked, and time has
   moved by exactly the timeout. */
static void test_relative_timeout_virtual(void **State)
{
    KEVENT Event;
    LARGE_INTEGER OneSecond = Timeout(-KE_TEST_SECONDS(1));
    ULONGLONG Start;
    (void)State;
    KE_TEST_REQUIRE_VIRTUAL();
    KeInitializeEvent(&Event, NotificationEvent, FALSE);
    Start = KeQueryInterruptTime();
    assert_int_equal(KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, &OneSecond), STATUS_TIMEOUT);
    assert_true(KeQueryInterruptTime() - Start >= (ULONGLONG)KE_TEST_SECONDS(1));
}

/* Positive timeouts are absolute system times. */
static void test_absolute_timeout_virtual(void **State)
{
    KEVENT Event;
    LARGE_INTEGER Now, Deadline, After;
    (void)State;
    KE_TEST_REQUIRE_VIRTUAL();
    KeInitializeEvent(&Event, NotificationEvent, FALSE);
    KeQuerySystemTime(&Now);
    Deadline.QuadPart = Now.QuadPart + KE_TEST_SECONDS(2);
    assert_int_equal(KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, &Deadline), STATUS_TIMEOUT);
    KeQuerySystemTime(&After);
    assert_true(After.QuadPart >= Deadline.QuadPart);
    /* A deadline already past times out at once. */
    assert_int_equal(KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, &Now), STATUS_TIMEOUT);
}

/* KeDelayExecutionThread returns STATUS_SUCCESS when the interval ends. */
static void test_delay(void **State)
{
    LARGE_INTEGER Interval = Timeout(-KE_TEST_MS(250));
    LARGE_INTEGER Zero = Timeout(0);
    ULONGLONG Start;
    (void)State;
    KE_TEST_REQUIRE_VIRTUAL();
    Start = KeQueryInterruptTime();
    assert_int_equal(KeDelayExecutionThread(KernelMode, FALSE, &Interval), STATUS_SUCCESS);
    assert_true(KeQueryInterruptTime() - Start >= (ULONGLONG)KE_TEST_MS(250));
    assert_int_equal(KeDelayExecutionThread(KernelMode, FALSE, &Zero), STATUS_SUCCESS);
}

/* The same wait with the real clock (short interval, no timing assertion). */
static void test_relative_timeout_real(void **State)
{
    KEVENT Event;
    LARGE_INTEGER Short = Timeout(-KE_TEST_MS(10));
    (void)State;
    KeInitializeEvent(&Event, NotificationEvent, FALSE);
    assert_int_equal(KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, &Short), STATUS_TIMEOUT);
    assert_int_equal(KeDelayExecutionThread(KernelMode, FALSE, &Short), STATUS_SUCCESS);
}

/* Threads are waitable: signalled when they end. */
static VOID NTAPI ShortThread(PVOID Context)
{
    LARGE_INTEGER Delay = Timeout(-KE_TEST_MS(20));
    KeDelayExecutionThread(KernelMode, FALSE, &Delay);
    *(volatile LONG *)Context = 1;
}

static void test_wait_on_thread(void **State)
{
    volatile LONG Done = 0;
    PKTHREAD Thread;
    (void)State;
    Thread = KeTestStartThread(ShortThread, (PVOID)&Done);
    assert_int_equal(KeWaitForSingleObject(Thread, Executive, KernelMode, FALSE, NULL), STATUS_WAIT_0);
    assert_int_equal(Done, 1);
    /* Once ended, a thread stays signalled. */
    assert_int_equal(KeWaitForSingleObject(Thread, Executive, KernelMode, FALSE, NULL), STATUS_WAIT_0);
    ObDereferenceObject(Thread);
}

/* 0xC MAXIMUM_WAIT_OBJECTS_EXCEEDED: more than 3 objects without a wait
   block array, or more than 64 with one. */
static void test_too_many_objects(void **State)
{
    static KEVENT Events[65];
    static KWAIT_BLOCK Blocks[65];
    PVOID Objects[65];
    LARGE_INTEGER Zero = Timeout(0);
    (void)State;
    for (int i = 0; i < 65; i++) {
        KeInitializeEvent(&Events[i], NotificationEvent, TRUE);
        Objects[i] = &Events[i];
    }
    irpsim_assert_bugcheck(MAXIMUM_WAIT_OBJECTS_EXCEEDED,
                           KeWaitForMultipleObjects(4, Objects, WaitAny, Executive, KernelMode, FALSE, &Zero, NULL));
    irpsim_assert_bugcheck_parameter(0, 4);
    assert_int_equal(KeWaitForMultipleObjects(64, Objects, WaitAll, Executive, KernelMode, FALSE, &Zero, Blocks),
                     STATUS_WAIT_0);
    irpsim_assert_bugcheck(MAXIMUM_WAIT_OBJECTS_EXCEEDED,
                           KeWaitForMultipleObjects(65, Objects, WaitAny, Executive, KernelMode, FALSE, &Zero, Blocks));
    irpsim_assert_bugcheck_parameter(0, 65);
}

/* A WaitType other than WaitAll / WaitAny is reported (0xC4/0x1503,
   irpsim's code). */
static void test_bad_wait_type(void **State)
{
    KEVENT Event;
    PVOID Objects[1] = {&Event};
    LARGE_INTEGER Zero = Timeout(0);
    (void)State;
    KeInitializeEvent(&Event, NotificationEvent, TRUE);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION,
                           KeWaitForMultipleObjects(1, Objects, WaitNotification, Executive, KernelMode, FALSE, &Zero,
                                                    NULL));
    irpsim_assert_bugcheck_parameter(0, 0x1503);
}

/* Waiting on something that is not a dispatcher object (0xC4/0x1002). */
static void test_wait_on_non_object(void **State)
{
    KSPIN_LOCK NotAnObject[8];
    (void)State;
    memset(NotAnObject, 0, sizeof(NotAnObject));
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION,
                           KeWaitForSingleObject(NotAnObject, Executive, KernelMode, FALSE, NULL));
    irpsim_assert_bugcheck_parameter(0, 0x1002);
    irpsim_assert_bugcheck_parameter(1, (ULONG_PTR)NotAnObject);
}

/* Waits at DISPATCH_LEVEL: a poll is allowed; no timeout 0xC4/0x121; a
   non-zero timeout 0xC4/0x122; above DISPATCH_LEVEL 0xC4/0x120 (P2 IRQL,
   P3 object). */
static void test_wait_irql(void **State)
{
    KEVENT Event;
    KIRQL Old;
    LARGE_INTEGER Zero = Timeout(0);
    LARGE_INTEGER Second = Timeout(-KE_TEST_SECONDS(1));
    (void)State;
    KeInitializeEvent(&Event, NotificationEvent, FALSE);
    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    assert_int_equal(KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, &Zero), STATUS_TIMEOUT);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION,
                           KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, NULL));
    irpsim_assert_bugcheck_parameter(0, 0x121);
    irpsim_assert_bugcheck_parameter(1, DISPATCH_LEVEL);
    irpsim_assert_bugcheck_parameter(2, (ULONG_PTR)&Event);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION,
                           KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, &Second));
    irpsim_assert_bugcheck_parameter(0, 0x122);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KeDelayExecutionThread(KernelMode, FALSE, &Second));
    irpsim_assert_bugcheck_parameter(0, 0x122);
    KeRaiseIrql(HIGH_LEVEL, &Old);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION,
                           KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, NULL));
    irpsim_assert_bugcheck_parameter(0, 0x120);
    irpsim_assert_bugcheck_parameter(1, HIGH_LEVEL);
    KeLowerIrql(PASSIVE_LEVEL);
    /* At APC_LEVEL a wait is allowed. */
    KeRaiseIrql(APC_LEVEL, &Old);
    assert_int_equal(KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, &Zero), STATUS_TIMEOUT);
    KeLowerIrql(Old);
}

/* 0xB8 ATTEMPTED_SWITCH_FROM_DPC: a DPC routine waits. The bug check
   happens on the processor's thread; the test thread, waiting with its
   catch frame armed, picks it up. */
static KEVENT NeverSignalled;

static VOID NTAPI WaitingDpc(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2)
{
    (void)Dpc;
    (void)Context;
    (void)Argument1;
    (void)Argument2;
    KeWaitForSingleObject(&NeverSignalled, Executive, KernelMode, FALSE, NULL);
}

static void test_wait_in_dpc(void **State)
{
    KDPC Dpc;
    KEVENT Forever;
    (void)State;
    KeInitializeEvent(&NeverSignalled, NotificationEvent, FALSE);
    KeInitializeEvent(&Forever, NotificationEvent, FALSE);
    KeInitializeDpc(&Dpc, WaitingDpc, NULL);
    irpsim_assert_bugcheck(ATTEMPTED_SWITCH_FROM_DPC, {
        KeInsertQueueDpc(&Dpc, NULL, NULL);
        KeWaitForSingleObject(&Forever, Executive, KernelMode, FALSE, NULL);
    });
    /* The processor goes on running DPCs. */
    KeFlushQueuedDpcs();
}

/* Alerts: an alertable wait ends with STATUS_ALERTED; a non-alertable one
   does not, and the alert is kept for the next alertable wait. */
typedef struct _ALERTEE {
    KEVENT Ready;
    KEVENT Never;
    KEVENT Other;
    BOOLEAN Alertable;
    NTSTATUS Status;
    NTSTATUS SecondStatus;
} ALERTEE;

static VOID NTAPI AlerteeThread(PVOID Context)
{
    ALERTEE *Alertee = (ALERTEE *)Context;
    LARGE_INTEGER Zero = Timeout(0);
    KeSetEvent(&Alertee->Ready, IO_NO_INCREMENT, FALSE);
    Alertee->Status = KeWaitForSingleObject(&Alertee->Never, Executive, KernelMode, Alertee->Alertable, NULL);
    Alertee->SecondStatus = KeWaitForSingleObject(&Alertee->Other, Executive, KernelMode, TRUE, &Zero);
}

static VOID InitializeAlertee(ALERTEE *Alertee, BOOLEAN Alertable)
{
    KeInitializeEvent(&Alertee->Ready, NotificationEvent, FALSE);
    KeInitializeEvent(&Alertee->Never, NotificationEvent, FALSE);
    KeInitializeEvent(&Alertee->Other, NotificationEvent, FALSE);
    Alertee->Alertable = Alertable;
    Alertee->Status = STATUS_PENDING;
    Alertee->SecondStatus = STATUS_PENDING;
}

static void test_alertable_wait(void **State)
{
    ALERTEE Alertee;
    PKTHREAD Thread;
    (void)State;
    InitializeAlertee(&Alertee, TRUE);
    Thread = KeTestStartThread(AlerteeThread, &Alertee);
    KeWaitForSingleObject(&Alertee.Ready, Executive, KernelMode, FALSE, NULL);
    IrpSimRunUntilIdle(0);
    assert_false(KiAlertThread(Thread, KernelMode));
    KeTestJoinThread(Thread);
    assert_int_equal(Alertee.Status, STATUS_ALERTED);
    /* The alert was used up by the wait it ended. */
    assert_int_equal(Alertee.SecondStatus, STATUS_TIMEOUT);
}

static void test_alert_kept_for_next_alertable_wait(void **State)
{
    ALERTEE Alertee;
    PKTHREAD Thread;
    (void)State;
    InitializeAlertee(&Alertee, FALSE);
    Thread = KeTestStartThread(AlerteeThread, &Alertee);
    KeWaitForSingleObject(&Alertee.Ready, Executive, KernelMode, FALSE, NULL);
    IrpSimRunUntilIdle(0);
    KiAlertThread(Thread, KernelMode);
    IrpSimRunUntilIdle(0);
    /* Still waiting: a non-alertable wait ignores alerts. */
    assert_int_equal(Alertee.Status, STATUS_PENDING);
    KeSetEvent(&Alertee.Never, IO_NO_INCREMENT, FALSE);
    KeTestJoinThread(Thread);
    assert_int_equal(Alertee.Status, STATUS_WAIT_0);
    /* The next alertable wait (here a poll) ends with the kept alert. */
    assert_int_equal(Alertee.SecondStatus, STATUS_ALERTED);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(test_poll, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_wait_any_lowest_index, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_wait_all, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_wait_all_blocking, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_relative_timeout_virtual, KeTestSetupVirtual, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_absolute_timeout_virtual, KeTestSetupVirtual, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_delay, KeTestSetupVirtual, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_relative_timeout_real, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_wait_on_thread, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_too_many_objects, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_bad_wait_type, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_wait_on_non_object, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_wait_irql, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_wait_in_dpc, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_alertable_wait, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_alert_kept_for_next_alertable_wait, KeTestSetup, KeTestTeardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
