/*
 * irpsim — a trace session: from IrpSimInitialize (TraceInitialize) to
 * IrpSimShutdown (TraceShutdown). Reads the environment, so any test can be
 * traced without recompiling, opens the text file, and writes the Chrome
 * and Mermaid files when the session ends.
 *
 * A process that runs several sessions (a CMocka suite starting the machine
 * in each test's setup) gets them all in the same files: the text and
 * Mermaid files grow a section per session, the Chrome file a process per
 * session (pid = session number), rewritten in place so it stays valid JSON.
 */
#include "traceint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRACEP_PATH             1024
#define TRACEP_MAX_MERMAID_IRPS 64

enum { TracepFileText, TracepFileChrome, TracepFileMermaid, TracepFileCount };

static const PCSTR TracepExtension[TracepFileCount] = {".txt", ".json", ".md"};
/* %n is the program's name: every test binary of a suite run under one
   environment gets its own files. */
static const PCSTR TracepDefaultPath[TracepFileCount] = {"-", "irpsim-trace-%n.json", "irpsim-trace-%n.md"};

/* IrpSimTraceSetFile's choices (program-wide). */
static CHAR TracepApiPath[TracepFileCount][TRACEP_PATH];
/* The environment's choices, this session. */
static CHAR TracepEnvPath[TracepFileCount][TRACEP_PATH];
static IRPSIM_TRACE_MERMAID_OPTIONS TracepEnvMermaid;
static ULONG TracepEnvIrps[TRACEP_MAX_MERMAID_IRPS];

/* What each file already holds from earlier sessions of this process. */
typedef struct _TRACEP_FILE {
    CHAR Path[TRACEP_PATH];
    ULONG Sessions;
} TRACEP_FILE;

static TRACEP_FILE TracepFiles[TracepFileCount];

static ULONG TracepParseSinks(PCSTR Value)
{
    static const struct {
        PCSTR Name;
        ULONG Sinks;
    } Names[] = {
        {"memory", IRPSIM_TRACE_MEMORY},
        {"text", IRPSIM_TRACE_TEXT},
        {"chrome", IRPSIM_TRACE_CHROME},
        {"json", IRPSIM_TRACE_CHROME},
        {"perfetto", IRPSIM_TRACE_CHROME},
        {"mermaid", IRPSIM_TRACE_MERMAID},
        {"all", IRPSIM_TRACE_ALL},
        {"1", IRPSIM_TRACE_MEMORY},
        {"on", IRPSIM_TRACE_MEMORY},
        {"0", 0},
        {"off", 0},
        {"none", 0},
    };
    ULONG Sinks = 0;
    PCSTR Cursor = Value;

    while (*Cursor != 0) {
        SIZE_T Length = strcspn(Cursor, ", ;:|+");
        BOOLEAN Known = Length == 0;
        for (ULONG i = 0; i < RTL_NUMBER_OF(Names) && !Known; i++) {
            if (strlen(Names[i].Name) == Length && strncmp(Names[i].Name, Cursor, Length) == 0) {
                Sinks |= Names[i].Sinks;
                Known = TRUE;
            }
        }
        if (!Known)
            fprintf(stderr, "irpsim: IRPSIM_TRACE: unknown sink '%.*s' (memory, text, chrome, mermaid, all)\n",
                    (int)Length, Cursor);
        Cursor += Length;
        if (*Cursor != 0)
            Cursor++;
    }
    return Sinks;
}

/* IRPSIM_TRACE_<SINK>=path, else IRPSIM_TRACE_FILE=prefix + extension. */
static VOID TracepEnvironmentPath(ULONG File, PCSTR Variable, PCSTR Prefix, ULONG Sink, PULONG Sinks)
{
    PCSTR Value = PalGetEnvironment(Variable);
    TracepEnvPath[File][0] = 0;
    if (Value != NULL && Value[0] != 0) {
        snprintf(TracepEnvPath[File], TRACEP_PATH, "%s", Value);
        *Sinks |= Sink;
    } else if (Prefix != NULL && Prefix[0] != 0) {
        snprintf(TracepEnvPath[File], TRACEP_PATH, "%s%s", Prefix, TracepExtension[File]);
    }
}

