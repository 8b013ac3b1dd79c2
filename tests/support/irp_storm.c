/* The IRP storm harness (irp_storm.h). */
#include "irp_storm.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

typedef struct _IRP_STORM IRP_STORM;

typedef struct _IRP_STORM_SLOT {
    IRP_STORM *Storm;
    PIRP Irp;
    volatile LONG References;
    volatile LONG Completions;
    volatile LONG Status;
} IRP_STORM_SLOT;

struct _IRP_STORM {
    const IRP_STORM_CONFIG *Config;
    IRP_STORM_SLOT *Slots;
    ULONG Irps;
    volatile LONG Completed;
    volatile LONG CancelHits;
};

typedef struct _IRP_STORM_THREAD {
    IRP_STORM *Storm;
    ULONG Index;
} IRP_STORM_THREAD;

VOID IrpStormPause(VOID)
{
    LARGE_INTEGER Interval;
    Interval.QuadPart = -10 * 1000; /* 1 ms */
    KeDelayExecutionThread(KernelMode, FALSE, &Interval);
}

static BOOLEAN StormDone(IRP_STORM *Storm)
{
    return (BOOLEAN)((ULONG)InterlockedCompareExchange(&Storm->Completed, 0, 0) >= Storm->Irps);
}

static VOID ReleaseSlot(IRP_STORM_SLOT *Slot)
{
    if (InterlockedDecrement(&Slot->References) == 0)
        IoFreeIrp(Slot->Irp);
}

/* Takes a reference unless the IRP is already gone. */
static BOOLEAN ReferenceSlot(IRP_STORM_SLOT *Slot)
{
    LONG Refs = InterlockedCompareExchange(&Slot->References, 0, 0);
    while (Refs > 0) {
        LONG Seen = InterlockedCompareExchange(&Slot->References, Refs + 1, Refs);
        if (Seen == Refs)
            return TRUE;
        Refs = Seen;
    }
    return FALSE;
}

static NTSTATUS NTAPI StormCompletion(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    IRP_STORM_SLOT *Slot = (IRP_STORM_SLOT *)Context;
    IRP_STORM *Storm = Slot->Storm;
    UNREFERENCED_PARAMETER(DeviceObject);
    InterlockedExchange(&Slot->Status, Irp->IoStatus.Status);
    InterlockedIncrement(&Slot->Completions);
    ReleaseSlot(Slot);
    InterlockedIncrement(&Storm->Completed);
    return STATUS_MORE_PROCESSING_REQUIRED;
}

