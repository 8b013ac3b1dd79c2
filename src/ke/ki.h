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
#include <setjmp.h>

#include "../platform/pal.h"

struct _IRPSIM_BUGCHECK_CATCH;
struct _KI_HELD_LOCK;

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

/* Returns the calling host thread's KTHREAD, creating it on first use. */
PKTHREAD KiGetCurrentThread(VOID);
/* Returns it without creating one (NULL if the host thread never entered irpsim). */
PKTHREAD KiGetCurrentThreadIfAny(VOID);
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
PDRIVER_OBJECT KiCurrentDriver(VOID);

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

#endif /* IRPSIM_KI_H */
