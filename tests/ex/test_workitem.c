/*
 * Work items and the system worker threads (SEMANTICS.md 9.9; WDK
 * documentation of IoAllocateWorkItem, IoQueueWorkItem(Ex), IoFreeWorkItem,
 * IoInitializeWorkItem, ExQueueWorkItem; bug checks 0xE4 WORKER_INVALID,
 * 0xE1 WORKER_THREAD_RETURNED_AT_BAD_IRQL, 0x1 APC_INDEX_MISMATCH).
 *
 * The machine runs one worker thread here, so items run in queue order: a
 * "gate" item holds the worker to keep later items queued, and a "fence"
 * item proves that everything queued before it has finished, including
 * the I/O manager's dereference after the routine.
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

#ifndef APC_INDEX_MISMATCH
#define APC_INDEX_MISMATCH 0x00000001
#endif
#ifndef WORKER_THREAD_RETURNED_AT_BAD_IRQL
#define WORKER_THREAD_RETURNED_AT_BAD_IRQL 0x000000E1
#endif
#define WORKITEM_TAG 'kWoI'

static PDRIVER_OBJECT TestDriver;
static PDEVICE_OBJECT TestDevice;
static PETHREAD TestThread;

static VOID NTAPI TestUnload(PDRIVER_OBJECT DriverObject)
{
    while (DriverObject->DeviceObject != NULL)
        IoDeleteDevice(DriverObject->DeviceObject);
}

static NTSTATUS NTAPI TestDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);
    DriverObject->DriverUnload = TestUnload;
    return IoCreateDevice(DriverObject, 32, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &TestDevice);
}

static int Setup(void **State)
{
    IRPSIM_CONFIG Config;
    (void)State;
    IrpSimDefaultConfig(&Config);
    Config.WorkerThreadCount = 1;
    if (!NT_SUCCESS(IrpSimInitialize(&Config)))
        return -1;
    TestThread = PsGetCurrentThread();
    return NT_SUCCESS(IrpSimLoadDriver(L"\\Driver\\WorkItemTest", TestDriverEntry, &TestDriver)) ? 0 : -1;
}

static int Teardown(void **State)
{
    (void)State;
    IrpSimShutdown();
    return 0;
}

IRPSIM_TRACED_FIXTURES(SetupTraced, TeardownTraced, Setup, Teardown)

/* ---- the gate and the fence ---- */

static WORK_QUEUE_ITEM GateItem;
static KEVENT GateEntered;
static KEVENT GateOpen;

static VOID NTAPI GateRoutine(PVOID Parameter)
{
    UNREFERENCED_PARAMETER(Parameter);
    KeSetEvent(&GateEntered, 0, FALSE);
    KeWaitForSingleObject(&GateOpen, Executive, KernelMode, FALSE, NULL);
}

/* Occupies the only worker until OpenGate. */
static void CloseGate(void)
{
    KeInitializeEvent(&GateEntered, NotificationEvent, FALSE);
    KeInitializeEvent(&GateOpen, NotificationEvent, FALSE);
    ExInitializeWorkItem(&GateItem, GateRoutine, NULL);
    ExQueueWorkItem(&GateItem, DelayedWorkQueue);
    KeWaitForSingleObject(&GateEntered, Executive, KernelMode, FALSE, NULL);
}

static void OpenGate(void)
{
    KeSetEvent(&GateOpen, 0, FALSE);
}

static WORK_QUEUE_ITEM FenceItem;
static KEVENT FenceDone;

static VOID NTAPI FenceRoutine(PVOID Parameter)
{
    UNREFERENCED_PARAMETER(Parameter);
    KeSetEvent(&FenceDone, 0, FALSE);
}

/* Returns once everything queued before it has finished. */
static void Fence(void)
{
    KeInitializeEvent(&FenceDone, NotificationEvent, FALSE);
    ExInitializeWorkItem(&FenceItem, FenceRoutine, NULL);
    ExQueueWorkItem(&FenceItem, DelayedWorkQueue);
    KeWaitForSingleObject(&FenceDone, Executive, KernelMode, FALSE, NULL);
}

static LONG_PTR DeviceReferences(void)
{
    LONG_PTR Count = ObReferenceObject(TestDevice) - 1;
    ObDereferenceObject(TestDevice);
    return Count;
}

/* ---- what a routine saw ---- */

