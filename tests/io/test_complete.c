/*
 * IoCompleteRequest (SEMANTICS.md 3): entry checks, the stack walk and its
 * invoke conditions, PendingReturned, STATUS_MORE_PROCESSING_REQUIRED,
 * post-processing and stage 2.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "iotest.h"
#include "io/iop.h" /* white box: threaded IRP lists, IRP state, object counts */
#include <irpsim/cmocka.h>
#include <irpsim/trace.h>

static PDRIVER_OBJECT Driver;
static PIRP HeldIrp;

static int Setup(void **State)
{
    (void)State;
    if (IrpSimInitialize(NULL) != STATUS_SUCCESS)
        return -1;
    IoTestLogCount = 0;
    HeldIrp = NULL;
    Driver = IoTestLoad(L"\\Driver\\IoTest");
    return Driver != NULL ? 0 : -1;
}

static int Teardown(void **State)
{
    (void)State;
    IrpSimShutdown();
    return 0;
}

IRPSIM_TRACED_FIXTURES(SetupTraced, TeardownTraced, Setup, Teardown)

/* ---- helpers ---- */

#define IOSB_UNTOUCHED ((NTSTATUS)0x12345678)

static NTSTATUS HoldPending(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    IoMarkIrpPending(Irp);
    HeldIrp = Irp;
    return STATUS_PENDING;
}

static NTSTATUS CopyDownNoRoutine(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    IoTestLogEvent('D', DeviceObject, 'M', Irp);
    IoCopyCurrentIrpStackLocationToNext(Irp);
    return IoCallDriver(IoTestExtension(DeviceObject)->Lower, Irp);
}

static NTSTATUS KeepIrp(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    IoTestLogEvent('C', DeviceObject, 'O', Irp);
    return STATUS_MORE_PROCESSING_REQUIRED;
}

static NTSTATUS LogAndContinue(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    IoTestLogEvent('C', DeviceObject, (ULONG)(ULONG_PTR)Context, Irp);
    return STATUS_CONTINUE_COMPLETION;
}

/* An IRP that belongs to the calling thread (as IoBuildAsynchronousFsdRequest
   makes them): stage 2 runs for it and writes *Iosb. */
static PIRP ThreadIrp(CCHAR StackSize, PIO_STATUS_BLOCK Iosb, PKEVENT Event)
{
    PIRP Irp = IoAllocateIrp(StackSize, FALSE);
    Irp->Tail.Overlay.Thread = PsGetCurrentThread();
    Irp->UserIosb = Iosb;
    Irp->UserEvent = Event;
    Iosb->Status = IOSB_UNTOUCHED;
    Iosb->Information = 0;
    if (Event != NULL)
        KeInitializeEvent(Event, NotificationEvent, FALSE);
    IoGetNextIrpStackLocation(Irp)->MajorFunction = IRP_MJ_DEVICE_CONTROL;
    return Irp;
}

/* ---- 3.2 item 2: invoke conditions [observed on Windows] ---- */

typedef struct _INVOKE_CASE {
    NTSTATUS Status;
    BOOLEAN Cancel;
    BOOLEAN OnSuccess, OnError, OnCancel;
    BOOLEAN Called;
} INVOKE_CASE;

static NTSTATUS CompleteWithCase(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    const INVOKE_CASE *Case = (const INVOKE_CASE *)IoTestExtension(DeviceObject)->Context;
    if (Case->Cancel)
        IoCancelIrp(Irp); /* no cancel routine: only sets Irp->Cancel */
    Irp->IoStatus.Status = Case->Status;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return Case->Status;
}

