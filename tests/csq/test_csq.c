/*
 * Cancel-safe IRP queues (IO_CSQ): SEMANTICS.md section 6 and Microsoft's
 * "Cancel-Safe IRP Queues" / IoCsqXxx reference pages.
 *
 * IRPs reach the test driver the way they reach any driver: IoAllocateIrp,
 * a completion routine, IoCallDriver. The completion routine counts how
 * often each IRP completed and returns STATUS_MORE_PROCESSING_REQUIRED, so
 * the test keeps the IRP and frees it at the end.
 *
 * irpsim's choices on the points the sources leave open (Appendix B item 5)
 * are asserted here so a change is a visible decision:
 *   - an IRP is marked pending only when the insert succeeded;
 *   - in the "already cancelled" insert path CsqCompleteCanceledIrp runs
 *     after the queue lock is released;
 *   - IoCsqInsertIrpEx on a queue from IoCsqInitialize returns STATUS_SUCCESS.
 */
#include "csq_driver.h"
#include "irp_storm.h"
#include <irpsim/irpsim.h>
#include <irpsim/trace.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <irpsim/cmocka.h>

#ifndef KMODE_EXCEPTION_NOT_HANDLED
#define KMODE_EXCEPTION_NOT_HANDLED 0x0000001E
#endif

static PDRIVER_OBJECT TestDriver;
static FILE_OBJECT FileA;
static FILE_OBJECT FileB;

typedef struct _TEST_IRP {
    PIRP Irp;
    volatile LONG Completions;
    NTSTATUS Status;
} TEST_IRP, *PTEST_IRP;

static PCSQ_DEVICE_EXTENSION Ext(VOID)
{
    return (PCSQ_DEVICE_EXTENSION)CsqTestDevice->DeviceExtension;
}

static int Setup(void **State)
{
    (void)State;
    if (!NT_SUCCESS(IrpSimInitialize(NULL)))
        return -1;
    if (!NT_SUCCESS(IrpSimLoadDriver(L"\\Driver\\CsqTest", CsqTestDriverEntry, &TestDriver)))
        return -1;
    FileA.Type = IO_TYPE_FILE;
    FileA.Size = sizeof(FILE_OBJECT);
    FileB.Type = IO_TYPE_FILE;
    FileB.Size = sizeof(FILE_OBJECT);
    return 0;
}

static int Teardown(void **State)
{
    PCSQ_DEVICE_EXTENSION E = Ext();
    int Result = 0;
    (void)State;
    /* Whatever the test did, the library never called Insert/Remove/Peek
       without the driver's lock, nor CompleteCanceled with it. */
    if (E->Plain.CallsWithoutLock != 0 || E->Ex.CallsWithoutLock != 0 || E->Plain.CompleteCanceledWithLock != 0 ||
        E->Ex.CompleteCanceledWithLock != 0)
        Result = -1;
    IrpSimShutdown();
    if (IrpSimGetShutdownLeakCount() != 0)
        Result = -1;
    return Result;
}

IRPSIM_TRACED_FIXTURES(SetupTraced, TeardownTraced, Setup, Teardown)

static NTSTATUS NTAPI CountCompletion(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    PTEST_IRP T = (PTEST_IRP)Context;
    (void)DeviceObject;
    T->Status = Irp->IoStatus.Status;
    InterlockedIncrement(&T->Completions);
    return STATUS_MORE_PROCESSING_REQUIRED;
}

