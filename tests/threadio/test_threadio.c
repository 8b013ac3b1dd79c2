/*
 * Threaded IRPs and thread exit (SEMANTICS.md 5.5, 3.5 step 7, 3.9, 8.4):
 *   - a thread that ends with threaded IRPs (IoBuildDeviceIoControlRequest,
 *     IoBuildSynchronousFsdRequest) still outstanding has them cancelled,
 *     and its exit waits until they have completed (their completion APC
 *     runs in the exiting thread);
 *   - an IRP that never completes is disassociated after the retry limit
 *     (the thread ends), and its late completion frees it without
 *     reporting to anyone;
 *   - an IoBuildAsynchronousFsdRequest IRP is not the thread's: thread exit
 *     neither cancels nor waits for it;
 *   - a threaded IRP may not be freed by its creator, not even from its
 *     completion routine (seed 003: "an IRP that the I/O manager put on a
 *     thread's IRP list must not be freed in the completion routine"):
 *     0xC9/0x20C.
 * The virtual clock with auto-advance makes the exit's 100 ms polls free.
 */
#include "iobuild_test.h"

/* IoCancelThreadIo's defaults (cancel.c): 100 ms polls, 3000 of them. */
#define DEFAULT_POLL_INTERVAL 1000000LL
#define DEFAULT_RETRIES 3000

static PDRIVER_OBJECT Lower;

static int Setup(void **State)
{
    (void)State;
    IrpSimTraceEnable(IRPSIM_TRACE_MEMORY, NULL);
    if (IoBuildStart(TRUE, IrpSimClockVirtual, TRUE) != 0)
        return -1;
    Lower = LowerLoad();
    return Lower != NULL ? 0 : -1;
}

static int Teardown(void **State)
{
    int Result;
    (void)State;
    IopSetThreadIoCancelLimits(DEFAULT_POLL_INTERVAL, DEFAULT_RETRIES);
    Result = IoBuildStop();
    IrpSimTraceEnable(0, NULL);
    return Result;
}

typedef enum _REQUEST_KIND {
    RequestIoctl,
    RequestSynchronousRead,
    RequestAsynchronousRead,
} REQUEST_KIND;

/* One request a system thread sends and then abandons by ending. The event
   and the IOSB live here, not on the thread's stack: they must outlive the
   thread (an event or IOSB on an unwound stack is its own bug, 0xC9/0x0D /
   0x0C). */
typedef struct _REQUEST {
    PDEVICE_OBJECT Device;
    REQUEST_KIND Kind;
    KEVENT Event;
    IO_STATUS_BLOCK Iosb;
    UCHAR Buffer[32];
    PIRP Irp;
    PETHREAD Thread;
    NTSTATUS CallStatus;
    BOOLEAN OnListAfterCall;
    /* IoBuildAsynchronousFsdRequest: what its completion routine saw. */
    ULONG Completions;
    NTSTATUS CompletedStatus;
} REQUEST;

static NTSTATUS AsynchronousReadDone(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    REQUEST *Request = (REQUEST *)Context;
    Request->Completions++;
    Request->CompletedStatus = Irp->IoStatus.Status;
    if (Irp->Flags & IRP_DEALLOCATE_BUFFER)
        ExFreePool(Irp->AssociatedIrp.SystemBuffer);
    IoFreeIrp(Irp);
    return STATUS_MORE_PROCESSING_REQUIRED;
}

