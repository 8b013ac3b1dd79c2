/*
 * KDEVICE_QUEUE (SEMANTICS.md 7.1-7.2 and the WDK documentation of
 * KeInsertDeviceQueue, KeInsertByKeyDeviceQueue, KeRemoveDeviceQueue,
 * KeRemoveByKeyDeviceQueue, KeRemoveByKeyDeviceQueueIfBusy,
 * KeRemoveEntryDeviceQueue): Busy means "the device is working on an
 * entry", FIFO and sorted insertion, the by-key wrap-around, and the
 * misuse irpsim reports.
 */
#include <ntddk.h>
#include <irpsim/irpsim.h>
#include <irpsim/trace.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <irpsim/cmocka.h>

static int Setup(void **State)
{
    (void)State;
    return NT_SUCCESS(IrpSimInitialize(NULL)) ? 0 : -1;
}

static int Teardown(void **State)
{
    (void)State;
    IrpSimShutdown();
    return 0;
}

IRPSIM_TRACED_FIXTURES(SetupTraced, TeardownTraced, Setup, Teardown)

static KIRQL RaiseToDispatch(void)
{
    KIRQL OldIrql;
    KeRaiseIrql(DISPATCH_LEVEL, &OldIrql);
    return OldIrql;
}

/* KeInitializeDeviceQueue: Type DeviceQueueObject, Size, empty list, idle. */
static void test_initialize(void **State)
{
    KDEVICE_QUEUE Queue;
    (void)State;
    memset(&Queue, 0xCC, sizeof(Queue));
    KeInitializeDeviceQueue(&Queue);
    assert_int_equal(Queue.Type, DeviceQueueObject);
    assert_int_equal(Queue.Size, sizeof(KDEVICE_QUEUE));
    assert_true(IsListEmpty(&Queue.DeviceListHead));
    assert_false(Queue.Busy);
    assert_true(KeTestSpinLock(&Queue.Lock));
}

/* Inserting into an idle queue does not queue: it returns FALSE, marks the
   device busy and leaves Inserted FALSE (the caller starts the entry).
   Into a busy queue: appended, TRUE, Inserted TRUE. Removal is FIFO and
   clears Inserted; removing from an empty busy queue returns NULL and makes
   the device idle. */
static void test_busy_semantics_and_fifo(void **State)
{
    KDEVICE_QUEUE Queue;
    KDEVICE_QUEUE_ENTRY E1, E2, E3;
    KIRQL OldIrql;
    (void)State;
    KeInitializeDeviceQueue(&Queue);
    E1.Inserted = TRUE; /* stale value: must be overwritten */
    OldIrql = RaiseToDispatch();

    assert_false(KeInsertDeviceQueue(&Queue, &E1));
    assert_true(Queue.Busy);
    assert_false(E1.Inserted);
    assert_true(IsListEmpty(&Queue.DeviceListHead));

    assert_true(KeInsertDeviceQueue(&Queue, &E2));
    assert_true(E2.Inserted);
    assert_true(KeInsertDeviceQueue(&Queue, &E3));

    assert_ptr_equal(KeRemoveDeviceQueue(&Queue), &E2);
    assert_false(E2.Inserted);
    assert_true(Queue.Busy);
    assert_ptr_equal(KeRemoveDeviceQueue(&Queue), &E3);
    assert_true(Queue.Busy);
    assert_null(KeRemoveDeviceQueue(&Queue));
    assert_false(Queue.Busy);

    /* Idle again: the next insert starts immediately. */
    assert_false(KeInsertDeviceQueue(&Queue, &E2));
    assert_true(Queue.Busy);
    assert_null(KeRemoveDeviceQueue(&Queue));
    KeLowerIrql(OldIrql);
}

static ULONG Keys(PKDEVICE_QUEUE Queue, ULONG *Out, ULONG Max)
{
    ULONG Count = 0;
    for (PLIST_ENTRY Link = Queue->DeviceListHead.Flink; Link != &Queue->DeviceListHead && Count < Max;
         Link = Link->Flink)
        Out[Count++] = CONTAINING_RECORD(Link, KDEVICE_QUEUE_ENTRY, DeviceListEntry)->SortKey;
    return Count;
}

/* KeInsertByKeyDeviceQueue sets SortKey on both paths and keeps the list in
   ascending key order; entries with equal keys stay in arrival order. */
