/*
 * irpsim — IoCreateSystemThread: PsCreateSystemThread plus a reference on
 * the device or driver object the thread works for, held until the thread
 * has ended, so the driver cannot be unloaded under a running thread.
 *
 * How the reference is released: the start routine is not wrapped, because
 * a thread that ends with PsTerminateSystemThread (what the documentation
 * tells drivers to do) never returns to a wrapper. Instead IoCreateSystemThread
 * references the new thread object and hands it to a reaper: one system
 * thread that waits (KeWaitForMultipleObjects, WaitAny) on the thread
 * objects, which are signalled when a thread ends whichever way it ends,
 * and then drops the I/O object and thread references. The reaper waits on
 * at most MAXIMUM_WAIT_OBJECTS - 1 threads at a time; the end of any
 * further ones is noticed once one of those has ended.
 */
#include "../ke/ki.h"
#include "../ex/exp_worker.h"
#include "../verifier/vf.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct _IOP_SYSTEM_THREAD {
    LIST_ENTRY Link;
    PETHREAD Thread; /* referenced */
    PVOID IoObject;  /* referenced */
    PDRIVER_OBJECT Driver;
} IOP_SYSTEM_THREAD, *PIOP_SYSTEM_THREAD;

static KSPIN_LOCK IopSystemThreadLock;
static LIST_ENTRY IopSystemThreads;
static KEVENT IopReaperWake; /* synchronization: the list changed or shutdown */
static BOOLEAN IopReaperStop;
static PETHREAD IopReaperThread;
static KWAIT_BLOCK IopReaperWaitBlocks[MAXIMUM_WAIT_OBJECTS];

static PDRIVER_OBJECT IopDriverOfObject(PVOID IoObject)
{
    if (IoObject == NULL)
        return NULL;
    if (((PDEVICE_OBJECT)IoObject)->Type == IO_TYPE_DEVICE)
        return ((PDEVICE_OBJECT)IoObject)->DriverObject;
    if (((PDEVICE_OBJECT)IoObject)->Type == IO_TYPE_DRIVER)
        return (PDRIVER_OBJECT)IoObject;
    return NULL;
}

/* A thread object is signalled once the thread has ended. */
static BOOLEAN IopThreadEnded(PETHREAD Thread)
{
    return PAL_ATOMIC_LOAD(&KiThreadFromEThread(Thread)->Header.SignalState, PAL_ORDER_ACQUIRE) != 0;
}

static VOID IopReleaseSystemThread(PIOP_SYSTEM_THREAD Record)
{
    ObDereferenceObject(Record->IoObject);
    ObDereferenceObject(Record->Thread);
    free(Record);
}

static VOID NTAPI IopReaperThreadRoutine(PVOID Context)
{
    PVOID Objects[MAXIMUM_WAIT_OBJECTS];
    UNREFERENCED_PARAMETER(Context);

    for (;;) {
        ULONG Count = 1;
        NTSTATUS Status;
        KIRQL OldIrql;

        Objects[0] = &IopReaperWake;
        KeAcquireSpinLock(&IopSystemThreadLock, &OldIrql);
        if (IopReaperStop) {
            KeReleaseSpinLock(&IopSystemThreadLock, OldIrql);
            break;
        }
        for (PLIST_ENTRY Link = IopSystemThreads.Flink; Link != &IopSystemThreads && Count < MAXIMUM_WAIT_OBJECTS;
             Link = Link->Flink)
            Objects[Count++] = CONTAINING_RECORD(Link, IOP_SYSTEM_THREAD, Link)->Thread;
        KeReleaseSpinLock(&IopSystemThreadLock, OldIrql);

        Status =
            KeWaitForMultipleObjects(Count, Objects, WaitAny, Executive, KernelMode, FALSE, NULL, IopReaperWaitBlocks);
        if (Status > STATUS_WAIT_0 && Status < (NTSTATUS)(STATUS_WAIT_0 + Count)) {
            PVOID Ended = Objects[Status - STATUS_WAIT_0];
            PIOP_SYSTEM_THREAD Found = NULL;
            KeAcquireSpinLock(&IopSystemThreadLock, &OldIrql);
            for (PLIST_ENTRY Link = IopSystemThreads.Flink; Link != &IopSystemThreads; Link = Link->Flink) {
                PIOP_SYSTEM_THREAD Record = CONTAINING_RECORD(Link, IOP_SYSTEM_THREAD, Link);
                if ((PVOID)Record->Thread == Ended) {
                    RemoveEntryList(&Record->Link);
                    Found = Record;
                    break;
                }
            }
            KeReleaseSpinLock(&IopSystemThreadLock, OldIrql);
            if (Found != NULL)
                IopReleaseSystemThread(Found);
        }
    }
    (void)PsTerminateSystemThread(STATUS_SUCCESS);
}

