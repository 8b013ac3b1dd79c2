/*
 * irpsim — DbgBreakPoint and DbgBreakPointWithStatus.
 *
 * On Windows a breakpoint with no kernel debugger attached is ignored (and
 * with one attached, stops the machine until the debugger resumes it). irpsim
 * reports where it was hit — the caller's address, the thread and its IRQL,
 * since no file or line is available — and continues, as if a debugger had
 * resumed at once. With IRPSIM_CONFIG.BreakOnDbgBreakPoint the process stops
 * instead (abort), so a host debugger attached to the test catches it there.
 */
#include "rtlp.h"
#include "../platform/pal.h"
#include "../sim/simp.h"

static VOID RtlpBreak(PVOID Caller, BOOLEAN HasStatus, ULONG Status)
{
    /* Thread and IRQL exist only while the simulated machine runs. */
    BOOLEAN Running = IrpSimIsInitialized();
    PKTHREAD Thread = Running ? KeGetCurrentThread() : NULL;
    KIRQL Irql = Running ? KeGetCurrentIrql() : PASSIVE_LEVEL;

    if (HasStatus)
        RtlpDebugPrintf("\n*** irpsim: DbgBreakPointWithStatus(0x%08X) hit, called from %p (thread %p, IRQL %u)\n",
                        Status, Caller, (PVOID)Thread, (ULONG)Irql);
    else
        RtlpDebugPrintf("\n*** irpsim: DbgBreakPoint hit, called from %p (thread %p, IRQL %u)\n", Caller, (PVOID)Thread,
                        (ULONG)Irql);

    if (IrpSimpConfig.BreakOnDbgBreakPoint) {
        RtlpDebugPrintf("*** irpsim: BreakOnDbgBreakPoint is set: stopping the process here.\n");
        PalAbort();
    }
    RtlpDebugPrintf("*** irpsim: no debugger to break into; continuing.\n");
}

VOID NTAPI DbgBreakPoint(VOID)
{
    RtlpBreak(PAL_RETURN_ADDRESS(), FALSE, 0);
}

VOID NTAPI DbgBreakPointWithStatus(ULONG Status)
{
    RtlpBreak(PAL_RETURN_ADDRESS(), TRUE, Status);
}
