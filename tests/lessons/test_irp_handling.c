/*
 * Seed 002 lesson (examples/irp-handling): each of the six ways to send an
 * IRP, checked against the trace of the IRP it built.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <irpsim/cmocka.h>
#include <irpsim/trace.h>

#include "lesson.h"

static int Setup(void **State)
{
    (void)State;
    return NT_SUCCESS(LessonStart()) ? 0 : -1;
}

static int Teardown(void **State)
{
    (void)State;
    return LessonStop() == 0 ? 0 : -1;
}

/* The environment may choose the real clock: the interleavings need the
   virtual one (a timeout that expires only when nothing else can happen). */
static BOOLEAN VirtualClock(void)
{
    IRPSIM_CONFIG Config;
    IrpSimQueryConfig(&Config);
    return IrpSimGetClockMode() == IrpSimClockVirtual && Config.AutoAdvance;
}

static NTSTATUS FinalStatus(PIRP Irp)
{
    NTSTATUS Status = (NTSTATUS)0x0BADBAD0;
    assert_true(IrpSimTraceIrpFinalStatus(Irp, &Status));
    return Status;
}

/* The lower device's timer DPC completes most of these requests. A
   completion routine that signals the sender's event lets the sender run
   on at once, while the DPC is still inside IoCompleteRequest: the I/O
   manager records what the routine returned, and finishes the walk, only
   after the routine has returned. Windows does not say which of the two
   threads runs first, so before reading the IRP's history let every DPC
   queued so far finish (KeFlushQueuedDpcs waits for the one that is
   running, too). */
static void LetDpcsFinish(void)
{
    KeFlushQueuedDpcs();
}

/* Windows: an IRP the I/O manager built for a thread is completed once,
   goes through stage 2 once and is freed by the I/O manager. */
static void AssertFinishedOnce(PIRP Irp, ULONG CompleteCalls)
{
    assert_int_equal(IrpSimTraceCountIrpEvents(Irp, IrpSimTraceIrpCompleteBegin), CompleteCalls);
    assert_int_equal(IrpSimTraceCountIrpEvents(Irp, IrpSimTraceIrpCompleted), 1);
    assert_int_equal(IrpSimTraceCountIrpEvents(Irp, IrpSimTraceIrpFreed), 1);
}

/* Scenario 1. Windows: a request completed in the dispatch routine is
   finished (stage 2 included) before IoCallDriver returns, so nobody waits;
   an error that was not pended is not reported through the IOSB or event
   (SEMANTICS 3.7); a pended request is waited for. */
static void TestScenario1(void **State)
{
    LESSON_OUTCOME O;
    (void)State;

    LessonScenario1(LessonLowerSucceed, &O);
    assert_int_equal(O.Returned, STATUS_SUCCESS);
    assert_int_equal(O.Record.Waits, 0);
    assert_int_equal(FinalStatus(O.Irp), STATUS_SUCCESS);
    AssertFinishedOnce(O.Irp, 1);

    LessonScenario1(LessonLowerFail, &O);
    assert_int_equal(O.Returned, STATUS_IO_DEVICE_ERROR);
    assert_int_equal(O.Record.IoStatus.Status, SEED002_IOSB_UNTOUCHED);
    assert_false(O.Record.EventSignalled);
    AssertFinishedOnce(O.Irp, 1);

    LessonScenario1(LessonLowerPendDpc, &O);
    LetDpcsFinish();
    {
        static const IRPSIM_TRACE_KIND Order[] = {IrpSimTraceIrpMarkedPending, IrpSimTraceIrpDispatchReturned,
                                                  IrpSimTraceIrpCompleteBegin, IrpSimTraceIrpCompleted};
        assert_true(IrpSimTraceIrpHasSequence(O.Irp, Order, RTL_NUMBER_OF(Order)));
    }
    assert_int_equal(O.Returned, STATUS_SUCCESS);
    assert_int_equal(O.Record.Waits, 1);
    AssertFinishedOnce(O.Irp, 1);
}

/* Scenario 2, interleaving 1: completed in time, never cancelled. */
static void TestScenario2NoCancellation(void **State)
{
    LESSON_OUTCOME O;
    (void)State;
    if (!VirtualClock())
        skip();
    LessonScenario2(LessonNoCancellation, &O);
    LetDpcsFinish();
    assert_int_equal(O.Returned, STATUS_SUCCESS);
    assert_int_equal(IrpSimTraceCountIrpEvents(O.Irp, IrpSimTraceIrpCancelRequested), 0);
    assert_int_equal(FinalStatus(O.Irp), STATUS_SUCCESS);
    AssertFinishedOnce(O.Irp, 1);
}

