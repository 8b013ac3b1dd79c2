/*
 * irpsim — the trace recorder: stamps each event (time, thread, processor,
 * IRQL, sequence, object name), keeps it for the memory and file sinks and
 * hands it to the text sink. Also the memory sink's read side.
 *
 * Emitting is TRACE_EVENT (tracep.h): one relaxed load and a branch while
 * every sink is off; everything here runs only when one is on.
 */
#include "traceint.h"
#include "../ke/ki.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

volatile LONG TraceActive;

PAL_MUTEX TraceLock = PAL_MUTEX_INITIALIZER;
TRACE_STORE TraceStore;
ULONG TraceApiSinks;
FILE *TraceApiStream;
ULONG TraceEnvSinks;
FILE *TraceEnvText;
volatile LONG TraceSessionOpen;
static ULONGLONG TracepSequence;

/* Store limit: past it the oldest half is dropped. */
#define TRACEP_MAX_EVENTS (4u * 1024u * 1024u)
/* Largest store kept from one session to the next. */
#define TRACEP_KEEP_EVENTS (64u * 1024u)

ULONG TraceSinksLocked(VOID)
{
    return TraceApiSinks | TraceEnvSinks;
}

VOID TraceUpdateActiveLocked(VOID)
{
    IRPSIM_ATOMIC_STORE_RELEASE(&TraceActive, (LONG)(TraceSinksLocked() != 0));
}

static VOID TracepStoreLocked(const IRPSIM_TRACE_EVENT *Event)
{
    TRACE_STORE *Store = &TraceStore;
    if (Store->Count == Store->Capacity) {
        if (Store->Capacity >= TRACEP_MAX_EVENTS) {
            ULONG Keep = Store->Count / 2;
            ULONG Dropped = Store->Count - Keep;
            memmove(Store->Events, Store->Events + Dropped, Keep * sizeof(*Store->Events));
            Store->Count = Keep;
            Store->Base = Store->Base > Dropped ? Store->Base - Dropped : 0;
        } else {
            ULONG NewCapacity = Store->Capacity != 0 ? Store->Capacity * 2 : 1024;
            PIRPSIM_TRACE_EVENT Grown =
                (PIRPSIM_TRACE_EVENT)realloc(Store->Events, NewCapacity * sizeof(*Store->Events));
            if (Grown != NULL) {
                Store->Events = Grown;
                Store->Capacity = NewCapacity;
            }
        }
    }
    if (Store->Count < Store->Capacity)
        Store->Events[Store->Count++] = *Event;
}

VOID TraceRecord(IRPSIM_TRACE_KIND Kind, PVOID Object, ULONG_PTR A1, ULONG_PTR A2, ULONG_PTR A3, PCSTR Text)
{
    IRPSIM_TRACE_EVENT Event;
    TRACE_CAPTURE Capture;
    PKTHREAD Thread;
    ULONG Sinks;

    /* Between sessions the clock and the threads are gone. */
    if (!IRPSIM_ATOMIC_LOAD_ACQUIRE(&TraceSessionOpen))
        return;
    Thread = KiGetCurrentThreadIfAny();
    memset(&Event, 0, sizeof(Event));
    Event.Time = KeQueryInterruptTime();
    Event.Thread = Thread;
    if (Thread != NULL) {
        Event.ThreadId = (ULONG)(ULONG_PTR)Thread->Cid.UniqueThread;
        Event.Processor = Thread->Processor;
        Event.Irql = Thread->Irql;
    }
    Event.Kind = Kind;
    Event.Object = Object;
    Event.Argument[0] = A1;
    Event.Argument[1] = A2;
    Event.Argument[2] = A3;
    if (Text != NULL)
        snprintf(Event.Text, sizeof(Event.Text), "%s", Text);
    TraceCapture(&Event, &Capture);

    PalMutexLock(&TraceLock);
    for (;;) {
        Sinks = TraceSinksLocked();
        if (!TraceSessionOpen || Sinks == 0) {
            PalMutexUnlock(&TraceLock);
            return;
        }
        if (!TraceCaptureNeedsNamesLocked(&Event, &Capture))
            break;
        /* A device the trace has not met: read its names without the lock. */
        PalMutexUnlock(&TraceLock);
        TraceCaptureNames(&Capture);
        PalMutexLock(&TraceLock);
    }
    Event.Sequence = TracepSequence++;
    TraceNameEventLocked(&Event, &Capture);
    if (Sinks & TRACE_STORING_SINKS)
        TracepStoreLocked(&Event);
    if (Sinks & IRPSIM_TRACE_TEXT)
        TraceTextEmitLocked(&Event);
    PalMutexUnlock(&TraceLock);
}

