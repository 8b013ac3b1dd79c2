/*
 * irpsim — remove locks (IO_REMOVE_LOCK): IoInitializeRemoveLockEx,
 * IoAcquireRemoveLockEx, IoReleaseRemoveLockEx, IoReleaseRemoveLockAndWaitEx.
 *
 * The lock is a count with a bias of one (the lock itself) and a Removed
 * flag. Acquire adds one and fails with STATUS_DELETE_PENDING once
 * IoReleaseRemoveLockAndWait has started; release takes one away and sets
 * the remove event when the count reaches zero; release-and-wait marks the
 * lock removed, drops the caller's acquisition and the bias, and waits until
 * every other acquisition is released.
 *
 * Tag tracking. On Windows the Dbg block is used only by checked builds:
 * every acquisition is recorded with its tag, file and line, and misuse
 * asserts. irpsim tracks when the verifier is on at IoInitializeRemoveLock
 * time (and the caller's RemlockSize includes the Dbg block, which it does
 * with irpsim's headers). A tracked lock reports, as a failed assertion
 * (IRPSIM_ASSERTION_FAILED, what the checked build's ASSERT is):
 *   - releasing a tag that is not held (never acquired, released twice, or
 *     acquired with a different tag);
 *   - more releases than acquisitions, or IoReleaseRemoveLockAndWait by a
 *     caller that does not hold the lock;
 *   - more than HighWatermark acquisitions outstanding (when it is not 0);
 *   - an acquisition held longer than MaxLockedMinutes (when it is not 0),
 *     found when the lock is next acquired, or when IoReleaseRemoveLockAndWait
 *     has waited that long for it (with the virtual clock this turns a
 *     remove that would hang forever into a report).
 * IoReleaseRemoveLockAndWait while acquisitions other than the caller's are
 * still held is legal (waiting for them is its job), so it is reported
 * without stopping: a debug print and a trace note list the tags it waits
 * for and where they were acquired.
 *
 * Tracking records come from nonpaged pool with the lock's AllocateTag
 * (irpsim's "IoRm" when it is 0), charged to the acquiring driver: an
 * acquisition never released shows in the leak report under that tag.
 */
#include "iop.h"
#include "../trace/tracep.h"

#include <stdio.h>

#define IOP_REMLOCK_TRACKED 0x6b4c6d52   /* Dbg.Signature: "RmLk", tags tracked */
#define IOP_REMLOCK_UNTRACKED 0x754c6d52 /* "RmLu", no tracking */
#define IOP_REMLOCK_DEFAULT_TAG 'mRoI'   /* "IoRm" */
#define IOP_REMLOCK_TICKS_PER_MINUTE (60LL * 10000000LL)
/* Tags listed in one report. */
#define IOP_REMLOCK_LIST_MAX 8

typedef struct _IOP_REMLOCK_RECORD {
    LIST_ENTRY Link;
    PVOID Tag;
    PCSTR File;
    ULONG Line;
    ULONGLONG Acquired; /* interrupt time */
} IOP_REMLOCK_RECORD, *PIOP_REMLOCK_RECORD;

typedef struct _IOP_REMLOCK_HELD {
    ULONG Count; /* all records */
    ULONG Listed;
    struct {
        PVOID Tag;
        PCSTR File;
        ULONG Line;
        ULONGLONG Acquired;
    } Entry[IOP_REMLOCK_LIST_MAX];
} IOP_REMLOCK_HELD;

static BOOLEAN IopRemoveLockHasDbg(ULONG RemlockSize)
{
    return RemlockSize == sizeof(IO_REMOVE_LOCK);
}

static BOOLEAN IopRemoveLockTracked(PIO_REMOVE_LOCK Lock, ULONG RemlockSize)
{
    return IopRemoveLockHasDbg(RemlockSize) && Lock->Dbg.Signature == IOP_REMLOCK_TRACKED;
}

static ULONG IopRemoveLockPoolTag(PIO_REMOVE_LOCK Lock)
{
    return Lock->Dbg.AllocateTag != 0 ? (ULONG)Lock->Dbg.AllocateTag : IOP_REMLOCK_DEFAULT_TAG;
}

DECLSPEC_NORETURN static VOID IopRemoveLockAssert(PCSTR Expression, PCSTR Rule, PCSTR Hint)
{
    /* What the checked build's ASSERT in the I/O manager does: stop here. */
    DbgPrint("*** Assertion failed: %s\n***   irpsim: %s\n", Expression, Rule);
    VfBugCheck(IRPSIM_ASSERTION_FAILED, (ULONG_PTR)Expression, (ULONG_PTR)__FILE__, __LINE__, (ULONG_PTR)Rule,
               NULL, Rule, Hint);
}

