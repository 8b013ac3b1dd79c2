/*
 * The IRP lifecycle trace (DESIGN.md "Trace", docs/trace.md): the events
 * one IRP leaves on its way down a filter stack and back up from a DPC, the
 * questions tests ask about one IRP, and the text, Chrome and Mermaid
 * renderings, switched on by the program or by the environment.
 *
 * The requests come from IoBuildDeviceIoControlRequest: they belong to the
 * issuing thread, so their completion ends with stage 2 (IrpPostProcessing,
 * IrpCompleted) on that thread.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_driver.h"
#include <irpsim/irpsim.h>
#include <irpsim/trace.h>
#include "../support/test_tmpfile.h"

typedef struct _REQUEST {
    KEVENT Event;
    IO_STATUS_BLOCK Iosb;
    PIRP Irp;
    NTSTATUS Returned;
} REQUEST;

static PDRIVER_OBJECT Function;
static PDRIVER_OBJECT Filter;
static PFILE_OBJECT File;
static PDEVICE_OBJECT Top;

/* ---- the machine and the stack ---- */

static int LoadStack(void)
{
    UNICODE_STRING Name = RTL_CONSTANT_STRING(TRACE_FUNCTION_DEVICE_NAME);
    if (!NT_SUCCESS(IrpSimLoadDriver(L"\\Driver\\TraceFunction", TraceFunctionEntry, &Function)))
        return -1;
    if (!NT_SUCCESS(IrpSimLoadDriver(L"\\Driver\\TraceFilter", TraceFilterEntry, &Filter)))
        return -1;
    /* Opening the name gives the top of the stack: the filter. */
    if (!NT_SUCCESS(IoGetDeviceObjectPointer(&Name, FILE_READ_DATA, &File, &Top)))
        return -1;
    return Top->DriverObject == Filter ? 0 : -1;
}

static void UnloadStack(void)
{
    if (File != NULL)
        ObDereferenceObject(File);
    File = NULL;
    if (Filter != NULL)
        (void)IrpSimUnloadDriver(Filter);
    if (Function != NULL)
        (void)IrpSimUnloadDriver(Function);
    Filter = Function = NULL;
}

/* Memory sink on before the machine starts; the events of loading the
   drivers are forgotten so each test sees its own. */
static int Setup(void **State)
{
    (void)State;
    IrpSimTraceEnable(IRPSIM_TRACE_MEMORY, NULL);
    if (IrpSimInitialize(NULL) != STATUS_SUCCESS || LoadStack() != 0)
        return -1;
    IrpSimTraceClear();
    return 0;
}

static int Teardown(void **State)
{
    (void)State;
    UnloadStack();
    IrpSimShutdown();
    IrpSimTraceEnable(0, NULL);
    return 0;
}

/* A device-control IRP owned by the calling thread: stage 2 writes Iosb
   and sets the event, then frees the IRP. */
static PIRP BuildIoctl(ULONG Code, REQUEST *Request)
{
    PIRP Irp;
    memset(Request, 0, sizeof(*Request));
    KeInitializeEvent(&Request->Event, NotificationEvent, FALSE);
    Irp = IoBuildDeviceIoControlRequest(Code, Top, NULL, 0, NULL, 0, FALSE, &Request->Event, &Request->Iosb);
    assert_non_null(Irp);
    Request->Irp = Irp;
    return Irp;
}

static NTSTATUS Send(ULONG Code, REQUEST *Request)
{
    Request->Returned = IoCallDriver(Top, BuildIoctl(Code, Request));
    return Request->Returned;
}

