/*
 * irpsim — waiting: KeWaitForSingleObject, KeWaitForMultipleObjects,
 * KeDelayExecutionThread, and alerts (SEMANTICS 9.4).
 *
 * A wait loops: deliver the kernel APCs the thread may receive (they run
 * and the wait resumes with the time that is left: the deadline is kept as
 * an absolute interrupt time), then, under the dispatcher lock, take the
 * objects if the wait is satisfied (WaitAny: the lowest signalled index
 * wins and only that object is consumed), end an alertable wait that has an
 * alert or (UserMode) a user APC, time out, or link one wait block per
 * object, arm the thread's wait timer and sleep. Whoever satisfies the wait
 * later — a signal, the clock, an APC, an alert — ends it and wakes the
 * thread. Each time the thread wakes it first looks for a bug check raised
 * on another thread for the catch frame it may have armed.
 *
 * Checks (raised with the verifier on or off — Windows without the verifier
 * would hang or corrupt state instead):
 *   - more than 64 objects, or more than 3 without a wait block array: 0xC;
 *   - a wait from a DPC routine that is not a poll (zero timeout), or any
 *     KeDelayExecutionThread there: 0xB8;
 *   - above DISPATCH_LEVEL: 0xC4/0x120; at DISPATCH_LEVEL with no timeout:
 *     0xC4/0x121; with a non-zero timeout: 0xC4/0x122 (P2 IRQL, P3 object,
 *     P4 timeout pointer);
 *   - an object that is not an initialised dispatcher object: 0xC4/0x1002.
 *
 * When IrpSimShutdown runs, a thread irpsim started is ended at its next
 * wait; a timed wait of any other thread times out at once.
 */
#include "ki.h"
#include "../verifier/vf.h"
#include "../trace/tracep.h"

#define KIP_WAITABLE_TYPES                                                                                   \
    (KI_TYPE_BIT(EventNotificationObject) | KI_TYPE_BIT(EventSynchronizationObject) |                      \
     KI_TYPE_BIT(MutantObject) | KI_TYPE_BIT(ProcessObject) | KI_TYPE_BIT(SemaphoreObject) |              \
     KI_TYPE_BIT(ThreadObject) | KI_TYPE_BIT(TimerNotificationObject) | KI_TYPE_BIT(TimerSynchronizationObject))

static const CHAR KipWaitRule[] =
    "A wait was given an object that is not an initialised dispatcher object (KEVENT, KMUTEX, KSEMAPHORE, KTIMER, "
    "thread or process): it was never initialised with its Ke initialiser, was freed or copied by value, or is "
    "another kind of object altogether (a file or device object, a DPC, a spin lock).";

static VOID KipCheckWaitContext(PKTHREAD Thread, PVOID Object, PLARGE_INTEGER Timeout, BOOLEAN PollAllowed)
{
    BOOLEAN Poll = Timeout != NULL && Timeout->QuadPart == 0;
    if (Poll && PollAllowed)
        return;
    if (Thread->InDpc)
        VfBugCheck(ATTEMPTED_SWITCH_FROM_DPC, 0, 0, 0, 0, NULL, NULL, NULL);
    if (Thread->Irql > DISPATCH_LEVEL)
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x120, Thread->Irql, (ULONG_PTR)Object, (ULONG_PTR)Timeout,
                   NULL, NULL, NULL);
    if (Thread->Irql == DISPATCH_LEVEL)
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, Timeout == NULL ? 0x121 : 0x122, Thread->Irql,
                   (ULONG_PTR)Object, (ULONG_PTR)Timeout, NULL, NULL, NULL);
    if (!KiIsSystemRunning())
        VfBugCheck(IRPSIM_INVALID_USE, (ULONG_PTR) "wait while the simulated machine is not running", 0, 0, 0, NULL,
                   "A blocking wait was started before IrpSimInitialize or after IrpSimShutdown: no clock or "
                   "processor is running to end it.",
                   "Call IrpSimInitialize before using kernel waits.");
}

