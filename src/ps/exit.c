/*
 * irpsim — thread termination (SEMANTICS 5.5, 9.8).
 *
 * Runs on the ending thread itself, at PASSIVE_LEVEL: the I/O manager
 * cancels the thread's IRPs and waits for them (IoCancelThreadIo), kernel
 * APCs still queued are delivered, the rest are run down, kernel mutexes
 * it still owns are abandoned, the thread object is signalled (waking its
 * waiters), and the thread drops the reference it held on its own object.
 */
#include "../ke/ki.h"
#include "../trace/tracep.h"

VOID PspExitThread(PKTHREAD Thread, NTSTATUS ExitStatus)
{
    PAL_ATOMIC_STORE(&Thread->Terminating, TRUE, PAL_ORDER_RELEASE);
    Thread->ExitStatus = ExitStatus;
    /* A host thread that exits holding spin locks must not leave them held. */
    KiReleaseHeldSpinLocks(Thread);
    Thread->Irql = PASSIVE_LEVEL;
    if (KiIsSystemRunning())
        IoCancelThreadIo(KiEThreadFromThread(Thread));
    KiDeliverApcs(Thread, KernelMode);
    KiRundownThread(Thread);
    TRACE_EVENT(IrpSimTraceThreadExit, Thread, ExitStatus, 0, 0);
    KiUnbindCurrentThread();
    ObDereferenceObject(Thread);
}
