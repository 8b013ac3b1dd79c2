/*
 * irpsim — device queues (KDEVICE_QUEUE), SEMANTICS 7.1-7.2.
 *
 * A device queue is a Busy flag and a list, both under the queue's spin
 * lock. Busy means "the device is working on an entry", not "the list is
 * non-empty": inserting into an idle queue only marks it busy and tells the
 * caller (by returning FALSE) to start on the entry itself.
 *
 * What irpsim reports, always with an explanation:
 *   - a queue KeInitializeDeviceQueue never set up, such as one where the
 *     driver only called InitializeListHead(&Queue->DeviceListHead):
 *     0xC4/0x1002 (Verifier: uninitialised resource), P2 queue, P3 Type and
 *     P4 Size as found;
 *   - insert/remove at an IRQL other than DISPATCH_LEVEL: 0xC4/0x20003,
 *     the Verifier DDI rule IrqlDispatch, P2 the rule name, P3 the queue,
 *     P4 the IRQL (a DPC routine may call them at its own IRQL);
 *   - KeRemoveEntryDeviceQueue above DISPATCH_LEVEL: 0xC4/0x20011 (DDI rule
 *     IrqlKeDispatchLte), same parameters;
 *   - KeRemoveDeviceQueue / KeRemoveByKeyDeviceQueue on a queue that is not
 *     busy (Windows asserts this on checked builds): 0xC4/0x1007, Verifier's
 *     "released before it was acquired", P2 queue;
 *   - an entry inserted while it is still in the queue, or removed from a
 *     queue it is not in: 0x139 KERNEL_SECURITY_CHECK_FAILURE P1 = 3 (the
 *     corrupt LIST_ENTRY Windows would trip over later), P2 queue, P3 entry.
 */
#include "ki.h"
#include "../verifier/vf.h"
#include "../trace/tracep.h"

/* Stored XOR the queue's address, so a queue copied elsewhere (whose list
   head would still point at the original) counts as uninitialised too. */
#define KIP_DEVICE_QUEUE_COOKIE ((ULONG_PTR)0x4b65447651756575ULL)

#define KIP_VERIFIER_UNINITIALIZED   0x1002
#define KIP_VERIFIER_NOT_ACQUIRED    0x1007
#define KIP_DDI_IRQL_DISPATCH        0x20003
#define KIP_DDI_IRQL_KE_DISPATCH_LTE 0x20011

static const CHAR KipRuleIrqlDispatch[] = "IrqlDispatch";
static const CHAR KipRuleIrqlKeDispatchLte[] = "IrqlKeDispatchLte";

static ULONG_PTR KipDeviceQueueCookie(PKDEVICE_QUEUE DeviceQueue)
{
    return (ULONG_PTR)DeviceQueue ^ KIP_DEVICE_QUEUE_COOKIE;
}

static VOID KipCheckDeviceQueue(PKDEVICE_QUEUE DeviceQueue)
{
    if (DeviceQueue->IrpSimCookie == KipDeviceQueueCookie(DeviceQueue) && DeviceQueue->Type == DeviceQueueObject &&
        DeviceQueue->Size == (CSHORT)sizeof(KDEVICE_QUEUE))
        return;
    VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KIP_VERIFIER_UNINITIALIZED, (ULONG_PTR)DeviceQueue,
               (ULONG_PTR)(USHORT)DeviceQueue->Type, (ULONG_PTR)(USHORT)DeviceQueue->Size, NULL,
               "A device queue routine was called on a KDEVICE_QUEUE that KeInitializeDeviceQueue never "
               "initialised. Calling InitializeListHead(&Queue->DeviceListHead) is not enough: the queue's "
               "Type, Size, spin lock and Busy flag are set only by KeInitializeDeviceQueue (P3/P4 show the "
               "Type and Size found; a set-up queue has Type 20 = DeviceQueueObject). A queue copied from "
               "another place counts as uninitialised too, because its list head still points at the original.",
               "Call KeInitializeDeviceQueue(&Queue) once, in DriverEntry or AddDevice, before the queue is "
               "used, and never copy a KDEVICE_QUEUE. The device object's own DeviceObject->DeviceQueue is "
               "initialised by IoCreateDevice.");
}

/* Insert and remove require DISPATCH_LEVEL; a DPC routine (threaded or
   not) is already where the rule wants it. */