static PIRP BuildIoctl(PTEST_IRP T, ULONG Code, PFILE_OBJECT FileObject, PVOID Argument)
{
    PIRP Irp = IoAllocateIrp(CsqTestDevice->StackSize, FALSE);
    PIO_STACK_LOCATION IrpSp;
    assert_non_null(Irp);
    IrpSp = IoGetNextIrpStackLocation(Irp);
    IrpSp->MajorFunction = IRP_MJ_DEVICE_CONTROL;
    IrpSp->Parameters.DeviceIoControl.IoControlCode = Code;
    IrpSp->Parameters.DeviceIoControl.Type3InputBuffer = Argument;
    IrpSp->FileObject = FileObject;
    IoSetCompletionRoutine(Irp, CountCompletion, T, TRUE, TRUE, TRUE);
    T->Irp = Irp;
    T->Completions = 0;
    T->Status = STATUS_PENDING;
    return Irp;
}

/* Sends an IOCTL the driver queues; the dispatch routine returns STATUS_PENDING. */
static PIRP SendQueued(PTEST_IRP T, ULONG Code, PFILE_OBJECT FileObject, PVOID Argument)
{
    PIRP Irp = BuildIoctl(T, Code, FileObject, Argument);
    assert_int_equal(IoCallDriver(CsqTestDevice, Irp), STATUS_PENDING);
    return Irp;
}

/* What the test's "worker" does with an IRP it took off the queue. */
static VOID CompleteSuccess(PIRP Irp)
{
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
}

static VOID AssertCompletedOnce(PTEST_IRP T, NTSTATUS Status)
{
    assert_int_equal(T->Completions, 1);
    assert_int_equal(T->Status, Status);
}

static VOID FreeTestIrp(PTEST_IRP T)
{
    IoFreeIrp(T->Irp);
    T->Irp = NULL;
}

static BOOLEAN IsMarkedPending(PIRP Irp)
{
    return (BOOLEAN)((IoGetCurrentIrpStackLocation(Irp)->Control & SL_PENDING_RETURNED) != 0);
}

/* Asserts that the log of Queue is exactly Kinds (and that every callback
   other than CompleteCanceled ran with the lock held). */
static VOID AssertLog(PTEST_QUEUE Queue, const CSQ_EVENT_KIND *Kinds, LONG Count)
{
    assert_int_equal(Queue->LogCount, Count);
    for (LONG i = 0; i < Count; i++) {
        assert_int_equal(Queue->Log[i].Kind, Kinds[i]);
        if (Kinds[i] == CsqEvCompleteCanceled)
            assert_false(Queue->Log[i].LockHeld);
        else
            assert_true(Queue->Log[i].LockHeld);
    }
}

/* IoCsqInitialize sets Type IO_TYPE_CSQ (2), IoCsqInitializeEx
   IO_TYPE_CSQ_EX (3); both store the callbacks and clear ReservePointer,
   and return STATUS_SUCCESS. */
static void test_initialize(void **State)
{
    PCSQ_DEVICE_EXTENSION E = Ext();
    IO_CSQ Csq;
    (void)State;

    assert_int_equal(E->Plain.Csq.Type, IO_TYPE_CSQ);
    assert_int_equal(E->Ex.Csq.Type, IO_TYPE_CSQ_EX);
    assert_null(E->Plain.Csq.ReservePointer);
    assert_null(E->Ex.Csq.ReservePointer);

    memset(&Csq, 0xAB, sizeof(Csq));
    assert_int_equal(IoCsqInitialize(&Csq, E->Plain.Csq.CsqInsertIrp, E->Plain.Csq.CsqRemoveIrp,
                                     E->Plain.Csq.CsqPeekNextIrp, E->Plain.Csq.CsqAcquireLock,
                                     E->Plain.Csq.CsqReleaseLock, E->Plain.Csq.CsqCompleteCanceledIrp),
                     STATUS_SUCCESS);
    assert_int_equal(Csq.Type, IO_TYPE_CSQ);
    assert_null(Csq.ReservePointer);
    assert_ptr_equal(Csq.CsqRemoveIrp, E->Plain.Csq.CsqRemoveIrp);
    assert_ptr_equal(Csq.CsqCompleteCanceledIrp, E->Plain.Csq.CsqCompleteCanceledIrp);
}

