/*
 * irpsim — the text sink: the timeline, one line per event, written as the
 * events happen (to the program's stream and/or the environment's file)
 * or on demand from the events kept in memory.
 */
#include "traceint.h"

#include <stdio.h>

VOID TraceTextEmitLocked(const IRPSIM_TRACE_EVENT *Event)
{
    CHAR Line[400];
    FILE *Api = (TraceApiSinks & IRPSIM_TRACE_TEXT) ? (TraceApiStream != NULL ? TraceApiStream : stderr) : NULL;
    FILE *Env = (TraceEnvSinks & IRPSIM_TRACE_TEXT) ? (TraceEnvText != NULL ? TraceEnvText : stderr) : NULL;

    TraceFormatLineLocked(Event, Line, sizeof(Line));
    if (Api != NULL)
        fprintf(Api, "%s\n", Line);
    /* Both may name stderr: one line is enough. */
    if (Env != NULL && Env != Api)
        fprintf(Env, "%s\n", Line);
}

VOID TraceTextWriteLocked(FILE *Stream, const IRPSIM_TRACE_EVENT *Events, ULONG Count)
{
    CHAR Line[400];
    for (ULONG i = 0; i < Count; i++) {
        TraceFormatLineLocked(&Events[i], Line, sizeof(Line));
        fprintf(Stream, "%s\n", Line);
    }
}

VOID IrpSimTraceWriteText(FILE *Stream)
{
    const IRPSIM_TRACE_EVENT *Events;
    ULONG Count;
    PalMutexLock(&TraceLock);
    Events = TraceWindowLocked(&Count);
    TraceTextWriteLocked(Stream, Events, Count);
    PalMutexUnlock(&TraceLock);
    fflush(Stream);
}
