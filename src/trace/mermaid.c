/*
 * irpsim — the Mermaid sink: a sequence diagram of the IRPs' lives, to
 * paste into Markdown (GitHub and most viewers render ```mermaid blocks).
 *
 * Participants: the threads that issued IRPs (App/Test), the I/O manager,
 * every device the IRPs visited (top of the stack first, as they were
 * first called) and DPC / Timer. Who acts for an event is worked out from
 * the events themselves: the device whose dispatch routine is running on
 * that thread, else the DPC running on it, else the thread itself; a
 * request completed outside any dispatch routine (from a system thread)
 * is drawn as coming from the device that holds the IRP.
 *
 * Mermaid reads '#' as a comment and ';' as the end of a statement, so
 * message text goes through TraceMermaidText (IRP#1 is written IRP#35;1,
 * Mermaid's entity for '#', and renders as IRP#1).
 */
#include "traceint.h"
#include "../verifier/irpstate.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum _TRACEP_PARTY_KIND {
    TracepPartyThread,
    TracepPartyIo,
    TracepPartyDevice,
    TracepPartyDpc
} TRACEP_PARTY_KIND;

typedef struct _TRACEP_PARTY {
    TRACEP_PARTY_KIND Kind;
    BOOLEAN Used;   /* some line names it: only those are declared */
    ULONG Depth;    /* devices: how many devices above it called it */
    ULONG ThreadId; /* thread participants */
    CHAR Id[16];
    CHAR Label[72];
} TRACEP_PARTY;

typedef enum _TRACEP_LINE_KIND { TracepArrow, TracepReply, TracepNote, TracepNoteAll } TRACEP_LINE_KIND;

typedef struct _TRACEP_LINE {
    TRACEP_LINE_KIND Kind;
    ULONG From;
    ULONG To;
    CHAR Text[160];
} TRACEP_LINE;

typedef struct _TRACEP_FRAME {
    PVOID Irp;
    PVOID Device;
    ULONG Party; /* the device whose dispatch routine runs */
    ULONG Below;
} TRACEP_FRAME;

typedef struct _TRACEP_IRP {
    ULONG Issuer;        /* who sent it first (gets the completion back) */
    ULONG Holder;        /* the device it was last sent to */
    BOOLEAN ByIoManager; /* built by the I/O manager for a thread (create, close, Win32 calls) */
} TRACEP_IRP;

typedef struct _TRACEP_MERMAID {
    const IRPSIM_TRACE_EVENT *Events;
    ULONG Count;
    const IRPSIM_TRACE_MERMAID_OPTIONS *Options;
    TRACEP_PARTY *Parties;
    ULONG PartyCount;
    ULONG PartyCapacity;
    ULONG Io;
    ULONG Dpc;
    TRACEP_LINE *Lines;
    ULONG LineCount;
    ULONG LineCapacity;
    ULONG Omitted; /* lines past MaxEvents */
    TRACEP_FRAME *Frames;
    ULONG FrameCount;
    TRACEP_IRP *Irps;
    ULONG IrpCount;
    ULONG IrpCapacity;
    LONG *Live;             /* > 0 where a selected IRP is alive (IRP filter only) */
    TRACE_MAP ThreadParty;  /* ThreadId + 1 -> party */
    TRACE_MAP DeviceParty;  /* device number or address -> party */
    TRACE_MAP Top;          /* ThreadId + 1 -> innermost frame */
    TRACE_MAP InDpc;        /* ThreadId + 1 -> 1 while a DPC runs on it */
    TRACE_MAP IrpState;     /* IRP number -> index in Irps */
    TRACE_MAP Locations;    /* IRP number << 8 | location -> device party */
    TRACE_MAP IrpByAddress; /* IRP address -> its current number (for Win32Call's argument) */
    TRACE_MAP Win32Drawn;   /* ThreadId + 1 -> 1 while its Win32 call is drawn */
    BOOLEAN OutOfMemory;
} TRACEP_MERMAID;

static ULONG TracepAddParty(TRACEP_MERMAID *M, TRACEP_PARTY_KIND Kind, PCSTR Id, PCSTR Label)
{
    TRACEP_PARTY *Party;
    if (M->PartyCount == M->PartyCapacity) {
        ULONG Capacity = M->PartyCapacity != 0 ? M->PartyCapacity * 2 : 16;
        TRACEP_PARTY *Grown = (TRACEP_PARTY *)realloc(M->Parties, Capacity * sizeof(*Grown));
        if (Grown == NULL) {
            M->OutOfMemory = TRUE;
            return M->Io;
        }
        M->Parties = Grown;
        M->PartyCapacity = Capacity;
    }
    Party = &M->Parties[M->PartyCount];
    memset(Party, 0, sizeof(*Party));
    Party->Kind = Kind;
    snprintf(Party->Id, sizeof(Party->Id), "%s", Id);
    TraceMermaidText(Label, Party->Label, sizeof(Party->Label));
    return M->PartyCount++;
}