/* Copies the lock's records (at most IOP_REMLOCK_LIST_MAX) for a report. */
static VOID IopRemoveLockCollect(PIO_REMOVE_LOCK Lock, IOP_REMLOCK_HELD *Held)
{
    KIRQL OldIrql;
    memset(Held, 0, sizeof(*Held));
    KeAcquireSpinLock(&Lock->Dbg.Spin, &OldIrql);
    for (PLIST_ENTRY Link = Lock->Dbg.LockList.Flink; Link != &Lock->Dbg.LockList; Link = Link->Flink) {
        PIOP_REMLOCK_RECORD Record = CONTAINING_RECORD(Link, IOP_REMLOCK_RECORD, Link);
        if (Held->Listed < IOP_REMLOCK_LIST_MAX) {
            Held->Entry[Held->Listed].Tag = Record->Tag;
            Held->Entry[Held->Listed].File = Record->File;
            Held->Entry[Held->Listed].Line = Record->Line;
            Held->Entry[Held->Listed].Acquired = Record->Acquired;
            Held->Listed++;
        }
        Held->Count++;
    }
    KeReleaseSpinLock(&Lock->Dbg.Spin, OldIrql);
}

/* "tag 0x1234 (acquired at driver.c:42), ..." */
static VOID IopRemoveLockFormatHeld(const IOP_REMLOCK_HELD *Held, PCHAR Buffer, SIZE_T Size)
{
    SIZE_T Used = 0;
    Buffer[0] = 0;
    for (ULONG i = 0; i < Held->Listed && Used < Size; i++) {
        int Written = snprintf(Buffer + Used, Size - Used, "%stag %p (acquired at %s:%lu)", i != 0 ? ", " : "",
                               Held->Entry[i].Tag, Held->Entry[i].File != NULL ? Held->Entry[i].File : "?",
                               (unsigned long)Held->Entry[i].Line);
        if (Written < 0)
            return;
        Used += (SIZE_T)Written;
    }
    if (Held->Count > Held->Listed && Used < Size)
        (void)snprintf(Buffer + Used, Size - Used, " and %lu more", (unsigned long)(Held->Count - Held->Listed));
}

/* Removes the record of one acquisition with Tag. FALSE if there is none
   (nor an untracked acquisition left by a failed record allocation). */
static BOOLEAN IopRemoveLockForget(PIO_REMOVE_LOCK Lock, PVOID Tag)
{
    PIOP_REMLOCK_RECORD Found = NULL;
    BOOLEAN Untracked = FALSE;
    KIRQL OldIrql;

    KeAcquireSpinLock(&Lock->Dbg.Spin, &OldIrql);
    for (PLIST_ENTRY Link = Lock->Dbg.LockList.Flink; Link != &Lock->Dbg.LockList; Link = Link->Flink) {
        PIOP_REMLOCK_RECORD Record = CONTAINING_RECORD(Link, IOP_REMLOCK_RECORD, Link);
        if (Record->Tag == Tag) {
            RemoveEntryList(&Record->Link);
            Found = Record;
            break;
        }
    }
    if (Found == NULL && Lock->Dbg.LowMemoryCount > 0) {
        /* The tag may belong to an acquisition we could not record. */
        Lock->Dbg.LowMemoryCount--;
        Untracked = TRUE;
    }
    KeReleaseSpinLock(&Lock->Dbg.Spin, OldIrql);
    if (Found != NULL)
        ExFreePoolWithTag(Found, IopRemoveLockPoolTag(Lock));
    return Found != NULL || Untracked;
}

DECLSPEC_NORETURN static VOID IopRemoveLockReportUnknownTag(PIO_REMOVE_LOCK Lock, PVOID Tag, PCSTR Routine)
{
    static IRPSIM_THREAD_LOCAL CHAR Rule[900];
    CHAR HeldText[600];
    IOP_REMLOCK_HELD Held;
    IopRemoveLockCollect(Lock, &Held);
    IopRemoveLockFormatHeld(&Held, HeldText, sizeof(HeldText));
    snprintf(Rule, sizeof(Rule),
             "%s(%p, Tag %p): this tag does not hold the remove lock. It was never acquired with "
             "IoAcquireRemoveLock, was already released, or was acquired with a different tag. Held now: %s.",
             Routine, (PVOID)Lock, Tag, Held.Count != 0 ? HeldText : "nothing");
    IopRemoveLockAssert("the released tag holds the remove lock", Rule,
                        "Release exactly once for each successful IoAcquireRemoveLock, with the same Tag (usually "
                        "the IRP), and never after IoAcquireRemoveLock failed.");
}

