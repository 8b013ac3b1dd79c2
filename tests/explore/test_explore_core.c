/*
 * The controlled scheduler and the exploration API on small bodies: a lost
 * update between two system threads is found and replayed exactly; the same
 * seed gives the same schedules; a deadlock, a livelock and a failure on
 * another thread end the schedule with a report; virtual time; the
 * exhaustive search ends; decision strings survive a round trip.
 *
 * (Windows behaviour is not what is checked here: these are irpsim's own
 * tools. docs/explore.md describes them.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <ntddk.h>
#include <irpsim/irpsim.h>
#include <irpsim/explore.h>

#include "ke/explore.h"

/* ---- helpers ---- */

static PVOID StartThread(PKSTART_ROUTINE Routine, PVOID Context)
{
    HANDLE Handle;
    PVOID Thread = NULL;
    if (!NT_SUCCESS(PsCreateSystemThread(&Handle, THREAD_ALL_ACCESS, NULL, NULL, NULL, Routine, Context)))
        IrpSimExploreFail("PsCreateSystemThread failed");
    if (!NT_SUCCESS(ObReferenceObjectByHandle(Handle, SYNCHRONIZE, *PsThreadType, KernelMode, &Thread, NULL)))
        IrpSimExploreFail("ObReferenceObjectByHandle failed");
    ZwClose(Handle);
    return Thread;
}