static ULONG TracepThreadParty(TRACEP_MERMAID *M, ULONG ThreadId)
{
    ULONG Party;
    CHAR Id[16];
    CHAR Label[72];
    const TRACE_THREAD *Thread;
    if (TraceMapFind(&M->ThreadParty, (ULONG_PTR)ThreadId + 1, &Party))
        return Party;
    Thread = TraceFindThreadLocked(ThreadId);
    snprintf(Id, sizeof(Id), "T%u", (unsigned)ThreadId);
    if (Thread == NULL || (!Thread->SystemThread && !Thread->ProcessorThread))
        snprintf(Label, sizeof(Label), "App/Test T%u", (unsigned)ThreadId);
    else
        snprintf(Label, sizeof(Label), "%s", Thread->Name);
    Party = TracepAddParty(M, TracepPartyThread, Id, Label);
    M->Parties[Party].ThreadId = ThreadId;
    if (!TraceMapSet(&M->ThreadParty, (ULONG_PTR)ThreadId + 1, Party))
        M->OutOfMemory = TRUE;
    return Party;
}

static ULONG TracepDeviceParty(TRACEP_MERMAID *M, PVOID Device, ULONGLONG Sequence)
{
    const TRACE_DEVICE *Entry = TraceFindDeviceLocked(Device, Sequence);
    ULONG_PTR Key = Entry != NULL ? Entry->Number : (ULONG_PTR)Device;
    ULONG Party;
    CHAR Id[24];
    CHAR Label[72];
    if (Device == NULL)
        return M->Io;
    if (TraceMapFind(&M->DeviceParty, Key, &Party))
        return Party;
    if (Entry != NULL) {
        snprintf(Id, sizeof(Id), "D%u", (unsigned)Entry->Number);
        snprintf(Label, sizeof(Label), "%s", Entry->Label);
    } else {
        snprintf(Id, sizeof(Id), "X%u", (unsigned)M->PartyCount);
        snprintf(Label, sizeof(Label), "device %p", Device);
    }
    Party = TracepAddParty(M, TracepPartyDevice, Id, Label);
    if (!TraceMapSet(&M->DeviceParty, Key, Party))
        M->OutOfMemory = TRUE;
    return Party;
}

static ULONG TracepDpcParty(TRACEP_MERMAID *M)
{
    if (M->Dpc == TRACE_NONE)
        M->Dpc = TracepAddParty(M, TracepPartyDpc, "DPC", "DPC / Timer");
    return M->Dpc;
}

static TRACEP_IRP *TracepIrp(TRACEP_MERMAID *M, ULONG Number)
{
    ULONG Index;
    if (Number == 0)
        return NULL;
    if (TraceMapFind(&M->IrpState, Number, &Index))
        return &M->Irps[Index];
    if (M->IrpCount == M->IrpCapacity) {
        ULONG Capacity = M->IrpCapacity != 0 ? M->IrpCapacity * 2 : 32;
        TRACEP_IRP *Grown = (TRACEP_IRP *)realloc(M->Irps, Capacity * sizeof(*Grown));
        if (Grown == NULL) {
            M->OutOfMemory = TRUE;
            return NULL;
        }
        M->Irps = Grown;
        M->IrpCapacity = Capacity;
    }
    if (!TraceMapSet(&M->IrpState, Number, M->IrpCount)) {
        M->OutOfMemory = TRUE;
        return NULL;
    }
    M->Irps[M->IrpCount].Issuer = TRACE_NONE;
    M->Irps[M->IrpCount].Holder = TRACE_NONE;
    M->Irps[M->IrpCount].ByIoManager = FALSE;
    return &M->Irps[M->IrpCount++];
}

static VOID TracepLine(TRACEP_MERMAID *M, TRACEP_LINE_KIND Kind, ULONG From, ULONG To, PCSTR Format, ...)
    IRPSIM_FORMAT_PRINTF(5, 6); /* portability: compiler.h (MinGW) */

static VOID TracepLine(TRACEP_MERMAID *M, TRACEP_LINE_KIND Kind, ULONG From, ULONG To, PCSTR Format, ...)
{
    TRACEP_LINE *Line;
    CHAR Raw[200];
    va_list Arguments;
    ULONG Max = M->Options->MaxEvents;

    if (Max != 0 && M->LineCount >= Max) {
        M->Omitted++;
        return;
    }
    if (M->LineCount == M->LineCapacity) {
        ULONG Capacity = M->LineCapacity != 0 ? M->LineCapacity * 2 : 64;
        TRACEP_LINE *Grown = (TRACEP_LINE *)realloc(M->Lines, Capacity * sizeof(*Grown));
        if (Grown == NULL) {
            M->OutOfMemory = TRUE;
            M->Omitted++;
            return;
        }
        M->Lines = Grown;
        M->LineCapacity = Capacity;
    }
    va_start(Arguments, Format);
    vsnprintf(Raw, sizeof(Raw), Format, Arguments);
    va_end(Arguments);
    Line = &M->Lines[M->LineCount++];
    M->Parties[From].Used = TRUE;
    M->Parties[To].Used = TRUE;
    Line->Kind = Kind;
    Line->From = From;
    Line->To = To;
    TraceMermaidText(Raw, Line->Text, sizeof(Line->Text));
}

