/*
 * irpsim — I/O work items (IO_WORKITEM), SEMANTICS 9.9.
 *
 * An I/O work item rides on an executive work item embedded in it. The
 * difference from ExQueueWorkItem is the reference: IoQueueWorkItem
 * references the device (or driver) object the item was made for and
 * drops the reference only after the routine has returned, so the device,
 * and with it the driver, stays alive while the item is queued or running.
 * The routine runs at PASSIVE_LEVEL on a system worker thread, charged to
 * the object's driver, and must return at PASSIVE_LEVEL with its critical
 * and guarded regions balanced.
 *
 * The item is no longer "queued" once a worker has taken it, so its routine
 * may queue it again or free it (IoFreeWorkItem from inside the routine is
 * legal). Nothing touches the item after the routine has been called.
 *
 * Reports (WORKER_INVALID, 0xE4): P1 = 1 queued while queued (P2 item, P3
 * queue type); 2 freed or uninitialised while queued (P2 item, P3 routine);
 * 3 not a live I/O work item, an IoObject that is neither a device nor a
 * driver object, or a free/uninitialise routine that does not match how the
 * item was made (P2 item, P3 object); 5, 6, 7 as for ExQueueWorkItem.
 */
#include "../ke/ki.h"
#include "../ex/exp_worker.h"
#include "../trace/tracep.h"
#include "../verifier/vf.h"

#include <string.h>

#define IOP_WORKITEM_COOKIE ((ULONG_PTR)0x496f576f726b4974ULL)
#define IOP_WORKITEM_TAG    'kWoI'

typedef struct _IO_WORKITEM {
    WORK_QUEUE_ITEM WorkItem; /* runs IopProcessWorkItem(this item) */
    PVOID IoObject;           /* device or driver object */
    PDRIVER_OBJECT Driver;    /* charged while the routine runs */
    PVOID Routine;            /* PIO_WORKITEM_ROUTINE or PIO_WORKITEM_ROUTINE_EX */
    PVOID Context;
    BOOLEAN RoutineEx;
    BOOLEAN Queued;        /* under IopWorkItemLock */
    BOOLEAN Allocated;     /* IoAllocateWorkItem (pool) rather than IoInitializeWorkItem */
    LIST_ENTRY QueuedLink; /* IopQueuedWorkItems while Queued */
    ULONG_PTR IrpSimCookie;
} IO_WORKITEM;

static KSPIN_LOCK IopWorkItemLock;
static LIST_ENTRY IopQueuedWorkItems;

static KIRQL IopLockWorkItems(VOID)
{
    KIRQL OldIrql = KeGetCurrentIrql();
    if (OldIrql >= DISPATCH_LEVEL)
        KeAcquireSpinLockAtDpcLevel(&IopWorkItemLock);
    else
        KeAcquireSpinLock(&IopWorkItemLock, &OldIrql);
    return OldIrql;
}

static VOID IopUnlockWorkItems(KIRQL OldIrql)
{
    if (OldIrql >= DISPATCH_LEVEL)
        KeReleaseSpinLockFromDpcLevel(&IopWorkItemLock);
    else
        KeReleaseSpinLock(&IopWorkItemLock, OldIrql);
}

VOID IopInitializeWorkItems(VOID)
{
    KeInitializeSpinLock(&IopWorkItemLock);
    InitializeListHead(&IopQueuedWorkItems);
}

static ULONG_PTR IopWorkItemCookie(PIO_WORKITEM Item)
{
    return (ULONG_PTR)Item ^ IOP_WORKITEM_COOKIE;
}

/* The driver behind a device or driver object; NULL if it is neither. */
static PDRIVER_OBJECT IopDriverOfIoObject(PVOID IoObject)
{
    if (IoObject == NULL)
        return NULL;
    switch (((PDEVICE_OBJECT)IoObject)->Type) {
    case IO_TYPE_DEVICE:
        return ((PDEVICE_OBJECT)IoObject)->DriverObject;
    case IO_TYPE_DRIVER:
        return (PDRIVER_OBJECT)IoObject;
    default:
        return NULL;
    }
}