/*
 * IoCsqRemoveNextIrp returns queued IRPs in the order CsqPeekNextIrp walks
 * them, and with a PeekContext only those the peek routine matches (here:
 * the same FILE_OBJECT, the documented cleanup pattern, SEMANTICS 6.7). A
 * queued IRP is marked pending and has a cancel routine; a removed one has
 * none and DriverContext[3] is cleared. An empty match returns NULL.
 */
static void test_remove_next_order_and_peek_context(void **State)
{
    TEST_IRP T[4];
    PFILE_OBJECT Files[4] = {&FileA, &FileB, &FileA, &FileB};
    PIO_CSQ Csq = &Ext()->Plain.Csq;
    PIRP Irp;
    (void)State;

    for (int i = 0; i < 4; i++) {
        SendQueued(&T[i], IOCTL_CSQ_QUEUE, Files[i], NULL);
        assert_true(IsMarkedPending(T[i].Irp));
        assert_non_null(T[i].Irp->CancelRoutine);
        /* No context given: DriverContext[3] points at the IO_CSQ itself. */
        assert_ptr_equal(T[i].Irp->Tail.Overlay.DriverContext[3], Csq);
        assert_int_equal(T[i].Completions, 0);
    }

    Irp = IoCsqRemoveNextIrp(Csq, &FileA);
    assert_ptr_equal(Irp, T[0].Irp);
    assert_null(Irp->CancelRoutine);
    assert_null(Irp->Tail.Overlay.DriverContext[3]);
    CompleteSuccess(Irp);
    assert_ptr_equal(IoCsqRemoveNextIrp(Csq, &FileA), T[2].Irp);
    CompleteSuccess(T[2].Irp);
    assert_null(IoCsqRemoveNextIrp(Csq, &FileA));

    assert_ptr_equal(IoCsqRemoveNextIrp(Csq, NULL), T[1].Irp);
    CompleteSuccess(T[1].Irp);
    assert_ptr_equal(IoCsqRemoveNextIrp(Csq, NULL), T[3].Irp);
    CompleteSuccess(T[3].Irp);
    assert_null(IoCsqRemoveNextIrp(Csq, NULL));

    for (int i = 0; i < 4; i++) {
        AssertCompletedOnce(&T[i], STATUS_SUCCESS);
        FreeTestIrp(&T[i]);
    }
}

/*
 * With an IO_CSQ_IRP_CONTEXT the insert fills the context (Type 1, Irp,
 * Csq) and stores it in DriverContext[3]. IoCsqRemoveIrp removes exactly
 * that IRP and clears Context->Irp. After the IRP was cancelled the context
 * is cleared by the cancel path, so IoCsqRemoveIrp returns NULL.
 */
static void test_remove_by_context(void **State)
{
    TEST_IRP T1, T2;
    IO_CSQ_IRP_CONTEXT C1, C2;
    PIO_CSQ Csq = &Ext()->Plain.Csq;
    (void)State;

    memset(&C1, 0xCC, sizeof(C1));
    memset(&C2, 0xCC, sizeof(C2));
    SendQueued(&T1, IOCTL_CSQ_QUEUE_CONTEXT, &FileA, &C1);
    SendQueued(&T2, IOCTL_CSQ_QUEUE_CONTEXT, &FileA, &C2);
    assert_int_equal(C1.Type, IO_TYPE_CSQ_IRP_CONTEXT);
    assert_ptr_equal(C1.Irp, T1.Irp);
    assert_ptr_equal(C1.Csq, Csq);
    assert_ptr_equal(T1.Irp->Tail.Overlay.DriverContext[3], &C1);
    assert_ptr_equal(T2.Irp->Tail.Overlay.DriverContext[3], &C2);

    /* The second one first: removal is by identity, not by position. */
    assert_ptr_equal(IoCsqRemoveIrp(Csq, &C2), T2.Irp);
    assert_null(C2.Irp);
    assert_null(T2.Irp->Tail.Overlay.DriverContext[3]);
    assert_null(T2.Irp->CancelRoutine);
    assert_null(IoCsqRemoveIrp(Csq, &C2));
    CompleteSuccess(T2.Irp);

    assert_true(IoCancelIrp(T1.Irp));
    AssertCompletedOnce(&T1, STATUS_CANCELLED);
    assert_null(C1.Irp);
    assert_null(IoCsqRemoveIrp(Csq, &C1));
    assert_null(IoCsqRemoveNextIrp(Csq, NULL));

    AssertCompletedOnce(&T2, STATUS_SUCCESS);
    FreeTestIrp(&T1);
    FreeTestIrp(&T2);
}

