/*
 * irpsim — trace internals: how components emit events.
 *
 *     TRACE_EVENT(IrpSimTraceIrpCallDriver, Irp, Device, Location, Major);
 *
 * costs one predictable branch while tracing is off.
 */
#ifndef IRPSIM_TRACEP_H
#define IRPSIM_TRACEP_H

#include <irpsim/trace.h>

extern volatile LONG TraceActive;

VOID TraceRecord(IRPSIM_TRACE_KIND Kind, PVOID Object, ULONG_PTR A1, ULONG_PTR A2, ULONG_PTR A3, PCSTR Text);

#define TRACE_EVENT(Kind, Object, A1, A2, A3)                                                                          \
    do {                                                                                                               \
        if (IRPSIM_UNLIKELY(IRPSIM_ATOMIC_LOAD_RELAXED(&TraceActive) != 0)) /* compiler.h */                           \
            TraceRecord((Kind), (PVOID)(Object), (ULONG_PTR)(A1), (ULONG_PTR)(A2), (ULONG_PTR)(A3), NULL);             \
    } while (0)

#define TRACE_TEXT(Kind, Object, A1, A2, Text)                                                                         \
    do {                                                                                                               \
        if (IRPSIM_UNLIKELY(IRPSIM_ATOMIC_LOAD_RELAXED(&TraceActive) != 0)) /* compiler.h */                           \
            TraceRecord((Kind), (PVOID)(Object), (ULONG_PTR)(A1), (ULONG_PTR)(A2), 0, (Text));                         \
    } while (0)

/* Called by IrpSimInitialize (reads the IRPSIM_TRACE* environment) and
   IrpSimShutdown (writes the Chrome and Mermaid files). */
VOID TraceInitialize(VOID);
VOID TraceShutdown(VOID);
/* Writes the Chrome and Mermaid files of the session so far; for a bug
   check that is about to end the process (never blocks). */
VOID TraceWriteFilesBeforeAbort(VOID);

#endif /* IRPSIM_TRACEP_H */
