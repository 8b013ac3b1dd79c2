/*
 * irpsim — kernel internals (Ki*): the thread object, the simulated
 * processors, and the interfaces other components use to reach the
 * scheduler.
 *
 * Rule for every component: never call KeBugCheckEx (or anything that may
 * bugcheck) while holding a host mutex (PAL_MUTEX). A caught bugcheck
 * unwinds with longjmp, and a host mutex left locked would deadlock the
 * next test.
 */
#ifndef IRPSIM_KI_H
#define IRPSIM_KI_H

#include <wdm.h>
#include <irpsim/irpsim.h>
#include <setjmp.h>

#include "../platform/pal.h"

struct _IRPSIM_BUGCHECK_CATCH;
struct _KI_HOST_THREAD;

/* A spin lock the thread holds (KTHREAD.HeldLocks is an array of these). */
typedef struct _KI_HELD_LOCK {
    PKSPIN_LOCK Lock;
    BOOLEAN Queued; /* acquired with an in-stack queued routine */
} KI_HELD_LOCK, *PKI_HELD_LOCK;

/*
 * The thread object. Every host thread that calls into irpsim has one
 * (created on first use); KeGetCurrentThread returns it. ETHREAD and KTHREAD
 * are the same object, as the WDK lets drivers cast between them.
 */
typedef struct _KTHREAD {
    DISPATCHER_HEADER Header; /* a thread is signalled when it terminates */

    /* --- execution state (touched only by the thread itself) --- */
    KIRQL Irql;
    UCHAR Processor;           /* simulated processor this thread runs on */
    BOOLEAN IsSystemThread;    /* made by PsCreateSystemThread / a worker */
    BOOLEAN IsProcessorThread; /* a simulated processor's DPC thread */
    BOOLEAN InDpc;             /* currently running a DPC routine */
    BOOLEAN Terminating;
    SHORT KernelApcDisable;  /* critical regions (negative counts, as NT) */
    SHORT SpecialApcDisable; /* guarded regions */
    KPRIORITY Priority;
    KPROCESSOR_MODE PreviousMode;
    struct _KI_HELD_LOCK *HeldLocks; /* spin locks this thread holds */
    /* The driver whose code this thread is running (set at every entry into
       driver code: DriverEntry, dispatch, completion, cancel, StartIo, DPC,
       work item, system thread). Pool, IRPs, MDLs and kernel objects made
       while it is set are charged to that driver for leak reports. */
    PDRIVER_OBJECT CurrentDriver;
    struct _IRPSIM_BUGCHECK_CATCH *BugCheckCatch;

    /* --- APCs (protected by ApcLock) --- */
    PAL_MUTEX ApcLock;
    LIST_ENTRY KernelApcListHead;
    LIST_ENTRY UserApcListHead;
    volatile LONG KernelApcPending;
    volatile LONG UserApcPending;

    /* --- waiting (protected by the dispatcher lock) --- */
    PAL_COND WaitCondition;
    PKWAIT_BLOCK WaitBlockList;
    KWAIT_BLOCK WaitBlock[THREAD_WAIT_OBJECTS + 1];
    NTSTATUS WaitStatus;
    BOOLEAN Waiting;
    BOOLEAN Alertable;
    KPROCESSOR_MODE WaitMode;
    volatile BOOLEAN Alerted;

    /* --- identity and lifetime --- */
    CLIENT_ID Cid;
    PVOID Win32StartAddress;
    PKSTART_ROUTINE StartRoutine;
    PVOID StartContext;
    NTSTATUS ExitStatus;
    PPAL_THREAD HostThread; /* NULL for threads irpsim did not start */
    LIST_ENTRY ThreadListEntry; /* KiThreadListHead */

    /* --- I/O (ETHREAD part): threaded IRPs, protected by IrpListLock --- */
    PAL_MUTEX IrpListLock;
    LIST_ENTRY IrpList;
    PIRP TopLevelIrp;

    /* --- anything the Win32 side keeps per thread --- */
    ULONG LastError;
    PVOID Win32Thread;

    /* --- dispatcher bookkeeping (src/ke and src/ps only) --- */
    ULONG HeldLockCount;            /* entries used in HeldLocks (thread itself) */
    ULONG HeldLockCapacity;
    ULONG WaitCount;                /* wait blocks of the current wait (dispatcher lock) */
    KTIMER WaitTimer;               /* the current wait's timeout, in the timer heap */
    LIST_ENTRY MutantListHead;      /* KMUTEXes this thread owns (dispatcher lock) */
    LONG BasePriorityIncrement;
    BOOLEAN ApcQueueable;           /* FALSE once exit has run its APCs down (ApcLock) */
    BOOLEAN KernelApcInProgress;    /* running a normal kernel APC's NormalRoutine */
    BOOLEAN CountedRunnable;        /* counted as runnable by the scheduler (dispatcher lock) */
    BOOLEAN ExitFrameArmed;         /* ExitFrame is live: the thread can be unwound and ended */
    PDRIVER_OBJECT StartDriver;     /* driver charged for a system thread's start routine */
    struct _KI_HOST_THREAD *HostRecord; /* join record of a thread irpsim started */
    jmp_buf ExitFrame;              /* thread base of a thread irpsim started */
} KTHREAD;

