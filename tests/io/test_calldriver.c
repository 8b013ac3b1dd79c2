/*
 * IoCallDriver (SEMANTICS.md 2), the stack-location movement of 1.7/1.8,
 * and the dispatch-return checks of 4.4.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "iotest.h"
#include "verifier/irpstate.h" /* white box: reset a bug-checked IRP's state */
#include <irpsim/cmocka.h>
#include <irpsim/trace.h>

static PDRIVER_OBJECT Driver;

static int Setup(void **State)
{
    (void)State;
    if (IrpSimInitialize(NULL) != STATUS_SUCCESS)
        return -1;
    IoTestLogCount = 0;
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

static PIO_STACK_LOCATION Slots(PIRP Irp)
{
    return (PIO_STACK_LOCATION)(Irp + 1);
}

/* The originator's routine: it has no slot, so it records and keeps the
   IRP (STATUS_MORE_PROCESSING_REQUIRED) for the test to look at and free. */
static NTSTATUS OriginatorCompletion(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    IoTestLogEvent('C', DeviceObject, 'O', Irp);
    return STATUS_MORE_PROCESSING_REQUIRED;
}

/* ---- 1.8 worked example: FDO (StackSize 2) over PDO (StackSize 1) ---- */

static PIRP ExampleIrp;

static NTSTATUS PdoDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION Current = IoGetCurrentIrpStackLocation(Irp);
    IoTestLogEvent('D', DeviceObject, 'P', Irp);
    /* slot 0 is the copy of slot 1 with Control reset, the FDO's routine in it */
    assert_ptr_equal(Current, Slots(Irp) + 0);
    assert_ptr_equal(Current->DeviceObject, DeviceObject);
    assert_int_equal(Current->MajorFunction, IRP_MJ_DEVICE_CONTROL);
    assert_int_equal(Current->Parameters.DeviceIoControl.IoControlCode, 0x222004);
    assert_int_equal(Current->Control, SL_INVOKE_ON_SUCCESS | SL_INVOKE_ON_ERROR | SL_INVOKE_ON_CANCEL);
    assert_non_null(Current->CompletionRoutine);
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->IoStatus.Information = 5;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static NTSTATUS FdoCompletion(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    IoTestLogEvent('C', DeviceObject, 'F', Irp);
    /* The FDO's own slot is current again, intact. */
    assert_ptr_equal(IoGetCurrentIrpStackLocation(Irp), Slots(Irp) + 1);
    assert_int_equal(IoGetCurrentIrpStackLocation(Irp)->Parameters.DeviceIoControl.IoControlCode, 0x222004);
    if (Irp->PendingReturned)
        IoMarkIrpPending(Irp);
    return STATUS_CONTINUE_COMPLETION;
}

static NTSTATUS FdoDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    IoTestLogEvent('D', DeviceObject, 'F', Irp);
    assert_ptr_equal(IoGetCurrentIrpStackLocation(Irp), Slots(Irp) + 1);
    assert_ptr_equal(IoGetCurrentIrpStackLocation(Irp)->DeviceObject, DeviceObject);
    IoCopyCurrentIrpStackLocationToNext(Irp);
    IoSetCompletionRoutine(Irp, FdoCompletion, NULL, TRUE, TRUE, TRUE);
    return IoCallDriver(IoTestExtension(DeviceObject)->Lower, Irp);
}

