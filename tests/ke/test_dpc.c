/*
 * DPCs and processors (SEMANTICS 9.6): queueing, order, importance,
 * re-queue refusal, removal, flushing, targeting, and what a DPC routine
 * must not do.
 */
#include "ke_test.h"

static int Setup3(void **State)
{
    (void)State;
    return KeTestStart(IrpSimClockReal, 3, TRUE);
}

/* The processor queries reflect IRPSIM_CONFIG.ProcessorCount, one group. */
static void test_processor_queries(void **State)
{
    KAFFINITY Active = 0;
    PROCESSOR_NUMBER Number;
    (void)State;
    assert_int_equal(KeQueryActiveProcessorCount(&Active), 3);
    assert_int_equal(Active, 0x7);
    assert_int_equal(KeQueryActiveProcessors(), 0x7);
    assert_int_equal(KeQueryActiveProcessorCountEx(0), 3);
    assert_int_equal(KeQueryActiveProcessorCountEx(ALL_PROCESSOR_GROUPS), 3);
    assert_int_equal(KeQueryActiveProcessorCountEx(1), 0);
    assert_int_equal(KeQueryMaximumProcessorCount(), 3);
    assert_int_equal(KeQueryActiveGroupCount(), 1);
    assert_true(KeGetCurrentProcessorNumber() < 3);
    assert_int_equal(KeGetCurrentProcessorNumberEx(&Number), KeGetCurrentProcessorNumber());
    assert_int_equal(Number.Group, 0);
    assert_int_equal(Number.Number, KeGetCurrentProcessorNumber());
    assert_false(KeIsExecutingDpc());
}

/* What a DPC routine observed. */
typedef struct _DPC_LOG {
    volatile LONG Count;
    CHAR Order[16];
    KIRQL Irql[16];
    BOOLEAN InDpc[16];
    ULONG Processor[16];
    PVOID DpcData[16];
    PVOID Argument1[16];
} DPC_LOG;

typedef struct _LOGGED_DPC {
    KDPC Dpc;
    CHAR Name;
    DPC_LOG *Log;
} LOGGED_DPC;

static VOID NTAPI LoggingDpc(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2)
{
    LOGGED_DPC *Logged = (LOGGED_DPC *)Context;
    DPC_LOG *Log = Logged->Log;
    LONG Index = Log->Count;
    (void)Argument2;
    if (Index < 16) {
        Log->Order[Index] = Logged->Name;
        Log->Irql[Index] = KeGetCurrentIrql();
        Log->InDpc[Index] = KeIsExecutingDpc();
        Log->Processor[Index] = KeGetCurrentProcessorNumber();
        Log->DpcData[Index] = Dpc->DpcData;
        Log->Argument1[Index] = Argument1;
    }
    InterlockedIncrement(&Log->Count);
}

static VOID InitLogged(LOGGED_DPC *Logged, CHAR Name, DPC_LOG *Log)
{
    KeInitializeDpc(&Logged->Dpc, LoggingDpc, Logged);
    KeSetTargetProcessorDpc(&Logged->Dpc, 0);
    Logged->Name = Name;
    Logged->Log = Log;
}

/* A DPC that keeps processor 0 busy until the test lets it go, so that the
   DPCs queued behind it line up. */
static volatile LONG BlockerGo;
static volatile LONG BlockerRunning;

static VOID NTAPI BlockerDpc(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2)
{
    (void)Dpc;
    (void)Context;
    (void)Argument1;
    (void)Argument2;
    __atomic_store_n(&BlockerRunning, 1, __ATOMIC_SEQ_CST);
    while (!__atomic_load_n(&BlockerGo, __ATOMIC_SEQ_CST))
        YieldProcessor();
}

static VOID StartBlocker(PKDPC Blocker)
{
    __atomic_store_n(&BlockerGo, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&BlockerRunning, 0, __ATOMIC_SEQ_CST);
    KeInitializeDpc(Blocker, BlockerDpc, NULL);
    KeSetTargetProcessorDpc(Blocker, 0);
    assert_true(KeInsertQueueDpc(Blocker, NULL, NULL));
    while (!__atomic_load_n(&BlockerRunning, __ATOMIC_SEQ_CST))
        YieldProcessor();
}

static VOID ReleaseBlocker(VOID)
{
    __atomic_store_n(&BlockerGo, 1, __ATOMIC_SEQ_CST);
    KeFlushQueuedDpcs();
}

/* DPCs run one at a time in queue order; HighImportance goes to the head.
   DpcData is non-NULL while queued and NULL when the routine runs; the
   routine runs at DISPATCH_LEVEL with KeIsExecutingDpc TRUE, on the target
   processor. */
