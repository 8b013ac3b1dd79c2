/*
 * irp_handling_demo: seed 002's six ways to send an IRP, each run against a
 * lower device whose behaviour the demo chooses, with scenario 2's
 * timeout-and-cancel forced into each of its four interleavings, and the
 * article's published scenario 2 (the &lock slip) caught when it goes wrong.
 *
 * Exit status 0 when everything behaved as Windows specifies and nothing
 * leaked.
 */
#include <ntddk.h>
#include <irpsim/irpsim.h>
#include <irpsim/trace.h>
#include <stdio.h>
#include <string.h>

#include "lesson.h"

static int Failures;

static void Expect(int Condition, const char *What)
{
    if (!Condition) {
        printf("    !! unexpected: %s\n", What);
        Failures++;
    }
}

static const char *StatusName(NTSTATUS Status)
{
    static char Buffer[16];
    switch (Status) {
    case STATUS_SUCCESS: return "STATUS_SUCCESS";
    case STATUS_PENDING: return "STATUS_PENDING";
    case STATUS_TIMEOUT: return "STATUS_TIMEOUT";
    case STATUS_CANCELLED: return "STATUS_CANCELLED";
    case STATUS_IO_DEVICE_ERROR: return "STATUS_IO_DEVICE_ERROR";
    case STATUS_MORE_PROCESSING_REQUIRED: return "STATUS_MORE_PROCESSING_REQUIRED";
    case SEED002_IOSB_UNTOUCHED: return "(never written)";
    default:
        snprintf(Buffer, sizeof(Buffer), "0x%08X", (unsigned)Status);
        return Buffer;
    }
}

/* What a completion routine returned (STATUS_CONTINUE_COMPLETION is STATUS_SUCCESS). */
static const char *RoutineResultName(NTSTATUS Status)
{
    return Status == STATUS_CONTINUE_COMPLETION ? "STATUS_CONTINUE_COMPLETION" : StatusName(Status);
}

static const char *LockName(LONG State)
{
    switch (State) {
    case IRPLOCK_CANCELABLE: return "Cancelable";
    case IRPLOCK_CANCEL_STARTED: return "CancelStarted";
    case IRPLOCK_CANCEL_COMPLETE: return "CancelCompleted";
    default: return "Completed";
    }
}

/* The IRP's history from the trace, one word per event. */
static void PrintHistory(const LESSON_OUTCOME *Outcome)
{
    IRPSIM_TRACE_KIND Kinds[32];
    ULONG Count = IrpSimTraceIrpHistory(Outcome->Irp, Kinds, RTL_NUMBER_OF(Kinds));
    printf("    IRP#%lu:", (unsigned long)Outcome->IrpNumber);
    for (ULONG i = 0; i < Count && i < RTL_NUMBER_OF(Kinds); i++) {
        const char *Name = IrpSimTraceKindName(Kinds[i]);
        printf(" %s", strncmp(Name, "Irp", 3) == 0 ? Name + 3 : Name);
    }
    printf("\n");
}

static void PrintSync(const LESSON_OUTCOME *Outcome)
{
    const SEED002_RECORD *R = &Outcome->Record;
    printf("    returned %s; waited %lu time(s); IOSB %s, event %s\n", StatusName(Outcome->Returned),
           (unsigned long)R->Waits, StatusName(R->IoStatus.Status), R->EventSignalled ? "signalled" : "not signalled");
    if (R->CompletionRoutineCalls != 0)
        printf("    completion routine: PendingReturned %d, returned %s; sender called IoCompleteRequest %lu time(s)\n",
               R->CompletionRoutinePendingReturned, RoutineResultName(R->CompletionRoutineResult),
               (unsigned long)R->SenderCompletions);
    PrintHistory(Outcome);
}

static void PrintExchanges(const LESSON_OUTCOME *Outcome)
{
    const SEED002_RECORD *R = &Outcome->Record;
    printf("    IRPLOCK:%s", R->ExchangeCount == 0 ? " (no exchange of the shared lock)" : "");
    for (LONG i = 0; i < R->ExchangeCount && i < (LONG)RTL_NUMBER_OF(R->Exchange); i++)
        printf("%s %s %s->%s", i == 0 ? "" : ",", R->Exchange[i].Who == 'S' ? "sender" : "routine",
               LockName(R->Exchange[i].Old), LockName(R->Exchange[i].New));
    printf("\n    IoCancelIrp %lu, lower cancel routine %ld, sender IoCompleteRequest %lu, routine returned %s\n",
           (unsigned long)R->CancelCalls, (long)Outcome->LowerCancelRoutineRuns,
           (unsigned long)R->SenderCompletions,
           R->CompletionRoutineCalls ? RoutineResultName(R->CompletionRoutineResult) : "(not called)");
}

static void PrintAsync(const LESSON_OUTCOME *Outcome)
{
    printf("    returned %s; completion routine: device %s, PendingReturned %d, status %s, %lu bytes\n",
           StatusName(Outcome->Returned), Outcome->Async.DeviceObject == NULL ? "NULL" : "set",
           Outcome->Async.PendingReturned, StatusName(Outcome->Async.Status),
           (unsigned long)Outcome->Async.Information);
    PrintHistory(Outcome);
}