static void TestWorkedExample(void **State)
{
    PDEVICE_OBJECT Pdo = IoTestCreateDevice(Driver, NULL, PdoDispatch);
    PDEVICE_OBJECT Fdo = IoTestCreateDevice(Driver, NULL, FdoDispatch);
    PIO_STACK_LOCATION Next;
    PIRP Irp;
    NTSTATUS Status;
    (void)State;

    assert_ptr_equal(IoTestAttach(Fdo, Pdo), Pdo);
    assert_int_equal(Pdo->StackSize, 1);
    assert_int_equal(Fdo->StackSize, 2);

    Irp = ExampleIrp = IoAllocateIrp(Fdo->StackSize, FALSE);
    assert_int_equal(Irp->CurrentLocation, 3);
    Next = IoGetNextIrpStackLocation(Irp);
    assert_ptr_equal(Next, Slots(Irp) + 1);
    Next->MajorFunction = IRP_MJ_DEVICE_CONTROL;
    Next->Parameters.DeviceIoControl.IoControlCode = 0x222004;
    IoSetCompletionRoutine(Irp, OriginatorCompletion, NULL, TRUE, TRUE, TRUE);

    Status = IoCallDriver(Fdo, Irp);
    assert_int_equal(Status, STATUS_SUCCESS);

    assert_int_equal(IoTestLogCount, 4);
    /* IoCallDriver(FDO): location 2; IoCallDriver(PDO): location 1. */
    assert_int_equal(IoTestLog[0].Kind, 'D');
    assert_int_equal(IoTestLog[0].Tag, 'F');
    assert_int_equal(IoTestLog[0].CurrentLocation, 2);
    assert_int_equal(IoTestLog[1].Kind, 'D');
    assert_int_equal(IoTestLog[1].Tag, 'P');
    assert_int_equal(IoTestLog[1].CurrentLocation, 1);
    /* The FDO's routine runs at location 2 with the FDO; the originator's at
       location 3 (N + 1) with a NULL device. */
    assert_int_equal(IoTestLog[2].Tag, 'F');
    assert_int_equal(IoTestLog[2].CurrentLocation, 2);
    assert_ptr_equal(IoTestLog[2].Device, Fdo);
    assert_int_equal(IoTestLog[3].Tag, 'O');
    assert_int_equal(IoTestLog[3].CurrentLocation, 3);
    assert_null(IoTestLog[3].Device);
    assert_int_equal(Irp->IoStatus.Information, 5);
    assert_int_equal(Slots(Irp)[0].DeviceObject, Pdo);
    assert_int_equal(Slots(Irp)[1].DeviceObject, Fdo);

    /* Stopped at N + 1: a second IoCompleteRequest runs no routine and
       would finish completion; here the originator frees the IRP. */
    IoFreeIrp(Irp);
}

/* 2.3 [observed on Windows]: IoAllocateIrp(dev->StackSize == 1): the lower
   dispatch sees CurrentLocation 1 and its device in the current slot. */
static NTSTATUS CheckLocationOne(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    assert_int_equal(Irp->CurrentLocation, 1);
    assert_ptr_equal(IoGetCurrentIrpStackLocation(Irp)->DeviceObject, DeviceObject);
    return IoTestCompleteSuccess(DeviceObject, Irp);
}

static void TestObservedStackSizeOne(void **State)
{
    PDEVICE_OBJECT Device = IoTestCreateDevice(Driver, NULL, CheckLocationOne);
    PIRP Irp = IoAllocateIrp(Device->StackSize, FALSE);
    (void)State;
    IoGetNextIrpStackLocation(Irp)->MajorFunction = IRP_MJ_READ;
    IoSetCompletionRoutine(Irp, OriginatorCompletion, NULL, TRUE, TRUE, TRUE);
    assert_int_equal(IoCallDriver(Device, Irp), STATUS_SUCCESS);
    assert_int_equal(IoTestExtension(Device)->Calls, 1);
    IoFreeIrp(Irp);
}

/* 1.7: after IoSkipCurrentIrpStackLocation the lower driver receives the
   same slot, with the completion routine the caller's caller put there. */
static PIO_STACK_LOCATION SkipSeenSlot;
static NTSTATUS RecordSlot(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    SkipSeenSlot = IoGetCurrentIrpStackLocation(Irp);
    assert_ptr_equal(SkipSeenSlot->CompletionRoutine, OriginatorCompletion);
    assert_ptr_equal(SkipSeenSlot->DeviceObject, DeviceObject);
    return IoTestCompleteSuccess(DeviceObject, Irp);
}

static void TestSkipGivesLowerTheSameSlot(void **State)
{
    PDEVICE_OBJECT Lower = IoTestCreateDevice(Driver, NULL, RecordSlot);
    PDEVICE_OBJECT Upper = IoTestCreateDevice(Driver, NULL, IoTestSkipDown);
    PIRP Irp;
    (void)State;
    IoTestAttach(Upper, Lower);
    Irp = IoAllocateIrp(Upper->StackSize, FALSE);
    IoGetNextIrpStackLocation(Irp)->MajorFunction = IRP_MJ_WRITE;
    IoSetCompletionRoutine(Irp, OriginatorCompletion, NULL, TRUE, TRUE, TRUE);
    assert_int_equal(IoCallDriver(Upper, Irp), STATUS_SUCCESS);
    assert_ptr_equal(SkipSeenSlot, Slots(Irp) + 1); /* the upper's slot, reused */
    assert_int_equal(IoTestLogCount, 1);
    assert_int_equal(IoTestLog[0].CurrentLocation, 3);
    IoFreeIrp(Irp);
}