static void test_order_and_importance(void **State)
{
    KDPC Blocker;
    DPC_LOG Log;
    LOGGED_DPC A, B, C;
    (void)State;
    memset(&Log, 0, sizeof(Log));
    InitLogged(&A, 'A', &Log);
    InitLogged(&B, 'B', &Log);
    InitLogged(&C, 'C', &Log);
    KeSetImportanceDpc(&C.Dpc, HighImportance);
    assert_int_equal(A.Dpc.Type, DpcObject);
    assert_int_equal(A.Dpc.Importance, MediumImportance);
    assert_null(A.Dpc.DpcData);

    StartBlocker(&Blocker);
    assert_true(KeInsertQueueDpc(&A.Dpc, (PVOID)1, NULL));
    assert_non_null(A.Dpc.DpcData);
    assert_true(KeInsertQueueDpc(&B.Dpc, (PVOID)2, NULL));
    assert_true(KeInsertQueueDpc(&C.Dpc, (PVOID)3, NULL));
    ReleaseBlocker();

    assert_int_equal(Log.Count, 3);
    assert_memory_equal(Log.Order, "CAB", 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(Log.Irql[i], DISPATCH_LEVEL);
        assert_true(Log.InDpc[i]);
        assert_int_equal(Log.Processor[i], 0);
        assert_null(Log.DpcData[i]);
    }
    assert_null(A.Dpc.DpcData);
}

/* KeInsertQueueDpc returns FALSE for a DPC already queued and keeps the
   arguments of the first insertion; the DPC runs once. */
static void test_requeue_refused(void **State)
{
    KDPC Blocker;
    DPC_LOG Log;
    LOGGED_DPC A;
    (void)State;
    memset(&Log, 0, sizeof(Log));
    InitLogged(&A, 'A', &Log);
    StartBlocker(&Blocker);
    assert_true(KeInsertQueueDpc(&A.Dpc, (PVOID)0x11, NULL));
    assert_false(KeInsertQueueDpc(&A.Dpc, (PVOID)0x22, NULL));
    ReleaseBlocker();
    assert_int_equal(Log.Count, 1);
    assert_ptr_equal(Log.Argument1[0], (PVOID)0x11);
    /* Once it ran it can be queued again. */
    assert_true(KeInsertQueueDpc(&A.Dpc, (PVOID)0x33, NULL));
    KeFlushQueuedDpcs();
    assert_int_equal(Log.Count, 2);
    assert_ptr_equal(Log.Argument1[1], (PVOID)0x33);
}

/* KeRemoveQueueDpc: TRUE if it was queued (and it will not run), FALSE if not. */
static void test_remove(void **State)
{
    KDPC Blocker;
    DPC_LOG Log;
    LOGGED_DPC A;
    (void)State;
    memset(&Log, 0, sizeof(Log));
    InitLogged(&A, 'A', &Log);
    assert_false(KeRemoveQueueDpc(&A.Dpc));
    StartBlocker(&Blocker);
    assert_true(KeInsertQueueDpc(&A.Dpc, NULL, NULL));
    assert_true(KeRemoveQueueDpc(&A.Dpc));
    assert_null(A.Dpc.DpcData);
    assert_false(KeRemoveQueueDpc(&A.Dpc));
    ReleaseBlocker();
    assert_int_equal(Log.Count, 0);
}

/* A DPC routine may queue its own DPC again (DpcData was cleared first). */
static volatile LONG SelfRequeueRuns;

static VOID NTAPI SelfRequeueDpc(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2)
{
    (void)Context;
    (void)Argument1;
    (void)Argument2;
    if (InterlockedIncrement(&SelfRequeueRuns) < 5)
        KeInsertQueueDpc(Dpc, NULL, NULL);
}

static void test_routine_requeues_itself(void **State)
{
    KDPC Dpc;
    (void)State;
    SelfRequeueRuns = 0;
    KeInitializeDpc(&Dpc, SelfRequeueDpc, NULL);
    KeInsertQueueDpc(&Dpc, NULL, NULL);
    IrpSimRunUntilIdle(0);
    assert_int_equal(SelfRequeueRuns, 5);
}

/* Untargeted DPCs run on the processor of the thread that queued them;
   targeted ones on their target. Threaded DPCs run like ordinary ones. */