/* Who acts for Event: the dispatch routine running on its thread, the DPC
   running on it, or the thread. */
static ULONG TracepActor(TRACEP_MERMAID *M, const IRPSIM_TRACE_EVENT *Event)
{
    ULONG_PTR Key = (ULONG_PTR)Event->ThreadId + 1;
    ULONG Value;
    const TRACE_THREAD *Thread;
    if (TraceMapFind(&M->Top, Key, &Value) && Value != TRACE_NONE)
        return M->Frames[Value].Party;
    Thread = TraceFindThreadLocked(Event->ThreadId);
    if ((TraceMapFind(&M->InDpc, Key, &Value) && Value != 0) || (Thread != NULL && Thread->ProcessorThread))
        return TracepDpcParty(M);
    return TracepThreadParty(M, Event->ThreadId);
}

/* The actor, except that a thread other than the IRP's issuer, acting
   outside any dispatch routine, is drawn as the device holding the IRP (a
   driver's own thread); Via then names that thread, for the message. */
static ULONG TracepIrpActor(TRACEP_MERMAID *M, const IRPSIM_TRACE_EVENT *Event, ULONG HolderGuess, PCHAR Via,
                            SIZE_T ViaSize)
{
    ULONG Actor = TracepActor(M, Event);
    TRACEP_IRP *Irp = TracepIrp(M, Event->ObjectNumber);
    ULONG Holder = HolderGuess;
    Via[0] = 0;
    if (M->Parties[Actor].Kind != TracepPartyThread || Irp == NULL || Irp->Issuer == Actor)
        return Actor;
    if (Holder == TRACE_NONE)
        Holder = Irp->Holder;
    if (Holder == TRACE_NONE)
        return Actor;
    {
        const TRACE_THREAD *Thread = TraceFindThreadLocked(Event->ThreadId);
        snprintf(Via, ViaSize, " (on %s thread T%u)", Thread != NULL && Thread->SystemThread ? "system" : "application",
                 (unsigned)Event->ThreadId);
    }
    return Holder;
}

static ULONG TracepLocationParty(TRACEP_MERMAID *M, ULONG Number, LONG Location)
{
    ULONG Party;
    if (Number != 0 && TraceMapFind(&M->Locations, ((ULONG_PTR)Number << 8) | (ULONG_PTR)(Location & 0xFF), &Party))
        return Party;
    return TRACE_NONE;
}

static BOOLEAN TracepSelected(TRACEP_MERMAID *M, ULONG Number)
{
    if (M->Options->IrpCount == 0 || M->Options->Irps == NULL)
        return TRUE;
    for (ULONG i = 0; i < M->Options->IrpCount; i++) {
        if (M->Options->Irps[i] == Number)
            return TRUE;
    }
    return FALSE;
}

static VOID TracepStatusText(ULONG_PTR Value, PCHAR Buffer, SIZE_T Size)
{
    TraceFormatStatus((NTSTATUS)(ULONG)Value, Buffer, Size);
}

/* A call on a DPC or timer: an arrow from whoever made it to DPC / Timer,
   or a note there when a DPC made it. */
static VOID TracepToDpcParty(TRACEP_MERMAID *M, const IRPSIM_TRACE_EVENT *Event, PCSTR Call)
{
    ULONG Actor = TracepActor(M, Event);
    if (Actor == TracepDpcParty(M))
        TracepLine(M, TracepNote, Actor, Actor, "%s %s", Call, Event->ObjectName);
    else
        TracepLine(M, TracepArrow, Actor, TracepDpcParty(M), "%s %s", Call, Event->ObjectName);
}

/* "KeClearEvent EVENT#2", "KeReleaseSemaphore SEM#1 (count 0 -> 1)", ... */
static VOID TracepSynchronizationText(const IRPSIM_TRACE_EVENT *Event, PCHAR Buffer, SIZE_T Size)
{
    const ULONG_PTR *A = Event->Argument;
    switch (Event->Kind) {
    case IrpSimTraceEventSet:
        snprintf(Buffer, Size, "%s %s", A[1] ? "KePulseEvent" : "KeSetEvent", Event->ObjectName);
        break;
    case IrpSimTraceEventReset:
        snprintf(Buffer, Size, "%s %s", A[1] ? "KeClearEvent" : "KeResetEvent", Event->ObjectName);
        break;
    case IrpSimTraceSemaphoreReleased:
        snprintf(Buffer, Size, "KeReleaseSemaphore %s (count %ld -> %lld)", Event->ObjectName, (long)(LONG)A[0],
                 (long long)(LONG)A[0] + (long long)(LONG)A[1]);
        break;
    default:
        snprintf(Buffer, Size, "KeReleaseMutex %s%s", Event->ObjectName, A[1] ? " (free)" : "");
        break;
    }
}

