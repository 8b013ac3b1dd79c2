/*
 * irpsim — simulated processors.
 *
 * IRPSIM_CONFIG.ProcessorCount processors (default 2), all in group 0.
 * Each has a host "processor thread" that runs the processor's DPC queue at
 * DISPATCH_LEVEL, one DPC at a time, in queue order. Every other simulated
 * thread is given a processor round robin when it is created; that is what
 * KeGetCurrentProcessorNumber reports and where its untargeted DPCs queue.
 *
 * Simplification: a thread that raises to DISPATCH_LEVEL does not stop its
 * processor's DPC thread from running DPCs at the same time (there is no
 * preemption to disable). Spin locks still give the mutual exclusion that
 * correct drivers rely on; code that relies on "DISPATCH_LEVEL on this
 * processor keeps my DPC out" without a lock is racy on a real multiprocessor
 * too.
 *
 * A DPC routine that bug checks while a test has a catch frame armed on
 * another thread ends only that DPC: the processor thread resets and goes on
 * with the rest of its queue.
 */
#include "ki.h"

KI_PROCESSOR KiProcessorBlock[MAXIMUM_PROCESSORS];
ULONG KeNumberProcessors_ = 1;

/* Dispatcher lock. */
static ULONG KipNextProcessor;

ULONG KiNextProcessor(VOID)
{
    ULONG Count = PAL_ATOMIC_LOAD(&KeNumberProcessors_, PAL_ORDER_RELAXED);
    ULONG Number = KipNextProcessor++ % (Count != 0 ? Count : 1);
    return Number;
}

static void KipProcessorMain(void *Context)
{
    PKI_PROCESSOR Prcb = (PKI_PROCESSOR)Context;
    PKTHREAD Thread = Prcb->Thread;

    /* The creator publishes HostThread under the dispatcher lock. */
    KiAcquireDispatcherLock();
    KiReleaseDispatcherLock();
    KiBindCurrentThread(Thread);
    Thread->Irql = DISPATCH_LEVEL;
    for (;;) {
        if (setjmp(Thread->ExitFrame) != 0)
            KiDpcCrashed(Prcb);
        Thread->ExitFrameArmed = TRUE;
        if (!KiRunDpcQueue(Prcb))
            break;
    }
    Thread->ExitFrameArmed = FALSE;
    KiUnbindCurrentThread();
}

NTSTATUS KiStartProcessors(ULONG Count)
{
    ULONG Limit = sizeof(KAFFINITY) * 8 < MAXIMUM_PROCESSORS ? (ULONG)(sizeof(KAFFINITY) * 8) : MAXIMUM_PROCESSORS;
    if (Count == 0)
        Count = 2;
    if (Count > Limit)
        Count = Limit;
    PAL_ATOMIC_STORE(&KeNumberProcessors_, Count, PAL_ORDER_RELAXED);

    KiAcquireDispatcherLock();
    KipNextProcessor = 0;
    for (ULONG i = 0; i < Count; i++) {
        PKI_PROCESSOR Prcb = &KiProcessorBlock[i];
        if (!Prcb->ConditionReady) {
            PalCondInitialize(&Prcb->Condition); /* lives for the whole process */
            Prcb->ConditionReady = TRUE;
        }
        Prcb->Number = i;
        InitializeListHead(&Prcb->DpcListHead);
        Prcb->DpcQueueDepth = 0;
        Prcb->DpcRunning = FALSE;
        Prcb->Stop = FALSE;
        Prcb->Thread = NULL;
        Prcb->HostThread = NULL;
    }
    /* Threads made before the machine started keep a valid processor. */
    for (PLIST_ENTRY Entry = KiThreadListHead.Flink; Entry != &KiThreadListHead; Entry = Entry->Flink) {
        PKTHREAD Thread = CONTAINING_RECORD(Entry, KTHREAD, ThreadListEntry);
        Thread->Processor = (UCHAR)(Thread->Processor % Count);
    }
    KiReleaseDispatcherLock();

    for (ULONG i = 0; i < Count; i++) {
        PKI_PROCESSOR Prcb = &KiProcessorBlock[i];
        PKTHREAD Thread = KiCreateThreadObjectEx(TRUE, TRUE, i);
        BOOLEAN Started;
        if (Thread == NULL)
            return STATUS_INSUFFICIENT_RESOURCES;
        KiAcquireDispatcherLock();
        Prcb->Thread = Thread;
        Started = KiSchedCreateHostThread(KipProcessorMain, Prcb, &Prcb->HostThread);
        Thread->HostThread = Started ? Prcb->HostThread : NULL;
        KiReleaseDispatcherLock();
        if (!Started)
            return STATUS_INSUFFICIENT_RESOURCES;
    }
    return STATUS_SUCCESS;
}

