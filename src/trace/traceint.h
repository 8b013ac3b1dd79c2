/*
 * irpsim — the trace component's own internals (shared by its files only;
 * other components include tracep.h).
 *
 * The recorder (trace.c) keeps this session's events in one array; the
 * memory sink's window (what IrpSimTraceGet and the queries see) starts at
 * TraceStore.Base, so IrpSimTraceClear can hide events from tests while the
 * file sinks still write the whole session at shutdown. Everything here is
 * protected by TraceLock. Renderers run with it held and never call back
 * into anything that records an event.
 */
#ifndef IRPSIM_TRACEINT_H
#define IRPSIM_TRACEINT_H

#include "tracep.h"
#include "../platform/pal.h"

#include <stdio.h>

#define TRACE_NONE ((ULONG)~0u)

/* The sinks that need the events kept (the file sinks render at shutdown). */
#define TRACE_STORING_SINKS (IRPSIM_TRACE_MEMORY | IRPSIM_TRACE_CHROME | IRPSIM_TRACE_MERMAID)
#define TRACE_FILE_SINKS    (IRPSIM_TRACE_CHROME | IRPSIM_TRACE_MERMAID)

extern PAL_MUTEX TraceLock;

/* ---- the recorder (trace.c) ---- */
typedef struct _TRACE_STORE {
    PIRPSIM_TRACE_EVENT Events;
    ULONG Count;
    ULONG Capacity;
    ULONG Base; /* first event the memory sink shows */
} TRACE_STORE;

extern TRACE_STORE TraceStore;
extern ULONG TraceApiSinks;            /* IrpSimTraceEnable */
extern FILE *TraceApiStream;           /* its text stream (NULL = stderr) */
extern ULONG TraceEnvSinks;            /* IRPSIM_TRACE and friends, this session */
extern FILE *TraceEnvText;             /* the environment's text file (or stderr) */
extern volatile LONG TraceSessionOpen; /* between TraceInitialize and TraceShutdown */

/* The memory sink's window: the events kept since IrpSimTraceClear. */
const IRPSIM_TRACE_EVENT *TraceWindowLocked(PULONG Count);
/* Sinks in force: the program's and the environment's. */
ULONG TraceSinksLocked(VOID);
/* Recomputes TraceActive from the sinks in force. */
VOID TraceUpdateActiveLocked(VOID);
/* Starts and ends a session's store (the recorder's part of
   TraceInitialize / TraceShutdown). */
VOID TraceOpenStoreLocked(VOID);
VOID TraceCloseStoreLocked(VOID);

/* ---- pointer maps (map.c): key (never 0) -> ULONG ---- */
typedef struct _TRACE_MAP {
    ULONG_PTR *Keys;
    ULONG *Values;
    ULONG Capacity; /* a power of two, or 0 */
    ULONG Count;
} TRACE_MAP;

BOOLEAN TraceMapFind(const TRACE_MAP *Map, ULONG_PTR Key, PULONG Value);
/* FALSE only when out of host memory. */
BOOLEAN TraceMapSet(TRACE_MAP *Map, ULONG_PTR Key, ULONG Value);
VOID TraceMapFree(TRACE_MAP *Map);

/* ---- short stable names (objects.c) ---- */
typedef enum _TRACE_CLASS {
    TraceClassNone = 0,
    TraceClassIrp,
    TraceClassDevice,
    TraceClassDriver,
    TraceClassDpc,
    TraceClassTimer,
    TraceClassEvent,
    TraceClassWaitable, /* waited on, type unknown */
    TraceClassThread,
    TraceClassWorkItem,
    TraceClassQueue,
    TraceClassCsq,
    TraceClassApc,
    TraceClassSemaphore,
    TraceClassMutex,
    TraceClassCount
} TRACE_CLASS;

/* TRUE for the kinds whose Object is an IRP (its lifecycle, queues, StartIo). */
BOOLEAN TraceIsIrpKind(IRPSIM_TRACE_KIND Kind);

typedef struct _TRACE_DEVICE {
    PVOID Device;
    ULONGLONG FirstSequence; /* identity starts here (DeviceCreated or first sight) */
    ULONG Number;            /* DEV#n */
    ULONG Previous;          /* the same address's previous identity, or TRACE_NONE */
    CHAR Name[64];           /* full name, "" if unnamed */
    CHAR Driver[48];         /* its driver's name */
    CHAR Label[40];          /* short display name */
} TRACE_DEVICE;

typedef struct _TRACE_THREAD {
    ULONG ThreadId;
    PVOID Thread;
    BOOLEAN ProcessorThread;
    BOOLEAN SystemThread;
    ULONG Processor;
    CHAR Name[64]; /* "CPU 0 DPCs", "App thread T4", ... */
} TRACE_THREAD;

/* What TraceRecord reads from the machine before it takes TraceLock (the
   object checks it uses must never run under a host mutex). */
typedef struct _TRACE_CAPTURE {
    TRACE_CLASS WaitClass; /* WaitBegin: what its dispatcher header says the object is */
    BOOLEAN HaveDevice;
    BOOLEAN HaveNames; /* DeviceName and DriverName read (TraceCaptureNames) */
    PVOID Device;
    CHAR DeviceName[64];
    CHAR DriverName[48];
} TRACE_CAPTURE;