static void WaitFor(REQUEST *Request)
{
    assert_int_equal(KeWaitForSingleObject(&Request->Event, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
}

/* IOCTL_TRACE_DPC pended by the function driver, then completed from its
   DPC once IOCTL_TRACE_RELEASE queues it. Returns the held IRP (freed by
   now: only its trace remains). */
static PIRP RunDpcScenario(void)
{
    REQUEST Held, Release;
    assert_int_equal(Send(IOCTL_TRACE_DPC, &Held), STATUS_PENDING);
    assert_int_equal(Send(IOCTL_TRACE_RELEASE, &Release), STATUS_SUCCESS);
    WaitFor(&Held);
    assert_int_equal(Held.Iosb.Status, STATUS_SUCCESS);
    assert_int_equal(Held.Iosb.Information, TRACE_DPC_INFORMATION);
    return Held.Irp;
}

/* ---- reading rendered output back ---- */

static char *ReadAll(FILE *Stream)
{
    long Length;
    char *Text;
    assert_int_equal(fflush(Stream), 0);
    assert_int_equal(fseek(Stream, 0, SEEK_END), 0);
    Length = ftell(Stream);
    assert_true(Length >= 0);
    rewind(Stream);
    Text = (char *)malloc((size_t)Length + 1);
    assert_non_null(Text);
    assert_int_equal(fread(Text, 1, (size_t)Length, Stream), (size_t)Length);
    Text[Length] = 0;
    return Text;
}

static char *ReadFileText(const char *Path)
{
    FILE *Stream = fopen(Path, "rb");
    char *Text;
    assert_non_null(Stream);
    Text = ReadAll(Stream);
    fclose(Stream);
    return Text;
}

static int Contains(const char *Text, const char *Format, ...)
{
    char Needle[256];
    va_list Arguments;
    va_start(Arguments, Format);
    vsnprintf(Needle, sizeof(Needle), Format, Arguments);
    va_end(Arguments);
    if (strstr(Text, Needle) != NULL)
        return 1;
    print_error("missing: %s\n", Needle);
    return 0;
}

static int Occurrences(const char *Text, const char *Needle)
{
    int Count = 0;
    for (const char *At = strstr(Text, Needle); At != NULL; At = strstr(At + 1, Needle))
        Count++;
    return Count;
}

/* A strict little JSON reader: TRUE if Text is exactly one valid JSON value
   (RFC 8259), so the Chrome output is known to parse without python. */
static void JsonSpace(const char **p)
{
    while (**p == ' ' || **p == '\n' || **p == '\r' || **p == '\t')
        (*p)++;
}

static int JsonValue(const char **p, int Depth);

static int JsonString(const char **p)
{
    if (**p != '"')
        return 0;
    for ((*p)++; **p != '"'; (*p)++) {
        if ((unsigned char)**p < 0x20)
            return 0;
        if (**p == '\\') {
            (*p)++;
            if (**p == 'u') {
                for (int i = 0; i < 4; i++) {
                    (*p)++;
                    if (!((**p >= '0' && **p <= '9') || (**p >= 'a' && **p <= 'f') || (**p >= 'A' && **p <= 'F')))
                        return 0;
                }
            } else if (strchr("\"\\/bfnrt", **p) == NULL || **p == 0) {
                return 0;
            }
        }
    }
    (*p)++;
    return 1;
}

static int JsonNumber(const char **p)
{
    const char *Start = *p;
    if (**p == '-')
        (*p)++;
    if (**p == '0')
        (*p)++;
    else if (**p >= '1' && **p <= '9')
        while (**p >= '0' && **p <= '9')
            (*p)++;
    else
        return 0;
    if (**p == '.') {
        (*p)++;
        if (!(**p >= '0' && **p <= '9'))
            return 0;
        while (**p >= '0' && **p <= '9')
            (*p)++;
    }
    if (**p == 'e' || **p == 'E') {
        (*p)++;
        if (**p == '+' || **p == '-')
            (*p)++;
        if (!(**p >= '0' && **p <= '9'))
            return 0;
        while (**p >= '0' && **p <= '9')
            (*p)++;
    }
    return *p > Start;
}

static int JsonValue(const char **p, int Depth)
{
    if (Depth > 64)
        return 0;
    JsonSpace(p);
    switch (**p) {
    case '{':
        (*p)++;
        JsonSpace(p);
        if (**p == '}') {
            (*p)++;
            return 1;
        }
        for (;;) {
            JsonSpace(p);
            if (!JsonString(p))
                return 0;
            JsonSpace(p);
            if (**p != ':')
                return 0;
            (*p)++;
            if (!JsonValue(p, Depth + 1))
                return 0;
            JsonSpace(p);
            if (**p == '}') {
                (*p)++;
                return 1;
            }
            if (**p != ',')
                return 0;
            (*p)++;
        }
    case '[':
        (*p)++;
        JsonSpace(p);
        if (**p == ']') {
            (*p)++;
            return 1;
        }
        for (;;) {
            if (!JsonValue(p, Depth + 1))
                return 0;
            JsonSpace(p);
            if (**p == ']') {
                (*p)++;
                return 1;
            }
            if (**p != ',')
                return 0;
            (*p)++;
        }
    case '"':
        return JsonString(p);
    case 't':
        return strncmp(*p, "true", 4) == 0 ? (*p += 4, 1) : 0;
    case 'f':
        return strncmp(*p, "false", 5) == 0 ? (*p += 5, 1) : 0;
    case 'n':
        return strncmp(*p, "null", 4) == 0 ? (*p += 4, 1) : 0;
    default:
        return JsonNumber(p);
    }
}

static int IsJson(const char *Text)
{
    const char *p = Text;
    if (!JsonValue(&p, 0))
        return 0;
    JsonSpace(&p);
    return *p == 0;
}

/* ---- the events of one IRP ---- */

/* A request pended by the function driver below a filter and completed
   from a DPC goes through, in this order (SEMANTICS.md 2-3; the WDK's
   "Completing IRPs" and "Using IoMarkIrpPending"): sent to the filter,
   sent on to the function driver, marked pending there, STATUS_PENDING
   back from both dispatch routines; later, IoCompleteRequest at
   DISPATCH_LEVEL on the processor that ran the DPC, the filter's
   completion routine (which marks its own location pending again, because
   PendingReturned is set), then stage 2 queued to the issuing thread,
   which reports the result and frees the IRP. */
static void TestPendedIrpLifecycleOrder(void **State)
{
    static const IRPSIM_TRACE_KIND Expected[] = {
        IrpSimTraceIrpAllocated,      IrpSimTraceIrpCallDriver,       IrpSimTraceIrpCallDriver,
        IrpSimTraceIrpMarkedPending,  IrpSimTraceIrpDispatchReturned, IrpSimTraceIrpDispatchReturned,
        IrpSimTraceIrpCompleteBegin,  IrpSimTraceIrpMarkedPending,    IrpSimTraceIrpCompletionRoutine,
        IrpSimTraceIrpPostProcessing, IrpSimTraceIrpCompleted,        IrpSimTraceIrpFreed,
    };
    IRPSIM_TRACE_KIND Kinds[32];
    IRPSIM_TRACE_EVENT Event, Down, Below, Back, Complete, Routine, Done;
    ULONG Count, Index;
    ULONG Me = (ULONG)(ULONG_PTR)PsGetCurrentThreadId();
    CHAR Name[16];
    PIRP Irp;
    (void)State;

    Irp = RunDpcScenario();
    Count = IrpSimTraceIrpHistory(Irp, Kinds, RTL_NUMBER_OF(Kinds));
    assert_int_equal(Count, RTL_NUMBER_OF(Expected));
    for (ULONG i = 0; i < Count; i++) {
        if (Kinds[i] != Expected[i])
            print_error("event %u is %s, expected %s\n", (unsigned)i, IrpSimTraceKindName(Kinds[i]),
                        IrpSimTraceKindName(Expected[i]));
        assert_int_equal(Kinds[i], Expected[i]);
    }

    /* Every event names the IRP by its identity. */
    snprintf(Name, sizeof(Name), "IRP#%u", (unsigned)IrpSimTraceIrpNumber(Irp));
    assert_true(IrpSimTraceIrpFindEvent(Irp, IrpSimTraceIrpCallDriver, 0, &Down));
    assert_string_equal(Down.ObjectName, Name);
    /* Down the stack: the filter at the top location, then the function
       driver one location lower (the filter copied its location). */
    assert_ptr_equal((PVOID)Down.Argument[0], Top);
    assert_int_equal(Down.Argument[1], 2);
    assert_int_equal(Down.Argument[2] >> 8, IRP_MJ_DEVICE_CONTROL);
    assert_true(IrpSimTraceIrpFindEvent(Irp, IrpSimTraceIrpCallDriver, 1, &Below));
    assert_ptr_equal((PVOID)Below.Argument[0], IoGetLowerDeviceObject(Top));
    ObDereferenceObject((PDEVICE_OBJECT)Below.Argument[0]); /* IoGetLowerDeviceObject's reference */
    assert_int_equal(Below.Argument[1], 1);
    /* Both dispatch routines returned STATUS_PENDING, innermost first. */
    assert_true(IrpSimTraceIrpFindEvent(Irp, IrpSimTraceIrpDispatchReturned, 0, &Back));
    assert_ptr_equal((PVOID)Back.Argument[0], (PVOID)Below.Argument[0]);
    assert_int_equal((NTSTATUS)Back.Argument[1], STATUS_PENDING);
    assert_true(IrpSimTraceIrpFindEvent(Irp, IrpSimTraceIrpDispatchReturned, 1, &Back));
    assert_ptr_equal((PVOID)Back.Argument[0], Top);
    assert_int_equal((NTSTATUS)Back.Argument[1], STATUS_PENDING);
    assert_int_equal(Down.ThreadId, Me);
    assert_int_equal(Back.ThreadId, Me);

    /* Completed by the DPC: another thread (the processor's), at DISPATCH_LEVEL. */
    assert_true(IrpSimTraceIrpFindEvent(Irp, IrpSimTraceIrpCompleteBegin, 0, &Complete));
    assert_int_equal((NTSTATUS)Complete.Argument[0], STATUS_SUCCESS);
    assert_int_equal(Complete.Argument[1], TRACE_DPC_INFORMATION);
    assert_int_equal(Complete.Irql, DISPATCH_LEVEL);
    assert_int_not_equal(Complete.ThreadId, Me);
    Index = 0;
    assert_true(IrpSimTraceFind(&Index, IrpSimTraceDpcRun, NULL, &Event));
    assert_true(Event.Sequence > Back.Sequence && Event.Sequence < Complete.Sequence);
    assert_int_equal(Event.ThreadId, Complete.ThreadId);

    /* The filter's routine ran once, for location 2, in the DPC. */
    assert_int_equal(IrpSimTraceCountIrpEvents(Irp, IrpSimTraceIrpCompletionRoutine), 1);
    assert_true(IrpSimTraceIrpFindEvent(Irp, IrpSimTraceIrpCompletionRoutine, 0, &Routine));
    assert_int_equal(Routine.Argument[2], 2);
    assert_int_equal((NTSTATUS)Routine.Argument[1], STATUS_CONTINUE_COMPLETION);
    assert_int_equal(Routine.ThreadId, Complete.ThreadId);
    assert_int_equal(TraceFilterCompletions, 2); /* this request and the release */

    /* Stage 2 was queued (A2 = 0) and ran on the issuing thread. */
    assert_true(IrpSimTraceIrpFindEvent(Irp, IrpSimTraceIrpPostProcessing, 0, &Event));
    assert_int_equal(Event.Argument[1], 0);
    assert_true(IrpSimTraceIrpFindEvent(Irp, IrpSimTraceIrpCompleted, 0, &Done));
    assert_int_equal(Done.ThreadId, Me);
    assert_int_equal((NTSTATUS)Done.Argument[0], STATUS_SUCCESS);
    assert_int_equal(Done.Argument[1], TRACE_DPC_INFORMATION);
}

/* The query API on a request completed inside its dispatch routine: the
   completion (and stage 2, run at once on the same thread, SEMANTICS.md
   3.6) come before either dispatch routine returns. */
static void TestQueriesOnImmediateRequest(void **State)
{
    static const IRPSIM_TRACE_KIND CompletedThenReturned[] = {IrpSimTraceIrpCompleteBegin,
                                                              IrpSimTraceIrpDispatchReturned};
    static const IRPSIM_TRACE_KIND ReturnedThenCompleted[] = {IrpSimTraceIrpDispatchReturned,
                                                              IrpSimTraceIrpCompleteBegin};
    IRPSIM_TRACE_EVENT Event;
    REQUEST Now;
    NTSTATUS Final = STATUS_PENDING;
    IRP Unknown;
    (void)State;

    assert_int_equal(Send(IOCTL_TRACE_NOW, &Now), STATUS_SUCCESS);
    assert_int_equal(Now.Iosb.Information, 3);

    assert_int_not_equal(IrpSimTraceIrpNumber(Now.Irp), 0);
    assert_int_equal(IrpSimTraceCountIrpEvents(Now.Irp, IrpSimTraceIrpCallDriver), 2);
    assert_int_equal(IrpSimTraceCountIrpEvents(Now.Irp, IrpSimTraceIrpDispatchReturned), 2);
    assert_int_equal(IrpSimTraceCountIrpEvents(Now.Irp, IrpSimTraceIrpMarkedPending), 0);
    assert_int_equal(IrpSimTraceCountIrpEvents(Now.Irp, IrpSimTraceIrpCompletionRoutine), 1);
    assert_int_equal(IrpSimTraceCountIrpEvents(Now.Irp, IrpSimTraceNone), IrpSimTraceIrpHistory(Now.Irp, NULL, 0));
    assert_true(IrpSimTraceIrpFinalStatus(Now.Irp, &Final));
    assert_int_equal(Final, STATUS_SUCCESS);
    assert_true(IrpSimTraceIrpHasSequence(Now.Irp, CompletedThenReturned, 2));
    assert_false(IrpSimTraceIrpHasSequence(Now.Irp, ReturnedThenCompleted, 2));
    assert_true(IrpSimTraceIrpFindEvent(Now.Irp, IrpSimTraceIrpPostProcessing, 0, &Event));
    assert_int_equal(Event.Argument[1], 1); /* stage 2 ran at once */
    assert_false(IrpSimTraceIrpFindEvent(Now.Irp, IrpSimTraceIrpCallDriver, 2, NULL));

    /* An IRP the trace never saw. */
    assert_int_equal(IrpSimTraceIrpNumber(&Unknown), 0);
    assert_false(IrpSimTraceIrpFinalStatus(&Unknown, &Final));
    assert_int_equal(IrpSimTraceIrpHistory(&Unknown, NULL, 0), 0);

    /* Forgotten events are gone for the queries too. */
    IrpSimTraceClear();
    assert_int_equal(IrpSimTraceIrpNumber(Now.Irp), 0);
    assert_int_equal(IrpSimTraceCount(), 0);
}

/* IoCancelIrp on a pending request whose driver set a cancel routine
   (WDK "Canceling IRPs"): the routine runs and completes the IRP with
   STATUS_CANCELLED. Stated with the query API in three calls. */
static void TestCancelledAfterCancelRoutine(void **State)
{
    static const IRPSIM_TRACE_KIND CancelThenComplete[] = {IrpSimTraceIrpCancelRoutineRun, IrpSimTraceIrpCompleteBegin};
    static const IRPSIM_TRACE_KIND CancelRequestedFirst[] = {
        IrpSimTraceIrpCancelRoutineSet, IrpSimTraceIrpCancelRequested, IrpSimTraceIrpCancelRoutineRun};
    REQUEST Cancelable;
    NTSTATUS Final;
    (void)State;

    assert_int_equal(Send(IOCTL_TRACE_CANCELABLE, &Cancelable), STATUS_PENDING);
    assert_true(IoCancelIrp(Cancelable.Irp));
    WaitFor(&Cancelable);
    assert_int_equal(Cancelable.Iosb.Status, STATUS_CANCELLED);

    assert_true(IrpSimTraceIrpFinalStatus(Cancelable.Irp, &Final));
    assert_int_equal(Final, STATUS_CANCELLED);
    assert_true(IrpSimTraceIrpHasSequence(Cancelable.Irp, CancelThenComplete, 2));

    assert_true(IrpSimTraceIrpHasSequence(Cancelable.Irp, CancelRequestedFirst, 3));
    assert_int_equal(IrpSimTraceCountIrpEvents(Cancelable.Irp, IrpSimTraceIrpCancelRoutineRun), 1);
}

static NTSTATUS NTAPI KeepIrp(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Irp);
    UNREFERENCED_PARAMETER(Context);
    return STATUS_MORE_PROCESSING_REQUIRED;
}

/* An IRP's memory can carry several IRPs over time (here a driver
   initialising its own memory twice, WDK IoInitializeIrp): each
   IrpAllocated starts a new identity, so IRP#n names follow IRPs, not
   addresses, and questions about the pointer are about the latest one. */
static void TestIdentityFollowsAllocation(void **State)
{
    USHORT Size = IoSizeOfIrp(Top->StackSize);
    PIRP Irp = (PIRP)ExAllocatePoolWithTag(NonPagedPool, Size, 'trTI');
    IRPSIM_TRACE_EVENT Event;
    CHAR First[40] = "", Second[40] = "";
    ULONG Allocations = 0;
    (void)State;

    assert_non_null(Irp);
    for (int Round = 0; Round < 2; Round++) {
        PIO_STACK_LOCATION Next;
        IoInitializeIrp(Irp, Size, Top->StackSize);
        Next = IoGetNextIrpStackLocation(Irp);
        Next->MajorFunction = IRP_MJ_DEVICE_CONTROL;
        Next->Parameters.DeviceIoControl.IoControlCode = IOCTL_TRACE_NOW;
        IoSetCompletionRoutine(Irp, KeepIrp, NULL, TRUE, TRUE, TRUE);
        assert_int_equal(IoCallDriver(Top, Irp), STATUS_SUCCESS);
    }
    for (ULONG i = 0; IrpSimTraceGet(i, &Event); i++) {
        if (Event.Kind != IrpSimTraceIrpAllocated || Event.Object != (PVOID)Irp)
            continue;
        snprintf(Allocations++ == 0 ? First : Second, sizeof(First), "%s", Event.ObjectName);
    }
    assert_int_equal(Allocations, 2);
    assert_string_not_equal(First, Second);
    assert_int_equal(IrpSimTraceIrpNumber(Irp), (ULONG)atoi(Second + 4));
    /* The latest identity only: one allocation, its two calls down. */
    assert_int_equal(IrpSimTraceCountIrpEvents(Irp, IrpSimTraceIrpAllocated), 1);
    assert_int_equal(IrpSimTraceCountIrpEvents(Irp, IrpSimTraceIrpCallDriver), 2);
    ExFreePoolWithTag(Irp, 'trTI');
}

/* ---- the renderings ---- */

/* The text timeline: one line per event with the thread, processor, IRQL,
   the IRP's short name, the device's name and decoded values. */
static void TestTextTimeline(void **State)
{
    IRPSIM_TRACE_EVENT Complete;
    FILE *Stream = TestTmpFile();
    CHAR Line[400];
    char *Text;
    PIRP Irp;
    ULONG Number;
    (void)State;

    Irp = RunDpcScenario();
    Number = IrpSimTraceIrpNumber(Irp);
    assert_non_null(Stream);
    IrpSimTraceWriteText(Stream);
    Text = ReadAll(Stream);
    assert_true(Contains(Text, "IrpCallDriver        IRP#%u", (unsigned)Number));
    assert_true(Contains(Text, "to TraceFilter (unnamed) at location 2: IRP_MJ_DEVICE_CONTROL"));
    assert_true(Contains(Text, "to TraceFunction at location 1: IRP_MJ_DEVICE_CONTROL"));
    assert_true(Contains(Text, "TraceFunction returned STATUS_PENDING (location 1)"));
    assert_true(Contains(Text, "DpcRun"));
    assert_true(Contains(Text, "DISPATCH"));
    assert_true(Contains(Text, "returned STATUS_SUCCESS"));
    free(Text);
    fclose(Stream);

    assert_true(IrpSimTraceIrpFindEvent(Irp, IrpSimTraceIrpCompleteBegin, 0, &Complete));
    IrpSimTraceFormat(&Complete, Line, sizeof(Line));
    assert_non_null(strstr(Line, "IoCompleteRequest STATUS_SUCCESS, information 7, at location 1"));
    assert_non_null(strstr(Line, "DISPATCH"));
}

/* The Chrome trace is valid JSON with thread tracks, dispatch and
   completion-routine slices, a DPC slice and one flow per IRP. The file is
   kept for the CTest checks that run python on it (trace_chrome_json). */
static void TestChromeJson(void **State)
{
    FILE *Stream = fopen("trace_test_chrome.json", "w+b");
    char *Text;
    REQUEST Cancelable;
    (void)State;

    (void)RunDpcScenario();
    assert_int_equal(Send(IOCTL_TRACE_CANCELABLE, &Cancelable), STATUS_PENDING);
    assert_true(IoCancelIrp(Cancelable.Irp));
    WaitFor(&Cancelable);
    IrpSimTraceAddNote("a \"quoted\" note\\with a backslash\tand a tab");

    assert_non_null(Stream);
    IrpSimTraceWriteChrome(Stream);
    Text = ReadAll(Stream);
    fclose(Stream);
    assert_true(IsJson(Text));
    assert_true(Contains(Text, "\"traceEvents\":["));
    assert_true(Contains(Text, "\"name\":\"thread_name\""));
    assert_true(Contains(Text, " DPCs\"}"));
    assert_true(Contains(Text, "\"ph\":\"X\""));
    assert_true(Contains(Text, "\"name\":\"dispatch IRP#"));
    assert_true(Contains(Text, "IRP_MJ_DEVICE_CONTROL -> TraceFilter (unnamed)"));
    assert_true(Contains(Text, "\"name\":\"completion routine IRP#"));
    assert_true(Contains(Text, "\"cat\":\"dpc\""));
    assert_true(Contains(Text, "\"ph\":\"s\""));
    assert_true(Contains(Text, "\"ph\":\"f\""));
    assert_true(Contains(Text, "a \\\"quoted\\\" note\\\\with a backslash\\tand a tab"));
    free(Text);
}

/* The Mermaid diagram: the issuing thread, the I/O manager, the filter
   above the function driver, DPC / Timer; arrows down the stack, the
   STATUS_PENDING returns, the completion from the DPC and the routine
   running back up; options restrict it to some IRPs or a number of lines. */
static void TestMermaidDiagram(void **State)
{
    IRPSIM_TRACE_MERMAID_OPTIONS Options;
    FILE *Stream = TestTmpFile();
    REQUEST Cancelable;
    ULONG Held, Cancelled;
    char *Text;
    const char *FilterAt, *FunctionAt;
    (void)State;

    Held = IrpSimTraceIrpNumber(RunDpcScenario());
    assert_int_equal(Send(IOCTL_TRACE_CANCELABLE, &Cancelable), STATUS_PENDING);
    assert_true(IoCancelIrp(Cancelable.Irp));
    WaitFor(&Cancelable);
    Cancelled = IrpSimTraceIrpNumber(Cancelable.Irp);

    assert_non_null(Stream);
    IrpSimTraceWriteMermaid(Stream, NULL);
    Text = ReadAll(Stream);
    assert_true(Contains(Text, "```mermaid\nsequenceDiagram\n"));
    assert_true(Contains(Text, " as App/Test\n"));
    assert_true(Contains(Text, "participant IO as I/O manager\n"));
    assert_true(Contains(Text, "participant DPC as DPC / Timer\n"));
    FilterAt = strstr(Text, " as TraceFilter (unnamed)\n");
    FunctionAt = strstr(Text, " as TraceFunction\n");
    assert_non_null(FilterAt);
    assert_non_null(FunctionAt);
    assert_true(FilterAt < FunctionAt); /* top of the stack on the left */
    assert_true(Contains(Text, ": IoCallDriver IRP#35;%u IRP_MJ_DEVICE_CONTROL\n", (unsigned)Held));
    assert_true(Contains(Text, "-->>"));
    assert_true(Contains(Text, ": IRP#35;%u STATUS_PENDING\n", (unsigned)Held));
    assert_true(Contains(Text, "Note over DPC: DPC#35;"));
    assert_true(Contains(Text, "DPC->>IO: IoCompleteRequest IRP#35;%u STATUS_SUCCESS\n", (unsigned)Held));
    assert_true(Contains(Text, "IO->>"));
    assert_true(Contains(Text, ": completion routine IRP#35;%u returned STATUS_SUCCESS\n", (unsigned)Held));
    assert_true(Contains(Text, "IO-->>"));
    assert_true(Contains(Text, ": IRP#35;%u completed STATUS_SUCCESS\n", (unsigned)Held));
    assert_true(Contains(Text, "->>IO: IoCancelIrp IRP#35;%u\n", (unsigned)Cancelled));
    assert_true(Contains(Text, ": cancel routine IRP#35;%u\n", (unsigned)Cancelled));
    assert_true(Contains(Text, ": IoCompleteRequest IRP#35;%u STATUS_CANCELLED\n", (unsigned)Cancelled));
    /* Mermaid reads '#' as a comment and ';' as a statement end: neither
       may appear raw in a message. */
    assert_null(strstr(Text, "IRP#1 "));
    free(Text);

    /* Only the cancelled IRP, unfenced. */
    memset(&Options, 0, sizeof(Options));
    Options.Size = sizeof(Options);
    Options.Irps = &Cancelled;
    Options.IrpCount = 1;
    fclose(Stream);
    Stream = TestTmpFile();
    assert_non_null(Stream);
    IrpSimTraceWriteMermaid(Stream, &Options);
    Text = ReadAll(Stream);
    assert_true(strncmp(Text, "sequenceDiagram\n", 16) == 0);
    assert_true(Contains(Text, "IRP#35;%u", (unsigned)Cancelled));
    assert_null(strstr(Text, "DPC / Timer"));
    {
        char Needle[32];
        snprintf(Needle, sizeof(Needle), "IRP#35;%u ", (unsigned)Held);
        assert_null(strstr(Text, Needle));
    }
    free(Text);

    /* With the IRPs' allocation, stage 2 queuing and freeing. */
    Options.ShowIrpLifetime = TRUE;
    fclose(Stream);
    Stream = TestTmpFile();
    assert_non_null(Stream);
    IrpSimTraceWriteMermaid(Stream, &Options);
    Text = ReadAll(Stream);
    assert_true(Contains(Text, "Note over T"));
    assert_true(
        Contains(Text, ": IRP#35;%u allocated (IoBuildDeviceIoControlRequest, 2 locations)\n", (unsigned)Cancelled));
    assert_true(Contains(Text, "Note over IO: IRP#35;%u freed\n", (unsigned)Cancelled));
    free(Text);
    Options.ShowIrpLifetime = FALSE;

    /* At most three lines, and a note saying what was left out. */
    Options.IrpCount = 0;
    Options.Irps = NULL;
    Options.MaxEvents = 3;
    Options.Title = "three lines";
    fclose(Stream);
    Stream = TestTmpFile();
    assert_non_null(Stream);
    IrpSimTraceWriteMermaid(Stream, &Options);
    Text = ReadAll(Stream);
    assert_true(Contains(Text, "    title three lines\n"));
    assert_true(Contains(Text, "more not drawn"));
    free(Text);
    fclose(Stream);
}

/* ---- switching sinks on and off ---- */

/* Nothing is recorded while every sink is off. */
static void TestNothingRecordedWhenOff(void **State)
{
    REQUEST Now;
    (void)State;
    IrpSimTraceEnable(0, NULL);
    assert_int_equal(IrpSimTraceSinks(), 0);
    assert_int_equal(Send(IOCTL_TRACE_NOW, &Now), STATUS_SUCCESS);
    assert_int_equal(IrpSimTraceCount(), 0);
    assert_int_equal(IrpSimTraceIrpNumber(Now.Irp), 0);
}

static void RemoveFiles(const char *Prefix)
{
    static const char *const Extensions[] = {".json", ".md", ".txt"};
    char Path[256];
    for (ULONG i = 0; i < RTL_NUMBER_OF(Extensions); i++) {
        snprintf(Path, sizeof(Path), "%s%s", Prefix, Extensions[i]);
        (void)remove(Path);
    }
}

/* Sets (Value) or removes (NULL) an environment variable (the Microsoft C
   runtimes have _putenv_s, not setenv). */
static void SetEnv(const char *Name, const char *Value)
{
#ifdef _WIN32
    _putenv_s(Name, Value != NULL ? Value : "");
#else
    if (Value != NULL)
        setenv(Name, Value, 1);
    else
        unsetenv(Name);
#endif
}

static void ClearEnvironment(void)
{
    static const char *const Names[] = {
        "IRPSIM_TRACE",         "IRPSIM_TRACE_FILE",         "IRPSIM_TRACE_TEXT",       "IRPSIM_TRACE_CHROME",
        "IRPSIM_TRACE_MERMAID", "IRPSIM_TRACE_MERMAID_IRPS", "IRPSIM_TRACE_MERMAID_MAX"};
    for (ULONG i = 0; i < RTL_NUMBER_OF(Names); i++)
        SetEnv(Names[i], NULL);
}

/* IRPSIM_TRACE and the per-sink file variables switch sinks on at
   IrpSimInitialize without the program asking; the program switching its
   own sinks off leaves them on. The files are written when the machine
   stops; a second session in the same process is appended (the Chrome file
   gets a second process and stays valid JSON). The Chrome file is kept for
   trace_chrome_json_sessions. */
static void TestEnvironmentSwitchesSinksOn(void **State)
{
    REQUEST Now;
    char *Text;
    (void)State;

    RemoveFiles("trace_env_test");
    SetEnv("IRPSIM_TRACE", "memory,text,chrome,mermaid");
    SetEnv("IRPSIM_TRACE_TEXT", "trace_env_test.txt");
    SetEnv("IRPSIM_TRACE_CHROME", "trace_env_test.json");
    SetEnv("IRPSIM_TRACE_MERMAID", "trace_env_test.md");

    for (int Session = 1; Session <= 2; Session++) {
        assert_int_equal(IrpSimInitialize(NULL), STATUS_SUCCESS);
        assert_int_equal(IrpSimTraceSinks(), IRPSIM_TRACE_ALL);
        IrpSimTraceEnable(0, NULL);
        assert_int_equal(IrpSimTraceSinks(), IRPSIM_TRACE_ALL);
        assert_int_equal(LoadStack(), 0);
        if (Session == 1)
            (void)RunDpcScenario();
        else
            assert_int_equal(Send(IOCTL_TRACE_NOW, &Now), STATUS_SUCCESS);
        assert_true(IrpSimTraceCount() > 0);
        UnloadStack();
        IrpSimShutdown();
        /* Off again until the next IrpSimInitialize reads the environment. */
        assert_int_equal(IrpSimTraceSinks(), 0);
    }
    ClearEnvironment();

    Text = ReadFileText("trace_env_test.txt");
    assert_true(Contains(Text, "== irpsim trace, session 1 =="));
    assert_true(Contains(Text, "== irpsim trace, session 2 =="));
    assert_true(Contains(Text, "IrpCallDriver"));
    free(Text);
    Text = ReadFileText("trace_env_test.md");
    assert_true(Contains(Text, "<!-- irpsim trace, session 1 -->\n```mermaid\nsequenceDiagram\n"));
    assert_true(Contains(Text, "<!-- irpsim trace, session 2 -->\n```mermaid\nsequenceDiagram\n"));
    assert_true(Contains(Text, "Note over DPC"));
    free(Text);
    Text = ReadFileText("trace_env_test.json");
    assert_true(IsJson(Text));
    assert_true(Contains(Text, "\"pid\":1,"));
    assert_true(Contains(Text, "\"pid\":2,"));
    assert_true(Contains(Text, "\"irpsim session 2\""));
    free(Text);
    (void)remove("trace_env_test.txt");
    (void)remove("trace_env_test.md");
}

/* IRPSIM_TRACE_FILE names all files by a prefix; IRPSIM_TRACE_MERMAID_IRPS
   and _MAX shape the diagram. */
static void TestEnvironmentFilePrefix(void **State)
{
    REQUEST Now;
    char *Text;
    (void)State;

    RemoveFiles("trace_prefix_test");
    SetEnv("IRPSIM_TRACE", "chrome,mermaid");
    SetEnv("IRPSIM_TRACE_FILE", "trace_prefix_test");
    SetEnv("IRPSIM_TRACE_MERMAID_IRPS", "5,1");
    SetEnv("IRPSIM_TRACE_MERMAID_MAX", "4");
    assert_int_equal(IrpSimInitialize(NULL), STATUS_SUCCESS);
    ClearEnvironment(); /* read once, at IrpSimInitialize */
    assert_int_equal(IrpSimTraceSinks(), IRPSIM_TRACE_CHROME | IRPSIM_TRACE_MERMAID);
    assert_int_equal(LoadStack(), 0);
    assert_int_equal(Send(IOCTL_TRACE_NOW, &Now), STATUS_SUCCESS);
    UnloadStack();
    IrpSimShutdown();

    Text = ReadFileText("trace_prefix_test.json");
    assert_true(IsJson(Text));
    free(Text);
    Text = ReadFileText("trace_prefix_test.md");
    assert_true(Contains(Text, "IRP#35;1 "));
    assert_null(strstr(Text, "IRP#35;2 "));
    assert_true(Contains(Text, "more not drawn"));
    free(Text);
    RemoveFiles("trace_prefix_test");
}

/* IrpSimTraceClear hides events from the queries, not from the files. */
static void TestClearKeepsFileEvents(void **State)
{
    REQUEST First, Second;
    char *Text;
    (void)State;

    (void)remove("trace_clear_test.json");
    assert_true(IrpSimTraceSetFile(IRPSIM_TRACE_CHROME, "trace_clear_test.json"));
    assert_false(IrpSimTraceSetFile(IRPSIM_TRACE_TEXT, "nowhere.txt"));
    IrpSimTraceEnable(IRPSIM_TRACE_MEMORY | IRPSIM_TRACE_CHROME, NULL);
    assert_int_equal(IrpSimInitialize(NULL), STATUS_SUCCESS);
    assert_int_equal(LoadStack(), 0);
    assert_int_equal(Send(IOCTL_TRACE_NOW, &First), STATUS_SUCCESS);
    IrpSimTraceClear();
    assert_int_equal(Send(IOCTL_TRACE_NOW, &Second), STATUS_SUCCESS);
    assert_int_equal(IrpSimTraceCountIrpEvents(Second.Irp, IrpSimTraceIrpAllocated), 1);
    UnloadStack();
    IrpSimShutdown();
    IrpSimTraceEnable(0, NULL);
    (void)IrpSimTraceSetFile(IRPSIM_TRACE_CHROME, NULL);

    Text = ReadFileText("trace_clear_test.json");
    assert_true(IsJson(Text));
    /* Both requests (and the create of IoGetDeviceObjectPointer before them). */
    assert_true(Contains(Text, "\"name\":\"IrpAllocated IRP#1\""));
    assert_int_equal(Occurrences(Text, "IRP_MJ_DEVICE_CONTROL -> TraceFilter (unnamed)"), 2);
    free(Text);
    (void)remove("trace_clear_test.json");
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(TestPendedIrpLifecycleOrder, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestQueriesOnImmediateRequest, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestCancelledAfterCancelRoutine, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestIdentityFollowsAllocation, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestTextTimeline, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestChromeJson, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestMermaidDiagram, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestNothingRecordedWhenOff, Setup, Teardown),
        cmocka_unit_test(TestEnvironmentSwitchesSinksOn),
        cmocka_unit_test(TestEnvironmentFilePrefix),
        cmocka_unit_test(TestClearKeepsFileEvents),
    };
    /* A run under IRPSIM_TRACE=... must not change what these tests see. */
    ClearEnvironment();
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