static void test_targeting(void **State)
{
    DPC_LOG Log;
    LOGGED_DPC Untargeted, Targeted, Threaded;
    PROCESSOR_NUMBER Number;
    (void)State;
    memset(&Log, 0, sizeof(Log));
    KeInitializeDpc(&Untargeted.Dpc, LoggingDpc, &Untargeted);
    Untargeted.Log = &Log;
    Untargeted.Name = 'U';
    KeInsertQueueDpc(&Untargeted.Dpc, NULL, NULL);
    KeFlushQueuedDpcs();
    assert_int_equal(Log.Processor[0], KeGetCurrentProcessorNumber());

    KeInitializeDpc(&Targeted.Dpc, LoggingDpc, &Targeted);
    Targeted.Log = &Log;
    Number.Group = 0;
    Number.Number = 2;
    Number.Reserved = 0;
    assert_int_equal(KeSetTargetProcessorDpcEx(&Targeted.Dpc, &Number), STATUS_SUCCESS);
    KeInsertQueueDpc(&Targeted.Dpc, NULL, NULL);
    KeFlushQueuedDpcs();
    assert_int_equal(Log.Processor[1], 2);

    KeInitializeThreadedDpc(&Threaded.Dpc, LoggingDpc, &Threaded);
    assert_int_equal(Threaded.Dpc.Type, ThreadedDpcObject);
    Threaded.Log = &Log;
    KeSetTargetProcessorDpc(&Threaded.Dpc, 1);
    KeInsertQueueDpc(&Threaded.Dpc, NULL, NULL);
    KeFlushQueuedDpcs();
    assert_int_equal(Log.Processor[2], 1);
    assert_int_equal(Log.Irql[2], DISPATCH_LEVEL);

    Number.Number = 3;
    assert_int_equal(KeSetTargetProcessorDpcEx(&Targeted.Dpc, &Number), STATUS_INVALID_PARAMETER);
    Number.Number = 0;
    Number.Group = 1;
    assert_int_equal(KeSetTargetProcessorDpcEx(&Targeted.Dpc, &Number), STATUS_INVALID_PARAMETER);
}

/* 0xC7 TIMER_OR_DPC_INVALID P1 = 3: a target processor that does not exist. */
static void test_bad_target(void **State)
{
    KDPC Dpc;
    (void)State;
    KeInitializeDpc(&Dpc, LoggingDpc, NULL);
    irpsim_assert_bugcheck(TIMER_OR_DPC_INVALID, KeSetTargetProcessorDpc(&Dpc, 3));
    irpsim_assert_bugcheck_parameter(0, 3);
    irpsim_assert_bugcheck_parameter(1, (ULONG_PTR)&Dpc);
}

/* A KDPC never initialised is reported (0xC4/0x1002). */
static void test_uninitialised_dpc(void **State)
{
    KDPC Dpc;
    (void)State;
    memset(&Dpc, 0, sizeof(Dpc));
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KeInsertQueueDpc(&Dpc, NULL, NULL));
    irpsim_assert_bugcheck_parameter(0, 0x1002);
    irpsim_assert_bugcheck_parameter(1, (ULONG_PTR)&Dpc);
}

/* A DPC routine that returns at a raised IRQL: 0x9 IRQL_NOT_GREATER_OR_EQUAL
   (P1 the routine, P2 the IRQL, P3 DISPATCH_LEVEL). The bug check, on the
   processor's thread, reaches the test's catch frame at its wait. */
static VOID NTAPI RaisingDpc(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2)
{
    KIRQL Old;
    (void)Dpc;
    (void)Context;
    (void)Argument1;
    (void)Argument2;
    KeRaiseIrql(HIGH_LEVEL, &Old);
}

static VOID QueueAndWaitForever(PKDEFERRED_ROUTINE Routine, PVOID Context)
{
    static KDPC Dpc;
    KEVENT Forever;
    KeInitializeEvent(&Forever, NotificationEvent, FALSE);
    KeInitializeDpc(&Dpc, Routine, Context);
    KeInsertQueueDpc(&Dpc, NULL, NULL);
    KeWaitForSingleObject(&Forever, Executive, KernelMode, FALSE, NULL);
}

static void test_dpc_returns_raised(void **State)
{
    (void)State;
    irpsim_assert_bugcheck(IRQL_NOT_GREATER_OR_EQUAL, QueueAndWaitForever(RaisingDpc, NULL));
    irpsim_assert_bugcheck_parameter(0, (ULONG_PTR)RaisingDpc);
    irpsim_assert_bugcheck_parameter(1, HIGH_LEVEL);
    irpsim_assert_bugcheck_parameter(2, DISPATCH_LEVEL);
    KeFlushQueuedDpcs(); /* the processor carries on */
}

/* Lowering below DISPATCH_LEVEL inside a DPC routine: 0xC4/0x31 P4 = 1. */
static VOID NTAPI LoweringDpc(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2)
{
    (void)Dpc;
    (void)Context;
    (void)Argument1;
    (void)Argument2;
    KeLowerIrql(PASSIVE_LEVEL);
}