/* Keeps the per-thread state (dispatch stacks, DPCs) for every event, even
   the ones not drawn, so the actors stay right. */
static VOID TracepTrackEvent(TRACEP_MERMAID *M, ULONG i, BOOLEAN Draw)
{
    const IRPSIM_TRACE_EVENT *Event = &M->Events[i];
    ULONG_PTR Key = (ULONG_PTR)Event->ThreadId + 1;
    const ULONG_PTR *A = Event->Argument;
    TRACEP_IRP *Irp = NULL;
    CHAR Status[40];
    CHAR Via[96];
    ULONG Actor;
    ULONG Top;

    if (Event->Irql < DISPATCH_LEVEL && !TraceMapSet(&M->InDpc, Key, 0))
        M->OutOfMemory = TRUE;
    if (TraceIsIrpKind(Event->Kind)) {
        Irp = TracepIrp(M, Event->ObjectNumber);
        if (Event->ObjectNumber != 0 && !TraceMapSet(&M->IrpByAddress, (ULONG_PTR)Event->Object, Event->ObjectNumber))
            M->OutOfMemory = TRUE;
    }

    switch (Event->Kind) {
    case IrpSimTraceIrpAllocated:
        Actor = TracepActor(M, Event);
        if (Irp != NULL) {
            Irp->Issuer = Actor;
            Irp->ByIoManager = A[1] == IrpSimIrpOriginIoManager;
        }
        if (Draw && M->Options->ShowIrpLifetime)
            TracepLine(M, TracepNote, Actor, Actor, "%s allocated (%s, %u locations)", Event->ObjectName,
                       TraceOriginName(A[1]), (unsigned)A[0]);
        break;
    case IrpSimTraceIrpFreed:
        /* Who called IoFreeIrp is not always known (a completion routine has
           no event of its own until it returns): the I/O manager notes it. */
        if (Draw && M->Options->ShowIrpLifetime)
            TracepLine(M, TracepNote, M->Io, M->Io, "%s freed", Event->ObjectName);
        break;
    case IrpSimTraceIrpCallDriver: {
        ULONG Device = TracepDeviceParty(M, (PVOID)A[0], Event->Sequence);
        PCSTR Major = TraceMajorName((ULONG)(A[2] >> 8));
        Actor = TracepActor(M, Event);
        if (Irp != NULL) {
            if (Irp->Issuer == TRACE_NONE)
                Irp->Issuer = Actor;
            Irp->Holder = Device;
            /* A thread's request the I/O manager built is sent by the I/O manager. */
            if (Irp->ByIoManager && M->Parties[Actor].Kind == TracepPartyThread)
                Actor = M->Io;
        }
        if (Event->ObjectNumber != 0 &&
            !TraceMapSet(&M->Locations, ((ULONG_PTR)Event->ObjectNumber << 8) | (A[1] & 0xFF), Device))
            M->OutOfMemory = TRUE;
        /* Lower devices to the right of the devices that call them. */
        if (M->Parties[Actor].Kind == TracepPartyDevice && Actor != Device && M->Parties[Actor].Depth < 64 &&
            M->Parties[Device].Depth <= M->Parties[Actor].Depth)
            M->Parties[Device].Depth = M->Parties[Actor].Depth + 1;
        if (Draw)
            TracepLine(M, TracepArrow, Actor, Device, "IoCallDriver %s %s", Event->ObjectName,
                       Major != NULL ? Major : "IRP_MJ_?");
        /* Enters the dispatch routine. */
        M->Frames[M->FrameCount].Irp = Event->Object;
        M->Frames[M->FrameCount].Device = (PVOID)A[0];
        M->Frames[M->FrameCount].Party = Device;
        M->Frames[M->FrameCount].Below = TraceMapFind(&M->Top, Key, &Top) ? Top : TRACE_NONE;
        if (!TraceMapSet(&M->Top, Key, M->FrameCount))
            M->OutOfMemory = TRUE;
        M->FrameCount++;
        break;
    }
    case IrpSimTraceIrpDispatchReturned: {
        ULONG Frame = TraceMapFind(&M->Top, Key, &Top) ? Top : TRACE_NONE;
        ULONG Device = TracepDeviceParty(M, (PVOID)A[0], Event->Sequence);
        while (Frame != TRACE_NONE &&
               !(M->Frames[Frame].Irp == Event->Object && M->Frames[Frame].Device == (PVOID)A[0]))
            Frame = M->Frames[Frame].Below;
        if (Frame != TRACE_NONE && !TraceMapSet(&M->Top, Key, M->Frames[Frame].Below))
            M->OutOfMemory = TRUE;
        if (Draw) {
            ULONG Caller = TracepActor(M, Event);
            if (Irp != NULL && Irp->ByIoManager && M->Parties[Caller].Kind == TracepPartyThread)
                Caller = M->Io;
            TracepStatusText(A[1], Status, sizeof(Status));
            TracepLine(M, TracepReply, Device, Caller, "%s %s", Event->ObjectName, Status);
        }
        break;
    }
    case IrpSimTraceIrpMarkedPending:
        if (Draw) {
            Actor = TracepIrpActor(M, Event, TracepLocationParty(M, Event->ObjectNumber, (LONG)A[0]), Via, sizeof(Via));
            TracepLine(M, TracepNote, Actor, Actor, "IoMarkIrpPending %s%s", Event->ObjectName, Via);
        }
        break;
    case IrpSimTraceIrpCancelRequested:
        if (Draw)
            TracepLine(M, TracepArrow, TracepActor(M, Event), M->Io, "IoCancelIrp %s%s", Event->ObjectName,
                       A[0] != 0 ? "" : " (no cancel routine)");
        break;
    case IrpSimTraceIrpCancelRoutineRun:
        if (Draw)
            TracepLine(M, TracepArrow, M->Io, TracepDeviceParty(M, (PVOID)A[1], Event->Sequence), "cancel routine %s",
                       Event->ObjectName);
        break;
    case IrpSimTraceIrpCompleteBegin:
        if (Draw) {
            Actor = TracepIrpActor(M, Event, TracepLocationParty(M, Event->ObjectNumber, (LONG)A[2]), Via, sizeof(Via));
            TracepStatusText(A[0], Status, sizeof(Status));
            TracepLine(M, TracepArrow, Actor, M->Io, "IoCompleteRequest %s %s%s", Event->ObjectName, Status, Via);
        }
        break;
    case IrpSimTraceIrpCompletionRoutine:
        if (Draw) {
            ULONG Owner = TracepLocationParty(M, Event->ObjectNumber, (LONG)A[2]);
            /* No device had that location: the originator's routine (the
               I/O manager's own, for the requests it builds). */
            if (Owner == TRACE_NONE && Irp != NULL && Irp->ByIoManager)
                Owner = M->Io;
            else if (Owner == TRACE_NONE)
                Owner = Irp != NULL && Irp->Issuer != TRACE_NONE ? Irp->Issuer : TracepActor(M, Event);
            TracepStatusText(A[1], Status, sizeof(Status));
            TracepLine(M, Owner == M->Io ? TracepNote : TracepArrow, M->Io, Owner, "completion routine %s returned %s",
                       Event->ObjectName, Status);
        }
        break;
    case IrpSimTraceIrpCompleted:
        if (Draw) {
            ULONG To = Irp != NULL && Irp->Issuer != TRACE_NONE ? Irp->Issuer : TracepActor(M, Event);
            TracepStatusText(A[0], Status, sizeof(Status));
            TracepLine(M, TracepReply, M->Io, To, "%s completed %s", Event->ObjectName, Status);
        }
        break;
    case IrpSimTraceIrpPostProcessing:
        if (Draw && M->Options->ShowIrpLifetime && A[1] == 0)
            TracepLine(M, TracepNote, M->Io, M->Io, "%s stage 2 queued as an APC", Event->ObjectName);
        break;
    case IrpSimTraceCsqInsert:
    case IrpSimTraceCsqRemove:
    case IrpSimTraceCsqCancel:
        if (Draw) {
            Actor = TracepIrpActor(M, Event, TRACE_NONE, Via, sizeof(Via));
            TracepLine(M, TracepNote, Actor, Actor, "CSQ %s %s%s",
                       Event->Kind == IrpSimTraceCsqInsert   ? "insert"
                       : Event->Kind == IrpSimTraceCsqRemove ? "remove"
                                                             : "cancel",
                       Event->ObjectName, Via);
        }
        break;
    case IrpSimTraceStartIo:
        if (Draw)
            TracepLine(M, TracepArrow, M->Io, TracepDeviceParty(M, (PVOID)A[0], Event->Sequence), "StartIo %s",
                       Event->ObjectName);
        break;
    case IrpSimTraceDpcQueued:
        if (Draw && A[1] != 0)
            TracepToDpcParty(M, Event, "KeInsertQueueDpc");
        break;
    case IrpSimTraceDpcRun:
        if (!TraceMapSet(&M->InDpc, Key, 1))
            M->OutOfMemory = TRUE;
        if (Draw)
            TracepLine(M, TracepNote, TracepDpcParty(M), TracepDpcParty(M), "%s runs on CPU %u", Event->ObjectName,
                       (unsigned)A[1]);
        break;
    case IrpSimTraceTimerSet:
    case IrpSimTraceTimerCancelled:
        if (Draw)
            TracepToDpcParty(M, Event, Event->Kind == IrpSimTraceTimerSet ? "KeSetTimer" : "KeCancelTimer");
        break;
    case IrpSimTraceTimerFired:
        if (Draw)
            TracepLine(M, TracepNote, TracepDpcParty(M), TracepDpcParty(M), "%s fires", Event->ObjectName);
        break;
    case IrpSimTraceDpcRemoved:
        /* Only a DPC taken off a queue changes anything. */
        if (Draw && A[0] != 0)
            TracepToDpcParty(M, Event, "KeRemoveQueueDpc");
        break;
    case IrpSimTraceIoTimer:
        if (Draw)
            TracepLine(M, TracepArrow, TracepDpcParty(M), TracepDeviceParty(M, Event->Object, Event->Sequence),
                       "IoTimer routine on CPU %u", (unsigned)Event->Processor);
        break;
    case IrpSimTraceApcRun:
        /* A special kernel APC is an IRP's stage 2 (drawn with the IRP's
           lifetime); the others are the driver's or the application's. */
        if (Draw && (A[1] != IRPSIM_TRACE_APC_SPECIAL || M->Options->ShowIrpLifetime)) {
            Actor = TracepThreadParty(M, Event->ThreadId);
            TracepLine(M, TracepNote, Actor, Actor, "%s %s APC runs", Event->ObjectName, TraceApcKindName(A[1]));
        }
        break;
    case IrpSimTraceEventSet:
    case IrpSimTraceEventReset:
    case IrpSimTraceSemaphoreReleased:
    case IrpSimTraceMutexReleased:
        if (Draw && M->Options->ShowSynchronization) {
            CHAR What[100];
            TracepSynchronizationText(Event, What, sizeof(What));
            Actor = TracepActor(M, Event);
            TracepLine(M, TracepNote, Actor, Actor, "%s", What);
        }
        break;
    case IrpSimTraceBugCheck:
        if (Draw)
            TracepLine(M, TracepNoteAll, M->Io, M->Io, "BUG CHECK 0x%X (P1 0x%llx)", (unsigned)A[0],
                       (unsigned long long)A[1]);
        break;
    case IrpSimTraceVerifier:
        if (Draw) {
            Actor = TracepActor(M, Event);
            TracepLine(M, TracepNote, Actor, Actor, "verifier 0x%X/0x%llx", (unsigned)A[0], (unsigned long long)A[1]);
        }
        break;
    case IrpSimTraceWin32Call: {
        ULONG Number = 0;
        BOOLEAN Show = Draw;
        CHAR Call[100];
        if (A[0] != 0 && TraceMapFind(&M->IrpByAddress, A[0], &Number))
            Show = TracepSelected(M, Number);
        else if (M->Options->IrpCount != 0)
            Show = FALSE;
        TraceCopyText(Call, sizeof(Call), Event->Text);
        Actor = TracepActor(M, Event);
        if (Show) {
            if (Number != 0)
                TracepLine(M, TracepArrow, Actor, M->Io, "%s (IRP#%u)", Call, (unsigned)Number);
            else
                TracepLine(M, TracepArrow, Actor, M->Io, "%s", Call);
        }
        if (!TraceMapSet(&M->Win32Drawn, Key, Show))
            M->OutOfMemory = TRUE;
        break;
    }
    case IrpSimTraceWin32Return: {
        ULONG Shown = 0;
        if (TraceMapFind(&M->Win32Drawn, Key, &Shown) && Shown) {
            CHAR Call[100];
            TraceCopyText(Call, sizeof(Call), Event->Text);
            TracepLine(M, TracepReply, M->Io, TracepActor(M, Event), "%s returned %lld (error %lu)", Call,
                       (long long)(LONG_PTR)A[0], (unsigned long)A[1]);
        }
        if (!TraceMapSet(&M->Win32Drawn, Key, 0))
            M->OutOfMemory = TRUE;
        break;
    }
    case IrpSimTraceNote:
        if (Draw) {
            CHAR Text[100];
            SIZE_T Length;
            snprintf(Text, sizeof(Text), "%s", Event->Text);
            Length = strlen(Text);
            while (Length > 0 && (Text[Length - 1] == '\n' || Text[Length - 1] == '\r'))
                Text[--Length] = 0;
            Actor = TracepActor(M, Event);
            TracepLine(M, TracepNote, Actor, Actor, "%s", Text);
        }
        break;
    case IrpSimTraceIrpCompletionRoutineStart:
        /* Not drawn: IrpCompletionRoutine draws the call once it returns,
           with its result, so each routine stays one arrow. */
        break;
    default:
        break;
    }
}

