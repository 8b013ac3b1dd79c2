/*
 * irpsim — kernel timers (SEMANTICS 9.7).
 *
 * Armed timers live in one binary min-heap keyed by (due time, order of
 * arming), so arming, cancelling and firing cost O(log n) and 100,000
 * armed timers are ordinary load. KTIMER.IrpSimHeapIndex is the timer's
 * 1-based slot; a timer counts as armed only if that slot really holds it,
 * so a stale index (memory reused, a previous IrpSimInitialize) is harmless.
 * The same heap holds each waiting thread's timeout (KTHREAD.WaitTimer).
 *
 * Due times are stored as interrupt time (100 ns since start-up). A
 * relative due time (negative) counts from now; an absolute one (positive,
 * system time) is converted when the timer is set, so later changes of the
 * host's wall clock do not move it.
 *
 * Expiry: the timer leaves the heap, becomes signalled, releases waiters
 * (all for a notification timer, one for a synchronization timer), is
 * re-armed Period ms after its due time if periodic, and queues its DPC on
 * the DPC's target processor (or the processor the timer was set on) with
 * the expiry system time's low and high halves as the system arguments.
 *
 * Choices where Windows is silent or unsure:
 *   - KeCancelTimer leaves SignalState unchanged (as ReactOS; SEMANTICS B.10).
 *   - Re-initialising a timer that is armed is reported (0xC4/0x1500):
 *     on Windows it corrupts the timer list.
 *   - A periodic timer that fell behind (the host was slow) skips the
 *     missed periods instead of firing them back to back.
 */
#include "ki.h"
#include "../verifier/vf.h"
#include "../trace/tracep.h"

#include <stdlib.h>

/* The heap is 4-ary (children of slot i: 4i + 1 .. 4i + 4): half the depth
   of a binary heap, and a slot's four children sit side by side. Each slot
   carries its timer's key (due time, order of arming) next to the pointer,
   so sifting compares without reading the timers; only a timer that moves
   has its IrpSimHeapIndex written. Dispatcher lock. Slot i (0-based) holds
   the timer whose index is i + 1. */
typedef struct _KIP_TIMER_SLOT {
    ULONGLONG Due;
    ULONGLONG Sequence;
    PKTIMER Timer;
} KIP_TIMER_SLOT;

#define KIP_HEAP_ARITY 4

static KIP_TIMER_SLOT *KipTimerHeap;
static ULONG_PTR KipTimerCount;
static ULONG_PTR KipTimerCapacity;
static ULONGLONG KipTimerSequence;

static const CHAR KipTimerRule[] =
    "A KTIMER was used that was never initialised with KeInitializeTimer or KeInitializeTimerEx (or the memory "
    "is not a KTIMER: freed, copied by value, or another kind of object).";

static inline BOOLEAN KipSlotEarlier(const KIP_TIMER_SLOT *A, const KIP_TIMER_SLOT *B)
{
    return A->Due < B->Due || (A->Due == B->Due && A->Sequence < B->Sequence);
}

static inline VOID KipHeapPlace(ULONG_PTR Slot, const KIP_TIMER_SLOT *Entry)
{
    KipTimerHeap[Slot] = *Entry;
    Entry->Timer->IrpSimHeapIndex = Slot + 1;
}

/* Moves Entry up from Slot (a hole) while it is earlier than its parent,
   never above Floor; places it. */
static VOID KipHeapSiftUp(ULONG_PTR Slot, ULONG_PTR Floor, const KIP_TIMER_SLOT *Entry)
{
    while (Slot > Floor) {
        ULONG_PTR Parent = (Slot - 1) / KIP_HEAP_ARITY;
        if (!KipSlotEarlier(Entry, &KipTimerHeap[Parent]))
            break;
        KipHeapPlace(Slot, &KipTimerHeap[Parent]);
        Slot = Parent;
    }
    KipHeapPlace(Slot, Entry);
}

/* Fills the hole at Slot with Entry, which is no earlier than Slot's
   parent. Bottom-up: the hole first sinks along the earliest children to a
   leaf (one comparison per child, none against Entry), then Entry rises from
   there — it was taken from the heap's end, so it rarely rises far. */