/* The executive thread is the kernel thread; PETHREAD and PKTHREAD convert
   with a cast (KiThreadFromEThread / KiEThreadFromThread). */
typedef struct _ETHREAD {
    KTHREAD Tcb;
} ETHREAD;
#define KiThreadFromEThread(e) (&(e)->Tcb)
#define KiEThreadFromThread(t) ((PETHREAD)(t))

typedef struct _KPROCESS {
    DISPATCHER_HEADER Header;
    HANDLE UniqueProcessId;
} KPROCESS;
typedef struct _EPROCESS {
    KPROCESS Pcb;
} EPROCESS;

/* The simulated machine's one process. */
extern PEPROCESS KiSystemProcess; /* an object-manager object (Process type) */

/* The calling host thread's KTHREAD, in C11 thread-local storage: valid
   while Generation equals KiThreadGeneration, which IrpSimShutdown
   advances (thread.c). Read inline: the I/O manager asks on every call
   (one structure: one thread-local address to compute). */
typedef struct _KI_TLS {
    PKTHREAD Thread;
    ULONG Generation;
} KI_TLS;
extern IRPSIM_THREAD_LOCAL KI_TLS KiTls;
extern volatile ULONG KiThreadGeneration;

/* Returns it without creating one (NULL if the host thread never entered irpsim). */
FORCEINLINE PKTHREAD KiGetCurrentThreadIfAny(VOID)
{
    PKTHREAD Thread = KiTls.Thread;
    if (Thread == NULL || KiTls.Generation != PAL_ATOMIC_LOAD(&KiThreadGeneration, PAL_ORDER_ACQUIRE))
        return NULL;
    return Thread;
}
/* Creates and binds the calling host thread's KTHREAD (its first call). */
PKTHREAD KiCreateCurrentThread(VOID);
/* Returns the calling host thread's KTHREAD, creating it on first use. */
FORCEINLINE PKTHREAD KiGetCurrentThread(VOID)
{
    PKTHREAD Thread = KiGetCurrentThreadIfAny();
    return IRPSIM_LIKELY(Thread != NULL) ? Thread : KiCreateCurrentThread();
}
/* Creates a KTHREAD for a host thread irpsim is about to start. */
PKTHREAD KiCreateThreadObject(BOOLEAN SystemThread);
/* Releases a KTHREAD once its host thread is gone and no reference remains. */
VOID KiDeleteThreadObject(PKTHREAD Thread);
/* Binds Thread to the calling host thread (the first thing a new host thread does). */
VOID KiBindCurrentThread(PKTHREAD Thread);

/* Number of simulated processors (IRPSIM_CONFIG.ProcessorCount). */
extern ULONG KeNumberProcessors_;

/* Bracket every call into driver code:
       PDRIVER_OBJECT Saved = KiEnterDriver(Thread, Driver);
       ... call the driver ...
       KiLeaveDriver(Thread, Saved);                                      */
