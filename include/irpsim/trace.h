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
    /* IRPs. Object = the IRP (named IRP#n: a new n at each IrpAllocated). */
    IrpSimTraceIrpAllocated,         /* A1 = stack count, A2 = origin (IRPSIM_IRP_ORIGIN) */
    IrpSimTraceIrpFreed,             /* */
    IrpSimTraceIrpCallDriver,        /* A1 = device, A2 = stack location (CurrentLocation), A3 = major<<8|minor */
    IrpSimTraceIrpDispatchReturned,  /* A1 = device, A2 = status returned, A3 = stack location */
    IrpSimTraceIrpMarkedPending,     /* A1 = stack location */
    IrpSimTraceIrpCancelRoutineSet,  /* A1 = new routine (0 = cleared), A2 = previous */
    IrpSimTraceIrpCancelRequested,   /* A1 = routine found (0 = none) */
    IrpSimTraceIrpCancelRoutineRun,  /* A1 = routine, A2 = device */
    IrpSimTraceIrpCompleteBegin,     /* A1 = status, A2 = information, A3 = stack location */
    IrpSimTraceIrpCompletionRoutine, /* after it returned: A1 = routine, A2 = returned status, A3 = its
                                        stack location (StackCount + 1 = the originator's) */
    IrpSimTraceIrpCompleted,         /* stage 2 done: A1 = final status, A2 = information,
                                        A3 = 0 reported, 1 error not reported, 2 no thread to report to */
    IrpSimTraceIrpPostProcessing,    /* stage 2 for thread A1: A2 = 1 runs now, 0 queued as an APC */
    /* Queues. */
    IrpSimTraceCsqInsert,         /* Object = IRP, A1 = the IO_CSQ */
    IrpSimTraceCsqRemove,         /* Object = IRP, A1 = the IO_CSQ */
    IrpSimTraceCsqCancel,         /* Object = IRP, A1 = the IO_CSQ */
    IrpSimTraceDeviceQueueInsert, /* Object = queue, A1 = entry, A2 = inserted (FALSE = device was idle), A3 = key */
    IrpSimTraceDeviceQueueRemove, /* Object = queue, A1 = entry (0 = now idle), A2 = key */
    IrpSimTraceStartIo,           /* Object = IRP, A1 = device */
    /* Kernel. */
    IrpSimTraceDpcQueued,      /* Object = KDPC, A1 = processor, A2 = inserted */
    IrpSimTraceDpcRun,         /* Object = KDPC, A1 = routine, A2 = processor (before the routine runs) */
    IrpSimTraceTimerSet,       /* Object = KTIMER, A1 = due (interrupt time), A2 = period ms */
    IrpSimTraceTimerFired,     /* Object = KTIMER, A1 = its KDPC (0 = none), A2 = period ms */
    IrpSimTraceTimerCancelled, /* Object = KTIMER, A1 = was set */
    IrpSimTraceEventSet,       /* Object = KEVENT, A1 = previous state, A2 = pulse */
    IrpSimTraceWaitBegin,      /* Object = first object, A1 = count, A2 = timeout (0 = none) */
    IrpSimTraceWaitEnd,        /* Object = first object, A1 = status */
    IrpSimTraceThreadStart,    /* Object = thread, A1 = start routine (0 = a host thread) */
    IrpSimTraceThreadExit,     /* Object = thread, A1 = exit status */
    IrpSimTraceWorkItem,       /* Object = work item, A1 = routine, A2 = 0 queued, 1 starts, 2 returned, A3 = driver */
    /* Drivers and devices. Text = the object's name. */
    IrpSimTraceDriverLoaded,   /* Object = DRIVER_OBJECT, A1 = status */
    IrpSimTraceDriverUnloaded, /* Object = DRIVER_OBJECT */
    IrpSimTraceDeviceCreated,  /* Object = DEVICE_OBJECT, A1 = driver, A2 = device type */
    IrpSimTraceDeviceDeleted,  /* Object = DEVICE_OBJECT, A1 = driver */
    /* The application side. */
    IrpSimTraceWin32Call,   /* Text = the call, Object = handle, A1 = the IRP it made (0 = none) */
    IrpSimTraceWin32Return, /* Text = the call, A1 = result, A2 = last error */
    /* Anything else. */
    IrpSimTraceDebugPrint, /* Text = the line, A1 = component, A2 = level */
    IrpSimTraceBugCheck,   /* A1 = code, A2 = P1 */
    IrpSimTraceVerifier,   /* A1 = code, A2 = subcode; a non-fatal report */
    IrpSimTraceNote,       /* Text = a note added by a test (IrpSimTraceAddNote) or an error-log entry */
    /* More of the kernel around the IRPs. */
    IrpSimTraceDpcRemoved,        /* KeRemoveQueueDpc: Object = KDPC, A1 = TRUE removed (it will not run),
                                     FALSE it was not queued, A2 = processor whose queue held it */
    IrpSimTraceApcRun,            /* Object = KAPC, A1 = kernel routine, A2 = IRPSIM_TRACE_APC_* kind,
                                     A3 = normal routine (0 = none); on the thread that runs it, as it starts */
    IrpSimTraceSemaphoreReleased, /* KeReleaseSemaphore: Object = KSEMAPHORE, A1 = count before,
                                     A2 = adjustment, A3 = limit */
    IrpSimTraceMutexReleased,     /* KeReleaseMutex: Object = KMUTEX, A1 = returned (signal state before),
                                     A2 = TRUE the mutex is now free */
    IrpSimTraceIoTimer,           /* IoTimer routine: Object = DEVICE_OBJECT, A1 = routine, A2 = context;
                                     as the routine starts (in the device timer's DPC) */
    IrpSimTraceEventReset,        /* KeResetEvent / KeClearEvent: Object = KEVENT, A1 = previous state,
                                     A2 = TRUE KeClearEvent, FALSE KeResetEvent */
    IrpSimTraceIrpCompletionRoutineStart, /* before a completion routine is called: A1 = routine, A2 = the
                                             device it is given (0 for the originator's), A3 = its stack
                                             location (IrpCompletionRoutine follows when it returns) */
    IrpSimTraceKindCount
} IRPSIM_TRACE_KIND;

