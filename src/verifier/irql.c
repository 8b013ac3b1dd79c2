/*
 * irpsim — the IRQL limit of a routine (SEMANTICS.md 9.1: "each
 * IRQL-restricted routine states its limit; calling above it is a
 * violation").
 *
 * Reported as bug check 0x121 DRIVER_VIOLATION with P1 = 2, "a driver has
 * called a function at a greater IRQL than the function can be called
 * at" (P2 current IRQL, P3 the limit). Windows leaves P4 reserved; irpsim
 * puts the routine's name there so the report can say which one.
 */
#include "vfp.h"
#include "../ke/ki.h"

#include <stdio.h>

static PCSTR VfpIrqlName(KIRQL Irql)
{
    switch (Irql) {
    case PASSIVE_LEVEL:
        return "PASSIVE_LEVEL";
    case APC_LEVEL:
        return "APC_LEVEL";
    case DISPATCH_LEVEL:
        return "DISPATCH_LEVEL";
    default:
        return "above DISPATCH_LEVEL";
    }
}

VOID VfCheckIrql(PCSTR Routine, KIRQL MaxIrql)
{
    static IRPSIM_THREAD_LOCAL CHAR Rule[320];
    static IRPSIM_THREAD_LOCAL CHAR Hint[320];
    PKTHREAD Thread = KiGetCurrentThreadIfAny();
    KIRQL Irql = Thread != NULL ? Thread->Irql : PASSIVE_LEVEL;

    if (Irql <= MaxIrql || !VfRuleEnabled(IRPSIM_VERIFIER_IRQL))
        return;
    snprintf(Rule, sizeof(Rule), "%s was called at IRQL %u (%s); it may only be called at %s%s.", Routine, Irql,
             VfpIrqlName(Irql), MaxIrql == PASSIVE_LEVEL ? "" : "IRQL <= ", VfpIrqlName(MaxIrql));
    snprintf(Hint, sizeof(Hint),
             "Call %s before raising the IRQL or acquiring a spin lock%s, or defer the work to a work item "
             "(IoQueueWorkItem), which runs at PASSIVE_LEVEL.",
             Routine,
             MaxIrql < DISPATCH_LEVEL ? " or fast mutex, and not from a DPC, timer or completion routine" : "");
    VfReport(VF_DRIVER_VIOLATION, VF_DRIVER_VIOLATION_IRQL_TOO_HIGH, Irql, MaxIrql, (ULONG_PTR)Routine, NULL, Rule,
             Hint);
}