FORCEINLINE PDRIVER_OBJECT KiEnterDriver(PKTHREAD Thread, PDRIVER_OBJECT Driver)
{
    PDRIVER_OBJECT Saved = Thread->CurrentDriver;
    Thread->CurrentDriver = Driver;
    return Saved;
}
FORCEINLINE VOID KiLeaveDriver(PKTHREAD Thread, PDRIVER_OBJECT Saved)
{
    Thread->CurrentDriver = Saved;
}
/* The driver charged for work done on the calling thread right now (NULL = irpsim or the test). */
FORCEINLINE PDRIVER_OBJECT KiCurrentDriver(VOID)
{
    PKTHREAD Thread = KiGetCurrentThreadIfAny();
    return Thread != NULL ? Thread->CurrentDriver : NULL;
}

/* A host lock for sections of a few loads and stores taken on every IRP
   (the IRP state table, the pool): one atomic exchange to take it and a
   plain release store to drop it, where a PAL_MUTEX costs two atomic
   operations and a call each way. A zero-filled one is free. As with a
   PAL_MUTEX, never hold it across a call into a driver, a wait, or
   anything that may bug check; a waiter spins through the scheduler
   (KiSchedSpin), which under the controlled scheduler never happens, since
   no holder stops at a scheduling point. */
typedef struct _KI_QUICK_LOCK {
    volatile LONG Held;
} KI_QUICK_LOCK, *PKI_QUICK_LOCK;

/* One turn of a spin-wait loop (sched.c). */
VOID KiSchedSpin(VOID);
FORCEINLINE VOID KiAcquireQuickLock(PKI_QUICK_LOCK Lock)
{
    while (IRPSIM_UNLIKELY(PAL_ATOMIC_EXCHANGE(&Lock->Held, 1, PAL_ORDER_ACQUIRE) != 0)) {
        while (PAL_ATOMIC_LOAD(&Lock->Held, PAL_ORDER_RELAXED) != 0)
            KiSchedSpin();
    }
}
FORCEINLINE VOID KiReleaseQuickLock(PKI_QUICK_LOCK Lock)
{
    PAL_ATOMIC_STORE(&Lock->Held, 0, PAL_ORDER_RELEASE);
}

/* APC support used by the I/O manager for stage-2 completion. */
typedef enum _KAPC_KIND { KiApcSpecialKernel, KiApcNormalKernel, KiApcUser } KAPC_KIND;
VOID KeInitializeApc(PKAPC Apc, PKTHREAD Thread, KAPC_ENVIRONMENT Environment, PKKERNEL_ROUTINE KernelRoutine,
                     PKRUNDOWN_ROUTINE RundownRoutine, PKNORMAL_ROUTINE NormalRoutine, KPROCESSOR_MODE ApcMode,
                     PVOID NormalContext);
BOOLEAN KeInsertQueueApc(PKAPC Apc, PVOID SystemArgument1, PVOID SystemArgument2, KPRIORITY Increment);
/* Runs the calling thread's pending kernel APCs if it may receive them now. */
VOID KiDeliverApcs(PKTHREAD Thread, KPROCESSOR_MODE DeliveryMode);

/* Called when the current thread's IRQL drops below DISPATCH_LEVEL / APC_LEVEL. */
VOID KiLowerIrqlHook(PKTHREAD Thread, KIRQL OldIrql, KIRQL NewIrql);


/* ---- bug checks (bugcheck.c) and the scheduler's part in them ---- */
/* Resets the calling thread's state after a caught bug check: IRQL back to
   Irql, spin locks it holds released, critical/guarded regions left. */
VOID KiResetThreadAfterBugCheck(PKTHREAD Thread, KIRQL Irql);
/* Wakes every waiting thread so it re-checks its wait (used when a bug
   check on one thread must reach a catch frame armed on another). */
VOID KiWakeAllWaiters(VOID);
/* Ends a crashed irpsim-started thread (system, worker or processor thread). */
DECLSPEC_NORETURN VOID KiTerminateCrashedThread(PKTHREAD Thread);
/* TRUE when a bug check from another thread is waiting for a catch frame. */
BOOLEAN KiForeignBugCheckPending(VOID);
/* If the calling thread has a catch frame armed and a foreign bug check is
   pending, unwinds to the frame. Call it with no host mutex held (waits call
   it each time they wake). */
