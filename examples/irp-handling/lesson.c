/*
 * The scenarios of the seed 002 lesson (see lesson.h). Everything here runs
 * at PASSIVE_LEVEL on the program's thread, the way a driver's own thread or
 * a dispatch routine would call the article's functions.
 */
#include "lesson.h"

#include <irpsim/trace.h>
#include <string.h>

static PDRIVER_OBJECT LowerDriver;
static PDEVICE_OBJECT HeldBy; /* interleaving 3: the device the checkpoint completes */

NTSTATUS LessonStart(VOID)
{
    IRPSIM_CONFIG Config;
    NTSTATUS Status;

    IrpSimTraceEnable(IRPSIM_TRACE_MEMORY, NULL); /* the environment can add more sinks */
    IrpSimDefaultConfig(&Config);
    Config.ClockMode = IrpSimClockVirtual; /* time moves only when everything waits: */
    Config.AutoAdvance = TRUE;             /* a 100 ms timeout takes no real time */
    Config.Verifier = TRUE;
    Config.QuietDebugPrint = TRUE;
    Status = IrpSimInitialize(&Config);
    if (!NT_SUCCESS(Status))
        return Status;
    Seed002Reset();
    Seed002Checkpoint = NULL;
    LowerDriver = LowerLoad();
    return LowerDriver != NULL ? STATUS_SUCCESS : STATUS_UNSUCCESSFUL;
}

ULONG LessonStop(VOID)
{
    ULONG Leaks;
    Seed002Checkpoint = NULL;
    IrpSimShutdown();
    Leaks = IrpSimGetShutdownLeakCount();
    IrpSimTraceEnable(0, NULL);
    return Leaks;
}

PCSTR LessonLowerName(LESSON_LOWER Lower)
{
    switch (Lower) {
    case LessonLowerSucceed: return "completes at once with STATUS_SUCCESS";
    case LessonLowerFail: return "completes at once with STATUS_IO_DEVICE_ERROR";
    case LessonLowerPendDpc: return "pends, a timer DPC completes it 10 ms later";
    default: return "pends and never completes until cancelled";
    }
}

PCSTR LessonInterleavingName(LESSON_INTERLEAVING Interleaving)
{
    switch (Interleaving) {
    case LessonNoCancellation: return "1. no cancellation: Cancelable -> Completed";
    case LessonCancelReturnsBeforeCompletion:
        return "2. IoCancelIrp returns before completion: Cancelable -> CancelStarted -> CancelCompleted -> Completed";
    case LessonCompletedBeforeCancel: return "3. completed before the cancel: Cancelable -> Completed -> CancelStarted";
    default: return "4. completed inside IoCancelIrp: Cancelable -> CancelStarted -> Completed -> CancelCompleted";
    }
}

/* A fresh lower device for each request: its behaviour is the scenario's. */
static PDEVICE_OBJECT LessonLowerDevice(LESSON_LOWER Lower, ULONG IoFlags, LOWER_ON_CANCEL OnCancel)
{
    LOWER_CONFIG Config;
    LowerDefaultConfig(&Config);
    Config.OnCancel = OnCancel;
    switch (Lower) {
    case LessonLowerSucceed:
        Config.Action = LowerComplete;
        break;
    case LessonLowerFail:
        Config.Action = LowerComplete;
        Config.Status = STATUS_IO_DEVICE_ERROR;
        break;
    case LessonLowerPendDpc:
        Config.Action = LowerPendTimer;
        break;
    default:
        Config.Action = LowerPendCancelable;
        break;
    }
    return LowerCreateDevice(LowerDriver, IoFlags, &Config);
}

static VOID LessonBegin(PLESSON_OUTCOME Outcome, PDEVICE_OBJECT Lower)
{
    RtlZeroMemory(Outcome, sizeof(*Outcome));
    KeInitializeEvent(&Outcome->Async.Done, NotificationEvent, FALSE);
    Outcome->Lower = Lower;
    Seed002Reset();
}

/* Read right away: the IRP's memory may be reused by the next request, and
   the trace names identities by the latest IRP at an address. */
static VOID LessonEnd(PLESSON_OUTCOME Outcome, NTSTATUS Returned)
{
    Outcome->Returned = Returned;
    Outcome->Irp = Seed002.Irp;
    Outcome->IrpNumber = Seed002.Irp != NULL ? IrpSimTraceIrpNumber(Seed002.Irp) : 0;
    Outcome->Record = Seed002;
    Outcome->LowerCancelRoutineRuns = LowerExtension(Outcome->Lower)->CancelRoutineRuns;
}

VOID LessonScenario1(LESSON_LOWER Lower, PLESSON_OUTCOME Outcome)
{
    UCHAR Input[4] = {1, 2, 3, 4};
    UCHAR Output[16];
    NTSTATUS Status;
    LessonBegin(Outcome, LessonLowerDevice(Lower, DO_BUFFERED_IO, LowerCancelCompleteNow));
    Status = MakeSynchronousIoctl(Outcome->Lower, LESSON_IOCTL, Input, sizeof(Input), Output, sizeof(Output));
    LessonEnd(Outcome, Status);
}

/* Interleaving 3 needs the request to complete in a window no timer can
   hit: after the sender's wait timed out, before its first exchange. The
   article's function calls this checkpoint exactly there (seed002_driver.h);
   the lower device completes the IRP from its DPC, as hardware finishing
   at that instant would, and a zero wait lets the completion's stage 2
   (an APC to this thread) run. */