static void TestInvokeConditions(void **State)
{
    static const INVOKE_CASE Cases[] = {
        /* InvokeOnCancel only: called for a cancelled IRP completed with STATUS_CANCELLED. */
        {STATUS_CANCELLED, TRUE, FALSE, FALSE, TRUE, TRUE},
        /* InvokeOnError only: called for STATUS_CANCELLED. */
        {STATUS_CANCELLED, FALSE, FALSE, TRUE, FALSE, TRUE},
        /* InvokeOnSuccess only: not called for STATUS_CANCELLED, even if cancelled. */
        {STATUS_CANCELLED, TRUE, TRUE, FALSE, FALSE, FALSE},
        {STATUS_SUCCESS, FALSE, TRUE, FALSE, FALSE, TRUE},
        {STATUS_SUCCESS, FALSE, FALSE, TRUE, FALSE, FALSE},
        /* Warnings are not NT_SUCCESS: they count as errors here. */
        {STATUS_BUFFER_OVERFLOW, FALSE, TRUE, FALSE, FALSE, FALSE},
        {STATUS_BUFFER_OVERFLOW, FALSE, FALSE, TRUE, FALSE, TRUE},
        /* Informational codes are NT_SUCCESS. */
        {(NTSTATUS)0x40000003, FALSE, TRUE, FALSE, FALSE, TRUE},
        /* InvokeOnCancel follows Irp->Cancel, whatever the status. */
        {STATUS_SUCCESS, TRUE, FALSE, FALSE, TRUE, TRUE},
        {STATUS_INVALID_PARAMETER, FALSE, FALSE, FALSE, TRUE, FALSE},
    };
    PDEVICE_OBJECT Device = IoTestCreateDevice(Driver, NULL, CompleteWithCase);
    (void)State;
    for (ULONG i = 0; i < RTL_NUMBER_OF(Cases); i++) {
        IO_STATUS_BLOCK Iosb;
        PIRP Irp = ThreadIrp(1, &Iosb, NULL);
        IoTestLogCount = 0;
        IoTestExtension(Device)->Context = (PVOID)&Cases[i];
        IoSetCompletionRoutine(Irp, LogAndContinue, (PVOID)(ULONG_PTR)'R', Cases[i].OnSuccess, Cases[i].OnError,
                               Cases[i].OnCancel);
        (void)IoCallDriver(Device, Irp);
        if (IoTestLogCount != (Cases[i].Called ? 1u : 0u))
            fail_msg("case %lu: routine %s", (unsigned long)i, Cases[i].Called ? "not called" : "called");
        /* Either way the IRP went through stage 2 and is gone. */
        assert_true(VfIrpIsFreed(Irp));
    }
}

/* ---- 3.2 / 3.3: order, device objects, PendingReturned per level ---- */

static NTSTATUS TopCompletion(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    IoTestLogEvent('C', DeviceObject, 'T', Irp);
    if (Irp->PendingReturned && Context == NULL)
        IoMarkIrpPending(Irp);
    return STATUS_CONTINUE_COMPLETION;
}

static NTSTATUS TopDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    IoTestLogEvent('D', DeviceObject, 'T', Irp);
    IoCopyCurrentIrpStackLocationToNext(Irp);
    IoSetCompletionRoutine(Irp, TopCompletion, IoTestExtension(DeviceObject)->Context, TRUE, TRUE, TRUE);
    return IoCallDriver(IoTestExtension(DeviceObject)->Lower, Irp);
}

static void BuildThreeLevels(PDEVICE_OBJECT *Top, PDEVICE_OBJECT *Middle, PDEVICE_OBJECT *Bottom)
{
    *Bottom = IoTestCreateDevice(Driver, NULL, HoldPending);
    *Middle = IoTestCreateDevice(Driver, NULL, CopyDownNoRoutine);
    *Top = IoTestCreateDevice(Driver, NULL, TopDispatch);
    IoTestAttach(*Middle, *Bottom);
    IoTestAttach(*Top, *Middle);
}

static void TestOrderAndPendingPropagation(void **State)
{
    PDEVICE_OBJECT Top, Middle, Bottom;
    PIRP Irp;
    (void)State;
    BuildThreeLevels(&Top, &Middle, &Bottom);
    Irp = IoAllocateIrp(Top->StackSize, FALSE);
    IoGetNextIrpStackLocation(Irp)->MajorFunction = IRP_MJ_READ;
    IoSetCompletionRoutine(Irp, KeepIrp, NULL, TRUE, TRUE, TRUE);

    assert_int_equal(IoCallDriver(Top, Irp), STATUS_PENDING);
    assert_ptr_equal(HeldIrp, Irp);
    HeldIrp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(HeldIrp, IO_NO_INCREMENT);

    assert_int_equal(IoTestLogCount, 4);
    assert_int_equal(IoTestLog[0].Tag, 'T'); /* dispatch, location 3 */
    assert_int_equal(IoTestLog[0].CurrentLocation, 3);
    assert_int_equal(IoTestLog[1].Tag, 'M');
    assert_int_equal(IoTestLog[1].CurrentLocation, 2);
    /* Middle had no routine: the I/O manager propagated the bottom's
       pending bit into its slot, so the top's routine sees it. */
    assert_int_equal(IoTestLog[2].Kind, 'C');
    assert_int_equal(IoTestLog[2].Tag, 'T');
    assert_int_equal(IoTestLog[2].CurrentLocation, 3);
    assert_ptr_equal(IoTestLog[2].Device, Top);
    assert_int_equal(IoTestLog[2].PendingReturned, TRUE);
    /* The originator's routine: N + 1, NULL device, pending from the top. */
    assert_int_equal(IoTestLog[3].Tag, 'O');
    assert_int_equal(IoTestLog[3].CurrentLocation, 4);
    assert_null(IoTestLog[3].Device);
    assert_int_equal(IoTestLog[3].PendingReturned, TRUE);
    assert_int_equal(Irp->PendingReturned, TRUE);
    IoFreeIrp(Irp);
}