static void test_insert_by_key_sorted_and_stable(void **State)
{
    KDEVICE_QUEUE Queue;
    KDEVICE_QUEUE_ENTRY First, A, B, C, D, E;
    ULONG Seen[8];
    KIRQL OldIrql;
    (void)State;
    KeInitializeDeviceQueue(&Queue);
    OldIrql = RaiseToDispatch();

    assert_false(KeInsertByKeyDeviceQueue(&Queue, &First, 7));
    assert_int_equal(First.SortKey, 7);
    assert_false(First.Inserted);

    assert_true(KeInsertByKeyDeviceQueue(&Queue, &A, 30));
    assert_true(KeInsertByKeyDeviceQueue(&Queue, &B, 10));
    assert_true(KeInsertByKeyDeviceQueue(&Queue, &C, 20));
    assert_true(KeInsertByKeyDeviceQueue(&Queue, &D, 10));
    assert_true(KeInsertByKeyDeviceQueue(&Queue, &E, 30));
    assert_true(D.Inserted);
    assert_int_equal(Keys(&Queue, Seen, 8), 5);
    assert_int_equal(Seen[0], 10);
    assert_int_equal(Seen[1], 10);
    assert_int_equal(Seen[2], 20);
    assert_int_equal(Seen[3], 30);
    assert_int_equal(Seen[4], 30);

    /* Stable: B before D, A before E. */
    assert_ptr_equal(KeRemoveDeviceQueue(&Queue), &B);
    assert_ptr_equal(KeRemoveDeviceQueue(&Queue), &D);
    assert_ptr_equal(KeRemoveDeviceQueue(&Queue), &C);
    assert_ptr_equal(KeRemoveDeviceQueue(&Queue), &A);
    assert_ptr_equal(KeRemoveDeviceQueue(&Queue), &E);
    assert_null(KeRemoveDeviceQueue(&Queue));
    KeLowerIrql(OldIrql);
}

/* KeRemoveByKeyDeviceQueue returns the first entry whose key is >= the
   given key; when there is none it wraps round to the first entry (the
   elevator algorithm, as documented). */
static void test_remove_by_key_and_wrap_around(void **State)
{
    KDEVICE_QUEUE Queue;
    KDEVICE_QUEUE_ENTRY First, K10, K20, K30;
    KIRQL OldIrql;
    (void)State;
    KeInitializeDeviceQueue(&Queue);
    OldIrql = RaiseToDispatch();
    KeInsertByKeyDeviceQueue(&Queue, &First, 0);
    KeInsertByKeyDeviceQueue(&Queue, &K10, 10);
    KeInsertByKeyDeviceQueue(&Queue, &K20, 20);
    KeInsertByKeyDeviceQueue(&Queue, &K30, 30);

    assert_ptr_equal(KeRemoveByKeyDeviceQueue(&Queue, 15), &K20);
    assert_false(K20.Inserted);
    assert_ptr_equal(KeRemoveByKeyDeviceQueue(&Queue, 30), &K30); /* equal key qualifies */
    assert_ptr_equal(KeRemoveByKeyDeviceQueue(&Queue, 31), &K10); /* none >= 31: wrap */
    assert_true(Queue.Busy);
    assert_null(KeRemoveByKeyDeviceQueue(&Queue, 0));
    assert_false(Queue.Busy);
    KeLowerIrql(OldIrql);
}

/* KeRemoveByKeyDeviceQueueIfBusy returns NULL for an idle queue (no
   assertion) and otherwise behaves like KeRemoveByKeyDeviceQueue. */
static void test_remove_by_key_if_busy(void **State)
{
    KDEVICE_QUEUE Queue;
    KDEVICE_QUEUE_ENTRY First, K5;
    KIRQL OldIrql;
    (void)State;
    KeInitializeDeviceQueue(&Queue);
    OldIrql = RaiseToDispatch();
    assert_null(KeRemoveByKeyDeviceQueueIfBusy(&Queue, 0));
    assert_false(Queue.Busy);
    KeInsertByKeyDeviceQueue(&Queue, &First, 1);
    KeInsertByKeyDeviceQueue(&Queue, &K5, 5);
    assert_ptr_equal(KeRemoveByKeyDeviceQueueIfBusy(&Queue, 9), &K5);
    assert_null(KeRemoveByKeyDeviceQueueIfBusy(&Queue, 0));
    assert_false(Queue.Busy);
    KeLowerIrql(OldIrql);
}

/* KeRemoveEntryDeviceQueue (any IRQL <= DISPATCH_LEVEL): TRUE and unlinked
   if the entry was queued, FALSE otherwise; Busy is not changed. */
