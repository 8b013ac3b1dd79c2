/*
 * irpsim — thread objects (KTHREAD / ETHREAD).
 *
 * Every host thread that calls into irpsim gets a thread object on first
 * use; threads irpsim starts (system threads, processor threads) get one
 * before they run. A thread object is an object-manager object of the
 * Thread type, so handles, ObReferenceObjectByHandle(..., *PsThreadType, ...)
 * and waits on it work; it is signalled when the thread ends. The thread
 * holds one reference on its own object until it ends.
 *
 * Thread ids are small multiples of 4 (the system process is 4, as on
 * Windows; threads start at 8). Each thread is given a simulated processor,
 * round robin.
 *
 * The calling host thread's object is found through thread-local storage
 * tagged with a generation number that IrpSimShutdown advances, so a host
 * thread that lives across IrpSimShutdown / IrpSimInitialize (every test's
 * main thread) gets a fresh object in the next run and never touches the
 * freed one. When a host thread that irpsim did not start exits, its
 * thread-exit callback runs thread exit (IoCancelThreadIo, APC rundown,
 * signal, dereference) as Windows does for a terminating thread.
 *
 * Threads irpsim starts run inside a thread base (KiStartThread) with an
 * exit frame: PsTerminateSystemThread, a crash caught on another thread and
 * IrpSimShutdown unwind to it and the base runs thread exit. Their host
 * threads are joined once finished (at the latest by IrpSimShutdown).
 */
#include "ki.h"
#include "except.h"
#include "../ob/obp.h"
#include "../verifier/vf.h"
#include "../trace/tracep.h"

#include <stdlib.h>

#define KIP_SYSTEM_PROCESS_ID 4
#define KIP_FIRST_THREAD_ID 8
#define KIP_DEFAULT_PRIORITY 8

LIST_ENTRY KiThreadListHead = {&KiThreadListHead, &KiThreadListHead};

/* The calling host thread's binding (read inline through ki.h). */
IRPSIM_THREAD_LOCAL KI_TLS KiTls;
volatile ULONG KiThreadGeneration = 1;

/* Dispatcher lock. */
static ULONG KipNextThreadId = KIP_FIRST_THREAD_ID;

/* The join record of a host thread irpsim started (dispatcher lock). */
typedef struct _KI_HOST_THREAD {
    LIST_ENTRY Link;
    PPAL_THREAD Host;
    PKTHREAD Thread; /* valid until Finished */
    volatile LONG Finished;
} KI_HOST_THREAD, *PKI_HOST_THREAD;
static LIST_ENTRY KipHostThreadList = {&KipHostThreadList, &KipHostThreadList};

static VOID KipDeleteThreadProcedure(PVOID Object)
{
    KiDeleteThreadObject((PKTHREAD)Object);
}

PKTHREAD KiCreateThreadObjectEx(BOOLEAN SystemThread, BOOLEAN ProcessorThread, ULONG Processor)
{
    PVOID Object;
    PKTHREAD Thread;
    POBP_DELETE_PROCEDURE Expected = NULL;

    /* Set once; later calls only read it (the object manager reads it too). */
    if (PAL_ATOMIC_LOAD(&ObpThreadObjectType.DeleteProcedure, PAL_ORDER_ACQUIRE) != KipDeleteThreadProcedure)
        PAL_ATOMIC_COMPARE_EXCHANGE(&ObpThreadObjectType.DeleteProcedure, &Expected, KipDeleteThreadProcedure, FALSE,
                                    PAL_ORDER_ACQ_REL, PAL_ORDER_ACQUIRE);
    if (!NT_SUCCESS(ObpCreateObject(&ObpThreadObjectType, sizeof(ETHREAD), NULL, FALSE, &Object)))
        return NULL;
    Thread = (PKTHREAD)Object; /* zeroed */
    KiInitializeDispatcherHeader(&Thread->Header, ThreadObject, (UCHAR)(sizeof(ETHREAD) / sizeof(LONG)), 0);
    Thread->Irql = PASSIVE_LEVEL;
    Thread->IsSystemThread = SystemThread;
    Thread->IsProcessorThread = ProcessorThread;
    Thread->Priority = KIP_DEFAULT_PRIORITY;
    Thread->PreviousMode = KernelMode;
    PalMutexInitialize(&Thread->ApcLock);
    InitializeListHead(&Thread->KernelApcListHead);
    InitializeListHead(&Thread->UserApcListHead);
    Thread->ApcQueueable = TRUE;
    PalCondInitialize(&Thread->WaitCondition);
    Thread->WaitStatus = STATUS_SUCCESS;
    PalMutexInitialize(&Thread->IrpListLock);
    InitializeListHead(&Thread->IrpList);
    InitializeListHead(&Thread->MutantListHead);
    /* The wait timer is a heap entry only; it is never waited on. */
    Thread->WaitTimer.Header.Type = KI_WAIT_TIMER_TYPE;
    InitializeListHead(&Thread->WaitTimer.Header.WaitListHead);
    Thread->Cid.UniqueProcess = (HANDLE)(ULONG_PTR)KIP_SYSTEM_PROCESS_ID;

    KiAcquireDispatcherLock();
    Thread->Cid.UniqueThread = (HANDLE)(ULONG_PTR)KipNextThreadId;
    KipNextThreadId += 4;
    Thread->Processor = (UCHAR)(ProcessorThread ? Processor : KiNextProcessor());
    InsertTailList(&KiThreadListHead, &Thread->ThreadListEntry);
    /* Runnable from birth, so the virtual clock does not jump while it starts. */
    KiSchedThreadReadyLocked(Thread);
    KiReleaseDispatcherLock();
    return Thread;
}

