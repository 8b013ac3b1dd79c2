/*
 * Seed 003 lesson (examples/roll-your-own): IRPs a driver allocates,
 * builds, recycles and frees itself, checked against the trace.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <irpsim/cmocka.h>
#include <irpsim/trace.h>

#include "lesson.h"

static int Setup(void **State)
{
    (void)State;
    return NT_SUCCESS(RollLessonStart()) ? 0 : -1;
}

static int Teardown(void **State)
{
    (void)State;
    return RollLessonStop() == 0 ? 0 : -1;
}

/* Windows: the creator of an IRP with exactly the target's stack locations
   has none of its own; its completion routine is called with DeviceObject
   NULL at location StackCount + 1, and by returning
   STATUS_MORE_PROCESSING_REQUIRED it stops completion: no stage 2 ever
   runs, the IRP is freed once, by its creator, after the routine's walk. */
static void TestOneIrpPerRequest(void **State)
{
    static const struct {
        ROLL_SOURCE Source;
        UCHAR Major;
        ULONG IoFlags;
        BOOLEAN Pend;
    } Cases[] = {
        {RollFromIoAllocateIrp, IRP_MJ_WRITE, DO_BUFFERED_IO, FALSE},
        {RollFromIoAllocateIrp, IRP_MJ_READ, DO_DIRECT_IO, TRUE},
        {RollFromOwnMemory, IRP_MJ_READ, DO_BUFFERED_IO, TRUE},
        {RollFromOwnMemory, IRP_MJ_WRITE, 0, FALSE},
    };
    static const IRPSIM_TRACE_KIND Order[] = {IrpSimTraceIrpAllocated, IrpSimTraceIrpCallDriver,
                                              IrpSimTraceIrpCompleteBegin, IrpSimTraceIrpCompletionRoutine};
    (void)State;
    for (ULONG i = 0; i < RTL_NUMBER_OF(Cases); i++) {
        ROLL_LESSON_RESULT R;
        IRPSIM_TRACE_EVENT Routine;
        PIRP Irp;
        RollLessonSend(Cases[i].Source, Cases[i].Major, Cases[i].IoFlags, Cases[i].Pend, &R);
        Irp = R.Request.Irp;
        assert_int_equal(R.Sent, STATUS_PENDING);
        assert_int_equal(R.DataMoved, ROLL_LESSON_LENGTH);
        assert_null(R.Request.RoutineDevice);
        assert_int_equal(R.Request.PendingReturned, Cases[i].Pend);
        assert_int_equal(R.Request.RoutineIrql, Cases[i].Pend ? DISPATCH_LEVEL : PASSIVE_LEVEL);
        assert_true(IrpSimTraceIrpHasSequence(Irp, Order, RTL_NUMBER_OF(Order)));
        assert_true(IrpSimTraceIrpFindEvent(Irp, IrpSimTraceIrpCompletionRoutine, 0, &Routine));
        assert_int_equal((NTSTATUS)Routine.Argument[1], STATUS_MORE_PROCESSING_REQUIRED);
        assert_int_equal(IrpSimTraceCountIrpEvents(Irp, IrpSimTraceIrpCompleted), 0);
        if (Cases[i].Source == RollFromIoAllocateIrp)
            assert_int_equal(IrpSimTraceCountIrpEvents(Irp, IrpSimTraceIrpFreed), 1);
    }
}

/* The private pool: three IRPs of six locations, allocated once; three
   requests in flight take all of them, a fourth is refused; each IRP comes
   back through IoReuseIrp in the completion routine and is sent again - the
   same IRP, never allocated again. */
