/*
 * irpsim — the executive worker threads and ExQueueWorkItem (SEMANTICS 9.9).
 *
 * One FIFO queue is served by IRPSIM_CONFIG.WorkerThreadCount system
 * threads (default 2) made with PsCreateSystemThread. Queue types are
 * checked but not given separate queues or priorities. An idle worker
 * blocks in KeWaitForSingleObject on a semaphore that counts queued items,
 * so the scheduler and the virtual clock see it as blocked.
 *
 * While an item is queued its LIST_ENTRY belongs to the queue, as on
 * Windows: List.Flink links the FIFO (the last item points at
 * ExpQueueEnd) and List.Blink records the driver to charge while the
 * routine runs. A worker clears both before calling the routine, so a
 * routine may queue its own item again, and "List.Flink != NULL" means
 * "queued" — which is also why ExInitializeWorkItem sets it to NULL.
 *
 * At shutdown the workers drain the queue before they exit.
 */
#include "../ke/ki.h"
#include "../sim/simp.h"
#include "../trace/tracep.h"
#include "../verifier/vf.h"
#include "exp_worker.h"

#include <stdlib.h>

typedef struct _EXP_WORKER {
    PETHREAD Thread;              /* referenced; waited for at shutdown */
    BOOLEAN Running;              /* executing a work routine */
    BOOLEAN RunningIoItem;        /* ... of an I/O work item */
    PDRIVER_OBJECT RunningDriver; /* charged for it */
} EXP_WORKER, *PEXP_WORKER;

#define EXP_DEFAULT_WORKER_THREADS 2

static KSPIN_LOCK ExpWorkLock;
static LIST_ENTRY ExpQueueEnd; /* only its address is used: marks the last item */
static PWORK_QUEUE_ITEM ExpQueueHead;
static PWORK_QUEUE_ITEM ExpQueueTail;
static ULONG ExpQueuedCount;
static ULONG ExpRunningCount;
static KSEMAPHORE ExpWorkSemaphore; /* one count per queued item, plus one per worker at shutdown */
static KEVENT ExpIdleEvent;         /* notification: signalled while nothing is queued or running */
static BOOLEAN ExpStopping;
static volatile LONG ExpWorkersReady;
static PEXP_WORKER ExpWorkers;
static ULONG ExpWorkerCount;

/* The queue lock is a spin lock: queuing is legal up to DISPATCH_LEVEL. */
static KIRQL ExpLockWorkQueue(VOID)
{
    KIRQL OldIrql = KeGetCurrentIrql();
    if (OldIrql >= DISPATCH_LEVEL)
        KeAcquireSpinLockAtDpcLevel(&ExpWorkLock);
    else
        KeAcquireSpinLock(&ExpWorkLock, &OldIrql);
    return OldIrql;
}

static VOID ExpUnlockWorkQueue(KIRQL OldIrql)
{
    if (OldIrql >= DISPATCH_LEVEL)
        KeReleaseSpinLockFromDpcLevel(&ExpWorkLock);
    else
        KeReleaseSpinLock(&ExpWorkLock, OldIrql);
}

VOID ExpValidateWorkItem(PVOID ReportedItem, WORK_QUEUE_TYPE QueueType, PVOID Routine)
{
    if (!PAL_ATOMIC_LOAD(&ExpWorkersReady, PAL_ORDER_ACQUIRE))
        VfBugCheck(WORKER_INVALID, EXP_WORKER_INVALID_NOT_READY, (ULONG_PTR)ReportedItem, (ULONG_PTR)QueueType,
                   (ULONG_PTR)-1, NULL,
                   "A work item was queued while the system worker threads are not running (before "
                   "IrpSimInitialize or after IrpSimShutdown began).",
                   "Queue work items only while the simulated machine is up; in DriverUnload wait for your "
                   "work items instead of queuing new ones.");
    if ((ULONG)QueueType >= (ULONG)MaximumWorkQueue)
        VfBugCheck(WORKER_INVALID, EXP_WORKER_INVALID_QUEUE_TYPE, (ULONG_PTR)ReportedItem, (ULONG_PTR)QueueType, 0,
                   NULL, "A work item was queued with an invalid WORK_QUEUE_TYPE (P3).",
                   "Pass DelayedWorkQueue (or CriticalWorkQueue / NormalWorkQueue); HyperCriticalWorkQueue is "
                   "reserved for the system.");
    if (Routine == NULL)
        VfBugCheck(WORKER_INVALID, EXP_WORKER_INVALID_ROUTINE, (ULONG_PTR)ReportedItem, (ULONG_PTR)QueueType, 0, NULL,
                   "A work item was queued without a worker routine (NULL).",
                   "Initialise the item with ExInitializeWorkItem (routine and context), or pass the routine to "
                   "IoQueueWorkItem.");
}