PKTHREAD KiCreateThreadObject(BOOLEAN SystemThread)
{
    return KiCreateThreadObjectEx(SystemThread, FALSE, 0);
}

VOID KiDeleteThreadObject(PKTHREAD Thread)
{
    KiAcquireDispatcherLock();
    RemoveEntryList(&Thread->ThreadListEntry);
    InitializeListHead(&Thread->ThreadListEntry);
    KiSchedThreadBlockedLocked(Thread); /* a thread that never ran is counted no longer */
    (void)KiRemoveTimerLocked(&Thread->WaitTimer);
    KiReleaseDispatcherLock();
    PalCondDelete(&Thread->WaitCondition);
    PalMutexDelete(&Thread->ApcLock);
    PalMutexDelete(&Thread->IrpListLock);
    free(Thread->HeldLocks);
    Thread->HeldLocks = NULL;
}

VOID KiBindCurrentThread(PKTHREAD Thread)
{
    KiTls.Thread = Thread;
    KiTls.Generation = PAL_ATOMIC_LOAD(&KiThreadGeneration, PAL_ORDER_ACQUIRE);
}

VOID KiUnbindCurrentThread(VOID)
{
    KiTls.Thread = NULL;
    KiTls.Generation = 0;
}

/* A host thread irpsim did not start is exiting. */
static void KipHostThreadExit(void *Value)
{
    PKTHREAD Thread = KiGetCurrentThreadIfAny();
    if (Thread == NULL || Thread != (PKTHREAD)Value)
        return; /* bound in an earlier run, whose objects are gone */
    PspExitThread(Thread, STATUS_SUCCESS);
}

PKTHREAD KiCreateCurrentThread(VOID)
{
    PKTHREAD Thread = KiCreateThreadObject(FALSE);
    if (Thread == NULL) {
        fprintf(stderr, "irpsim: out of host memory creating a thread object\n");
        PalAbort();
    }
    KiBindCurrentThread(Thread);
    PalSetThreadExitCallback(KipHostThreadExit, Thread);
    TRACE_EVENT(IrpSimTraceThreadStart, Thread, 0, 0, 0);
    return Thread;
}

/* ---- threads irpsim starts ---- */

