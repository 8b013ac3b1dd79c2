/*
 * The system StartIo queue: IoStartPacket, IoStartNextPacket[ByKey] and
 * IoSetStartIoAttributes (SEMANTICS.md 7.3-7.6; Microsoft's reference pages
 * for those routines and for DRIVER_STARTIO).
 *
 * Reads are sent to the test driver with IoAllocateIrp + IoCallDriver; a
 * completion routine counts completions and returns
 * STATUS_MORE_PROCESSING_REQUIRED so the test frees the IRP itself.
 */
#include "startio_driver.h"
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

static PDRIVER_OBJECT TestDriver;

typedef struct _TEST_IRP {
    PIRP Irp;
    volatile LONG Completions;
    NTSTATUS Status;
} TEST_IRP, *PTEST_IRP;

static PSTARTIO_DEVICE_EXTENSION Ext(VOID)
{
    return (PSTARTIO_DEVICE_EXTENSION)StartIoTestDevice->DeviceExtension;
}

static int Setup(void **State)
{
    (void)State;
    if (!NT_SUCCESS(IrpSimInitialize(NULL)))
        return -1;
    return NT_SUCCESS(IrpSimLoadDriver(L"\\Driver\\StartIoTest", StartIoTestDriverEntry, &TestDriver)) ? 0 : -1;
}

