/*
 * irpsim — the system StartIo queue: IoStartPacket, IoStartNextPacket,
 * IoStartNextPacketByKey and IoSetStartIoAttributes (SEMANTICS.md 7.3-7.6).
 *
 * The queue is DeviceObject->DeviceQueue (a KDEVICE_QUEUE); an IRP waits in
 * it through Irp->Tail.Overlay.DeviceQueueEntry. Busy means "StartIo has a
 * packet": an IRP handed to an idle device does not wait but becomes
 * DeviceObject->CurrentIrp and goes straight to StartIo.
 *
 * StartIo runs at DISPATCH_LEVEL, as documented, also when a cancel function
 * is given (ReactOS releases the cancel spin lock back to the caller's IRQL
 * there; Appendix B item 7).
 *
 * Deferred StartIo. The per-device bookkeeping lives in DEVOBJ_EXTENSION:
 * StartIoFlags holds the attributes and a recorded "start the next packet"
 * request, StartIoCount how many StartIo calls are running, StartIoKey the
 * key of a recorded ByKey request. IoStartNextPacket inside StartIo only
 * records the request; the outermost StartIo call starts the next packet
 * in a loop once it returns, so StartIo is never re-entered. The request
 * is handed over without a lock: the requester publishes it and then looks
 * at the count; the StartIo side drops the count and then takes the
 * request. Whoever takes it (an atomic fetch-and-clear) starts the packet,
 * so it is neither lost nor started twice.
 */
#include "iop.h"
#include "../trace/tracep.h"

/* DEVOBJ_EXTENSION.StartIoFlags (private to this file). */
#define IOP_SIO_DEFERRED        0x01 /* attribute: DeferredStartIo */
#define IOP_SIO_NO_CANCEL       0x02 /* attribute: NonCancelable */
#define IOP_SIO_NEXT_PENDING    0x10 /* a deferred IoStartNextPacket* is waiting */
#define IOP_SIO_NEXT_BY_KEY     0x20 /* ... it was the ByKey variant (key in StartIoKey) */
#define IOP_SIO_NEXT_CANCELABLE 0x40 /* ... with Cancelable = TRUE */
#define IOP_SIO_NEXT_MASK       (IOP_SIO_NEXT_PENDING | IOP_SIO_NEXT_BY_KEY | IOP_SIO_NEXT_CANCELABLE)

/* 0xC4 parameter 1 for the DDI compliance rule IrqlDispatch. */
#define IOP_DDI_RULE_IRQL_DISPATCH 0x20003

static ULONG IopStartIoFlags(PDEVICE_OBJECT DeviceObject)
{
    PDEVOBJ_EXTENSION Extension = DeviceObject->DeviceObjectExtension;
    return Extension != NULL ? PAL_ATOMIC_LOAD(&Extension->StartIoFlags, PAL_ORDER_SEQ_CST) : 0;
}

/* A StartIo-queue routine on a device whose driver has no StartIo. Windows
   calls DriverStartIo at DISPATCH_LEVEL without looking: a call through a
   NULL pointer at raised IRQL, bug check 0xD1 (execute access at 0). */
static VOID IopCheckStartIoRoutine(PDEVICE_OBJECT DeviceObject, PIRP Irp, PCSTR Routine)
{
    static IRPSIM_THREAD_LOCAL CHAR Rule[320];
    if (DeviceObject->DriverObject != NULL && DeviceObject->DriverObject->DriverStartIo != NULL)
        return;
    snprintf(Rule, sizeof(Rule),
             "%s was called for a device whose driver has no StartIo routine (DriverObject->DriverStartIo is "
             "NULL). The I/O manager calls DriverStartIo at DISPATCH_LEVEL to start each packet.",
             Routine);
    VfBugCheck(DRIVER_IRQL_NOT_LESS_OR_EQUAL, 0, DISPATCH_LEVEL, 8, 0, Irp, Rule,
               "Set DriverObject->DriverStartIo in DriverEntry before any IRP can reach IoStartPacket, or keep "
               "your own queue (IO_CSQ) instead of the system StartIo queue.");
}

/* IoStartNextPacket* is documented for DISPATCH_LEVEL only (DDI rule
   IrqlDispatch, a Driver Verifier DDI compliance check). */