static VOID NTAPI SenderThread(PVOID Context)
{
    IRP_STORM_THREAD *Me = (IRP_STORM_THREAD *)Context;
    const IRP_STORM_CONFIG *Config = Me->Storm->Config;
    for (ULONG k = 0; k < Config->PerSender; k++) {
        IRP_STORM_SLOT *Slot = &Me->Storm->Slots[Me->Index * Config->PerSender + k];
        PIRP Irp = IoAllocateIrp(Config->Device->StackSize, FALSE);
        if (Irp == NULL) {
            /* Counted as done so the storm ends; IrpStormRun's checks fail. */
            Slot->Status = STATUS_INSUFFICIENT_RESOURCES;
            InterlockedIncrement(&Me->Storm->Completed);
            continue;
        }
        Config->Prepare(IoGetNextIrpStackLocation(Irp));
        IoSetCompletionRoutine(Irp, StormCompletion, Slot, TRUE, TRUE, TRUE);
        Slot->Irp = Irp;
        /* Published: cancellers may now cancel it, even before it is sent. */
        InterlockedExchange(&Slot->References, 1);
        (void)IoCallDriver(Config->Device, Irp);
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}

static VOID NTAPI CancellerThread(PVOID Context)
{
    IRP_STORM_THREAD *Me = (IRP_STORM_THREAD *)Context;
    IRP_STORM *Storm = Me->Storm;
    ULONG Seed = Storm->Config->Seed * (Me->Index + 1);
    while (!StormDone(Storm)) {
        for (ULONG n = 0; n < Storm->Irps; n++) {
            ULONG Index;
            Seed = Seed * 1664525u + 1013904223u;
            Index = (Seed >> 8) % Storm->Irps;
            if ((Index & 1) != 0 || !ReferenceSlot(&Storm->Slots[Index]))
                continue; /* odd IRPs are never cancelled */
            if (IoCancelIrp(Storm->Slots[Index].Irp))
                InterlockedIncrement(&Storm->CancelHits);
            ReleaseSlot(&Storm->Slots[Index]);
        }
        IrpStormPause();
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}

static VOID NTAPI WorkerThread(PVOID Context)
{
    IRP_STORM_THREAD *Me = (IRP_STORM_THREAD *)Context;
    while (!StormDone(Me->Storm)) {
        if (!Me->Storm->Config->Work())
            IrpStormPause();
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}

static VOID StartThread(PKSTART_ROUTINE Routine, IRP_STORM_THREAD *Params, PVOID *Thread)
{
    HANDLE Handle;
    assert_int_equal(PsCreateSystemThread(&Handle, THREAD_ALL_ACCESS, NULL, NULL, NULL, Routine, Params),
                     STATUS_SUCCESS);
    assert_int_equal(ObReferenceObjectByHandle(Handle, SYNCHRONIZE, *PsThreadType, KernelMode, Thread, NULL),
                     STATUS_SUCCESS);
    ZwClose(Handle);
}

/* Starts Count threads running Routine; *Next is the first free entry. */
static VOID StartThreads(IRP_STORM *Storm, PKSTART_ROUTINE Routine, ULONG Count, IRP_STORM_THREAD *Params,
                         PVOID *Threads, ULONG *Next)
{
    for (ULONG i = 0; i < Count; i++, (*Next)++) {
        Params[*Next].Storm = Storm;
        Params[*Next].Index = i;
        StartThread(Routine, &Params[*Next], &Threads[*Next]);
    }
}

VOID IrpStormRun(const IRP_STORM_CONFIG *Config, IRP_STORM_RESULT *Result)
{
    ULONG Threads = Config->Senders + Config->Cancellers + Config->Workers;
    IRP_STORM Storm;
    IRP_STORM_THREAD *Params = (IRP_STORM_THREAD *)calloc(Threads, sizeof(*Params));
    PVOID *Objects = (PVOID *)calloc(Threads, sizeof(*Objects));
    ULONG Started = 0;

    assert_non_null(Params);
    assert_non_null(Objects);
    assert_true(Config->Workers == 0 || Config->Work != NULL);
    memset(&Storm, 0, sizeof(Storm));
    memset(Result, 0, sizeof(*Result));
    Storm.Config = Config;
    Storm.Irps = Config->Senders * Config->PerSender;
    Storm.Slots = (IRP_STORM_SLOT *)calloc(Storm.Irps, sizeof(IRP_STORM_SLOT));
    assert_non_null(Storm.Slots);
    for (ULONG i = 0; i < Storm.Irps; i++)
        Storm.Slots[i].Storm = &Storm;

    /* Cancellers and workers first, so they are busy when IRPs arrive. */
    StartThreads(&Storm, CancellerThread, Config->Cancellers, Params, Objects, &Started);
    StartThreads(&Storm, WorkerThread, Config->Workers, Params, Objects, &Started);
    StartThreads(&Storm, SenderThread, Config->Senders, Params, Objects, &Started);
    for (ULONG t = 0; t < Started; t++) {
        assert_int_equal(KeWaitForSingleObject(Objects[t], Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
        ObDereferenceObject(Objects[t]);
    }

    Result->Irps = Storm.Irps;
    Result->CancelHits = Storm.CancelHits;
    for (ULONG i = 0; i < Storm.Irps; i++) {
        IRP_STORM_SLOT *Slot = &Storm.Slots[i];
        assert_int_equal(Slot->Completions, 1);
        assert_int_equal(Slot->References, 0); /* freed */
        if (Slot->Status == STATUS_CANCELLED)
            Result->Cancelled++;
        else
            assert_int_equal(Slot->Status, STATUS_SUCCESS);
        if ((i & 1) != 0)
            assert_int_equal(Slot->Status, STATUS_SUCCESS);
    }
    Result->Succeeded = (LONG)Storm.Irps - Result->Cancelled;
    free(Storm.Slots);
    free(Objects);
    free(Params);
}
