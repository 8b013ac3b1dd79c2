/*
 * The event before a completion routine runs (IrpCompletionRoutineStart).
 *
 * IoCompleteRequest walks the stack from the completing driver's location
 * up, and at each location whose slot holds a completion routine with the
 * matching invoke flag it calls that routine with the device of the
 * location it reaches, or NULL at the originator's, StackCount + 1
 * (SEMANTICS.md 3.2-3.4; the WDK's IoSetCompletionRoutine and "Completing
 * IRPs"). So for an IRP sent down two filters that each set a routine, over
 * a function driver that completes it at once, and with the originator's
 * own routine, the trace must show, in this order: the lower filter's
 * routine starting (location 2, its device), what the routine did, its
 * return; the same for the upper filter (location 3); then the
 * originator's routine (location 4, no device), which keeps the IRP with
 * STATUS_MORE_PROCESSING_REQUIRED.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "completion_stack.h"
#include <irpsim/irpsim.h>
#include <irpsim/trace.h>
#include "../support/test_tmpfile.h"

static PDRIVER_OBJECT Stack;

static int Setup(void **State)
{
    (void)State;
    IrpSimTraceEnable(IRPSIM_TRACE_MEMORY, NULL);
    if (IrpSimInitialize(NULL) != STATUS_SUCCESS)
        return -1;
    if (!NT_SUCCESS(IrpSimLoadDriver(L"\\Driver\\CompletionStack", CompletionStackEntry, &Stack)))
        return -1;
    IrpSimTraceClear();
    return 0;
}

static int Teardown(void **State)
{
    (void)State;
    (void)IrpSimUnloadDriver(Stack);
    IrpSimShutdown();
    IrpSimTraceEnable(0, NULL);
    return 0;
}

static NTSTATUS NTAPI OriginatorCompletion(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Irp);
    UNREFERENCED_PARAMETER(Context);
    IrpSimTraceAddNote("originator's completion routine");
    return STATUS_MORE_PROCESSING_REQUIRED;
}

/* Sends an IRP of its own down the stack; the caller frees it. */
static PIRP SendThroughStack(void)
{
    PDEVICE_OBJECT Top = CompletionStackFilters[1];
    PIRP Irp = IoAllocateIrp(Top->StackSize, FALSE);
    PIO_STACK_LOCATION Next = IoGetNextIrpStackLocation(Irp);
    Next->MajorFunction = IRP_MJ_DEVICE_CONTROL;
    IoSetCompletionRoutine(Irp, OriginatorCompletion, NULL, TRUE, TRUE, TRUE);
    assert_int_equal(IoCallDriver(Top, Irp), STATUS_SUCCESS);
    return Irp;
}

/* The index of the first event at or after From that is of Kind and names
   Object (NULL: any object); fails the test if there is none. */
static ULONG NextEvent(ULONG From, IRPSIM_TRACE_KIND Kind, PVOID Object, PIRPSIM_TRACE_EVENT Event)
{
    ULONG Index = From;
    assert_true(IrpSimTraceFind(&Index, Kind, Object, Event));
    return Index;
}

/* How many events of Kind name Object. */
static ULONG CountEvents(PVOID Object, IRPSIM_TRACE_KIND Kind)
{
    ULONG Count = 0;
    for (ULONG Index = 0; IrpSimTraceFind(&Index, Kind, Object, NULL); Index++)
        Count++;
    return Count;
}

/* The note a routine left, at or after From. */
static ULONG NextNote(ULONG From, PCSTR Text)
{
    IRPSIM_TRACE_EVENT Event;
    ULONG Index = From;
    while (IrpSimTraceFind(&Index, IrpSimTraceNote, NULL, &Event)) {
        if (strcmp(Event.Text, Text) == 0)
            return Index;
        Index++;
    }
    fail_msg("note \"%s\" not found", Text);
    return 0;
}