/* Interleaving 2: Windows runs the cancel routine inside IoCancelIrp; this
   one defers completion to a DPC, so IoCancelIrp returns first and the IRP
   completes afterwards with STATUS_CANCELLED; the routine lets completion
   go on. */
static void TestScenario2CancelReturnsBeforeCompletion(void **State)
{
    static const IRPSIM_TRACE_KIND Order[] = {IrpSimTraceIrpCancelRequested, IrpSimTraceIrpCancelRoutineRun,
                                              IrpSimTraceIrpCompleteBegin, IrpSimTraceIrpCompletionRoutine,
                                              IrpSimTraceIrpCompleted};
    IRPSIM_TRACE_EVENT Routine;
    LESSON_OUTCOME O;
    (void)State;
    if (!VirtualClock())
        skip();
    LessonScenario2(LessonCancelReturnsBeforeCompletion, &O);
    LetDpcsFinish();
    assert_int_equal(O.Returned, STATUS_TIMEOUT);
    assert_true(IrpSimTraceIrpHasSequence(O.Irp, Order, RTL_NUMBER_OF(Order)));
    assert_true(IrpSimTraceIrpFindEvent(O.Irp, IrpSimTraceIrpCompletionRoutine, 0, &Routine));
    assert_int_equal((NTSTATUS)Routine.Argument[1], STATUS_CONTINUE_COMPLETION);
    assert_int_equal(FinalStatus(O.Irp), STATUS_CANCELLED);
    assert_int_equal(O.Record.SenderCompletions, 0);
    AssertFinishedOnce(O.Irp, 1);
}

/* Interleaving 3: the request completed between the timeout and the
   sender's exchange; the sender sees COMPLETED and never touches the IRP
   (no IoCancelIrp in its history). */
static void TestScenario2CompletedBeforeCancel(void **State)
{
    LESSON_OUTCOME O;
    (void)State;
    if (!VirtualClock())
        skip();
    LessonScenario2(LessonCompletedBeforeCancel, &O);
    LetDpcsFinish();
    assert_int_equal(O.Returned, STATUS_TIMEOUT);
    assert_int_equal(IrpSimTraceCountIrpEvents(O.Irp, IrpSimTraceIrpCancelRequested), 0);
    assert_int_equal(O.Record.Exchange[0].Who, 'C');
    assert_int_equal(FinalStatus(O.Irp), STATUS_SUCCESS);
    AssertFinishedOnce(O.Irp, 1);
}

/* Interleaving 4: completed inside IoCancelIrp; the routine stops
   completion (STATUS_MORE_PROCESSING_REQUIRED) and the sender completes the
   IRP again: two IoCompleteRequest calls, one stage 2, one free. */
static void TestScenario2CompletedDuringCancel(void **State)
{
    static const IRPSIM_TRACE_KIND Order[] = {IrpSimTraceIrpCancelRequested, IrpSimTraceIrpCancelRoutineRun,
                                              IrpSimTraceIrpCompleteBegin, IrpSimTraceIrpCompletionRoutine,
                                              IrpSimTraceIrpCompleteBegin, IrpSimTraceIrpCompleted,
                                              IrpSimTraceIrpFreed};
    IRPSIM_TRACE_EVENT Routine;
    LESSON_OUTCOME O;
    (void)State;
    if (!VirtualClock())
        skip();
    LessonScenario2(LessonCompletedDuringCancel, &O);
    LetDpcsFinish();
    assert_int_equal(O.Returned, STATUS_TIMEOUT);
    assert_true(IrpSimTraceIrpHasSequence(O.Irp, Order, RTL_NUMBER_OF(Order)));
    assert_true(IrpSimTraceIrpFindEvent(O.Irp, IrpSimTraceIrpCompletionRoutine, 0, &Routine));
    assert_int_equal((NTSTATUS)Routine.Argument[1], STATUS_MORE_PROCESSING_REQUIRED);
    assert_int_equal(FinalStatus(O.Irp), STATUS_CANCELLED);
    AssertFinishedOnce(O.Irp, 2);
}

/* As published (&lock): in interleaving 3 the sender still finds
   CANCELABLE and calls IoCancelIrp on an IRP the I/O manager has finished
   and freed. Windows with special pool: bug check 0xCC on the IRP, a write. */