/*
 * When the library calls each callback: insert = Acquire, Insert, Release;
 * dequeue = Acquire, Peek, Remove, Release; cancel = Acquire, Remove,
 * Release, CompleteCanceled. Insert/Remove/Peek run with the driver's lock
 * held (at the IRQL the lock raised to); CompleteCanceled without it.
 */
static void test_callback_order_and_lock(void **State)
{
    static const CSQ_EVENT_KIND Insert[] = {CsqEvAcquire, CsqEvInsert, CsqEvRelease};
    static const CSQ_EVENT_KIND Dequeue[] = {CsqEvAcquire, CsqEvPeek, CsqEvRemove, CsqEvRelease};
    static const CSQ_EVENT_KIND Cancel[] = {CsqEvAcquire, CsqEvRemove, CsqEvRelease, CsqEvCompleteCanceled};
    PTEST_QUEUE Queue = &Ext()->Plain;
    TEST_IRP T1, T2;
    (void)State;

    CsqTestResetLog(Queue);
    SendQueued(&T1, IOCTL_CSQ_QUEUE, &FileA, NULL);
    AssertLog(Queue, Insert, 3);
    assert_int_equal(Queue->Log[1].Irql, DISPATCH_LEVEL); /* KeAcquireSpinLock raised it */
    assert_ptr_equal(Queue->Log[1].Irp, T1.Irp);

    CsqTestResetLog(Queue);
    assert_ptr_equal(IoCsqRemoveNextIrp(&Queue->Csq, NULL), T1.Irp);
    AssertLog(Queue, Dequeue, 4);
    assert_null(Queue->Log[1].Irp); /* the first peek starts from the head */
    assert_ptr_equal(Queue->Log[2].Irp, T1.Irp);
    CompleteSuccess(T1.Irp);

    SendQueued(&T2, IOCTL_CSQ_QUEUE, &FileA, NULL);
    CsqTestResetLog(Queue);
    assert_true(IoCancelIrp(T2.Irp));
    AssertLog(Queue, Cancel, 4);
    assert_ptr_equal(Queue->Log[1].Irp, T2.Irp);
    assert_ptr_equal(Queue->Log[3].Irp, T2.Irp);

    AssertCompletedOnce(&T1, STATUS_SUCCESS);
    AssertCompletedOnce(&T2, STATUS_CANCELLED);
    FreeTestIrp(&T1);
    FreeTestIrp(&T2);
}

/*
 * IoCancelIrp on a queued IRP finds the library's cancel routine (returns
 * TRUE), which removes the IRP and hands it to CsqCompleteCanceledIrp
 * exactly once; the IRP completes with STATUS_CANCELLED and is never
 * returned by IoCsqRemoveNextIrp. A second IoCancelIrp finds no routine.
 */