/* 2.1: a stack deeper than the IRP: the second IoCallDriver reaches
   CurrentLocation 0 and bugchecks 0x35 with P1 = the IRP. */
static NTSTATUS CopyDown(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    IoCopyCurrentIrpStackLocationToNext(Irp);
    return IoCallDriver(IoTestExtension(DeviceObject)->Lower, Irp);
}

static NTSTATUS ForwardWithoutSlot(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    /* No slot below: IoCallDriver decrements to 0. */
    return IoCallDriver(IoTestExtension(DeviceObject)->Lower, Irp);
}

static void TestNoMoreStackLocations(void **State)
{
    PDEVICE_OBJECT Lower = IoTestCreateDevice(Driver, NULL, NULL);
    PDEVICE_OBJECT Upper = IoTestCreateDevice(Driver, NULL, ForwardWithoutSlot);
    PIRP Irp;
    (void)State;
    IoTestAttach(Upper, Lower);
    Irp = IoAllocateIrp(1, FALSE); /* Upper->StackSize is 2 */
    IoGetNextIrpStackLocation(Irp)->MajorFunction = IRP_MJ_READ;
    irpsim_assert_bugcheck(NO_MORE_IRP_STACK_LOCATIONS, IoCallDriver(Upper, Irp));
    irpsim_assert_bugcheck_parameter(0, Irp);
    assert_int_equal(Irp->CurrentLocation, 0);
    VfIrpSetState(Irp, VfIrpAllocated, NULL);
    IoFreeIrp(Irp);
}

/* 2.1: MajorFunction entries a driver leaves alone complete with
   STATUS_INVALID_DEVICE_REQUEST, and that is what IoCallDriver returns. */
static void TestUnhandledMajor(void **State)
{
    PDEVICE_OBJECT Device = IoTestCreateDevice(Driver, NULL, NULL);
    PIRP Irp = IoAllocateIrp(1, FALSE);
    (void)State;
    assert_ptr_not_equal(Driver->MajorFunction[IRP_MJ_FLUSH_BUFFERS], NULL);
    IoGetNextIrpStackLocation(Irp)->MajorFunction = IRP_MJ_FLUSH_BUFFERS;
    Irp->IoStatus.Information = 77;
    IoSetCompletionRoutine(Irp, OriginatorCompletion, NULL, TRUE, TRUE, TRUE);
    assert_int_equal(IoCallDriver(Device, Irp), STATUS_INVALID_DEVICE_REQUEST);
    assert_int_equal(Irp->IoStatus.Status, STATUS_INVALID_DEVICE_REQUEST);
    assert_int_equal(Irp->IoStatus.Information, 0);
    assert_int_equal(IoTestLogCount, 1);
    assert_int_equal(IoTestLog[0].Status, STATUS_INVALID_DEVICE_REQUEST);
    assert_int_equal(IoTestExtension(Device)->Calls, 0);
    IoFreeIrp(Irp);
}

/* 2.1: the dispatch routine's value comes back unchanged (the I/O manager
   does not reconcile it with IoStatus). PoCallDriver is IoCallDriver. */
static NTSTATUS CompleteButReturnOther(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    Irp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_BUFFER_OVERFLOW;
}

static void TestReturnValueUnchanged(void **State)
{
    PDEVICE_OBJECT Device = IoTestCreateDevice(Driver, NULL, CompleteButReturnOther);
    PIRP Irp = IoAllocateIrp(1, FALSE);
    (void)State;
    /* The driver breaks the 4.1 rule on purpose (Verifier 0xC9/0x224, a
       verifier test of its own): this test is about the I/O manager. */
    IrpSimVerifierSetRules(IRPSIM_VERIFIER_ALL & ~IRPSIM_VERIFIER_PENDING);
    IoGetNextIrpStackLocation(Irp)->MajorFunction = IRP_MJ_READ;
    IoSetCompletionRoutine(Irp, OriginatorCompletion, NULL, TRUE, TRUE, TRUE);
    assert_int_equal(PoCallDriver(Device, Irp), STATUS_BUFFER_OVERFLOW);
    assert_int_equal(Irp->IoStatus.Status, STATUS_SUCCESS);
    IoFreeIrp(Irp);
}

/* 4.4 / Verifier 0xC9/0x23D: STATUS_PENDING without IoMarkIrpPending. */
static PIRP HeldIrp;
static NTSTATUS PendWithoutMark(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    HeldIrp = Irp;
    return STATUS_PENDING;
}