BOOLEAN ExpInsertWorkItem(PWORK_QUEUE_ITEM WorkItem, PDRIVER_OBJECT Driver)
{
    KIRQL OldIrql = ExpLockWorkQueue();
    if (WorkItem->List.Flink != NULL) {
        ExpUnlockWorkQueue(OldIrql);
        return FALSE;
    }
    WorkItem->List.Flink = &ExpQueueEnd;
    WorkItem->List.Blink = (PLIST_ENTRY)Driver;
    if (ExpQueueTail == NULL)
        ExpQueueHead = WorkItem;
    else
        ExpQueueTail->List.Flink = &WorkItem->List;
    ExpQueueTail = WorkItem;
    ExpQueuedCount++;
    KeClearEvent(&ExpIdleEvent);
    ExpUnlockWorkQueue(OldIrql);

    (void)KeReleaseSemaphore(&ExpWorkSemaphore, 0, 1, FALSE);
    return TRUE;
}

/* Caller holds the queue lock. */
static PWORK_QUEUE_ITEM ExpPopWorkItem(VOID)
{
    PWORK_QUEUE_ITEM WorkItem = ExpQueueHead;
    if (WorkItem == NULL)
        return NULL;
    if (WorkItem->List.Flink == &ExpQueueEnd) {
        ExpQueueHead = NULL;
        ExpQueueTail = NULL;
    } else {
        ExpQueueHead = CONTAINING_RECORD(WorkItem->List.Flink, WORK_QUEUE_ITEM, List);
    }
    ExpQueuedCount--;
    return WorkItem;
}

VOID ExpCheckWorkerReturn(PVOID Routine, PVOID Parameter, PVOID Item)
{
    KIRQL Irql = KeGetCurrentIrql();
    PKTHREAD Thread = KeGetCurrentThread();

    if (Irql != PASSIVE_LEVEL)
        VfBugCheck(WORKER_THREAD_RETURNED_AT_BAD_IRQL, (ULONG_PTR)Routine, Irql, (ULONG_PTR)Parameter, (ULONG_PTR)Item,
                   NULL,
                   "A work item routine returned at an IRQL above PASSIVE_LEVEL (P1 the routine, P2 the IRQL, "
                   "P3 its context, P4 the work item): it raised the IRQL or acquired a spin lock or fast mutex "
                   "and did not undo it. The worker thread would run the next item at the wrong IRQL.",
                   "Release every spin lock and fast mutex and lower the IRQL back before the routine returns.");
    if (Thread->KernelApcDisable != 0 || Thread->SpecialApcDisable != 0)
        VfBugCheck(APC_INDEX_MISMATCH, (ULONG_PTR)Routine, 0,
                   ((ULONG)(USHORT)Thread->SpecialApcDisable << 16) | (ULONG)(USHORT)Thread->KernelApcDisable, 1, NULL,
                   "A work item routine returned with its critical or guarded regions unbalanced (P3 the thread's "
                   "APC-disable count, special << 16 | normal; P4 = 1, a worker routine). Each "
                   "KeEnterCriticalRegion needs a KeLeaveCriticalRegion (likewise guarded regions, and the "
                   "ERESOURCE or guarded mutex that entered one).",
                   "Leave every critical and guarded region the routine entered, and release the resources and "
                   "guarded mutexes it acquired, before it returns.");
}