static void test_remove_entry(void **State)
{
    KDEVICE_QUEUE Queue;
    KDEVICE_QUEUE_ENTRY First, A, B;
    KIRQL OldIrql;
    (void)State;
    KeInitializeDeviceQueue(&Queue);
    OldIrql = RaiseToDispatch();
    KeInsertDeviceQueue(&Queue, &First);
    KeInsertDeviceQueue(&Queue, &A);
    KeInsertDeviceQueue(&Queue, &B);
    KeLowerIrql(OldIrql);

    assert_false(KeRemoveEntryDeviceQueue(&Queue, &First)); /* being processed, not queued */
    assert_true(KeRemoveEntryDeviceQueue(&Queue, &A));
    assert_false(A.Inserted);
    assert_false(KeRemoveEntryDeviceQueue(&Queue, &A));
    assert_true(Queue.Busy);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);

    OldIrql = RaiseToDispatch();
    assert_true(KeRemoveEntryDeviceQueue(&Queue, &B));
    assert_null(KeRemoveDeviceQueue(&Queue));
    KeLowerIrql(OldIrql);
}

/* Each insert and remove is traced. */
static void test_trace(void **State)
{
    KDEVICE_QUEUE Queue;
    KDEVICE_QUEUE_ENTRY First, A;
    IRPSIM_TRACE_EVENT Event;
    ULONG Index = 0;
    KIRQL OldIrql;
    (void)State;
    IrpSimTraceClear();
    KeInitializeDeviceQueue(&Queue);
    OldIrql = RaiseToDispatch();
    KeInsertDeviceQueue(&Queue, &First);
    KeInsertDeviceQueue(&Queue, &A);
    KeRemoveDeviceQueue(&Queue);
    KeRemoveDeviceQueue(&Queue);
    KeLowerIrql(OldIrql);

    assert_true(IrpSimTraceFind(&Index, IrpSimTraceDeviceQueueInsert, &Queue, &Event));
    assert_int_equal(Event.Argument[0], (ULONG_PTR)&First);
    assert_int_equal(Event.Argument[1], FALSE);
    Index++;
    assert_true(IrpSimTraceFind(&Index, IrpSimTraceDeviceQueueInsert, &Queue, &Event));
    assert_int_equal(Event.Argument[0], (ULONG_PTR)&A);
    assert_int_equal(Event.Argument[1], TRUE);
    Index++;
    assert_true(IrpSimTraceFind(&Index, IrpSimTraceDeviceQueueRemove, &Queue, &Event));
    assert_int_equal(Event.Argument[0], (ULONG_PTR)&A);
    Index++;
    assert_true(IrpSimTraceFind(&Index, IrpSimTraceDeviceQueueRemove, &Queue, &Event));
    assert_int_equal(Event.Argument[0], 0);
}

/* ---- misuse ---- */

/* Insert and remove require DISPATCH_LEVEL (DDI rule IrqlDispatch):
   0xC4/0x20003, P3 the queue, P4 the IRQL. */
static void test_wrong_irql_bugchecks(void **State)
{
    KDEVICE_QUEUE Queue;
    KDEVICE_QUEUE_ENTRY Entry;
    KIRQL OldIrql;
    (void)State;
    KeInitializeDeviceQueue(&Queue);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KeInsertDeviceQueue(&Queue, &Entry));
    irpsim_assert_bugcheck_parameter(0, 0x20003);
    assert_string_equal((PCSTR)irpsim_last_bugcheck.Info.Parameter[1], "IrqlDispatch");
    irpsim_assert_bugcheck_parameter(2, &Queue);
    irpsim_assert_bugcheck_parameter(3, PASSIVE_LEVEL);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KeRemoveDeviceQueue(&Queue));
    irpsim_assert_bugcheck_parameter(0, 0x20003);

    KeRaiseIrql(HIGH_LEVEL, &OldIrql);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KeRemoveEntryDeviceQueue(&Queue, &Entry));
    irpsim_assert_bugcheck_parameter(0, 0x20011);
    irpsim_assert_bugcheck_parameter(3, HIGH_LEVEL);
    KeLowerIrql(OldIrql);
}

/* Removing from a queue that is not busy is a driver error (Windows checked
   builds assert it): 0xC4/0x1007, P2 the queue. */
