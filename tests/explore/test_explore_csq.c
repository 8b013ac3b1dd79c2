/*
 * A cancel race in a hand-rolled IRP queue, against IO_CSQ.
 *
 * Windows behaviour relied on (WDK, "Cancel-Safe IRP Queues" and
 * "Synchronizing IRP Cancellation"): IoCancelIrp takes the cancel routine
 * out of the IRP with an atomic exchange before it calls it, so a driver
 * that dequeues an IRP must look at what IoSetCancelRoutine(Irp, NULL)
 * returns — NULL means the cancel routine is already running and owns the
 * IRP. A driver that ignores it completes the IRP twice (bug check 0x44
 * MULTIPLE_IRP_COMPLETE_REQUESTS, or a corrupted list first). IO_CSQ does
 * the check for the driver, so the same device built on it survives every
 * schedule.
 *
 * The body sends two IOCTLs (IRPs it allocated, kept alive by a completion
 * routine returning STATUS_MORE_PROCESSING_REQUIRED, so cancelling them is
 * always legal) and cancels both while the driver's system thread is
 * completing them; each IRP must be completed exactly once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "explore_drivers.h"
#include <irpsim/irpsim.h>
#include <irpsim/explore.h>

#define CSQRACE_REQUESTS 2
#define CSQRACE_BUDGET 1000

typedef struct _REQUEST {
    PIRP Irp;
    KEVENT Done;
    LONG Completions;
} REQUEST;

static NTSTATUS RequestCompletion(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    REQUEST *Request = (REQUEST *)Context;
    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Irp);
    InterlockedIncrement(&Request->Completions);
    KeSetEvent(&Request->Done, IO_NO_INCREMENT, FALSE);
    return STATUS_MORE_PROCESSING_REQUIRED; /* the body frees it */
}

static NTSTATUS CsqRaceBody(PVOID Context)
{
    REQUEST Requests[CSQRACE_REQUESTS];
    PDRIVER_OBJECT Driver;
    NTSTATUS Status;

    memset(&CsqRace, 0, sizeof(CsqRace));
    CsqRace.UseCsq = Context != NULL;
    Status = IrpSimLoadDriver(L"\\Driver\\ExploreCsqRace", CsqRaceDriverEntry, &Driver);
    IRPSIM_EXPLORE_CHECK(NT_SUCCESS(Status));

    for (ULONG i = 0; i < CSQRACE_REQUESTS; i++) {
        PIO_STACK_LOCATION Next;
        REQUEST *Request = &Requests[i];
        Request->Completions = 0;
        KeInitializeEvent(&Request->Done, NotificationEvent, FALSE);
        Request->Irp = IoAllocateIrp(CsqRace.Device->StackSize, FALSE);
        IRPSIM_EXPLORE_CHECK(Request->Irp != NULL);
        Next = IoGetNextIrpStackLocation(Request->Irp);
        Next->MajorFunction = IRP_MJ_DEVICE_CONTROL;
        Next->Parameters.DeviceIoControl.IoControlCode = EXPLORE_IOCTL_WORK;
        IoSetCompletionRoutine(Request->Irp, RequestCompletion, Request, TRUE, TRUE, TRUE);
        Status = IoCallDriver(CsqRace.Device, Request->Irp);
        IRPSIM_EXPLORE_CHECK(Status == STATUS_PENDING);
    }
    /* Cancel everything while the driver's thread completes it. */
    for (ULONG i = 0; i < CSQRACE_REQUESTS; i++)
        IoCancelIrp(Requests[i].Irp);
    for (ULONG i = 0; i < CSQRACE_REQUESTS; i++) {
        KeWaitForSingleObject(&Requests[i].Done, Executive, KernelMode, FALSE, NULL);
        IRPSIM_EXPLORE_CHECK(Requests[i].Completions == 1);
        IRPSIM_EXPLORE_CHECK(Requests[i].Irp->IoStatus.Status == STATUS_SUCCESS ||
                             Requests[i].Irp->IoStatus.Status == STATUS_CANCELLED);
        IoFreeIrp(Requests[i].Irp);
    }
    IRPSIM_EXPLORE_CHECK(CsqRace.Completions == CSQRACE_REQUESTS);
    return STATUS_SUCCESS;
}

static VOID BudgetOptions(PIRPSIM_EXPLORE_OPTIONS Options, PCSTR Name, IRPSIM_EXPLORE_STRATEGY Strategy)
{
    IrpSimExploreDefaultOptions(Options);
    Options->Name = Name;
    Options->Strategy = Strategy;
    Options->Iterations = CSQRACE_BUDGET;
    Options->Seed = 7;
    Options->PreemptionBound = 2;
}

static void test_handrolled_race_caught_and_replayed(void **state)
{
    IRPSIM_EXPLORE_OPTIONS Options;
    static IRPSIM_EXPLORE_RESULT Found, Replayed;
    (void)state;

    for (ULONG Strategy = IrpSimExploreRandom; Strategy <= IrpSimExploreExhaustive; Strategy++) {
        BudgetOptions(&Options, "csq_handrolled", (IRPSIM_EXPLORE_STRATEGY)Strategy);
        Options.Quiet = Strategy != IrpSimExploreRandom;
        irpsim_explore_assert_fails(&Options, CsqRaceBody, NULL, &Found);
        print_message("hand-rolled queue, strategy %lu: schedule %u failed: %s 0x%X (schedule %s)\n",
                      (unsigned long)Strategy, (unsigned)Found.FailingSchedule, IrpSimExploreOutcomeName(Found.Outcome),
                      (unsigned)Found.BugCheckCode, Found.Schedule);
        /* Completed twice (or its list entry unlinked twice): a bug check. */
        assert_int_equal(Found.Outcome, IrpSimExploreBugCheck);

        Options.TraceReplay = FALSE;
        Options.Quiet = TRUE;
        assert_int_equal(IrpSimExploreReplay(Found.Schedule, &Options, CsqRaceBody, NULL, &Replayed), STATUS_SUCCESS);
        assert_int_equal(Replayed.Outcome, Found.Outcome);
        assert_int_equal(Replayed.BugCheckCode, Found.BugCheckCode);
        assert_string_equal(Replayed.Schedule, Found.Schedule);
    }
}

static void test_io_csq_survives_the_same_budget(void **state)
{
    IRPSIM_EXPLORE_OPTIONS Options;
    static IRPSIM_EXPLORE_RESULT Result;
    (void)state;

    for (ULONG Strategy = IrpSimExploreRandom; Strategy <= IrpSimExploreExhaustive; Strategy++) {
        BudgetOptions(&Options, "csq_io_csq", (IRPSIM_EXPLORE_STRATEGY)Strategy);
        assert_int_equal(IrpSimExplore(&Options, CsqRaceBody, (PVOID)1, &Result), STATUS_SUCCESS);
        print_message("IO_CSQ, strategy %lu: %u schedules (%u distinct)%s, none failed\n", (unsigned long)Strategy,
                      (unsigned)Result.Schedules, (unsigned)Result.DistinctSchedules,
                      Result.Exhausted ? ", search space exhausted" : "");
        assert_int_equal(Result.Outcome, IrpSimExplorePassed);
    }
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test(test_handrolled_race_caught_and_replayed),
        cmocka_unit_test(test_io_csq_survives_the_same_budget),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
