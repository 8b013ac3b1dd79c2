/*
 * irpsim — asynchronous procedure calls (SEMANTICS 3.6, 9.5).
 *
 * Three kinds, as in NT:
 *   - special kernel APCs (NormalRoutine NULL), e.g. the I/O manager's
 *     stage-2 completion: run in the target thread at APC_LEVEL whenever it
 *     is at PASSIVE_LEVEL outside a guarded region;
 *   - normal kernel APCs: KernelRoutine at APC_LEVEL, then NormalRoutine at
 *     PASSIVE_LEVEL, additionally held off inside a critical region and
 *     while another normal kernel APC is running;
 *   - user APCs (ApcMode UserMode): only in an alertable UserMode wait, which
 *     then returns STATUS_USER_APC after running them (the Win32 facade's
 *     ReadFileEx / QueueUserAPC).
 * Special APCs queue ahead of normal ones. A host thread cannot be
 * interrupted, so a kernel APC for a running thread runs at that thread's
 * next delivery point: its next wait (the wait is interrupted to run it and
 * then resumes), lowering IRQL below APC_LEVEL, leaving a critical or
 * guarded region — or at once, when a thread queues it to itself while it
 * could receive it.
 *
 * At thread exit, APCs still queued are run down: the RundownRoutine is
 * called if there is one; a user APC without one is freed with ExFreePool,
 * as NT does; a kernel APC without one is dropped.
 */
#include "ki.h"
#include "../trace/tracep.h"

VOID KeInitializeApc(PKAPC Apc, PKTHREAD Thread, KAPC_ENVIRONMENT Environment, PKKERNEL_ROUTINE KernelRoutine,
                     PKRUNDOWN_ROUTINE RundownRoutine, PKNORMAL_ROUTINE NormalRoutine, KPROCESSOR_MODE ApcMode,
                     PVOID NormalContext)
{
    Apc->Type = ApcObject;
    Apc->Size = (UCHAR)sizeof(KAPC);
    Apc->Thread = Thread;
    Apc->ApcStateIndex = Environment == CurrentApcEnvironment ? 0 : (CCHAR)Environment;
    Apc->KernelRoutine = KernelRoutine;
    Apc->RundownRoutine = RundownRoutine;
    Apc->NormalRoutine = NormalRoutine;
    if (NormalRoutine != NULL) {
        Apc->ApcMode = ApcMode;
        Apc->NormalContext = NormalContext;
    } else {
        /* A special kernel APC. */
        Apc->ApcMode = KernelMode;
        Apc->NormalContext = NULL;
    }
    Apc->SystemArgument1 = NULL;
    Apc->SystemArgument2 = NULL;
    Apc->ApcListEntry.Flink = NULL;
    Apc->ApcListEntry.Blink = NULL;
    Apc->Inserted = FALSE;
}

/* ApcLock held. */
static VOID KipUpdateApcPending(PKTHREAD Thread)
{
    PAL_ATOMIC_STORE(&Thread->KernelApcPending, IsListEmpty(&Thread->KernelApcListHead) ? 0 : 1, PAL_ORDER_RELEASE);
    PAL_ATOMIC_STORE(&Thread->UserApcPending, IsListEmpty(&Thread->UserApcListHead) ? 0 : 1, PAL_ORDER_RELEASE);
}

/* The kernel APC that may run now, or NULL (ApcLock held). */
static PKAPC KipNextKernelApc(PKTHREAD Thread)
{
    PKAPC Apc;
    if (IsListEmpty(&Thread->KernelApcListHead) || Thread->SpecialApcDisable != 0)
        return NULL;
    Apc = CONTAINING_RECORD(Thread->KernelApcListHead.Flink, KAPC, ApcListEntry);
    if (Apc->NormalRoutine == NULL)
        return Apc;
    if (Thread->KernelApcDisable != 0 || Thread->KernelApcInProgress)
        return NULL;
    return Apc;
}

BOOLEAN KiKernelApcDeliverable(PKTHREAD Thread, KIRQL WaitIrql)
{
    BOOLEAN Deliverable;
    if (WaitIrql != PASSIVE_LEVEL || !PAL_ATOMIC_LOAD(&Thread->KernelApcPending, PAL_ORDER_ACQUIRE))
        return FALSE;
    PalMutexLock(&Thread->ApcLock);
    Deliverable = KipNextKernelApc(Thread) != NULL;
    PalMutexUnlock(&Thread->ApcLock);
    return Deliverable;
}