static PDRIVER_OBJECT IopCheckIoObject(PIO_WORKITEM Item, PVOID IoObject, BOOLEAN DeviceOnly)
{
    PDRIVER_OBJECT Driver = IopDriverOfIoObject(IoObject);
    if (Driver == NULL || (DeviceOnly && ((PDEVICE_OBJECT)IoObject)->Type != IO_TYPE_DEVICE))
        VfBugCheck(WORKER_INVALID, EXP_WORKER_INVALID_BAD_OBJECT, (ULONG_PTR)Item, (ULONG_PTR)IoObject, 0, NULL,
                   DeviceOnly ? "IoAllocateWorkItem was given something that is not a device object (P3)."
                              : "IoInitializeWorkItem was given an IoObject that is neither a device object nor a "
                                "driver object (P3).",
                   "Pass the DEVICE_OBJECT the work is for (IoInitializeWorkItem also accepts the "
                   "DRIVER_OBJECT).");
    return Driver;
}

DECLSPEC_NORETURN static VOID IopReportBadWorkItem(PIO_WORKITEM Item, PCSTR Rule, PCSTR Hint)
{
    VfBugCheck(WORKER_INVALID, EXP_WORKER_INVALID_BAD_OBJECT, (ULONG_PTR)Item, 0, 0, NULL, Rule, Hint);
}

static VOID IopCheckWorkItem(PIO_WORKITEM Item)
{
    if (Item != NULL && Item->IrpSimCookie == IopWorkItemCookie(Item))
        return;
    IopReportBadWorkItem(Item,
                         "An I/O work item routine was given something that is not a live IO_WORKITEM: it was "
                         "never returned by IoAllocateWorkItem or set up by IoInitializeWorkItem, or it was "
                         "already released with IoFreeWorkItem / IoUninitializeWorkItem.",
                         "Allocate the item once (IoAllocateWorkItem, or IoSizeofWorkItem bytes of nonpaged memory "
                         "and IoInitializeWorkItem), keep it until its last routine has started, and do not use "
                         "it after freeing it.");
}

static VOID IopSetUpWorkItem(PIO_WORKITEM Item, PVOID IoObject, PDRIVER_OBJECT Driver, BOOLEAN Allocated)
{
    memset(Item, 0, sizeof(*Item));
    Item->WorkItem.WorkerRoutine = IopProcessWorkItem;
    Item->WorkItem.Parameter = Item;
    Item->WorkItem.List.Flink = NULL;
    Item->IoObject = IoObject;
    Item->Driver = Driver;
    Item->Allocated = Allocated;
    InitializeListHead(&Item->QueuedLink);
    Item->IrpSimCookie = IopWorkItemCookie(Item);
}

PIO_WORKITEM NTAPI IoAllocateWorkItem(PDEVICE_OBJECT DeviceObject)
{
    PDRIVER_OBJECT Driver = IopCheckIoObject(NULL, DeviceObject, TRUE);
    PIO_WORKITEM Item = (PIO_WORKITEM)ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(IO_WORKITEM), IOP_WORKITEM_TAG);
    if (Item == NULL)
        return NULL;
    IopSetUpWorkItem(Item, DeviceObject, Driver, TRUE);
    return Item;
}

ULONG NTAPI IoSizeofWorkItemEx(VOID)
{
    return (ULONG)sizeof(IO_WORKITEM);
}