/* 3.3 / Verifier 0xC9/0x228: a completion routine that does not propagate
   a pending bit it saw. */
static void TestRoutineForgetsToPropagate(void **State)
{
    PDEVICE_OBJECT Top, Middle, Bottom;
    PIRP Irp;
    (void)State;
    BuildThreeLevels(&Top, &Middle, &Bottom);
    IoTestExtension(Top)->Context = (PVOID)1; /* TopCompletion does not mark */
    Irp = IoAllocateIrp(Top->StackSize, FALSE);
    IoGetNextIrpStackLocation(Irp)->MajorFunction = IRP_MJ_READ;
    IoSetCompletionRoutine(Irp, KeepIrp, NULL, TRUE, TRUE, TRUE);
    assert_int_equal(IoCallDriver(Top, Irp), STATUS_PENDING);
    HeldIrp->IoStatus.Status = STATUS_SUCCESS;
    /* A non-fatal report: made a bug check here to catch it. */
    IrpSimVerifierSetNonFatalAction(IrpSimVerifierStop);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IoCompleteRequest(HeldIrp, IO_NO_INCREMENT));
    irpsim_assert_bugcheck_parameter(0, 0x228);
    irpsim_assert_bugcheck_parameter(1, TopCompletion);
    irpsim_assert_bugcheck_parameter(3, Top);
    VfIrpSetState(Irp, VfIrpAllocated, NULL);
    IoFreeIrp(Irp);
}

/* ---- 3.4 / 3.10: STATUS_MORE_PROCESSING_REQUIRED, then complete again ---- */

static NTSTATUS StopInMiddle(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    IoTestLogEvent('C', DeviceObject, 'S', Irp);
    return STATUS_MORE_PROCESSING_REQUIRED;
}

static NTSTATUS MiddleWithStop(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    IoMarkIrpPending(Irp);
    IoCopyCurrentIrpStackLocationToNext(Irp);
    IoSetCompletionRoutine(Irp, StopInMiddle, NULL, TRUE, TRUE, TRUE);
    (void)IoCallDriver(IoTestExtension(DeviceObject)->Lower, Irp);
    return STATUS_PENDING;
}

static void TestMoreProcessingThenCompleteAgain(void **State)
{
    PDEVICE_OBJECT Bottom = IoTestCreateDevice(Driver, NULL, HoldPending);
    PDEVICE_OBJECT Middle = IoTestCreateDevice(Driver, NULL, MiddleWithStop);
    IO_STATUS_BLOCK Iosb;
    KEVENT Event;
    PIRP Irp;
    (void)State;
    IoTestAttach(Middle, Bottom);
    Irp = ThreadIrp(Middle->StackSize, &Iosb, &Event);
    IoSetCompletionRoutine(Irp, KeepIrp, NULL, TRUE, TRUE, TRUE);
    assert_int_equal(IoCallDriver(Middle, Irp), STATUS_PENDING);

    HeldIrp->IoStatus.Status = STATUS_SUCCESS;
    HeldIrp->IoStatus.Information = 9;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    /* Stopped in the middle driver's routine: the IRP is exactly there. */
    assert_int_equal(IoTestLogCount, 1);
    assert_int_equal(IoTestLog[0].Tag, 'S');
    assert_int_equal(Irp->CurrentLocation, 2);
    assert_ptr_equal(IoGetCurrentIrpStackLocation(Irp)->DeviceObject, Middle);
    assert_null(IoGetNextIrpStackLocation(Irp)->CompletionRoutine); /* its slot was cleared */
    assert_int_equal(Iosb.Status, IOSB_UNTOUCHED);
    assert_int_equal(KeReadStateEvent(&Event), 0);
    assert_false(VfIrpIsFreed(Irp));

    /* The middle driver completes it again: the walk resumes from its slot. */
    Irp->IoStatus.Information = 10;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    assert_int_equal(IoTestLogCount, 2);
    assert_int_equal(IoTestLog[1].Tag, 'O');
    assert_int_equal(IoTestLog[1].CurrentLocation, 3);
    assert_int_equal(IoTestLog[1].PendingReturned, TRUE);
    assert_int_equal(Irp->CurrentLocation, 3);

    /* The originator (at N + 1) hands it back: legal; post-processing runs
       with the PendingReturned of the earlier walk, stage 2 reports. */
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    assert_int_equal(IoTestLogCount, 2);
    assert_int_equal(Iosb.Status, STATUS_SUCCESS);
    assert_int_equal(Iosb.Information, 10);
    assert_int_equal(KeReadStateEvent(&Event), 1);
    assert_true(VfIrpIsFreed(Irp));
}