static VOID NTAPI Requester(PVOID Context)
{
    REQUEST *Request = (REQUEST *)Context;
    PIRP Irp = NULL;

    Request->Thread = PsGetCurrentThread();
    switch (Request->Kind) {
    case RequestIoctl:
        Irp = IoBuildDeviceIoControlRequest(IOCTL_TEST_BUFFERED, Request->Device, NULL, 0, Request->Buffer,
                                            sizeof(Request->Buffer), FALSE, &Request->Event, &Request->Iosb);
        break;
    case RequestSynchronousRead:
        Irp = IoBuildSynchronousFsdRequest(IRP_MJ_READ, Request->Device, Request->Buffer, sizeof(Request->Buffer),
                                           NULL, &Request->Event, &Request->Iosb);
        break;
    case RequestAsynchronousRead:
        Irp = IoBuildAsynchronousFsdRequest(IRP_MJ_READ, Request->Device, Request->Buffer, sizeof(Request->Buffer),
                                            NULL, &Request->Iosb);
        if (Irp != NULL)
            IoSetCompletionRoutine(Irp, AsynchronousReadDone, Request, TRUE, TRUE, TRUE);
        break;
    }
    Request->Irp = Irp;
    if (Irp == NULL)
        return;
    Request->CallStatus = IoCallDriver(Request->Device, Irp);
    /* The lower device holds it: still linked to us if it is threaded. */
    Request->OnListAfterCall = IopThreadHasIrps(PsGetCurrentThread());
    /* Ends without waiting. */
}

/* Starts the requester; returns its referenced thread object. */
static PVOID StartRequester(REQUEST *Request, PDEVICE_OBJECT Device, REQUEST_KIND Kind)
{
    HANDLE Handle;
    PVOID Thread = NULL;
    RtlZeroMemory(Request, sizeof(*Request));
    Request->Device = Device;
    Request->Kind = Kind;
    Request->Iosb.Status = IOSB_UNTOUCHED;
    KeInitializeEvent(&Request->Event, NotificationEvent, FALSE);
    assert_int_equal(PsCreateSystemThread(&Handle, THREAD_ALL_ACCESS, NULL, NULL, NULL, Requester, Request),
                     STATUS_SUCCESS);
    assert_int_equal(ObReferenceObjectByHandle(Handle, SYNCHRONIZE, *PsThreadType, KernelMode, &Thread, NULL),
                     STATUS_SUCCESS);
    assert_int_equal(ZwClose(Handle), STATUS_SUCCESS);
    return Thread;
}

static VOID WaitForThread(PVOID Thread)
{
    assert_int_equal(KeWaitForSingleObject(Thread, Executive, KernelMode, FALSE, NULL), STATUS_WAIT_0);
}

static BOOLEAN ThreadEnded(PVOID Thread)
{
    LARGE_INTEGER Zero;
    Zero.QuadPart = 0;
    return KeWaitForSingleObject(Thread, Executive, KernelMode, FALSE, &Zero) == STATUS_WAIT_0;
}

static PDEVICE_OBJECT HoldingDevice(LOWER_ON_CANCEL OnCancel)
{
    LOWER_CONFIG Config;
    LowerDefaultConfig(&Config);
    Config.Action = LowerPendCancelable;
    Config.OnCancel = OnCancel;
    return LowerCreateDevice(Lower, DO_BUFFERED_IO, &Config);
}

/* 5.5: the exiting thread cancels its threaded IRPs (IoCancelIrp: the
   driver's cancel routine runs) and its exit completes only after their
   completion APC has run in it: the IOSB and the event are written (the
   request was pended, so even STATUS_CANCELLED is reported), the IRP is
   off the list and freed. */
static void TestExitCancelsThreadedIrps(void **State)
{
    static const REQUEST_KIND Kinds[] = {RequestIoctl, RequestSynchronousRead};
    static const IRPSIM_TRACE_KIND Life[] = {IrpSimTraceIrpCancelRequested, IrpSimTraceIrpCancelRoutineRun,
                                             IrpSimTraceIrpCompleteBegin, IrpSimTraceIrpCompleted,
                                             IrpSimTraceIrpFreed};
    (void)State;
    if (!IoBuildVirtualClock())
        skip();
    for (ULONG i = 0; i < RTL_NUMBER_OF(Kinds); i++) {
        PDEVICE_OBJECT Device = HoldingDevice(LowerCancelCompleteNow);
        REQUEST Request;
        IRPSIM_TRACE_EVENT Completed;
        PVOID Thread = StartRequester(&Request, Device, Kinds[i]);

        WaitForThread(Thread);
        assert_int_equal(Request.CallStatus, STATUS_PENDING);
        assert_true(Request.OnListAfterCall);
        assert_int_equal(LowerExtension(Device)->CancelRoutineRuns, 1);
        assert_int_equal(LowerExtension(Device)->Completions, 1);
        assert_int_equal(Request.Iosb.Status, STATUS_CANCELLED);
        assert_int_equal(KeReadStateEvent(&Request.Event), 1);
        assert_true(IrpSimTraceIrpHasSequence(Request.Irp, Life, RTL_NUMBER_OF(Life)));
        assert_true(IrpSimTraceIrpFindEvent(Request.Irp, IrpSimTraceIrpCompleted, 0, &Completed));
        assert_ptr_equal(Completed.Thread, Request.Thread);
        assert_nothing_outstanding();
        ObDereferenceObject(Thread);
    }
}