static VOID IopCheckDispatchLevel(PCSTR Routine)
{
    static IRPSIM_THREAD_LOCAL CHAR Rule[240];
    KIRQL Irql = KeGetCurrentIrql();
    if (Irql == DISPATCH_LEVEL || !IopVerifierEnabled())
        return;
    snprintf(Rule, sizeof(Rule),
             "%s was called at IRQL %u. Its callers must run at DISPATCH_LEVEL (DDI rule IrqlDispatch).", Routine,
             (unsigned)Irql);
    VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, IOP_DDI_RULE_IRQL_DISPATCH, (ULONG_PTR) "IrqlDispatch", Irql, 0,
               NULL, Rule,
               "Call it from StartIo, a DpcForIsr or a CustomDpc (all at DISPATCH_LEVEL), or bracket the call with "
               "KeRaiseIrql(DISPATCH_LEVEL) / KeLowerIrql.");
}

/* Tells the verifier's IRP table that a packet waits in the device queue
   (or is back in the driver's hands). Only an IRP a driver holds is moved.
   A packet that a cancel routine takes out with KeRemoveEntryDeviceQueue
   goes from Queued straight to its completion. */
static VOID IopStartIoSetQueued(PIRP Irp, PDEVICE_OBJECT DeviceObject, BOOLEAN Queued)
{
    VF_IRP_ENTRY Entry;
    if (!VfIrpQuery(Irp, &Entry))
        return;
    if (Queued && Entry.State == VfIrpInDriver)
        VfIrpSetState(Irp, VfIrpQueued, DeviceObject);
    else if (!Queued && Entry.State == VfIrpQueued)
        VfIrpSetState(Irp, VfIrpInDriver, DeviceObject);
}

/* Calls the driver's StartIo, charged to the device's driver. */
static VOID IopInvokeStartIo(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PKTHREAD Thread = KiGetCurrentThread();
    PDRIVER_OBJECT Driver = DeviceObject->DriverObject;
    PDRIVER_OBJECT Saved;

    TRACE_EVENT(IrpSimTraceStartIo, Irp, DeviceObject, 0, 0);
    Saved = KiEnterDriver(Thread, Driver);
    Driver->DriverStartIo(DeviceObject, Irp);
    KiLeaveDriver(Thread, Saved);
}

/*
 * The dequeue half of IoStartNextPacket*: the next packet becomes
 * CurrentIrp (NULL and an idle device when the queue is empty). With
 * Cancelable the cancel spin lock covers the dequeue and CurrentIrp, so a
 * cancel routine sees a consistent pair.
 */
static PIRP IopDequeueNextPacket(PDEVICE_OBJECT DeviceObject, BOOLEAN Cancelable, BOOLEAN ByKey, ULONG Key)
{
    PKDEVICE_QUEUE_ENTRY Entry;
    PIRP Irp = NULL;
    KIRQL CancelIrql = DISPATCH_LEVEL;

    if (Cancelable)
        IoAcquireCancelSpinLock(&CancelIrql);
    DeviceObject->CurrentIrp = NULL;
    Entry = ByKey ? KeRemoveByKeyDeviceQueue(&DeviceObject->DeviceQueue, Key)
                  : KeRemoveDeviceQueue(&DeviceObject->DeviceQueue);
    if (Entry != NULL) {
        Irp = CONTAINING_RECORD(Entry, IRP, Tail.Overlay.DeviceQueueEntry);
        IopStartIoSetQueued(Irp, DeviceObject, FALSE);
        DeviceObject->CurrentIrp = Irp;
        if (Cancelable && (IopStartIoFlags(DeviceObject) & IOP_SIO_NO_CANCEL) != 0)
            IoSetCancelRoutine(Irp, NULL);
    }
    if (Cancelable)
        IoReleaseCancelSpinLock(CancelIrql);
    return Irp;
}

/*
 * Hands Irp (now CurrentIrp) to StartIo. With DeferredStartIo this is the
 * outermost StartIo call: it keeps starting packets that StartIo asked for
 * until no request is left, instead of recursing.
 */