static int Teardown(void **State)
{
    (void)State;
    IrpSimShutdown();
    return IrpSimGetShutdownLeakCount() == 0 ? 0 : -1;
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

static PIRP BuildRead(PTEST_IRP T, ULONG Key)
{
    PIRP Irp = IoAllocateIrp(StartIoTestDevice->StackSize, FALSE);
    PIO_STACK_LOCATION IrpSp;
    assert_non_null(Irp);
    IrpSp = IoGetNextIrpStackLocation(Irp);
    IrpSp->MajorFunction = IRP_MJ_READ;
    IrpSp->Parameters.Read.Key = Key;
    IoSetCompletionRoutine(Irp, CountCompletion, T, TRUE, TRUE, TRUE);
    T->Irp = Irp;
    T->Completions = 0;
    T->Status = STATUS_PENDING;
    return Irp;
}

static PIRP SendRead(PTEST_IRP T, ULONG Key)
{
    PIRP Irp = BuildRead(T, Key);
    assert_int_equal(IoCallDriver(StartIoTestDevice, Irp), STATUS_PENDING);
    return Irp;
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

static VOID AssertIdle(VOID)
{
    assert_null(StartIoTestDevice->CurrentIrp);
    assert_false(StartIoTestDevice->DeviceQueue.Busy);
    assert_true(IsListEmpty(&StartIoTestDevice->DeviceQueue.DeviceListHead));
}

/*
 * IoStartPacket on an idle device calls StartIo at once — inside the
 * dispatch routine's IoStartPacket call — at DISPATCH_LEVEL, with
 * DeviceObject->CurrentIrp set to the packet, which is not in the queue.
 * On a busy device the packet waits in DeviceObject->DeviceQueue and StartIo
 * is not called until the current packet is finished.
 */
static void test_idle_starts_busy_queues(void **State)
{
    PSTARTIO_DEVICE_EXTENSION E = Ext();
    TEST_IRP T1, T2;
    (void)State;

    E->Hold = TRUE;
    SendRead(&T1, 0);
    assert_int_equal(E->StartIoCalls, 1);
    assert_ptr_equal(E->Started[0].Irp, T1.Irp);
    assert_int_equal(E->Started[0].Irql, DISPATCH_LEVEL);
    assert_true(E->Started[0].WasCurrentIrp);
    assert_ptr_equal(StartIoTestDevice->CurrentIrp, T1.Irp);
    assert_true(StartIoTestDevice->DeviceQueue.Busy);
    assert_false(T1.Irp->Tail.Overlay.DeviceQueueEntry.Inserted);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);

    SendRead(&T2, 0);
    assert_int_equal(E->StartIoCalls, 1);
    assert_true(T2.Irp->Tail.Overlay.DeviceQueueEntry.Inserted);
    assert_ptr_equal(StartIoTestDevice->CurrentIrp, T1.Irp);

    StartIoTestFinishCurrent(FALSE, 0);
    AssertCompletedOnce(&T1, STATUS_SUCCESS);
    assert_int_equal(E->StartIoCalls, 2);
    assert_ptr_equal(E->Started[1].Irp, T2.Irp);
    assert_true(E->Started[1].WasCurrentIrp);
    assert_int_equal(E->Started[1].Irql, DISPATCH_LEVEL);

    StartIoTestFinishCurrent(FALSE, 0);
    AssertCompletedOnce(&T2, STATUS_SUCCESS);
    AssertIdle();
    FreeTestIrp(&T1);
    FreeTestIrp(&T2);
}

/* IoStartNextPacket takes packets in arrival order (KeRemoveDeviceQueue
   returns the head); the queue running dry leaves the device idle. */
static void test_fifo_drain(void **State)
{
    PSTARTIO_DEVICE_EXTENSION E = Ext();
    TEST_IRP T[6];
    (void)State;

    E->Hold = TRUE;
    for (int i = 0; i < 6; i++)
        SendRead(&T[i], 0);
    for (int i = 0; i < 6; i++) {
        assert_ptr_equal(StartIoTestDevice->CurrentIrp, T[i].Irp);
        StartIoTestFinishCurrent(FALSE, 0);
    }
    assert_int_equal(E->StartIoCalls, 6);
    for (int i = 0; i < 6; i++) {
        assert_ptr_equal(E->Started[i].Irp, T[i].Irp);
        AssertCompletedOnce(&T[i], STATUS_SUCCESS);
        FreeTestIrp(&T[i]);
    }
    AssertIdle();
}

/*
 * With a Key, IoStartPacket queues by KeInsertByKeyDeviceQueue: ascending
 * keys, equal keys in arrival order. IoStartNextPacket takes the head;
 * IoStartNextPacketByKey takes the first packet whose key is >= the given
 * one, wrapping to the head when there is none (elevator order).
 */
static void test_by_key_order(void **State)
{
    PSTARTIO_DEVICE_EXTENSION E = Ext();
    static const ULONG Keys[] = {50, 30, 10, 20, 10, 40};
    TEST_IRP T[6];
    (void)State;

    E->Hold = TRUE;
    E->UseKey = TRUE;
    for (int i = 0; i < 6; i++)
        SendRead(&T[i], Keys[i]);
    /* 50 started at once (idle device); queue now: 10(T2) 10(T4) 20 30 40. */
    assert_ptr_equal(StartIoTestDevice->CurrentIrp, T[0].Irp);

    StartIoTestFinishCurrent(TRUE, 25); /* first key >= 25: 30 */
    assert_ptr_equal(StartIoTestDevice->CurrentIrp, T[1].Irp);
    StartIoTestFinishCurrent(TRUE, 35); /* 40 */
    assert_ptr_equal(StartIoTestDevice->CurrentIrp, T[5].Irp);
    StartIoTestFinishCurrent(TRUE, 45); /* none >= 45: wrap to the head, 10 (T2) */
    assert_ptr_equal(StartIoTestDevice->CurrentIrp, T[2].Irp);
    StartIoTestFinishCurrent(FALSE, 0); /* head: the second 10 */
    assert_ptr_equal(StartIoTestDevice->CurrentIrp, T[4].Irp);
    StartIoTestFinishCurrent(FALSE, 0); /* 20 */
    assert_ptr_equal(StartIoTestDevice->CurrentIrp, T[3].Irp);
    StartIoTestFinishCurrent(FALSE, 0);
    AssertIdle();

    assert_int_equal(E->StartIoCalls, 6);
    for (int i = 0; i < 6; i++) {
        AssertCompletedOnce(&T[i], STATUS_SUCCESS);
        FreeTestIrp(&T[i]);
    }
}

/*
 * The classic cancel routine for the system queue (SEMANTICS 7.6): for a
 * queued packet it takes it out with KeRemoveEntryDeviceQueue, releases the
 * cancel spin lock and completes it with STATUS_CANCELLED. IoCancelIrp
 * returns TRUE; the current packet and the rest of the queue are untouched.
 * The routine runs at DISPATCH_LEVEL with Cancel set and CancelRoutine NULL.
 */
static void test_cancel_queued_packet(void **State)
{
    PSTARTIO_DEVICE_EXTENSION E = Ext();
    TEST_IRP T1, T2, T3;
    (void)State;

    E->Hold = TRUE;
    E->UseCancel = TRUE;
    SendRead(&T1, 0);
    SendRead(&T2, 0);
    SendRead(&T3, 0);
    assert_ptr_equal(T2.Irp->CancelRoutine, StartIoTestCancel);

    assert_true(IoCancelIrp(T2.Irp));
    assert_int_equal(E->CancelCalls, 1);
    assert_int_equal(E->CancelCompleted, 1);
    assert_int_equal(E->LastCancelCalledAt, DISPATCH_LEVEL);
    assert_true(E->LastCancelFlag);
    assert_false(E->LastCancelHadRoutine);
    AssertCompletedOnce(&T2, STATUS_CANCELLED);
    assert_int_equal(T1.Completions, 0);

    StartIoTestFinishCurrent(FALSE, 0);
    assert_ptr_equal(StartIoTestDevice->CurrentIrp, T3.Irp); /* T2 is gone */
    StartIoTestFinishCurrent(FALSE, 0);
    AssertIdle();
    AssertCompletedOnce(&T1, STATUS_SUCCESS);
    AssertCompletedOnce(&T3, STATUS_SUCCESS);
    assert_int_equal(E->StartIoCalls, 2);
    FreeTestIrp(&T1);
    FreeTestIrp(&T2);
    FreeTestIrp(&T3);
}

/*
 * An IRP cancelled before IoStartPacket (IoCancelIrp found no routine and
 * returned FALSE) that has to wait in the queue: IoStartPacket calls the
 * cancel function itself, with the cancel spin lock held, CancelIrql set
 * and CancelRoutine already NULL; the function removes and completes it.
 */
static void test_start_packet_already_cancelled(void **State)
{
    PSTARTIO_DEVICE_EXTENSION E = Ext();
    TEST_IRP T1, T2;
    PIRP Irp;
    (void)State;

    E->Hold = TRUE;
    E->UseCancel = TRUE;
    SendRead(&T1, 0);
    Irp = BuildRead(&T2, 0);
    assert_false(IoCancelIrp(Irp));
    assert_int_equal(IoCallDriver(StartIoTestDevice, Irp), STATUS_PENDING);
    assert_int_equal(E->CancelCalls, 1);
    assert_int_equal(E->CancelCompleted, 1);
    assert_int_equal(E->LastCancelCalledAt, DISPATCH_LEVEL);
    assert_int_equal(E->LastCancelIrql, DISPATCH_LEVEL); /* IoStartPacket raised before taking the lock */
    assert_false(E->LastCancelHadRoutine);
    AssertCompletedOnce(&T2, STATUS_CANCELLED);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);

    StartIoTestFinishCurrent(FALSE, 0);
    AssertIdle();
    assert_int_equal(E->StartIoCalls, 1);
    AssertCompletedOnce(&T1, STATUS_SUCCESS);
    FreeTestIrp(&T1);
    FreeTestIrp(&T2);
}

