/*
 * irpsim — kernel semaphores (SEMANTICS 9.4).
 *
 * The count is the signal state: a satisfied wait takes one, KeReleaseSemaphore
 * adds Adjustment and returns the count before. Taking the count above the
 * limit (or a negative adjustment) raises STATUS_SEMAPHORE_LIMIT_EXCEEDED,
 * as Windows does, and leaves the semaphore unchanged.
 */
#include "ki.h"
#include "../verifier/vf.h"
#include "../trace/tracep.h"

static const CHAR KipSemaphoreRule[] =
    "A KSEMAPHORE was used that was never initialised with KeInitializeSemaphore (or the memory is not a "
    "KSEMAPHORE: freed, copied by value, or another kind of object).";

static VOID KipCheckSemaphore(PRKSEMAPHORE Semaphore)
{
    KiCheckDispatcherObject(Semaphore, KI_TYPE_BIT(SemaphoreObject), KipSemaphoreRule,
                            "Call KeInitializeSemaphore on the semaphore before using or waiting on it.");
}

VOID NTAPI KeInitializeSemaphore(PRKSEMAPHORE Semaphore, LONG Count, LONG Limit)
{
    KiInitializeDispatcherHeader(&Semaphore->Header, SemaphoreObject, (UCHAR)(sizeof(KSEMAPHORE) / sizeof(LONG)),
                                 Count);
    Semaphore->Limit = Limit;
}

LONG NTAPI KeReleaseSemaphore(PRKSEMAPHORE Semaphore, KPRIORITY Increment, LONG Adjustment, BOOLEAN Wait)
{
    LONG Previous;
    LONG Limit;
    LONGLONG Next;

    UNREFERENCED_PARAMETER(Increment);
    UNREFERENCED_PARAMETER(Wait);
    KipCheckSemaphore(Semaphore);
    IRPSIM_SCHED_POINT(KI_SCHED_POINT_DISPATCHER, Semaphore);
    KiAcquireDispatcherLock();
    Previous = Semaphore->Header.SignalState;
    Next = (LONGLONG)Previous + Adjustment;
    if (Adjustment < 0 || Next > Semaphore->Limit) {
        KiReleaseDispatcherLock();
        ExRaiseStatus(STATUS_SEMAPHORE_LIMIT_EXCEEDED);
    }
    Semaphore->Header.SignalState = (LONG)Next;
    Limit = Semaphore->Limit; /* a waiter released now may free the semaphore */
    if (Previous == 0 && Next > 0)
        KiWaitTestLocked(&Semaphore->Header);
    KiReleaseDispatcherLock();
    TRACE_EVENT(IrpSimTraceSemaphoreReleased, Semaphore, Previous, Adjustment, Limit);
    return Previous;
}

LONG NTAPI KeReadStateSemaphore(PRKSEMAPHORE Semaphore)
{
    LONG State;
    KipCheckSemaphore(Semaphore);
    KiAcquireDispatcherLock();
    State = Semaphore->Header.SignalState;
    KiReleaseDispatcherLock();
    return State;
}