VOID NTAPI IoInitializeWorkItem(PVOID IoObject, PIO_WORKITEM IoWorkItem)
{
    PDRIVER_OBJECT Driver = IopCheckIoObject(IoWorkItem, IoObject, FALSE);
    BOOLEAN Queued = FALSE;
    KIRQL OldIrql;

    /* A cookie that matches means this memory holds a live item: make
       sure re-initialising it does not drop it off the queue. */
    if (IoWorkItem->IrpSimCookie == IopWorkItemCookie(IoWorkItem)) {
        OldIrql = IopLockWorkItems();
        Queued = IoWorkItem->Queued;
        IopUnlockWorkItems(OldIrql);
    }
    if (Queued)
        VfBugCheck(WORKER_INVALID, EXP_WORKER_INVALID_FREED_QUEUED_IO, (ULONG_PTR)IoWorkItem,
                   (ULONG_PTR)IoWorkItem->Routine, 0, NULL,
                   "IoInitializeWorkItem was called on an I/O work item that is still queued. Re-initialising "
                   "it throws away the queued request while a worker thread is about to run it.",
                   "Initialise an item once; to reuse it, wait until its routine has started.");
    IopSetUpWorkItem(IoWorkItem, IoObject, Driver, FALSE);
}

/* Marks the item dead if it is not queued; Allocated says which release
   routine the caller used. */
static VOID IopReleaseWorkItem(PIO_WORKITEM Item, BOOLEAN Allocated)
{
    BOOLEAN Queued;
    BOOLEAN WasAllocated;
    PVOID Routine;
    KIRQL OldIrql;

    IopCheckWorkItem(Item);
    OldIrql = IopLockWorkItems();
    Queued = Item->Queued;
    WasAllocated = Item->Allocated;
    Routine = Item->Routine;
    if (!Queued && WasAllocated == Allocated)
        Item->IrpSimCookie = 0;
    IopUnlockWorkItems(OldIrql);

    if (Queued)
        VfBugCheck(WORKER_INVALID, EXP_WORKER_INVALID_FREED_QUEUED_IO, (ULONG_PTR)Item, (ULONG_PTR)Routine, 0, NULL,
                   Allocated ? "IoFreeWorkItem was called on an I/O work item that is still queued (P3 its routine). "
                               "A worker thread would later run the item from freed memory."
                             : "IoUninitializeWorkItem was called on an I/O work item that is still queued (P3 its "
                               "routine). A worker thread would later run it from memory the driver reuses.",
                   "Free the item only after its routine has started: typically from inside the routine itself "
                   "(IoQueueWorkItemEx passes the item), or after the routine has signalled an event.");
    if (WasAllocated != Allocated)
        IopReportBadWorkItem(Item,
                             Allocated ? "IoFreeWorkItem was called on an I/O work item that IoInitializeWorkItem set "
                                         "up in the driver's own memory; IoFreeWorkItem frees only items from "
                                         "IoAllocateWorkItem."
                                       : "IoUninitializeWorkItem was called on an I/O work item from "
                                         "IoAllocateWorkItem; such items are released with IoFreeWorkItem.",
                             "Pair IoAllocateWorkItem with IoFreeWorkItem, and IoInitializeWorkItem with "
                             "IoUninitializeWorkItem.");
}

VOID NTAPI IoFreeWorkItem(PIO_WORKITEM IoWorkItem)
{
    IopReleaseWorkItem(IoWorkItem, TRUE);
    ExFreePoolWithTag(IoWorkItem, IOP_WORKITEM_TAG);
}

VOID NTAPI IoUninitializeWorkItem(PIO_WORKITEM IoWorkItem)
{
    IopReleaseWorkItem(IoWorkItem, FALSE);
}