static void KipThreadBase(void *Context)
{
    PKI_HOST_THREAD Record = (PKI_HOST_THREAD)Context;
    PKTHREAD Thread = Record->Thread;

    /* The creator publishes HostThread under the dispatcher lock. */
    KiAcquireDispatcherLock();
    KiReleaseDispatcherLock();
    KiBindCurrentThread(Thread);
    TRACE_EVENT(IrpSimTraceThreadStart, Thread, Thread->StartRoutine, 0, 0);
    if (setjmp(Thread->ExitFrame) == 0) {
        PDRIVER_OBJECT Saved;
        Thread->ExitFrameArmed = TRUE;
        Saved = KiEnterDriver(Thread, Thread->StartDriver);
        Thread->StartRoutine(Thread->StartContext);
        KiLeaveDriver(Thread, Saved);
        Thread->ExitStatus = STATUS_SUCCESS;
        if (Thread->HeldLockCount != 0)
            VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KI_VF_EXIT_HOLDING_LOCK,
                       (ULONG_PTR)Thread->HeldLocks[0].Lock, (ULONG_PTR)Thread, 0, NULL,
                       "A system thread's start routine returned while holding a spin lock. Every other user of the "
                       "lock now spins forever.",
                       "Release every spin lock before the thread ends.");
    } else {
        /* Unwound (PsTerminateSystemThread, a crash, shutdown): the __try
           frames it jumped over are gone. */
        KiResetExceptionFrames(NULL);
    }
    Thread->ExitFrameArmed = FALSE;
    PspExitThread(Thread, Thread->ExitStatus);
    PAL_ATOMIC_STORE(&Record->Finished, 1, PAL_ORDER_RELEASE);
}

