/*
 * roll_your_own_demo: seed 003 ("Rolling your own IRPs"). A driver builds
 * its own IRPs three ways - IoAllocateIrp, its own memory with
 * IoInitializeIrp, a private pool of 6-location IRPs recycled with
 * IoReuseIrp - fills the next stack location and buffers by hand for
 * buffered, direct and neither targets, and takes every IRP back in a
 * completion routine. Then it breaks the article's two rules, each under a
 * catch frame, and prints what irpsim reports.
 *
 * Exit status 0 when everything behaved as Windows specifies and nothing
 * leaked.
 */
#include <ntddk.h>
#include <irpsim/irpsim.h>
#include <irpsim/trace.h>
#include <stdio.h>

#include "lesson.h"

static int Failures;

static void Expect(int Condition, const char *What)
{
    if (!Condition) {
        printf("    !! unexpected: %s\n", What);
        Failures++;
    }
}

static const char *SourceName(ROLL_SOURCE Source)
{
    switch (Source) {
    case RollFromIoAllocateIrp: return "IoAllocateIrp";
    case RollFromOwnMemory: return "ExAllocatePoolWithTag + IoSizeOfIrp + IoInitializeIrp";
    default: return "the private pool";
    }
}

static const char *TransferName(ULONG IoFlags)
{
    return (IoFlags & DO_BUFFERED_IO) ? "DO_BUFFERED_IO" : (IoFlags & DO_DIRECT_IO) ? "DO_DIRECT_IO" : "neither";
}

static void PrintRequest(const ROLL_LESSON_RESULT *Result)
{
    const ROLL_REQUEST *R = &Result->Request;
    if (Result->Sent != STATUS_PENDING) {
        printf("    not sent: 0x%08X%s\n", (unsigned)Result->Sent,
               Result->Sent == STATUS_INSUFFICIENT_RESOURCES ? " (STATUS_INSUFFICIENT_RESOURCES)" : "");
        return;
    }
    printf("    IRP#%lu: routine got DeviceObject %s at location %d (StackCount + 1), IRQL %s, PendingReturned %d,\n"
           "            status 0x%08X, %lu bytes; %lu of %d bytes arrived\n",
           (unsigned long)Result->IrpNumber, R->RoutineDevice == NULL ? "NULL" : "set", R->RoutineLocation,
           R->RoutineIrql == PASSIVE_LEVEL ? "PASSIVE_LEVEL" : "DISPATCH_LEVEL", R->PendingReturned,
           (unsigned)R->Status, (unsigned long)R->Information, (unsigned long)Result->DataMoved,
           ROLL_LESSON_LENGTH);
}