static VOID LessonCompleteAtTimeout(ULONG Point, PIRP Irp)
{
    LARGE_INTEGER Now;
    UNREFERENCED_PARAMETER(Irp);
    if (Point != SEED002_POINT_TIMED_OUT || HeldBy == NULL)
        return;
    (void)LowerCompleteHeld(HeldBy, STATUS_SUCCESS);
    Now.QuadPart = 0;
    (void)KeDelayExecutionThread(KernelMode, FALSE, &Now);
}

static PDEVICE_OBJECT LessonArrange(LESSON_INTERLEAVING Interleaving)
{
    PDEVICE_OBJECT Device;
    HeldBy = NULL;
    Seed002Checkpoint = NULL;
    switch (Interleaving) {
    case LessonNoCancellation:
        /* The DPC completes it 10 ms in; the timeout is 100 ms. */
        return LessonLowerDevice(LessonLowerPendDpc, DO_BUFFERED_IO, LowerCancelCompleteNow);
    case LessonCancelReturnsBeforeCompletion:
        /* The cancel routine only arms the timer: the DPC completes the IRP
           after IoCancelIrp has returned. */
        return LessonLowerDevice(LessonLowerUntilCancelled, DO_BUFFERED_IO, LowerCancelCompleteLater);
    case LessonCompletedBeforeCancel:
        Device = LessonLowerDevice(LessonLowerUntilCancelled, DO_BUFFERED_IO, LowerCancelCompleteNow);
        HeldBy = Device;
        Seed002Checkpoint = LessonCompleteAtTimeout;
        return Device;
    default:
        /* The cancel routine completes it at once, inside IoCancelIrp. */
        return LessonLowerDevice(LessonLowerUntilCancelled, DO_BUFFERED_IO, LowerCancelCompleteNow);
    }
}

VOID LessonScenario2(LESSON_INTERLEAVING Interleaving, PLESSON_OUTCOME Outcome)
{
    UCHAR Output[8];
    NTSTATUS Status;
    LessonBegin(Outcome, LessonArrange(Interleaving));
    Status = MakeSynchronousIoctlWithTimeOut(Outcome->Lower, LESSON_IOCTL, NULL, 0, Output, sizeof(Output),
                                             LESSON_TIMEOUT_MS);
    Seed002Checkpoint = NULL;
    LessonEnd(Outcome, Status);
}

VOID LessonScenario2AsPublished(LESSON_INTERLEAVING Interleaving, PLESSON_OUTCOME Outcome,
                                PIRPSIM_BUGCHECK_CATCH Catch)
{
    static UCHAR Output[8]; /* static: a bug check unwinds this frame */
    volatile NTSTATUS Status = STATUS_UNSUCCESSFUL; /* read after the unwind */
    LessonBegin(Outcome, LessonArrange(Interleaving));
    IRPSIM_CATCH_BUGCHECK(*Catch, Status = MakeSynchronousIoctlWithTimeOutAsPublished(
                                      Outcome->Lower, LESSON_IOCTL, NULL, 0, Output, sizeof(Output),
                                      LESSON_TIMEOUT_MS));
    Seed002Checkpoint = NULL;
    LessonEnd(Outcome, Status);
    Outcome->BugCheck = Catch->Caught ? Catch->Info.Code : 0;
}

VOID LessonScenario3(LESSON_LOWER Lower, PLESSON_OUTCOME Outcome)
{
    static UCHAR Data[32] = "written by scenario 3";
    NTSTATUS Status;
    LessonBegin(Outcome, LessonLowerDevice(Lower, DO_DIRECT_IO, LowerCancelCompleteNow));
    Status = MakeSynchronousNonIoctlRequest(Outcome->Lower, Data, sizeof(Data));
    LessonEnd(Outcome, Status);
}

VOID LessonScenario4(LESSON_LOWER Lower, PLESSON_OUTCOME Outcome)
{
    static UCHAR Data[16] = "scenario 4";
    NTSTATUS Status;
    LessonBegin(Outcome, LessonLowerDevice(Lower, DO_BUFFERED_IO, LowerCancelCompleteNow));
    Status = MakeSynchronousNonIoctlRequest2(Outcome->Lower, Data, sizeof(Data));
    LessonEnd(Outcome, Status);
}

/* The asynchronous functions return at once; the lesson then waits for the
   completion routine, which reports through Outcome->Async. */
static VOID LessonWaitAsync(PLESSON_OUTCOME Outcome)
{
    (void)KeWaitForSingleObject(&Outcome->Async.Done, Executive, KernelMode, FALSE, NULL);
    /* The routine signals before it frees the IRP and returns; when a DPC
       completed the request, let that DPC finish before looking at the IRP's
       history (it is the scenario's end). */
    KeFlushQueuedDpcs();
}

VOID LessonScenario5(LESSON_LOWER Lower, ULONG IoFlags, PLESSON_OUTCOME Outcome)
{
    static UCHAR Data[40] = "sent by scenario 5";
    NTSTATUS Status;
    LessonBegin(Outcome, LessonLowerDevice(Lower, IoFlags, LowerCancelCompleteNow));
    Status = MakeAsynchronousRequest(Outcome->Lower, Data, sizeof(Data), &Outcome->Async);
    if (NT_SUCCESS(Status))
        LessonWaitAsync(Outcome);
    LessonEnd(Outcome, Status);
}

VOID LessonScenario6(LESSON_LOWER Lower, ULONG IoFlags, PLESSON_OUTCOME Outcome)
{
    static UCHAR Data[24] = "sent by scenario 6";
    NTSTATUS Status;
    LessonBegin(Outcome, LessonLowerDevice(Lower, IoFlags, LowerCancelCompleteNow));
    Status = MakeAsynchronousRequest2(Outcome->Lower, Data, sizeof(Data), &Outcome->Async);
    if (NT_SUCCESS(Status))
        LessonWaitAsync(Outcome);
    LessonEnd(Outcome, Status);
}