VOID KiRaiseForeignBugCheckIfPending(VOID);

/* ======================================================================
 * Added by the kernel dispatcher. The first part is for every component;
 * the part marked "dispatcher internals" is for src/ke and src/ps only.
 * ====================================================================== */

/* ---- spin locks a thread holds (e.g. the cancel-spin-lock checks) ---- */
/* TRUE if Thread holds Lock. Thread must be the calling thread. */
BOOLEAN KiThreadHoldsSpinLock(PKTHREAD Thread, PKSPIN_LOCK Lock);
/* Number of spin locks Thread holds. Thread must be the calling thread. */
ULONG KiHeldSpinLockCount(PKTHREAD Thread);

/* ---- threads irpsim starts ---- */
/* Starts a host thread that runs StartRoutine(StartContext) as Thread (made
   by KiCreateThreadObject), charged to Driver. The thread base binds Thread,
   and when the routine returns, KiExitThread is called or the thread
   crashes, it runs thread exit (PspExitThread): IoCancelThreadIo, APC
   rundown, owned mutexes abandoned, the thread object signalled, the
   thread's own reference dropped. KiShutdownSystem ends such a thread at
   its next wait and joins it. On failure the thread object is released.
   PsCreateSystemThread is this plus a handle; other components (worker
   threads, the Win32 facade's CreateThread) use either. */
NTSTATUS KiStartThread(PKTHREAD Thread, PKSTART_ROUTINE StartRoutine, PVOID StartContext, PDRIVER_OBJECT Driver);
/* Ends the calling thread if irpsim started it (unwinds to its thread base);
   returns if it did not. */
VOID KiExitThread(NTSTATUS ExitStatus);
/* Alerts Thread: an alertable wait it is in (a UserMode wait only, when
   AlertMode is UserMode) ends with STATUS_ALERTED; otherwise its next
   alertable wait does. Returns the previous alerted state. */
BOOLEAN KiAlertThread(PKTHREAD Thread, KPROCESSOR_MODE AlertMode);
/* TRUE between KiInitializeSystem and KiShutdownSystem. */
BOOLEAN KiIsSystemRunning(VOID);
/* Thread termination (src/ps/exit.c), run by the exiting thread itself. */
VOID PspExitThread(PKTHREAD Thread, NTSTATUS ExitStatus);

/* ======================================================================
 * Dispatcher internals (src/ke and src/ps only)
 * ====================================================================== */

/* 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION subcodes the dispatcher raises.
   0x1002/0x1009/0x100A are Driver Verifier's own; 0x15xx are irpsim's. */
#define KI_VF_UNINITIALIZED 0x1002          /* P2 object, P3 Type found, P4 cookie found */
#define KI_VF_MISMATCHED_RELEASE 0x1009     /* P2 lock, P3 1 = released as queued, 0 = as ordinary */
#define KI_VF_EXIT_HOLDING_LOCK 0x100A      /* P2 lock, P3 thread */
#define KI_VF_TIMER_REINITIALIZED 0x1500    /* P2 timer */
#define KI_VF_DPC_REINITIALIZED 0x1501      /* P2 DPC */
#define KI_VF_DPC_RETURNED_HOLDING_LOCK 0x1502 /* P2 DPC routine, P3 lock */
#define KI_VF_BAD_WAIT_TYPE 0x1503          /* P2 WaitType */
#define KI_VF_BAD_PRIORITY 0x1504           /* P2 thread, P3 priority */

/* Every Ke initialiser stores this in its object; anything else means the
   object was never initialised (or was copied, or is not that object). */
#define KI_OBJECT_COOKIE(Object) ((ULONG_PTR)(Object) ^ (ULONG_PTR)0x6b4f626aU)
#define KI_TYPE_BIT(Type) (1u << (Type))
#define KI_WAIT_TIMER_TYPE 0x1F /* DISPATCHER_HEADER.Type of KTHREAD.WaitTimer */