static void test_cancel_queued_irp(void **State)
{
    PTEST_QUEUE Queue = &Ext()->Plain;
    TEST_IRP T1, T2;
    (void)State;

    SendQueued(&T1, IOCTL_CSQ_QUEUE, &FileA, NULL);
    SendQueued(&T2, IOCTL_CSQ_QUEUE, &FileA, NULL);
    assert_true(IoCancelIrp(T1.Irp));
    assert_int_equal(Queue->CompleteCanceledCalls, 1);
    AssertCompletedOnce(&T1, STATUS_CANCELLED);
    assert_false(IoCancelIrp(T1.Irp));
    assert_int_equal(Queue->CompleteCanceledCalls, 1);
    assert_int_equal(T1.Completions, 1);

    /* The other IRP is untouched and still first in line. */
    assert_ptr_equal(IoCsqRemoveNextIrp(&Queue->Csq, NULL), T2.Irp);
    assert_null(IoCsqRemoveNextIrp(&Queue->Csq, NULL));
    CompleteSuccess(T2.Irp);
    AssertCompletedOnce(&T2, STATUS_SUCCESS);
    FreeTestIrp(&T1);
    FreeTestIrp(&T2);
}

/*
 * An IRP cancelled before it reaches the queue (IoCancelIrp found no cancel
 * routine and returned FALSE, leaving Irp->Cancel set): the insert arms the
 * routine, sees Cancel, takes the routine back and completes the IRP
 * through CsqCompleteCanceledIrp — after releasing the queue lock (irpsim's
 * choice). The driver still returns STATUS_PENDING, correctly, because the
 * IRP was marked pending. It is never returned by IoCsqRemoveNextIrp.
 */
static void test_cancelled_before_insert(void **State)
{
    static const CSQ_EVENT_KIND Expected[] = {CsqEvAcquire, CsqEvInsert, CsqEvRemove, CsqEvRelease,
                                              CsqEvCompleteCanceled};
    PTEST_QUEUE Queue = &Ext()->Plain;
    IO_CSQ_IRP_CONTEXT Context;
    TEST_IRP T;
    PIRP Irp;
    (void)State;

    Irp = BuildIoctl(&T, IOCTL_CSQ_QUEUE_CONTEXT, &FileA, &Context);
    assert_false(IoCancelIrp(Irp));
    assert_true(Irp->Cancel);
    CsqTestResetLog(Queue);
    assert_int_equal(IoCallDriver(CsqTestDevice, Irp), STATUS_PENDING);
    AssertLog(Queue, Expected, 5);
    AssertCompletedOnce(&T, STATUS_CANCELLED);
    assert_true(Irp->PendingReturned);
    assert_null(Context.Irp);
    assert_null(IoCsqRemoveNextIrp(&Queue->Csq, NULL));
    assert_null(IoCsqRemoveIrp(&Queue->Csq, &Context));
    FreeTestIrp(&T);
}

/*
 * The IRP is cancelled while it is being inserted: IoCancelIrp runs after
 * CsqInsertIrp put it on the list but before the library armed its cancel
 * routine (here from inside the Insert callback, as another processor
 * would). IoCancelIrp returns FALSE; the library notices Cancel and
 * completes the IRP itself, once.
 */
static void test_cancelled_while_inserting(void **State)
{
    PTEST_QUEUE Queue = &Ext()->Plain;
    TEST_IRP T;
    (void)State;

    Queue->CancelDuringInsert = TRUE;
    SendQueued(&T, IOCTL_CSQ_QUEUE, &FileA, NULL);
    assert_false(Queue->CancelDuringInsertResult);
    assert_int_equal(Queue->CompleteCanceledCalls, 1);
    AssertCompletedOnce(&T, STATUS_CANCELLED);
    assert_null(IoCsqRemoveNextIrp(&Queue->Csq, NULL));
    FreeTestIrp(&T);
}

/*
 * IoCsqInsertIrpEx returns what CsqInsertIrpEx returned. On failure the IRP
 * was not queued and the caller still owns it: irpsim leaves it unmarked
 * (not pending) and without CSQ bookkeeping in DriverContext[3], so the
 * dispatch routine completes it and returns the failure status. On
 * success the InsertContext reaches the callback and the IRP is pending.
 */