/* Takes the objects if the wait is satisfied now; STATUS_PENDING if not. */
static NTSTATUS KipTrySatisfyLocked(PKTHREAD Thread, ULONG Count, PVOID Objects[], WAIT_TYPE WaitType)
{
    BOOLEAN Abandoned = FALSE;
    if (WaitType == WaitAny) {
        for (ULONG i = 0; i < Count; i++) {
            PDISPATCHER_HEADER Header = (PDISPATCHER_HEADER)Objects[i];
            if (KiIsObjectSignaledLocked(Header, Thread)) {
                NTSTATUS Status = KiSatisfyObjectLocked(Header, Thread);
                return (Status == STATUS_ABANDONED ? STATUS_ABANDONED_WAIT_0 : STATUS_WAIT_0) + (NTSTATUS)i;
            }
        }
        return STATUS_PENDING;
    }
    if (Count == 0)
        return STATUS_PENDING;
    for (ULONG i = 0; i < Count; i++) {
        if (!KiIsObjectSignaledLocked((PDISPATCHER_HEADER)Objects[i], Thread))
            return STATUS_PENDING;
    }
    for (ULONG i = 0; i < Count; i++) {
        if (KiSatisfyObjectLocked((PDISPATCHER_HEADER)Objects[i], Thread) == STATUS_ABANDONED)
            Abandoned = TRUE;
    }
    return Abandoned ? STATUS_ABANDONED_WAIT_0 : STATUS_WAIT_0;
}

/* The thread entered the critical region of every kernel mutex this
   satisfied wait made it the owner of (dispatcher lock held). */
static VOID KipEnterMutexRegionsLocked(PKTHREAD Thread, ULONG Count, PVOID Objects[], WAIT_TYPE WaitType,
                                       NTSTATUS Status)
{
    ULONG First = 0;
    ULONG Last = Count;
    if (WaitType == WaitAny) {
        First = (ULONG)(Status >= STATUS_ABANDONED_WAIT_0 ? Status - STATUS_ABANDONED_WAIT_0 : Status);
        Last = First + 1;
    }
    for (ULONG i = First; i < Last && i < Count; i++) {
        PDISPATCHER_HEADER Header = (PDISPATCHER_HEADER)Objects[i];
        if (Header->Type == MutantObject) {
            PKMUTANT Mutant = (PKMUTANT)Header;
            if (Mutant->OwnerThread == Thread && Header->SignalState == 0 && Mutant->ApcDisable != 0)
                Thread->KernelApcDisable--;
        }
    }
}

static BOOLEAN KipIsSatisfiedStatus(NTSTATUS Status)
{
    return (Status >= STATUS_WAIT_0 && Status <= STATUS_WAIT_63) ||
           (Status >= STATUS_ABANDONED_WAIT_0 && Status <= STATUS_ABANDONED_WAIT_63);
}

