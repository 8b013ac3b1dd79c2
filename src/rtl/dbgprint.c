/*
 * irpsim — debugger output: DbgPrint, DbgPrintEx, vDbgPrintEx,
 * vDbgPrintExWithPrefix, and IrpSimSetDebugOutput.
 *
 * Where the text goes. Windows sends it to the kernel debugger; irpsim
 * writes it (as UTF-8) to stderr unless IRPSIM_CONFIG.QuietDebugPrint (env
 * IRPSIM_QUIET=1), hands it to the IrpSimSetDebugOutput callback, and
 * records it in the trace as an IrpSimTraceDebugPrint event (A1 = component,
 * A2 = level).
 *
 * Size. As on Windows, one call transmits at most 512 bytes; the rest of a
 * longer message is dropped.
 *
 * Filtering. DbgPrintEx's Level is a bit number (0..31) or, above 31, a mask
 * (DPFLTR_MASK may be or-ed in). Windows shows a message when its bit is
 * enabled for the component; by default only DPFLTR_ERROR_LEVEL (bit 0) is.
 * irpsim does the same for every component, and the environment variable
 * IRPSIM_DBGPRINT_LEVEL=N enables the levels 0..N as well (N = 3 shows
 * ERROR, WARNING, TRACE and INFO; "all" shows everything). Filtered messages
 * are dropped entirely: not printed, not passed to the callback, not traced.
 *
 * DbgPrint and KdPrint always print. (Since Vista, Windows files them
 * under DPFLTR_DEFAULT_ID at INFO level and hides them unless the DEFAULT
 * mask is raised; driver samples expect to see them, so irpsim behaves as if
 * that mask were raised.)
 */
#include "rtlp.h"
#include "../platform/pal.h"
#include "../sim/simp.h"
#include "../trace/tracep.h"

#include <stdio.h>
#include <stdlib.h>

/* Windows' limit for one DbgPrint. */
#define RTLP_DEBUG_PRINT_LIMIT 512

static PAL_MUTEX RtlpDebugOutputLock = PAL_MUTEX_INITIALIZER;
static PIRPSIM_DEBUG_OUTPUT RtlpDebugCallback;
static PVOID RtlpDebugCallbackContext;

VOID IrpSimSetDebugOutput(PIRPSIM_DEBUG_OUTPUT Callback, PVOID Context)
{
    PalMutexLock(&RtlpDebugOutputLock);
    RtlpDebugCallback = Callback;
    RtlpDebugCallbackContext = Context;
    PalMutexUnlock(&RtlpDebugOutputLock);
}

VOID RtlpDebugOutput(PCSTR Text, ULONG ComponentId, ULONG Level)
{
    PIRPSIM_DEBUG_OUTPUT Callback;
    PVOID Context;

    if (!IrpSimpConfig.QuietDebugPrint)
        fputs(Text, stderr);

    /* The callback runs without the lock: it may DbgPrint itself. */
    PalMutexLock(&RtlpDebugOutputLock);
    Callback = RtlpDebugCallback;
    Context = RtlpDebugCallbackContext;
    PalMutexUnlock(&RtlpDebugOutputLock);
    if (Callback != NULL)
        Callback(Text, Context);

    TRACE_TEXT(IrpSimTraceDebugPrint, NULL, ComponentId, Level, Text);
}

/* Formats Prefix (may be NULL) and Format into one line of at most 512
   bytes and sends it. */
static VOID RtlpDebugPrintLine(PCSTR Prefix, ULONG ComponentId, ULONG Level, PCSTR Format, va_list Arguments)
{
    CHAR Line[RTLP_DEBUG_PRINT_LIMIT + 1];
    SIZE_T Used = 0;
    RTLP_FORMAT_OUTPUT Output;

    if (Prefix != NULL) {
        while (Prefix[Used] != '\0' && Used < RTLP_DEBUG_PRINT_LIMIT) {
            Line[Used] = Prefix[Used];
            Used++;
        }
    }
    memset(&Output, 0, sizeof(Output));
    Output.Wide = FALSE;
    Output.Buffer = Line + Used;
    Output.Capacity = RTLP_DEBUG_PRINT_LIMIT - Used;
    if (Format != NULL)
        RtlpFormat(&Output, Format, Arguments);
    Line[Used + Output.Count] = '\0';
    RtlpDebugOutput(Line, ComponentId, Level);
}

/* The mask of levels shown: ERROR always, plus 0..N from the environment. */
static ULONG RtlpEnabledLevelMask(VOID)
{
    const char *Value = PalGetEnvironment("IRPSIM_DBGPRINT_LEVEL");
    char *End;
    unsigned long Level;

    if (Value == NULL || *Value == '\0')
        return 1u << DPFLTR_ERROR_LEVEL;
    if (strcmp(Value, "all") == 0)
        return MAXULONG;
    Level = strtoul(Value, &End, 0);
    if (*End != '\0')
        return 1u << DPFLTR_ERROR_LEVEL;
    if (Level >= 31)
        return MAXULONG;
    return (1u << (Level + 1)) - 1;
}

static BOOLEAN RtlpIsDebugPrintEnabled(ULONG Level)
{
    ULONG Mask = Level <= 31 ? (1u << Level) : (Level & ~(ULONG)DPFLTR_MASK);
    return (BOOLEAN)((Mask & RtlpEnabledLevelMask()) != 0);
}

ULONG vDbgPrintExWithPrefix(PCSTR Prefix, ULONG ComponentId, ULONG Level, PCSTR Format, va_list Arguments)
{
    if (RtlpIsDebugPrintEnabled(Level))
        RtlpDebugPrintLine(Prefix, ComponentId, Level, Format, Arguments);
    return (ULONG)STATUS_SUCCESS;
}

ULONG vDbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, va_list Arguments)
{
    return vDbgPrintExWithPrefix(NULL, ComponentId, Level, Format, Arguments);
}

ULONG DbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, ...)
{
    va_list Arguments;
    ULONG Status;

    va_start(Arguments, Format);
    Status = vDbgPrintEx(ComponentId, Level, Format, Arguments);
    va_end(Arguments);
    return Status;
}

ULONG DbgPrint(PCSTR Format, ...)
{
    va_list Arguments;

    va_start(Arguments, Format);
    RtlpDebugPrintLine(NULL, DPFLTR_DEFAULT_ID, DPFLTR_INFO_LEVEL, Format, Arguments);
    va_end(Arguments);
    return (ULONG)STATUS_SUCCESS;
}

VOID RtlpDebugPrintf(PCSTR Format, ...)
{
    va_list Arguments;

    va_start(Arguments, Format);
    RtlpDebugPrintLine(NULL, DPFLTR_DEFAULT_ID, DPFLTR_ERROR_LEVEL, Format, Arguments);
    va_end(Arguments);
}