static void test_insert_ex(void **State)
{
    static const CSQ_EVENT_KIND Failed[] = {CsqEvAcquire, CsqEvInsertEx, CsqEvRelease};
    PCSQ_DEVICE_EXTENSION E = Ext();
    int InsertContext;
    TEST_IRP T1, T2;
    PIRP Irp;
    (void)State;

    E->Ex.InsertExStatus = STATUS_INSUFFICIENT_RESOURCES;
    CsqTestResetLog(&E->Ex);
    Irp = BuildIoctl(&T1, IOCTL_CSQ_QUEUE_EX, &FileA, &InsertContext);
    assert_int_equal(IoCallDriver(CsqTestDevice, Irp), STATUS_INSUFFICIENT_RESOURCES);
    AssertLog(&E->Ex, Failed, 3);
    assert_ptr_equal(E->Ex.LastInsertContext, &InsertContext);
    assert_int_equal(E->LastInsertExStatus, STATUS_INSUFFICIENT_RESOURCES);
    assert_false(E->LastInsertExMarkedPending);
    assert_null(E->LastInsertExDriverContext3);
    assert_false(Irp->PendingReturned);
    AssertCompletedOnce(&T1, STATUS_INSUFFICIENT_RESOURCES);
    assert_null(IoCsqRemoveNextIrp(&E->Ex.Csq, NULL));

    E->Ex.InsertExStatus = STATUS_SUCCESS;
    SendQueued(&T2, IOCTL_CSQ_QUEUE_EX, &FileA, &InsertContext);
    assert_int_equal(E->LastInsertExStatus, STATUS_SUCCESS);
    assert_true(IsMarkedPending(T2.Irp));
    assert_ptr_equal(T2.Irp->Tail.Overlay.DriverContext[3], &E->Ex.Csq);
    assert_ptr_equal(IoCsqRemoveNextIrp(&E->Ex.Csq, NULL), T2.Irp);
    CompleteSuccess(T2.Irp);
    AssertCompletedOnce(&T2, STATUS_SUCCESS);
    FreeTestIrp(&T1);
    FreeTestIrp(&T2);
}

/* IoCsqInsertIrpEx on a queue set up with IoCsqInitialize (Type 2) uses the
   plain insert callback and returns STATUS_SUCCESS. */
static void test_insert_ex_on_plain_queue(void **State)
{
    PCSQ_DEVICE_EXTENSION E = Ext();
    TEST_IRP T;
    (void)State;

    E->LastInsertExStatus = STATUS_UNSUCCESSFUL;
    SendQueued(&T, IOCTL_CSQ_QUEUE_EX_ON_PLAIN, &FileA, NULL);
    assert_int_equal(E->LastInsertExStatus, STATUS_SUCCESS);
    assert_ptr_equal(IoCsqRemoveNextIrp(&E->Plain.Csq, NULL), T.Irp);
    CompleteSuccess(T.Irp);
    AssertCompletedOnce(&T, STATUS_SUCCESS);
    FreeTestIrp(&T);
}

/*
 * An IO_CSQ that IoCsqInitialize never set up (a zeroed device extension,
 * or garbage): on Windows the library calls through the empty table — an
 * access violation in kernel mode, bug check 0x1E with STATUS_ACCESS_VIOLATION
 * at PASSIVE_LEVEL. irpsim reports it before touching the IRP.
 */