static void TestPendingWithoutMark(void **State)
{
    PDEVICE_OBJECT Device = IoTestCreateDevice(Driver, NULL, PendWithoutMark);
    PIRP Irp = IoAllocateIrp(1, FALSE);
    (void)State;
    /* A non-fatal report: made a bug check here to catch it. */
    IrpSimVerifierSetNonFatalAction(IrpSimVerifierStop);
    IoGetNextIrpStackLocation(Irp)->MajorFunction = IRP_MJ_READ;
    IoSetCompletionRoutine(Irp, OriginatorCompletion, NULL, TRUE, TRUE, TRUE);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IoCallDriver(Device, Irp));
    irpsim_assert_bugcheck_parameter(0, 0x23D);
    irpsim_assert_bugcheck_parameter(2, Irp);
    irpsim_assert_bugcheck_parameter(3, Device);
    /* The driver still holds it: finish it as the driver would. */
    HeldIrp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(HeldIrp, IO_NO_INCREMENT);
    IoFreeIrp(Irp);
}

/* 4.4 / Verifier 0xC9/0x23E: marked pending, returned something else. */
static NTSTATUS MarkButReturnSuccess(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    IoMarkIrpPending(Irp);
    Irp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static void TestMarkedButNotPending(void **State)
{
    PDEVICE_OBJECT Device = IoTestCreateDevice(Driver, NULL, MarkButReturnSuccess);
    PIRP Irp = IoAllocateIrp(1, FALSE);
    (void)State;
    /* A non-fatal report: made a bug check here to catch it. */
    IrpSimVerifierSetNonFatalAction(IrpSimVerifierStop);
    IoGetNextIrpStackLocation(Irp)->MajorFunction = IRP_MJ_READ;
    IoSetCompletionRoutine(Irp, OriginatorCompletion, NULL, TRUE, TRUE, TRUE);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IoCallDriver(Device, Irp));
    irpsim_assert_bugcheck_parameter(0, 0x23E);
    /* The originator's routine saw the pending bit. */
    assert_int_equal(IoTestLog[0].PendingReturned, TRUE);
    IoFreeIrp(Irp);
}

/* 4.1 rule 2: passing the IRP down and returning what IoCallDriver returned
   (STATUS_PENDING) without marking is legal; so is marking, pending and
   returning STATUS_PENDING. */
static NTSTATUS MarkAndPend(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    IoMarkIrpPending(Irp);
    HeldIrp = Irp;
    return STATUS_PENDING;
}

static void TestForwardingPendingIsLegal(void **State)
{
    PDEVICE_OBJECT Lower = IoTestCreateDevice(Driver, NULL, MarkAndPend);
    PDEVICE_OBJECT Middle = IoTestCreateDevice(Driver, NULL, CopyDown);
    PDEVICE_OBJECT Upper = IoTestCreateDevice(Driver, NULL, IoTestSkipDown);
    PIRP Irp;
    (void)State;
    IoTestAttach(Middle, Lower);
    IoTestAttach(Upper, Middle);
    Irp = IoAllocateIrp(Upper->StackSize, FALSE);
    IoGetNextIrpStackLocation(Irp)->MajorFunction = IRP_MJ_READ;
    IoSetCompletionRoutine(Irp, OriginatorCompletion, NULL, TRUE, TRUE, TRUE);
    assert_int_equal(IoCallDriver(Upper, Irp), STATUS_PENDING);
    HeldIrp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(HeldIrp, IO_NO_INCREMENT);
    /* Pending propagated automatically to the top (3.3). */
    assert_int_equal(IoTestLogCount, 1);
    assert_int_equal(IoTestLog[0].PendingReturned, TRUE);
    IoFreeIrp(Irp);
}

/* 2.2: NULL device (0xC9/0x204) and a cancel routine still set (0x203). */
static VOID NTAPI NeverCalledCancel(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    fail_msg("cancel routine called");
}