/* Marks where at least one selected IRP is alive, so the DPCs and timers
   drawn are the ones around the IRPs asked for. */
static BOOLEAN TracepMarkLive(TRACEP_MERMAID *M)
{
    TRACE_MAP First = {0};
    TRACE_MAP Last = {0};
    BOOLEAN Ok = TRUE;
    ULONG Value;

    M->Live = (LONG *)calloc((SIZE_T)M->Count + 1, sizeof(*M->Live));
    if (M->Live == NULL)
        return FALSE;
    for (ULONG i = 0; i < M->Count; i++) {
        const IRPSIM_TRACE_EVENT *Event = &M->Events[i];
        if (!TraceIsIrpKind(Event->Kind) || Event->ObjectNumber == 0 || !TracepSelected(M, Event->ObjectNumber))
            continue;
        if (!TraceMapFind(&First, Event->ObjectNumber, &Value))
            Ok &= TraceMapSet(&First, Event->ObjectNumber, i);
        Ok &= TraceMapSet(&Last, Event->ObjectNumber, i);
    }
    for (ULONG s = 0; s < First.Capacity; s++) {
        ULONG Start, End;
        if (First.Keys[s] == 0)
            continue;
        Start = First.Values[s];
        if (TraceMapFind(&Last, First.Keys[s], &End)) {
            M->Live[Start]++;
            M->Live[End + 1]--;
        }
    }
    for (ULONG i = 1; i <= M->Count; i++)
        M->Live[i] += M->Live[i - 1];
    TraceMapFree(&First);
    TraceMapFree(&Last);
    return Ok;
}