typedef struct _IRPSIM_TRACE_EVENT {
    ULONGLONG Sequence; /* 0, 1, 2, ... in the order recorded */
    ULONGLONG Time;     /* simulated interrupt time, 100 ns */
    PVOID Thread;       /* PKTHREAD */
    ULONG ThreadId;     /* the thread's id (PsGetCurrentThreadId); T<id> in renderings */
    ULONG Processor;
    KIRQL Irql;
    IRPSIM_TRACE_KIND Kind;
    PVOID Object;
    ULONG_PTR Argument[3];
    CHAR Text[96];       /* notes, debug prints; the name for driver and device events */
    ULONG ObjectNumber;  /* n in ObjectName's "IRP#n", "DPC#n", ... (0 = none) */
    CHAR ObjectName[40]; /* Object's short stable name this session: "IRP#3" (a new IRP
                            identity starts at each IrpAllocated), "DPC#1", "TIMER#2",
                            "T8" for threads, a device's name ("IrpSimFunction") */
} IRPSIM_TRACE_EVENT, *PIRPSIM_TRACE_EVENT;

/* IrpSimTraceApcRun's A2: which kind of APC ran (SEMANTICS 9.5). */
#define IRPSIM_TRACE_APC_SPECIAL 0 /* special kernel APC (no normal routine), e.g. an IRP's stage 2 */
#define IRPSIM_TRACE_APC_KERNEL  1 /* normal kernel APC */
#define IRPSIM_TRACE_APC_USER    2 /* user APC (in an alertable UserMode wait) */