BOOLEAN KeInsertQueueApc(PKAPC Apc, PVOID SystemArgument1, PVOID SystemArgument2, KPRIORITY Increment)
{
    PKTHREAD Thread = Apc->Thread;
    BOOLEAN User = Apc->ApcMode == UserMode && Apc->NormalRoutine != NULL;

    UNREFERENCED_PARAMETER(Increment);
    PalMutexLock(&Thread->ApcLock);
    if (Apc->Inserted || !Thread->ApcQueueable) {
        PalMutexUnlock(&Thread->ApcLock);
        return FALSE;
    }
    Apc->SystemArgument1 = SystemArgument1;
    Apc->SystemArgument2 = SystemArgument2;
    Apc->Inserted = TRUE;
    if (User) {
        InsertTailList(&Thread->UserApcListHead, &Apc->ApcListEntry);
    } else if (Apc->NormalRoutine == NULL) {
        /* Behind the special APCs already queued, ahead of the normal ones:
           after the last special one, looked for from the tail (normal
           kernel APCs are few, special ones may be a storm of completions). */
        PLIST_ENTRY Entry = Thread->KernelApcListHead.Blink;
        while (Entry != &Thread->KernelApcListHead &&
               CONTAINING_RECORD(Entry, KAPC, ApcListEntry)->NormalRoutine != NULL)
            Entry = Entry->Blink;
        InsertHeadList(Entry, &Apc->ApcListEntry);
    } else {
        InsertTailList(&Thread->KernelApcListHead, &Apc->ApcListEntry);
    }
    KipUpdateApcPending(Thread);
    PalMutexUnlock(&Thread->ApcLock);

    if (Thread == KiGetCurrentThreadIfAny()) {
        if (!User && Thread->Irql == PASSIVE_LEVEL)
            KiDeliverApcs(Thread, KernelMode);
        return TRUE;
    }
    /* Interrupt the target's wait so it runs the APC (a user APC only
       interrupts an alertable UserMode wait). */
    KiAcquireDispatcherLock();
    if (Thread->Waiting && (!User || (Thread->Alertable && Thread->WaitMode == UserMode)))
        KiUnwaitThreadLocked(Thread, STATUS_KERNEL_APC);
    KiReleaseDispatcherLock();
    return TRUE;
}

VOID KiDeliverApcs(PKTHREAD Thread, KPROCESSOR_MODE DeliveryMode)
{
    if (Thread != KiGetCurrentThreadIfAny() || Thread->Irql != PASSIVE_LEVEL)
        return;
    for (;;) {
        PKAPC Apc;
        PKKERNEL_ROUTINE KernelRoutine;
        PKNORMAL_ROUTINE NormalRoutine;
        PVOID NormalContext, Argument1, Argument2;
        BOOLEAN Special;
        BOOLEAN User;

        PalMutexLock(&Thread->ApcLock);
        Apc = KipNextKernelApc(Thread);
        if (Apc == NULL && DeliveryMode == UserMode && IsListEmpty(&Thread->KernelApcListHead) &&
            !IsListEmpty(&Thread->UserApcListHead))
            Apc = CONTAINING_RECORD(Thread->UserApcListHead.Flink, KAPC, ApcListEntry);
        if (Apc == NULL) {
            PalMutexUnlock(&Thread->ApcLock);
            return;
        }
        RemoveEntryList(&Apc->ApcListEntry);
        Apc->Inserted = FALSE;
        KipUpdateApcPending(Thread);
        Special = Apc->NormalRoutine == NULL;
        User = !Special && Apc->ApcMode == UserMode;
        KernelRoutine = Apc->KernelRoutine;
        NormalRoutine = Apc->NormalRoutine;
        NormalContext = Apc->NormalContext;
        Argument1 = Apc->SystemArgument1;
        Argument2 = Apc->SystemArgument2;
        PalMutexUnlock(&Thread->ApcLock);

        /* The kernel routine may free the APC (stage 2 frees the IRP). */
        Thread->Irql = APC_LEVEL;
        TRACE_EVENT(IrpSimTraceApcRun, Apc, KernelRoutine,
                    Special ? IRPSIM_TRACE_APC_SPECIAL
                    : User  ? IRPSIM_TRACE_APC_USER
                            : IRPSIM_TRACE_APC_KERNEL,
                    NormalRoutine);
        if (KernelRoutine != NULL)
            KernelRoutine(Apc, &NormalRoutine, &NormalContext, &Argument1, &Argument2);
        Thread->Irql = PASSIVE_LEVEL;
        if (!Special && NormalRoutine != NULL) {
            if (User) {
                NormalRoutine(NormalContext, Argument1, Argument2);
            } else {
                /* One normal kernel APC at a time. */
                Thread->KernelApcInProgress = TRUE;
                NormalRoutine(NormalContext, Argument1, Argument2);
                Thread->KernelApcInProgress = FALSE;
            }
        }
    }
}

VOID KiLowerIrqlHook(PKTHREAD Thread, KIRQL OldIrql, KIRQL NewIrql)
{
    if (OldIrql >= APC_LEVEL && NewIrql < APC_LEVEL && PAL_ATOMIC_LOAD(&Thread->KernelApcPending, PAL_ORDER_ACQUIRE))
        KiDeliverApcs(Thread, KernelMode);
}

VOID KiRundownApcs(PKTHREAD Thread)
{
    LIST_ENTRY Pending;
    InitializeListHead(&Pending);
    PalMutexLock(&Thread->ApcLock);
    Thread->ApcQueueable = FALSE;
    while (!IsListEmpty(&Thread->KernelApcListHead))
        InsertTailList(&Pending, RemoveHeadList(&Thread->KernelApcListHead));
    while (!IsListEmpty(&Thread->UserApcListHead))
        InsertTailList(&Pending, RemoveHeadList(&Thread->UserApcListHead));
    KipUpdateApcPending(Thread);
    PalMutexUnlock(&Thread->ApcLock);

    while (!IsListEmpty(&Pending)) {
        PKAPC Apc = CONTAINING_RECORD(RemoveHeadList(&Pending), KAPC, ApcListEntry);
        Apc->Inserted = FALSE;
        if (Apc->RundownRoutine != NULL)
            Apc->RundownRoutine(Apc);
        else if (Apc->ApcMode == UserMode)
            ExFreePool(Apc);
    }
}