VOID NTAPI IoInitializeRemoveLockEx(PIO_REMOVE_LOCK Lock, ULONG AllocateTag, ULONG MaxLockedMinutes,
                                    ULONG HighWatermark, ULONG RemlockSize)
{
    static IRPSIM_THREAD_LOCAL CHAR Rule[300];
    VfCheckIrql("IoInitializeRemoveLock", PASSIVE_LEVEL);
    if (RemlockSize != sizeof(IO_REMOVE_LOCK) && RemlockSize != sizeof(IO_REMOVE_LOCK_COMMON_BLOCK)) {
        snprintf(Rule, sizeof(Rule),
                 "IoInitializeRemoveLockEx was given RemlockSize %lu; it accepts only sizeof(IO_REMOVE_LOCK) "
                 "(%lu, with the debug block) or the size of the common block (%lu).",
                 (unsigned long)RemlockSize, (unsigned long)sizeof(IO_REMOVE_LOCK),
                 (unsigned long)sizeof(IO_REMOVE_LOCK_COMMON_BLOCK));
        IopRemoveLockAssert("RemlockSize is a remove lock's size", Rule,
                            "Use the IoInitializeRemoveLock macro, which passes sizeof(IO_REMOVE_LOCK).");
    }
    Lock->Common.Removed = FALSE;
    Lock->Common.IoCount = 1; /* the bias: the lock itself */
    KeInitializeEvent(&Lock->Common.RemoveEvent, NotificationEvent, FALSE);
    if (!IopRemoveLockHasDbg(RemlockSize))
        return;
    memset(&Lock->Dbg, 0, sizeof(Lock->Dbg));
    Lock->Dbg.Signature = IopVerifierEnabled() ? IOP_REMLOCK_TRACKED : IOP_REMLOCK_UNTRACKED;
    Lock->Dbg.HighWatermark = HighWatermark;
    Lock->Dbg.MaxLockedTicks = (LONGLONG)MaxLockedMinutes * IOP_REMLOCK_TICKS_PER_MINUTE;
    Lock->Dbg.AllocateTag = (LONG)AllocateTag;
    InitializeListHead(&Lock->Dbg.LockList);
    KeInitializeSpinLock(&Lock->Dbg.Spin);
}

/* Tracked locks: an acquisition held longer than MaxLockedMinutes. */
static VOID IopRemoveLockCheckAge(PIO_REMOVE_LOCK Lock)
{
    static IRPSIM_THREAD_LOCAL CHAR Rule[500];
    ULONGLONG Now = KeQueryInterruptTime();
    IOP_REMLOCK_HELD Held;
    if (Lock->Dbg.MaxLockedTicks <= 0)
        return;
    IopRemoveLockCollect(Lock, &Held);
    for (ULONG i = 0; i < Held.Listed; i++) {
        if (Now - Held.Entry[i].Acquired <= (ULONGLONG)Lock->Dbg.MaxLockedTicks)
            continue;
        snprintf(Rule, sizeof(Rule),
                 "Remove lock %p: tag %p, acquired at %s:%lu, has been held for more than the %lld minute(s) "
                 "given to IoInitializeRemoveLock as MaxLockedMinutes.",
                 (PVOID)Lock, Held.Entry[i].Tag, Held.Entry[i].File != NULL ? Held.Entry[i].File : "?",
                 (unsigned long)Held.Entry[i].Line, (long long)(Lock->Dbg.MaxLockedTicks / IOP_REMLOCK_TICKS_PER_MINUTE));
        IopRemoveLockAssert("no acquisition is held longer than MaxLockedMinutes", Rule,
                            "Release the lock when the I/O it protects finishes (in the completion routine for "
                            "IRPs passed down); a path that forgets the release makes the device's removal hang.");
    }
}