/*
 * IoSetStartIoAttributes(NonCancelable = TRUE): the I/O manager clears the
 * cancel routine before handing a packet to StartIo, both when IoStartPacket
 * starts it on an idle device and when IoStartNextPacket dequeues it.
 * Without the attribute StartIo receives the packet with the routine set.
 */
static void test_non_cancelable_attribute(void **State)
{
    PSTARTIO_DEVICE_EXTENSION E = Ext();
    TEST_IRP T[4];
    (void)State;

    E->Hold = TRUE;
    E->UseCancel = TRUE;
    SendRead(&T[0], 0);
    SendRead(&T[1], 0);
    assert_ptr_equal(E->Started[0].CancelRoutineOnEntry, StartIoTestCancel);
    StartIoTestFinishCurrent(FALSE, 0);
    assert_ptr_equal(E->Started[1].CancelRoutineOnEntry, StartIoTestCancel);
    StartIoTestFinishCurrent(FALSE, 0);
    AssertIdle();

    IoSetStartIoAttributes(StartIoTestDevice, FALSE, TRUE);
    SendRead(&T[2], 0);                                           /* idle: started by IoStartPacket */
    SendRead(&T[3], 0);                                           /* queued: started by IoStartNextPacket */
    assert_ptr_equal(T[3].Irp->CancelRoutine, StartIoTestCancel); /* cancelable while it waits */
    assert_null(E->Started[2].CancelRoutineOnEntry);
    StartIoTestFinishCurrent(FALSE, 0);
    assert_null(E->Started[3].CancelRoutineOnEntry);
    /* The current packet cannot be cancelled now: no routine to call. */
    assert_false(IoCancelIrp(T[3].Irp));
    StartIoTestFinishCurrent(FALSE, 0);
    AssertIdle();

    for (int i = 0; i < 3; i++)
        AssertCompletedOnce(&T[i], STATUS_SUCCESS);
    AssertCompletedOnce(&T[3], STATUS_CANCELLED); /* Cancel was set; the finisher saw it */
    for (int i = 0; i < 4; i++)
        FreeTestIrp(&T[i]);
}