typedef struct _SEEN {
    KEVENT Done;
    LONG Runs;
    KIRQL Irql;
    BOOLEAN SystemThread;
    BOOLEAN OtherThread;
    PVOID IoObject;
    PVOID Context;
    PIO_WORKITEM Item;
    CSHORT DeviceType;
    PDRIVER_OBJECT DeviceDriver;
    LONG_PTR References;
    LONG Requeue; /* queue the item again this many times */
} SEEN;

static void SeenInit(SEEN *Seen)
{
    memset(Seen, 0, sizeof(*Seen));
    KeInitializeEvent(&Seen->Done, NotificationEvent, FALSE);
}

static void Record(SEEN *Seen, PVOID IoObject, PVOID Context)
{
    Seen->Irql = KeGetCurrentIrql();
    Seen->SystemThread = PsIsSystemThread(PsGetCurrentThread());
    Seen->OtherThread = PsGetCurrentThread() != TestThread;
    Seen->IoObject = IoObject;
    Seen->Context = Context;
    InterlockedIncrement(&Seen->Runs);
}

static VOID NTAPI RecordRoutine(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
    SEEN *Seen = (SEEN *)Context;
    Record(Seen, DeviceObject, Context);
    Seen->DeviceType = DeviceObject->Type;
    Seen->DeviceDriver = DeviceObject->DriverObject;
    Seen->References = ObReferenceObject(DeviceObject) - 1;
    ObDereferenceObject(DeviceObject);
    KeSetEvent(&Seen->Done, 0, FALSE);
}

static void WaitSeen(SEEN *Seen)
{
    KeWaitForSingleObject(&Seen->Done, Executive, KernelMode, FALSE, NULL);
}

/* ---- I/O work items ---- */

/* The routine runs once, at PASSIVE_LEVEL, on a system worker thread, with
   the device object and the context it was queued with. */
static void test_io_work_item_runs_at_passive_on_worker(void **State)
{
    PIO_WORKITEM Item;
    SEEN Seen;
    (void)State;
    SeenInit(&Seen);
    Item = IoAllocateWorkItem(TestDevice);
    assert_non_null(Item);
    IoQueueWorkItem(Item, RecordRoutine, DelayedWorkQueue, &Seen);
    WaitSeen(&Seen);
    Fence();
    assert_int_equal(Seen.Runs, 1);
    assert_int_equal(Seen.Irql, PASSIVE_LEVEL);
    assert_true(Seen.SystemThread);
    assert_true(Seen.OtherThread);
    assert_ptr_equal(Seen.IoObject, TestDevice);
    assert_ptr_equal(Seen.Context, &Seen);
    IoFreeWorkItem(Item);
}

/* IoQueueWorkItem references the device; the reference is held while the
   item is queued and while the routine runs, and dropped after it returns. */
static void test_device_referenced_while_queued(void **State)
{
    PIO_WORKITEM Item;
    SEEN Seen;
    LONG_PTR Before;
    (void)State;
    SeenInit(&Seen);
    Item = IoAllocateWorkItem(TestDevice);
    Before = DeviceReferences();
    CloseGate();
    IoQueueWorkItem(Item, RecordRoutine, DelayedWorkQueue, &Seen);
    assert_int_equal(DeviceReferences(), Before + 1);
    OpenGate();
    WaitSeen(&Seen);
    assert_int_equal(Seen.References, Before + 1);
    Fence();
    assert_int_equal(DeviceReferences(), Before);
    IoFreeWorkItem(Item);
}

/* Because of that reference, a device deleted while its work item is
   queued is still a valid device object when the routine runs. */
static void test_device_deleted_while_queued_stays_valid(void **State)
{
    PIO_WORKITEM Item;
    SEEN Seen;
    (void)State;
    SeenInit(&Seen);
    Item = IoAllocateWorkItem(TestDevice);
    CloseGate();
    IoQueueWorkItem(Item, RecordRoutine, DelayedWorkQueue, &Seen);
    IoDeleteDevice(TestDevice);
    OpenGate();
    WaitSeen(&Seen);
    Fence();
    assert_int_equal(Seen.DeviceType, IO_TYPE_DEVICE);
    assert_ptr_equal(Seen.DeviceDriver, TestDriver);
    IoFreeWorkItem(Item);
}