/* Sinks. */
#define IRPSIM_TRACE_MEMORY  0x1 /* kept in memory for IrpSimTraceGet / queries */
#define IRPSIM_TRACE_TEXT    0x2 /* a readable timeline written as events happen */
#define IRPSIM_TRACE_CHROME  0x4 /* Chrome trace-event JSON written at IrpSimShutdown (Perfetto) */
#define IRPSIM_TRACE_MERMAID 0x8 /* a Mermaid sequence diagram written at IrpSimShutdown */
#define IRPSIM_TRACE_ALL     0xF

/* Turns tracing on with the given sinks (0 = off). The text sink writes to
   Stream (stderr if NULL); the Chrome and Mermaid sinks keep the events and
   write their files when the session ends (IrpSimShutdown), to the file set
   with IrpSimTraceSetFile or by the environment, else
   irpsim-trace-<program>.json / .md in the current directory.
   Environment (read at IrpSimInitialize; adds to what the program enables,
   which cannot switch it off):
     IRPSIM_TRACE=memory,text,chrome,mermaid (or all)
     IRPSIM_TRACE_FILE=prefix        files prefix.txt, prefix.json, prefix.md
                                     (%n in any path = the program's name)
     IRPSIM_TRACE_TEXT=path | -      text timeline to a file, '-' = stderr
     IRPSIM_TRACE_CHROME=path.json   (each also switches its sink on)
     IRPSIM_TRACE_MERMAID=path.md
     IRPSIM_TRACE_MERMAID_IRPS=1,3   draw only IRP#1 and IRP#3
     IRPSIM_TRACE_MERMAID_MAX=n      draw at most n arrows and notes
     IRPSIM_TRACE_MERMAID_SYNC=1     also draw event, semaphore and mutex operations
   A process that starts the machine several times appends one session
   after the other to the same files. */
VOID IrpSimTraceEnable(_In_ ULONG Sinks, _In_opt_ FILE *Stream);
/* The sinks in force (the program's and the environment's). */
ULONG IrpSimTraceSinks(VOID);
/* The file the Chrome or Mermaid sink writes at shutdown (NULL = default;
   %n in a path is the program's name). The environment's choice wins.
   FALSE for other sinks. */
BOOLEAN IrpSimTraceSetFile(_In_ ULONG Sink, _In_opt_z_ PCSTR Path);
/* Forgets the events kept in memory (IrpSimTraceGet and the queries no
   longer see them; the Chrome and Mermaid files still get them). */
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
/* Writes one event as a line of the text timeline: time, thread, processor,
   IRQL, kind, object, decoded arguments. */
VOID IrpSimTraceFormat(_In_ const IRPSIM_TRACE_EVENT *Event, _Out_writes_(Size) PCHAR Buffer, _In_ SIZE_T Size);

/* ---------------------------------------------------------------------
 * Rendering the events kept in memory (since the last IrpSimTraceClear)
 * on demand. Needs the memory sink (or a file sink) on.
 * ------------------------------------------------------------------- */

/* The text timeline, one line per event. */
VOID IrpSimTraceWriteText(_In_ FILE *Stream);
/* A complete Chrome trace-event JSON document (ui.perfetto.dev opens it). */
VOID IrpSimTraceWriteChrome(_In_ FILE *Stream);

typedef struct _IRPSIM_TRACE_MERMAID_OPTIONS {
    ULONG Size;              /* sizeof(IRPSIM_TRACE_MERMAID_OPTIONS) */
    const ULONG *Irps;       /* draw only these IRPs (the n of IRP#n, see IrpSimTraceIrpNumber) */
    ULONG IrpCount;          /* 0 = every IRP */
    ULONG MaxEvents;         /* at most this many arrows and notes (0 = no limit) */
    BOOLEAN Fenced;          /* wrap in a ```mermaid fence for Markdown */
    BOOLEAN ShowIrpLifetime; /* also draw IoAllocateIrp / IoFreeIrp and stage-2 queuing */
    PCSTR Title;             /* diagram title, or NULL */
    BOOLEAN ShowSynchronization; /* also draw KeSetEvent, KeResetEvent / KeClearEvent, KeReleaseSemaphore
                                    and KeReleaseMutex (irpsim's own uses included) */
} IRPSIM_TRACE_MERMAID_OPTIONS, *PIRPSIM_TRACE_MERMAID_OPTIONS;

