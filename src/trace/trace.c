/*
 * irpsim — the trace recorder and its in-memory and text sinks.
 */
#include "tracep.h"
#include "../ke/ki.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

volatile LONG TraceActive;

static PAL_MUTEX TracepLock = PAL_MUTEX_INITIALIZER;
static ULONG TracepSinks;
static FILE *TracepStream;
static PIRPSIM_TRACE_EVENT TracepEvents;
static ULONG TracepCount;
static ULONG TracepCapacity;
static ULONGLONG TracepSequence;

/* Memory sink limit: past it the oldest half is dropped. */
#define TRACEP_MAX_EVENTS (4u * 1024u * 1024u)

static const PCSTR TracepKindNames[IrpSimTraceKindCount] = {
    [IrpSimTraceNone] = "None",
    [IrpSimTraceIrpAllocated] = "IrpAllocated",
    [IrpSimTraceIrpFreed] = "IrpFreed",
    [IrpSimTraceIrpCallDriver] = "IrpCallDriver",
    [IrpSimTraceIrpDispatchReturned] = "IrpDispatchReturned",
    [IrpSimTraceIrpMarkedPending] = "IrpMarkedPending",
    [IrpSimTraceIrpCancelRoutineSet] = "IrpCancelRoutineSet",
    [IrpSimTraceIrpCancelRequested] = "IrpCancelRequested",
    [IrpSimTraceIrpCancelRoutineRun] = "IrpCancelRoutineRun",
    [IrpSimTraceIrpCompleteBegin] = "IrpCompleteBegin",
    [IrpSimTraceIrpCompletionRoutine] = "IrpCompletionRoutine",
    [IrpSimTraceIrpCompleted] = "IrpCompleted",
    [IrpSimTraceIrpPostProcessing] = "IrpPostProcessing",
    [IrpSimTraceCsqInsert] = "CsqInsert",
    [IrpSimTraceCsqRemove] = "CsqRemove",
    [IrpSimTraceCsqCancel] = "CsqCancel",
    [IrpSimTraceDeviceQueueInsert] = "DeviceQueueInsert",
    [IrpSimTraceDeviceQueueRemove] = "DeviceQueueRemove",
    [IrpSimTraceStartIo] = "StartIo",
    [IrpSimTraceDpcQueued] = "DpcQueued",
    [IrpSimTraceDpcRun] = "DpcRun",
    [IrpSimTraceTimerSet] = "TimerSet",
    [IrpSimTraceTimerFired] = "TimerFired",
    [IrpSimTraceTimerCancelled] = "TimerCancelled",
    [IrpSimTraceEventSet] = "EventSet",
    [IrpSimTraceWaitBegin] = "WaitBegin",
    [IrpSimTraceWaitEnd] = "WaitEnd",
    [IrpSimTraceThreadStart] = "ThreadStart",
    [IrpSimTraceThreadExit] = "ThreadExit",
    [IrpSimTraceWorkItem] = "WorkItem",
    [IrpSimTraceDriverLoaded] = "DriverLoaded",
    [IrpSimTraceDriverUnloaded] = "DriverUnloaded",
    [IrpSimTraceDeviceCreated] = "DeviceCreated",
    [IrpSimTraceDeviceDeleted] = "DeviceDeleted",
    [IrpSimTraceWin32Call] = "Win32Call",
    [IrpSimTraceWin32Return] = "Win32Return",
    [IrpSimTraceDebugPrint] = "DebugPrint",
    [IrpSimTraceBugCheck] = "BugCheck",
    [IrpSimTraceVerifier] = "Verifier",
    [IrpSimTraceNote] = "Note",
};

PCSTR IrpSimTraceKindName(IRPSIM_TRACE_KIND Kind)
{
    if ((ULONG)Kind >= IrpSimTraceKindCount || TracepKindNames[Kind] == NULL)
        return "Unknown";
    return TracepKindNames[Kind];
}

VOID IrpSimTraceFormat(const IRPSIM_TRACE_EVENT *Event, PCHAR Buffer, SIZE_T Size)
{
    ULONGLONG Micro = Event->Time / 10;
    snprintf(Buffer, Size, "%6llu %8llu.%06llu s  T%-3u P%u IRQL%u  %-20s %p  %llx %llx %llx%s%s",
             (unsigned long long)Event->Sequence, Micro / 1000000ULL, Micro % 1000000ULL, Event->ThreadId,
             Event->Processor, Event->Irql, IrpSimTraceKindName(Event->Kind), Event->Object,
             (unsigned long long)Event->Argument[0], (unsigned long long)Event->Argument[1],
             (unsigned long long)Event->Argument[2], Event->Text[0] ? "  " : "", Event->Text);
}

