/*
 * irpsim — one trace event in words: the line of the text timeline and the
 * decoded arguments the other sinks reuse.
 *
 *   seq      time       thread CPU  IRQL     event                object   what
 *    12   0.000431 s  T4    CPU0  PASSIVE  IrpCallDriver        IRP#1    to IrpSimFilter (unnamed) at location 2:
 * IRP_MJ_DEVICE_CONTROL
 */
#include "traceint.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static VOID TracepStatus(ULONG_PTR Value, PCHAR Buffer, SIZE_T Size)
{
    TraceFormatStatus((NTSTATUS)(ULONG)Value, Buffer, Size);
}

static VOID TracepThreadLabel(PVOID Thread, PCHAR Buffer, SIZE_T Size)
{
    const TRACE_THREAD *Entry = TraceFindThreadObjectLocked(Thread);
    if (Entry != NULL)
        snprintf(Buffer, Size, "T%u", (unsigned)Entry->ThreadId);
    else
        snprintf(Buffer, Size, "thread %p", Thread);
}

static VOID TracepObjectLabel(TRACE_CLASS Class, PCSTR Prefix, PVOID Pointer, PCHAR Buffer, SIZE_T Size)
{
    ULONG Number = TraceObjectNumberLocked(Class, Pointer);
    if (Number != 0)
        TraceFormatObjectName(Buffer, Size, Prefix, Number);
    else
        snprintf(Buffer, Size, "%p", Pointer);
}

/* The note's text without the newline DbgPrint lines end with. */
static VOID TracepText(const IRPSIM_TRACE_EVENT *Event, PCHAR Buffer, SIZE_T Size)
{
    SIZE_T Length;
    snprintf(Buffer, Size, "%s", Event->Text);
    Length = strlen(Buffer);
    while (Length > 0 && (Buffer[Length - 1] == '\n' || Buffer[Length - 1] == '\r'))
        Buffer[--Length] = 0;
}