/* A Mermaid sequence diagram (Options may be NULL: everything, fenced). */
VOID IrpSimTraceWriteMermaid(_In_ FILE *Stream, _In_opt_ const IRPSIM_TRACE_MERMAID_OPTIONS *Options);

/* ---------------------------------------------------------------------
 * Questions about one IRP, answered from the events kept in memory.
 *
 * An IRP's address can be reused once it is freed: each IrpAllocated event
 * starts a new identity (IRP#1, IRP#2, ... in order of first appearance).
 * These routines answer for the latest identity of Irp among the events
 * kept (the one a test holding the pointer means).
 * ------------------------------------------------------------------- */

/* The n of IRP#n, or 0 if Irp is not in the trace. */
ULONG IrpSimTraceIrpNumber(_In_ PIRP Irp);
/* How many events of Kind the IRP has (IrpSimTraceNone = all of them). */
ULONG IrpSimTraceCountIrpEvents(_In_ PIRP Irp, _In_ IRPSIM_TRACE_KIND Kind);
/* The status the IRP was completed with: at IrpCompleted, else at its last
   IrpCompleteBegin. FALSE if it was never completed. */
BOOLEAN IrpSimTraceIrpFinalStatus(_In_ PIRP Irp, _Out_ PNTSTATUS Status);
/* Copies up to Max kinds of the IRP's events, in order; returns how many
   events it has (may be more than Max). */
ULONG IrpSimTraceIrpHistory(_In_ PIRP Irp, _Out_writes_opt_(Max) IRPSIM_TRACE_KIND *Kinds, _In_ ULONG Max);
/* TRUE if the IRP's history contains Kinds[0..Count) in this order (other
   events may come between): "CancelRoutineRun then CompleteBegin". */
BOOLEAN IrpSimTraceIrpHasSequence(_In_ PIRP Irp, _In_reads_(Count) const IRPSIM_TRACE_KIND *Kinds, _In_ ULONG Count);
/* Copies the IRP's Occurrence'th (0 = first) event of Kind. */
BOOLEAN IrpSimTraceIrpFindEvent(_In_ PIRP Irp, _In_ IRPSIM_TRACE_KIND Kind, _In_ ULONG Occurrence,
                                _Out_opt_ PIRPSIM_TRACE_EVENT Event);

/* ---------------------------------------------------------------------
 * Questions about any other object (a KDPC, KTIMER, KEVENT, KSEMAPHORE,
 * KMUTEX, KAPC, device, ...), answered from the events kept in memory:
 * every event whose Object is that address, whatever its kind.
 * ------------------------------------------------------------------- */

/* How many events of Kind name Object (IrpSimTraceNone = all of them). */
ULONG IrpSimTraceCountObjectEvents(_In_ PVOID Object, _In_ IRPSIM_TRACE_KIND Kind);
/* TRUE if the events naming Object contain Kinds[0..Count) in this order
   (other events may come between): "DpcQueued then DpcRemoved". */
BOOLEAN IrpSimTraceObjectHasSequence(_In_ PVOID Object, _In_reads_(Count) const IRPSIM_TRACE_KIND *Kinds,
                                     _In_ ULONG Count);
/* Copies the Occurrence'th (0 = first) event of Kind naming Object. */
BOOLEAN IrpSimTraceObjectFindEvent(_In_ PVOID Object, _In_ IRPSIM_TRACE_KIND Kind, _In_ ULONG Occurrence,
                                   _Out_opt_ PIRPSIM_TRACE_EVENT Event);

IRPSIM_EXTERN_C_END

#endif /* IRPSIM_TRACE_H */