static VOID KipHeapSiftDown(ULONG_PTR Slot, const KIP_TIMER_SLOT *Entry)
{
    ULONG_PTR Hole = Slot;
    for (;;) {
        ULONG_PTR First = Hole * KIP_HEAP_ARITY + 1;
        ULONG_PTR Last;
        ULONG_PTR Best;
        if (First >= KipTimerCount)
            break;
        Last = First + KIP_HEAP_ARITY <= KipTimerCount ? First + KIP_HEAP_ARITY : KipTimerCount;
        Best = First;
        for (ULONG_PTR Child = First + 1; Child < Last; Child++) {
            if (KipSlotEarlier(&KipTimerHeap[Child], &KipTimerHeap[Best]))
                Best = Child;
        }
        KipHeapPlace(Hole, &KipTimerHeap[Best]);
        Hole = Best;
    }
    KipHeapSiftUp(Hole, Slot, Entry);
}

static BOOLEAN KipTimerInsertedLocked(PKTIMER Timer)
{
    ULONG_PTR Index = Timer->IrpSimHeapIndex;
    return Index != 0 && Index <= KipTimerCount && KipTimerHeap[Index - 1].Timer == Timer;
}

VOID KiInsertTimerLocked(PKTIMER Timer)
{
    KIP_TIMER_SLOT Entry;
    if (KipTimerCount == KipTimerCapacity) {
        ULONG_PTR NewCapacity = KipTimerCapacity ? KipTimerCapacity * 2 : 256;
        KIP_TIMER_SLOT *Grown = (KIP_TIMER_SLOT *)realloc(KipTimerHeap, NewCapacity * sizeof(*Grown));
        if (Grown == NULL) {
            KiReleaseDispatcherLock();
            fprintf(stderr, "irpsim: out of host memory for the timer heap\n");
            PalAbort();
        }
        KipTimerHeap = Grown;
        KipTimerCapacity = NewCapacity;
    }
    Timer->IrpSimSequence = ++KipTimerSequence;
    Entry.Due = (ULONGLONG)Timer->DueTime.QuadPart;
    Entry.Sequence = Timer->IrpSimSequence;
    Entry.Timer = Timer;
    KipHeapSiftUp(KipTimerCount++, 0, &Entry);
    if (KipTimerHeap[0].Timer == Timer)
        KiClockNotifyLocked();
}

/* Takes slot Slot's timer out of the heap. */
static VOID KipHeapRemoveSlot(ULONG_PTR Slot)
{
    KIP_TIMER_SLOT Last;
    KipTimerHeap[Slot].Timer->IrpSimHeapIndex = 0;
    Last = KipTimerHeap[--KipTimerCount];
    if (Slot == KipTimerCount)
        return;
    if (Slot > 0 && KipSlotEarlier(&Last, &KipTimerHeap[(Slot - 1) / KIP_HEAP_ARITY]))
        KipHeapSiftUp(Slot, 0, &Last);
    else
        KipHeapSiftDown(Slot, &Last);
}

BOOLEAN KiRemoveTimerLocked(PKTIMER Timer)
{
    if (!KipTimerInsertedLocked(Timer))
        return FALSE;
    KipHeapRemoveSlot(Timer->IrpSimHeapIndex - 1);
    return TRUE;
}

BOOLEAN KiNextTimerDueLocked(PULONGLONG DueTime)
{
    if (KipTimerCount == 0)
        return FALSE;
    *DueTime = KipTimerHeap[0].Due;
    return TRUE;
}

VOID KiResetTimerHeap(VOID)
{
    /* The timers themselves are not touched: their memory may be gone. A
       stale IrpSimHeapIndex no longer matches the (empty) heap. */
    KiAcquireDispatcherLock();
    VfActiveReset(VfActiveTimer);
    free(KipTimerHeap);
    KipTimerHeap = NULL;
    KipTimerCount = 0;
    KipTimerCapacity = 0;
    KiReleaseDispatcherLock();
}

ULONGLONG KiDueTimeToInterruptTime(LONGLONG DueTime)
{
    ULONGLONG Now = KiReadInterruptTime();
    ULONGLONG Delta;
    if (DueTime < 0) {
        Delta = 0ULL - (ULONGLONG)DueTime;
    } else {
        LONGLONG SystemNow = KiReadSystemTime();
        if (DueTime <= SystemNow)
            return Now; /* already past */
        Delta = (ULONGLONG)(DueTime - SystemNow);
    }
    return Delta > ~0ULL - Now ? ~0ULL : Now + Delta;
}

