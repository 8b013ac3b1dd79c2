/*
 * APCs (SEMANTICS 3.6, 9.4, 9.5): special kernel APCs (the I/O manager's
 * stage-2 completion), normal kernel APCs and user APCs, and where each is
 * delivered. KeInitializeApc / KeInsertQueueApc are not in the WDK
 * headers; irpsim declares them in its kernel header.
 */
#include "ke_test.h"
#include "../../src/ke/ki.h"

typedef struct _APC_PROBE {
    KAPC Apc;
    volatile LONG KernelRuns;
    volatile LONG NormalRuns;
    volatile LONG Rundowns;
    PKTHREAD RanOn;
    KIRQL KernelIrql;
    KIRQL NormalIrql;
    ULONGLONG RanAt;
    PKEVENT SetInKernelRoutine;
} APC_PROBE;

static VOID NTAPI ProbeKernelRoutine(PKAPC Apc, PKNORMAL_ROUTINE *NormalRoutine, PVOID *NormalContext,
                                     PVOID *SystemArgument1, PVOID *SystemArgument2)
{
    APC_PROBE *Probe = CONTAINING_RECORD(Apc, APC_PROBE, Apc);
    (void)NormalRoutine;
    (void)NormalContext;
    (void)SystemArgument1;
    (void)SystemArgument2;
    Probe->RanOn = KeGetCurrentThread();
    Probe->KernelIrql = KeGetCurrentIrql();
    Probe->RanAt = KeQueryInterruptTime();
    if (Probe->SetInKernelRoutine != NULL)
        KeSetEvent(Probe->SetInKernelRoutine, IO_NO_INCREMENT, FALSE);
    InterlockedIncrement(&Probe->KernelRuns);
}

static VOID NTAPI ProbeNormalRoutine(PVOID NormalContext, PVOID SystemArgument1, PVOID SystemArgument2)
{
    APC_PROBE *Probe = (APC_PROBE *)NormalContext;
    (void)SystemArgument1;
    (void)SystemArgument2;
    Probe->NormalIrql = KeGetCurrentIrql();
    InterlockedIncrement(&Probe->NormalRuns);
}

static VOID NTAPI ProbeRundown(PKAPC Apc)
{
    APC_PROBE *Probe = CONTAINING_RECORD(Apc, APC_PROBE, Apc);
    InterlockedIncrement(&Probe->Rundowns);
}

static VOID InitSpecial(APC_PROBE *Probe, PKTHREAD Thread)
{
    memset(Probe, 0, sizeof(*Probe));
    KeInitializeApc(&Probe->Apc, Thread, OriginalApcEnvironment, ProbeKernelRoutine, ProbeRundown, NULL, KernelMode,
                    NULL);
}

static VOID InitNormal(APC_PROBE *Probe, PKTHREAD Thread, KPROCESSOR_MODE Mode)
{
    memset(Probe, 0, sizeof(*Probe));
    KeInitializeApc(&Probe->Apc, Thread, OriginalApcEnvironment, ProbeKernelRoutine, ProbeRundown,
                    ProbeNormalRoutine, Mode, Probe);
}

/* A special kernel APC queued to the calling thread at PASSIVE_LEVEL runs
   at once, at APC_LEVEL; inserting it again while queued fails. */
static void test_special_apc_to_self(void **State)
{
    APC_PROBE Probe;
    KIRQL Old;
    (void)State;
    InitSpecial(&Probe, KeGetCurrentThread());
    assert_int_equal(Probe.Apc.ApcMode, KernelMode);
    assert_true(KeInsertQueueApc(&Probe.Apc, NULL, NULL, 0));
    assert_int_equal(Probe.KernelRuns, 1);
    assert_int_equal(Probe.KernelIrql, APC_LEVEL);
    assert_ptr_equal(Probe.RanOn, KeGetCurrentThread());
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);

    /* At APC_LEVEL it waits until the IRQL drops below APC_LEVEL. */
    KeRaiseIrql(APC_LEVEL, &Old);
    assert_true(KeInsertQueueApc(&Probe.Apc, NULL, NULL, 0));
    assert_false(KeInsertQueueApc(&Probe.Apc, NULL, NULL, 0));
    assert_int_equal(Probe.KernelRuns, 1);
    KeLowerIrql(Old);
    assert_int_equal(Probe.KernelRuns, 2);
}