/* Queuing an item that is still queued: WORKER_INVALID P1 = 1 (P2 item,
   P3 queue type). The original request still runs, once. */
static void test_queue_twice_bugchecks(void **State)
{
    PIO_WORKITEM Item;
    SEEN Seen;
    (void)State;
    SeenInit(&Seen);
    Item = IoAllocateWorkItem(TestDevice);
    CloseGate();
    IoQueueWorkItem(Item, RecordRoutine, DelayedWorkQueue, &Seen);
    irpsim_assert_bugcheck(WORKER_INVALID, IoQueueWorkItem(Item, RecordRoutine, CriticalWorkQueue, &Seen));
    irpsim_assert_bugcheck_parameter(0, 1);
    irpsim_assert_bugcheck_parameter(1, Item);
    irpsim_assert_bugcheck_parameter(2, CriticalWorkQueue);
    OpenGate();
    WaitSeen(&Seen);
    Fence();
    assert_int_equal(Seen.Runs, 1);
    IoFreeWorkItem(Item);
}

/* Freeing a queued item: WORKER_INVALID P1 = 2 (P2 item, P3 its routine). */
static void test_free_while_queued_bugchecks(void **State)
{
    PIO_WORKITEM Item;
    SEEN Seen;
    (void)State;
    SeenInit(&Seen);
    Item = IoAllocateWorkItem(TestDevice);
    CloseGate();
    IoQueueWorkItem(Item, RecordRoutine, DelayedWorkQueue, &Seen);
    irpsim_assert_bugcheck(WORKER_INVALID, IoFreeWorkItem(Item));
    irpsim_assert_bugcheck_parameter(0, 2);
    irpsim_assert_bugcheck_parameter(1, Item);
    irpsim_assert_bugcheck_parameter(2, RecordRoutine);
    OpenGate();
    WaitSeen(&Seen);
    Fence();
    IoFreeWorkItem(Item);
}

/* IoFreeWorkItem from inside the item's own routine is legal (the item is
   no longer queued); IoQueueWorkItemEx hands the routine its item. */
static VOID NTAPI FreeSelfRoutine(PVOID IoObject, PVOID Context, PIO_WORKITEM IoWorkItem)
{
    SEEN *Seen = (SEEN *)Context;
    Record(Seen, IoObject, Context);
    Seen->Item = IoWorkItem;
    IoFreeWorkItem(IoWorkItem);
    KeSetEvent(&Seen->Done, 0, FALSE);
}

static void test_free_inside_own_routine(void **State)
{
    IRPSIM_POOL_TAG_USAGE Usage;
    PIO_WORKITEM Item;
    SEEN Seen;
    (void)State;
    SeenInit(&Seen);
    Item = IoAllocateWorkItem(TestDevice);
    IrpSimQueryPoolTag(WORKITEM_TAG, &Usage);
    assert_int_equal(Usage.Allocations, 1);
    IoQueueWorkItemEx(Item, FreeSelfRoutine, DelayedWorkQueue, &Seen);
    WaitSeen(&Seen);
    Fence();
    assert_ptr_equal(Seen.Item, Item);
    assert_ptr_equal(Seen.IoObject, TestDevice);
    IrpSimQueryPoolTag(WORKITEM_TAG, &Usage);
    assert_int_equal(Usage.Allocations, 0);
}

/* A routine may queue its own item again. */
static VOID NTAPI RequeueRoutine(PVOID IoObject, PVOID Context, PIO_WORKITEM IoWorkItem)
{
    SEEN *Seen = (SEEN *)Context;
    Record(Seen, IoObject, Context);
    if (Seen->Requeue-- > 0)
        IoQueueWorkItemEx(IoWorkItem, RequeueRoutine, DelayedWorkQueue, Context);
    else
        KeSetEvent(&Seen->Done, 0, FALSE);
}

static void test_requeue_from_own_routine(void **State)
{
    PIO_WORKITEM Item;
    SEEN Seen;
    (void)State;
    SeenInit(&Seen);
    Seen.Requeue = 3;
    Item = IoAllocateWorkItem(TestDevice);
    IoQueueWorkItemEx(Item, RequeueRoutine, DelayedWorkQueue, &Seen);
    WaitSeen(&Seen);
    Fence();
    assert_int_equal(Seen.Runs, 4);
    IoFreeWorkItem(Item);
}

