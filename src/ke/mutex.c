/*
 * irpsim — kernel mutexes (KMUTEX; SEMANTICS 9.4).
 *
 * SignalState is 1 when free and 1 - n while the owner holds it n times.
 * The thread whose wait takes a free mutex becomes its owner and enters a
 * critical region (normal kernel APCs off) until its last release; the
 * owner's further waits on it succeed at once (recursion). KeReleaseMutex
 * returns SignalState before the release (-9 for a mutex held 10 times).
 *
 * Releasing a mutex the caller does not own is bug check 0x11
 * THREAD_NOT_MUTEX_OWNER (P1 mutex, P2 owner, P3 caller). A thread that
 * ends owning mutexes abandons them: each becomes free and the next wait
 * that takes it returns STATUS_ABANDONED_WAIT_0 + i.
 */
#include "ki.h"
#include "../verifier/vf.h"
#include "../trace/tracep.h"

static const CHAR KipMutexRule[] =
    "A KMUTEX was used that was never initialised with KeInitializeMutex (or the memory is not a KMUTEX: freed, "
    "copied by value, or another kind of object).";

static VOID KipCheckMutex(PRKMUTEX Mutex)
{
    KiCheckDispatcherObject(Mutex, KI_TYPE_BIT(MutantObject), KipMutexRule,
                            "Call KeInitializeMutex on the mutex before using or waiting on it.");
}

VOID NTAPI KeInitializeMutex(PRKMUTEX Mutex, ULONG Level)
{
    UNREFERENCED_PARAMETER(Level); /* ignored, as on Windows */
    KiInitializeDispatcherHeader(&Mutex->Header, MutantObject, (UCHAR)(sizeof(KMUTEX) / sizeof(LONG)), 1);
    InitializeListHead(&Mutex->MutantListEntry);
    Mutex->OwnerThread = NULL;
    Mutex->Abandoned = FALSE;
    Mutex->ApcDisable = 1;
}

LONG NTAPI KeReleaseMutex(PRKMUTEX Mutex, BOOLEAN Wait)
{
    PKTHREAD Thread = KiGetCurrentThread();
    PKTHREAD Owner;
    LONG Previous;
    BOOLEAN Freed = FALSE;
    BOOLEAN LeaveRegion;

    UNREFERENCED_PARAMETER(Wait);
    KipCheckMutex(Mutex);
    IRPSIM_SCHED_POINT(KI_SCHED_POINT_DISPATCHER, Mutex);
    KiAcquireDispatcherLock();
    Owner = Mutex->OwnerThread;
    if (Owner != Thread) {
        KiReleaseDispatcherLock();
        VfBugCheck(THREAD_NOT_MUTEX_OWNER, (ULONG_PTR)Mutex, (ULONG_PTR)Owner, (ULONG_PTR)Thread, 0, NULL,
                   Owner == NULL ? "KeReleaseMutex was called on a mutex that nobody owns (released more often "
                                   "than it was acquired)."
                                 : "KeReleaseMutex was called by a thread that does not own the mutex.",
                   "Only the thread whose wait acquired the mutex may release it, once per acquisition.");
    }
    Previous = Mutex->Header.SignalState;
    Mutex->Header.SignalState = Previous + 1;
    if (Mutex->Header.SignalState == 1) {
        RemoveEntryList(&Mutex->MutantListEntry);
        InitializeListHead(&Mutex->MutantListEntry);
        Mutex->OwnerThread = NULL;
        Freed = TRUE;
        KiWaitTestLocked(&Mutex->Header);
    }
    LeaveRegion = Freed && Mutex->ApcDisable != 0;
    KiReleaseDispatcherLock();
    TRACE_EVENT(IrpSimTraceMutexReleased, Mutex, Previous, Freed, 0);
    if (LeaveRegion)
        KiLeaveCriticalRegionThread(Thread);
    return Previous;
}

LONG NTAPI KeReadStateMutex(PRKMUTEX Mutex)
{
    LONG State;
    KipCheckMutex(Mutex);
    KiAcquireDispatcherLock();
    State = Mutex->Header.SignalState;
    KiReleaseDispatcherLock();
    return State;
}
