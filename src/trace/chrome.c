/*
 * irpsim — the Chrome trace-event JSON sink (opens in ui.perfetto.dev and
 * chrome://tracing).
 *
 * One track per thread (pid = the session, tid = the thread id), named by
 * thread_name metadata. Slices ("X"):
 *   - a dispatch routine: IrpCallDriver to the IrpDispatchReturned that
 *     matches it on the same thread;
 *   - a completion routine: from its IrpCompletionRoutineStart to the
 *     IrpCompletionRoutine recorded when it returns (a start whose routine
 *     never returned, e.g. a caught bug check, is an instant);
 *   - a DPC: from DpcRun to the thread's last event at DISPATCH_LEVEL or
 *     above before it drops below or runs the next DPC (the trace has no
 *     "DPC returned" event, so the end is the last thing the DPC did);
 *   - every other IRP event: a 4 ns slice, so flow arrows can bind to it.
 * Other events are instants, the kernel's named after the call or what ran
 * ("KeRemoveQueueDpc DPC#2", "APC#1 special kernel APC"). Each IRP's life
 * is one flow (ph s/t/f, id per IRP identity) with a point wherever it
 * changes threads.
 *
 * Time: simulated interrupt time in microseconds. Events recorded at the
 * same simulated instant (common with the virtual clock) are spread 10 ns
 * apart in recording order, so order is visible and slices nest.
 */
#include "traceint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char TraceChromeHeader[] =
    "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"generator\":\"irpsim\"},\"traceEvents\":[\n";
const char TraceChromeFooter[] = "\n]}\n";

#define TRACEP_SPACING_NS 10ULL
#define TRACEP_POINT_NS   4ULL

typedef struct _TRACEP_CHROME {
    FILE *Stream;
    const IRPSIM_TRACE_EVENT *Events;
    ULONG Count;
    ULONG Pid;
    BOOLEAN First;
    ULONGLONG *Ns;  /* the event's place on the time line */
    ULONG *Match;   /* slice partner: IrpCallDriver -> its return, DpcRun -> its last event,
                       IrpCompletionRoutine -> its start */
    ULONG *Link;    /* scratch: the dispatch (or open completion routine) below, then the thread's next event */
    ULONG *PrevIrp; /* the same IRP identity's neighbours */
    ULONG *NextIrp;
    BOOLEAN *Merged;     /* drawn as part of another event's slice */
    TRACE_MAP Locations; /* IRP number << 8 | location -> the IrpCallDriver that filled it */
} TRACEP_CHROME;

static VOID TracepTime(FILE *Stream, PCSTR Key, ULONGLONG Ns)
{
    fprintf(Stream, ",\"%s\":%llu.%03llu", Key, Ns / 1000ULL, Ns % 1000ULL);
}

/* Starts one trace event object (the caller adds fields and the brace). */
static VOID TracepOpen(TRACEP_CHROME *C, PCSTR Phase, PCSTR Name, PCSTR Category, ULONG Tid)
{
    if (!C->First)
        fputs(",\n", C->Stream);
    C->First = FALSE;
    fputs("{\"name\":", C->Stream);
    TraceJsonString(C->Stream, Name);
    fprintf(C->Stream, ",\"cat\":\"%s\",\"ph\":\"%s\",\"pid\":%u,\"tid\":%u", Category, Phase, (unsigned)C->Pid,
            (unsigned)Tid);
}

static VOID TracepArgs(TRACEP_CHROME *C, const IRPSIM_TRACE_EVENT *Event, PCSTR Extra)
{
    CHAR Detail[240];
    CHAR Irql[16];
    TraceDescribeLocked(Event, Detail, sizeof(Detail));
    fputs(",\"args\":{\"event\":", C->Stream);
    TraceJsonString(C->Stream, IrpSimTraceKindName(Event->Kind));
    if (Event->ObjectName[0] != 0) {
        fputs(",\"object\":", C->Stream);
        TraceJsonString(C->Stream, Event->ObjectName);
    }
    fputs(",\"detail\":", C->Stream);
    TraceJsonString(C->Stream, Detail);
    if (Extra != NULL) {
        fputs(",\"returned\":", C->Stream);
        TraceJsonString(C->Stream, Extra);
    }
    fprintf(C->Stream, ",\"seq\":%llu,\"cpu\":%u,\"irql\":", (unsigned long long)Event->Sequence,
            (unsigned)Event->Processor);
    TraceJsonString(C->Stream, TraceIrqlName(Event->Irql, Irql, sizeof(Irql)));
    fputs("}", C->Stream);
}

