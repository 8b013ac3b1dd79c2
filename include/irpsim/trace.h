/*
 * irpsim — the IRP lifecycle trace.
 *
 * Every step of an IRP's life (and of the DPCs, timers, queues and waits
 * around it) is an event with the simulated time, thread, processor and
 * IRQL. Tests read events back from memory to assert on what happened;
 * other sinks (text timeline, Chrome trace JSON, Mermaid) render them.
 *
 * With tracing off, emitting an event costs one predictable branch.
 */
#ifndef IRPSIM_TRACE_H
#define IRPSIM_TRACE_H

#include <wdm.h>
#include <stdio.h>

IRPSIM_EXTERN_C_BEGIN

typedef enum _IRPSIM_TRACE_KIND {
    IrpSimTraceNone = 0,
    /* IRPs. Object = the IRP. */
    IrpSimTraceIrpAllocated,        /* A1 = stack count, A2 = origin (IRPSIM_IRP_ORIGIN) */
    IrpSimTraceIrpFreed,            /* */
    IrpSimTraceIrpCallDriver,       /* A1 = device, A2 = stack location (CurrentLocation), A3 = major<<8|minor */
    IrpSimTraceIrpDispatchReturned, /* A1 = device, A2 = status returned */
    IrpSimTraceIrpMarkedPending,    /* A1 = stack location */
    IrpSimTraceIrpCancelRoutineSet, /* A1 = new routine (0 = cleared), A2 = previous */
    IrpSimTraceIrpCancelRequested,  /* A1 = routine found (0 = none) */
    IrpSimTraceIrpCancelRoutineRun, /* A1 = routine, A2 = device */
    IrpSimTraceIrpCompleteBegin,    /* A1 = status, A2 = information, A3 = stack location */
    IrpSimTraceIrpCompletionRoutine, /* A1 = routine, A2 = returned status, A3 = stack location */
    IrpSimTraceIrpCompleted,        /* stage 2 done: A1 = final status, A2 = information */
    IrpSimTraceIrpPostProcessing,   /* stage 2 queued to the issuing thread */
    /* Queues. */
    IrpSimTraceCsqInsert,          /* Object = IRP, A1 = the IO_CSQ */
    IrpSimTraceCsqRemove,          /* Object = IRP, A1 = the IO_CSQ */
    IrpSimTraceCsqCancel,          /* Object = IRP, A1 = the IO_CSQ */
    IrpSimTraceDeviceQueueInsert,  /* Object = queue, A1 = entry, A2 = inserted (FALSE = device was idle) */
    IrpSimTraceDeviceQueueRemove,  /* Object = queue, A1 = entry (0 = now idle) */
    IrpSimTraceStartIo,            /* Object = IRP, A1 = device */
    /* Kernel. */
    IrpSimTraceDpcQueued,    /* Object = KDPC, A1 = processor, A2 = inserted */
    IrpSimTraceDpcRun,       /* Object = KDPC, A1 = routine, A2 = processor */
    IrpSimTraceTimerSet,     /* Object = KTIMER, A1 = due (interrupt time), A2 = period ms */
    IrpSimTraceTimerFired,   /* Object = KTIMER */
    IrpSimTraceTimerCancelled, /* Object = KTIMER, A1 = was set */
    IrpSimTraceEventSet,     /* Object = KEVENT, A1 = previous state */
    IrpSimTraceWaitBegin,    /* Object = first object, A1 = count, A2 = timeout (0 = none) */
    IrpSimTraceWaitEnd,      /* Object = first object, A1 = status */
    IrpSimTraceThreadStart,  /* Object = thread */
    IrpSimTraceThreadExit,   /* Object = thread, A1 = exit status */
    IrpSimTraceWorkItem,     /* Object = work item, A1 = routine */
    /* Drivers and devices. */
    IrpSimTraceDriverLoaded,   /* Object = DRIVER_OBJECT, A1 = status */
    IrpSimTraceDriverUnloaded, /* Object = DRIVER_OBJECT */
    IrpSimTraceDeviceCreated,  /* Object = DEVICE_OBJECT */
    IrpSimTraceDeviceDeleted,  /* Object = DEVICE_OBJECT */
    /* The application side. */
    IrpSimTraceWin32Call,   /* Text = the call, Object = handle, A1 = the IRP it made (0 = none) */
    IrpSimTraceWin32Return, /* Text = the call, A1 = result, A2 = last error */
    /* Anything else. */
    IrpSimTraceDebugPrint,  /* Text = the line */
    IrpSimTraceBugCheck,    /* A1 = code, A2 = P1 */
    IrpSimTraceVerifier,    /* A1 = code, A2 = subcode; a non-fatal report */
    IrpSimTraceNote,        /* Text = a note added by a test (IrpSimTraceAddNote) */
    IrpSimTraceKindCount
} IRPSIM_TRACE_KIND;

typedef struct _IRPSIM_TRACE_EVENT {
    ULONGLONG Sequence;  /* 0, 1, 2, ... in the order recorded */
    ULONGLONG Time;      /* simulated interrupt time, 100 ns */
    PVOID Thread;        /* PKTHREAD */
    ULONG ThreadId;      /* small number: 1 = first thread seen */
    ULONG Processor;
    KIRQL Irql;
    IRPSIM_TRACE_KIND Kind;
    PVOID Object;
    ULONG_PTR Argument[3];
    CHAR Text[96];
} IRPSIM_TRACE_EVENT, *PIRPSIM_TRACE_EVENT;

/* Sinks. */
#define IRPSIM_TRACE_MEMORY 0x1 /* kept in memory for IrpSimTraceGet / queries */
#define IRPSIM_TRACE_TEXT 0x2   /* a readable timeline written as events happen */

/* Turns tracing on with the given sinks (0 = off). The text sink writes to
   Stream (stderr if NULL). Environment: IRPSIM_TRACE=memory,text. */
VOID IrpSimTraceEnable(_In_ ULONG Sinks, _In_opt_ FILE *Stream);
ULONG IrpSimTraceSinks(VOID);
/* Forgets the events kept in memory. */
VOID IrpSimTraceClear(VOID);
/* Number of events kept in memory. */
ULONG IrpSimTraceCount(VOID);
/* Copies event Index (0 = oldest kept). FALSE if out of range. */
BOOLEAN IrpSimTraceGet(_In_ ULONG Index, _Out_ PIRPSIM_TRACE_EVENT Event);
/* Finds the first event at or after *Index with Kind (and Object, unless
   NULL); on success *Index is its index. */
BOOLEAN IrpSimTraceFind(_Inout_ PULONG Index, _In_ IRPSIM_TRACE_KIND Kind, _In_opt_ PVOID Object,
                        _Out_opt_ PIRPSIM_TRACE_EVENT Event);
/* Adds a note to the trace (for lessons and tests). */
VOID IrpSimTraceAddNote(_In_z_ PCSTR Text);
/* The name of a kind ("IrpCallDriver"). */
PCSTR IrpSimTraceKindName(_In_ IRPSIM_TRACE_KIND Kind);
/* Writes one event as a line of text. */
VOID IrpSimTraceFormat(_In_ const IRPSIM_TRACE_EVENT *Event, _Out_writes_(Size) PCHAR Buffer, _In_ SIZE_T Size);

IRPSIM_EXTERN_C_END

#endif /* IRPSIM_TRACE_H */