VOID TraceCapture(PIRPSIM_TRACE_EVENT Event, TRACE_CAPTURE *Capture);
/* Reads the captured device's names (no lock held; the device is alive,
   as at TraceCapture). Needed only for a device the trace does not know
   yet, or a new identity: TraceCaptureNeedsNamesLocked says. */
VOID TraceCaptureNames(TRACE_CAPTURE *Capture);
BOOLEAN TraceCaptureNeedsNamesLocked(const IRPSIM_TRACE_EVENT *Event, const TRACE_CAPTURE *Capture);
/* Gives the event its ObjectNumber / ObjectName and learns the devices and
   threads it names. */
VOID TraceNameEventLocked(PIRPSIM_TRACE_EVENT Event, const TRACE_CAPTURE *Capture);
/* The identity Device had at Sequence, or NULL if the trace never saw it. */
const TRACE_DEVICE *TraceFindDeviceLocked(PVOID Device, ULONGLONG Sequence);
/* Writes the device's label (or its address when unknown). */
VOID TraceDeviceLabelLocked(PVOID Device, ULONGLONG Sequence, PCHAR Buffer, SIZE_T Size);
const TRACE_THREAD *TraceFindThreadLocked(ULONG ThreadId);
const TRACE_THREAD *TraceFindThreadObjectLocked(PVOID Thread);
/* The number given to Pointer as an object of Class (0 if never seen). */
ULONG TraceObjectNumberLocked(TRACE_CLASS Class, PVOID Pointer);
VOID TraceForgetObjectsLocked(VOID);

/* ---- words for values (decode.c) ---- */
PCSTR TraceStatusName(NTSTATUS Status); /* NULL if not a common status */
/* "STATUS_PENDING" or "0xC0000001". */
VOID TraceFormatStatus(NTSTATUS Status, PCHAR Buffer, SIZE_T Size);
PCSTR TraceMajorName(ULONG Major); /* "IRP_MJ_READ", NULL if out of range */
PCSTR TraceIrqlName(KIRQL Irql, PCHAR Buffer, SIZE_T Size);
PCSTR TraceOriginName(ULONG_PTR Origin);
/* "special kernel", "normal kernel", "user" (IRPSIM_TRACE_APC_*). */
PCSTR TraceApcKindName(ULONG_PTR Kind);

/* ---- one event in words (format.c) ---- */
/* The decoded arguments ("to IrpSimFilter at location 2, IRP_MJ_READ"). */
VOID TraceDescribeLocked(const IRPSIM_TRACE_EVENT *Event, PCHAR Buffer, SIZE_T Size);
/* The whole timeline line. */
VOID TraceFormatLineLocked(const IRPSIM_TRACE_EVENT *Event, PCHAR Buffer, SIZE_T Size);

/* ---- the renderers; Events are a slice of TraceStore ---- */
/* text.c: one line per event as it happens, to the text streams. */
VOID TraceTextEmitLocked(const IRPSIM_TRACE_EVENT *Event);
VOID TraceTextWriteLocked(FILE *Stream, const IRPSIM_TRACE_EVENT *Events, ULONG Count);
/* chrome.c: the comma-separated trace events of one process (Pid), without
   the enclosing document. */
VOID TraceChromeWriteEventsLocked(FILE *Stream, const IRPSIM_TRACE_EVENT *Events, ULONG Count, ULONG Pid);
extern const char TraceChromeHeader[];
extern const char TraceChromeFooter[];
/* mermaid.c: a whole diagram. Returns the number of arrows and notes drawn.
   HasContent: whether the events hold anything a diagram would show. */
BOOLEAN TraceMermaidHasContent(const IRPSIM_TRACE_EVENT *Events, ULONG Count);
ULONG TraceMermaidWriteLocked(FILE *Stream, const IRPSIM_TRACE_EVENT *Events, ULONG Count,
                              const IRPSIM_TRACE_MERMAID_OPTIONS *Options);

/* ---- JSON and Mermaid text helpers (escape.c) ---- */
VOID TraceJsonString(FILE *Stream, PCSTR Text);
/* Copies Text into Buffer with what Mermaid reads as syntax replaced. */
VOID TraceMermaidText(PCSTR Text, PCHAR Buffer, SIZE_T Size);
/* Copies Text, cut to fit. */
VOID TraceCopyText(PCHAR Buffer, SIZE_T Size, PCSTR Text);
/* "IRP#3": an object's name from its class prefix and number (every event
   gets one, so this avoids snprintf). Cut to Size like TraceCopyText. */
VOID TraceFormatObjectName(PCHAR Buffer, SIZE_T Size, PCSTR Prefix, ULONG Number);
/* Copies a wide string as ASCII ('?' for the rest). */
VOID TraceNarrow(const WCHAR *Text, SIZE_T Length, PCHAR Buffer, SIZE_T Size);

#endif /* IRPSIM_TRACEINT_H */