static NTSTATUS KipWait(PKTHREAD Thread, ULONG Count, PVOID Objects[], WAIT_TYPE WaitType, KPROCESSOR_MODE WaitMode,
                        BOOLEAN Alertable, PLARGE_INTEGER Timeout, PKWAIT_BLOCK Blocks, BOOLEAN Delay)
{
    KIRQL WaitIrql = Thread->Irql;
    BOOLEAN Poll = FALSE;
    BOOLEAN HasDeadline = FALSE;
    ULONGLONG Deadline = 0;
    NTSTATUS Status;
    PVOID First = Count != 0 ? Objects[0] : NULL;

    if (Timeout != NULL) {
        if (Timeout->QuadPart == 0) {
            Poll = TRUE;
        } else {
            HasDeadline = TRUE;
            Deadline = KiDueTimeToInterruptTime(Timeout->QuadPart);
        }
    }
    IRPSIM_SCHED_POINT(KI_SCHED_POINT_DISPATCHER, First);
    TRACE_EVENT(IrpSimTraceWaitBegin, First, Count, Timeout != NULL ? Timeout->QuadPart : 0, 0);

    for (;;) {
        KiRaiseForeignBugCheckIfPending();
        if (KiKernelApcDeliverable(Thread, WaitIrql))
            KiDeliverApcs(Thread, KernelMode);

        KiAcquireDispatcherLock();
        if (KiShuttingDown && Thread->ExitFrameArmed && !Thread->IsProcessorThread) {
            KiReleaseDispatcherLock();
            KiExitThread(STATUS_THREAD_IS_TERMINATING);
        }
        Status = KipTrySatisfyLocked(Thread, Count, Objects, WaitType);
        if (Status != STATUS_PENDING) {
            KipEnterMutexRegionsLocked(Thread, Count, Objects, WaitType, Status);
            KiReleaseDispatcherLock();
            break;
        }
        if (Alertable) {
            if (Thread->Alerted) {
                Thread->Alerted = FALSE;
                Status = STATUS_ALERTED;
                KiReleaseDispatcherLock();
                break;
            }
            if (WaitMode == UserMode && PAL_ATOMIC_LOAD(&Thread->UserApcPending, PAL_ORDER_ACQUIRE)) {
                Status = STATUS_USER_APC;
                KiReleaseDispatcherLock();
                break;
            }
        }
        if (Poll || (HasDeadline && (KiShuttingDown || KiReadInterruptTime() >= Deadline))) {
            Status = STATUS_TIMEOUT;
            KiReleaseDispatcherLock();
            break;
        }
        if (KiKernelApcDeliverable(Thread, WaitIrql) ||
            (Thread->BugCheckCatch != NULL && KiForeignBugCheckPending())) {
            /* An APC arrived, or a bug check on another thread is waiting for
               our catch frame, since the top of the loop. Checked under the
               lock that KeInsertQueueApc and KiWakeAllWaiters take, so no
               wake-up is lost. */
            KiReleaseDispatcherLock();
            continue;
        }

        for (ULONG i = 0; i < Count; i++) {
            PKWAIT_BLOCK Block = &Blocks[i];
            Block->Thread = Thread;
            Block->Object = Objects[i];
            Block->WaitKey = (USHORT)i;
            Block->WaitType = (UCHAR)WaitType;
            Block->BlockState = 0;
            Block->NextWaitBlock = &Blocks[(i + 1) % Count];
            InsertTailList(&((PDISPATCHER_HEADER)Objects[i])->WaitListHead, &Block->WaitListEntry);
        }
        Thread->WaitBlockList = Blocks;
        Thread->WaitCount = Count;
        Thread->Alertable = Alertable;
        Thread->WaitMode = WaitMode;
        Thread->WaitStatus = STATUS_PENDING;
        Thread->Waiting = TRUE;
        if (HasDeadline) {
            Thread->WaitTimer.DueTime.QuadPart = (LONGLONG)Deadline;
            KiInsertTimerLocked(&Thread->WaitTimer);
        }
        KiSchedThreadBlockedLocked(Thread);
        while (Thread->Waiting)
            KiSchedBlock(&Thread->WaitCondition, 0);
        Status = Thread->WaitStatus;
        if (KipIsSatisfiedStatus(Status))
            KipEnterMutexRegionsLocked(Thread, Count, Objects, WaitType, Status);
        KiReleaseDispatcherLock();
        /* A bug check on another thread may be waiting for our catch frame. */
        KiRaiseForeignBugCheckIfPending();
        if (Status != STATUS_KERNEL_APC)
            break;
        /* Woken to re-check: an APC, a bug check elsewhere, shutdown. */
    }

    if (Status == STATUS_USER_APC)
        KiDeliverApcs(Thread, UserMode);
    if (Delay && Status == STATUS_TIMEOUT)
        Status = STATUS_SUCCESS;
    TRACE_EVENT(IrpSimTraceWaitEnd, First, Status, 0, 0);
    return Status;
}