static VOID TracepMetadata(TRACEP_CHROME *C, PCSTR Name, ULONG Tid, PCSTR Key, PCSTR Text, ULONG Number)
{
    TracepOpen(C, "M", Name, "__metadata", Tid);
    fprintf(C->Stream, ",\"args\":{\"%s\":", Key);
    if (Text != NULL)
        TraceJsonString(C->Stream, Text);
    else
        fprintf(C->Stream, "%u", (unsigned)Number);
    fputs("}}", C->Stream);
}

static VOID TracepThreadNames(TRACEP_CHROME *C)
{
    TRACE_MAP Seen = {0};
    CHAR Name[80];
    ULONG Unused;

    snprintf(Name, sizeof(Name), C->Pid > 1 ? "irpsim session %u" : "irpsim", (unsigned)C->Pid);
    TracepMetadata(C, "process_name", 0, "name", Name, 0);
    TracepMetadata(C, "process_sort_index", 0, "sort_index", NULL, C->Pid);
    for (ULONG i = 0; i < C->Count; i++) {
        const IRPSIM_TRACE_EVENT *Event = &C->Events[i];
        const TRACE_THREAD *Thread;
        ULONG Order;
        /* Key 0 is not storable: thread 0 (no thread) is keyed as ~0. */
        ULONG_PTR Key = Event->ThreadId != 0 ? Event->ThreadId : ~(ULONG_PTR)0;
        if (TraceMapFind(&Seen, Key, &Unused) || !TraceMapSet(&Seen, Key, 1))
            continue;
        Thread = TraceFindThreadLocked(Event->ThreadId);
        if (Thread != NULL) {
            snprintf(Name, sizeof(Name), "%s", Thread->Name);
            /* Application threads on top, then the processors, then system threads. */
            Order = Thread->ProcessorThread ? 1000 + Thread->Processor : Thread->SystemThread ? 2000 + i : i;
        } else if (Event->ThreadId != 0) {
            snprintf(Name, sizeof(Name), "T%u", (unsigned)Event->ThreadId);
            Order = 3000 + i;
        } else {
            snprintf(Name, sizeof(Name), "outside any thread");
            Order = 4000;
        }
        TracepMetadata(C, "thread_name", Event->ThreadId, "name", Name, 0);
        TracepMetadata(C, "thread_sort_index", Event->ThreadId, "sort_index", NULL, Order);
    }
    TraceMapFree(&Seen);
}