/* Participants left to right: issuing threads, the I/O manager, devices
   from the top of the stack down, DPC / Timer. */
static ULONG TracepOrderParties(TRACEP_MERMAID *M, ULONG *Order)
{
    static const TRACEP_PARTY_KIND Kinds[] = {TracepPartyThread, TracepPartyIo, TracepPartyDevice, TracepPartyDpc};
    ULONG Count = 0;
    ULONG MaxDepth = 0;
    for (ULONG p = 0; p < M->PartyCount; p++) {
        if (M->Parties[p].Depth > MaxDepth)
            MaxDepth = M->Parties[p].Depth;
    }
    for (ULONG k = 0; k < RTL_NUMBER_OF(Kinds); k++) {
        for (ULONG Depth = 0; Depth <= (Kinds[k] == TracepPartyDevice ? MaxDepth : 0); Depth++) {
            for (ULONG p = 0; p < M->PartyCount; p++) {
                const TRACEP_PARTY *Party = &M->Parties[p];
                if (Party->Kind == Kinds[k] && (Party->Used || Party->Kind == TracepPartyIo) &&
                    (Party->Kind != TracepPartyDevice || Party->Depth == Depth))
                    Order[Count++] = p;
            }
        }
    }
    return Count;
}

static VOID TracepWriteDiagram(TRACEP_MERMAID *M, FILE *Stream)
{
    ULONG *Order = (ULONG *)calloc(M->PartyCount, sizeof(*Order));
    ULONG Declared;
    ULONG Apps = 0;

    if (Order == NULL)
        return;
    Declared = TracepOrderParties(M, Order);
    if (M->Options->Fenced)
        fputs("```mermaid\n", Stream);
    fputs("sequenceDiagram\n", Stream);
    if (M->Options->Title != NULL) {
        CHAR Title[160];
        TraceMermaidText(M->Options->Title, Title, sizeof(Title));
        fprintf(Stream, "    title %s\n", Title);
    }
    /* One application thread is simply "App/Test". */
    for (ULONG d = 0; d < Declared; d++) {
        const TRACEP_PARTY *Party = &M->Parties[Order[d]];
        if (Party->Kind == TracepPartyThread && strncmp(Party->Label, "App/Test", 8) == 0)
            Apps++;
    }
    for (ULONG d = 0; d < Declared; d++) {
        const TRACEP_PARTY *Party = &M->Parties[Order[d]];
        if (Party->Kind == TracepPartyThread && Apps == 1 && strncmp(Party->Label, "App/Test", 8) == 0)
            fprintf(Stream, "    participant %s as App/Test\n", Party->Id);
        else
            fprintf(Stream, "    participant %s as %s\n", Party->Id, Party->Label);
    }
    for (ULONG l = 0; l < M->LineCount; l++) {
        const TRACEP_LINE *Line = &M->Lines[l];
        PCSTR From = M->Parties[Line->From].Id;
        PCSTR To = M->Parties[Line->To].Id;
        switch (Line->Kind) {
        case TracepArrow:
            fprintf(Stream, "    %s->>%s: %s\n", From, To, Line->Text);
            break;
        case TracepReply:
            fprintf(Stream, "    %s-->>%s: %s\n", From, To, Line->Text);
            break;
        case TracepNote:
            fprintf(Stream, "    Note over %s: %s\n", From, Line->Text);
            break;
        case TracepNoteAll:
            /* Across the whole diagram. */
            if (Declared > 1)
                fprintf(Stream, "    Note over %s,%s: %s\n", M->Parties[Order[0]].Id,
                        M->Parties[Order[Declared - 1]].Id, Line->Text);
            else
                fprintf(Stream, "    Note over %s: %s\n", M->Parties[M->Io].Id, Line->Text);
            break;
        }
    }
    if (M->LineCount == 0)
        fprintf(Stream, "    Note over %s: no IRP activity traced\n", M->Parties[M->Io].Id);
    if (M->Omitted != 0)
        fprintf(Stream, "    Note over %s: ... %u more not drawn\n", M->Parties[M->Io].Id, (unsigned)M->Omitted);
    if (M->Options->Fenced)
        fputs("```\n", Stream);
    free(Order);
}