/* A guarded region holds off special kernel APCs until it is left. */
static void test_guarded_region_holds_special_apcs(void **State)
{
    APC_PROBE Probe;
    (void)State;
    InitSpecial(&Probe, KeGetCurrentThread());
    KeEnterGuardedRegion();
    KeInsertQueueApc(&Probe.Apc, NULL, NULL, 0);
    assert_int_equal(Probe.KernelRuns, 0);
    KeLeaveGuardedRegion();
    assert_int_equal(Probe.KernelRuns, 1);
}

/* A critical region holds off normal kernel APCs but not special ones; the
   normal routine runs at PASSIVE_LEVEL after the kernel routine. */
static void test_critical_region(void **State)
{
    APC_PROBE Normal, Special;
    (void)State;
    InitNormal(&Normal, KeGetCurrentThread(), KernelMode);
    InitSpecial(&Special, KeGetCurrentThread());
    KeEnterCriticalRegion();
    KeInsertQueueApc(&Normal.Apc, NULL, NULL, 0);
    KeInsertQueueApc(&Special.Apc, NULL, NULL, 0);
    assert_int_equal(Normal.KernelRuns, 0);
    assert_int_equal(Special.KernelRuns, 1);
    KeLeaveCriticalRegion();
    assert_int_equal(Normal.KernelRuns, 1);
    assert_int_equal(Normal.NormalRuns, 1);
    assert_int_equal(Normal.KernelIrql, APC_LEVEL);
    assert_int_equal(Normal.NormalIrql, PASSIVE_LEVEL);
}

/* A thread blocked in a non-alertable kernel-mode wait runs a special
   kernel APC inside the wait, in its own context; the wait then goes on. */
typedef struct _APC_TARGET {
    KEVENT Ready;
    KEVENT WaitFor;
    KPROCESSOR_MODE WaitMode;
    BOOLEAN Alertable;
    LONGLONG Timeout; /* 0 = none */
    NTSTATUS Status;
    ULONGLONG Started;
    ULONGLONG Ended;
} APC_TARGET;

static VOID NTAPI ApcTargetThread(PVOID Context)
{
    APC_TARGET *Target = (APC_TARGET *)Context;
    LARGE_INTEGER Timeout;
    Timeout.QuadPart = Target->Timeout;
    Target->Started = KeQueryInterruptTime();
    KeSetEvent(&Target->Ready, IO_NO_INCREMENT, FALSE);
    Target->Status = KeWaitForSingleObject(&Target->WaitFor, Executive, Target->WaitMode, Target->Alertable,
                                           Target->Timeout != 0 ? &Timeout : NULL);
    Target->Ended = KeQueryInterruptTime();
}

static PKTHREAD StartTarget(APC_TARGET *Target, KPROCESSOR_MODE WaitMode, BOOLEAN Alertable, LONGLONG Timeout)
{
    PKTHREAD Thread;
    KeInitializeEvent(&Target->Ready, NotificationEvent, FALSE);
    KeInitializeEvent(&Target->WaitFor, NotificationEvent, FALSE);
    Target->WaitMode = WaitMode;
    Target->Alertable = Alertable;
    Target->Timeout = Timeout;
    Target->Status = STATUS_PENDING;
    Thread = KeTestStartThread(ApcTargetThread, Target);
    KeWaitForSingleObject(&Target->Ready, Executive, KernelMode, FALSE, NULL);
    IrpSimRunUntilIdle(0); /* now blocked in its wait */
    return Thread;
}

static void test_special_apc_interrupts_wait(void **State)
{
    APC_TARGET Target;
    APC_PROBE Probe;
    PKTHREAD Thread;
    (void)State;
    Thread = StartTarget(&Target, KernelMode, FALSE, 0);
    InitSpecial(&Probe, Thread);
    Probe.SetInKernelRoutine = &Target.WaitFor; /* what stage 2 does: signal the waiter's event */
    assert_true(KeInsertQueueApc(&Probe.Apc, NULL, NULL, 0));
    KeTestJoinThread(Thread);
    assert_int_equal(Probe.KernelRuns, 1);
    assert_ptr_equal(Probe.RanOn, Thread);
    assert_int_equal(Probe.KernelIrql, APC_LEVEL);
    assert_int_equal(Target.Status, STATUS_WAIT_0);
}

