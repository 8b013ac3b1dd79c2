/*
 * irpsim — the verifier's rule table: for each report a check can make,
 * the rule class that switches it and how serious it is.
 *
 * Severities follow SEMANTICS.md 10.4 (Driver Verifier's own marking)
 * except where noted. The texts (rule, hint, parameter meanings) live in
 * bugcodes.c with the rest of the bug-check texts.
 */
#include "vf.h"

/* A table entry with this subcode matches any P1 (codes without subcodes). */
#define VFP_ANY ((ULONG_PTR)-1)

#define C4 DRIVER_VERIFIER_DETECTED_VIOLATION
#define C9 DRIVER_VERIFIER_IOMANAGER_VIOLATION

static const VF_RULE VfpRules[] = {
    /* IRP life cycle. */
    {C9, 0x06, IRPSIM_VERIFIER_IRP_STATE, IrpSimVerifierFatal},  /* completed with STATUS_PENDING / -1 */
    {C9, 0x07, IRPSIM_VERIFIER_IRP_STATE, IrpSimVerifierFatal},  /* completed with a cancel routine set */
    {C9, 0x203, IRPSIM_VERIFIER_IRP_STATE, IrpSimVerifierFatal}, /* sent with a cancel routine set */
    {C9, 0x08, IRPSIM_VERIFIER_IRP_STATE, IrpSimVerifierFatal},  /* bad buffer to IoBuildAsynchronousFsdRequest */
    {C9, 0x09, IRPSIM_VERIFIER_IRP_STATE, IrpSimVerifierFatal},  /* bad buffer to IoBuildDeviceIoControlRequest */
    /* SEMANTICS calls 0x208 fatal; irpsim reports it as a warning because
       the real failure (0x35 NO_MORE_IRP_STACK_LOCATIONS) follows anyway. */
    {C9, 0x208, IRPSIM_VERIFIER_IRP_STATE, IrpSimVerifierWarning},
    {C9, 0x20A, IRPSIM_VERIFIER_IRP_STATE, IrpSimVerifierFatal},    /* IoFreeIrp while in use or queued */
    {C9, 0x20D, IRPSIM_VERIFIER_IRP_STATE, IrpSimVerifierFatal},    /* IoInitializeIrp on an IoAllocateIrp IRP */
    {C9, 0x21C, IRPSIM_VERIFIER_IRP_STATE, IrpSimVerifierWarning},  /* copied a location without a routine */
    {C9, 0x239, IRPSIM_VERIFIER_IRP_STATE, IrpSimVerifierWarning},  /* completed an IRP never sent */
    {C9, 0x310, IRPSIM_VERIFIER_IRP_STATE, IrpSimVerifierNonFatal}, /* reused while in use */
    {C9, 0x311, IRPSIM_VERIFIER_IRP_STATE, IrpSimVerifierNonFatal}, /* reused an IRP the I/O manager owns */
    {C9, 0x312, IRPSIM_VERIFIER_IRP_STATE, IrpSimVerifierNonFatal}, /* Information beyond the buffer */
    /* Windows hands such memory to ExFreePool (SEMANTICS 1.6.5): a warning
       of SDV's IoAllocateFree rule, not a stop. */
    {C9, VF_C9_FREE_NOT_IO_ALLOCATED, IRPSIM_VERIFIER_IRP_STATE, IrpSimVerifierWarning},
    /* The STATUS_PENDING contract and the returned status (4.3, 4.4). */
    {C9, 0x224, IRPSIM_VERIFIER_PENDING, IrpSimVerifierFatal},
    {C9, 0x225, IRPSIM_VERIFIER_PENDING, IrpSimVerifierNonFatal},
    {C9, 0x226, IRPSIM_VERIFIER_PENDING, IrpSimVerifierFatal},
    {C9, 0x228, IRPSIM_VERIFIER_PENDING, IrpSimVerifierNonFatal},
    {C9, 0x23D, IRPSIM_VERIFIER_PENDING, IrpSimVerifierNonFatal},
    {C9, 0x23E, IRPSIM_VERIFIER_PENDING, IrpSimVerifierNonFatal},
    {C9, 0x307, IRPSIM_VERIFIER_PENDING, IrpSimVerifierNonFatal},
    /* IRQL. */
    {C9, 0x05, IRPSIM_VERIFIER_IRQL, IrpSimVerifierFatal},
    {C9, 0x0E, IRPSIM_VERIFIER_IRQL, IrpSimVerifierFatal},
    {C9, 0x10, IRPSIM_VERIFIER_IRQL, IrpSimVerifierFatal},
    {C4, VF_C4_COMPLETION_IRQL, IRPSIM_VERIFIER_IRQL, IrpSimVerifierFatal},
    {C4, VF_C4_CANCEL_IRQL, IRPSIM_VERIFIER_IRQL, IrpSimVerifierFatal},
    {VF_DRIVER_VIOLATION, VF_DRIVER_VIOLATION_IRQL_TOO_HIGH, IRPSIM_VERIFIER_IRQL, IrpSimVerifierFatal},
    /* Locks and critical regions held across a return. */
    {C4, VF_C4_DISPATCH_APC_DISABLE, IRPSIM_VERIFIER_LOCKS, IrpSimVerifierFatal},
    {C4, VF_C4_COMPLETION_APC_DISABLE, IRPSIM_VERIFIER_LOCKS, IrpSimVerifierFatal},
    {C4, VF_C4_DISPATCH_HOLDS_LOCK, IRPSIM_VERIFIER_LOCKS, IrpSimVerifierFatal},
    {C4, VF_C4_COMPLETION_HOLDS_LOCK, IRPSIM_VERIFIER_LOCKS, IrpSimVerifierFatal},
    {C4, VF_C4_CANCEL_HOLDS_LOCK, IRPSIM_VERIFIER_LOCKS, IrpSimVerifierFatal},
    /* Kernel objects in memory being freed. */
    {TIMER_OR_DPC_INVALID, VF_C7_TIMER, IRPSIM_VERIFIER_OBJECTS, IrpSimVerifierFatal},
    {TIMER_OR_DPC_INVALID, VF_C7_DPC, IRPSIM_VERIFIER_OBJECTS, IrpSimVerifierFatal},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, VF_C4_FREED_ACTIVE_RESOURCE, IRPSIM_VERIFIER_OBJECTS, IrpSimVerifierFatal},
    /* Pool. */
    {C4, 0x00, IRPSIM_VERIFIER_POOL, IrpSimVerifierFatal},
    {C4, 0x01, IRPSIM_VERIFIER_POOL, IrpSimVerifierFatal},
    {C4, 0x02, IRPSIM_VERIFIER_POOL, IrpSimVerifierFatal},
    {C4, 0x11, IRPSIM_VERIFIER_POOL, IrpSimVerifierFatal},
    {C4, 0x12, IRPSIM_VERIFIER_POOL, IrpSimVerifierFatal},
    /* Windows stops here (pool tracking); irpsim continues by default so
       that one run lists every leak. IRPSIM_VERIFIER_NONFATAL=stop stops. */
    {C4, VF_C4_UNLOAD_POOL, IRPSIM_VERIFIER_POOL, IrpSimVerifierNonFatal},
    /* Unload. */
    {DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS, VFP_ANY, IRPSIM_VERIFIER_UNLOAD, IrpSimVerifierFatal},
    {C4, VF_C4_UNLOAD_REFERENCED_WORK, IRPSIM_VERIFIER_UNLOAD, IrpSimVerifierWarning},
    {C4, VF_C4_UNLOAD_LEAKS, IRPSIM_VERIFIER_UNLOAD, IrpSimVerifierNonFatal},
};

const VF_RULE *VfFindRule(ULONG Code, ULONG_PTR P1)
{
    for (SIZE_T i = 0; i < RTL_NUMBER_OF(VfpRules); i++) {
        if (VfpRules[i].Code == Code && (VfpRules[i].SubCode == P1 || VfpRules[i].SubCode == VFP_ANY))
            return &VfpRules[i];
    }
    return NULL;
}