static void test_uninitialised_csq(void **State)
{
    PTEST_QUEUE Queue = &Ext()->Plain;
    IO_CSQ Zeroed;
    IO_CSQ Garbage;
    PIRP Irp;
    (void)State;

    memset(&Zeroed, 0, sizeof(Zeroed));
    Garbage = Queue->Csq;
    Garbage.Type = 0x2A;
    Irp = IoAllocateIrp(CsqTestDevice->StackSize, FALSE);
    assert_non_null(Irp);

    irpsim_assert_bugcheck(KMODE_EXCEPTION_NOT_HANDLED, IoCsqInsertIrp(&Zeroed, Irp, NULL));
    irpsim_assert_bugcheck_parameter(0, (ULONG)STATUS_ACCESS_VIOLATION);
    assert_ptr_equal(irpsim_last_bugcheck.Info.Irp, Irp);
    irpsim_assert_bugcheck(KMODE_EXCEPTION_NOT_HANDLED, IoCsqRemoveNextIrp(&Zeroed, NULL));
    irpsim_assert_bugcheck(KMODE_EXCEPTION_NOT_HANDLED, IoCsqInsertIrp(&Garbage, Irp, NULL));
    assert_null(Irp->Tail.Overlay.DriverContext[3]);
    assert_int_equal(Queue->CallsWithoutLock, 0);
    IoFreeIrp(Irp);
}

/*
 * A driver that overwrites DriverContext[3] of a queued IRP breaks the
 * library's bookkeeping (Microsoft: drivers using IoCsqXxx must leave that
 * member unused). With the verifier on irpsim reports it when the IRP is
 * dequeued; the IRP has already left the queue, so the test completes it.
 */
static void test_driver_context_overwritten(void **State)
{
    PTEST_QUEUE Queue = &Ext()->Plain;
    TEST_IRP T;
    (void)State;

    SendQueued(&T, IOCTL_CSQ_QUEUE, &FileA, NULL);
    T.Irp->Tail.Overlay.DriverContext[3] = NULL; /* the driver bug */
    irpsim_assert_bugcheck(KMODE_EXCEPTION_NOT_HANDLED, IoCsqRemoveNextIrp(&Queue->Csq, NULL));
    assert_ptr_equal(irpsim_last_bugcheck.Info.Irp, T.Irp);
    assert_null(T.Irp->CancelRoutine);
    assert_true(IsListEmpty(&Queue->List));
    CompleteSuccess(T.Irp);
    AssertCompletedOnce(&T, STATUS_SUCCESS);
    FreeTestIrp(&T);
}

/*
 * The lifecycle trace shows the queue's part: CsqInsert when an IRP is
 * queued, CsqRemove when it is dequeued, CsqCancel when the cancel path
 * (or an insert that found the IRP cancelled) takes it out; A1 is the
 * IO_CSQ. CsqInsert comes after the dispatch routine was called and before
 * it returned; CsqCancel before the IRP's completion begins.
 */
static void test_trace_events(void **State)
{
    PIO_CSQ Csq = &Ext()->Plain.Csq;
    IRPSIM_TRACE_EVENT Event;
    ULONG Insert1 = 0, Remove1 = 0, Insert2 = 0, Cancel2 = 0, Complete2 = 0, Dispatch = 0;
    TEST_IRP T1, T2;
    (void)State;

    IrpSimTraceClear();
    SendQueued(&T1, IOCTL_CSQ_QUEUE, &FileA, NULL);
    SendQueued(&T2, IOCTL_CSQ_QUEUE, &FileA, NULL);
    assert_ptr_equal(IoCsqRemoveNextIrp(Csq, NULL), T1.Irp);
    CompleteSuccess(T1.Irp);
    assert_true(IoCancelIrp(T2.Irp));

    assert_true(IrpSimTraceFind(&Insert1, IrpSimTraceCsqInsert, T1.Irp, &Event));
    assert_ptr_equal((PVOID)Event.Argument[0], Csq);
    assert_true(IrpSimTraceFind(&Remove1, IrpSimTraceCsqRemove, T1.Irp, &Event));
    assert_ptr_equal((PVOID)Event.Argument[0], Csq);
    assert_true(Insert1 < Remove1);
    assert_true(IrpSimTraceFind(&Insert2, IrpSimTraceCsqInsert, T2.Irp, NULL));
    assert_true(IrpSimTraceFind(&Dispatch, IrpSimTraceIrpDispatchReturned, T2.Irp, NULL));
    assert_true(Insert2 < Dispatch);
    assert_true(IrpSimTraceFind(&Cancel2, IrpSimTraceCsqCancel, T2.Irp, &Event));
    assert_ptr_equal((PVOID)Event.Argument[0], Csq);
    Complete2 = Cancel2;
    assert_true(IrpSimTraceFind(&Complete2, IrpSimTraceIrpCompleteBegin, T2.Irp, NULL));
    /* T2 was never dequeued. */
    Remove1 = 0;
    assert_false(IrpSimTraceFind(&Remove1, IrpSimTraceCsqRemove, T2.Irp, NULL));

    AssertCompletedOnce(&T1, STATUS_SUCCESS);
    AssertCompletedOnce(&T2, STATUS_CANCELLED);
    FreeTestIrp(&T1);
    FreeTestIrp(&T2);
}