VOID TraceRecord(IRPSIM_TRACE_KIND Kind, PVOID Object, ULONG_PTR A1, ULONG_PTR A2, ULONG_PTR A3, PCSTR Text)
{
    IRPSIM_TRACE_EVENT Event;
    PKTHREAD Thread = KiGetCurrentThreadIfAny();

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

    PalMutexLock(&TracepLock);
    Event.Sequence = TracepSequence++;
    if (TracepSinks & IRPSIM_TRACE_MEMORY) {
        if (TracepCount == TracepCapacity) {
            if (TracepCapacity >= TRACEP_MAX_EVENTS) {
                ULONG Keep = TracepCount / 2;
                memmove(TracepEvents, TracepEvents + (TracepCount - Keep), Keep * sizeof(*TracepEvents));
                TracepCount = Keep;
            } else {
                ULONG NewCapacity = TracepCapacity ? TracepCapacity * 2 : 1024;
                PIRPSIM_TRACE_EVENT Grown =
                    (PIRPSIM_TRACE_EVENT)realloc(TracepEvents, NewCapacity * sizeof(*TracepEvents));
                if (Grown != NULL) {
                    TracepEvents = Grown;
                    TracepCapacity = NewCapacity;
                }
            }
        }
        if (TracepCount < TracepCapacity)
            TracepEvents[TracepCount++] = Event;
    }
    if (TracepSinks & IRPSIM_TRACE_TEXT) {
        CHAR Line[256];
        IrpSimTraceFormat(&Event, Line, sizeof(Line));
        fprintf(TracepStream != NULL ? TracepStream : stderr, "%s\n", Line);
    }
    PalMutexUnlock(&TracepLock);
}

VOID IrpSimTraceEnable(ULONG Sinks, FILE *Stream)
{
    PalMutexLock(&TracepLock);
    TracepSinks = Sinks;
    TracepStream = Stream;
    __atomic_store_n(&TraceActive, Sinks != 0, __ATOMIC_SEQ_CST);
    PalMutexUnlock(&TracepLock);
}

ULONG IrpSimTraceSinks(VOID)
{
    return TracepSinks;
}

VOID IrpSimTraceClear(VOID)
{
    PalMutexLock(&TracepLock);
    TracepCount = 0;
    PalMutexUnlock(&TracepLock);
}

ULONG IrpSimTraceCount(VOID)
{
    ULONG Count;
    PalMutexLock(&TracepLock);
    Count = TracepCount;
    PalMutexUnlock(&TracepLock);
    return Count;
}

BOOLEAN IrpSimTraceGet(ULONG Index, PIRPSIM_TRACE_EVENT Event)
{
    BOOLEAN Found = FALSE;
    PalMutexLock(&TracepLock);
    if (Index < TracepCount) {
        *Event = TracepEvents[Index];
        Found = TRUE;
    }
    PalMutexUnlock(&TracepLock);
    return Found;
}

BOOLEAN IrpSimTraceFind(PULONG Index, IRPSIM_TRACE_KIND Kind, PVOID Object, PIRPSIM_TRACE_EVENT Event)
{
    BOOLEAN Found = FALSE;
    PalMutexLock(&TracepLock);
    for (ULONG i = *Index; i < TracepCount; i++) {
        if (TracepEvents[i].Kind == Kind && (Object == NULL || TracepEvents[i].Object == Object)) {
            *Index = i;
            if (Event != NULL)
                *Event = TracepEvents[i];
            Found = TRUE;
            break;
        }
    }
    PalMutexUnlock(&TracepLock);
    return Found;
}

VOID IrpSimTraceAddNote(PCSTR Text)
{
    TRACE_TEXT(IrpSimTraceNote, NULL, 0, 0, Text);
}

VOID TraceInitialize(VOID)
{
    const char *Setting = PalGetEnvironment("IRPSIM_TRACE");
    ULONG Sinks = 0;
    if (Setting != NULL) {
        if (strstr(Setting, "memory") != NULL)
            Sinks |= IRPSIM_TRACE_MEMORY;
        if (strstr(Setting, "text") != NULL)
            Sinks |= IRPSIM_TRACE_TEXT;
    }
    PalMutexLock(&TracepLock);
    TracepSequence = 0;
    TracepCount = 0;
    PalMutexUnlock(&TracepLock);
    if (Sinks != 0)
        IrpSimTraceEnable(Sinks | TracepSinks, NULL);
}

VOID TraceShutdown(VOID)
{
    PalMutexLock(&TracepLock);
    free(TracepEvents);
    TracepEvents = NULL;
    TracepCount = 0;
    TracepCapacity = 0;
    PalMutexUnlock(&TracepLock);
}
