/*
 * irpsim — questions tests ask about one IRP, answered from the events
 * kept in memory.
 *
 * An IRP is an identity, not an address: the recorder numbers a new IRP at
 * each IrpAllocated (ObjectNumber), so an address reused after IoFreeIrp
 * does not mix two IRPs' histories. A question about a pointer is about
 * the latest identity that pointer had among the events kept. Questions
 * about any other object (a KDPC, a KEVENT, ...) are about its address:
 * every event whose Object it is, whatever the kind.
 */
#include "traceint.h"

/* The identity's number, 0 if the IRP is not among the events kept. */
static ULONG TracepIrpIdentityLocked(PIRP Irp, const IRPSIM_TRACE_EVENT *Events, ULONG Count)
{
    for (ULONG i = Count; i-- > 0;) {
        if (Events[i].Object == (PVOID)Irp && TraceIsIrpKind(Events[i].Kind))
            return Events[i].ObjectNumber;
    }
    return 0;
}

static BOOLEAN TracepIsIdentity(const IRPSIM_TRACE_EVENT *Event, PIRP Irp, ULONG Number)
{
    return Event->Object == (PVOID)Irp && Event->ObjectNumber == Number && TraceIsIrpKind(Event->Kind);
}

/* Calls Visit for each event of the IRP's latest identity (ForIrp) or for
   each event naming Object (any kind) until it returns FALSE. Returns the
   number of events visited. */
typedef BOOLEAN (*PTRACEP_VISIT)(const IRPSIM_TRACE_EVENT *Event, PVOID Context);

static ULONG TracepWalk(PVOID Object, BOOLEAN ForIrp, PTRACEP_VISIT Visit, PVOID Context)
{
    const IRPSIM_TRACE_EVENT *Events;
    ULONG Count;
    ULONG Number = 0;
    ULONG Visited = 0;

    PalMutexLock(&TraceLock);
    Events = TraceWindowLocked(&Count);
    if (ForIrp) {
        Number = TracepIrpIdentityLocked((PIRP)Object, Events, Count);
        if (Number == 0)
            Count = 0;
    }
    for (ULONG i = 0; Object != NULL && i < Count; i++) {
        if (ForIrp ? !TracepIsIdentity(&Events[i], (PIRP)Object, Number) : Events[i].Object != Object)
            continue;
        Visited++;
        if (!Visit(&Events[i], Context))
            break;
    }
    PalMutexUnlock(&TraceLock);
    return Visited;
}

static ULONG TracepWalkIrp(PIRP Irp, PTRACEP_VISIT Visit, PVOID Context)
{
    return TracepWalk(Irp, TRUE, Visit, Context);
}

ULONG IrpSimTraceIrpNumber(PIRP Irp)
{
    const IRPSIM_TRACE_EVENT *Events;
    ULONG Count;
    ULONG Number;
    PalMutexLock(&TraceLock);
    Events = TraceWindowLocked(&Count);
    Number = TracepIrpIdentityLocked(Irp, Events, Count);
    PalMutexUnlock(&TraceLock);
    return Number;
}

typedef struct _TRACEP_COUNT {
    IRPSIM_TRACE_KIND Kind;
    ULONG Count;
} TRACEP_COUNT;

static BOOLEAN TracepCountVisit(const IRPSIM_TRACE_EVENT *Event, PVOID Context)
{
    TRACEP_COUNT *Count = (TRACEP_COUNT *)Context;
    if (Count->Kind == IrpSimTraceNone || Event->Kind == Count->Kind)
        Count->Count++;
    return TRUE;
}

static ULONG TracepCount(PVOID Object, BOOLEAN ForIrp, IRPSIM_TRACE_KIND Kind)
{
    TRACEP_COUNT Count = {Kind, 0};
    (void)TracepWalk(Object, ForIrp, TracepCountVisit, &Count);
    return Count.Count;
}

ULONG IrpSimTraceCountIrpEvents(PIRP Irp, IRPSIM_TRACE_KIND Kind)
{
    return TracepCount(Irp, TRUE, Kind);
}

ULONG IrpSimTraceCountObjectEvents(PVOID Object, IRPSIM_TRACE_KIND Kind)
{
    return TracepCount(Object, FALSE, Kind);
}

typedef struct _TRACEP_FINAL {
    BOOLEAN Completed; /* an IrpCompleted was seen: it has the last word */
    BOOLEAN Found;
    NTSTATUS Status;
} TRACEP_FINAL;

static BOOLEAN TracepFinalVisit(const IRPSIM_TRACE_EVENT *Event, PVOID Context)
{
    TRACEP_FINAL *Final = (TRACEP_FINAL *)Context;
    if (Event->Kind == IrpSimTraceIrpCompleted) {
        Final->Completed = TRUE;
        Final->Found = TRUE;
        Final->Status = (NTSTATUS)(ULONG)Event->Argument[0];
    } else if (Event->Kind == IrpSimTraceIrpCompleteBegin && !Final->Completed) {
        Final->Found = TRUE;
        Final->Status = (NTSTATUS)(ULONG)Event->Argument[0];
    }
    return TRUE;
}