static void TestStartThenReturnForEachRoutine(void **State)
{
    static const struct {
        LONG Location;
        PCSTR Note;
        NTSTATUS Result;
    } Expected[3] = {
        {2, COMPLETION_STACK_NOTE_LOWER, STATUS_CONTINUE_COMPLETION},
        {3, COMPLETION_STACK_NOTE_UPPER, STATUS_CONTINUE_COMPLETION},
        {4, "originator's completion routine", STATUS_MORE_PROCESSING_REQUIRED},
    };
    PDEVICE_OBJECT Devices[3] = {CompletionStackFilters[0], CompletionStackFilters[1], NULL};
    IRPSIM_TRACE_EVENT Begin, Start, Return;
    ULONG Index;
    PIRP Irp;
    (void)State;

    Irp = SendThroughStack();
    assert_int_equal(Irp->StackCount, 3);
    Index = NextEvent(0, IrpSimTraceIrpCompleteBegin, Irp, &Begin);
    assert_int_equal(Begin.Argument[2], 1); /* completed by the function driver, at location 1 */

    for (ULONG i = 0; i < 3; i++) {
        ULONG StartIndex = NextEvent(Index + 1, IrpSimTraceIrpCompletionRoutineStart, Irp, &Start);
        ULONG NoteIndex = NextNote(StartIndex + 1, Expected[i].Note);
        ULONG ReturnIndex = NextEvent(StartIndex + 1, IrpSimTraceIrpCompletionRoutine, Irp, &Return);

        /* Start, then what the routine did, then its return. */
        assert_true(StartIndex < NoteIndex);
        assert_true(NoteIndex < ReturnIndex);
        /* No other routine of this IRP starts in between. */
        {
            IRPSIM_TRACE_EVENT Other;
            ULONG Later = StartIndex + 1;
            if (IrpSimTraceFind(&Later, IrpSimTraceIrpCompletionRoutineStart, Irp, &Other))
                assert_true(Later > ReturnIndex);
        }
        /* Both carry the routine and its location; the start also carries
           the device the routine is given. */
        assert_int_equal(Start.Argument[0], Return.Argument[0]);
        assert_int_equal(Start.Argument[2], Expected[i].Location);
        assert_int_equal(Return.Argument[2], Expected[i].Location);
        assert_ptr_equal((PVOID)Start.Argument[1], Devices[i]);
        assert_int_equal((NTSTATUS)(ULONG)Return.Argument[1], Expected[i].Result);
        /* Named as the IRP's other events are, on the same thread. */
        assert_string_equal(Start.ObjectName, Begin.ObjectName);
        assert_int_equal(Start.ThreadId, Return.ThreadId);
        Index = ReturnIndex;
    }
    assert_ptr_equal((PVOID)Start.Argument[0], (PVOID)OriginatorCompletion);
    assert_int_equal(CountEvents(Irp, IrpSimTraceIrpCompletionRoutineStart), 3);
    IoFreeIrp(Irp);
}

/* A routine the walk skips (its invoke flag does not match the status)
   gets no start event either. */
static void TestNoStartForASkippedRoutine(void **State)
{
    PDEVICE_OBJECT Top = CompletionStackFilters[1];
    PIRP Irp = IoAllocateIrp(Top->StackSize, FALSE);
    PIO_STACK_LOCATION Next = IoGetNextIrpStackLocation(Irp);
    (void)State;

    Next->MajorFunction = IRP_MJ_DEVICE_CONTROL;
    IoSetCompletionRoutine(Irp, OriginatorCompletion, NULL, FALSE, TRUE, TRUE); /* not on success */
    /* With no routine to take it back, the threadless IRP would be handed
       to a thread that does not exist: give it one. */
    Irp->Tail.Overlay.Thread = PsGetCurrentThread();
    assert_int_equal(IoCallDriver(Top, Irp), STATUS_SUCCESS);
    assert_int_equal(CountEvents(Irp, IrpSimTraceIrpCompletionRoutineStart), 2);
    assert_int_equal(CountEvents(Irp, IrpSimTraceIrpCompletionRoutine), 2);
}

static BOOLEAN Contains(PCSTR Text, PCSTR Part)
{
    return strstr(Text, Part) != NULL;
}

static ULONG CountOf(PCSTR Text, PCSTR Part)
{
    ULONG Count = 0;
    for (PCSTR At = strstr(Text, Part); At != NULL; At = strstr(At + 1, Part))
        Count++;
    return Count;
}

static char *Render(void (*Write)(FILE *Stream))
{
    FILE *Stream = TestTmpFile();
    long Size;
    char *Text;
    assert_non_null(Stream);
    Write(Stream);
    Size = ftell(Stream);
    Text = (char *)calloc(1, (size_t)Size + 1);
    rewind(Stream);
    assert_int_equal(fread(Text, 1, (size_t)Size, Stream), (size_t)Size);
    fclose(Stream);
    return Text;
}

static void WriteChrome(FILE *Stream)
{
    IrpSimTraceWriteChrome(Stream);
}

static void WriteMermaid(FILE *Stream)
{
    IrpSimTraceWriteMermaid(Stream, NULL);
}

/* Every sink knows the event: the text line says which routine starts
   where; Chrome draws each routine as one slice from its start to its
   return; Mermaid keeps one arrow per routine (drawn when it returns). */
static void TestSinksRenderTheStart(void **State)
{
    IRPSIM_TRACE_EVENT Start;
    CHAR Line[256];
    char *Chrome, *Mermaid;
    PIRP Irp;
    (void)State;

    Irp = SendThroughStack();
    assert_string_equal(IrpSimTraceKindName(IrpSimTraceIrpCompletionRoutineStart), "IrpCompletionRoutineStart");
    (void)NextEvent(0, IrpSimTraceIrpCompletionRoutineStart, Irp, &Start);
    IrpSimTraceFormat(&Start, Line, sizeof(Line));
    assert_true(Contains(Line, "IrpCompletionRoutineStart"));
    assert_true(Contains(Line, "at location 2 starts"));

    Chrome = Render(WriteChrome);
    assert_int_equal(CountOf(Chrome, "\"name\":\"completion routine IRP#"), 3);
    assert_false(Contains(Chrome, "\"name\":\"IrpCompletionRoutineStart"));
    assert_false(Contains(Chrome, "starts\""));
    free(Chrome);

    Mermaid = Render(WriteMermaid);
    assert_int_equal(CountOf(Mermaid, ": completion routine IRP#"), 3);
    free(Mermaid);
    IoFreeIrp(Irp);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(TestStartThenReturnForEachRoutine, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestNoStartForASkippedRoutine, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestSinksRenderTheStart, Setup, Teardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