/* Caller-allocated items: IoSizeofWorkItem bytes, IoInitializeWorkItem
   (here with the driver object as the I/O object), IoUninitializeWorkItem. */
static void test_caller_allocated_item(void **State)
{
    PIO_WORKITEM Item;
    SEEN Seen;
    (void)State;
    SeenInit(&Seen);
    assert_true(IoSizeofWorkItem() > sizeof(WORK_QUEUE_ITEM));
    Item = (PIO_WORKITEM)ExAllocatePoolZero(NonPagedPoolNx, IoSizeofWorkItem(), 'tseT');
    assert_non_null(Item);
    IoInitializeWorkItem(TestDriver, Item);
    IoQueueWorkItemEx(Item, RequeueRoutine, DelayedWorkQueue, &Seen); /* Requeue 0: runs once */
    WaitSeen(&Seen);
    Fence();
    assert_ptr_equal(Seen.IoObject, TestDriver);
    IoUninitializeWorkItem(Item);
    ExFreePoolWithTag(Item, 'tseT');
}

/* Release routines must match how the item was made (WORKER_INVALID P1 = 3). */
static void test_mismatched_release_bugchecks(void **State)
{
    PIO_WORKITEM Allocated;
    PIO_WORKITEM Initialized;
    (void)State;
    Allocated = IoAllocateWorkItem(TestDevice);
    Initialized = (PIO_WORKITEM)ExAllocatePoolZero(NonPagedPoolNx, IoSizeofWorkItem(), 'tseT');
    IoInitializeWorkItem(TestDevice, Initialized);

    irpsim_assert_bugcheck(WORKER_INVALID, IoFreeWorkItem(Initialized));
    irpsim_assert_bugcheck_parameter(0, 3);
    irpsim_assert_bugcheck_parameter(1, Initialized);
    irpsim_assert_bugcheck(WORKER_INVALID, IoUninitializeWorkItem(Allocated));
    irpsim_assert_bugcheck_parameter(0, 3);

    IoUninitializeWorkItem(Initialized);
    ExFreePoolWithTag(Initialized, 'tseT');
    IoFreeWorkItem(Allocated);
}

/* Bad arguments: an invalid queue type (P1 = 6), no routine (P1 = 7), an
   item that was never set up (P1 = 3), an I/O object that is not a device
   (P1 = 3, P3 the object). */
static void test_invalid_arguments_bugcheck(void **State)
{
    PIO_WORKITEM Item;
    ULONG_PTR Garbage[32];
    (void)State;
    Item = IoAllocateWorkItem(TestDevice);
    irpsim_assert_bugcheck(WORKER_INVALID, IoQueueWorkItem(Item, RecordRoutine, (WORK_QUEUE_TYPE)17, NULL));
    irpsim_assert_bugcheck_parameter(0, 6);
    irpsim_assert_bugcheck_parameter(2, 17);
    irpsim_assert_bugcheck(WORKER_INVALID, IoQueueWorkItem(Item, NULL, DelayedWorkQueue, NULL));
    irpsim_assert_bugcheck_parameter(0, 7);

    memset(Garbage, 0, sizeof(Garbage));
    irpsim_assert_bugcheck(WORKER_INVALID,
                           IoQueueWorkItem((PIO_WORKITEM)Garbage, RecordRoutine, DelayedWorkQueue, NULL));
    irpsim_assert_bugcheck_parameter(0, 3);
    irpsim_assert_bugcheck_parameter(1, Garbage);

    irpsim_assert_bugcheck(WORKER_INVALID, (void)IoAllocateWorkItem((PDEVICE_OBJECT)TestDriver));
    irpsim_assert_bugcheck_parameter(0, 3);
    irpsim_assert_bugcheck_parameter(2, TestDriver);
    IoFreeWorkItem(Item);
}

/* Work items may be queued at DISPATCH_LEVEL. */
static void test_queue_at_dispatch_level(void **State)
{
    PIO_WORKITEM Item;
    SEEN Seen;
    KIRQL OldIrql;
    (void)State;
    SeenInit(&Seen);
    Item = IoAllocateWorkItem(TestDevice);
    KeRaiseIrql(DISPATCH_LEVEL, &OldIrql);
    IoQueueWorkItem(Item, RecordRoutine, CriticalWorkQueue, &Seen);
    KeLowerIrql(OldIrql);
    WaitSeen(&Seen);
    Fence();
    assert_int_equal(Seen.Irql, PASSIVE_LEVEL);
    IoFreeWorkItem(Item);
}