/* Places every event on the time line and pairs the slices. */
static BOOLEAN TracepAnalyse(TRACEP_CHROME *C)
{
    TRACE_MAP Top = {0};     /* thread -> innermost open IrpCallDriver */
    TRACE_MAP Routines = {0}; /* IRP identity -> its innermost completion routine still running */
    TRACE_MAP LastIrp = {0}; /* IRP identity -> its last event */
    TRACE_MAP LastOnThread = {0};
    BOOLEAN Ok = TRUE;

    for (ULONG i = 0; i < C->Count; i++) {
        const IRPSIM_TRACE_EVENT *Event = &C->Events[i];
        ULONGLONG Ns = Event->Time * 100ULL;
        ULONG_PTR Thread = (ULONG_PTR)Event->ThreadId + 1;
        ULONG Found;

        if (i > 0 && Ns < C->Ns[i - 1] + TRACEP_SPACING_NS)
            Ns = C->Ns[i - 1] + TRACEP_SPACING_NS;
        C->Ns[i] = Ns;
        C->Match[i] = TRACE_NONE;
        C->Merged[i] = FALSE;
        C->PrevIrp[i] = TRACE_NONE;
        C->NextIrp[i] = TRACE_NONE;

        if (TraceIsIrpKind(Event->Kind) && Event->ObjectNumber != 0) {
            if (TraceMapFind(&LastIrp, Event->ObjectNumber, &Found)) {
                C->PrevIrp[i] = Found;
                C->NextIrp[Found] = i;
            }
            Ok &= TraceMapSet(&LastIrp, Event->ObjectNumber, i);
        }

        switch (Event->Kind) {
        case IrpSimTraceIrpCallDriver:
            C->Link[i] = TraceMapFind(&Top, Thread, &Found) ? Found : TRACE_NONE;
            Ok &= TraceMapSet(&Top, Thread, i);
            if (Event->ObjectNumber != 0)
                Ok &=
                    TraceMapSet(&C->Locations, ((ULONG_PTR)Event->ObjectNumber << 8) | (Event->Argument[1] & 0xFF), i);
            break;
        case IrpSimTraceIrpDispatchReturned: {
            /* The innermost call of this IRP to this device; calls above it
               never returned (a caught bug check unwound them). */
            ULONG j = TraceMapFind(&Top, Thread, &Found) ? Found : TRACE_NONE;
            while (j != TRACE_NONE &&
                   !(C->Events[j].Object == Event->Object && C->Events[j].Argument[0] == Event->Argument[0]))
                j = C->Link[j];
            if (j != TRACE_NONE) {
                C->Match[j] = i;
                C->Merged[i] = TRUE;
                Ok &= TraceMapSet(&Top, Thread, C->Link[j]);
            }
            break;
        }
        case IrpSimTraceIrpCompletionRoutineStart:
            if (Event->ObjectNumber == 0)
                break;
            /* A routine may complete the IRP again after re-sending it: starts nest. */
            C->Link[i] = TraceMapFind(&Routines, Event->ObjectNumber, &Found) ? Found : TRACE_NONE;
            Ok &= TraceMapSet(&Routines, Event->ObjectNumber, i);
            break;
        case IrpSimTraceIrpCompletionRoutine:
            if (Event->ObjectNumber == 0 || !TraceMapFind(&Routines, Event->ObjectNumber, &Found) ||
                Found == TRACE_NONE)
                break;
            if (C->Events[Found].ThreadId == Event->ThreadId) {
                C->Match[i] = Found;
                C->Merged[Found] = TRUE;
            }
            Ok &= TraceMapSet(&Routines, Event->ObjectNumber, C->Link[Found]);
            break;
        default:
            break;
        }
    }
    TraceMapFree(&Top);
    TraceMapFree(&Routines);
    TraceMapFree(&LastIrp);

    /* Link is now free: reuse it for "next event on the same thread". */
    for (ULONG i = C->Count; i-- > 0;) {
        ULONG_PTR Thread = (ULONG_PTR)C->Events[i].ThreadId + 1;
        ULONG Found;
        C->Link[i] = TraceMapFind(&LastOnThread, Thread, &Found) ? Found : TRACE_NONE;
        Ok &= TraceMapSet(&LastOnThread, Thread, i);
    }
    TraceMapFree(&LastOnThread);
    for (ULONG i = 0; i < C->Count; i++) {
        ULONG End = i;
        if (C->Events[i].Kind != IrpSimTraceDpcRun)
            continue;
        for (ULONG j = C->Link[i]; j != TRACE_NONE; j = C->Link[j]) {
            if (C->Events[j].Kind == IrpSimTraceDpcRun || C->Events[j].Irql < DISPATCH_LEVEL)
                break;
            End = j;
        }
        C->Match[i] = End;
    }
    return Ok;
}

static VOID TracepFlow(TRACEP_CHROME *C, ULONG i)
{
    const IRPSIM_TRACE_EVENT *Event = &C->Events[i];
    ULONG Prev = C->PrevIrp[i];
    ULONG Next = C->NextIrp[i];
    PCSTR Phase;
    CHAR Name[24];

    if (Prev == TRACE_NONE && Next == TRACE_NONE)
        return;
    /* Points only where the IRP changes threads, and at both ends. */
    if (Prev != TRACE_NONE && Next != TRACE_NONE && C->Events[Prev].ThreadId == Event->ThreadId &&
        C->Events[Next].ThreadId == Event->ThreadId)
        return;
    Phase = Prev == TRACE_NONE ? "s" : Next == TRACE_NONE ? "f" : "t";
    snprintf(Name, sizeof(Name), "IRP#%u", (unsigned)Event->ObjectNumber);
    TracepOpen(C, Phase, Name, "irp.flow", Event->ThreadId);
    /* Inside the event's own slice, which starts at Ns and lasts 4 ns or more. */
    TracepTime(C->Stream, "ts", C->Ns[i] + 2);
    fprintf(C->Stream, ",\"id\":%llu,\"bp\":\"e\"}", (unsigned long long)C->Pid * 1000000ULL + Event->ObjectNumber);
}