static void TestPrivatePool(void **State)
{
    static ROLL_POOL_RESULT P;
    ULONG Sends = 0;
    (void)State;
    RollLessonPool(&P);
    assert_int_equal(P.FreeWhileBusy, 0);
    assert_int_equal(P.FreeAfter, ROLL_POOL_IRPS);
    assert_int_equal(P.Requests[3].Sent, STATUS_INSUFFICIENT_RESOURCES);
    for (ULONG i = 0; i < RTL_NUMBER_OF(P.Requests); i++) {
        if (i == 3)
            continue;
        assert_int_equal(P.Requests[i].Sent, STATUS_PENDING);
        assert_int_equal(P.Requests[i].DataMoved, ROLL_LESSON_LENGTH);
        assert_int_equal(P.Requests[i].Request.Status, STATUS_SUCCESS);
        assert_null(P.Requests[i].Request.RoutineDevice);
        assert_int_equal(P.Requests[i].Request.RoutineLocation, ROLL_POOL_STACK_SIZE + 1);
    }
    for (ULONG i = 0; i < ROLL_POOL_IRPS; i++) {
        PIRP Irp = RollPoolIrp(i);
        IRPSIM_TRACE_EVENT Allocated;
        assert_int_equal(P.PoolIrpAllocations[i], 1);
        assert_true(IrpSimTraceIrpFindEvent(Irp, IrpSimTraceIrpAllocated, 0, &Allocated));
        assert_int_equal(Allocated.Argument[0], ROLL_POOL_STACK_SIZE);
        assert_int_equal(IrpSimTraceCountIrpEvents(Irp, IrpSimTraceIrpFreed), 0);
        assert_int_equal(IrpSimTraceCountIrpEvents(Irp, IrpSimTraceIrpCompleted), 0);
        Sends += P.PoolIrpSends[i];
    }
    assert_int_equal(Sends, 6); /* six requests on three IRPs */
}

/* Rule 1: an IoAllocateIrp IRP has no thread; if its creator's routine
   does not return STATUS_MORE_PROCESSING_REQUIRED, Windows queues the
   completion APC to a NULL thread and crashes (irpsim: 0x0A, explained). */
static void TestForgottenMoreProcessingRequired(void **State)
{
    static IRPSIM_BUGCHECK_CATCH Catch;
    ROLL_LESSON_RESULT R;
    IRPSIM_TRACE_EVENT Routine;
    (void)State;
    RollLessonForgetMoreProcessing(&Catch, &R);
    assert_int_equal(R.BugCheck, IRQL_NOT_LESS_OR_EQUAL);
    assert_ptr_equal(Catch.Info.Irp, R.Request.Irp);
    assert_non_null(strstr(Catch.Info.Report, "STATUS_MORE_PROCESSING_REQUIRED"));
    assert_true(IrpSimTraceIrpFindEvent(R.Request.Irp, IrpSimTraceIrpCompletionRoutine, 0, &Routine));
    assert_int_equal((NTSTATUS)Routine.Argument[1], STATUS_CONTINUE_COMPLETION);
    assert_int_equal(IrpSimTraceCountIrpEvents(R.Request.Irp, IrpSimTraceIrpCompleted), 0);
}

/* Rule 2: an IoBuildSynchronousFsdRequest IRP is on its thread's IRP list;
   freeing it in the completion routine is 0xC9/0x20C (P3 the IRP). Handed
   back with IoCompleteRequest, the I/O manager finishes and frees it. */
static void TestFreeThreadedIrp(void **State)
{
    static IRPSIM_BUGCHECK_CATCH Catch;
    ROLL_LESSON_RESULT R;
    PIRP Irp;
    (void)State;
    RollLessonFreeThreadedIrp(&Catch, &R);
    Irp = R.Request.Irp;
    assert_int_equal(R.BugCheck, DRIVER_VERIFIER_IOMANAGER_VIOLATION);
    assert_int_equal(Catch.Info.Parameter[0], 0x20C);
    assert_ptr_equal((PVOID)Catch.Info.Parameter[2], Irp);
    assert_int_equal(R.FinalIosb, STATUS_SUCCESS);
    assert_int_equal(IrpSimTraceCountIrpEvents(Irp, IrpSimTraceIrpCompleteBegin), 2);
    assert_int_equal(IrpSimTraceCountIrpEvents(Irp, IrpSimTraceIrpCompleted), 1);
    assert_int_equal(IrpSimTraceCountIrpEvents(Irp, IrpSimTraceIrpFreed), 1);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(TestOneIrpPerRequest, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestPrivatePool, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestForgottenMoreProcessingRequired, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestFreeThreadedIrp, Setup, Teardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