/* The routine runs on behalf of the device's driver: pool it allocates is
   charged to that driver (and shows up in its leak report). */
static PVOID ChargedBlock;

static VOID NTAPI AllocateRoutine(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    ChargedBlock = ExAllocatePoolZero(NonPagedPoolNx, 64, 'grhC');
    KeSetEvent(&((SEEN *)Context)->Done, 0, FALSE);
}

static void test_routine_charged_to_device_driver(void **State)
{
    IRPSIM_LEAK_SUMMARY Before;
    IRPSIM_LEAK_SUMMARY After;
    PIO_WORKITEM Item;
    SEEN Seen;
    (void)State;
    SeenInit(&Seen);
    Item = IoAllocateWorkItem(TestDevice);
    IrpSimQueryOutstanding(TestDriver, &Before);
    IoQueueWorkItem(Item, AllocateRoutine, DelayedWorkQueue, &Seen);
    WaitSeen(&Seen);
    Fence();
    assert_non_null(ChargedBlock);
    IrpSimQueryOutstanding(TestDriver, &After);
    assert_int_equal(After.PoolBlocks, Before.PoolBlocks + 1);
    ExFreePoolWithTag(ChargedBlock, 'grhC');
    IoFreeWorkItem(Item);
}

/* Each step is traced: queued (A2 = 0), started (1), returned (2). */
static void test_trace(void **State)
{
    IRPSIM_TRACE_EVENT Event;
    PIO_WORKITEM Item;
    SEEN Seen;
    ULONG Index = 0;
    (void)State;
    SeenInit(&Seen);
    IrpSimTraceClear();
    Item = IoAllocateWorkItem(TestDevice);
    IoQueueWorkItem(Item, RecordRoutine, DelayedWorkQueue, &Seen);
    WaitSeen(&Seen);
    Fence();
    for (ULONG Phase = 0; Phase < 3; Phase++) {
        assert_true(IrpSimTraceFind(&Index, IrpSimTraceWorkItem, Item, &Event));
        assert_int_equal(Event.Argument[0], (ULONG_PTR)RecordRoutine);
        assert_int_equal(Event.Argument[1], Phase);
        Index++;
    }
    IoFreeWorkItem(Item);
}

/* ---- executive work items ---- */

static VOID NTAPI ExRecordRoutine(PVOID Parameter)
{
    SEEN *Seen = (SEEN *)Parameter;
    Record(Seen, NULL, Parameter);
    KeSetEvent(&Seen->Done, 0, FALSE);
}

/* ExQueueWorkItem runs the routine with its parameter at PASSIVE_LEVEL on a
   worker thread, and takes no reference on any device. */
static void test_ex_queue_work_item(void **State)
{
    WORK_QUEUE_ITEM Item;
    SEEN Seen;
    LONG_PTR Before;
    (void)State;
    SeenInit(&Seen);
    Before = DeviceReferences();
    ExInitializeWorkItem(&Item, ExRecordRoutine, &Seen);
    assert_null(Item.List.Flink);
    ExQueueWorkItem(&Item, DelayedWorkQueue);
    WaitSeen(&Seen);
    Fence();
    assert_int_equal(Seen.Runs, 1);
    assert_int_equal(Seen.Irql, PASSIVE_LEVEL);
    assert_true(Seen.SystemThread);
    assert_true(Seen.OtherThread);
    assert_ptr_equal(Seen.Context, &Seen);
    assert_null(Item.List.Flink);
    assert_int_equal(DeviceReferences(), Before);
}

/* An executive item queued again while queued, or one whose List.Flink was
   never cleared by ExInitializeWorkItem: WORKER_INVALID P1 = 1. */