/* Expires one timer that has just left the heap. */
static VOID KipExpireTimerLocked(PKTIMER Timer, ULONGLONG Now)
{
    if (Timer->Header.Type == KI_WAIT_TIMER_TYPE) {
        /* A waiting thread's timeout. */
        KiUnwaitThreadLocked(CONTAINING_RECORD(Timer, KTHREAD, WaitTimer), STATUS_TIMEOUT);
        return;
    }
    TRACE_EVENT(IrpSimTraceTimerFired, Timer, Timer->Dpc, Timer->Period, 0);
    Timer->Header.SignalState = 1;
    KiWaitTestLocked(&Timer->Header);
    if (Timer->Period > 0) {
        ULONGLONG Period = (ULONGLONG)Timer->Period * 10000ULL;
        ULONGLONG Next = Timer->DueTime.QuadPart + Period;
        if (Next <= Now)
            Next = Now + Period;
        Timer->DueTime.QuadPart = Next;
        KiInsertTimerLocked(Timer);
    }
    if (Timer->Dpc != NULL) {
        LARGE_INTEGER SystemTime;
        SystemTime.QuadPart = KiReadSystemTime();
        (void)KiInsertQueueDpcLocked(Timer->Dpc, (PVOID)(ULONG_PTR)SystemTime.LowPart,
                                     (PVOID)(ULONG_PTR)(ULONG)SystemTime.HighPart, Timer->Processor);
    }
}

/* On the free-running virtual clock, a timer's DPC and a thread's wait
   timeout due at the same instant are a true tie. Windows runs a DPC on
   its processor before that processor returns to thread level, so a
   thread whose timeout falls at that instant is woken only once the DPCs
   queued so far have run: the loop stops at a wait timeout while a DPC is
   pending, and the clock steps again (to the same instant) once the
   machine is idle. The controlled scheduler explores both orders instead. */
static BOOLEAN KipDeferWaitTimeoutLocked(PKTIMER Timer)
{
    return Timer->Header.Type == KI_WAIT_TIMER_TYPE && KiClockMode() == IrpSimClockVirtual &&
           !KiSchedControlled() && KiSchedDpcPendingLocked();
}

VOID KiExpireTimersLocked(ULONGLONG Now)
{
    while (KipTimerCount != 0 && KipTimerHeap[0].Due <= Now) {
        PKTIMER Timer = KipTimerHeap[0].Timer;
        if (KipDeferWaitTimeoutLocked(Timer))
            break;
        KipHeapRemoveSlot(0);
        KipExpireTimerLocked(Timer, Now);
        /* A one-shot timer is no longer set (the verifier's index). */
        if (Timer->Header.Type != KI_WAIT_TIMER_TYPE && !KipTimerInsertedLocked(Timer))
            VfActiveRemove(Timer);
    }
}

/* ---- the Ke routines ---- */

static VOID KipCheckTimer(PKTIMER Timer)
{
    KiCheckDispatcherObject(Timer, KI_TYPE_BIT(TimerNotificationObject) | KI_TYPE_BIT(TimerSynchronizationObject),
                            KipTimerRule, NULL);
}

VOID NTAPI KeInitializeTimer(PKTIMER Timer)
{
    KeInitializeTimerEx(Timer, NotificationTimer);
}

VOID NTAPI KeInitializeTimerEx(PKTIMER Timer, TIMER_TYPE Type)
{
    if (Timer->Header.IrpSimCookie == KI_OBJECT_COOKIE(Timer) && Timer->IrpSimHeapIndex != 0) {
        BOOLEAN Armed;
        KiAcquireDispatcherLock();
        Armed = KipTimerInsertedLocked(Timer);
        KiReleaseDispatcherLock();
        if (Armed)
            VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KI_VF_TIMER_REINITIALIZED, (ULONG_PTR)Timer, 0, 0, NULL,
                       "KeInitializeTimer(Ex) was called on a timer that is still set. On Windows this corrupts the "
                       "kernel's timer list.",
                       "Call KeCancelTimer before re-initialising a timer (or just call KeSetTimer(Ex) again: it "
                       "cancels the previous setting).");
    }
    KiInitializeDispatcherHeader(&Timer->Header,
                                 Type == SynchronizationTimer ? TimerSynchronizationObject : TimerNotificationObject,
                                 (UCHAR)(sizeof(KTIMER) / sizeof(LONG)), 0);
    Timer->DueTime.QuadPart = 0;
    InitializeListHead(&Timer->TimerListEntry);
    Timer->Dpc = NULL;
    Timer->Processor = 0;
    Timer->Period = 0;
    Timer->IrpSimHeapIndex = 0;
    Timer->IrpSimSequence = 0;
}