/* ---- 3.1: entry checks ---- */

/* 0x44: completing twice. With IRP_DEFER_IO_COMPLETION the issuer keeps
   the IRP after the walk (CurrentLocation N + 2), so the second call finds
   exactly what Windows finds. */
static void TestCompleteTwice(void **State)
{
    IO_STATUS_BLOCK Iosb;
    PIRP Irp = ThreadIrp(1, &Iosb, NULL);
    (void)State;
    Irp->Flags |= IRP_DEFER_IO_COMPLETION;
    Irp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    assert_int_equal(Irp->CurrentLocation, 3); /* StackCount + 2 */
    irpsim_assert_bugcheck(MULTIPLE_IRP_COMPLETE_REQUESTS, IoCompleteRequest(Irp, IO_NO_INCREMENT));
    irpsim_assert_bugcheck_parameter(0, Irp);
    IopCompleteDeferredRequest(Irp); /* what the issuing service does */
    assert_int_equal(Iosb.Status, STATUS_SUCCESS);

    /* The usual case: the first completion freed it. */
    Irp = ThreadIrp(1, &Iosb, NULL);
    Irp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    assert_true(VfIrpIsFreed(Irp));
    irpsim_assert_bugcheck(MULTIPLE_IRP_COMPLETE_REQUESTS, IoCompleteRequest(Irp, IO_NO_INCREMENT));
    irpsim_assert_bugcheck_parameter(0, Irp);
    assert_non_null(strstr(irpsim_last_bugcheck.Info.Report, "freed"));
}

/* Verifier 0xC9/0x07 (P2 routine, P3 IRP): completed with a cancel
   routine still set. 0xC9/0x06: completed with STATUS_PENDING. 0xC9/0x0E:
   completed above DISPATCH_LEVEL. Each leaves the IRP as it was. */
static VOID NTAPI SomeCancel(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    fail_msg("not expected to run");
}

static void TestCompleteEntryChecks(void **State)
{
    IO_STATUS_BLOCK Iosb;
    PIRP Irp = ThreadIrp(1, &Iosb, NULL);
    (void)State;
    IoSetCancelRoutine(Irp, SomeCancel);
    Irp->IoStatus.Status = STATUS_SUCCESS;
    irpsim_assert_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IoCompleteRequest(Irp, IO_NO_INCREMENT));
    irpsim_assert_bugcheck_parameter(0, 0x07);
    irpsim_assert_bugcheck_parameter(1, SomeCancel);
    irpsim_assert_bugcheck_parameter(2, Irp);
    IoSetCancelRoutine(Irp, NULL);

    Irp->IoStatus.Status = STATUS_PENDING;
    irpsim_assert_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IoCompleteRequest(Irp, IO_NO_INCREMENT));
    irpsim_assert_bugcheck_parameter(0, 0x06);
    irpsim_assert_bugcheck_parameter(1, (ULONG)STATUS_PENDING);
    irpsim_assert_bugcheck_parameter(2, Irp);

    /* Above DISPATCH_LEVEL: 0xC9/0x0E (P2 IRQL, P3 IRP). */
    Irp->IoStatus.Status = STATUS_SUCCESS;
    {
        KIRQL Old;
        KeRaiseIrql(HIGH_LEVEL, &Old);
        irpsim_assert_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IoCompleteRequest(Irp, IO_NO_INCREMENT));
        KeLowerIrql(Old); /* the catch frame restored the IRQL it was armed at */
    }
    irpsim_assert_bugcheck_parameter(0, 0x0E);
    irpsim_assert_bugcheck_parameter(1, HIGH_LEVEL);
    irpsim_assert_bugcheck_parameter(2, Irp);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);

    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    assert_int_equal(Iosb.Status, STATUS_SUCCESS);
}