extern BOOLEAN KiVerifierEnabled;
extern BOOLEAN KiShuttingDown;      /* KiShutdownSystem has begun (dispatcher lock) */
extern LIST_ENTRY KiThreadListHead; /* every KTHREAD (dispatcher lock) */

/* -- the scheduler boundary (sched.c): every block, wake, spin, host
      thread and clock read goes through here -- */
/* The dispatcher lock protects dispatcher-object state and wait lists,
   thread wait state, the timer heap and the DPC queues. */
VOID KiAcquireDispatcherLock(VOID);
VOID KiReleaseDispatcherLock(VOID);
/* Sleeps on Condition with the dispatcher lock held (released while
   asleep); HostDeadlineNs 0 = no deadline. May return spuriously. */
VOID KiSchedBlock(PPAL_COND Condition, ULONGLONG HostDeadlineNs);
VOID KiSchedWake(PPAL_COND Condition);
VOID KiSchedWakeAll(PPAL_COND Condition);
/* (KiSchedSpin, one turn of a spin-wait loop, is declared with the quick lock above.) */
VOID KiSchedYield(VOID);
BOOLEAN KiSchedCreateHostThread(PPAL_THREAD_ROUTINE Routine, PVOID Context, PPAL_THREAD *HostThread);
VOID KiSchedJoinHostThread(PPAL_THREAD HostThread);
DECLSPEC_NORETURN VOID KiSchedExitHostThread(VOID);
/* Runnable accounting (dispatcher lock held): a thread is runnable unless
   it is blocked in an irpsim wait; processor threads are not counted (their
   DPC activity is). The virtual clock auto-advances only when nothing is
   runnable and no DPC is queued or running. */
VOID KiSchedThreadReadyLocked(PKTHREAD Thread);
VOID KiSchedThreadBlockedLocked(PKTHREAD Thread);
VOID KiSchedDpcActivityLocked(LONG Delta);
BOOLEAN KiSchedIsIdleLocked(LONG RunnableAllowed);
/* TRUE while a DPC is queued or running on any processor. */
BOOLEAN KiSchedDpcPendingLocked(VOID);
/* FALSE while Thread is blocked in an irpsim wait or has terminated: it
   will not move on by itself (takes the dispatcher lock). */
BOOLEAN KiThreadCanProgress(PKTHREAD Thread);
/* Waits (no lock held) until no thread but Self is runnable and no DPC is
   queued or running. */
VOID KiSchedWaitForIdle(PKTHREAD Self);
/* TRUE while the controlled scheduler of a schedule exploration runs the
   machine (src/ke/explore.h): one simulated thread at a time, virtual time
   kept by the scheduler itself. */
BOOLEAN KiSchedControlled(VOID);
VOID KiSchedInitialize(IRPSIM_CLOCK_MODE ClockMode);
VOID KiSchedShutdown(VOID);
/* The clock source. */
IRPSIM_CLOCK_MODE KiClockMode(VOID);
ULONGLONG KiReadInterruptTime(VOID);
LONGLONG KiReadSystemTime(VOID);
VOID KiSetVirtualTimeLocked(ULONGLONG InterruptTime);
ULONGLONG KiInterruptTimeToHostNs(ULONGLONG InterruptTime);

/* -- dispatcher objects (dispatcher.c) -- */
VOID KiInitializeDispatcherHeader(PDISPATCHER_HEADER Header, UCHAR Type, UCHAR Size, LONG SignalState);
/* Bug checks (0xC4/0x1002) unless Object is an initialised dispatcher
   object whose Type is in TypeMask (KI_TYPE_BIT). Rule names the
   initialiser. Call with no lock held. */
