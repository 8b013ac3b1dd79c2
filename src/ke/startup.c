/*
 * irpsim — the kernel's part of starting and stopping the simulated machine.
 *
 * Start-up (after pool and the object manager): the clock source, the
 * system process, one host thread per simulated processor, the clock
 * thread. Shutdown (after the I/O manager and the worker threads): threads
 * irpsim started are ended at their next wait and joined, then the
 * processors and the clock stop, armed timers and queued DPCs are
 * forgotten, the remaining thread objects and the system process are
 * released, and every host thread's cached thread object becomes stale.
 * Shutdown also works after a caught bug check left state behind.
 */
#include "ki.h"
#include "../sim/simp.h"

#include <string.h>

BOOLEAN KiVerifierEnabled = TRUE;
BOOLEAN KiShuttingDown;
static volatile LONG KipSystemRunning;

BOOLEAN KiIsSystemRunning(VOID)
{
    return PAL_ATOMIC_LOAD(&KipSystemRunning, PAL_ORDER_ACQUIRE) != 0;
}

static IRPSIM_CLOCK_MODE KipEffectiveClockMode(const IRPSIM_CONFIG *Config)
{
    const char *Value = PalGetEnvironment("IRPSIM_CLOCK");
    if (Value != NULL && strcmp(Value, "virtual") == 0)
        return IrpSimClockVirtual;
    if (Value != NULL && strcmp(Value, "real") == 0)
        return IrpSimClockReal;
    return Config->ClockMode == IrpSimClockVirtual ? IrpSimClockVirtual : IrpSimClockReal;
}

static VOID KipStopEverything(VOID)
{
    KiAcquireDispatcherLock();
    KiShuttingDown = TRUE;
    for (PLIST_ENTRY Entry = KiThreadListHead.Flink; Entry != &KiThreadListHead; Entry = Entry->Flink) {
        PKTHREAD Thread = CONTAINING_RECORD(Entry, KTHREAD, ThreadListEntry);
        if (Thread->Waiting)
            KiUnwaitThreadLocked(Thread, STATUS_KERNEL_APC);
    }
    KiReleaseDispatcherLock();

    KiJoinHostThreads(FALSE);
    KiStopProcessors();
    KiStopClock();
    PAL_ATOMIC_STORE(&KipSystemRunning, 0, PAL_ORDER_RELEASE);
    KiResetTimerHeap();
    /* Stale first: nothing may find a thread object that is being freed. */
    KiAdvanceThreadGeneration();
    KiReleaseThreadObjects();
    KiDeleteSystemProcess();
    KiSchedShutdown();

    KiAcquireDispatcherLock();
    KiShuttingDown = FALSE;
    KiReleaseDispatcherLock();
}

NTSTATUS KiInitializeSystem(const IRPSIM_CONFIG *Config)
{
    IRPSIM_CONFIG Defaults;
    NTSTATUS Status;

    if (Config == NULL) {
        IrpSimDefaultConfig(&Defaults);
        Config = &Defaults;
    }
    KiVerifierEnabled = Config->Verifier;
    KiSchedInitialize(KipEffectiveClockMode(Config));
    KiAcquireDispatcherLock();
    KiShuttingDown = FALSE;
    KiReleaseDispatcherLock();

    Status = KiCreateSystemProcess();
    if (NT_SUCCESS(Status))
        Status = KiStartProcessors(Config->ProcessorCount);
    if (NT_SUCCESS(Status))
        Status = KiStartClock(Config->AutoAdvance);
    if (!NT_SUCCESS(Status)) {
        KipStopEverything();
        return Status;
    }
    PAL_ATOMIC_STORE(&KipSystemRunning, 1, PAL_ORDER_RELEASE);
    return STATUS_SUCCESS;
}

VOID KiShutdownSystem(VOID)
{
    KipStopEverything();
}