VOID KiStopProcessors(VOID)
{
    for (ULONG i = 0; i < MAXIMUM_PROCESSORS; i++) {
        PKI_PROCESSOR Prcb = &KiProcessorBlock[i];
        PPAL_THREAD Host;
        KiAcquireDispatcherLock();
        Host = Prcb->HostThread;
        Prcb->HostThread = NULL;
        Prcb->Stop = TRUE;
        if (Prcb->ConditionReady)
            KiSchedWake(&Prcb->Condition);
        KiReleaseDispatcherLock();
        if (Host != NULL)
            KiSchedJoinHostThread(Host);
    }
    /* DPCs still queued are dropped: no driver is left to run them. */
    KiAcquireDispatcherLock();
    for (ULONG i = 0; i < MAXIMUM_PROCESSORS; i++) {
        PKI_PROCESSOR Prcb = &KiProcessorBlock[i];
        if (!Prcb->ConditionReady)
            continue;
        while (!IsListEmpty(&Prcb->DpcListHead)) {
            PKDPC Dpc = CONTAINING_RECORD(RemoveHeadList(&Prcb->DpcListHead), KDPC, DpcListEntry);
            Dpc->DpcData = NULL;
            KiSchedDpcActivityLocked(-1);
        }
        Prcb->DpcQueueDepth = 0;
    }
    KiReleaseDispatcherLock();
}

/* ---- processor queries ---- */

ULONG NTAPI KeGetCurrentProcessorNumber(VOID)
{
    return KiGetCurrentThread()->Processor;
}

ULONG NTAPI KeGetCurrentProcessorNumberEx(PPROCESSOR_NUMBER ProcNumber)
{
    ULONG Number = KiGetCurrentThread()->Processor;
    if (ProcNumber != NULL) {
        ProcNumber->Group = 0;
        ProcNumber->Number = (UCHAR)Number;
        ProcNumber->Reserved = 0;
    }
    return Number;
}

static KAFFINITY KipActiveMask(VOID)
{
    ULONG Count = PAL_ATOMIC_LOAD(&KeNumberProcessors_, PAL_ORDER_RELAXED);
    if (Count >= sizeof(KAFFINITY) * 8)
        return ~(KAFFINITY)0;
    return ((KAFFINITY)1 << Count) - 1;
}

ULONG NTAPI KeQueryActiveProcessorCount(PKAFFINITY ActiveProcessors)
{
    if (ActiveProcessors != NULL)
        *ActiveProcessors = KipActiveMask();
    return PAL_ATOMIC_LOAD(&KeNumberProcessors_, PAL_ORDER_RELAXED);
}

ULONG NTAPI KeQueryActiveProcessorCountEx(USHORT GroupNumber)
{
    if (GroupNumber != 0 && GroupNumber != ALL_PROCESSOR_GROUPS)
        return 0;
    return PAL_ATOMIC_LOAD(&KeNumberProcessors_, PAL_ORDER_RELAXED);
}

KAFFINITY NTAPI KeQueryActiveProcessors(VOID)
{
    return KipActiveMask();
}

USHORT NTAPI KeQueryActiveGroupCount(VOID)
{
    return 1;
}

ULONG NTAPI KeQueryMaximumProcessorCount(VOID)
{
    return PAL_ATOMIC_LOAD(&KeNumberProcessors_, PAL_ORDER_RELAXED);
}