static void test_dpc_lowers_irql(void **State)
{
    (void)State;
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, QueueAndWaitForever(LoweringDpc, NULL));
    irpsim_assert_bugcheck_parameter(0, 0x31);
    irpsim_assert_bugcheck_parameter(3, 1);
}

/* A DPC routine that returns holding a spin lock it acquired (0xC4/0x1502,
   irpsim's code; P2 the routine, P3 the lock). The lock is released. */
static KSPIN_LOCK LeakedLock;

static VOID NTAPI LockLeakingDpc(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2)
{
    (void)Dpc;
    (void)Context;
    (void)Argument1;
    (void)Argument2;
    KeAcquireSpinLockAtDpcLevel(&LeakedLock);
}

static void test_dpc_returns_holding_lock(void **State)
{
    (void)State;
    KeInitializeSpinLock(&LeakedLock);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, QueueAndWaitForever(LockLeakingDpc, NULL));
    irpsim_assert_bugcheck_parameter(0, 0x1502);
    irpsim_assert_bugcheck_parameter(1, (ULONG_PTR)LockLeakingDpc);
    irpsim_assert_bugcheck_parameter(2, (ULONG_PTR)&LeakedLock);
    KeFlushQueuedDpcs();
    assert_true(KeTestSpinLock(&LeakedLock));
}

/* A DPC routine that takes a kernel mutex (a zero-timeout wait is allowed
   at DISPATCH_LEVEL) and returns owning it has changed the thread's
   APC-disable count: 0xC7 TIMER_OR_DPC_INVALID, P1 = 4, P2 the routine. */
static KMUTEX DpcMutex;

static VOID NTAPI MutexDpc(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2)
{
    LARGE_INTEGER Zero;
    (void)Dpc;
    (void)Context;
    (void)Argument1;
    (void)Argument2;
    Zero.QuadPart = 0;
    KeWaitForSingleObject(&DpcMutex, Executive, KernelMode, FALSE, &Zero);
}

static void test_dpc_changes_apc_disable(void **State)
{
    (void)State;
    KeInitializeMutex(&DpcMutex, 0);
    irpsim_assert_bugcheck(TIMER_OR_DPC_INVALID, QueueAndWaitForever(MutexDpc, NULL));
    irpsim_assert_bugcheck_parameter(0, 4);
    irpsim_assert_bugcheck_parameter(1, (ULONG_PTR)MutexDpc);
}

/* KeFlushQueuedDpcs must be called at PASSIVE_LEVEL. */
static void test_flush_at_dispatch(void **State)
{
    KIRQL Old;
    (void)State;
    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    irpsim_assert_bugcheck(IRQL_NOT_LESS_OR_EQUAL, KeFlushQueuedDpcs());
    irpsim_assert_bugcheck_parameter(1, DISPATCH_LEVEL);
    KeLowerIrql(Old);
}

/* KeFlushQueuedDpcs from a DPC routine would wait for itself: 0xB8. */
static VOID NTAPI FlushingDpc(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2)
{
    (void)Dpc;
    (void)Context;
    (void)Argument1;
    (void)Argument2;
    KeFlushQueuedDpcs();
}

static void test_flush_in_dpc(void **State)
{
    (void)State;
    irpsim_assert_bugcheck(ATTEMPTED_SWITCH_FROM_DPC, QueueAndWaitForever(FlushingDpc, NULL));
}

/* Re-initialising a queued DPC is reported (0xC4/0x1501). */
static void test_reinitialise_queued(void **State)
{
    KDPC Blocker;
    KDPC Dpc;
    (void)State;
    KeInitializeDpc(&Dpc, LoggingDpc, NULL);
    KeSetTargetProcessorDpc(&Dpc, 0);
    StartBlocker(&Blocker);
    KeInsertQueueDpc(&Dpc, NULL, NULL);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KeInitializeDpc(&Dpc, LoggingDpc, NULL));
    irpsim_assert_bugcheck_parameter(0, 0x1501);
    assert_true(KeRemoveQueueDpc(&Dpc));
    ReleaseBlocker();
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(test_processor_queries, Setup3, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_order_and_importance, Setup3, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_requeue_refused, Setup3, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_remove, Setup3, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_routine_requeues_itself, Setup3, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_targeting, Setup3, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_bad_target, Setup3, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_uninitialised_dpc, Setup3, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_dpc_returns_raised, Setup3, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_dpc_lowers_irql, Setup3, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_dpc_returns_holding_lock, Setup3, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_dpc_changes_apc_disable, Setup3, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_flush_at_dispatch, Setup3, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_flush_in_dpc, Setup3, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_reinitialise_queued, Setup3, KeTestTeardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