#define DEFERRED_QUEUED 100

/*
 * Without DeferredStartIo, a StartIo that completes its packet and calls
 * IoStartNextPacket re-enters StartIo for the next packet: the nesting
 * grows with the queue (the recursion Microsoft's IoStartNextPacket page
 * warns about).
 */
static void test_without_deferred_start_io_recurses(void **State)
{
    PSTARTIO_DEVICE_EXTENSION E = Ext();
    TEST_IRP T[10];
    (void)State;

    E->Hold = TRUE;
    for (int i = 0; i < 10; i++)
        SendRead(&T[i], 0);
    E->Hold = FALSE;
    StartIoTestFinishCurrent(FALSE, 0); /* starts T[1], which finishes and starts T[2], ... */
    AssertIdle();
    assert_int_equal(E->StartIoCalls, 10);
    assert_int_equal(E->MaxDepth, 9);
    for (int i = 0; i < 10; i++) {
        AssertCompletedOnce(&T[i], STATUS_SUCCESS);
        FreeTestIrp(&T[i]);
    }
}

/*
 * With DeferredStartIo the same driver never nests: IoStartNextPacket
 * inside StartIo only records the request, and the next packet starts when
 * StartIo returns. 100 queued packets run one after another, in order, at
 * nesting depth 1, each completed once.
 */
static void test_deferred_start_io_does_not_recurse(void **State)
{
    PSTARTIO_DEVICE_EXTENSION E = Ext();
    PTEST_IRP T = (PTEST_IRP)calloc(DEFERRED_QUEUED + 1, sizeof(TEST_IRP));
    (void)State;

    assert_non_null(T);
    IoSetStartIoAttributes(StartIoTestDevice, TRUE, FALSE);
    E->Hold = TRUE;
    for (int i = 0; i <= DEFERRED_QUEUED; i++)
        SendRead(&T[i], 0);
    E->Hold = FALSE;
    StartIoTestFinishCurrent(FALSE, 0);
    AssertIdle();
    assert_int_equal(E->StartIoCalls, DEFERRED_QUEUED + 1);
    assert_int_equal(E->MaxDepth, 1);
    for (int i = 0; i <= DEFERRED_QUEUED; i++) {
        assert_ptr_equal(E->Started[i].Irp, T[i].Irp);
        assert_int_equal(E->Started[i].Depth, 1);
        assert_int_equal(E->Started[i].Irql, DISPATCH_LEVEL);
        AssertCompletedOnce(&T[i], STATUS_SUCCESS);
        FreeTestIrp(&T[i]);
    }
    free(T);
}

/*
 * A driver without a StartIo routine must not use the system queue
 * (Microsoft: "Drivers that do not have a StartIo routine cannot call
 * IoStartNextPacket"). On Windows IoStartPacket on an idle device calls
 * the NULL DriverStartIo at DISPATCH_LEVEL: bug check 0xD1. irpsim reports
 * it before anything is queued.
 */
static void test_no_start_io_routine(void **State)
{
    PDRIVER_OBJECT Broken;
    PIRP Irp;
    (void)State;

    assert_int_equal(IrpSimLoadDriver(L"\\Driver\\NoStartIo", NoStartIoTestDriverEntry, &Broken), STATUS_SUCCESS);
    Irp = IoAllocateIrp(NoStartIoTestDevice->StackSize, FALSE);
    assert_non_null(Irp);
    irpsim_assert_bugcheck(DRIVER_IRQL_NOT_LESS_OR_EQUAL, IoStartPacket(NoStartIoTestDevice, Irp, NULL, NULL));
    irpsim_assert_bugcheck_parameter(1, DISPATCH_LEVEL);
    irpsim_assert_bugcheck_parameter(2, 8); /* execute */
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    assert_false(NoStartIoTestDevice->DeviceQueue.Busy);
    IoFreeIrp(Irp);
}

/* IoStartNextPacket must be called at DISPATCH_LEVEL (DDI rule
   IrqlDispatch, Verifier 0xC4 / 0x20003). */
static void test_start_next_packet_irql(void **State)
{
    (void)State;
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, IoStartNextPacket(StartIoTestDevice, FALSE));
    irpsim_assert_bugcheck_parameter(0, 0x20003);
    AssertIdle();
}