NTSTATUS KiStartThread(PKTHREAD Thread, PKSTART_ROUTINE StartRoutine, PVOID StartContext, PDRIVER_OBJECT Driver)
{
    PKI_HOST_THREAD Record = (PKI_HOST_THREAD)calloc(1, sizeof(*Record));
    BOOLEAN Started;

    KiJoinHostThreads(TRUE); /* reap threads that have finished */
    if (Record == NULL) {
        ObDereferenceObject(Thread);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Record->Thread = Thread;
    Thread->HostRecord = Record;
    Thread->StartRoutine = StartRoutine;
    Thread->StartContext = StartContext;
    Thread->Win32StartAddress = (PVOID)StartRoutine;
    Thread->StartDriver = Driver;
    KiAcquireDispatcherLock();
    Started = KiSchedCreateHostThread(KipThreadBase, Record, &Record->Host);
    if (Started) {
        Thread->HostThread = Record->Host;
        InsertTailList(&KipHostThreadList, &Record->Link);
    }
    KiReleaseDispatcherLock();
    if (!Started) {
        free(Record);
        ObDereferenceObject(Thread);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    IRPSIM_SCHED_POINT(KI_SCHED_POINT_DISPATCHER, Thread); /* thread start: the new thread may run first */
    return STATUS_SUCCESS;
}

VOID KiExitThread(NTSTATUS ExitStatus)
{
    PKTHREAD Thread = KiGetCurrentThreadIfAny();
    if (Thread == NULL || !Thread->ExitFrameArmed)
        return;
    Thread->ExitStatus = ExitStatus;
    longjmp(Thread->ExitFrame, 1);
}

VOID KiJoinHostThreads(BOOLEAN FinishedOnly)
{
    for (;;) {
        PKI_HOST_THREAD Found = NULL;
        KiAcquireDispatcherLock();
        for (PLIST_ENTRY Entry = KipHostThreadList.Flink; Entry != &KipHostThreadList; Entry = Entry->Flink) {
            PKI_HOST_THREAD Record = CONTAINING_RECORD(Entry, KI_HOST_THREAD, Link);
            if (!FinishedOnly || PAL_ATOMIC_LOAD(&Record->Finished, PAL_ORDER_ACQUIRE)) {
                Found = Record;
                RemoveEntryList(&Record->Link);
                break;
            }
        }
        KiReleaseDispatcherLock();
        if (Found == NULL)
            return;
        KiSchedJoinHostThread(Found->Host);
        free(Found);
    }
}

/* ---- exit and shutdown ---- */

VOID KiRundownThread(PKTHREAD Thread)
{
    KiRundownApcs(Thread);
    KiAcquireDispatcherLock();
    /* Mutexes the thread still owns are abandoned: free, and the next
       owner's wait says so. */
    while (!IsListEmpty(&Thread->MutantListHead)) {
        PKMUTANT Mutant = CONTAINING_RECORD(RemoveHeadList(&Thread->MutantListHead), KMUTANT, MutantListEntry);
        InitializeListHead(&Mutant->MutantListEntry);
        Mutant->OwnerThread = NULL;
        Mutant->Abandoned = TRUE;
        Mutant->Header.SignalState = 1;
        KiWaitTestLocked(&Mutant->Header);
    }
    Thread->Header.SignalState = 1;
    KiWaitTestLocked(&Thread->Header);
    KiSchedThreadBlockedLocked(Thread); /* no longer counted as runnable */
    KiReleaseDispatcherLock();
}

VOID KiReleaseThreadObjects(VOID)
{
    /* Only the threads that exist now: anything a rundown routine creates
       belongs to the next run. */
    LIST_ENTRY Releasing;
    InitializeListHead(&Releasing);
    KiAcquireDispatcherLock();
    for (PLIST_ENTRY Entry = KiThreadListHead.Flink; Entry != &KiThreadListHead;) {
        PKTHREAD Thread = CONTAINING_RECORD(Entry, KTHREAD, ThreadListEntry);
        Entry = Entry->Flink;
        /* Ended threads are kept alive only by references: left to their owners.
           A host thread still blocked in an irpsim wait keeps its object too. */
        if (Thread->Header.SignalState != 0)
            continue;
        if (Thread->Waiting) {
            fprintf(stderr,
                    "irpsim: thread %llu is still waiting inside irpsim at shutdown; its thread object is kept\n",
                    (unsigned long long)(ULONG_PTR)Thread->Cid.UniqueThread);
            continue;
        }
        RemoveEntryList(&Thread->ThreadListEntry);
        InsertTailList(&Releasing, &Thread->ThreadListEntry);
    }
    KiReleaseDispatcherLock();

    while (!IsListEmpty(&Releasing)) {
        PKTHREAD Thread;
        KiAcquireDispatcherLock();
        Thread = CONTAINING_RECORD(RemoveHeadList(&Releasing), KTHREAD, ThreadListEntry);
        InitializeListHead(&Thread->ThreadListEntry);
        KiReleaseDispatcherLock();
        PAL_ATOMIC_STORE(&Thread->Terminating, TRUE, PAL_ORDER_RELEASE);
        KiRundownThread(Thread);
        ObDereferenceObject(Thread); /* the thread's own reference */
    }
}

VOID KiAdvanceThreadGeneration(VOID)
{
    ULONG Next = PAL_ATOMIC_ADD_FETCH(&KiThreadGeneration, 1, PAL_ORDER_ACQ_REL);
    if (Next == 0)
        PAL_ATOMIC_STORE(&KiThreadGeneration, 1, PAL_ORDER_RELEASE); /* 0 means "unbound" */
    KiAcquireDispatcherLock();
    KipNextThreadId = KIP_FIRST_THREAD_ID;
    KiReleaseDispatcherLock();
}

/* ---- Ke thread routines ---- */

PKTHREAD NTAPI KeGetCurrentThread(VOID)
{
    return KiGetCurrentThread();
}

KPRIORITY NTAPI KeSetPriorityThread(PKTHREAD Thread, KPRIORITY Priority)
{
    if (Priority < LOW_PRIORITY || Priority > HIGH_PRIORITY)
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KI_VF_BAD_PRIORITY, (ULONG_PTR)Thread,
                   (ULONG_PTR)(LONG_PTR)Priority, 0, NULL,
                   "KeSetPriorityThread was given a priority outside LOW_PRIORITY (0) .. HIGH_PRIORITY (31).",
                   "Pass a priority between 0 and 31 (1-15 variable, 16-31 real-time).");
    /* Recorded and reported; the host scheduler ignores it. */
    return PAL_ATOMIC_EXCHANGE(&Thread->Priority, Priority, PAL_ORDER_ACQ_REL);
}

KPRIORITY NTAPI KeQueryPriorityThread(PKTHREAD Thread)
{
    return PAL_ATOMIC_LOAD(&Thread->Priority, PAL_ORDER_ACQUIRE);
}

LONG NTAPI KeSetBasePriorityThread(PKTHREAD Thread, LONG Increment)
{
    LONG Previous = PAL_ATOMIC_EXCHANGE(&Thread->BasePriorityIncrement, Increment, PAL_ORDER_ACQ_REL);
    LONG Priority = KIP_DEFAULT_PRIORITY + Increment;
    if (Priority < 1)
        Priority = 1;
    if (Priority > 15)
        Priority = 15;
    PAL_ATOMIC_STORE(&Thread->Priority, Priority, PAL_ORDER_RELEASE);
    return Previous;
}
