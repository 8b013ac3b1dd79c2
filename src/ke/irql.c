/*
 * irpsim — IRQL (SEMANTICS 9.1).
 *
 * IRQL is per simulated thread (KTHREAD.Irql). Raising does not stop
 * other host threads, but every rule is checked:
 *   - KeRaiseIrql to a level below the current one (or above HIGH_LEVEL):
 *     with the verifier on (the default) 0xC4/0x30 (P2 current, P3
 *     requested); with it off 0x9 IRQL_NOT_GREATER_OR_EQUAL (P1 current,
 *     P2 requested), as a checked HAL reports it;
 *   - KeLowerIrql to a level above the current one: verifier 0xC4/0x31
 *     (P2 current, P3 requested, P4 0); without it 0xA IRQL_NOT_LESS_OR_EQUAL
 *     (P1 current, P2 requested). Windows x64 free builds do not check these
 *     at all (SEMANTICS B.18); a simulator always should;
 *   - lowering below DISPATCH_LEVEL inside a DPC routine: 0xC4/0x31 with
 *     P4 = 1, verifier or not (nothing else would catch it at the call).
 * Dropping below APC_LEVEL delivers the kernel APCs queued to the thread.
 * DPCs run on their processor's own thread, so dropping below
 * DISPATCH_LEVEL has nothing to run.
 */
#include "ki.h"
#include "../verifier/vf.h"

static VOID KipBadRaise(KIRQL Current, KIRQL Requested)
{
    if (KiVerifierEnabled)
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x30, Current, Requested, 0, NULL, NULL, NULL);
    VfBugCheck(IRQL_NOT_GREATER_OR_EQUAL, Current, Requested, 0, 0, NULL, NULL, NULL);
}

KIRQL NTAPI KiRaiseIrqlReturnOld(KIRQL NewIrql)
{
    PKTHREAD Thread = KiGetCurrentThread();
    KIRQL Current = Thread->Irql;
    if (NewIrql < Current || NewIrql > HIGH_LEVEL)
        KipBadRaise(Current, NewIrql);
    Thread->Irql = NewIrql;
    return Current;
}

VOID NTAPI KeRaiseIrql(KIRQL NewIrql, PKIRQL OldIrql)
{
    *OldIrql = KiRaiseIrqlReturnOld(NewIrql);
}

KIRQL NTAPI KeRaiseIrqlToDpcLevel(VOID)
{
    return KiRaiseIrqlReturnOld(DISPATCH_LEVEL);
}

KIRQL NTAPI KeRaiseIrqlToSynchLevel(VOID)
{
    return KiRaiseIrqlReturnOld(SYNCH_LEVEL);
}

VOID NTAPI KeLowerIrql(KIRQL NewIrql)
{
    PKTHREAD Thread = KiGetCurrentThread();
    KIRQL Current = Thread->Irql;
    if (NewIrql > Current) {
        if (KiVerifierEnabled)
            VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x31, Current, NewIrql, 0, NULL, NULL, NULL);
        VfBugCheck(IRQL_NOT_LESS_OR_EQUAL, Current, NewIrql, 0, 0, NULL, NULL, NULL);
    }
    if (Thread->InDpc && NewIrql < DISPATCH_LEVEL)
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x31, Current, NewIrql, 1, NULL,
                   "KeLowerIrql lowered the IRQL below DISPATCH_LEVEL inside a DPC routine. DPC routines run at "
                   "DISPATCH_LEVEL and must return there.",
                   "Only lower to the value your own KeRaiseIrql saved; never below DISPATCH_LEVEL in a DPC.");
    Thread->Irql = NewIrql;
    if (Current >= APC_LEVEL && NewIrql < APC_LEVEL)
        KiLowerIrqlHook(Thread, Current, NewIrql);
}

KIRQL NTAPI KeGetCurrentIrql(VOID)
{
    return KiGetCurrentThread()->Irql;
}

VOID NTAPI IrpSimPagedCodeCheck(PCSTR Function, PCSTR File, ULONG Line)
{
    PKTHREAD Thread = KiGetCurrentThread();
    UNREFERENCED_PARAMETER(File);
    if (Thread->Irql > APC_LEVEL)
        VfBugCheck(DRIVER_IRQL_NOT_LESS_OR_EQUAL, (ULONG_PTR)Function, Thread->Irql, 8, Line, NULL,
                   "PAGED_CODE() ran above APC_LEVEL: the function (P1 is its name, P4 the line) is marked "
                   "pageable, and pageable code must not run at DISPATCH_LEVEL or above (it may be paged out).",
                   "Do not mark code pageable (#pragma alloc_text(PAGE, ...) / PAGED_CODE()) if it can run at "
                   "DISPATCH_LEVEL, e.g. with a spin lock held or from a DPC or completion routine.");
}