static VOID IopCallStartIo(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PDEVOBJ_EXTENSION Extension = DeviceObject->DeviceObjectExtension;
    ULONG Request;

    if ((IopStartIoFlags(DeviceObject) & IOP_SIO_DEFERRED) == 0) {
        IopInvokeStartIo(DeviceObject, Irp);
        return;
    }
    for (;;) {
        PAL_ATOMIC_ADD_FETCH(&Extension->StartIoCount, 1, PAL_ORDER_SEQ_CST);
        IopInvokeStartIo(DeviceObject, Irp);
        if (PAL_ATOMIC_SUB_FETCH(&Extension->StartIoCount, 1, PAL_ORDER_SEQ_CST) != 0)
            return;
        Request = PAL_ATOMIC_FETCH_AND(&Extension->StartIoFlags, ~(ULONG)IOP_SIO_NEXT_MASK, PAL_ORDER_SEQ_CST);
        if ((Request & IOP_SIO_NEXT_PENDING) == 0)
            return;
        Irp = IopDequeueNextPacket(DeviceObject, (BOOLEAN)((Request & IOP_SIO_NEXT_CANCELABLE) != 0),
                                   (BOOLEAN)((Request & IOP_SIO_NEXT_BY_KEY) != 0),
                                   (ULONG)PAL_ATOMIC_LOAD(&Extension->StartIoKey, PAL_ORDER_SEQ_CST));
        if (Irp == NULL)
            return;
    }
}

/* Calls a driver's cancel routine the way IoCancelIrp would: cancel spin
   lock held, CancelIrql set, CancelRoutine already cleared; and, as there,
   the routine must have released the lock when it returns. */
static VOID IopInvokeCancelFunction(PDEVICE_OBJECT DeviceObject, PIRP Irp, PDRIVER_CANCEL CancelFunction)
{
    PKTHREAD Thread = KiGetCurrentThread();
    PDRIVER_OBJECT Saved;

    TRACE_EVENT(IrpSimTraceIrpCancelRoutineRun, Irp, CancelFunction, DeviceObject, 0);
    Saved = KiEnterDriver(Thread, DeviceObject->DriverObject);
    CancelFunction(DeviceObject, Irp);
    KiLeaveDriver(Thread, Saved);
    /* The IRP may be completed and gone: only the thread is looked at. */
    if (KiThreadHoldsSpinLock(Thread, &IopCancelSpinLock))
        VfBugCheck(DRIVER_RETURNED_HOLDING_CANCEL_LOCK, (ULONG_PTR)Irp, (ULONG_PTR)CancelFunction, 0, 0, Irp, NULL,
                   NULL);
}

VOID NTAPI IoStartPacket(PDEVICE_OBJECT DeviceObject, PIRP Irp, PULONG Key, PDRIVER_CANCEL CancelFunction)
{
    KIRQL OldIrql;
    KIRQL CancelIrql = DISPATCH_LEVEL;
    BOOLEAN Queued;

    IopCheckStartIoRoutine(DeviceObject, Irp, "IoStartPacket");
    IopCheckIrpNotFreed(Irp, "IoStartPacket", IOP_PAGE_FAULT_IN_FREED_SPECIAL_POOL, (ULONG_PTR)Irp, 1,
                        (ULONG_PTR)PAL_RETURN_ADDRESS(), 0);

    KeRaiseIrql(DISPATCH_LEVEL, &OldIrql);
    if (CancelFunction != NULL) {
        IoAcquireCancelSpinLock(&CancelIrql);
        IoSetCancelRoutine(Irp, CancelFunction);
    }

    /* Marked before the insert: once queued, another processor may take
       it out (and mark it back) at any time. */
    IopStartIoSetQueued(Irp, DeviceObject, TRUE);
    if (Key != NULL)
        Queued = KeInsertByKeyDeviceQueue(&DeviceObject->DeviceQueue, &Irp->Tail.Overlay.DeviceQueueEntry, *Key);
    else
        Queued = KeInsertDeviceQueue(&DeviceObject->DeviceQueue, &Irp->Tail.Overlay.DeviceQueueEntry);

    if (!Queued) {
        /* The device was idle (and is busy now): start the packet. */
        IopStartIoSetQueued(Irp, DeviceObject, FALSE);
        DeviceObject->CurrentIrp = Irp;
        if (CancelFunction != NULL) {
            if ((IopStartIoFlags(DeviceObject) & IOP_SIO_NO_CANCEL) != 0)
                IoSetCancelRoutine(Irp, NULL);
            IoReleaseCancelSpinLock(CancelIrql); /* stays at DISPATCH_LEVEL */
        }
        IopCallStartIo(DeviceObject, Irp);
    } else if (CancelFunction != NULL) {
        /* Holding the cancel spin lock since the routine was set, so
           IoCancelIrp cannot have taken it: Cancel means it ran before and
           found no routine. The cancel function must take the IRP out of the
           queue (KeRemoveEntryDeviceQueue) and release the lock. */
        if (Irp->Cancel) {
            Irp->CancelIrql = CancelIrql;
            IoSetCancelRoutine(Irp, NULL);
            IopInvokeCancelFunction(DeviceObject, Irp, CancelFunction);
        } else {
            IoReleaseCancelSpinLock(CancelIrql);
        }
    }

    KeLowerIrql(OldIrql);
}