static VOID JoinThread(PVOID Thread)
{
    KeWaitForSingleObject(Thread, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(Thread);
}

static VOID QuietOptions(PIRPSIM_EXPLORE_OPTIONS Options, PCSTR Name)
{
    IrpSimExploreDefaultOptions(Options);
    Options->Name = Name;
    Options->Quiet = TRUE;
    Options->TraceReplay = FALSE;
}

/* ---- a lost update ---- */

static LONG Shared;
static LONG Scratch;

static VOID Adder(PVOID Context)
{
    LONG Value = Shared;
    UNREFERENCED_PARAMETER(Context);
    InterlockedExchange(&Scratch, 1); /* a scheduling point inside the read-modify-write */
    Shared = Value + 1;
}

static NTSTATUS LostUpdateBody(PVOID Context)
{
    PVOID A, B;
    UNREFERENCED_PARAMETER(Context);
    Shared = 0;
    A = StartThread(Adder, NULL);
    B = StartThread(Adder, NULL);
    JoinThread(A);
    JoinThread(B);
    IRPSIM_EXPLORE_CHECK(Shared == 2);
    return STATUS_SUCCESS;
}

static void test_lost_update_found_and_replayed(void **state)
{
    IRPSIM_EXPLORE_OPTIONS Options;
    static IRPSIM_EXPLORE_RESULT Found, Replayed;
    (void)state;

    QuietOptions(&Options, "lost_update");
    Options.Iterations = 200;
    assert_int_equal(IrpSimExplore(&Options, LostUpdateBody, NULL, &Found), STATUS_SUCCESS);
    assert_int_equal(Found.Outcome, IrpSimExploreFailed);
    assert_non_null(strstr(Found.Message, "Shared == 2"));
    assert_true(Found.Schedules <= 200);
    assert_true(strlen(Found.Schedule) > 0);

    assert_int_equal(IrpSimExploreReplay(Found.Schedule, &Options, LostUpdateBody, NULL, &Replayed), STATUS_SUCCESS);
    assert_int_equal(Replayed.Outcome, IrpSimExploreFailed);
    assert_string_equal(Replayed.Schedule, Found.Schedule);
    assert_string_equal(Replayed.Message, Found.Message);
}

static void test_same_seed_same_schedules(void **state)
{
    IRPSIM_EXPLORE_OPTIONS Options;
    static IRPSIM_EXPLORE_RESULT First, Second, Other;
    (void)state;

    for (ULONG Strategy = IrpSimExploreRandom; Strategy <= IrpSimExplorePct; Strategy++) {
        QuietOptions(&Options, "determinism");
        Options.Strategy = (IRPSIM_EXPLORE_STRATEGY)Strategy;
        Options.Iterations = 300;
        Options.Seed = 77;
        assert_int_equal(IrpSimExplore(&Options, LostUpdateBody, NULL, &First), STATUS_SUCCESS);
        assert_int_equal(IrpSimExplore(&Options, LostUpdateBody, NULL, &Second), STATUS_SUCCESS);
        assert_int_equal(First.Outcome, Second.Outcome);
        assert_int_equal(First.Schedules, Second.Schedules);
        assert_int_equal(First.DistinctSchedules, Second.DistinctSchedules);
        assert_int_equal(First.FailingSchedule, Second.FailingSchedule);
        assert_true(First.Steps == Second.Steps);
        assert_string_equal(First.Schedule, Second.Schedule);
        /* Keep going: the counts of every schedule must match too. */
        Options.KeepGoing = TRUE;
        Options.Iterations = 60;
        assert_int_equal(IrpSimExplore(&Options, LostUpdateBody, NULL, &First), STATUS_SUCCESS);
        Options.Seed = 78;
        assert_int_equal(IrpSimExplore(&Options, LostUpdateBody, NULL, &Other), STATUS_SUCCESS);
        Options.Seed = 77;
        assert_int_equal(IrpSimExplore(&Options, LostUpdateBody, NULL, &Second), STATUS_SUCCESS);
        assert_int_equal(First.Schedules, 60);
        assert_int_equal(First.Failures, Second.Failures);
        assert_int_equal(First.DistinctSchedules, Second.DistinctSchedules);
        assert_true(First.Decisions == Second.Decisions);
        assert_true(First.DistinctSchedules > 1);
    }
}

/* ---- the exhaustive search ends ---- */

static void test_exhaustive_search_is_exhausted(void **state)
{
    IRPSIM_EXPLORE_OPTIONS Options;
    static IRPSIM_EXPLORE_RESULT Bound0, Bound1, Bound2;
    (void)state;

    QuietOptions(&Options, "exhaustive");
    Options.Strategy = IrpSimExploreExhaustive;
    Options.Iterations = 100000;
    Options.KeepGoing = TRUE;
    Options.PreemptionBound = 0;
    assert_int_equal(IrpSimExplore(&Options, LostUpdateBody, NULL, &Bound0), STATUS_SUCCESS);
    Options.PreemptionBound = 1;
    assert_int_equal(IrpSimExplore(&Options, LostUpdateBody, NULL, &Bound1), STATUS_SUCCESS);
    Options.PreemptionBound = 2;
    assert_int_equal(IrpSimExplore(&Options, LostUpdateBody, NULL, &Bound2), STATUS_SUCCESS);

    assert_true(Bound0.Exhausted && Bound1.Exhausted && Bound2.Exhausted);
    /* Every schedule of a search is a different one. */
    assert_int_equal(Bound0.DistinctSchedules, Bound0.Schedules);
    assert_int_equal(Bound1.DistinctSchedules, Bound1.Schedules);
    assert_int_equal(Bound2.DistinctSchedules, Bound2.Schedules);
    assert_true(Bound0.Schedules < Bound1.Schedules);
    assert_true(Bound1.Schedules < Bound2.Schedules);
    /* One preemption (inside the read-modify-write) is enough for the bug. */
    assert_int_equal(Bound0.Failures, 0);
    assert_true(Bound1.Failures > 0);
}

/* ---- deadlock ---- */

typedef struct _TWO_EVENTS {
    KEVENT First;
    KEVENT Second;
} TWO_EVENTS;

static VOID WaitFirstSetSecond(PVOID Context)
{
    TWO_EVENTS *Events = (TWO_EVENTS *)Context;
    KeWaitForSingleObject(&Events->First, Executive, KernelMode, FALSE, NULL);
    KeSetEvent(&Events->Second, IO_NO_INCREMENT, FALSE);
}

static NTSTATUS DeadlockBody(PVOID Context)
{
    static TWO_EVENTS Events; /* outlives the body: the thread still waits at shutdown */
    UNREFERENCED_PARAMETER(Context);
    KeInitializeEvent(&Events.First, NotificationEvent, FALSE);
    KeInitializeEvent(&Events.Second, NotificationEvent, FALSE);
    ObDereferenceObject(StartThread(WaitFirstSetSecond, &Events));
    /* Nobody ever sets First. */
    KeWaitForSingleObject(&Events.Second, Executive, KernelMode, FALSE, NULL);
    return STATUS_SUCCESS;
}

static void test_deadlock_reported(void **state)
{
    IRPSIM_EXPLORE_OPTIONS Options;
    static IRPSIM_EXPLORE_RESULT Result;
    (void)state;

    QuietOptions(&Options, "deadlock");
    Options.Iterations = 5;
    assert_int_equal(IrpSimExplore(&Options, DeadlockBody, NULL, &Result), STATUS_SUCCESS);
    assert_int_equal(Result.Outcome, IrpSimExploreDeadlock);
    assert_int_equal(Result.FailingSchedule, 0);
    assert_non_null(strstr(Result.Message, "deadlock"));
    /* Each thread's wait is named: the body and the system thread wait for events. */
    assert_non_null(strstr(Result.Message, "the body"));
    assert_non_null(strstr(Result.Message, "notification event"));
    assert_non_null(strstr(Result.Message, "system thread"));
}

/* ---- livelock ---- */

static volatile LONG NeverSet;

static NTSTATUS LivelockBody(PVOID Context)
{
    UNREFERENCED_PARAMETER(Context);
    while (InterlockedOr(&NeverSet, 0) == 0)
        ;
    return STATUS_SUCCESS;
}

static void test_livelock_reported(void **state)
{
    IRPSIM_EXPLORE_OPTIONS Options;
    static IRPSIM_EXPLORE_RESULT Result;
    (void)state;

    QuietOptions(&Options, "livelock");
    Options.Iterations = 3;
    Options.MaxSteps = 1000;
    assert_int_equal(IrpSimExplore(&Options, LivelockBody, NULL, &Result), STATUS_SUCCESS);
    assert_int_equal(Result.Outcome, IrpSimExploreLivelock);
    assert_true(Result.Steps >= 1000);
}

/* Nothing can run and a periodic timer wakes nobody: time would run on
   forever. */
static NTSTATUS OnlyTimersBody(PVOID Context)
{
    static KTIMER Timer; /* still set when the body is ended */
    KEVENT Never;
    LARGE_INTEGER Due;
    UNREFERENCED_PARAMETER(Context);
    KeInitializeTimer(&Timer);
    KeInitializeEvent(&Never, NotificationEvent, FALSE);
    Due.QuadPart = -10000; /* 1 ms, then every 1 ms */
    KeSetTimerEx(&Timer, Due, 1, NULL);
    KeWaitForSingleObject(&Never, Executive, KernelMode, FALSE, NULL);
    return STATUS_SUCCESS;
}

static void test_only_timers_left_is_a_livelock(void **state)
{
    IRPSIM_EXPLORE_OPTIONS Options;
    static IRPSIM_EXPLORE_RESULT Result;
    (void)state;

    QuietOptions(&Options, "only_timers");
    Options.Iterations = 1;
    Options.FailOnLeak = FALSE;
    assert_int_equal(IrpSimExplore(&Options, OnlyTimersBody, NULL, &Result), STATUS_SUCCESS);
    assert_int_equal(Result.Outcome, IrpSimExploreLivelock);
    assert_non_null(strstr(Result.Message, "periodic timers"));
}

/* ---- a failure on another thread, and in a DPC ---- */

static VOID FailingThread(PVOID Context)
{
    UNREFERENCED_PARAMETER(Context);
    IrpSimExploreFail("the thread saw %d", 42);
}

static VOID FailingDpc(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2)
{
    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(Argument1);
    UNREFERENCED_PARAMETER(Argument2);
    IrpSimExploreFail("the DPC failed");
}

static NTSTATUS FailElsewhereBody(PVOID Context)
{
    KDPC Dpc;
    if (Context != NULL) {
        KeInitializeDpc(&Dpc, FailingDpc, NULL);
        KeInsertQueueDpc(&Dpc, NULL, NULL);
        KeFlushQueuedDpcs();
    } else {
        JoinThread(StartThread(FailingThread, NULL));
    }
    return STATUS_SUCCESS;
}

static void test_fail_on_other_thread_and_dpc(void **state)
{
    IRPSIM_EXPLORE_OPTIONS Options;
    static IRPSIM_EXPLORE_RESULT Result;
    (void)state;

    QuietOptions(&Options, "fail_elsewhere");
    Options.Iterations = 5;
    assert_int_equal(IrpSimExplore(&Options, FailElsewhereBody, NULL, &Result), STATUS_SUCCESS);
    assert_int_equal(Result.Outcome, IrpSimExploreFailed);
    assert_string_equal(Result.Message, "the thread saw 42");
    assert_int_equal(Result.FailingSchedule, 0);

    assert_int_equal(IrpSimExplore(&Options, FailElsewhereBody, (PVOID)1, &Result), STATUS_SUCCESS);
    assert_int_equal(Result.Outcome, IrpSimExploreFailed);
    assert_string_equal(Result.Message, "the DPC failed");
}

/* ---- a bug check on another thread ---- */

static VOID DoubleReleaseThread(PVOID Context)
{
    KSPIN_LOCK Lock;
    UNREFERENCED_PARAMETER(Context);
    KeInitializeSpinLock(&Lock);
    KeReleaseSpinLockFromDpcLevel(&Lock); /* never acquired, and at PASSIVE_LEVEL */
}

static NTSTATUS ForeignBugCheckBody(PVOID Context)
{
    UNREFERENCED_PARAMETER(Context);
    JoinThread(StartThread(DoubleReleaseThread, NULL));
    return STATUS_SUCCESS;
}

static void test_bugcheck_on_other_thread(void **state)
{
    IRPSIM_EXPLORE_OPTIONS Options;
    static IRPSIM_EXPLORE_RESULT Result;
    (void)state;

    QuietOptions(&Options, "foreign_bugcheck");
    Options.Iterations = 5;
    assert_int_equal(IrpSimExplore(&Options, ForeignBugCheckBody, NULL, &Result), STATUS_SUCCESS);
    assert_int_equal(Result.Outcome, IrpSimExploreBugCheck);
    assert_int_equal(Result.BugCheckCode, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(Result.BugCheckParameter[0], 0x41);
}

/* ---- virtual time ---- */

static NTSTATUS TimeoutBody(PVOID Context)
{
    KEVENT Never;
    LARGE_INTEGER Timeout;
    ULONGLONG Before = KeQueryInterruptTime();
    LARGE_INTEGER Now;
    UNREFERENCED_PARAMETER(Context);
    KeInitializeEvent(&Never, NotificationEvent, FALSE);
    Timeout.QuadPart = -10LL * 1000 * 1000 * 3600; /* an hour */
    IRPSIM_EXPLORE_CHECK(KeWaitForSingleObject(&Never, Executive, KernelMode, FALSE, &Timeout) == STATUS_TIMEOUT);
    IRPSIM_EXPLORE_CHECK(KeQueryInterruptTime() - Before >= 10ULL * 1000 * 1000 * 3600);
    /* Every run boots at the same date. */
    KeQuerySystemTime(&Now);
    IRPSIM_EXPLORE_CHECK(Now.QuadPart - (LONGLONG)KeQueryInterruptTime() == 133485408000000000LL);
    IRPSIM_EXPLORE_CHECK(IrpSimExploreActive());
    return STATUS_SUCCESS;
}

static void test_virtual_time(void **state)
{
    IRPSIM_EXPLORE_OPTIONS Options;
    static IRPSIM_EXPLORE_RESULT Result;
    (void)state;

    QuietOptions(&Options, "virtual_time");
    Options.Iterations = 20;
    irpsim_explore_assert_passes(&Options, TimeoutBody, NULL);
    assert_int_equal(IrpSimExplore(&Options, TimeoutBody, NULL, &Result), STATUS_SUCCESS);
    assert_int_equal(Result.Outcome, IrpSimExplorePassed);
    assert_int_equal(Result.Schedules, 20);
    assert_false(IrpSimExploreActive());
}

/* ---- the body's own status, and misuse ---- */

static NTSTATUS FailingStatusBody(PVOID Context)
{
    UNREFERENCED_PARAMETER(Context);
    return STATUS_UNSUCCESSFUL;
}

static void test_body_status_and_bad_options(void **state)
{
    IRPSIM_EXPLORE_OPTIONS Options;
    static IRPSIM_EXPLORE_RESULT Result;
    (void)state;

    QuietOptions(&Options, "status");
    assert_int_equal(IrpSimExplore(&Options, FailingStatusBody, NULL, &Result), STATUS_SUCCESS);
    assert_int_equal(Result.Outcome, IrpSimExploreFailed);
    assert_int_equal(Result.Schedules, 1);

    Options.Strategy = (IRPSIM_EXPLORE_STRATEGY)42;
    assert_int_equal(IrpSimExplore(&Options, FailingStatusBody, NULL, &Result), STATUS_INVALID_PARAMETER);
    QuietOptions(&Options, "status");
    assert_int_equal(IrpSimExploreReplay("a!b", &Options, FailingStatusBody, NULL, &Result), STATUS_INVALID_PARAMETER);
    assert_int_equal(Result.Outcome, IrpSimExploreError);

    assert_int_equal(IrpSimInitialize(NULL), STATUS_SUCCESS);
    assert_int_equal(IrpSimExplore(&Options, FailingStatusBody, NULL, &Result), STATUS_INVALID_DEVICE_STATE);
    IrpSimShutdown();
}

/* ---- decision strings ---- */

static void test_decision_strings(void **state)
{
    static const USHORT Symbols[] = {0, 1, 1, 2, 2, 2, 2, KI_SYMBOL_CLOCK, 0, 27, 51, 51, 51};
    KI_DECISIONS Decisions = {0};
    KI_DECISIONS Parsed = {0};
    CHAR Text[64];
    CHAR Error[64];
    (void)state;

    for (ULONG i = 0; i < RTL_NUMBER_OF(Symbols); i++)
        assert_true(KiDecisionsAppend(&Decisions, Symbols[i]));
    assert_true(KiDecisionsEncode(&Decisions, Text, sizeof(Text)));
    assert_string_equal(Text, "abb4c+aB3Z");
    assert_true(KiDecisionsDecode(" abb 4c+aB3Z\n", &Parsed, Error, sizeof(Error)));
    assert_int_equal(Parsed.Count, RTL_NUMBER_OF(Symbols));
    assert_memory_equal(Parsed.Symbols, Symbols, sizeof(Symbols));
    assert_true(KiDecisionsHash(&Parsed) == KiDecisionsHash(&Decisions));
    assert_false(KiDecisionsDecode("ab3", &Parsed, Error, sizeof(Error)));
    assert_false(KiDecisionsDecode("a-b", &Parsed, Error, sizeof(Error)));
    assert_false(KiDecisionsEncode(&Decisions, Text, 4));
    KiDecisionsFree(&Decisions);
    KiDecisionsFree(&Parsed);
}

/* ---- the benchmark hook ---- */

static void test_benchmark_hook(void **state)
{
    (void)state;
    assert_int_equal(IrpSimExploreBenchmark(25, IrpSimExploreRandom, 5), 25);
    assert_int_equal(IrpSimExploreBenchmark(10, IrpSimExplorePct, 5), 10);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test(test_decision_strings),
        cmocka_unit_test(test_lost_update_found_and_replayed),
        cmocka_unit_test(test_same_seed_same_schedules),
        cmocka_unit_test(test_exhaustive_search_is_exhausted),
        cmocka_unit_test(test_deadlock_reported),
        cmocka_unit_test(test_livelock_reported),
        cmocka_unit_test(test_only_timers_left_is_a_livelock),
        cmocka_unit_test(test_fail_on_other_thread_and_dpc),
        cmocka_unit_test(test_bugcheck_on_other_thread),
        cmocka_unit_test(test_virtual_time),
        cmocka_unit_test(test_body_status_and_bad_options),
        cmocka_unit_test(test_benchmark_hook),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