/* 3.5 step 7 / 3.9: an IoAllocateIrp IRP (no thread) whose completion runs
   to the end crashes Windows; irpsim stops with an explanation. */
static void TestAllocatedIrpWithoutStop(void **State)
{
    PDEVICE_OBJECT Device = IoTestCreateDevice(Driver, NULL, NULL);
    PIRP Irp = IoAllocateIrp(1, FALSE);
    (void)State;
    IoGetNextIrpStackLocation(Irp)->MajorFunction = IRP_MJ_READ;
    irpsim_assert_bugcheck(IRQL_NOT_LESS_OR_EQUAL, IoCallDriver(Device, Irp));
    assert_ptr_equal(irpsim_last_bugcheck.Info.Irp, Irp);
    assert_non_null(strstr(irpsim_last_bugcheck.Info.Rule, "STATUS_MORE_PROCESSING_REQUIRED"));
    VfIrpSetState(Irp, VfIrpAllocated, NULL);
    IoFreeIrp(Irp);
}

/* ---- 3.6 / 3.7: stage 2, the REPORT / NO_REPORT rule ---- */

static NTSTATUS CompleteWithContextStatus(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    NTSTATUS Status = (NTSTATUS)(ULONG_PTR)IoTestExtension(DeviceObject)->Context;
    Irp->IoStatus.Status = Status;
    Irp->IoStatus.Information = 4;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return Status;
}

static void RunThreadedRequest(PDEVICE_OBJECT Device, NTSTATUS Status, BOOLEAN Pend, PIO_STATUS_BLOCK Iosb,
                               PKEVENT Event)
{
    PIRP Irp = ThreadIrp(1, Iosb, Event);
    NTSTATUS Returned;
    IopQueueThreadIrp(Irp, PsGetCurrentThread());
    IoTestExtension(Device)->Handler = Pend ? HoldPending : CompleteWithContextStatus;
    IoTestExtension(Device)->Context = (PVOID)(ULONG_PTR)Status;
    Returned = IoCallDriver(Device, Irp);
    if (Pend) {
        assert_int_equal(Returned, STATUS_PENDING);
        HeldIrp->IoStatus.Status = Status;
        HeldIrp->IoStatus.Information = 4;
        IoCompleteRequest(HeldIrp, IO_NO_INCREMENT);
    }
    /* Threaded IRPs are always freed by the I/O manager and leave the list. */
    assert_true(VfIrpIsFreed(Irp));
    assert_false(IopThreadHasIrps(PsGetCurrentThread()));
}

static void TestStage2ReportRule(void **State)
{
    PDEVICE_OBJECT Device = IoTestCreateDevice(Driver, NULL, NULL);
    IO_STATUS_BLOCK Iosb;
    KEVENT Event;
    (void)State;

    RunThreadedRequest(Device, STATUS_SUCCESS, FALSE, &Iosb, &Event);
    assert_int_equal(Iosb.Status, STATUS_SUCCESS);
    assert_int_equal(Iosb.Information, 4);
    assert_int_equal(KeReadStateEvent(&Event), 1);

    /* An error the driver did not pend is not reported (3.7). */
    RunThreadedRequest(Device, STATUS_INVALID_PARAMETER, FALSE, &Iosb, &Event);
    assert_int_equal(Iosb.Status, IOSB_UNTOUCHED);
    assert_int_equal(KeReadStateEvent(&Event), 0);

    /* ... but a pended error is. */
    RunThreadedRequest(Device, STATUS_INVALID_PARAMETER, TRUE, &Iosb, &Event);
    assert_int_equal(Iosb.Status, STATUS_INVALID_PARAMETER);
    assert_int_equal(KeReadStateEvent(&Event), 1);

    /* Warnings are always reported. */
    RunThreadedRequest(Device, STATUS_BUFFER_OVERFLOW, FALSE, &Iosb, &Event);
    assert_int_equal(Iosb.Status, STATUS_BUFFER_OVERFLOW);
    assert_int_equal(KeReadStateEvent(&Event), 1);
}