static void TestScenario2AsPublished(void **State)
{
    static IRPSIM_BUGCHECK_CATCH Catch;
    LESSON_OUTCOME O;
    (void)State;
    if (!VirtualClock())
        skip();
    LessonScenario2AsPublished(LessonCompletedDuringCancel, &O, &Catch);
    LetDpcsFinish();
    assert_int_equal(O.BugCheck, 0); /* happens to work */
    AssertFinishedOnce(O.Irp, 1);

    LessonScenario2AsPublished(LessonCompletedBeforeCancel, &O, &Catch);
    LetDpcsFinish();
    assert_int_equal(O.BugCheck, 0xCC);
    assert_ptr_equal((PVOID)Catch.Info.Parameter[0], O.Irp);
    assert_int_equal(Catch.Info.Parameter[1], 1);
    /* The IRP had already been completed once and freed; the bug check is in the trace. */
    AssertFinishedOnce(O.Irp, 1);
    {
        ULONG Index = 0;
        IRPSIM_TRACE_EVENT Event;
        assert_true(IrpSimTraceFind(&Index, IrpSimTraceBugCheck, NULL, &Event));
        assert_int_equal(Event.Argument[0], 0xCC);
    }
}

/* Scenarios 3 and 4 with a pended request. 3: the routine lets completion
   continue, one completion. 4: the routine stops it, the sender completes
   again; the I/O manager finishes the IRP once. */
static void TestScenarios3And4(void **State)
{
    IRPSIM_TRACE_EVENT Routine;
    LESSON_OUTCOME O;
    (void)State;

    LessonScenario3(LessonLowerPendDpc, &O);
    LetDpcsFinish();
    assert_int_equal(O.Returned, STATUS_SUCCESS);
    assert_true(IrpSimTraceIrpFindEvent(O.Irp, IrpSimTraceIrpCompletionRoutine, 0, &Routine));
    assert_int_equal((NTSTATUS)Routine.Argument[1], STATUS_CONTINUE_COMPLETION);
    AssertFinishedOnce(O.Irp, 1);

    LessonScenario4(LessonLowerPendDpc, &O);
    LetDpcsFinish();
    assert_int_equal(O.Returned, STATUS_SUCCESS);
    assert_true(IrpSimTraceIrpFindEvent(O.Irp, IrpSimTraceIrpCompletionRoutine, 0, &Routine));
    assert_int_equal((NTSTATUS)Routine.Argument[1], STATUS_MORE_PROCESSING_REQUIRED);
    AssertFinishedOnce(O.Irp, 2);

    LessonScenario4(LessonLowerFail, &O);
    assert_int_equal(O.Returned, STATUS_IO_DEVICE_ERROR);
    assert_int_equal(O.Record.Waits, 0); /* an error not pended: no signal to wait for */
    AssertFinishedOnce(O.Irp, 2);
}

/* Scenarios 5 and 6: the creator's routine is called with DeviceObject
   NULL (it has no stack location), frees the IRP and returns
   STATUS_MORE_PROCESSING_REQUIRED: no stage 2, freed once. */
static void TestScenarios5And6(void **State)
{
    static const IRPSIM_TRACE_KIND Order[] = {IrpSimTraceIrpCompleteBegin, IrpSimTraceIrpFreed,
                                              IrpSimTraceIrpCompletionRoutine};
    IRPSIM_TRACE_EVENT Allocated;
    LESSON_OUTCOME O;
    (void)State;

    LessonScenario5(LessonLowerPendDpc, DO_DIRECT_IO, &O);
    assert_null(O.Async.DeviceObject);
    assert_int_equal(O.Async.Status, STATUS_SUCCESS);
    assert_true(IrpSimTraceIrpHasSequence(O.Irp, Order, RTL_NUMBER_OF(Order)));
    assert_int_equal(IrpSimTraceCountIrpEvents(O.Irp, IrpSimTraceIrpCompleted), 0);

    LessonScenario6(LessonLowerFail, 0, &O);
    assert_null(O.Async.DeviceObject);
    assert_int_equal(O.Async.Status, STATUS_IO_DEVICE_ERROR);
    assert_true(IrpSimTraceIrpFindEvent(O.Irp, IrpSimTraceIrpAllocated, 0, &Allocated));
    assert_int_equal(Allocated.Argument[0], O.Lower->StackSize); /* IoAllocateIrp(StackSize): no slot of its own */
    assert_true(IrpSimTraceIrpHasSequence(O.Irp, Order, RTL_NUMBER_OF(Order)));
    assert_int_equal(IrpSimTraceCountIrpEvents(O.Irp, IrpSimTraceIrpCompleted), 0);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(TestScenario1, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestScenario2NoCancellation, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestScenario2CancelReturnsBeforeCompletion, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestScenario2CompletedBeforeCancel, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestScenario2CompletedDuringCancel, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestScenario2AsPublished, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestScenarios3And4, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestScenarios5And6, Setup, Teardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