int main(void)
{
    static const struct {
        ROLL_SOURCE Source;
        UCHAR Major;
        ULONG IoFlags;
        BOOLEAN Pend;
    } Sends[] = {
        {RollFromIoAllocateIrp, IRP_MJ_WRITE, DO_BUFFERED_IO, FALSE},
        {RollFromIoAllocateIrp, IRP_MJ_READ, DO_DIRECT_IO, TRUE},
        {RollFromOwnMemory, IRP_MJ_READ, DO_BUFFERED_IO, TRUE},
        {RollFromOwnMemory, IRP_MJ_WRITE, 0, FALSE},
    };
    static IRPSIM_BUGCHECK_CATCH Catch;
    static ROLL_POOL_RESULT Pool;
    ROLL_LESSON_RESULT Result;
    ULONG Leaks;

    if (!NT_SUCCESS(RollLessonStart())) {
        printf("could not start the simulator\n");
        return 1;
    }

    printf("1. One IRP per request\n");
    for (ULONG i = 0; i < RTL_NUMBER_OF(Sends); i++) {
        printf("  %s, %s to a %s target that %s\n", SourceName(Sends[i].Source),
               Sends[i].Major == IRP_MJ_READ ? "IRP_MJ_READ" : "IRP_MJ_WRITE", TransferName(Sends[i].IoFlags),
               Sends[i].Pend ? "pends (a DPC completes it)" : "completes at once");
        RollLessonSend(Sends[i].Source, Sends[i].Major, Sends[i].IoFlags, Sends[i].Pend, &Result);
        PrintRequest(&Result);
        Expect(Result.DataMoved == ROLL_LESSON_LENGTH && Result.Request.RoutineDevice == NULL, "request 1");
    }

    printf("\n2. The private pool: %d IRPs of %d stack locations, recycled with IoReuseIrp\n", ROLL_POOL_IRPS,
           ROLL_POOL_STACK_SIZE);
    RollLessonPool(&Pool);
    for (ULONG i = 0; i < RTL_NUMBER_OF(Pool.Requests); i++) {
        printf("  request %lu: %s, %s target%s\n", (unsigned long)i + 1,
               i < 4 ? "IRP_MJ_READ" : "IRP_MJ_WRITE", TransferName(i < 3 ? (i == 0 ? DO_BUFFERED_IO : i == 1 ? DO_DIRECT_IO : 0)
                                                                      : i == 3 ? DO_BUFFERED_IO
                                                                               : (i == 4 ? DO_BUFFERED_IO : i == 5 ? DO_DIRECT_IO : 0)),
               i < 3 ? ", pends" : "");
        PrintRequest(&Pool.Requests[i]);
        if (i == 2)
            printf("  (pool IRPs free with three in flight: %lu)\n", (unsigned long)Pool.FreeWhileBusy);
    }
    printf("  pool IRPs free at the end: %lu\n", (unsigned long)Pool.FreeAfter);
    for (ULONG i = 0; i < ROLL_POOL_IRPS; i++)
        printf("  pool IRP %lu = IRP#%lu: allocated %lu time(s), sent %lu time(s)\n", (unsigned long)i,
               (unsigned long)Pool.PoolIrpNumber[i], (unsigned long)Pool.PoolIrpAllocations[i],
               (unsigned long)Pool.PoolIrpSends[i]);
    Expect(Pool.FreeWhileBusy == 0 && Pool.FreeAfter == ROLL_POOL_IRPS, "pool accounting");
    Expect(Pool.Requests[3].Sent == STATUS_INSUFFICIENT_RESOURCES, "fourth request refused");

    printf("\n3. Rule broken: an IoAllocateIrp IRP whose completion routine returns STATUS_CONTINUE_COMPLETION\n");
    RollLessonForgetMoreProcessing(&Catch, &Result);
    printf("  caught bug check 0x%02lX %s on IRP#%lu\n  irpsim's report:\n%s\n", (unsigned long)Result.BugCheck,
           Catch.Info.Name != NULL ? Catch.Info.Name : "-", (unsigned long)Result.IrpNumber,
           Catch.Info.Report != NULL ? Catch.Info.Report : "");
    Expect(Result.BugCheck == IRQL_NOT_LESS_OR_EQUAL, "0x0A for the orphan completion");

    printf("4. Rule broken: freeing an IoBuildSynchronousFsdRequest IRP (on the thread's list) in the completion routine\n");
    RollLessonFreeThreadedIrp(&Catch, &Result);
    printf("  caught bug check 0x%02lX %s, subcode 0x%lX, on IRP#%lu\n  irpsim's report:\n%s\n",
           (unsigned long)Result.BugCheck, Catch.Info.Name != NULL ? Catch.Info.Name : "-",
           (unsigned long)Catch.Info.Parameter[0], (unsigned long)Result.IrpNumber,
           Catch.Info.Report != NULL ? Catch.Info.Report : "");
    printf("  handed back with IoCompleteRequest: IOSB 0x%08X\n", (unsigned)Result.FinalIosb);
    Expect(Result.BugCheck == DRIVER_VERIFIER_IOMANAGER_VIOLATION && Catch.Info.Parameter[0] == 0x20C,
           "0xC9/0x20C for the threaded IRP");

    Leaks = RollLessonStop();
    printf("\n%lu leak(s) at shutdown; %d unexpected result(s)\n", (unsigned long)Leaks, Failures);
    return Leaks == 0 && Failures == 0 ? 0 : 1;
}
