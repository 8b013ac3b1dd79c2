/*
 * Seed 002, scenario 2 under schedule exploration.
 *
 * Windows behaviour relied on (KB 320275, "Handling IRPs", and the
 * IoCancelIrp / completion-routine rules of the WDK): the IRPLOCK
 * hand-over makes exactly one of the sender and the completion routine
 * finish the IRP, whichever order the completion, the timeout and
 * IoCancelIrp happen in. The article's comment lists four interleavings;
 * exploration must reach each of them, and in every schedule the IRP is
 * finished exactly once (one completion by the lower device, one final
 * completion, the sender's event signalled, its IOSB written, nothing left
 * at shutdown).
 *
 * The published copy's completion routine exchanges its own local pointer
 * (&lock) instead of the shared IRPLOCK, so the completion routine never
 * hands the IRP to the sender: when the request completes after the
 * timeout but before the sender cancels, the sender calls IoCancelIrp on an
 * IRP the I/O manager has already freed. Exploration finds that schedule,
 * and replaying its decision string reproduces the same bug check.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "explore_drivers.h"
#include <irpsim/irpsim.h>
#include <irpsim/explore.h>

#define SEED002_TIMEOUT_MS 10

static const PCSTR InterleavingNames[] = {
    "unknown",
    "no cancellation (Cancelable --> Completed)",
    "IoCancelIrp returns before completion (Cancelable --> CancelStarted --> CancelCompleted --> Completed)",
    "canceled after completion (Cancelable --> Completed -> CancelStarted)",
    "completed during IoCancelIrp (Cancelable --> CancelStarted -> Completed --> CancelCompleted)",
};

/* Per exploration: how often each interleaving was seen, and when first. */
static ULONG Seen[5];
static ULONG FirstSeen[5];

static VOID ResetSeen(VOID)
{
    memset(Seen, 0, sizeof(Seen));
    for (ULONG i = 0; i < 5; i++)
        FirstSeen[i] = (ULONG)-1;
}

static NTSTATUS Scenario2Body(PVOID Context)
{
    BOOLEAN AsPublished = Context != NULL;
    PDRIVER_OBJECT Driver;
    SEED002_INTERLEAVING Interleaving;
    NTSTATUS Status;

    memset(&Seed002, 0, sizeof(Seed002));
    Status = IrpSimLoadDriver(L"\\Driver\\ExploreSeed002Lower", Seed002LowerDriverEntry, &Driver);
    IRPSIM_EXPLORE_CHECK(NT_SUCCESS(Status));

    if (AsPublished)
        Status = MakeSynchronousIoctlWithTimeOutAsPublished(Seed002.LowerDevice, EXPLORE_IOCTL_WORK, NULL, 0, NULL,
                                                            0, SEED002_TIMEOUT_MS);
    else
        Status = MakeSynchronousIoctlWithTimeOut(Seed002.LowerDevice, EXPLORE_IOCTL_WORK, NULL, 0, NULL, 0,
                                                 SEED002_TIMEOUT_MS);

    /* Exactly once: the lower device completed it once, the completion
       routine saw it once, and exactly one of the routine (continuing) and
       the sender (completing again) finished it. */
    IRPSIM_EXPLORE_CHECK(Seed002.LowerCompletions == 1);
    IRPSIM_EXPLORE_CHECK(Seed002.CompletionRoutineCalls == 1);
    IRPSIM_EXPLORE_CHECK(Seed002.CompletionRoutineContinued + Seed002.SenderCompletions == 1);
    IRPSIM_EXPLORE_CHECK(Seed002.EventSignalled);
    IRPSIM_EXPLORE_CHECK(Seed002.IoStatus != SEED002_IOSB_UNTOUCHED);

    /* The published routine never records its (useless) exchange. */
    if (AsPublished)
        return STATUS_SUCCESS;
    Interleaving = Seed002Interleaving();
    if (Interleaving == Seed002Unknown)
        IrpSimExploreFail("an IRPLOCK history the article does not list (%ld exchanges)", (long)Seed002.ExchangeCount);
    /* Only a request that beat the timeout reports its own status. */
    if (Interleaving == Seed002NoCancellation)
        IRPSIM_EXPLORE_CHECK(Status == STATUS_SUCCESS);
    else
        IRPSIM_EXPLORE_CHECK(Status == STATUS_TIMEOUT);
    /* Completed during the cancel: by the cancel routine or the DPC; the
       sender owns the final completion then. */
    if (Interleaving == Seed002CompletedDuringCancel)
        IRPSIM_EXPLORE_CHECK(Seed002.SenderCompletions == 1);

    if (Seen[Interleaving]++ == 0)
        FirstSeen[Interleaving] = IrpSimExploreScheduleNumber();
    return STATUS_SUCCESS;
}