static VOID NTAPI ExpWorkerThread(PVOID Context)
{
    PEXP_WORKER Worker = (PEXP_WORKER)Context;
    PKTHREAD Thread = KeGetCurrentThread();

    for (;;) {
        PWORK_QUEUE_ITEM WorkItem;
        PWORKER_THREAD_ROUTINE Routine;
        PVOID Parameter;
        PDRIVER_OBJECT Driver;
        PDRIVER_OBJECT Saved;
        BOOLEAN IoItem;
        KIRQL OldIrql;

        (void)KeWaitForSingleObject(&ExpWorkSemaphore, WrQueue, KernelMode, FALSE, NULL);

        OldIrql = ExpLockWorkQueue();
        WorkItem = ExpPopWorkItem();
        if (WorkItem == NULL) {
            BOOLEAN Stop = ExpStopping;
            ExpUnlockWorkQueue(OldIrql);
            if (Stop)
                break;
            continue;
        }
        Routine = WorkItem->WorkerRoutine;
        Parameter = WorkItem->Parameter;
        Driver = (PDRIVER_OBJECT)WorkItem->List.Blink;
        IoItem = Routine == IopProcessWorkItem;
        /* No longer queued: from here the routine may queue or free it. */
        WorkItem->List.Flink = NULL;
        WorkItem->List.Blink = NULL;
        Worker->Running = TRUE;
        Worker->RunningIoItem = IoItem;
        Worker->RunningDriver = Driver;
        ExpRunningCount++;
        ExpUnlockWorkQueue(OldIrql);

        /* I/O work items trace themselves, under their own address. */
        if (!IoItem)
            TRACE_EVENT(IrpSimTraceWorkItem, WorkItem, Routine, 1, Driver);
        Saved = KiEnterDriver(Thread, Driver);
        Routine(Parameter);
        KiLeaveDriver(Thread, Saved);
        ExpCheckWorkerReturn((PVOID)Routine, Parameter, WorkItem);
        if (!IoItem)
            TRACE_EVENT(IrpSimTraceWorkItem, WorkItem, Routine, 2, Driver);

        OldIrql = ExpLockWorkQueue();
        Worker->Running = FALSE;
        Worker->RunningIoItem = FALSE;
        Worker->RunningDriver = NULL;
        ExpRunningCount--;
        if (ExpRunningCount == 0 && ExpQueuedCount == 0)
            (void)KeSetEvent(&ExpIdleEvent, 0, FALSE);
        ExpUnlockWorkQueue(OldIrql);
    }
    (void)PsTerminateSystemThread(STATUS_SUCCESS);
}

VOID NTAPI ExQueueWorkItem(PWORK_QUEUE_ITEM WorkItem, WORK_QUEUE_TYPE QueueType)
{
    PDRIVER_OBJECT Driver = KiCurrentDriver();

    ExpValidateWorkItem(WorkItem, QueueType, (PVOID)WorkItem->WorkerRoutine);
    if (!ExpInsertWorkItem(WorkItem, Driver))
        VfBugCheck(WORKER_INVALID, EXP_WORKER_INVALID_QUEUED_TWICE, (ULONG_PTR)WorkItem, (ULONG_PTR)QueueType, 0, NULL,
                   "ExQueueWorkItem was called for a work item whose List.Flink is not NULL: the item is still "
                   "queued (it was queued again before its routine started), or it was never set up with "
                   "ExInitializeWorkItem, which clears List.Flink.",
                   "Queue an item again only once its routine has started (from inside the routine is fine), "
                   "and initialise every item with ExInitializeWorkItem.");
    TRACE_EVENT(IrpSimTraceWorkItem, WorkItem, WorkItem->WorkerRoutine, 0, Driver);
}

BOOLEAN ExpAreWorkQueuesIdle(VOID)
{
    BOOLEAN Idle;
    KIRQL OldIrql = ExpLockWorkQueue();
    Idle = ExpQueuedCount == 0 && ExpRunningCount == 0;
    ExpUnlockWorkQueue(OldIrql);
    return Idle;
}

VOID ExpWaitForWorkQueuesIdle(VOID)
{
    (void)KeWaitForSingleObject(&ExpIdleEvent, Executive, KernelMode, FALSE, NULL);
}

ULONG ExpCountQueuedWorkItems(PDRIVER_OBJECT Driver)
{
    ULONG Count = 0;
    KIRQL OldIrql = ExpLockWorkQueue();
    for (PWORK_QUEUE_ITEM Item = ExpQueueHead; Item != NULL;
         Item = Item->List.Flink == &ExpQueueEnd ? NULL : CONTAINING_RECORD(Item->List.Flink, WORK_QUEUE_ITEM, List)) {
        if (Item->WorkerRoutine != IopProcessWorkItem && (Driver == NULL || (PDRIVER_OBJECT)Item->List.Blink == Driver))
            Count++;
    }
    for (ULONG i = 0; i < ExpWorkerCount; i++) {
        PEXP_WORKER Worker = &ExpWorkers[i];
        if (Worker->Running && !Worker->RunningIoItem && (Driver == NULL || Worker->RunningDriver == Driver))
            Count++;
    }
    ExpUnlockWorkQueue(OldIrql);
    return Count;
}

