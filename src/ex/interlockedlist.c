/*
 * irpsim — the spin-lock protected list routines (ExInterlocked*List).
 *
 * Each routine takes the caller's spin lock around the ordinary list
 * operation. Windows documents them as callable at any IRQL (the lock is
 * taken with interrupts disabled); irpsim raises to DISPATCH_LEVEL when
 * below it and otherwise takes the lock where it stands. The lock must be
 * used only with these routines, as the documentation requires.
 *
 * Return values, as documented: the insert routines return the entry that
 * was first (head insert) or last (tail insert) before the insertion, or
 * NULL if the list was empty; the remove and pop routines return the entry
 * taken off, or NULL; push returns the previous first entry, or NULL.
 */
#include "../ke/ki.h"

static KIRQL ExpLockList(PKSPIN_LOCK Lock)
{
    KIRQL OldIrql = KeGetCurrentIrql();
    if (OldIrql >= DISPATCH_LEVEL)
        KeAcquireSpinLockAtDpcLevel(Lock);
    else
        KeAcquireSpinLock(Lock, &OldIrql);
    return OldIrql;
}

static VOID ExpUnlockList(PKSPIN_LOCK Lock, KIRQL OldIrql)
{
    if (OldIrql >= DISPATCH_LEVEL)
        KeReleaseSpinLockFromDpcLevel(Lock);
    else
        KeReleaseSpinLock(Lock, OldIrql);
}

PLIST_ENTRY NTAPI ExInterlockedInsertHeadList(PLIST_ENTRY ListHead, PLIST_ENTRY ListEntry, PKSPIN_LOCK Lock)
{
    PLIST_ENTRY First;
    KIRQL OldIrql = ExpLockList(Lock);
    First = ListHead->Flink;
    InsertHeadList(ListHead, ListEntry);
    ExpUnlockList(Lock, OldIrql);
    return First == ListHead ? NULL : First;
}

PLIST_ENTRY NTAPI ExInterlockedInsertTailList(PLIST_ENTRY ListHead, PLIST_ENTRY ListEntry, PKSPIN_LOCK Lock)
{
    PLIST_ENTRY Last;
    KIRQL OldIrql = ExpLockList(Lock);
    Last = ListHead->Blink;
    InsertTailList(ListHead, ListEntry);
    ExpUnlockList(Lock, OldIrql);
    return Last == ListHead ? NULL : Last;
}

PLIST_ENTRY NTAPI ExInterlockedRemoveHeadList(PLIST_ENTRY ListHead, PKSPIN_LOCK Lock)
{
    PLIST_ENTRY Entry = NULL;
    KIRQL OldIrql = ExpLockList(Lock);
    if (!IsListEmpty(ListHead))
        Entry = RemoveHeadList(ListHead);
    ExpUnlockList(Lock, OldIrql);
    return Entry;
}

PSINGLE_LIST_ENTRY NTAPI ExInterlockedPushEntryList(PSINGLE_LIST_ENTRY ListHead, PSINGLE_LIST_ENTRY ListEntry,
                                                    PKSPIN_LOCK Lock)
{
    PSINGLE_LIST_ENTRY First;
    KIRQL OldIrql = ExpLockList(Lock);
    First = ListHead->Next;
    PushEntryList(ListHead, ListEntry);
    ExpUnlockList(Lock, OldIrql);
    return First;
}

PSINGLE_LIST_ENTRY NTAPI ExInterlockedPopEntryList(PSINGLE_LIST_ENTRY ListHead, PKSPIN_LOCK Lock)
{
    PSINGLE_LIST_ENTRY Entry;
    KIRQL OldIrql = ExpLockList(Lock);
    Entry = PopEntryList(ListHead);
    ExpUnlockList(Lock, OldIrql);
    return Entry;
}
