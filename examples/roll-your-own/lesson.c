/*
 * The scenarios of the seed 003 lesson (see lesson.h), run on the program's
 * thread at PASSIVE_LEVEL.
 */
#include "lesson.h"

#include <irpsim/trace.h>

static PDRIVER_OBJECT LowerDriver;
static PDRIVER_OBJECT RollDriver;

NTSTATUS RollLessonStart(VOID)
{
    IRPSIM_CONFIG Config;
    NTSTATUS Status;

    IrpSimTraceEnable(IRPSIM_TRACE_MEMORY, NULL);
    IrpSimDefaultConfig(&Config);
    Config.ClockMode = IrpSimClockVirtual; /* the DPC's 10 ms pass when everything waits */
    Config.AutoAdvance = TRUE;
    Config.Verifier = TRUE;
    Config.QuietDebugPrint = TRUE;
    Status = IrpSimInitialize(&Config);
    if (!NT_SUCCESS(Status))
        return Status;
    LowerDriver = LowerLoad();
    if (LowerDriver == NULL)
        return STATUS_UNSUCCESSFUL;
    return IrpSimLoadDriver(L"\\Driver\\Roll", RollDriverEntry, &RollDriver);
}

ULONG RollLessonStop(VOID)
{
    ULONG Leaks;
    IrpSimShutdown();
    Leaks = IrpSimGetShutdownLeakCount();
    IrpSimTraceEnable(0, NULL);
    return Leaks;
}

static PDEVICE_OBJECT RollLessonTarget(ULONG IoFlags, BOOLEAN Pend)
{
    LOWER_CONFIG Config;
    LowerDefaultConfig(&Config); /* success; reads fill 0xA5 */
    Config.Action = Pend ? LowerPendTimer : LowerComplete;
    return LowerCreateDevice(LowerDriver, IoFlags, &Config);
}

static PUCHAR RollLessonBuffer(UCHAR Major)
{
    PUCHAR Buffer = (PUCHAR)ExAllocatePoolWithTag(NonPagedPool, ROLL_LESSON_LENGTH, ROLL_LESSON_DATA_TAG);
    if (Buffer != NULL) {
        for (ULONG i = 0; i < ROLL_LESSON_LENGTH; i++)
            Buffer[i] = Major == IRP_MJ_READ ? 0 : (UCHAR)(0x40 + i);
    }
    return Buffer;
}

/* Starts one request; the caller waits on Result->Request.Done. */
static VOID RollLessonStartRequest(ROLL_SOURCE Source, UCHAR Major, PDEVICE_OBJECT Target, PROLL_LESSON_RESULT Result)
{
    PROLL_REQUEST Request = &Result->Request;
    RtlZeroMemory(Result, sizeof(*Result));
    KeInitializeEvent(&Request->Done, NotificationEvent, FALSE);
    Request->Source = Source;
    Request->MajorFunction = Major;
    Request->Length = ROLL_LESSON_LENGTH;
    Request->Buffer = RollLessonBuffer(Major);
    Request->RoutineLocation = -1;
    Result->Sent = Request->Buffer != NULL ? RollSend(Target, Request) : STATUS_INSUFFICIENT_RESOURCES;
    if (Result->Sent == STATUS_PENDING)
        Result->IrpNumber = IrpSimTraceIrpNumber(Request->Irp);
}

/* Waits for the completion routine and checks the data. */
static VOID RollLessonFinishRequest(PDEVICE_OBJECT Target, PROLL_LESSON_RESULT Result)
{
    PROLL_REQUEST Request = &Result->Request;
    PUCHAR Buffer = (PUCHAR)Request->Buffer;
    if (Result->Sent == STATUS_PENDING) {
        (void)KeWaitForSingleObject(&Request->Done, Executive, KernelMode, FALSE, NULL);
        /* The routine signals before it returns; when a DPC completed the
           request, let that DPC finish so the request's story is complete. */
        KeFlushQueuedDpcs();
        for (ULONG i = 0; i < ROLL_LESSON_LENGTH; i++) {
            if (Request->MajorFunction == IRP_MJ_READ)
                Result->DataMoved += Buffer[i] == 0xA5;
            else
                Result->DataMoved += LowerExtension(Target)->Seen.Data[i] == Buffer[i];
        }
    }
    if (Buffer != NULL)
        ExFreePoolWithTag(Buffer, ROLL_LESSON_DATA_TAG);
    Request->Buffer = NULL;
}

VOID RollLessonSend(ROLL_SOURCE Source, UCHAR Major, ULONG IoFlags, BOOLEAN Pend, PROLL_LESSON_RESULT Result)
{
    PDEVICE_OBJECT Target = RollLessonTarget(IoFlags, Pend);
    RollLessonStartRequest(Source, Major, Target, Result);
    RollLessonFinishRequest(Target, Result);
}