const IRPSIM_TRACE_EVENT *TraceWindowLocked(PULONG Count)
{
    *Count = TraceStore.Count - TraceStore.Base;
    return TraceStore.Events != NULL ? TraceStore.Events + TraceStore.Base : NULL;
}

VOID TraceOpenStoreLocked(VOID)
{
    TracepSequence = 0;
    TraceStore.Count = 0;
    TraceStore.Base = 0;
    TraceForgetObjectsLocked();
    IRPSIM_ATOMIC_STORE_RELEASE(&TraceSessionOpen, 1);
}

VOID TraceCloseStoreLocked(VOID)
{
    IRPSIM_ATOMIC_STORE_RELEASE(&TraceSessionOpen, 0);
    /* A store of ordinary size is kept for the next session, whose events
       then land in memory already touched (no page faults). */
    if (TraceStore.Capacity > TRACEP_KEEP_EVENTS) {
        free(TraceStore.Events);
        TraceStore.Events = NULL;
        TraceStore.Capacity = 0;
    }
    TraceStore.Count = 0;
    TraceStore.Base = 0;
    TraceForgetObjectsLocked();
}

VOID IrpSimTraceEnable(ULONG Sinks, FILE *Stream)
{
    PalMutexLock(&TraceLock);
    TraceApiSinks = Sinks & IRPSIM_TRACE_ALL;
    TraceApiStream = Stream;
    TraceUpdateActiveLocked();
    PalMutexUnlock(&TraceLock);
}

ULONG IrpSimTraceSinks(VOID)
{
    ULONG Sinks;
    PalMutexLock(&TraceLock);
    Sinks = TraceSinksLocked();
    PalMutexUnlock(&TraceLock);
    return Sinks;
}

VOID IrpSimTraceClear(VOID)
{
    PalMutexLock(&TraceLock);
    if (TraceSinksLocked() & TRACE_FILE_SINKS) {
        /* The files still want them at shutdown: only hide them. */
        TraceStore.Base = TraceStore.Count;
    } else {
        TraceStore.Count = 0;
        TraceStore.Base = 0;
    }
    PalMutexUnlock(&TraceLock);
}

ULONG IrpSimTraceCount(VOID)
{
    ULONG Count;
    PalMutexLock(&TraceLock);
    Count = TraceStore.Count - TraceStore.Base;
    PalMutexUnlock(&TraceLock);
    return Count;
}

BOOLEAN IrpSimTraceGet(ULONG Index, PIRPSIM_TRACE_EVENT Event)
{
    BOOLEAN Found = FALSE;
    PalMutexLock(&TraceLock);
    if (Index < TraceStore.Count - TraceStore.Base) {
        *Event = TraceStore.Events[TraceStore.Base + Index];
        Found = TRUE;
    }
    PalMutexUnlock(&TraceLock);
    return Found;
}

BOOLEAN IrpSimTraceFind(PULONG Index, IRPSIM_TRACE_KIND Kind, PVOID Object, PIRPSIM_TRACE_EVENT Event)
{
    BOOLEAN Found = FALSE;
    PalMutexLock(&TraceLock);
    for (ULONG i = *Index; i < TraceStore.Count - TraceStore.Base; i++) {
        const IRPSIM_TRACE_EVENT *Candidate = &TraceStore.Events[TraceStore.Base + i];
        if (Candidate->Kind == Kind && (Object == NULL || Candidate->Object == Object)) {
            *Index = i;
            if (Event != NULL)
                *Event = *Candidate;
            Found = TRUE;
            break;
        }
    }
    PalMutexUnlock(&TraceLock);
    return Found;
}

VOID IrpSimTraceAddNote(PCSTR Text)
{
    TRACE_TEXT(IrpSimTraceNote, NULL, 0, 0, Text);
}