/* An instant's name (what a driver called, on what) and its category. */
static PCSTR TracepInstant(const IRPSIM_TRACE_EVENT *Event, PCHAR Name, SIZE_T Size)
{
    const ULONG_PTR *A = Event->Argument;
    switch (Event->Kind) {
    case IrpSimTraceDpcRemoved:
        snprintf(Name, Size, "KeRemoveQueueDpc %s%s", Event->ObjectName, A[0] ? "" : " (not queued)");
        return "dpc";
    case IrpSimTraceApcRun:
        snprintf(Name, Size, "%s %s APC", Event->ObjectName, TraceApcKindName(A[1]));
        return "apc";
    case IrpSimTraceIoTimer:
        snprintf(Name, Size, "IoTimer routine of %s", Event->ObjectName);
        return "timer";
    case IrpSimTraceEventReset:
        snprintf(Name, Size, "%s %s", A[1] ? "KeClearEvent" : "KeResetEvent", Event->ObjectName);
        return "sync";
    case IrpSimTraceSemaphoreReleased:
        snprintf(Name, Size, "KeReleaseSemaphore %s", Event->ObjectName);
        return "sync";
    case IrpSimTraceMutexReleased:
        snprintf(Name, Size, "KeReleaseMutex %s", Event->ObjectName);
        return "sync";
    case IrpSimTraceIrpCompletionRoutineStart: /* its routine never returned */
        snprintf(Name, Size, "completion routine %s starts", Event->ObjectName);
        return "irp.completion";
    default:
        snprintf(Name, Size, "%s %s", IrpSimTraceKindName(Event->Kind), Event->ObjectName);
        return Event->Kind == IrpSimTraceBugCheck ? "bugcheck" : "kernel";
    }
}

static VOID TracepEvent(TRACEP_CHROME *C, ULONG i)
{
    const IRPSIM_TRACE_EVENT *Event = &C->Events[i];
    CHAR Name[200];
    CHAR Device[64];
    CHAR Status[40];

    switch (Event->Kind) {
    case IrpSimTraceIrpCallDriver:
        if (C->Match[i] != TRACE_NONE) {
            const IRPSIM_TRACE_EVENT *Return = &C->Events[C->Match[i]];
            PCSTR Major = TraceMajorName((ULONG)(Event->Argument[2] >> 8));
            TraceDeviceLabelLocked((PVOID)Event->Argument[0], Event->Sequence, Device, sizeof(Device));
            TraceFormatStatus((NTSTATUS)(ULONG)Return->Argument[1], Status, sizeof(Status));
            snprintf(Name, sizeof(Name), "dispatch %s %s -> %s", Event->ObjectName, Major != NULL ? Major : "IRP_MJ_?",
                     Device);
            TracepOpen(C, "X", Name, "irp.dispatch", Event->ThreadId);
            TracepTime(C->Stream, "ts", C->Ns[i]);
            TracepTime(C->Stream, "dur", C->Ns[C->Match[i]] + 5 - C->Ns[i]);
            TracepArgs(C, Event, Status);
            fputs("}", C->Stream);
            return;
        }
        break;
    case IrpSimTraceIrpCompletionRoutine:
        if (C->Match[i] != TRACE_NONE) {
            ULONG Start = C->Match[i];
            ULONG Call;
            TraceFormatStatus((NTSTATUS)(ULONG)Event->Argument[1], Status, sizeof(Status));
            /* The routine belongs to the driver that had the location above. */
            if (TraceMapFind(&C->Locations, ((ULONG_PTR)Event->ObjectNumber << 8) | (Event->Argument[2] & 0xFF), &Call))
                TraceDeviceLabelLocked((PVOID)C->Events[Call].Argument[0], C->Events[Call].Sequence, Device,
                                       sizeof(Device));
            else
                snprintf(Device, sizeof(Device), "location %d", (int)Event->Argument[2]);
            snprintf(Name, sizeof(Name), "completion routine %s of %s -> %s", Event->ObjectName, Device, Status);
            TracepOpen(C, "X", Name, "irp.completion", Event->ThreadId);
            TracepTime(C->Stream, "ts", C->Ns[Start]);
            TracepTime(C->Stream, "dur", C->Ns[i] + 5 - C->Ns[Start]);
            TracepArgs(C, Event, NULL);
            fputs("}", C->Stream);
            return;
        }
        break;
    case IrpSimTraceDpcRun:
        snprintf(Name, sizeof(Name), "%s %p", Event->ObjectName[0] != 0 ? Event->ObjectName : "DPC",
                 (PVOID)Event->Argument[0]);
        TracepOpen(C, "X", Name, "dpc", Event->ThreadId);
        TracepTime(C->Stream, "ts", C->Ns[i]);
        TracepTime(C->Stream, "dur", C->Ns[C->Match[i]] + 6 - C->Ns[i]);
        TracepArgs(C, Event, NULL);
        fputs("}", C->Stream);
        return;
    default:
        break;
    }

    if (TraceIsIrpKind(Event->Kind)) {
        snprintf(Name, sizeof(Name), "%s %s", IrpSimTraceKindName(Event->Kind), Event->ObjectName);
        TracepOpen(C, "X", Name, "irp", Event->ThreadId);
        TracepTime(C->Stream, "ts", C->Ns[i]);
        TracepTime(C->Stream, "dur", TRACEP_POINT_NS);
    } else {
        PCSTR Category = TracepInstant(Event, Name, sizeof(Name));
        TracepOpen(C, "i", Name, Category, Event->ThreadId);
        TracepTime(C->Stream, "ts", C->Ns[i]);
        fprintf(C->Stream, ",\"s\":\"%s\"", Event->Kind == IrpSimTraceBugCheck ? "g" : "t");
    }
    TracepArgs(C, Event, NULL);
    fputs("}", C->Stream);
}