BOOLEAN NTAPI KeSetTimer(PKTIMER Timer, LARGE_INTEGER DueTime, PKDPC Dpc)
{
    return KeSetTimerEx(Timer, DueTime, 0, Dpc);
}

BOOLEAN NTAPI KeSetTimerEx(PKTIMER Timer, LARGE_INTEGER DueTime, LONG Period, PKDPC Dpc)
{
    PKTHREAD Thread = KiGetCurrentThread();
    BOOLEAN WasSet;
    ULONGLONG Due;
    ULONGLONG Now;

    VfCheckIrql("KeSetTimerEx", DISPATCH_LEVEL);
    KipCheckTimer(Timer);
    if (Dpc != NULL && Dpc->IrpSimCookie != KI_OBJECT_COOKIE(Dpc))
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KI_VF_UNINITIALIZED, (ULONG_PTR)Dpc, Dpc->Type,
                   Dpc->IrpSimCookie, NULL,
                   "KeSetTimer(Ex) was given a KDPC that was never initialised with KeInitializeDpc.",
                   "Call KeInitializeDpc on the DPC before passing it to KeSetTimer(Ex).");
    if (!KiIsSystemRunning())
        VfBugCheck(IRPSIM_INVALID_USE, (ULONG_PTR) "KeSetTimer(Ex) called while the simulated machine is not running",
                   0, 0, 0, NULL, NULL, NULL);
    IRPSIM_SCHED_POINT(KI_SCHED_POINT_DISPATCHER, Timer);

    Due = KiDueTimeToInterruptTime(DueTime.QuadPart);
    KiAcquireDispatcherLock();
    WasSet = KiRemoveTimerLocked(Timer);
    Timer->Dpc = Dpc;
    Timer->Period = Period > 0 ? Period : 0;
    Timer->Processor = Thread->Processor;
    Timer->Header.SignalState = 0;
    Timer->DueTime.QuadPart = Due;
    Now = KiReadInterruptTime();
    if (Due <= Now)
        KipExpireTimerLocked(Timer, Now); /* due in the past: expires at once */
    else
        KiInsertTimerLocked(Timer);
    /* The verifier's index of set timers, charged to the driver that set
       it (or, from irpsim's own code, to its DPC's driver). */
    if (KipTimerInsertedLocked(Timer))
        VfActiveInsert(Timer, VfActiveTimer,
                       Thread->CurrentDriver != NULL || Dpc == NULL ? Thread->CurrentDriver
                                                                    : (PDRIVER_OBJECT)Dpc->IrpSimOwner,
                       Dpc, Dpc != NULL ? (PVOID)Dpc->DeferredRoutine : NULL);
    else
        VfActiveRemove(Timer);
    KiReleaseDispatcherLock();
    TRACE_EVENT(IrpSimTraceTimerSet, Timer, Due, Period, 0);
    return WasSet;
}

BOOLEAN NTAPI KeCancelTimer(PKTIMER Timer)
{
    BOOLEAN WasSet;
    VfCheckIrql("KeCancelTimer", DISPATCH_LEVEL);
    KipCheckTimer(Timer);
    KiAcquireDispatcherLock();
    WasSet = KiRemoveTimerLocked(Timer);
    if (WasSet)
        VfActiveRemove(Timer);
    KiReleaseDispatcherLock();
    TRACE_EVENT(IrpSimTraceTimerCancelled, Timer, WasSet, 0, 0);
    return WasSet;
}

BOOLEAN NTAPI KeReadStateTimer(PKTIMER Timer)
{
    BOOLEAN Signaled;
    KipCheckTimer(Timer);
    KiAcquireDispatcherLock();
    Signaled = Timer->Header.SignalState != 0;
    KiReleaseDispatcherLock();
    return Signaled;
}