static VOID TracepReadMermaidOptions(VOID)
{
    PCSTR Value;
    memset(&TracepEnvMermaid, 0, sizeof(TracepEnvMermaid));
    TracepEnvMermaid.Size = sizeof(TracepEnvMermaid);
    TracepEnvMermaid.Fenced = TRUE;
    Value = PalGetEnvironment("IRPSIM_TRACE_MERMAID_MAX");
    if (Value != NULL)
        TracepEnvMermaid.MaxEvents = (ULONG)strtoul(Value, NULL, 10);
    Value = PalGetEnvironment("IRPSIM_TRACE_MERMAID_IRPS");
    while (Value != NULL && *Value != 0 && TracepEnvMermaid.IrpCount < TRACEP_MAX_MERMAID_IRPS) {
        char *End;
        unsigned long Number = strtoul(Value, &End, 10);
        if (End == Value) {
            Value++;
            continue;
        }
        TracepEnvIrps[TracepEnvMermaid.IrpCount++] = (ULONG)Number;
        Value = End;
    }
    TracepEnvMermaid.Irps = TracepEnvMermaid.IrpCount != 0 ? TracepEnvIrps : NULL;
    Value = PalGetEnvironment("IRPSIM_TRACE_MERMAID_SYNC");
    TracepEnvMermaid.ShowSynchronization = Value != NULL && Value[0] != 0 && strcmp(Value, "0") != 0;
}

static PCSTR TracepProgramName(VOID)
{
#if defined(__GLIBC__)
    extern char *program_invocation_short_name;
    if (program_invocation_short_name != NULL && program_invocation_short_name[0] != 0)
        return program_invocation_short_name;
#endif
    return "irpsim";
}

/* Expands %n (the program's name) and %% in a path. */
static VOID TracepExpandPath(PCSTR Template, PCHAR Path, SIZE_T Size)
{
    SIZE_T Used = 0;
    for (PCSTR p = Template; *p != 0 && Used + 1 < Size; p++) {
        if (p[0] == '%' && (p[1] == 'n' || p[1] == '%')) {
            PCSTR Piece = p[1] == 'n' ? TracepProgramName() : "%";
            while (*Piece != 0 && Used + 1 < Size)
                Path[Used++] = *Piece++;
            p++;
        } else {
            Path[Used++] = *p;
        }
    }
    Path[Used] = 0;
}

/* The path a file sink writes: the environment's, the program's, the default. */
static PCSTR TracepPath(ULONG File)
{
    static CHAR Expanded[TracepFileCount][TRACEP_PATH];
    PCSTR Template = TracepDefaultPath[File];
    if (TracepEnvPath[File][0] != 0)
        Template = TracepEnvPath[File];
    else if (TracepApiPath[File][0] != 0)
        Template = TracepApiPath[File];
    TracepExpandPath(Template, Expanded[File], TRACEP_PATH);
    return Expanded[File];
}

/* Opens File for this session: appended to if an earlier session of this
   process wrote the same path, else started afresh. *Session is the
   session's number within the file. */
static FILE *TracepOpen(ULONG File, PCSTR Path, PCSTR Mode, PULONG Session)
{
    TRACEP_FILE *State = &TracepFiles[File];
    FILE *Stream;
    BOOLEAN Append = State->Sessions != 0 && strcmp(State->Path, Path) == 0;
    Stream = fopen(Path, Append ? Mode : "wb");
    if (Stream == NULL && Append) {
        /* Removed since the last session: start it again. */
        Append = FALSE;
        Stream = fopen(Path, "wb");
    }
    if (Stream == NULL) {
        fprintf(stderr, "irpsim: cannot write the trace to %s\n", Path);
        return NULL;
    }
    if (!Append) {
        snprintf(State->Path, sizeof(State->Path), "%s", Path);
        State->Sessions = 0;
    }
    *Session = ++State->Sessions;
    return Stream;
}

static FILE *TracepOpenText(VOID)
{
    PCSTR Path = TracepPath(TracepFileText);
    FILE *Stream;
    ULONG Session;
    if (strcmp(Path, "-") == 0)
        return stderr;
    Stream = TracepOpen(TracepFileText, Path, "ab", &Session);
    if (Stream == NULL)
        return stderr;
    /* Line by line: a run that aborts keeps what it traced. */
    setvbuf(Stream, NULL, _IOLBF, BUFSIZ); /* a size: the Microsoft CRT rejects 0 */
    fprintf(Stream, "== irpsim trace, session %u ==\n", (unsigned)Session);
    return Stream;
}

static VOID TracepWriteChromeLocked(const IRPSIM_TRACE_EVENT *Events, ULONG Count)
{
    PCSTR Path = TracepPath(TracepFileChrome);
    SIZE_T FooterLength = strlen(TraceChromeFooter);
    ULONG Session;
    FILE *Stream = TracepOpen(TracepFileChrome, Path, "r+b", &Session);
    if (Stream == NULL)
        return;
    if (Session > 1) {
        /* Continue the array: replace the previous session's footer. */
        CHAR Tail[8];
        BOOLEAN Ok = FooterLength < sizeof(Tail) && fseek(Stream, -(long)FooterLength, SEEK_END) == 0 &&
                     fread(Tail, 1, FooterLength, Stream) == FooterLength &&
                     memcmp(Tail, TraceChromeFooter, FooterLength) == 0 &&
                     fseek(Stream, -(long)FooterLength, SEEK_END) == 0;
        if (!Ok) {
            /* Someone else changed the file: start it again. */
            fclose(Stream);
            TracepFiles[TracepFileChrome].Sessions = 0;
            Stream = TracepOpen(TracepFileChrome, Path, "wb", &Session);
            if (Stream == NULL)
                return;
        }
    }
    fputs(Session > 1 ? ",\n" : TraceChromeHeader, Stream);
    TraceChromeWriteEventsLocked(Stream, Events, Count, Session);
    fputs(TraceChromeFooter, Stream);
    if (fclose(Stream) != 0)
        fprintf(stderr, "irpsim: error writing the trace to %s\n", Path);
}