static void TestCallDriverChecks(void **State)
{
    PDEVICE_OBJECT Device = IoTestCreateDevice(Driver, NULL, NULL);
    PIRP Irp = IoAllocateIrp(1, FALSE);
    (void)State;
    IoGetNextIrpStackLocation(Irp)->MajorFunction = IRP_MJ_READ;
    irpsim_assert_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IoCallDriver(NULL, Irp));
    irpsim_assert_bugcheck_parameter(0, 0x204);
    irpsim_assert_bugcheck_parameter(2, Irp);
    IoSetCancelRoutine(Irp, NeverCalledCancel);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IoCallDriver(Device, Irp));
    irpsim_assert_bugcheck_parameter(0, 0x203);
    irpsim_assert_bugcheck_parameter(3, Device);
    IoSetCancelRoutine(Irp, NULL);
    assert_int_equal(Irp->CurrentLocation, 2); /* nothing moved */
    IoFreeIrp(Irp);
}

/* 2.2: a dispatch routine returning at another IRQL is 0xC9/0x05. */
static NTSTATUS ReturnRaised(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    KIRQL Old;
    IoTestCompleteSuccess(DeviceObject, Irp);
    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    return STATUS_SUCCESS;
}

static void TestIrqlChangedAcrossDispatch(void **State)
{
    PDEVICE_OBJECT Device = IoTestCreateDevice(Driver, NULL, ReturnRaised);
    PIRP Irp = IoAllocateIrp(1, FALSE);
    (void)State;
    IoGetNextIrpStackLocation(Irp)->MajorFunction = IRP_MJ_READ;
    IoSetCompletionRoutine(Irp, OriginatorCompletion, NULL, TRUE, TRUE, TRUE);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IoCallDriver(Device, Irp));
    irpsim_assert_bugcheck_parameter(0, 0x05);
    irpsim_assert_bugcheck_parameter(1, Device);
    irpsim_assert_bugcheck_parameter(2, PASSIVE_LEVEL);
    irpsim_assert_bugcheck_parameter(3, DISPATCH_LEVEL);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    IoFreeIrp(Irp);
}

/* ---- the verifier's bookkeeping while another thread completes ---- */

typedef struct _PENDED_REQUEST {
    PIO_WORKITEM Item;
    PIRP Irp;
} PENDED_REQUEST;

static VOID NTAPI CompleteOnWorker(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
    PENDED_REQUEST *Request = (PENDED_REQUEST *)Context;
    PIRP Irp = Request->Irp;
    (void)DeviceObject;
    IoFreeWorkItem(Request->Item); /* legal inside its own routine */
    ExFreePoolWithTag(Request, 'dneP');
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->IoStatus.Information = 7;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
}

static BOOLEAN MarkByHand;

/* The lowest driver marks the IRP pending (IoMarkIrpPending, or with
   MarkByHand by setting SL_PENDING_RETURNED itself, which is the same to
   Windows), hands it to a worker thread that completes it, and returns
   STATUS_PENDING. */
static NTSTATUS PendToWorker(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PENDED_REQUEST *Request = (PENDED_REQUEST *)ExAllocatePoolWithTag(NonPagedPool, sizeof(*Request), 'dneP');
    assert_non_null(Request);
    Request->Item = IoAllocateWorkItem(DeviceObject);
    assert_non_null(Request->Item);
    Request->Irp = Irp;
    if (MarkByHand)
        IoGetCurrentIrpStackLocation(Irp)->Control |= SL_PENDING_RETURNED;
    else
        IoMarkIrpPending(Irp);
    IoQueueWorkItem(Request->Item, CompleteOnWorker, DelayedWorkQueue, Request);
    return STATUS_PENDING;
}

/* The documented filter: forward, and propagate the pending bit. */
static NTSTATUS PropagatePending(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    (void)DeviceObject;
    (void)Context;
    if (Irp->PendingReturned)
        IoMarkIrpPending(Irp);
    return STATUS_CONTINUE_COMPLETION;
}

static NTSTATUS ForwardWithRoutine(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    IoCopyCurrentIrpStackLocationToNext(Irp);
    IoSetCompletionRoutine(Irp, PropagatePending, NULL, TRUE, TRUE, TRUE);
    return IoCallDriver(IoTestExtension(DeviceObject)->Lower, Irp);
}

static NTSTATUS SignalOriginator(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    (void)DeviceObject;
    (void)Irp;
    KeSetEvent((PKEVENT)Context, IO_NO_INCREMENT, FALSE);
    return STATUS_MORE_PROCESSING_REQUIRED;
}