NTSTATUS IopInitializeSystemThreads(VOID)
{
    OBJECT_ATTRIBUTES Attributes;
    HANDLE Handle;
    NTSTATUS Status;

    KeInitializeSpinLock(&IopSystemThreadLock);
    InitializeListHead(&IopSystemThreads);
    KeInitializeEvent(&IopReaperWake, SynchronizationEvent, FALSE);
    IopReaperStop = FALSE;
    IopReaperThread = NULL;

    InitializeObjectAttributes(&Attributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    Status = PsCreateSystemThread(&Handle, THREAD_ALL_ACCESS, &Attributes, NULL, NULL, IopReaperThreadRoutine, NULL);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = ObReferenceObjectByHandle(Handle, SYNCHRONIZE, *PsThreadType, KernelMode, (PVOID *)&IopReaperThread, NULL);
    (void)ZwClose(Handle);
    return Status;
}

VOID IopShutdownSystemThreads(VOID)
{
    KIRQL OldIrql;

    KeAcquireSpinLock(&IopSystemThreadLock, &OldIrql);
    IopReaperStop = TRUE;
    KeReleaseSpinLock(&IopSystemThreadLock, OldIrql);
    (void)KeSetEvent(&IopReaperWake, 0, FALSE);
    if (IopReaperThread != NULL) {
        (void)KeWaitForSingleObject(IopReaperThread, Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(IopReaperThread);
        IopReaperThread = NULL;
    }

    /* Threads still running now were never waited for by their driver. */
    while (!IsListEmpty(&IopSystemThreads)) {
        PIOP_SYSTEM_THREAD Record = CONTAINING_RECORD(RemoveHeadList(&IopSystemThreads), IOP_SYSTEM_THREAD, Link);
        if (!IopThreadEnded(Record->Thread))
            fprintf(stderr,
                    "irpsim: a thread made by IoCreateSystemThread for object %p (driver %p) was still running at "
                    "shutdown; its driver should wait for it to end before unloading.\n",
                    Record->IoObject, (void *)Record->Driver);
        IopReleaseSystemThread(Record);
    }
}

ULONG IopCountSystemThreads(PDRIVER_OBJECT Driver)
{
    ULONG Count = 0;
    KIRQL OldIrql;
    KeAcquireSpinLock(&IopSystemThreadLock, &OldIrql);
    for (PLIST_ENTRY Link = IopSystemThreads.Flink; Link != &IopSystemThreads; Link = Link->Flink) {
        PIOP_SYSTEM_THREAD Record = CONTAINING_RECORD(Link, IOP_SYSTEM_THREAD, Link);
        if ((Driver == NULL || Record->Driver == Driver) && !IopThreadEnded(Record->Thread))
            Count++;
    }
    KeReleaseSpinLock(&IopSystemThreadLock, OldIrql);
    return Count;
}

NTSTATUS NTAPI IoCreateSystemThread(PVOID IoObject, PHANDLE ThreadHandle, ULONG DesiredAccess,
                                    POBJECT_ATTRIBUTES ObjectAttributes, HANDLE ProcessHandle, PCLIENT_ID ClientId,
                                    PKSTART_ROUTINE StartRoutine, PVOID StartContext)
{
    PDRIVER_OBJECT Driver = IopDriverOfObject(IoObject);
    PIOP_SYSTEM_THREAD Record;
    PKTHREAD Current;
    PDRIVER_OBJECT Saved;
    NTSTATUS Status;
    KIRQL OldIrql;

    if (Driver == NULL)
        return STATUS_INVALID_PARAMETER;
    Record = (PIOP_SYSTEM_THREAD)calloc(1, sizeof(*Record));
    if (Record == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;

    /* Taken before the thread exists, so it covers the thread's whole life. */
    ObReferenceObject(IoObject);
    Current = KeGetCurrentThread();
    Saved = KiEnterDriver(Current, Driver);
    Status = PsCreateSystemThread(ThreadHandle, DesiredAccess, ObjectAttributes, ProcessHandle, ClientId, StartRoutine,
                                  StartContext);
    KiLeaveDriver(Current, Saved);
    if (!NT_SUCCESS(Status)) {
        ObDereferenceObject(IoObject);
        free(Record);
        return Status;
    }
    Status = ObReferenceObjectByHandle(*ThreadHandle, SYNCHRONIZE, *PsThreadType, KernelMode, (PVOID *)&Record->Thread,
                                       NULL);
    if (!NT_SUCCESS(Status)) {
        /* Cannot happen for a handle just made; keep the object referenced
           rather than let it go while the thread may still use it. */
        free(Record);
        return STATUS_SUCCESS;
    }
    Record->IoObject = IoObject;
    Record->Driver = Driver;
    KeAcquireSpinLock(&IopSystemThreadLock, &OldIrql);
    InsertTailList(&IopSystemThreads, &Record->Link);
    KeReleaseSpinLock(&IopSystemThreadLock, OldIrql);
    (void)KeSetEvent(&IopReaperWake, 0, FALSE);
    return STATUS_SUCCESS;
}