static VOID KipCheckDispatchLevel(PKDEVICE_QUEUE DeviceQueue)
{
    KIRQL Irql = KeGetCurrentIrql();
    PKTHREAD Thread;
    if (Irql == DISPATCH_LEVEL)
        return;
    Thread = KiGetCurrentThread();
    if (Thread->InDpc)
        return;
    VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KIP_DDI_IRQL_DISPATCH, (ULONG_PTR)KipRuleIrqlDispatch,
               (ULONG_PTR)DeviceQueue, Irql, NULL,
               "KeInsertDeviceQueue, KeInsertByKeyDeviceQueue, KeRemoveDeviceQueue, KeRemoveByKeyDeviceQueue and "
               "KeRemoveByKeyDeviceQueueIfBusy must be called at IRQL == DISPATCH_LEVEL (DDI rule IrqlDispatch). "
               "They take the queue's spin lock without raising IRQL, so at a lower IRQL the thread can be "
               "preempted while it holds the lock. P4 is the IRQL of the call.",
               "Raise first: KeRaiseIrql(DISPATCH_LEVEL, &OldIrql); ... KeLowerIrql(OldIrql); or call the "
               "routine from a DPC or while holding a spin lock.");
}

static VOID KipCheckNotAboveDispatch(PKDEVICE_QUEUE DeviceQueue)
{
    KIRQL Irql = KeGetCurrentIrql();
    if (Irql <= DISPATCH_LEVEL)
        return;
    VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KIP_DDI_IRQL_KE_DISPATCH_LTE, (ULONG_PTR)KipRuleIrqlKeDispatchLte,
               (ULONG_PTR)DeviceQueue, Irql, NULL,
               "KeRemoveEntryDeviceQueue must be called at IRQL <= DISPATCH_LEVEL (DDI rule IrqlKeDispatchLte). "
               "P4 is the IRQL of the call.",
               "Call it at DISPATCH_LEVEL or below; it raises to DISPATCH_LEVEL itself.");
}

DECLSPEC_NORETURN static VOID KipReportNotBusy(PKDEVICE_QUEUE DeviceQueue, PCSTR Rule)
{
    VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KIP_VERIFIER_NOT_ACQUIRED, (ULONG_PTR)DeviceQueue, 0, 0, NULL, Rule,
               "Remove entries only while the device is busy: after KeInsert(ByKey)DeviceQueue returned FALSE "
               "(you started the first entry yourself) and until a remove returned NULL (the device went "
               "idle). Use KeRemoveByKeyDeviceQueueIfBusy if the caller cannot know.");
}

DECLSPEC_NORETURN static VOID KipReportCorruptEntry(PKDEVICE_QUEUE DeviceQueue, PKDEVICE_QUEUE_ENTRY Entry, PCSTR Rule)
{
    VfBugCheck(KERNEL_SECURITY_CHECK_FAILURE, FAST_FAIL_CORRUPT_LIST_ENTRY, (ULONG_PTR)DeviceQueue, (ULONG_PTR)Entry, 0,
               NULL, Rule,
               "An IRP's Tail.Overlay.DeviceQueueEntry shares storage with Tail.Overlay.DriverContext: do not "
               "use DriverContext while the IRP is in a device queue, and insert an entry only after it was "
               "removed (or started) the previous time.");
}

static KIRQL KipLockDeviceQueue(PKDEVICE_QUEUE DeviceQueue)
{
    KIRQL OldIrql = KeGetCurrentIrql();
    if (OldIrql >= DISPATCH_LEVEL)
        KeAcquireSpinLockAtDpcLevel(&DeviceQueue->Lock);
    else
        KeAcquireSpinLock(&DeviceQueue->Lock, &OldIrql);
    return OldIrql;
}

static VOID KipUnlockDeviceQueue(PKDEVICE_QUEUE DeviceQueue, KIRQL OldIrql)
{
    if (OldIrql >= DISPATCH_LEVEL)
        KeReleaseSpinLockFromDpcLevel(&DeviceQueue->Lock);
    else
        KeReleaseSpinLock(&DeviceQueue->Lock, OldIrql);
}

/* Caller holds the queue lock. */
static BOOLEAN KipIsEntryQueued(PKDEVICE_QUEUE DeviceQueue, PKDEVICE_QUEUE_ENTRY Entry)
{
    for (PLIST_ENTRY Link = DeviceQueue->DeviceListHead.Flink; Link != &DeviceQueue->DeviceListHead;
         Link = Link->Flink) {
        if (Link == &Entry->DeviceListEntry)
            return TRUE;
    }
    return FALSE;
}