BOOLEAN TraceMermaidHasContent(const IRPSIM_TRACE_EVENT *Events, ULONG Count)
{
    for (ULONG i = 0; i < Count; i++) {
        switch (Events[i].Kind) {
        case IrpSimTraceIrpCallDriver:
        case IrpSimTraceIrpCompleteBegin:
        case IrpSimTraceIrpCancelRequested:
        case IrpSimTraceDpcRun:
        case IrpSimTraceTimerSet:
        case IrpSimTraceIoTimer:
        case IrpSimTraceBugCheck:
        case IrpSimTraceNote:
        case IrpSimTraceWin32Call:
            return TRUE;
        default:
            break;
        }
    }
    return FALSE;
}

ULONG TraceMermaidWriteLocked(FILE *Stream, const IRPSIM_TRACE_EVENT *Events, ULONG Count,
                              const IRPSIM_TRACE_MERMAID_OPTIONS *Options)
{
    TRACEP_MERMAID M;
    ULONG Drawn;

    memset(&M, 0, sizeof(M));
    M.Events = Events;
    M.Count = Count;
    M.Options = Options;
    M.Dpc = TRACE_NONE;
    M.Io = TracepAddParty(&M, TracepPartyIo, "IO", "I/O manager");
    M.Frames = (TRACEP_FRAME *)calloc((SIZE_T)Count + 1, sizeof(*M.Frames));
    if (M.Frames == NULL || M.OutOfMemory || (Options->IrpCount != 0 && !TracepMarkLive(&M))) {
        fprintf(stderr, "irpsim: out of host memory rendering the Mermaid diagram\n");
        M.LineCount = 0;
    } else {
        for (ULONG i = 0; i < Count; i++) {
            const IRPSIM_TRACE_EVENT *Event = &Events[i];
            BOOLEAN Draw;
            if (TraceIsIrpKind(Event->Kind))
                Draw = TracepSelected(&M, Event->ObjectNumber);
            else
                Draw = Options->IrpCount == 0 || M.Live[i] > 0;
            TracepTrackEvent(&M, i, Draw);
        }
    }
    if (M.OutOfMemory)
        fprintf(stderr, "irpsim: out of host memory rendering the Mermaid diagram (it may be incomplete)\n");
    if (M.Parties != NULL)
        TracepWriteDiagram(&M, Stream);
    Drawn = M.LineCount;
    free(M.Parties);
    free(M.Lines);
    free(M.Frames);
    free(M.Irps);
    free(M.Live);
    TraceMapFree(&M.ThreadParty);
    TraceMapFree(&M.DeviceParty);
    TraceMapFree(&M.Top);
    TraceMapFree(&M.InDpc);
    TraceMapFree(&M.IrpState);
    TraceMapFree(&M.Locations);
    TraceMapFree(&M.IrpByAddress);
    TraceMapFree(&M.Win32Drawn);
    return Drawn;
}

VOID IrpSimTraceWriteMermaid(FILE *Stream, const IRPSIM_TRACE_MERMAID_OPTIONS *Options)
{
    IRPSIM_TRACE_MERMAID_OPTIONS Effective;
    const IRPSIM_TRACE_EVENT *Events;
    ULONG Count;

    memset(&Effective, 0, sizeof(Effective));
    Effective.Size = sizeof(Effective);
    Effective.Fenced = TRUE;
    if (Options != NULL) {
        SIZE_T Size = Options->Size != 0 && Options->Size < sizeof(Effective) ? Options->Size : sizeof(Effective);
        memcpy(&Effective, Options, Size);
    }
    PalMutexLock(&TraceLock);
    Events = TraceWindowLocked(&Count);
    (void)TraceMermaidWriteLocked(Stream, Events, Count, &Effective);
    PalMutexUnlock(&TraceLock);
    fflush(Stream);
}