/* 3.6: buffered input operations copy Information bytes back to
   UserBuffer, and IRP_DEALLOCATE_BUFFER frees the system buffer. */
static NTSTATUS FillSystemBuffer(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    memcpy(Irp->AssociatedIrp.SystemBuffer, "abcdef", 6);
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->IoStatus.Information = 4;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static void TestBufferedCopyBack(void **State)
{
    PDEVICE_OBJECT Device = IoTestCreateDevice(Driver, NULL, FillSystemBuffer);
    IO_STATUS_BLOCK Iosb;
    CHAR User[8] = "zzzzzzz";
    PIRP Irp = ThreadIrp(1, &Iosb, NULL);
    IRPSIM_LEAK_SUMMARY Before, After;
    (void)State;
    IrpSimQueryOutstanding(NULL, &Before);
    Irp->AssociatedIrp.SystemBuffer = ExAllocatePoolWithTag(NonPagedPool, 8, 'fuBS');
    Irp->UserBuffer = User;
    Irp->Flags = IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER | IRP_INPUT_OPERATION;
    /* The caller's output buffer, as the I/O manager records it (with 0 the
       verifier reports Information 4 as an overrun, 0xC9/0x312). */
    IoGetNextIrpStackLocation(Irp)->Parameters.DeviceIoControl.OutputBufferLength = sizeof(User);
    assert_int_equal(IoCallDriver(Device, Irp), STATUS_SUCCESS);
    assert_memory_equal(User, "abcdzzz", 8);
    IrpSimQueryOutstanding(NULL, &After);
    /* The system buffer went back to pool, and the IRP to the I/O manager. */
    assert_int_equal(After.PoolBlocks, Before.PoolBlocks);
    assert_int_equal(After.Irps, Before.Irps - 1);
}

/* 3.6: completed on another thread, stage 2 is queued to the requesting
   thread as a special kernel APC and runs there during its wait. */
static VOID NTAPI CompleteFromSystemThread(PVOID Context)
{
    PIRP Irp = (PIRP)Context;
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->IoStatus.Information = 21;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    PsTerminateSystemThread(STATUS_SUCCESS);
}

static void TestStage2QueuedToRequestingThread(void **State)
{
    PDEVICE_OBJECT Device = IoTestCreateDevice(Driver, NULL, HoldPending);
    IO_STATUS_BLOCK Iosb;
    KEVENT Event;
    HANDLE Thread;
    IRPSIM_TRACE_EVENT Trace;
    ULONG Index = 0;
    PIRP Irp = ThreadIrp(1, &Iosb, &Event);
    (void)State;
    IopQueueThreadIrp(Irp, PsGetCurrentThread());
    assert_int_equal(IoCallDriver(Device, Irp), STATUS_PENDING);
    assert_int_equal(PsCreateSystemThread(&Thread, THREAD_ALL_ACCESS, NULL, NULL, NULL, CompleteFromSystemThread,
                                          HeldIrp),
                     STATUS_SUCCESS);
    assert_int_equal(KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
    assert_int_equal(Iosb.Status, STATUS_SUCCESS);
    assert_int_equal(Iosb.Information, 21);
    assert_true(IrpSimTraceFind(&Index, IrpSimTraceIrpPostProcessing, Irp, &Trace));
    assert_int_equal(Trace.Argument[1], 0); /* queued, not run at once */
    assert_true(IrpSimTraceFind(&Index, IrpSimTraceIrpCompleted, Irp, &Trace));
    assert_ptr_equal(Trace.Thread, KeGetCurrentThread()); /* ran on the requesting thread */
    assert_false(IopThreadHasIrps(PsGetCurrentThread()));
    ZwClose(Thread);
}

/* 3.5 step 5 / 3.6: stage 1 unlocks the locked MDLs of the chain, stage 2
   frees the whole chain. */
static void TestMdlChainReleased(void **State)
{
    PDEVICE_OBJECT Device = IoTestCreateDevice(Driver, NULL, NULL);
    IO_STATUS_BLOCK Iosb;
    PIRP Irp = ThreadIrp(1, &Iosb, NULL);
    PCHAR Buffer = (PCHAR)ExAllocatePoolWithTag(NonPagedPool, 256, 'ldMT');
    IRPSIM_LEAK_SUMMARY Summary;
    PMDL First, Second;
    (void)State;
    First = IoAllocateMdl(Buffer, 128, FALSE, FALSE, Irp);
    Second = IoAllocateMdl(Buffer + 128, 128, TRUE, FALSE, Irp);
    assert_ptr_equal(Irp->MdlAddress, First);
    assert_ptr_equal(First->Next, Second);
    MmProbeAndLockPages(First, KernelMode, IoWriteAccess);
    MmBuildMdlForNonPagedPool(Second);
    assert_true(First->MdlFlags & MDL_PAGES_LOCKED);
    assert_int_equal(IoCallDriver(Device, Irp), STATUS_SUCCESS);
    assert_int_equal(Iosb.Status, STATUS_SUCCESS);
    IrpSimQueryOutstanding(NULL, &Summary);
    assert_int_equal(Summary.Mdls, 0);
    ExFreePoolWithTag(Buffer, 'ldMT');
}

/* ---- 3.8: associated IRPs complete their master ---- */

static void TestAssociatedIrpsCompleteMaster(void **State)
{
    PDEVICE_OBJECT Device = IoTestCreateDevice(Driver, NULL, NULL);
    IO_STATUS_BLOCK Iosb;
    PIRP Master = ThreadIrp(1, &Iosb, NULL);
    PIRP Parts[2];
    (void)State;
    Master->AssociatedIrp.IrpCount = 2;
    Master->IoStatus.Status = STATUS_SUCCESS;
    Master->IoStatus.Information = 33;
    for (int i = 0; i < 2; i++) {
        Parts[i] = IoMakeAssociatedIrp(Master, Device->StackSize);
        IoGetNextIrpStackLocation(Parts[i])->MajorFunction = IRP_MJ_READ;
    }
    assert_int_equal(IoCallDriver(Device, Parts[0]), STATUS_SUCCESS);
    assert_true(VfIrpIsFreed(Parts[0]));
    assert_int_equal(Master->AssociatedIrp.IrpCount, 1);
    assert_int_equal(Iosb.Status, IOSB_UNTOUCHED);
    assert_int_equal(IoCallDriver(Device, Parts[1]), STATUS_SUCCESS);
    assert_true(VfIrpIsFreed(Parts[1]));
    /* The last one completed the master, whose status is its own. */
    assert_int_equal(Iosb.Status, STATUS_SUCCESS);
    assert_int_equal(Iosb.Information, 33);
    assert_true(VfIrpIsFreed(Master));
}

/* ---- 1.7: IoSetCompletionRoutineEx holds the driver until the routine ran ---- */

static void TestSetCompletionRoutineEx(void **State)
{
    PDEVICE_OBJECT Device = IoTestCreateDevice(Driver, NULL, HoldPending);
    LONG_PTR Before = ObpGetPointerCount(Driver);
    PIRP Irp = IoAllocateIrp(2, FALSE);
    (void)State;
    IoSetNextIrpStackLocation(Irp); /* the caller's own slot (location 2) */
    IoGetCurrentIrpStackLocation(Irp)->DeviceObject = Device;
    IoGetNextIrpStackLocation(Irp)->MajorFunction = IRP_MJ_READ;
    assert_int_equal(IoSetCompletionRoutineEx(Device, Irp, KeepIrp, NULL, TRUE, TRUE, TRUE), STATUS_SUCCESS);
    assert_int_equal(ObpGetPointerCount(Driver), Before + 1);
    assert_int_equal(IoCallDriver(Device, Irp), STATUS_PENDING);
    HeldIrp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(HeldIrp, IO_NO_INCREMENT);
    assert_int_equal(IoTestLogCount, 1);
    assert_ptr_equal(IoTestLog[0].Device, Device); /* the caller's own slot's device */
    assert_int_equal(ObpGetPointerCount(Driver), Before);
    IoFreeIrp(Irp);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(TestInvokeConditions, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestOrderAndPendingPropagation, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestRoutineForgetsToPropagate, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestMoreProcessingThenCompleteAgain, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestCompleteTwice, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestCompleteEntryChecks, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestAllocatedIrpWithoutStop, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestStage2ReportRule, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestBufferedCopyBack, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestStage2QueuedToRequestingThread, SetupTraced, TeardownTraced),
        cmocka_unit_test_setup_teardown(TestMdlChainReleased, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestAssociatedIrpsCompleteMaster, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestSetCompletionRoutineEx, Setup, Teardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