VOID NTAPI KeInitializeDeviceQueue(PKDEVICE_QUEUE DeviceQueue)
{
    DeviceQueue->Type = DeviceQueueObject;
    DeviceQueue->Size = (CSHORT)sizeof(KDEVICE_QUEUE);
    InitializeListHead(&DeviceQueue->DeviceListHead);
    KeInitializeSpinLock(&DeviceQueue->Lock);
    DeviceQueue->Busy = FALSE;
    DeviceQueue->IrpSimCookie = KipDeviceQueueCookie(DeviceQueue);
}

/* The common insert: by key when ByKey, else at the tail. */
static BOOLEAN KipInsertDeviceQueue(PKDEVICE_QUEUE DeviceQueue, PKDEVICE_QUEUE_ENTRY Entry, BOOLEAN ByKey,
                                    ULONG SortKey)
{
    BOOLEAN Inserted;
    KIRQL OldIrql;

    KipCheckDeviceQueue(DeviceQueue);
    KipCheckDispatchLevel(DeviceQueue);
    if (ByKey)
        Entry->SortKey = SortKey;

    OldIrql = KipLockDeviceQueue(DeviceQueue);
    if (Entry->Inserted && KipIsEntryQueued(DeviceQueue, Entry)) {
        KipUnlockDeviceQueue(DeviceQueue, OldIrql);
        KipReportCorruptEntry(DeviceQueue, Entry,
                              "An entry was inserted into a device queue it is already in. On Windows this links "
                              "the entry into the list twice and corrupts it; the damage is found later, when an "
                              "unrelated entry is removed.");
    }
    if (!DeviceQueue->Busy) {
        /* Idle device: the caller starts this entry now. */
        DeviceQueue->Busy = TRUE;
        Inserted = FALSE;
    } else if (!ByKey) {
        InsertTailList(&DeviceQueue->DeviceListHead, &Entry->DeviceListEntry);
        Inserted = TRUE;
    } else {
        /* After every entry whose key is <= SortKey: ascending, and equal
           keys stay in arrival order. */
        PLIST_ENTRY Next = DeviceQueue->DeviceListHead.Flink;
        while (Next != &DeviceQueue->DeviceListHead &&
               CONTAINING_RECORD(Next, KDEVICE_QUEUE_ENTRY, DeviceListEntry)->SortKey <= SortKey)
            Next = Next->Flink;
        InsertTailList(Next, &Entry->DeviceListEntry); /* i.e. just before Next */
        Inserted = TRUE;
    }
    Entry->Inserted = Inserted;
    KipUnlockDeviceQueue(DeviceQueue, OldIrql);

    TRACE_EVENT(IrpSimTraceDeviceQueueInsert, DeviceQueue, Entry, Inserted, SortKey);
    return Inserted;
}

BOOLEAN NTAPI KeInsertDeviceQueue(PKDEVICE_QUEUE DeviceQueue, PKDEVICE_QUEUE_ENTRY DeviceQueueEntry)
{
    return KipInsertDeviceQueue(DeviceQueue, DeviceQueueEntry, FALSE, 0);
}

BOOLEAN NTAPI KeInsertByKeyDeviceQueue(PKDEVICE_QUEUE DeviceQueue, PKDEVICE_QUEUE_ENTRY DeviceQueueEntry, ULONG SortKey)
{
    return KipInsertDeviceQueue(DeviceQueue, DeviceQueueEntry, TRUE, SortKey);
}

/* Caller holds the lock and the queue is busy. Takes the head (Head TRUE)
   or the first entry whose key is >= SortKey, wrapping round to the head
   when there is none. An empty queue becomes idle. */
static PKDEVICE_QUEUE_ENTRY KipRemoveLocked(PKDEVICE_QUEUE DeviceQueue, BOOLEAN Head, ULONG SortKey)
{
    PLIST_ENTRY Link;
    PKDEVICE_QUEUE_ENTRY Entry;

    if (IsListEmpty(&DeviceQueue->DeviceListHead)) {
        DeviceQueue->Busy = FALSE;
        return NULL;
    }
    Link = DeviceQueue->DeviceListHead.Flink;
    if (!Head) {
        PLIST_ENTRY Probe = Link;
        while (Probe != &DeviceQueue->DeviceListHead &&
               CONTAINING_RECORD(Probe, KDEVICE_QUEUE_ENTRY, DeviceListEntry)->SortKey < SortKey)
            Probe = Probe->Flink;
        if (Probe != &DeviceQueue->DeviceListHead)
            Link = Probe;
    }
    RemoveEntryList(Link);
    Entry = CONTAINING_RECORD(Link, KDEVICE_QUEUE_ENTRY, DeviceListEntry);
    Entry->Inserted = FALSE;
    return Entry;
}