static VOID IopQueueWorkItem(PIO_WORKITEM Item, PVOID Routine, BOOLEAN RoutineEx, WORK_QUEUE_TYPE QueueType,
                             PVOID Context)
{
    BOOLEAN AlreadyQueued;
    KIRQL OldIrql;

    IopCheckWorkItem(Item);
    ExpValidateWorkItem(Item, QueueType, Routine);

    OldIrql = IopLockWorkItems();
    AlreadyQueued = Item->Queued;
    if (!AlreadyQueued) {
        Item->Queued = TRUE;
        Item->Routine = Routine;
        Item->RoutineEx = RoutineEx;
        Item->Context = Context;
        InsertTailList(&IopQueuedWorkItems, &Item->QueuedLink);
    }
    IopUnlockWorkItems(OldIrql);
    if (AlreadyQueued)
        VfBugCheck(WORKER_INVALID, EXP_WORKER_INVALID_QUEUED_TWICE, (ULONG_PTR)Item, (ULONG_PTR)QueueType, 0, NULL,
                   "An I/O work item was queued while it was still queued (its routine had not started yet). A "
                   "work item is one request: it cannot wait in the queue twice.",
                   "Queue the item again only after its routine has started (from inside the routine is fine), or "
                   "allocate one item per outstanding request.");

    /* Held until the routine has returned: the device cannot go away under it. */
    ObReferenceObject(Item->IoObject);
    TRACE_EVENT(IrpSimTraceWorkItem, Item, Routine, 0, Item->Driver);
    if (!ExpInsertWorkItem(&Item->WorkItem, Item->Driver))
        IopReportBadWorkItem(Item,
                             "An I/O work item's embedded executive item was found queued although the I/O item "
                             "was not: the IO_WORKITEM memory was overwritten.",
                             "Treat IO_WORKITEM as opaque and keep it alive, untouched, while it is queued.");
}

VOID NTAPI IoQueueWorkItem(PIO_WORKITEM IoWorkItem, PIO_WORKITEM_ROUTINE WorkerRoutine, WORK_QUEUE_TYPE QueueType,
                           PVOID Context)
{
    IopQueueWorkItem(IoWorkItem, (PVOID)WorkerRoutine, FALSE, QueueType, Context);
}

VOID NTAPI IoQueueWorkItemEx(PIO_WORKITEM IoWorkItem, PIO_WORKITEM_ROUTINE_EX WorkerRoutine, WORK_QUEUE_TYPE QueueType,
                             PVOID Context)
{
    IopQueueWorkItem(IoWorkItem, (PVOID)WorkerRoutine, TRUE, QueueType, Context);
}

VOID NTAPI IopProcessWorkItem(PVOID Parameter)
{
    PIO_WORKITEM Item = (PIO_WORKITEM)Parameter;
    PKTHREAD Thread = KeGetCurrentThread();
    PDRIVER_OBJECT Driver;
    PVOID IoObject;
    PVOID Routine;
    PVOID Context;
    BOOLEAN RoutineEx;
    PDRIVER_OBJECT Saved;
    KIRQL OldIrql;

    /* Take everything out of the item first: the routine may free it. */
    OldIrql = IopLockWorkItems();
    RemoveEntryList(&Item->QueuedLink);
    InitializeListHead(&Item->QueuedLink);
    Item->Queued = FALSE;
    IoObject = Item->IoObject;
    Routine = Item->Routine;
    Context = Item->Context;
    RoutineEx = Item->RoutineEx;
    Driver = Item->Driver;
    IopUnlockWorkItems(OldIrql);

    TRACE_EVENT(IrpSimTraceWorkItem, Item, Routine, 1, Driver);
    Saved = KiEnterDriver(Thread, Driver);
    if (RoutineEx)
        ((PIO_WORKITEM_ROUTINE_EX)Routine)(IoObject, Context, Item);
    else
        ((PIO_WORKITEM_ROUTINE)Routine)((PDEVICE_OBJECT)IoObject, Context);
    KiLeaveDriver(Thread, Saved);
    ExpCheckWorkerReturn(Routine, Context, Item);
    TRACE_EVENT(IrpSimTraceWorkItem, Item, Routine, 2, Driver);

    ObDereferenceObject(IoObject);
}

ULONG IopCountQueuedWorkItems(PDRIVER_OBJECT Driver)
{
    ULONG Count = 0;
    KIRQL OldIrql = IopLockWorkItems();
    for (PLIST_ENTRY Link = IopQueuedWorkItems.Flink; Link != &IopQueuedWorkItems; Link = Link->Flink) {
        if (Driver == NULL || CONTAINING_RECORD(Link, IO_WORKITEM, QueuedLink)->Driver == Driver)
            Count++;
    }
    IopUnlockWorkItems(OldIrql);
    /* Running ones are known to the worker threads (a worker counts an
       item as running until its reference has been dropped). */
    return Count + ExpCountRunningIoWorkItems(Driver);
}
