/*
 * irpsim — the scheduler's part in caught bug checks (see bugcheck.c).
 *
 * When a bug check unwinds to a catch frame, the thread's kernel state is
 * put back: IRQL to the frame's level, the spin locks it holds released
 * (so other threads do not spin forever), critical and guarded regions
 * left (apart from the critical region of each kernel mutex it still owns),
 * and its driver context cleared.
 *
 * A thread irpsim started that crashes while a test waits for the bug check
 * on another thread is ended through its exit frame: a system or worker
 * thread runs thread exit; a processor thread abandons only the DPC routine
 * that crashed and goes on with its queue.
 */
#include "ki.h"

VOID KiResetThreadAfterBugCheck(PKTHREAD Thread, KIRQL Irql)
{
    SHORT MutexRegions = 0;
    if (Thread == NULL)
        return;
    KiReleaseHeldSpinLocks(Thread);
    KiAcquireDispatcherLock();
    for (PLIST_ENTRY Entry = Thread->MutantListHead.Flink; Entry != &Thread->MutantListHead; Entry = Entry->Flink) {
        if (CONTAINING_RECORD(Entry, KMUTANT, MutantListEntry)->ApcDisable != 0)
            MutexRegions++;
    }
    KiReleaseDispatcherLock();
    Thread->Irql = Irql;
    Thread->KernelApcDisable = (SHORT)-MutexRegions;
    Thread->SpecialApcDisable = 0;
    Thread->KernelApcInProgress = FALSE;
    Thread->CurrentDriver = NULL;
}

VOID KiTerminateCrashedThread(PKTHREAD Thread)
{
    if (Thread != NULL && Thread->ExitFrameArmed) {
        Thread->ExitStatus = STATUS_UNSUCCESSFUL;
        longjmp(Thread->ExitFrame, 1);
    }
    KiSchedExitHostThread();
}