/* 5.5: the exit waits (polling) as long as the IRP is not completed, even
   when the driver does not complete it when cancelled; it ends once the
   driver completes it. */
static void TestExitWaitsForTheIrp(void **State)
{
    PDEVICE_OBJECT Device = HoldingDevice(LowerCancelIgnore);
    REQUEST Request;
    PVOID Thread;
    (void)State;
    if (!IoBuildVirtualClock())
        skip();

    Thread = StartRequester(&Request, Device, RequestIoctl);
    assert_int_equal(KeWaitForSingleObject(&LowerExtension(Device)->CancelRoutineRan, Executive, KernelMode, FALSE,
                                           NULL),
                     STATUS_SUCCESS);
    /* Cancelled, still held by the driver: the thread cannot have ended. */
    assert_false(ThreadEnded(Thread));
    assert_int_equal(Request.Iosb.Status, IOSB_UNTOUCHED);

    assert_true(LowerCompleteHeld(Device, STATUS_CANCELLED));
    WaitForThread(Thread);
    assert_int_equal(Request.Iosb.Status, STATUS_CANCELLED);
    assert_int_equal(KeReadStateEvent(&Request.Event), 1);
    assert_nothing_outstanding();
    ObDereferenceObject(Thread);
}

/* 5.5: an IRP still not completed after the retry limit is disassociated:
   taken off the thread's list, Thread cleared, an IO_DRIVER_CANCEL_TIMEOUT
   entry written, and the thread ends. Its late completion (Cancel and no
   thread, 3.5 step 7) frees it, its buffer and MDLs without writing the
   IOSB or signalling the event: nobody is left to tell. */
static void TestExitDisassociatesStuckIrp(void **State)
{
    PDEVICE_OBJECT Device = HoldingDevice(LowerCancelIgnore);
    REQUEST Request;
    VF_IRP_ENTRY Entry;
    ULONG Index = 0;
    IRPSIM_TRACE_EVENT Note;
    PVOID Thread;
    (void)State;
    if (!IoBuildVirtualClock())
        skip();

    IopSetThreadIoCancelLimits(10000 /* 1 ms */, 3);
    Thread = StartRequester(&Request, Device, RequestIoctl);
    WaitForThread(Thread);
    assert_int_equal(LowerExtension(Device)->CancelRoutineRuns, 1);
    assert_int_equal(LowerExtension(Device)->Completions, 0);
    assert_ptr_equal(LowerExtension(Device)->Held, Request.Irp);
    assert_true(Request.Irp->Cancel);
    assert_null(Request.Irp->Tail.Overlay.Thread);
    assert_true(IsListEmpty(&Request.Irp->ThreadListEntry));
    assert_true(VfIrpQuery(Request.Irp, &Entry));
    assert_true(Entry.Disassociated);
    assert_true(IrpSimTraceFind(&Index, IrpSimTraceNote, Request.Irp, &Note));
    assert_non_null(strstr(Note.Text, "IO_DRIVER_CANCEL_TIMEOUT"));

    assert_true(LowerCompleteHeld(Device, STATUS_CANCELLED));
    assert_int_equal(Request.Iosb.Status, IOSB_UNTOUCHED);
    assert_int_equal(KeReadStateEvent(&Request.Event), 0);
    assert_nothing_outstanding();
    ObDereferenceObject(Thread);
}