int main(void)
{
    static const LESSON_LOWER Lowers[] = {LessonLowerSucceed, LessonLowerFail, LessonLowerPendDpc};
    static const LESSON_INTERLEAVING Orders[] = {LessonNoCancellation, LessonCancelReturnsBeforeCompletion,
                                                 LessonCompletedBeforeCancel, LessonCompletedDuringCancel};
    static const struct {
        LESSON_LOWER Lower;
        ULONG IoFlags;
        const char *Name;
    } Async[] = {{LessonLowerSucceed, DO_BUFFERED_IO, "buffered"},
                 {LessonLowerPendDpc, DO_DIRECT_IO, "direct"},
                 {LessonLowerFail, 0, "neither"}};
    static IRPSIM_BUGCHECK_CATCH Catch;
    LESSON_OUTCOME Outcome;
    ULONG Leaks;

    if (!NT_SUCCESS(LessonStart())) {
        printf("could not start the simulator\n");
        return 1;
    }

    printf("Scenario 1: MakeSynchronousIoctl (IoBuildDeviceIoControlRequest, wait only if pended)\n");
    for (ULONG i = 0; i < RTL_NUMBER_OF(Lowers); i++) {
        printf("  lower device %s\n", LessonLowerName(Lowers[i]));
        LessonScenario1(Lowers[i], &Outcome);
        PrintSync(&Outcome);
        Expect(Outcome.Returned == (Lowers[i] == LessonLowerFail ? STATUS_IO_DEVICE_ERROR : STATUS_SUCCESS),
               "scenario 1 status");
    }

    printf("\nScenario 2: MakeSynchronousIoctlWithTimeOut (%d ms), each interleaving\n", LESSON_TIMEOUT_MS);
    for (ULONG i = 0; i < RTL_NUMBER_OF(Orders); i++) {
        printf("  %s\n", LessonInterleavingName(Orders[i]));
        LessonScenario2(Orders[i], &Outcome);
        printf("    returned %s; IOSB %s\n", StatusName(Outcome.Returned),
               StatusName(Outcome.Record.IoStatus.Status));
        PrintExchanges(&Outcome);
        PrintHistory(&Outcome);
        Expect(IrpSimTraceCountIrpEvents(Outcome.Irp, IrpSimTraceIrpFreed) == 1, "scenario 2 IRP freed once");
    }

    printf("\nScenario 3: MakeSynchronousNonIoctlRequest (IoBuildSynchronousFsdRequest, routine continues)\n");
    for (ULONG i = 0; i < RTL_NUMBER_OF(Lowers); i++) {
        printf("  lower device %s\n", LessonLowerName(Lowers[i]));
        LessonScenario3(Lowers[i], &Outcome);
        PrintSync(&Outcome);
    }

    printf("\nScenario 4: MakeSynchronousNonIoctlRequest2 (routine stops completion, sender completes again)\n");
    for (ULONG i = 0; i < RTL_NUMBER_OF(Lowers); i++) {
        printf("  lower device %s\n", LessonLowerName(Lowers[i]));
        LessonScenario4(Lowers[i], &Outcome);
        PrintSync(&Outcome);
    }

    printf("\nScenario 5: MakeAsynchronousRequest (IoBuildAsynchronousFsdRequest, routine frees the IRP)\n");
    for (ULONG i = 0; i < RTL_NUMBER_OF(Async); i++) {
        printf("  %s lower device %s\n", Async[i].Name, LessonLowerName(Async[i].Lower));
        LessonScenario5(Async[i].Lower, Async[i].IoFlags, &Outcome);
        PrintAsync(&Outcome);
    }

    printf("\nScenario 6: MakeAsynchronousRequest2 (IoAllocateIrp, next stack location filled by hand)\n");
    for (ULONG i = 0; i < RTL_NUMBER_OF(Async); i++) {
        printf("  %s lower device %s\n", Async[i].Name, LessonLowerName(Async[i].Lower));
        LessonScenario6(Async[i].Lower, Async[i].IoFlags, &Outcome);
        PrintAsync(&Outcome);
    }

    printf("\nScenario 2 as published: the completion routine exchanges &lock (its own local pointer)\n");
    for (ULONG i = 0; i < RTL_NUMBER_OF(Orders); i++) {
        printf("  %s\n", LessonInterleavingName(Orders[i]));
        LessonScenario2AsPublished(Orders[i], &Outcome, &Catch);
        if (Outcome.BugCheck != 0) {
            printf("    caught bug check 0x%02lX %s (P1 %s IRP#%lu, P2 %lu)\n", (unsigned long)Outcome.BugCheck,
                   Catch.Info.Name, (PVOID)Catch.Info.Parameter[0] == Outcome.Irp ? "=" : "!=",
                   (unsigned long)Outcome.IrpNumber, (unsigned long)Catch.Info.Parameter[1]);
            PrintExchanges(&Outcome);
            printf("    irpsim's report:\n%s\n", Catch.Info.Report);
        } else {
            printf("    returned %s\n", StatusName(Outcome.Returned));
            PrintExchanges(&Outcome);
        }
        Expect((Outcome.BugCheck == 0xCC) == (Orders[i] == LessonCompletedBeforeCancel),
               "the published routine fails exactly in interleaving 3");
    }

    Leaks = LessonStop();
    printf("\n%lu leak(s) at shutdown; %d unexpected result(s)\n", (unsigned long)Leaks, Failures);
    return Leaks == 0 && Failures == 0 ? 0 : 1;
}