NTSTATUS NTAPI KeWaitForSingleObject(PVOID Object, KWAIT_REASON WaitReason, KPROCESSOR_MODE WaitMode,
                                     BOOLEAN Alertable, PLARGE_INTEGER Timeout)
{
    PKTHREAD Thread = KiGetCurrentThread();
    UNREFERENCED_PARAMETER(WaitReason);
    KipCheckWaitContext(Thread, Object, Timeout, TRUE);
    KiCheckDispatcherObject(Object, KIP_WAITABLE_TYPES, KipWaitRule, NULL);
    return KipWait(Thread, 1, &Object, WaitAny, WaitMode, Alertable, Timeout, &Thread->WaitBlock[0], FALSE);
}

NTSTATUS NTAPI KeWaitForMultipleObjects(ULONG Count, PVOID Object[], WAIT_TYPE WaitType, KWAIT_REASON WaitReason,
                                        KPROCESSOR_MODE WaitMode, BOOLEAN Alertable, PLARGE_INTEGER Timeout,
                                        PKWAIT_BLOCK WaitBlockArray)
{
    PKTHREAD Thread = KiGetCurrentThread();
    UNREFERENCED_PARAMETER(WaitReason);
    if (Count > MAXIMUM_WAIT_OBJECTS || (WaitBlockArray == NULL && Count > THREAD_WAIT_OBJECTS))
        VfBugCheck(MAXIMUM_WAIT_OBJECTS_EXCEEDED, Count, WaitBlockArray == NULL ? THREAD_WAIT_OBJECTS : MAXIMUM_WAIT_OBJECTS,
                   0, 0, NULL, NULL, NULL);
    if (WaitType != WaitAll && WaitType != WaitAny)
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KI_VF_BAD_WAIT_TYPE, (ULONG_PTR)WaitType, 0, 0, NULL,
                   "KeWaitForMultipleObjects was given a WaitType other than WaitAll or WaitAny.",
                   "Pass WaitAll (every object) or WaitAny (the first one).");
    KipCheckWaitContext(Thread, Count != 0 ? Object[0] : NULL, Timeout, TRUE);
    for (ULONG i = 0; i < Count; i++)
        KiCheckDispatcherObject(Object[i], KIP_WAITABLE_TYPES, KipWaitRule, NULL);
    return KipWait(Thread, Count, Object, WaitType, WaitMode, Alertable, Timeout,
                   WaitBlockArray != NULL ? WaitBlockArray : &Thread->WaitBlock[0], FALSE);
}

NTSTATUS NTAPI KeDelayExecutionThread(KPROCESSOR_MODE WaitMode, BOOLEAN Alertable, PLARGE_INTEGER Interval)
{
    PKTHREAD Thread = KiGetCurrentThread();
    NTSTATUS Status;
    /* Even a zero delay gives up the processor: never from a DPC or at DISPATCH_LEVEL. */
    KipCheckWaitContext(Thread, NULL, Interval, FALSE);
    Status = KipWait(Thread, 0, NULL, WaitAny, WaitMode, Alertable, Interval, &Thread->WaitBlock[0], TRUE);
    if (Interval != NULL && Interval->QuadPart == 0)
        KiSchedYield(); /* a zero delay gives up the rest of the time slice */
    return Status;
}

BOOLEAN KiAlertThread(PKTHREAD Thread, KPROCESSOR_MODE AlertMode)
{
    BOOLEAN Previous;
    KiAcquireDispatcherLock();
    Previous = Thread->Alerted;
    if (Thread->Waiting && Thread->Alertable && AlertMode <= Thread->WaitMode)
        KiUnwaitThreadLocked(Thread, STATUS_ALERTED);
    else
        Thread->Alerted = TRUE;
    KiReleaseDispatcherLock();
    return Previous;
}