/* 3.9, 8.4: an IoBuildAsynchronousFsdRequest IRP names its thread but is
   not on its list: thread exit neither cancels it nor waits for it. Its
   creator's completion routine frees it whenever it completes. */
static void TestExitIgnoresAsynchronousIrp(void **State)
{
    PDEVICE_OBJECT Device = HoldingDevice(LowerCancelCompleteNow);
    REQUEST Request;
    PVOID Thread;
    (void)State;
    if (!IoBuildVirtualClock())
        skip();

    Thread = StartRequester(&Request, Device, RequestAsynchronousRead);
    WaitForThread(Thread);
    assert_int_equal(Request.CallStatus, STATUS_PENDING);
    assert_false(Request.OnListAfterCall);
    assert_ptr_equal(LowerExtension(Device)->Held, Request.Irp);
    assert_false(Request.Irp->Cancel);
    assert_int_equal(LowerExtension(Device)->CancelRoutineRuns, 0);
    assert_int_equal(Request.Completions, 0);

    assert_true(LowerCompleteHeld(Device, STATUS_SUCCESS));
    assert_int_equal(Request.Completions, 1);
    assert_int_equal(Request.CompletedStatus, STATUS_SUCCESS);
    assert_nothing_outstanding();
    ObDereferenceObject(Thread);
}

static NTSTATUS FreeInCompletionRoutine(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    *(PULONG)Context += 1;
    IoFreeIrp(Irp);
    return STATUS_MORE_PROCESSING_REQUIRED;
}

/* Seed 003, 1.6.5: the completion routine of a threaded IRP must not free
   it: the IRP is still on its thread's list (the I/O manager takes it off
   in stage 2). irpsim reports 0xC9/0x20C (P2 the caller, P3 the IRP). The
   routine returning STATUS_MORE_PROCESSING_REQUIRED, as for an
   IoAllocateIrp IRP, does not make it right. */
static void TestFreeThreadedIrpInCompletionRoutine(void **State)
{
    LOWER_CONFIG Config;
    PDEVICE_OBJECT Device;
    UCHAR Output[8];
    IO_STATUS_BLOCK Iosb;
    KEVENT Event;
    ULONG Calls = 0;
    PIRP Irp;
    (void)State;

    LowerDefaultConfig(&Config);
    Device = LowerCreateDevice(Lower, DO_BUFFERED_IO, &Config);
    KeInitializeEvent(&Event, NotificationEvent, FALSE);
    Irp = IoBuildDeviceIoControlRequest(IOCTL_TEST_BUFFERED, Device, NULL, 0, Output, sizeof(Output), FALSE, &Event,
                                        &Iosb);
    assert_non_null(Irp);
    IoSetCompletionRoutine(Irp, FreeInCompletionRoutine, &Calls, TRUE, TRUE, TRUE);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, (void)IoCallDriver(Device, Irp));
    irpsim_assert_bugcheck_parameter(0, 0x20C);
    irpsim_assert_bugcheck_parameter(2, Irp);
    assert_int_equal(Calls, 1);

    /* The IRP is intact (the report came before the free), its walk
       stopped in the routine: hand it back so the I/O manager frees it. */
    assert_true(IoBuildOnThreadList(Irp, PsGetCurrentThread()));
    assert_int_equal(Irp->CurrentLocation, Irp->StackCount + 1);
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    assert_int_equal(Iosb.Status, STATUS_SUCCESS);
    assert_false(IopThreadHasIrps(PsGetCurrentThread()));
    assert_nothing_outstanding();
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(TestExitCancelsThreadedIrps, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestExitWaitsForTheIrp, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestExitDisassociatesStuckIrp, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestExitIgnoresAsynchronousIrp, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestFreeThreadedIrpInCompletionRoutine, Setup, Teardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