VOID TraceDescribeLocked(const IRPSIM_TRACE_EVENT *Event, PCHAR Buffer, SIZE_T Size)
{
    const ULONG_PTR *A = Event->Argument;
    CHAR Status[40];
    CHAR Name[64];
    CHAR Text[100];

    Buffer[0] = 0;
    switch (Event->Kind) {
    case IrpSimTraceIrpAllocated:
        snprintf(Buffer, Size, "%u stack locations, by %s", (unsigned)A[0], TraceOriginName(A[1]));
        break;
    case IrpSimTraceIrpCallDriver: {
        PCSTR Major = TraceMajorName((ULONG)(A[2] >> 8));
        TraceDeviceLabelLocked((PVOID)A[0], Event->Sequence, Name, sizeof(Name));
        if (Major != NULL && (A[2] & 0xFF) == 0)
            snprintf(Buffer, Size, "to %s at location %d: %s", Name, (int)A[1], Major);
        else if (Major != NULL)
            snprintf(Buffer, Size, "to %s at location %d: %s minor 0x%x", Name, (int)A[1], Major,
                     (unsigned)(A[2] & 0xFF));
        else
            snprintf(Buffer, Size, "to %s at location %d: major 0x%x minor 0x%x", Name, (int)A[1],
                     (unsigned)(A[2] >> 8), (unsigned)(A[2] & 0xFF));
        break;
    }
    case IrpSimTraceIrpDispatchReturned:
        TraceDeviceLabelLocked((PVOID)A[0], Event->Sequence, Name, sizeof(Name));
        TracepStatus(A[1], Status, sizeof(Status));
        snprintf(Buffer, Size, "%s returned %s (location %d)", Name, Status, (int)A[2]);
        break;
    case IrpSimTraceIrpMarkedPending:
        snprintf(Buffer, Size, "IoMarkIrpPending at location %d", (int)A[0]);
        break;
    case IrpSimTraceIrpCancelRoutineSet:
        if (A[1] != 0)
            snprintf(Name, sizeof(Name), "previous %p", (PVOID)A[1]);
        else
            snprintf(Name, sizeof(Name), "none before");
        if (A[0] != 0)
            snprintf(Buffer, Size, "cancel routine %p set (%s)", (PVOID)A[0], Name);
        else
            snprintf(Buffer, Size, "cancel routine cleared (%s)", Name);
        break;
    case IrpSimTraceIrpCancelRequested:
        if (A[0] != 0)
            snprintf(Buffer, Size, "IoCancelIrp: cancel routine %p will run", (PVOID)A[0]);
        else
            snprintf(Buffer, Size, "IoCancelIrp: no cancel routine set");
        break;
    case IrpSimTraceIrpCancelRoutineRun:
        TraceDeviceLabelLocked((PVOID)A[1], Event->Sequence, Name, sizeof(Name));
        snprintf(Buffer, Size, "cancel routine %p for %s", (PVOID)A[0], Name);
        break;
    case IrpSimTraceIrpCompleteBegin:
        TracepStatus(A[0], Status, sizeof(Status));
        snprintf(Buffer, Size, "IoCompleteRequest %s, information %llu, at location %d", Status,
                 (unsigned long long)A[1], (int)A[2]);
        break;
    case IrpSimTraceIrpCompletionRoutineStart:
        if (A[1] != 0) {
            TraceDeviceLabelLocked((PVOID)A[1], Event->Sequence, Name, sizeof(Name));
            snprintf(Buffer, Size, "completion routine %p at location %d starts (for %s)", (PVOID)A[0], (int)A[2],
                     Name);
        } else {
            snprintf(Buffer, Size, "completion routine %p at location %d starts (the originator's)", (PVOID)A[0],
                     (int)A[2]);
        }
        break;
    case IrpSimTraceIrpCompletionRoutine:
        TracepStatus(A[1], Status, sizeof(Status));
        snprintf(Buffer, Size, "completion routine %p at location %d returned %s", (PVOID)A[0], (int)A[2], Status);
        break;
    case IrpSimTraceIrpCompleted:
        TracepStatus(A[0], Status, sizeof(Status));
        snprintf(Buffer, Size, "%s, information %llu%s", Status, (unsigned long long)A[1],
                 A[2] == 0   ? ""
                 : A[2] == 1 ? " (error not reported to the caller)"
                             : " (no thread: freed)");
        break;
    case IrpSimTraceIrpPostProcessing:
        TracepThreadLabel((PVOID)A[0], Name, sizeof(Name));
        snprintf(Buffer, Size, "stage 2 for %s %s", Name, A[1] ? "runs now" : "queued as an APC");
        break;
    case IrpSimTraceCsqInsert:
    case IrpSimTraceCsqRemove:
    case IrpSimTraceCsqCancel:
        TracepObjectLabel(TraceClassCsq, "CSQ", (PVOID)A[0], Name, sizeof(Name));
        snprintf(Buffer, Size, "%s %s",
                 Event->Kind == IrpSimTraceCsqInsert   ? "into"
                 : Event->Kind == IrpSimTraceCsqRemove ? "out of"
                                                       : "cancelled in",
                 Name);
        break;
    case IrpSimTraceDeviceQueueInsert:
        snprintf(Buffer, Size, "entry %p %s (key %llu)", (PVOID)A[0],
                 A[1] ? "queued" : "not queued: the device was idle, now busy", (unsigned long long)A[2]);
        break;
    case IrpSimTraceDeviceQueueRemove:
        if (A[0] != 0)
            snprintf(Buffer, Size, "entry %p removed", (PVOID)A[0]);
        else
            snprintf(Buffer, Size, "empty: the device is idle");
        break;
    case IrpSimTraceStartIo:
        TraceDeviceLabelLocked((PVOID)A[0], Event->Sequence, Name, sizeof(Name));
        snprintf(Buffer, Size, "StartIo of %s", Name);
        break;
    case IrpSimTraceDpcQueued:
        snprintf(Buffer, Size, "for CPU %u%s", (unsigned)A[0], A[1] ? "" : " (already queued)");
        break;
    case IrpSimTraceDpcRun:
        snprintf(Buffer, Size, "routine %p on CPU %u", (PVOID)A[0], (unsigned)A[1]);
        break;
    case IrpSimTraceTimerSet: {
        ULONGLONG Micro = (ULONGLONG)A[0] / 10;
        snprintf(Buffer, Size, "due at %llu.%06llu s, period %u ms", Micro / 1000000ULL, Micro % 1000000ULL,
                 (unsigned)A[1]);
        break;
    }
    case IrpSimTraceTimerFired:
        if (A[0] != 0) {
            TracepObjectLabel(TraceClassDpc, "DPC", (PVOID)A[0], Name, sizeof(Name));
            snprintf(Buffer, Size, "queues %s", Name);
        } else {
            snprintf(Buffer, Size, "no DPC");
        }
        break;
    case IrpSimTraceTimerCancelled:
        snprintf(Buffer, Size, "%s", A[0] ? "was set" : "was not set");
        break;
    case IrpSimTraceEventSet:
        snprintf(Buffer, Size, "previous state %ld%s", (long)A[0], A[1] ? " (pulse)" : "");
        break;
    case IrpSimTraceWaitBegin:
        if (A[1] != 0)
            snprintf(Buffer, Size, "%u object(s), timeout %lld (100 ns)", (unsigned)A[0], (long long)(LONGLONG)A[1]);
        else
            snprintf(Buffer, Size, "%u object(s), no timeout", (unsigned)A[0]);
        break;
    case IrpSimTraceWaitEnd:
        TracepStatus(A[0], Status, sizeof(Status));
        snprintf(Buffer, Size, "%s", Status);
        break;
    case IrpSimTraceThreadStart:
        if (A[0] != 0)
            snprintf(Buffer, Size, "start routine %p", (PVOID)A[0]);
        break;
    case IrpSimTraceThreadExit:
        TracepStatus(A[0], Status, sizeof(Status));
        snprintf(Buffer, Size, "exit status %s", Status);
        break;
    case IrpSimTraceWorkItem:
        snprintf(Buffer, Size, "routine %p %s", (PVOID)A[0], A[1] == 0 ? "queued" : A[1] == 1 ? "starts" : "returned");
        break;
    case IrpSimTraceDriverLoaded:
        TracepStatus(A[0], Status, sizeof(Status));
        snprintf(Buffer, Size, "DriverEntry returned %s", Status);
        break;
    case IrpSimTraceDriverUnloaded:
        snprintf(Buffer, Size, "DriverUnload returned");
        break;
    case IrpSimTraceDeviceCreated:
    case IrpSimTraceDeviceDeleted:
        snprintf(Buffer, Size, "%s", Event->Text);
        break;
    case IrpSimTraceWin32Call:
        TracepText(Event, Text, sizeof(Text));
        if (A[0] != 0) {
            TracepObjectLabel(TraceClassIrp, "IRP", (PVOID)A[0], Name, sizeof(Name));
            snprintf(Buffer, Size, "%s, sends %s", Text, Name);
        } else {
            snprintf(Buffer, Size, "%s", Text);
        }
        break;
    case IrpSimTraceWin32Return:
        TracepText(Event, Text, sizeof(Text));
        snprintf(Buffer, Size, "%s returned %lld, last error %lu", Text, (long long)(LONG_PTR)A[0],
                 (unsigned long)A[1]);
        break;
    case IrpSimTraceBugCheck:
        snprintf(Buffer, Size, "BUG CHECK 0x%X (0x%llx)", (unsigned)A[0], (unsigned long long)A[1]);
        break;
    case IrpSimTraceVerifier:
        snprintf(Buffer, Size, "verifier 0x%X/0x%llx", (unsigned)A[0], (unsigned long long)A[1]);
        break;
    case IrpSimTraceDebugPrint:
    case IrpSimTraceNote:
        TracepText(Event, Text, sizeof(Text));
        snprintf(Buffer, Size, "\"%s\"", Text);
        break;
    case IrpSimTraceDpcRemoved:
        if (A[0])
            snprintf(Buffer, Size, "KeRemoveQueueDpc: removed from CPU %u's queue, will not run", (unsigned)A[1]);
        else
            snprintf(Buffer, Size, "KeRemoveQueueDpc: was not queued");
        break;
    case IrpSimTraceApcRun:
        if (A[2] != 0)
            snprintf(Buffer, Size, "%s APC: kernel routine %p, normal routine %p", TraceApcKindName(A[1]), (PVOID)A[0],
                     (PVOID)A[2]);
        else
            snprintf(Buffer, Size, "%s APC: kernel routine %p", TraceApcKindName(A[1]), (PVOID)A[0]);
        break;
    case IrpSimTraceSemaphoreReleased:
        snprintf(Buffer, Size, "count %ld -> %lld (limit %ld)", (long)(LONG)A[0],
                 (long long)(LONG)A[0] + (long long)(LONG)A[1], (long)(LONG)A[2]);
        break;
    case IrpSimTraceMutexReleased:
        snprintf(Buffer, Size, "returned %ld%s", (long)(LONG)A[0], A[1] ? ", now free" : ", still owned");
        break;
    case IrpSimTraceIoTimer:
        snprintf(Buffer, Size, "IoTimer routine %p (context %p)", (PVOID)A[0], (PVOID)A[1]);
        break;
    case IrpSimTraceEventReset:
        snprintf(Buffer, Size, "%s, previous state %ld", A[1] ? "KeClearEvent" : "KeResetEvent", (long)(LONG)A[0]);
        break;
    case IrpSimTraceIrpFreed:
    default:
        break;
    }
}