VOID RollLessonPool(PROLL_POOL_RESULT Result)
{
    static const ULONG Flags[3] = {DO_BUFFERED_IO, DO_DIRECT_IO, 0};
    PDEVICE_OBJECT Targets[7];

    RtlZeroMemory(Result, sizeof(*Result));
    /* Three reads pended by their targets: the whole pool is in flight. */
    for (ULONG i = 0; i < 3; i++) {
        Targets[i] = RollLessonTarget(Flags[i], TRUE);
        RollLessonStartRequest(RollFromPrivatePool, IRP_MJ_READ, Targets[i], &Result->Requests[i]);
    }
    Result->FreeWhileBusy = RollPoolFree();
    /* A fourth finds the pool empty. */
    Targets[3] = RollLessonTarget(DO_BUFFERED_IO, FALSE);
    RollLessonStartRequest(RollFromPrivatePool, IRP_MJ_READ, Targets[3], &Result->Requests[3]);
    for (ULONG i = 0; i < 4; i++)
        RollLessonFinishRequest(Targets[i], &Result->Requests[i]);
    /* Every IRP came back through IoReuseIrp: send more, one at a time. */
    for (ULONG i = 4; i < 7; i++) {
        Targets[i] = RollLessonTarget(Flags[i - 4], FALSE);
        RollLessonStartRequest(RollFromPrivatePool, IRP_MJ_WRITE, Targets[i], &Result->Requests[i]);
        RollLessonFinishRequest(Targets[i], &Result->Requests[i]);
    }
    Result->FreeAfter = RollPoolFree();
    for (ULONG i = 0; i < ROLL_POOL_IRPS; i++) {
        PIRP Irp = RollPoolIrp(i);
        Result->PoolIrpNumber[i] = IrpSimTraceIrpNumber(Irp);
        Result->PoolIrpSends[i] = IrpSimTraceCountIrpEvents(Irp, IrpSimTraceIrpCallDriver);
        Result->PoolIrpAllocations[i] = IrpSimTraceCountIrpEvents(Irp, IrpSimTraceIrpAllocated);
    }
}

VOID RollLessonForgetMoreProcessing(PIRPSIM_BUGCHECK_CATCH Catch, PROLL_LESSON_RESULT Result)
{
    PDEVICE_OBJECT Target = RollLessonTarget(DO_BUFFERED_IO, FALSE);
    PROLL_REQUEST Request = &Result->Request;

    RtlZeroMemory(Result, sizeof(*Result));
    KeInitializeEvent(&Request->Done, NotificationEvent, FALSE);
    Request->MajorFunction = IRP_MJ_WRITE;
    Request->Length = ROLL_LESSON_LENGTH;
    Request->Buffer = RollLessonBuffer(IRP_MJ_WRITE);
    if (Request->Buffer == NULL)
        return;
    /* The target completes at once: the walk runs on this thread, inside
       IoCallDriver, so the catch frame here catches the bug check. */
    IRPSIM_CATCH_BUGCHECK(*Catch, (void)RollSendForgettingMoreProcessing(Target, Request));
    Result->BugCheck = Catch->Caught ? Catch->Info.Code : 0;
    Result->IrpNumber = Request->Irp != NULL ? IrpSimTraceIrpNumber(Request->Irp) : 0;
    ExFreePoolWithTag(Request->Buffer, ROLL_LESSON_DATA_TAG);
    Request->Buffer = NULL;
    /* On Windows the machine is gone. Here the IRP stopped where the
       crash would be: it is still the driver's, so free it. */
    if (Result->BugCheck != 0 && Request->Irp != NULL)
        IoFreeIrp(Request->Irp);
}

VOID RollLessonFreeThreadedIrp(PIRPSIM_BUGCHECK_CATCH Catch, PROLL_LESSON_RESULT Result)
{
    static UCHAR Data[ROLL_LESSON_LENGTH] = "a synchronous write";
    PDEVICE_OBJECT Target = RollLessonTarget(DO_BUFFERED_IO, FALSE);
    static KEVENT Event;            /* static: the bug check unwinds the routine's frames, */
    static IO_STATUS_BLOCK IoStatus; /* and stage 2 writes these afterwards */
    static PIRP Irp;

    RtlZeroMemory(Result, sizeof(*Result));
    KeInitializeEvent(&Event, NotificationEvent, FALSE);
    IoStatus.Status = STATUS_PENDING;
    Irp = NULL;
    IRPSIM_CATCH_BUGCHECK(*Catch, (void)RollFreeThreadedIrpInCompletion(Target, Data, sizeof(Data), &Event,
                                                                        &IoStatus, &Irp));
    Result->BugCheck = Catch->Caught ? Catch->Info.Code : 0;
    Result->Request.Irp = Irp;
    Result->IrpNumber = Irp != NULL ? IrpSimTraceIrpNumber(Irp) : 0;
    /* irpsim stopped IoFreeIrp before it freed anything: the IRP is intact,
       on this thread's list, its walk stopped by the routine's
       STATUS_MORE_PROCESSING_REQUIRED. Hand it back: stage 2 writes the
       IOSB, signals the event, takes it off the list and frees it. */
    if (Result->BugCheck != 0 && Irp != NULL)
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
    Result->FinalIosb = IoStatus.Status;
}