NTSTATUS NTAPI IoAcquireRemoveLockEx(PIO_REMOVE_LOCK RemoveLock, PVOID Tag, PCSTR File, ULONG Line,
                                     ULONG RemlockSize)
{
    PIO_REMOVE_LOCK Lock = RemoveLock;
    BOOLEAN Tracked = IopRemoveLockTracked(Lock, RemlockSize);
    PIOP_REMLOCK_RECORD Record;
    LONG Count;
    KIRQL OldIrql;

    VfCheckIrql("IoAcquireRemoveLock", DISPATCH_LEVEL);
    if (IopRemoveLockHasDbg(RemlockSize) && Lock->Dbg.Signature != IOP_REMLOCK_TRACKED &&
        Lock->Dbg.Signature != IOP_REMLOCK_UNTRACKED && IopVerifierEnabled()) {
        static IRPSIM_THREAD_LOCAL CHAR Rule[240];
        snprintf(Rule, sizeof(Rule),
                 "IoAcquireRemoveLock was called (from %s:%lu) on remove lock %p, which IoInitializeRemoveLock "
                 "never initialised.",
                 File != NULL ? File : "?", (unsigned long)Line, (PVOID)Lock);
        IopRemoveLockAssert("the remove lock is initialised", Rule,
                            "Call IoInitializeRemoveLock in AddDevice (or DriverEntry), before any IRP can arrive.");
    }
    if (Tracked)
        IopRemoveLockCheckAge(Lock);

    Count = InterlockedIncrement(&Lock->Common.IoCount);
    if (PAL_ATOMIC_LOAD(&Lock->Common.Removed, PAL_ORDER_SEQ_CST)) {
        /* Release-and-wait has started: undo, and wake it if we were last. */
        if (InterlockedDecrement(&Lock->Common.IoCount) == 0)
            KeSetEvent(&Lock->Common.RemoveEvent, IO_NO_INCREMENT, FALSE);
        return STATUS_DELETE_PENDING;
    }
    if (!Tracked)
        return STATUS_SUCCESS;

    if (Lock->Dbg.HighWatermark != 0 && (ULONG)(Count - 1) > Lock->Dbg.HighWatermark) {
        static IRPSIM_THREAD_LOCAL CHAR Rule[300];
        (void)InterlockedDecrement(&Lock->Common.IoCount);
        snprintf(Rule, sizeof(Rule),
                 "IoAcquireRemoveLock (from %s:%lu) would hold remove lock %p %ld times at once, more than the "
                 "HighWatermark %lu given to IoInitializeRemoveLock.",
                 File != NULL ? File : "?", (unsigned long)Line, (PVOID)Lock, (long)(Count - 1),
                 (unsigned long)Lock->Dbg.HighWatermark);
        IopRemoveLockAssert("outstanding acquisitions <= HighWatermark", Rule,
                            "Look for acquisitions that are never released, or raise HighWatermark (0 = no limit).");
    }
    Record = (PIOP_REMLOCK_RECORD)ExAllocatePoolWithTag(NonPagedPool, sizeof(*Record), IopRemoveLockPoolTag(Lock));
    KeAcquireSpinLock(&Lock->Dbg.Spin, &OldIrql);
    if (Record == NULL) {
        /* As the checked build does: count it, and let the matching
           release through without a record. */
        Lock->Dbg.LowMemoryCount++;
    } else {
        Record->Tag = Tag;
        Record->File = File;
        Record->Line = Line;
        Record->Acquired = KeQueryInterruptTime();
        InsertTailList(&Lock->Dbg.LockList, &Record->Link);
    }
    KeReleaseSpinLock(&Lock->Dbg.Spin, OldIrql);
    return STATUS_SUCCESS;
}

VOID NTAPI IoReleaseRemoveLockEx(PIO_REMOVE_LOCK RemoveLock, PVOID Tag, ULONG RemlockSize)
{
    PIO_REMOVE_LOCK Lock = RemoveLock;
    BOOLEAN Tracked = IopRemoveLockTracked(Lock, RemlockSize);
    LONG Count;

    VfCheckIrql("IoReleaseRemoveLock", DISPATCH_LEVEL);
    if (Tracked && !IopRemoveLockForget(Lock, Tag))
        IopRemoveLockReportUnknownTag(Lock, Tag, "IoReleaseRemoveLock");
    Count = InterlockedDecrement(&Lock->Common.IoCount);
    if (Count < 0 || (Count == 0 && !PAL_ATOMIC_LOAD(&Lock->Common.Removed, PAL_ORDER_SEQ_CST))) {
        /* The bias is gone: more releases than acquisitions. */
        if (Tracked) {
            static IRPSIM_THREAD_LOCAL CHAR Rule[300];
            (void)InterlockedIncrement(&Lock->Common.IoCount);
            snprintf(Rule, sizeof(Rule),
                     "IoReleaseRemoveLock(%p, Tag %p) released remove lock %p more often than it was acquired.",
                     (PVOID)Lock, Tag, (PVOID)Lock);
            IopRemoveLockAssert("releases do not outnumber acquisitions", Rule,
                                "Release once per successful IoAcquireRemoveLock.");
        }
    }
    if (Count == 0)
        KeSetEvent(&Lock->Common.RemoveEvent, IO_NO_INCREMENT, FALSE);
}