/* After the APC the wait resumes with the time that was left. */
static void test_wait_resumes_with_remaining_timeout(void **State)
{
    APC_TARGET Target;
    APC_PROBE Probe;
    PKTHREAD Thread;
    (void)State;
    KE_TEST_REQUIRE_VIRTUAL();
    Thread = StartTarget(&Target, KernelMode, FALSE, -KE_TEST_SECONDS(10));
    IrpSimAdvanceTime(KE_TEST_SECONDS(4));
    InitSpecial(&Probe, Thread);
    KeInsertQueueApc(&Probe.Apc, NULL, NULL, 0);
    IrpSimRunUntilIdle(0);
    assert_int_equal(Probe.KernelRuns, 1);
    assert_int_equal(Probe.RanAt - Target.Started, (ULONGLONG)KE_TEST_SECONDS(4));
    assert_int_equal(Target.Status, STATUS_PENDING);
    KeTestJoinThread(Thread);
    assert_int_equal(Target.Status, STATUS_TIMEOUT);
    assert_int_equal(Target.Ended - Target.Started, (ULONGLONG)KE_TEST_SECONDS(10));
}

/* A user APC ends an alertable UserMode wait with STATUS_USER_APC after its
   routines ran in the waiting thread. */
static void test_user_apc_alertable_user_wait(void **State)
{
    APC_TARGET Target;
    APC_PROBE Probe;
    PKTHREAD Thread;
    (void)State;
    Thread = StartTarget(&Target, UserMode, TRUE, 0);
    InitNormal(&Probe, Thread, UserMode);
    assert_int_equal(Probe.Apc.ApcMode, UserMode);
    KeInsertQueueApc(&Probe.Apc, NULL, NULL, 0);
    KeTestJoinThread(Thread);
    assert_int_equal(Target.Status, STATUS_USER_APC);
    assert_int_equal(Probe.KernelRuns, 1);
    assert_int_equal(Probe.NormalRuns, 1);
    assert_ptr_equal(Probe.RanOn, Thread);
}

/* A user APC does not interrupt a non-alertable wait, nor an alertable
   KernelMode wait; at thread exit it is run down (RundownRoutine). */
static void test_user_apc_not_delivered_elsewhere(void **State)
{
    APC_TARGET Target;
    APC_PROBE Probe;
    PKTHREAD Thread;
    (void)State;
    for (int Case = 0; Case < 2; Case++) {
        Thread = StartTarget(&Target, Case == 0 ? UserMode : KernelMode, Case == 0 ? FALSE : TRUE, 0);
        InitNormal(&Probe, Thread, UserMode);
        KeInsertQueueApc(&Probe.Apc, NULL, NULL, 0);
        IrpSimRunUntilIdle(0);
        assert_int_equal(Target.Status, STATUS_PENDING);
        assert_int_equal(Probe.KernelRuns, 0);
        KeSetEvent(&Target.WaitFor, IO_NO_INCREMENT, FALSE);
        KeTestJoinThread(Thread);
        assert_int_equal(Target.Status, STATUS_WAIT_0);
        assert_int_equal(Probe.KernelRuns, 0);
        assert_int_equal(Probe.Rundowns, 1);
    }
}

/* After its thread ended, nothing more can be queued to it. */
static void test_no_apc_after_exit(void **State)
{
    APC_TARGET Target;
    APC_PROBE Probe;
    PKTHREAD Thread;
    (void)State;
    Thread = StartTarget(&Target, KernelMode, FALSE, 0);
    KeSetEvent(&Target.WaitFor, IO_NO_INCREMENT, FALSE);
    assert_int_equal(KeWaitForSingleObject(Thread, Executive, KernelMode, FALSE, NULL), STATUS_WAIT_0);
    InitSpecial(&Probe, Thread);
    assert_false(KeInsertQueueApc(&Probe.Apc, NULL, NULL, 0));
    ObDereferenceObject(Thread);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(test_special_apc_to_self, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_guarded_region_holds_special_apcs, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_critical_region, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_special_apc_interrupts_wait, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_wait_resumes_with_remaining_timeout, KeTestSetupVirtual, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_user_apc_alertable_user_wait, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_user_apc_not_delivered_elsewhere, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_no_apc_after_exit, KeTestSetup, KeTestTeardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
