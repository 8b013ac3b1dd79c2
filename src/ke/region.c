/*
 * irpsim — critical and guarded regions (SEMANTICS 9.5).
 *
 * KeEnterCriticalRegion holds off normal kernel APCs for the calling
 * thread (KTHREAD.KernelApcDisable counts down, as in NT); special kernel
 * APCs — I/O completion's stage 2 — still run. KeEnterGuardedRegion holds
 * off all kernel APCs (SpecialApcDisable). Leaving the outermost region
 * delivers what was held off, if the thread is at PASSIVE_LEVEL.
 *
 * Reports: KeLeaveCriticalRegion without a matching enter 0xC4/0x3E; either
 * critical-region call above APC_LEVEL 0xC4/0x11A (enter) / 0x11B (leave);
 * KeLeaveGuardedRegion without a matching enter 0xC4/0x4000E (the DDI rule
 * GuardedRegions; P2 the rule name).
 */
#include "ki.h"
#include "../verifier/vf.h"

#define KIP_DDI_GUARDED_REGIONS 0x4000E
static const CHAR KipRuleGuardedRegions[] = "GuardedRegions";

VOID NTAPI KeEnterCriticalRegion(VOID)
{
    PKTHREAD Thread = KiGetCurrentThread();
    if (Thread->Irql > APC_LEVEL)
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x11A, Thread->Irql, 0, 0, NULL,
                   "KeEnterCriticalRegion was called above APC_LEVEL.",
                   "Enter critical regions at PASSIVE_LEVEL or APC_LEVEL.");
    Thread->KernelApcDisable--;
}

VOID KiLeaveCriticalRegionThread(PKTHREAD Thread)
{
    Thread->KernelApcDisable++;
    if (Thread->KernelApcDisable == 0 && Thread->SpecialApcDisable == 0 && Thread->Irql == PASSIVE_LEVEL &&
        PAL_ATOMIC_LOAD(&Thread->KernelApcPending, PAL_ORDER_ACQUIRE))
        KiDeliverApcs(Thread, KernelMode);
}

VOID NTAPI KeLeaveCriticalRegion(VOID)
{
    PKTHREAD Thread = KiGetCurrentThread();
    if (Thread->Irql > APC_LEVEL)
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x11B, Thread->Irql, 0, 0, NULL,
                   "KeLeaveCriticalRegion was called above APC_LEVEL.",
                   "Leave critical regions at PASSIVE_LEVEL or APC_LEVEL.");
    if (Thread->KernelApcDisable >= 0)
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x3E, 0, 0, 0, NULL, NULL, NULL);
    KiLeaveCriticalRegionThread(Thread);
}

VOID NTAPI KeEnterGuardedRegion(VOID)
{
    KiGetCurrentThread()->SpecialApcDisable--;
}

VOID NTAPI KeLeaveGuardedRegion(VOID)
{
    PKTHREAD Thread = KiGetCurrentThread();
    if (Thread->SpecialApcDisable >= 0)
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KIP_DDI_GUARDED_REGIONS, (ULONG_PTR)KipRuleGuardedRegions, 0, 0,
                   NULL, "KeLeaveGuardedRegion was called without a matching KeEnterGuardedRegion.",
                   "Pair every KeLeaveGuardedRegion with an earlier KeEnterGuardedRegion on the same thread.");
    Thread->SpecialApcDisable++;
    if (Thread->SpecialApcDisable == 0 && Thread->Irql == PASSIVE_LEVEL &&
        PAL_ATOMIC_LOAD(&Thread->KernelApcPending, PAL_ORDER_ACQUIRE))
        KiDeliverApcs(Thread, KernelMode);
}

BOOLEAN NTAPI KeAreApcsDisabled(VOID)
{
    PKTHREAD Thread = KiGetCurrentThread();
    return Thread->KernelApcDisable != 0 || Thread->SpecialApcDisable != 0;
}

BOOLEAN NTAPI KeAreAllApcsDisabled(VOID)
{
    PKTHREAD Thread = KiGetCurrentThread();
    return Thread->SpecialApcDisable != 0 || Thread->Irql >= APC_LEVEL;
}