static VOID PrintSeen(PCSTR Strategy, const IRPSIM_EXPLORE_RESULT *Result)
{
    print_message("%s: %u schedules (%u distinct)%s\n", Strategy, (unsigned)Result->Schedules,
                  (unsigned)Result->DistinctSchedules, Result->Exhausted ? ", exhausted" : "");
    for (ULONG i = 1; i < 5; i++)
        print_message("  %-100s seen %5u times, first in schedule %d\n", InterleavingNames[i], (unsigned)Seen[i],
                      (int)FirstSeen[i]);
}

static VOID AssertAllFourSeen(VOID)
{
    for (ULONG i = 1; i < 5; i++) {
        if (Seen[i] == 0)
            fail_msg("interleaving never reached: %s", InterleavingNames[i]);
    }
}

/* ---- written correctly: all four interleavings, none loses the IRP ---- */

static void test_correct_random_reaches_all_four(void **state)
{
    IRPSIM_EXPLORE_OPTIONS Options;
    static IRPSIM_EXPLORE_RESULT Result;
    (void)state;

    IrpSimExploreDefaultOptions(&Options);
    Options.Name = "seed002_correct_random";
    Options.Strategy = IrpSimExploreRandom;
    Options.Iterations = 1500;
    Options.Seed = 2;
    ResetSeen();
    assert_int_equal(IrpSimExplore(&Options, Scenario2Body, NULL, &Result), STATUS_SUCCESS);
    if (Result.Outcome != IrpSimExplorePassed)
        fail_msg("schedule %u failed: %s", (unsigned)Result.FailingSchedule, Result.Message);
    PrintSeen("random", &Result);
    AssertAllFourSeen();
}

static void test_correct_pct_reaches_all_four(void **state)
{
    IRPSIM_EXPLORE_OPTIONS Options;
    static IRPSIM_EXPLORE_RESULT Result;
    (void)state;

    IrpSimExploreDefaultOptions(&Options);
    Options.Name = "seed002_correct_pct";
    Options.Strategy = IrpSimExplorePct;
    Options.PctDepth = 3;
    Options.Iterations = 1500;
    Options.Seed = 3;
    ResetSeen();
    assert_int_equal(IrpSimExplore(&Options, Scenario2Body, NULL, &Result), STATUS_SUCCESS);
    if (Result.Outcome != IrpSimExplorePassed)
        fail_msg("schedule %u failed: %s", (unsigned)Result.FailingSchedule, Result.Message);
    PrintSeen("pct d=3", &Result);
    AssertAllFourSeen();
}

static void test_correct_exhaustive_reaches_all_four(void **state)
{
    IRPSIM_EXPLORE_OPTIONS Options;
    static IRPSIM_EXPLORE_RESULT Result;
    (void)state;

    IrpSimExploreDefaultOptions(&Options);
    Options.Name = "seed002_correct_exhaustive";
    Options.Strategy = IrpSimExploreExhaustive;
    Options.PreemptionBound = 2;
    Options.Iterations = 20000;
    ResetSeen();
    assert_int_equal(IrpSimExplore(&Options, Scenario2Body, NULL, &Result), STATUS_SUCCESS);
    if (Result.Outcome != IrpSimExplorePassed)
        fail_msg("schedule %u failed: %s", (unsigned)Result.FailingSchedule, Result.Message);
    PrintSeen("exhaustive, 2 preemptions", &Result);
    assert_true(Result.Exhausted);
    assert_int_equal(Result.DistinctSchedules, Result.Schedules);
    AssertAllFourSeen();
}

/* ---- as published: found, and replayed exactly ---- */

static void Setenv(PCSTR Name, PCSTR Value)
{
#ifdef _WIN32
    _putenv_s(Name, Value != NULL ? Value : "");
#else
    if (Value != NULL)
        setenv(Name, Value, 1);
    else
        unsetenv(Name);
#endif
}