ULONG ExpCountRunningIoWorkItems(PDRIVER_OBJECT Driver)
{
    ULONG Count = 0;
    KIRQL OldIrql = ExpLockWorkQueue();
    for (ULONG i = 0; i < ExpWorkerCount; i++) {
        PEXP_WORKER Worker = &ExpWorkers[i];
        if (Worker->Running && Worker->RunningIoItem && (Driver == NULL || Worker->RunningDriver == Driver))
            Count++;
    }
    ExpUnlockWorkQueue(OldIrql);
    return Count;
}

VOID ExpSettleRunningIoWorkItems(PDRIVER_OBJECT Driver)
{
    for (;;) {
        BOOLEAN Progressing = FALSE;
        KIRQL OldIrql = ExpLockWorkQueue();
        for (ULONG i = 0; i < ExpWorkerCount && !Progressing; i++) {
            PEXP_WORKER Worker = &ExpWorkers[i];
            Progressing = Worker->Running && Worker->RunningIoItem && Worker->RunningDriver == Driver &&
                          KiThreadCanProgress(KiThreadFromEThread(Worker->Thread));
        }
        ExpUnlockWorkQueue(OldIrql);
        if (!Progressing)
            return;
        KiSchedSpin();
    }
}

/* Stops the workers started so far: they drain the queue, then exit. */
static VOID ExpStopWorkers(VOID)
{
    KIRQL OldIrql = ExpLockWorkQueue();
    ExpStopping = TRUE;
    ExpUnlockWorkQueue(OldIrql);
    if (ExpWorkerCount != 0)
        (void)KeReleaseSemaphore(&ExpWorkSemaphore, 0, (LONG)ExpWorkerCount, FALSE);
    for (ULONG i = 0; i < ExpWorkerCount; i++) {
        (void)KeWaitForSingleObject(ExpWorkers[i].Thread, Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(ExpWorkers[i].Thread);
    }
    free(ExpWorkers);
    ExpWorkers = NULL;
    ExpWorkerCount = 0;
}

static NTSTATUS ExpStartWorker(PEXP_WORKER Worker)
{
    OBJECT_ATTRIBUTES Attributes;
    HANDLE Handle;
    NTSTATUS Status;

    InitializeObjectAttributes(&Attributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    Status = PsCreateSystemThread(&Handle, THREAD_ALL_ACCESS, &Attributes, NULL, NULL, ExpWorkerThread, Worker);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = ObReferenceObjectByHandle(Handle, SYNCHRONIZE, *PsThreadType, KernelMode, (PVOID *)&Worker->Thread, NULL);
    (void)ZwClose(Handle);
    return Status;
}

NTSTATUS ExpInitializeWorkers(const IRPSIM_CONFIG *Config)
{
    ULONG Count =
        Config != NULL && Config->WorkerThreadCount != 0 ? Config->WorkerThreadCount : EXP_DEFAULT_WORKER_THREADS;
    NTSTATUS Status;

    KeInitializeSpinLock(&ExpWorkLock);
    KeInitializeSemaphore(&ExpWorkSemaphore, 0, MAXLONG);
    KeInitializeEvent(&ExpIdleEvent, NotificationEvent, TRUE);
    ExpQueueHead = NULL;
    ExpQueueTail = NULL;
    ExpQueuedCount = 0;
    ExpRunningCount = 0;
    ExpStopping = FALSE;
    IopInitializeWorkItems();

    ExpWorkers = (PEXP_WORKER)calloc(Count, sizeof(EXP_WORKER));
    if (ExpWorkers == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    for (ExpWorkerCount = 0; ExpWorkerCount < Count; ExpWorkerCount++) {
        Status = ExpStartWorker(&ExpWorkers[ExpWorkerCount]);
        if (!NT_SUCCESS(Status)) {
            ExpStopWorkers();
            return Status;
        }
    }
    Status = IopInitializeSystemThreads();
    if (!NT_SUCCESS(Status)) {
        ExpStopWorkers();
        return Status;
    }
    PAL_ATOMIC_STORE(&ExpWorkersReady, 1, PAL_ORDER_RELEASE);
    return STATUS_SUCCESS;
}

VOID ExpShutdownWorkers(VOID)
{
    if (!PAL_ATOMIC_LOAD(&ExpWorkersReady, PAL_ORDER_ACQUIRE))
        return;
    /* Work routines still draining may queue more work; refuse it only
       once no worker is left to run it. */
    ExpStopWorkers();
    PAL_ATOMIC_STORE(&ExpWorkersReady, 0, PAL_ORDER_RELEASE);
    IopShutdownSystemThreads();
}