static VOID TracepWriteMermaidLocked(const IRPSIM_TRACE_EVENT *Events, ULONG Count)
{
    PCSTR Path = TracepPath(TracepFileMermaid);
    ULONG Session;
    FILE *Stream = TracepOpen(TracepFileMermaid, Path, "ab", &Session);
    if (Stream == NULL)
        return;
    /* A session with no IRP activity (a test of something else) gets a line,
       not an empty diagram. */
    if (!TraceMermaidHasContent(Events, Count)) {
        fprintf(Stream, "%s<!-- irpsim trace, session %u: no IRP activity -->\n", Session > 1 ? "\n" : "",
                (unsigned)Session);
    } else {
        fprintf(Stream, "%s<!-- irpsim trace, session %u -->\n", Session > 1 ? "\n" : "", (unsigned)Session);
        (void)TraceMermaidWriteLocked(Stream, Events, Count, &TracepEnvMermaid);
    }
    if (fclose(Stream) != 0)
        fprintf(stderr, "irpsim: error writing the trace to %s\n", Path);
}

BOOLEAN IrpSimTraceSetFile(ULONG Sink, PCSTR Path)
{
    ULONG File;
    if (Sink == IRPSIM_TRACE_CHROME)
        File = TracepFileChrome;
    else if (Sink == IRPSIM_TRACE_MERMAID)
        File = TracepFileMermaid;
    else
        return FALSE;
    PalMutexLock(&TraceLock);
    snprintf(TracepApiPath[File], TRACEP_PATH, "%s", Path != NULL ? Path : "");
    PalMutexUnlock(&TraceLock);
    return TRUE;
}

VOID TraceInitialize(VOID)
{
    PCSTR Setting = PalGetEnvironment("IRPSIM_TRACE");
    PCSTR Prefix = PalGetEnvironment("IRPSIM_TRACE_FILE");
    ULONG Sinks = Setting != NULL ? TracepParseSinks(Setting) : 0;
    FILE *Text = NULL;

    PalMutexLock(&TraceLock);
    TracepEnvironmentPath(TracepFileText, "IRPSIM_TRACE_TEXT", Prefix, IRPSIM_TRACE_TEXT, &Sinks);
    TracepEnvironmentPath(TracepFileChrome, "IRPSIM_TRACE_CHROME", Prefix, IRPSIM_TRACE_CHROME, &Sinks);
    TracepEnvironmentPath(TracepFileMermaid, "IRPSIM_TRACE_MERMAID", Prefix, IRPSIM_TRACE_MERMAID, &Sinks);
    TracepReadMermaidOptions();
    if (Sinks & IRPSIM_TRACE_TEXT)
        Text = TracepOpenText();
    TraceOpenStoreLocked();
    TraceEnvSinks = Sinks;
    TraceEnvText = Text;
    TraceUpdateActiveLocked();
    PalMutexUnlock(&TraceLock);
}

/* Writes the file sinks' files for the session so far. */
static VOID TracepWriteFilesLocked(VOID)
{
    ULONG Sinks = TraceSinksLocked();
    if (!TraceSessionOpen)
        return;
    if (Sinks & IRPSIM_TRACE_CHROME)
        TracepWriteChromeLocked(TraceStore.Events, TraceStore.Count);
    if (Sinks & IRPSIM_TRACE_MERMAID)
        TracepWriteMermaidLocked(TraceStore.Events, TraceStore.Count);
    if (TraceEnvText != NULL)
        fflush(TraceEnvText);
}

VOID TraceShutdown(VOID)
{
    PalMutexLock(&TraceLock);
    TracepWriteFilesLocked();
    if (TraceEnvText != NULL && TraceEnvText != stderr)
        fclose(TraceEnvText);
    TraceEnvText = NULL;
    TraceEnvSinks = 0;
    TraceCloseStoreLocked();
    TraceUpdateActiveLocked();
    PalMutexUnlock(&TraceLock);
}

VOID TraceWriteFilesBeforeAbort(VOID)
{
    /* The crashing thread may hold the lock (or another thread may): never
       wait for it on the way down. */
    if (!PalMutexTryLock(&TraceLock))
        return;
    TracepWriteFilesLocked();
    PalMutexUnlock(&TraceLock);
}