static void test_published_found_and_replayed(void **state)
{
    IRPSIM_EXPLORE_OPTIONS Options;
    static IRPSIM_EXPLORE_RESULT Found, Replayed, FromEnvironment;
    static CHAR Variable[IRPSIM_EXPLORE_DECISIONS_SIZE + 64];
    (void)state;

    IrpSimExploreDefaultOptions(&Options);
    Options.Name = "seed002_published";
    Options.Strategy = IrpSimExploreRandom;
    Options.Iterations = 1000;
    Options.Seed = 2;
    ResetSeen();
    irpsim_explore_assert_fails(&Options, Scenario2Body, (PVOID)1, &Found);
    print_message("as published: schedule %u of %u failed (%s, bug check 0x%X), schedule %s\n",
                  (unsigned)Found.FailingSchedule, (unsigned)Found.Schedules, IrpSimExploreOutcomeName(Found.Outcome),
                  (unsigned)Found.BugCheckCode, Found.Schedule);
    /* The sender cancels an IRP that was completed and freed already. */
    assert_int_equal(Found.Outcome, IrpSimExploreBugCheck);
    assert_false(Found.DecisionsTruncated);

    /* The API. */
    assert_int_equal(IrpSimExploreReplay(Found.Schedule, &Options, Scenario2Body, (PVOID)1, &Replayed),
                     STATUS_SUCCESS);
    assert_int_equal(Replayed.Outcome, Found.Outcome);
    assert_int_equal(Replayed.BugCheckCode, Found.BugCheckCode);
    assert_string_equal(Replayed.Schedule, Found.Schedule);
    assert_int_equal(Replayed.Schedules, 1);

    /* The environment (what the printed report tells a developer to use). */
    snprintf(Variable, sizeof(Variable), "seed002_published:%s", Found.Schedule);
    Setenv("IRPSIM_EXPLORE_REPLAY", Variable);
    Options.TraceReplay = FALSE;
    assert_int_equal(IrpSimExplore(&Options, Scenario2Body, (PVOID)1, &FromEnvironment), STATUS_SUCCESS);
    Setenv("IRPSIM_EXPLORE_REPLAY", NULL);
    assert_int_equal(FromEnvironment.Schedules, 1);
    assert_int_equal(FromEnvironment.Outcome, Found.Outcome);
    assert_int_equal(FromEnvironment.BugCheckCode, Found.BugCheckCode);
    assert_string_equal(FromEnvironment.Schedule, Found.Schedule);
}

static void test_published_found_by_pct_and_exhaustive(void **state)
{
    IRPSIM_EXPLORE_OPTIONS Options;
    static IRPSIM_EXPLORE_RESULT Pct, Exhaustive, Again;
    (void)state;

    IrpSimExploreDefaultOptions(&Options);
    Options.Name = "seed002_published_pct";
    Options.Quiet = TRUE;
    Options.Strategy = IrpSimExplorePct;
    Options.Iterations = 1000;
    irpsim_explore_assert_fails(&Options, Scenario2Body, (PVOID)1, &Pct);
    assert_int_equal(Pct.Outcome, IrpSimExploreBugCheck);

    Options.Name = "seed002_published_exhaustive";
    Options.Strategy = IrpSimExploreExhaustive;
    Options.PreemptionBound = 1;
    Options.Iterations = 5000;
    irpsim_explore_assert_fails(&Options, Scenario2Body, (PVOID)1, &Exhaustive);
    assert_int_equal(Exhaustive.Outcome, IrpSimExploreBugCheck);
    print_message("as published: pct found it in schedule %u, exhaustive search in schedule %u\n",
                  (unsigned)Pct.FailingSchedule, (unsigned)Exhaustive.FailingSchedule);

    /* Same seed, same result. */
    assert_int_equal(IrpSimExplore(&Options, Scenario2Body, (PVOID)1, &Again), STATUS_SUCCESS);
    assert_int_equal(Again.FailingSchedule, Exhaustive.FailingSchedule);
    assert_string_equal(Again.Schedule, Exhaustive.Schedule);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test(test_correct_random_reaches_all_four),
        cmocka_unit_test(test_correct_pct_reaches_all_four),
        cmocka_unit_test(test_correct_exhaustive_reaches_all_four),
        cmocka_unit_test(test_published_found_and_replayed),
        cmocka_unit_test(test_published_found_by_pct_and_exhaustive),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