static VOID IopStartNextPacket(PDEVICE_OBJECT DeviceObject, BOOLEAN Cancelable, BOOLEAN ByKey, ULONG Key, PCSTR Routine)
{
    PDEVOBJ_EXTENSION Extension = DeviceObject->DeviceObjectExtension;
    ULONG Request;
    PIRP Irp;

    IopCheckStartIoRoutine(DeviceObject, NULL, Routine);
    IopCheckDispatchLevel(Routine);

    if ((IopStartIoFlags(DeviceObject) & IOP_SIO_DEFERRED) != 0) {
        /* Publish the request, then look whether a StartIo call is running;
           if one is, it takes the request when it returns. */
        Request = IOP_SIO_NEXT_PENDING | (ByKey ? IOP_SIO_NEXT_BY_KEY : 0) | (Cancelable ? IOP_SIO_NEXT_CANCELABLE : 0);
        if (ByKey)
            PAL_ATOMIC_STORE(&Extension->StartIoKey, (LONG)Key, PAL_ORDER_SEQ_CST);
        PAL_ATOMIC_FETCH_OR(&Extension->StartIoFlags, Request, PAL_ORDER_SEQ_CST);
        if (PAL_ATOMIC_LOAD(&Extension->StartIoCount, PAL_ORDER_SEQ_CST) != 0)
            return;
        Request = PAL_ATOMIC_FETCH_AND(&Extension->StartIoFlags, ~(ULONG)IOP_SIO_NEXT_MASK, PAL_ORDER_SEQ_CST);
        if ((Request & IOP_SIO_NEXT_PENDING) == 0)
            return; /* a returning StartIo call took it */
        Cancelable = (BOOLEAN)((Request & IOP_SIO_NEXT_CANCELABLE) != 0);
        ByKey = (BOOLEAN)((Request & IOP_SIO_NEXT_BY_KEY) != 0);
        Key = (ULONG)PAL_ATOMIC_LOAD(&Extension->StartIoKey, PAL_ORDER_SEQ_CST);
    }

    Irp = IopDequeueNextPacket(DeviceObject, Cancelable, ByKey, Key);
    if (Irp != NULL)
        IopCallStartIo(DeviceObject, Irp);
}

VOID NTAPI IoStartNextPacket(PDEVICE_OBJECT DeviceObject, BOOLEAN Cancelable)
{
    IopStartNextPacket(DeviceObject, Cancelable, FALSE, 0, "IoStartNextPacket");
}

VOID NTAPI IoStartNextPacketByKey(PDEVICE_OBJECT DeviceObject, BOOLEAN Cancelable, ULONG Key)
{
    IopStartNextPacket(DeviceObject, Cancelable, TRUE, Key, "IoStartNextPacketByKey");
}

/* Turns on the attributes given as TRUE; FALSE leaves an attribute as it
   was (ReactOS does the same; drivers call it once, in AddDevice or
   DriverEntry, before the first packet). */
VOID NTAPI IoSetStartIoAttributes(PDEVICE_OBJECT DeviceObject, BOOLEAN DeferredStartIo, BOOLEAN NonCancelable)
{
    PDEVOBJ_EXTENSION Extension = DeviceObject->DeviceObjectExtension;

    if (Extension == NULL)
        VfBugCheck(IRPSIM_INVALID_USE, (ULONG_PTR) "device object without DEVOBJ_EXTENSION", 0, 0, 0, NULL,
                   "IoSetStartIoAttributes was called on a device object that IoCreateDevice did not make (it has "
                   "no DeviceObjectExtension to keep the StartIo attributes in).",
                   "Create device objects with IoCreateDevice.");
    if (DeferredStartIo)
        PAL_ATOMIC_FETCH_OR(&Extension->StartIoFlags, (ULONG)IOP_SIO_DEFERRED, PAL_ORDER_SEQ_CST);
    if (NonCancelable)
        PAL_ATOMIC_FETCH_OR(&Extension->StartIoFlags, (ULONG)IOP_SIO_NO_CANCEL, PAL_ORDER_SEQ_CST);
}