static PKDEVICE_QUEUE_ENTRY KipRemoveDeviceQueue(PKDEVICE_QUEUE DeviceQueue, BOOLEAN Head, ULONG SortKey,
                                                 BOOLEAN OnlyIfBusy)
{
    PKDEVICE_QUEUE_ENTRY Entry;
    KIRQL OldIrql;

    KipCheckDeviceQueue(DeviceQueue);
    KipCheckDispatchLevel(DeviceQueue);

    OldIrql = KipLockDeviceQueue(DeviceQueue);
    if (!DeviceQueue->Busy) {
        KipUnlockDeviceQueue(DeviceQueue, OldIrql);
        if (OnlyIfBusy)
            return NULL;
        KipReportNotBusy(DeviceQueue,
                         Head ? "KeRemoveDeviceQueue was called on a device queue that is not busy. The queue "
                                "became idle when a previous remove returned NULL (or it was never made busy by "
                                "an insert), so there is no current entry to follow."
                              : "KeRemoveByKeyDeviceQueue was called on a device queue that is not busy. The "
                                "queue became idle when a previous remove returned NULL (or it was never made "
                                "busy by an insert), so there is no current entry to follow.");
    }
    Entry = KipRemoveLocked(DeviceQueue, Head, SortKey);
    KipUnlockDeviceQueue(DeviceQueue, OldIrql);

    TRACE_EVENT(IrpSimTraceDeviceQueueRemove, DeviceQueue, Entry, SortKey, 0);
    return Entry;
}

PKDEVICE_QUEUE_ENTRY NTAPI KeRemoveDeviceQueue(PKDEVICE_QUEUE DeviceQueue)
{
    return KipRemoveDeviceQueue(DeviceQueue, TRUE, 0, FALSE);
}

PKDEVICE_QUEUE_ENTRY NTAPI KeRemoveByKeyDeviceQueue(PKDEVICE_QUEUE DeviceQueue, ULONG SortKey)
{
    return KipRemoveDeviceQueue(DeviceQueue, FALSE, SortKey, FALSE);
}

PKDEVICE_QUEUE_ENTRY NTAPI KeRemoveByKeyDeviceQueueIfBusy(PKDEVICE_QUEUE DeviceQueue, ULONG SortKey)
{
    return KipRemoveDeviceQueue(DeviceQueue, FALSE, SortKey, TRUE);
}

BOOLEAN NTAPI KeRemoveEntryDeviceQueue(PKDEVICE_QUEUE DeviceQueue, PKDEVICE_QUEUE_ENTRY DeviceQueueEntry)
{
    BOOLEAN Removed = FALSE;
    KIRQL OldIrql;

    KipCheckDeviceQueue(DeviceQueue);
    KipCheckNotAboveDispatch(DeviceQueue);

    OldIrql = KipLockDeviceQueue(DeviceQueue);
    if (DeviceQueueEntry->Inserted) {
        if (!KipIsEntryQueued(DeviceQueue, DeviceQueueEntry)) {
            KipUnlockDeviceQueue(DeviceQueue, OldIrql);
            KipReportCorruptEntry(DeviceQueue, DeviceQueueEntry,
                                  "KeRemoveEntryDeviceQueue was given an entry marked as inserted that is not in "
                                  "this queue: it is in another device queue, or its Inserted flag was "
                                  "overwritten (for example through Irp->Tail.Overlay.DriverContext). Unlinking "
                                  "it would corrupt whatever list it is really in.");
        }
        RemoveEntryList(&DeviceQueueEntry->DeviceListEntry);
        DeviceQueueEntry->Inserted = FALSE;
        Removed = TRUE;
    }
    KipUnlockDeviceQueue(DeviceQueue, OldIrql);

    if (Removed)
        TRACE_EVENT(IrpSimTraceDeviceQueueRemove, DeviceQueue, DeviceQueueEntry, 0, 0);
    return Removed;
}