VOID NTAPI IoReleaseRemoveLockAndWaitEx(PIO_REMOVE_LOCK RemoveLock, PVOID Tag, ULONG RemlockSize)
{
    PIO_REMOVE_LOCK Lock = RemoveLock;
    BOOLEAN Tracked = IopRemoveLockTracked(Lock, RemlockSize);
    LARGE_INTEGER Timeout;
    LONG Count;

    VfCheckIrql("IoReleaseRemoveLockAndWait", PASSIVE_LEVEL);
    if (Tracked && !IopRemoveLockForget(Lock, Tag))
        IopRemoveLockReportUnknownTag(Lock, Tag, "IoReleaseRemoveLockAndWait");

    /* From here on acquisitions fail with STATUS_DELETE_PENDING. */
    PAL_ATOMIC_STORE(&Lock->Common.Removed, TRUE, PAL_ORDER_SEQ_CST);
    Count = InterlockedDecrement(&Lock->Common.IoCount); /* the caller's acquisition */
    if (Count <= 0 && Tracked) {
        static IRPSIM_THREAD_LOCAL CHAR Rule[300];
        (void)InterlockedIncrement(&Lock->Common.IoCount);
        snprintf(Rule, sizeof(Rule),
                 "IoReleaseRemoveLockAndWait(%p, Tag %p) was called by a caller that does not hold the remove "
                 "lock (the count was already at its bias: released twice, or called twice).",
                 (PVOID)Lock, Tag);
        IopRemoveLockAssert("the caller of IoReleaseRemoveLockAndWait holds the lock", Rule,
                            "Acquire the lock (IoAcquireRemoveLock) for the remove IRP first, and call "
                            "IoReleaseRemoveLockAndWait once, instead of IoReleaseRemoveLock.");
    }
    if (Tracked) {
        IOP_REMLOCK_HELD Held;
        IopRemoveLockCollect(Lock, &Held);
        if (Held.Count != 0) {
            CHAR HeldText[600];
            IopRemoveLockFormatHeld(&Held, HeldText, sizeof(HeldText));
            DbgPrint("irpsim: IoReleaseRemoveLockAndWait(%p) waits for %lu acquisition(s) still held: %s\n",
                     (PVOID)Lock, (unsigned long)Held.Count, HeldText);
            TRACE_TEXT(IrpSimTraceNote, Lock, Held.Count, 0,
                       "IoReleaseRemoveLockAndWait: waiting for acquisitions still held");
        }
    }
    if (InterlockedDecrement(&Lock->Common.IoCount) <= 0) /* the bias */
        return;

    Timeout.QuadPart = -Lock->Dbg.MaxLockedTicks;
    for (;;) {
        BOOLEAN Bounded = Tracked && Lock->Dbg.MaxLockedTicks > 0;
        NTSTATUS Status = KeWaitForSingleObject(&Lock->Common.RemoveEvent, Executive, KernelMode, FALSE,
                                                Bounded ? &Timeout : NULL);
        if (Status != STATUS_TIMEOUT)
            break;
        {
            static IRPSIM_THREAD_LOCAL CHAR Rule[900];
            CHAR HeldText[600];
            IOP_REMLOCK_HELD Held;
            IopRemoveLockCollect(Lock, &Held);
            if (Held.Count == 0)
                continue; /* released meanwhile; the event is on its way */
            IopRemoveLockFormatHeld(&Held, HeldText, sizeof(HeldText));
            snprintf(Rule, sizeof(Rule),
                     "IoReleaseRemoveLockAndWait(%p) has waited MaxLockedMinutes (%lld) for acquisitions that "
                     "are never released: %s. The device's removal would hang here forever.",
                     (PVOID)Lock, (long long)(Lock->Dbg.MaxLockedTicks / IOP_REMLOCK_TICKS_PER_MINUTE), HeldText);
            IopRemoveLockAssert("every acquisition is released before the remove completes", Rule,
                                "Release the remove lock on every path (including error paths and completion "
                                "routines), and complete queued IRPs before IoReleaseRemoveLockAndWait.");
        }
    }
}