/* 4.1 / 4.4 with the verifier on, across threads: a filter that forwards
   and propagates the pending bit, over a driver that marks the IRP
   pending, returns STATUS_PENDING and completes it on a worker thread.
   Both dispatch routines keep the rules, so no report is made, while the
   worker completes the IRP as the checks on each dispatch routine's return
   read its record (an IRP from IoAllocateIrp with no thread is recorded by
   whichever thread holds it, without the IRP's lock) - and, for the
   driver that set the bit by hand, its stack location. Each request is
   completed once, with the worker's status, PendingReturned set for the
   originator, its routine's STATUS_MORE_PROCESSING_REQUIRED recorded. */
static void TestPendedAcrossThreadsIsClean(void **State)
{
    PDEVICE_OBJECT Bottom = IoTestCreateDevice(Driver, NULL, PendToWorker);
    PDEVICE_OBJECT Filter = IoTestCreateDevice(Driver, NULL, ForwardWithRoutine);
    KEVENT Done;
    (void)State;
    assert_non_null(IoTestAttach(Filter, Bottom));
    KeInitializeEvent(&Done, SynchronizationEvent, FALSE);
    IrpSimVerifierClearReports();
    for (int i = 0; i < 400; i++) {
        PIRP Irp = IoAllocateIrp(Filter->StackSize, FALSE);
        VF_IRP_ENTRY Entry;
        MarkByHand = (i % 2) != 0;
        assert_non_null(Irp);
        IoGetNextIrpStackLocation(Irp)->MajorFunction = IRP_MJ_READ;
        IoSetCompletionRoutine(Irp, SignalOriginator, &Done, TRUE, TRUE, TRUE);
        assert_int_equal(IoCallDriver(Filter, Irp), STATUS_PENDING);
        assert_int_equal(KeWaitForSingleObject(&Done, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
        assert_int_equal(Irp->IoStatus.Status, STATUS_SUCCESS);
        assert_int_equal(Irp->IoStatus.Information, 7);
        assert_true(Irp->PendingReturned);
        assert_true(VfIrpQuery(Irp, &Entry));
        assert_int_equal(Entry.State, VfIrpStopped);
        assert_int_equal(Entry.SendCount, 2);
        assert_int_equal(Entry.CompletionCount, 1);
        IoFreeIrp(Irp);
    }
    assert_int_equal(IrpSimVerifierReportCount(), 0);
}

/* Every IoCallDriver is a trace event naming the device and location, and
   the dispatch return is another. */
static void TestCallDriverIsTraced(void **State)
{
    PDEVICE_OBJECT Device = IoTestCreateDevice(Driver, NULL, NULL);
    PIRP Irp = IoAllocateIrp(1, FALSE);
    IRPSIM_TRACE_EVENT Event;
    ULONG Index = 0;
    (void)State;
    IoGetNextIrpStackLocation(Irp)->MajorFunction = IRP_MJ_DEVICE_CONTROL;
    IoGetNextIrpStackLocation(Irp)->MinorFunction = 3;
    IoSetCompletionRoutine(Irp, OriginatorCompletion, NULL, TRUE, TRUE, TRUE);
    (void)IoCallDriver(Device, Irp);
    assert_true(IrpSimTraceFind(&Index, IrpSimTraceIrpCallDriver, Irp, &Event));
    assert_ptr_equal(Event.Argument[0], Device);
    assert_int_equal(Event.Argument[1], 1);
    assert_int_equal(Event.Argument[2], (IRP_MJ_DEVICE_CONTROL << 8) | 3);
    assert_true(IrpSimTraceFind(&Index, IrpSimTraceIrpCompleteBegin, Irp, &Event));
    assert_true(IrpSimTraceFind(&Index, IrpSimTraceIrpCompletionRoutine, Irp, &Event));
    assert_int_equal(Event.Argument[1], STATUS_MORE_PROCESSING_REQUIRED);
    assert_true(IrpSimTraceFind(&Index, IrpSimTraceIrpDispatchReturned, Irp, &Event));
    assert_int_equal(Event.Argument[1], STATUS_SUCCESS);
    IoFreeIrp(Irp);
    assert_true(IrpSimTraceFind(&Index, IrpSimTraceIrpFreed, Irp, NULL));
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(TestWorkedExample, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestObservedStackSizeOne, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestSkipGivesLowerTheSameSlot, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestNoMoreStackLocations, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestUnhandledMajor, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestReturnValueUnchanged, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestPendingWithoutMark, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestMarkedButNotPending, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestForwardingPendingIsLegal, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestPendedAcrossThreadsIsClean, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestCallDriverChecks, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestIrqlChangedAcrossDispatch, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestCallDriverIsTraced, SetupTraced, TeardownTraced),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