/* ---------------------------------------------------------------------
 * Stress: inserters, removers and cancellers at once (the IRP storm,
 * tests/support/irp_storm.h): whatever the interleaving, every IRP put
 * into a CSQ is completed exactly once — by the dequeuer or through
 * CsqCompleteCanceledIrp — and none is lost.
 * ------------------------------------------------------------------- */

static volatile LONG StressDequeued;

static VOID PrepareQueueIoctl(PIO_STACK_LOCATION NextSp)
{
    NextSp->MajorFunction = IRP_MJ_DEVICE_CONTROL;
    NextSp->Parameters.DeviceIoControl.IoControlCode = IOCTL_CSQ_QUEUE;
}

/* A remover: takes the next queued IRP and completes it. */
static BOOLEAN RemoveOne(VOID)
{
    PIRP Irp = IoCsqRemoveNextIrp(&Ext()->Plain.Csq, NULL);
    if (Irp == NULL)
        return FALSE;
    InterlockedIncrement(&StressDequeued);
    CompleteSuccess(Irp);
    return TRUE;
}

static void test_stress_insert_remove_cancel(void **State)
{
    PTEST_QUEUE Queue = &Ext()->Plain;
    IRP_STORM_CONFIG Config;
    IRP_STORM_RESULT Result;
    (void)State;

    StressDequeued = 0;
    Queue->Logging = FALSE;
    memset(&Config, 0, sizeof(Config));
    Config.Device = CsqTestDevice;
    Config.Senders = 4;
    Config.PerSender = 2000;
    Config.Cancellers = 2;
    Config.Workers = 2;
    Config.Seed = 0x9E3779B9u;
    Config.Prepare = PrepareQueueIoctl;
    Config.Work = RemoveOne;
    IrpStormRun(&Config, &Result);

    print_message("csq stress: %lu IRPs, %d cancelled (%d by IoCancelIrp's routine), %d dequeued\n",
                  (unsigned long)Result.Irps, (int)Result.Cancelled, (int)Result.CancelHits, (int)Result.Succeeded);
    assert_int_equal(Result.Succeeded, StressDequeued);
    assert_int_equal(Result.Cancelled, Queue->CompleteCanceledCalls);
    assert_int_equal(Queue->CallsWithoutLock, 0);
    assert_int_equal(Queue->CompleteCanceledWithLock, 0);
    assert_true(IsListEmpty(&Queue->List));
    assert_null(IoCsqRemoveNextIrp(&Queue->Csq, NULL));
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(test_initialize, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_remove_next_order_and_peek_context, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_remove_by_context, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_callback_order_and_lock, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_cancel_queued_irp, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_cancelled_before_insert, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_cancelled_while_inserting, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_insert_ex, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_insert_ex_on_plain_queue, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_uninitialised_csq, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_driver_context_overwritten, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_trace_events, SetupTraced, TeardownTraced),
        cmocka_unit_test_setup_teardown(test_stress_insert_remove_cancel, Setup, Teardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