static void test_remove_from_idle_queue_bugchecks(void **State)
{
    KDEVICE_QUEUE Queue;
    KIRQL OldIrql;
    (void)State;
    KeInitializeDeviceQueue(&Queue);
    OldIrql = RaiseToDispatch();
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KeRemoveDeviceQueue(&Queue));
    irpsim_assert_bugcheck_parameter(0, 0x1007);
    irpsim_assert_bugcheck_parameter(1, &Queue);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KeRemoveByKeyDeviceQueue(&Queue, 0));
    irpsim_assert_bugcheck_parameter(0, 0x1007);
    KeLowerIrql(OldIrql);
}

/* An entry inserted while it is still queued would be linked twice and
   corrupt the list: reported at once as the corrupt-list failure (0x139/3). */
static void test_double_insert_bugchecks(void **State)
{
    KDEVICE_QUEUE Queue;
    KDEVICE_QUEUE_ENTRY First, A;
    KIRQL OldIrql;
    (void)State;
    KeInitializeDeviceQueue(&Queue);
    OldIrql = RaiseToDispatch();
    KeInsertDeviceQueue(&Queue, &First);
    KeInsertDeviceQueue(&Queue, &A);
    irpsim_assert_bugcheck(KERNEL_SECURITY_CHECK_FAILURE, KeInsertByKeyDeviceQueue(&Queue, &A, 3));
    irpsim_assert_bugcheck_parameter(0, 3);
    irpsim_assert_bugcheck_parameter(1, &Queue);
    irpsim_assert_bugcheck_parameter(2, &A);
    /* The queue is intact (and the catch frame put us back at DISPATCH_LEVEL). */
    assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
    assert_ptr_equal(KeRemoveDeviceQueue(&Queue), &A);
    assert_null(KeRemoveDeviceQueue(&Queue));
    KeLowerIrql(OldIrql);
}

/* Seed 001: a driver keeps a private KDEVICE_QUEUE in its device extension
   and in DriverEntry only calls InitializeListHead(&q.DeviceListHead),
   never KeInitializeDeviceQueue; the extension is zeroed, so Type, Size,
   Lock and Busy are 0. The first KeInsertDeviceQueue is reported as an
   uninitialised object (0xC4/0x1002; P3/P4 the Type and Size found) with
   an explanation naming the mistake. */
typedef struct _SEED001_EXTENSION {
    KDEVICE_QUEUE device_queue_read;
} SEED001_EXTENSION;

static void test_seed001_queue_set_up_with_initialize_list_head_only(void **State)
{
    SEED001_EXTENSION Extension;
    KDEVICE_QUEUE_ENTRY Entry;
    KIRQL OldIrql;
    (void)State;
    memset(&Extension, 0, sizeof(Extension));
    InitializeListHead(&Extension.device_queue_read.DeviceListHead);

    KeRaiseIrql(DISPATCH_LEVEL, &OldIrql);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION,
                           KeInsertDeviceQueue(&Extension.device_queue_read, &Entry));
    irpsim_assert_bugcheck_parameter(0, 0x1002);
    irpsim_assert_bugcheck_parameter(1, &Extension.device_queue_read);
    irpsim_assert_bugcheck_parameter(2, 0);
    irpsim_assert_bugcheck_parameter(3, 0);
    assert_non_null(strstr(irpsim_last_bugcheck.Info.Rule, "InitializeListHead"));
    assert_non_null(strstr(irpsim_last_bugcheck.Info.Hint, "KeInitializeDeviceQueue"));
    KeLowerIrql(OldIrql);
}

/* A queue copied to another place is not initialised there either (its
   list head would still point into the original). */
static void test_copied_queue_bugchecks(void **State)
{
    KDEVICE_QUEUE Original;
    KDEVICE_QUEUE Copy;
    KIRQL OldIrql;
    (void)State;
    KeInitializeDeviceQueue(&Original);
    memcpy(&Copy, &Original, sizeof(Copy));
    OldIrql = RaiseToDispatch();
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KeRemoveByKeyDeviceQueueIfBusy(&Copy, 0));
    irpsim_assert_bugcheck_parameter(0, 0x1002);
    KeLowerIrql(OldIrql);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(test_initialize, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_busy_semantics_and_fifo, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_insert_by_key_sorted_and_stable, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_remove_by_key_and_wrap_around, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_remove_by_key_if_busy, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_remove_entry, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_trace, SetupTraced, TeardownTraced),
        cmocka_unit_test_setup_teardown(test_wrong_irql_bugchecks, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_remove_from_idle_queue_bugchecks, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_double_insert_bugchecks, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_seed001_queue_set_up_with_initialize_list_head_only, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_copied_queue_bugchecks, Setup, Teardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