VOID KiCheckDispatcherObject(PVOID Object, ULONG TypeMask, PCSTR Rule, PCSTR Hint);
BOOLEAN KiIsObjectSignaledLocked(PDISPATCHER_HEADER Header, PKTHREAD Thread);
/* Applies a satisfied wait's side effect; STATUS_ABANDONED for an abandoned mutex. */
NTSTATUS KiSatisfyObjectLocked(PDISPATCHER_HEADER Header, PKTHREAD Thread);
/* Releases the waiters Header (just signalled) can satisfy, in wait order. */
VOID KiWaitTestLocked(PDISPATCHER_HEADER Header);
/* Ends Thread's wait with WaitStatus (STATUS_KERNEL_APC = wake it to re-check). */
VOID KiUnwaitThreadLocked(PKTHREAD Thread, NTSTATUS WaitStatus);

/* -- timers (timer.c) and the clock (clock.c) -- */
VOID KiInsertTimerLocked(PKTIMER Timer);
BOOLEAN KiRemoveTimerLocked(PKTIMER Timer); /* FALSE if it was not in the heap */
BOOLEAN KiNextTimerDueLocked(PULONGLONG DueTime);
VOID KiExpireTimersLocked(ULONGLONG Now);
VOID KiResetTimerHeap(VOID);
/* A KeSetTimer / wait timeout value (negative relative, positive absolute
   system time) as an interrupt time. */
ULONGLONG KiDueTimeToInterruptTime(LONGLONG DueTime);
/* The earliest deadline or the idle state may have changed. */
VOID KiClockNotifyLocked(VOID);
NTSTATUS KiStartClock(BOOLEAN AutoAdvance);
VOID KiStopClock(VOID);

/* -- processors and DPCs (processor.c, dpc.c) -- */
typedef struct _KI_PROCESSOR {
    ULONG Number;
    LIST_ENTRY DpcListHead; /* queued DPCs (dispatcher lock) */
    ULONG DpcQueueDepth;
    BOOLEAN DpcRunning;
    BOOLEAN Stop;
    BOOLEAN ConditionReady;
    PAL_COND Condition; /* the processor thread sleeps here */
    PKTHREAD Thread;
    PPAL_THREAD HostThread;
} KI_PROCESSOR, *PKI_PROCESSOR;
extern KI_PROCESSOR KiProcessorBlock[MAXIMUM_PROCESSORS];
NTSTATUS KiStartProcessors(ULONG Count);
VOID KiStopProcessors(VOID);
ULONG KiNextProcessor(VOID);
BOOLEAN KiInsertQueueDpcLocked(PKDPC Dpc, PVOID SystemArgument1, PVOID SystemArgument2, ULONG DefaultProcessor);
/* The processor thread's loop: runs DPCs until the processor stops (FALSE). */
BOOLEAN KiRunDpcQueue(PKI_PROCESSOR Prcb);
/* Cleans up after a DPC routine that bug checked (the processor carries on). */
VOID KiDpcCrashed(PKI_PROCESSOR Prcb);

/* -- threads (thread.c), APCs (apc.c), spin locks, the process -- */
PKTHREAD KiCreateThreadObjectEx(BOOLEAN SystemThread, BOOLEAN ProcessorThread, ULONG Processor);
VOID KiUnbindCurrentThread(VOID);
/* Last dispatcher steps of thread exit: APCs run down, owned mutexes
   abandoned, the thread object signalled, no longer counted as runnable. */
VOID KiRundownThread(PKTHREAD Thread);
VOID KiRundownApcs(PKTHREAD Thread);
/* TRUE if a kernel APC could be delivered to Thread waiting at WaitIrql. */
BOOLEAN KiKernelApcDeliverable(PKTHREAD Thread, KIRQL WaitIrql);
VOID KiReleaseHeldSpinLocks(PKTHREAD Thread);
/* Leaves one level of critical region without the IRQL checks (a mutex's
   last release) and delivers the APCs that now may run. */
VOID KiLeaveCriticalRegionThread(PKTHREAD Thread);
/* Shutdown helpers. */
VOID KiJoinHostThreads(BOOLEAN FinishedOnly);
VOID KiReleaseThreadObjects(VOID);
/* Makes every host thread's cached thread object stale (IrpSimShutdown). */
VOID KiAdvanceThreadGeneration(VOID);
NTSTATUS KiCreateSystemProcess(VOID);
VOID KiDeleteSystemProcess(VOID);

#endif /* IRPSIM_KI_H */