static void test_ex_queue_twice_bugchecks(void **State)
{
    WORK_QUEUE_ITEM Item;
    WORK_QUEUE_ITEM Stale;
    SEEN Seen;
    (void)State;
    SeenInit(&Seen);
    ExInitializeWorkItem(&Item, ExRecordRoutine, &Seen);
    CloseGate();
    ExQueueWorkItem(&Item, DelayedWorkQueue);
    irpsim_assert_bugcheck(WORKER_INVALID, ExQueueWorkItem(&Item, DelayedWorkQueue));
    irpsim_assert_bugcheck_parameter(0, 1);
    irpsim_assert_bugcheck_parameter(1, &Item);
    irpsim_assert_bugcheck_parameter(2, DelayedWorkQueue);
    OpenGate();
    WaitSeen(&Seen);
    Fence();
    assert_int_equal(Seen.Runs, 1);

    Stale.WorkerRoutine = ExRecordRoutine;
    Stale.Parameter = &Seen;
    Stale.List.Flink = &Stale.List;
    irpsim_assert_bugcheck(WORKER_INVALID, ExQueueWorkItem(&Stale, DelayedWorkQueue));
    irpsim_assert_bugcheck_parameter(0, 1);
}

/* ---- what a routine must undo before it returns ---- */

static VOID NTAPI ReturnsAtDispatch(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
    KIRQL OldIrql;
    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Context);
    KeRaiseIrql(DISPATCH_LEVEL, &OldIrql);
}

static VOID NTAPI ReturnsInCriticalRegion(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Context);
    KeEnterCriticalRegion();
}

/* Waits for a bug check raised on the worker thread to reach this thread
   (it arrives at this thread's next wait); the timeout only guards against
   a hang if it never comes. */
static void WaitForWorkerBugCheck(void)
{
    KEVENT Never;
    LARGE_INTEGER Timeout;
    KeInitializeEvent(&Never, NotificationEvent, FALSE);
    Timeout.QuadPart = -600000000LL; /* 60 s */
    KeWaitForSingleObject(&Never, Executive, KernelMode, FALSE, &Timeout);
}

/* A routine that returns above PASSIVE_LEVEL: bug check 0xE1 (P1 routine,
   P2 IRQL, P3 context, P4 item). */
static void test_routine_returning_at_dispatch_bugchecks(void **State)
{
    PIO_WORKITEM Item;
    (void)State;
    Item = IoAllocateWorkItem(TestDevice);
    irpsim_assert_bugcheck(WORKER_THREAD_RETURNED_AT_BAD_IRQL, {
        IoQueueWorkItem(Item, ReturnsAtDispatch, DelayedWorkQueue, (PVOID)0x1234);
        WaitForWorkerBugCheck();
    });
    irpsim_assert_bugcheck_parameter(0, ReturnsAtDispatch);
    irpsim_assert_bugcheck_parameter(1, DISPATCH_LEVEL);
    irpsim_assert_bugcheck_parameter(2, 0x1234);
    irpsim_assert_bugcheck_parameter(3, Item);
    /* The worker died with the device reference (reported at unload); the
       item itself is no longer queued and can be freed. */
    IoFreeWorkItem(Item);
}

/* A routine that leaves a critical region entered: APC_INDEX_MISMATCH (P1
   routine, P3 the APC-disable count, P4 = 1 for a worker routine). */
static void test_routine_unbalanced_critical_region_bugchecks(void **State)
{
    PIO_WORKITEM Item;
    (void)State;
    Item = IoAllocateWorkItem(TestDevice);
    irpsim_assert_bugcheck(APC_INDEX_MISMATCH, {
        IoQueueWorkItem(Item, ReturnsInCriticalRegion, DelayedWorkQueue, NULL);
        WaitForWorkerBugCheck();
    });
    irpsim_assert_bugcheck_parameter(0, ReturnsInCriticalRegion);
    irpsim_assert_bugcheck_parameter(2, 0xFFFF);
    irpsim_assert_bugcheck_parameter(3, 1);
    IoFreeWorkItem(Item);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(test_io_work_item_runs_at_passive_on_worker, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_device_referenced_while_queued, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_device_deleted_while_queued_stays_valid, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_queue_twice_bugchecks, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_free_while_queued_bugchecks, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_free_inside_own_routine, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_requeue_from_own_routine, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_caller_allocated_item, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_mismatched_release_bugchecks, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_invalid_arguments_bugcheck, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_queue_at_dispatch_level, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_routine_charged_to_device_driver, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_trace, SetupTraced, TeardownTraced),
        cmocka_unit_test_setup_teardown(test_ex_queue_work_item, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_ex_queue_twice_bugchecks, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_routine_returning_at_dispatch_bugchecks, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_routine_unbalanced_critical_region_bugchecks, Setup, Teardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
