/*
 * irpsim — system worker threads and the work that runs on them
 * (internal): the executive work queue (ex/worker.c), I/O work items
 * (io/workitem.c) and the threads of IoCreateSystemThread (io/systhread.c).
 *
 * ExpInitializeWorkers / ExpShutdownWorkers (declared in sim/simp.h) bring
 * all three up and down.
 */
#ifndef IRPSIM_EXP_WORKER_H
#define IRPSIM_EXP_WORKER_H

#include <wdm.h>

/* Bug check codes raised here that bugcodes.h does not name (yet). */
#ifndef APC_INDEX_MISMATCH
#define APC_INDEX_MISMATCH 0x00000001
#endif
#ifndef WORKER_THREAD_RETURNED_AT_BAD_IRQL
#define WORKER_THREAD_RETURNED_AT_BAD_IRQL 0x000000E1
#endif

/* WORKER_INVALID (0xE4) first parameters. */
#define EXP_WORKER_INVALID_QUEUED_TWICE    1 /* P2 item, P3 queue type */
#define EXP_WORKER_INVALID_FREED_QUEUED_IO 2 /* P2 item, P3 I/O worker routine */
#define EXP_WORKER_INVALID_BAD_OBJECT      3 /* P2 item, P3 object */
#define EXP_WORKER_INVALID_NOT_READY       5 /* P2 item, P3 queue type, P4 -1 */
#define EXP_WORKER_INVALID_QUEUE_TYPE      6 /* P2 item, P3 queue type */
#define EXP_WORKER_INVALID_ROUTINE         7 /* P2 item, P3 queue type */

/* ---- the executive work queue (worker.c) ---- */

/* Checks what ExQueueWorkItem / IoQueueWorkItem check before queuing:
   workers running (0xE4/5), a known queue type (0xE4/6), a routine
   (0xE4/7). ReportedItem is the item named in the bug check. */
VOID ExpValidateWorkItem(PVOID ReportedItem, WORK_QUEUE_TYPE QueueType, PVOID Routine);

/* Queues WorkItem (its WorkerRoutine and Parameter already set); the
   routine runs at PASSIVE_LEVEL on a worker thread with Driver charged.
   Returns FALSE, queuing nothing, if WorkItem is already queued. */
BOOLEAN ExpInsertWorkItem(PWORK_QUEUE_ITEM WorkItem, PDRIVER_OBJECT Driver);

/* Called on a worker thread after a work routine returned: it must be back
   at PASSIVE_LEVEL (else 0xE1) with its critical and guarded regions
   balanced (else APC_INDEX_MISMATCH, P4 = 1). */
VOID ExpCheckWorkerReturn(PVOID Routine, PVOID Parameter, PVOID Item);

/* TRUE when no work item is queued or running. */
BOOLEAN ExpAreWorkQueuesIdle(VOID);

/* Waits (PASSIVE_LEVEL, a kernel wait) until no work item is queued or
   running. Work routines that queue more work are waited for too. */
VOID ExpWaitForWorkQueuesIdle(VOID);

/* Executive work items (ExQueueWorkItem) queued by Driver (NULL = any) that
   are queued or running. I/O work items are not counted here. */
ULONG ExpCountQueuedWorkItems(PDRIVER_OBJECT Driver);

/* I/O work items of Driver (NULL = any) whose routine a worker is running. */
ULONG ExpCountRunningIoWorkItems(PDRIVER_OBJECT Driver);

/* Waits (PASSIVE_LEVEL) until no worker runs an I/O work item of Driver
   that can still make progress: each such routine has returned or is
   blocked in a wait. */
VOID ExpSettleRunningIoWorkItems(PDRIVER_OBJECT Driver);

/* ---- I/O work items (io/workitem.c) ---- */

VOID IopInitializeWorkItems(VOID);

/* The executive routine every I/O work item runs through. */
VOID NTAPI IopProcessWorkItem(PVOID Parameter);

/* I/O work items of Driver's devices (or Driver itself; NULL = any) that
   are queued or running. For the unload checks: each one holds a reference
   on its device or driver object until its routine has returned. */
ULONG IopCountQueuedWorkItems(PDRIVER_OBJECT Driver);

/* ---- IoCreateSystemThread (io/systhread.c) ---- */

/* Starts / stops the thread that drops IoCreateSystemThread's reference
   on the I/O object once the new thread has ended. */
NTSTATUS IopInitializeSystemThreads(VOID);
VOID IopShutdownSystemThreads(VOID);

/* Threads made by IoCreateSystemThread that have not ended yet (NULL = any). */
ULONG IopCountSystemThreads(PDRIVER_OBJECT Driver);

#endif /* IRPSIM_EXP_WORKER_H */