VOID TraceChromeWriteEventsLocked(FILE *Stream, const IRPSIM_TRACE_EVENT *Events, ULONG Count, ULONG Pid)
{
    TRACEP_CHROME C;
    memset(&C, 0, sizeof(C));
    C.Stream = Stream;
    C.Events = Events;
    C.Count = Count;
    C.Pid = Pid != 0 ? Pid : 1;
    C.First = TRUE;
    TracepThreadNames(&C);
    if (Count == 0)
        return;
    C.Ns = (ULONGLONG *)calloc(Count, sizeof(*C.Ns));
    C.Match = (ULONG *)calloc(Count, sizeof(*C.Match));
    C.Link = (ULONG *)calloc(Count, sizeof(*C.Link));
    C.PrevIrp = (ULONG *)calloc(Count, sizeof(*C.PrevIrp));
    C.NextIrp = (ULONG *)calloc(Count, sizeof(*C.NextIrp));
    C.Merged = (BOOLEAN *)calloc(Count, sizeof(*C.Merged));
    if (C.Ns != NULL && C.Match != NULL && C.Link != NULL && C.PrevIrp != NULL && C.NextIrp != NULL &&
        C.Merged != NULL && TracepAnalyse(&C)) {
        for (ULONG i = 0; i < Count; i++) {
            if (!C.Merged[i])
                TracepEvent(&C, i);
            if (TraceIsIrpKind(Events[i].Kind) && Events[i].ObjectNumber != 0)
                TracepFlow(&C, i);
        }
    } else {
        fprintf(stderr, "irpsim: out of host memory rendering the Chrome trace\n");
    }
    free(C.Ns);
    free(C.Match);
    free(C.Link);
    free(C.PrevIrp);
    free(C.NextIrp);
    free(C.Merged);
    TraceMapFree(&C.Locations);
}

VOID IrpSimTraceWriteChrome(FILE *Stream)
{
    const IRPSIM_TRACE_EVENT *Events;
    ULONG Count;
    PalMutexLock(&TraceLock);
    Events = TraceWindowLocked(&Count);
    fputs(TraceChromeHeader, Stream);
    TraceChromeWriteEventsLocked(Stream, Events, Count, 1);
    fputs(TraceChromeFooter, Stream);
    PalMutexUnlock(&TraceLock);
    fflush(Stream);
}