BOOLEAN IrpSimTraceIrpFinalStatus(PIRP Irp, PNTSTATUS Status)
{
    TRACEP_FINAL Final = {FALSE, FALSE, 0};
    (void)TracepWalkIrp(Irp, TracepFinalVisit, &Final);
    if (Final.Found)
        *Status = Final.Status;
    return Final.Found;
}

typedef struct _TRACEP_HISTORY {
    IRPSIM_TRACE_KIND *Kinds;
    ULONG Max;
    ULONG Used;
} TRACEP_HISTORY;

static BOOLEAN TracepHistoryVisit(const IRPSIM_TRACE_EVENT *Event, PVOID Context)
{
    TRACEP_HISTORY *History = (TRACEP_HISTORY *)Context;
    if (History->Kinds != NULL && History->Used < History->Max)
        History->Kinds[History->Used++] = Event->Kind;
    return TRUE;
}

ULONG IrpSimTraceIrpHistory(PIRP Irp, IRPSIM_TRACE_KIND *Kinds, ULONG Max)
{
    TRACEP_HISTORY History = {Kinds, Max, 0};
    return TracepWalkIrp(Irp, TracepHistoryVisit, &History);
}

typedef struct _TRACEP_SEQUENCE {
    const IRPSIM_TRACE_KIND *Kinds;
    ULONG Count;
    ULONG Matched;
} TRACEP_SEQUENCE;

static BOOLEAN TracepSequenceVisit(const IRPSIM_TRACE_EVENT *Event, PVOID Context)
{
    TRACEP_SEQUENCE *Sequence = (TRACEP_SEQUENCE *)Context;
    if (Sequence->Matched < Sequence->Count && Event->Kind == Sequence->Kinds[Sequence->Matched])
        Sequence->Matched++;
    return Sequence->Matched < Sequence->Count;
}

static BOOLEAN TracepHasSequence(PVOID Object, BOOLEAN ForIrp, const IRPSIM_TRACE_KIND *Kinds, ULONG Count)
{
    TRACEP_SEQUENCE Sequence = {Kinds, Count, 0};
    if (Count == 0)
        return TracepCount(Object, ForIrp, IrpSimTraceNone) != 0;
    (void)TracepWalk(Object, ForIrp, TracepSequenceVisit, &Sequence);
    return Sequence.Matched == Count;
}

BOOLEAN IrpSimTraceIrpHasSequence(PIRP Irp, const IRPSIM_TRACE_KIND *Kinds, ULONG Count)
{
    return TracepHasSequence(Irp, TRUE, Kinds, Count);
}

BOOLEAN IrpSimTraceObjectHasSequence(PVOID Object, const IRPSIM_TRACE_KIND *Kinds, ULONG Count)
{
    return TracepHasSequence(Object, FALSE, Kinds, Count);
}

typedef struct _TRACEP_FIND {
    IRPSIM_TRACE_KIND Kind;
    ULONG Skip;
    BOOLEAN Found;
    PIRPSIM_TRACE_EVENT Event;
} TRACEP_FIND;

static BOOLEAN TracepFindVisit(const IRPSIM_TRACE_EVENT *Event, PVOID Context)
{
    TRACEP_FIND *Find = (TRACEP_FIND *)Context;
    if (Event->Kind != Find->Kind)
        return TRUE;
    if (Find->Skip > 0) {
        Find->Skip--;
        return TRUE;
    }
    Find->Found = TRUE;
    if (Find->Event != NULL)
        *Find->Event = *Event;
    return FALSE;
}

static BOOLEAN TracepFindEvent(PVOID Object, BOOLEAN ForIrp, IRPSIM_TRACE_KIND Kind, ULONG Occurrence,
                               PIRPSIM_TRACE_EVENT Event)
{
    TRACEP_FIND Find = {Kind, Occurrence, FALSE, Event};
    (void)TracepWalk(Object, ForIrp, TracepFindVisit, &Find);
    return Find.Found;
}

BOOLEAN IrpSimTraceIrpFindEvent(PIRP Irp, IRPSIM_TRACE_KIND Kind, ULONG Occurrence, PIRPSIM_TRACE_EVENT Event)
{
    return TracepFindEvent(Irp, TRUE, Kind, Occurrence, Event);
}

BOOLEAN IrpSimTraceObjectFindEvent(PVOID Object, IRPSIM_TRACE_KIND Kind, ULONG Occurrence, PIRPSIM_TRACE_EVENT Event)
{
    return TracepFindEvent(Object, FALSE, Kind, Occurrence, Event);
}