/* Each StartIo call is a StartIo trace event (Object = the IRP, A1 = the
   device), recorded while the thread runs at DISPATCH_LEVEL. */
static void test_trace_events(void **State)
{
    PSTARTIO_DEVICE_EXTENSION E = Ext();
    IRPSIM_TRACE_EVENT Event;
    ULONG First = 0, Second = 0;
    TEST_IRP T1, T2;
    (void)State;

    E->Hold = TRUE;
    IrpSimTraceClear();
    SendRead(&T1, 0);
    SendRead(&T2, 0);
    StartIoTestFinishCurrent(FALSE, 0);
    StartIoTestFinishCurrent(FALSE, 0);
    assert_true(IrpSimTraceFind(&First, IrpSimTraceStartIo, T1.Irp, &Event));
    assert_ptr_equal((PVOID)Event.Argument[0], StartIoTestDevice);
    assert_int_equal(Event.Irql, DISPATCH_LEVEL);
    assert_true(IrpSimTraceFind(&Second, IrpSimTraceStartIo, T2.Irp, &Event));
    assert_true(First < Second);

    AssertCompletedOnce(&T1, STATUS_SUCCESS);
    AssertCompletedOnce(&T2, STATUS_SUCCESS);
    FreeTestIrp(&T1);
    FreeTestIrp(&T2);
}

/* ---------------------------------------------------------------------
 * Cancel storm: senders and cancellers at once on a driver that uses the
 * system queue with a cancel routine and DeferredStartIo. Whatever the
 * interleaving — cancelled before IoStartPacket, while queued, while
 * current — every packet is completed exactly once, StartIo never nests,
 * and the device ends idle. Slots are reference counted as in the CSQ
 * stress test (tests/support/irp_storm.h) so IoCancelIrp only ever sees
 * live IRPs.
 *
 * Two drivers: one whose StartIo finishes each packet at once (and starts
 * the next), and one whose StartIo only programs the "hardware" while a
 * separate thread plays the interrupt + DpcForIsr that finishes it — so
 * packets wait in the queue and get cancelled there.
 * ------------------------------------------------------------------- */

static VOID PrepareRead(PIO_STACK_LOCATION NextSp)
{
    NextSp->MajorFunction = IRP_MJ_READ;
}

static VOID RunCancelStorm(BOOLEAN Hardware)
{
    PSTARTIO_DEVICE_EXTENSION E = Ext();
    IRP_STORM_CONFIG Config;
    IRP_STORM_RESULT Result;

    E->UseCancel = TRUE;
    E->Hold = Hardware;
    IoSetStartIoAttributes(StartIoTestDevice, TRUE, FALSE);

    memset(&Config, 0, sizeof(Config));
    Config.Device = StartIoTestDevice;
    Config.Senders = 4;
    Config.PerSender = 1000;
    Config.Cancellers = 2;
    Config.Seed = 0x7F4A7C15u;
    Config.Prepare = PrepareRead;
    Config.Workers = Hardware ? 1 : 0; /* the device's interrupt and DpcForIsr */
    Config.Work = StartIoTestInterrupt;
    IrpStormRun(&Config, &Result);

    print_message("startio storm (%s): %lu IRPs, %d cancelled (%d while queued), %d StartIo calls\n",
                  Hardware ? "hardware thread" : "inline", (unsigned long)Result.Irps, (int)Result.Cancelled,
                  (int)E->CancelCompleted, (int)E->StartIoCalls);
    /* Every packet the cancel routine did not take out of the queue went
       through StartIo exactly once. */
    assert_int_equal(E->StartIoCalls + E->CancelCompleted, Result.Irps);
    assert_true(Result.Cancelled >= E->CancelCompleted);
    assert_int_equal(E->MaxDepth, 1);
    AssertIdle();
}

static void test_cancel_storm_inline(void **State)
{
    (void)State;
    RunCancelStorm(FALSE);
}

static void test_cancel_storm_hardware_thread(void **State)
{
    (void)State;
    RunCancelStorm(TRUE);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(test_idle_starts_busy_queues, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_fifo_drain, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_by_key_order, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_cancel_queued_packet, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_start_packet_already_cancelled, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_non_cancelable_attribute, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_without_deferred_start_io_recurses, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_deferred_start_io_does_not_recurse, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_no_start_io_routine, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_start_next_packet_irql, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_trace_events, SetupTraced, TeardownTraced),
        cmocka_unit_test_setup_teardown(test_cancel_storm_inline, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_cancel_storm_hardware_thread, Setup, Teardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