VOID TraceFormatLineLocked(const IRPSIM_TRACE_EVENT *Event, PCHAR Buffer, SIZE_T Size)
{
    ULONGLONG Micro = Event->Time / 10;
    CHAR Thread[16];
    CHAR Irql[16];
    CHAR What[200];

    if (Event->ThreadId != 0)
        snprintf(Thread, sizeof(Thread), "T%u", (unsigned)Event->ThreadId);
    else
        snprintf(Thread, sizeof(Thread), "-");
    TraceDescribeLocked(Event, What, sizeof(What));
    snprintf(Buffer, Size, "%6llu %4llu.%06llu s  %-5s CPU%-2u %-8s %-20s %-10s %s",
             (unsigned long long)Event->Sequence, Micro / 1000000ULL, Micro % 1000000ULL, Thread,
             (unsigned)Event->Processor, TraceIrqlName(Event->Irql, Irql, sizeof(Irql)),
             IrpSimTraceKindName(Event->Kind), Event->ObjectName[0] != 0 ? Event->ObjectName : "-", What);
}

VOID IrpSimTraceFormat(const IRPSIM_TRACE_EVENT *Event, PCHAR Buffer, SIZE_T Size)
{
    if (Size == 0)
        return;
    PalMutexLock(&TraceLock);
    TraceFormatLineLocked(Event, Buffer, Size);
    PalMutexUnlock(&TraceLock);
}
