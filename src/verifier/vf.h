/*
 * irpsim — verifier and bug-check internals (Vf*).
 *
 * VfBugCheck is what every component calls to stop the machine: it takes
 * the four Windows parameters plus the explanation irpsim adds (the rule
 * in plain words, the IRP involved, a hint). KeBugCheckEx is the same thing
 * without the extras, for drivers.
 *
 * VfReport is the verifier's door: a check that Driver Verifier makes (as
 * opposed to one Windows makes without it) calls VfReport with the same
 * arguments. The rule table (rules.c) says which rule class the report
 * belongs to and whether it is fatal; VfReport drops it when the class is
 * switched off, stops the machine (VfBugCheck) when it is fatal or the test
 * asked non-fatal reports to stop, and otherwise records, prints (once),
 * traces it and returns.
 *
 * Neither may be called while holding a host (PAL) mutex.
 */
#ifndef IRPSIM_VF_H
#define IRPSIM_VF_H

#include <irpsim/irpsim.h>

#include "../platform/pal_compiler.h"

/* Stops the machine with a full report. Rule and Hint may be NULL (the
   table's text for Code is used); Irp may be NULL. Never call it while
   holding a host (PAL) mutex. */
DECLSPEC_NORETURN VOID VfBugCheck(ULONG Code, ULONG_PTR P1, ULONG_PTR P2, ULONG_PTR P3, ULONG_PTR P4, PIRP Irp,
                                  PCSTR Rule, PCSTR Hint);

/* Reports a call to a routine irpsim does not simulate (bug check
   IRPSIM_NOT_SIMULATED, P1 = the routine's name). */
DECLSPEC_NORETURN VOID VfNotSimulated(PCSTR RoutineName, PCSTR Why);

/* Text tables (bugcodes.c). */
PCSTR VfBugCheckName(ULONG Code);
PCSTR VfBugCheckRule(ULONG Code, ULONG_PTR P1);
PCSTR VfBugCheckHint(ULONG Code, ULONG_PTR P1);
/* What parameter Index (0..3) means for Code (and P1 for the 0xC2/0xC4/0xC9 families). */
PCSTR VfBugCheckParameterMeaning(ULONG Code, ULONG_PTR P1, ULONG Index);

/* Formats Irp like WinDbg's !irp into Buffer (implemented by the I/O
   manager, which knows whether the IRP is still alive). Returns the length
   written. */
SIZE_T IopFormatIrp(PIRP Irp, PCHAR Buffer, SIZE_T BufferSize);

/* ---------------------------------------------------------------------
 * Codes irpsim adds to Windows' families (bugcodes.h does not name them).
 * 0xC4/0x15xx and 0xC9/0x16xx are irpsim's own subcodes; the rest are
 * Microsoft's.
 * ------------------------------------------------------------------- */

#define VF_DRIVER_VIOLATION               0x00000121 /* DRIVER_VIOLATION: P1 2 = called above its maximum IRQL */
#define VF_DRIVER_VIOLATION_IRQL_TOO_HIGH 0x2

/* 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION */
#define VF_C4_DISPATCH_APC_DISABLE   0xC5   /* P2 dispatch routine, P3 count now, P4 count before */
#define VF_C4_COMPLETION_IRQL        0xFA   /* P2 completion routine, P3 IRQL before, P4 IRQL after */
#define VF_C4_COMPLETION_APC_DISABLE 0xFB   /* P2 completion routine, P3 count now, P4 count before */
#define VF_C4_UNLOAD_POOL            0x62   /* P2 driver name (PCSTR), P3 bytes, P4 blocks */
#define VF_C4_FREED_ACTIVE_RESOURCE  0xD2   /* P2 the ERESOURCE, P3 the memory freed, P4 its size */
#define VF_C4_DISPATCH_HOLDS_LOCK    0x1510 /* P2 dispatch routine, P3 lock, P4 device */
#define VF_C4_COMPLETION_HOLDS_LOCK  0x1511 /* P2 completion routine, P3 lock, P4 IRP */
#define VF_C4_CANCEL_IRQL            0x1512 /* P2 cancel routine, P3 IRQL expected, P4 IRQL after */
#define VF_C4_CANCEL_HOLDS_LOCK      0x1513 /* P2 cancel routine, P3 lock, P4 IRP */
#define VF_C4_UNLOAD_REFERENCED_WORK 0x1515 /* P2 driver name (PCSTR), P3 I/O work items, P4 threads */
#define VF_C4_UNLOAD_LEAKS           0x1516 /* P2 driver name (PCSTR), P3 devices, P4 IRPs + MDLs */

/* 0xC9 DRIVER_VERIFIER_IOMANAGER_VIOLATION */
#define VF_C9_FREE_NOT_IO_ALLOCATED 0x1600 /* P2 code address, P3 IRP, P4 origin (IRPSIM_IRP_ORIGIN) */

/* 0xC7 TIMER_OR_DPC_INVALID first parameters. */
#define VF_C7_TIMER 0
#define VF_C7_DPC   1

/* ---------------------------------------------------------------------
 * Configuration (config.c)
 * ------------------------------------------------------------------- */

/* Called by IrpSimInitialize before anything else starts: applies
   IRPSIM_VERIFIER (which may switch Config->Verifier), IRPSIM_VERIFIER_NONFATAL
   and IRPSIM_LOW_RESOURCES, resets the reports and the counters. */
VOID VfInitialize(PIRPSIM_CONFIG Config);
/* Called last by IrpSimShutdown (the reports stay readable afterwards). */
VOID VfShutdown(VOID);

/* TRUE if the verifier is on (IRPSIM_CONFIG.Verifier) and every class in
   Classes (IRPSIM_VERIFIER_*) is switched on. */
BOOLEAN VfRuleEnabled(ULONG Classes);
/* TRUE if non-fatal reports stop the machine. */
BOOLEAN VfNonFatalStops(VOID);
/* The class names of IRPSIM_VERIFIER_* bits ("irp-state"). */
PCSTR VfClassName(ULONG Class);

/* ---------------------------------------------------------------------
 * Rules and reports (rules.c, report.c)
 * ------------------------------------------------------------------- */

typedef struct _VF_RULE {
    ULONG Code;
    ULONG_PTR SubCode; /* P1 of the 0xC4/0xC7/0xC9/0x121 families, else 0 */
    ULONG Class;       /* IRPSIM_VERIFIER_* */
    IRPSIM_VERIFIER_SEVERITY Severity;
} VF_RULE;

/* The rule behind (Code, P1); NULL if the table does not know it (such a
   report is treated as fatal and always on). */
const VF_RULE *VfFindRule(ULONG Code, ULONG_PTR P1);

/* A verifier check failed. Returns only when the report is non-fatal and
   the test lets non-fatal reports continue, or when the rule's class is
   off. Irp may be NULL (and must be NULL if the IRP may already be freed
   by another thread). Rule and Hint may be NULL (the table's text). */
VOID VfReport(ULONG Code, ULONG_PTR P1, ULONG_PTR P2, ULONG_PTR P3, ULONG_PTR P4, PIRP Irp, PCSTR Rule, PCSTR Hint);

/* TRUE while IrpSimShutdown unloads the drivers still loaded: unload and
   pool reports are then printed and recorded, never raised. */
VOID VfSetShutdownPhase(BOOLEAN ShuttingDown);

/* Writes the one-paragraph summary of the non-fatal reports made since
   start-up (nothing if there were none). */
VOID VfWriteReportSummary(FILE *Stream);

/* ---------------------------------------------------------------------
 * IRQL limits of routines (irql.c)
 * ------------------------------------------------------------------- */

/* Bug check 0x121 DRIVER_VIOLATION (P1 2, P2 current IRQL, P3 MaxIrql,
   P4 Routine) when the caller runs above MaxIrql. For every routine with
   a documented IRQL limit: call it first thing, e.g.
       VfCheckIrql("IoBuildSynchronousFsdRequest", PASSIVE_LEVEL);
   Routine must be a string literal (it is kept in reports). */
VOID VfCheckIrql(PCSTR Routine, KIRQL MaxIrql);

/* ---------------------------------------------------------------------
 * Low-resources simulation (lowres.c)
 * ------------------------------------------------------------------- */

/* What an allocation entry point allocates (IRPSIM_LOW_RESOURCES_*). */
typedef enum _VF_ALLOCATION_KIND {
    VfAllocatePool = IRPSIM_LOW_RESOURCES_POOL,
    VfAllocateIrp = IRPSIM_LOW_RESOURCES_IRP,
    VfAllocateMdl = IRPSIM_LOW_RESOURCES_MDL,
    VfAllocateWorkItem = IRPSIM_LOW_RESOURCES_WORKITEM,
    VfAllocateLookaside = IRPSIM_LOW_RESOURCES_LOOKASIDE,
} VF_ALLOCATION_KIND;

/* Asked by every allocation entry point before it allocates: TRUE means
   "fail this one" (it was counted and traced). Only allocations made while
   driver code runs (KiCurrentDriver() != NULL) can fail. Routine is the
   name of the entry point, for the trace. */
BOOLEAN VfInjectFailure(VF_ALLOCATION_KIND Kind, ULONG Tag, SIZE_T Size, PCSTR Routine);
/* FALSE while no low-resources simulation is configured (VfInjectFailure
   then always says no): lets a hot entry point skip building the call. */
extern volatile LONG VfLowResourcesActive;
FORCEINLINE BOOLEAN VfLowResourcesArmed(VOID)
{
    return PAL_ATOMIC_LOAD(&VfLowResourcesActive, PAL_ORDER_RELAXED) != 0;
}
/* Brackets the allocations an entry point makes for itself after it asked
   VfInjectFailure, so that one request is one decision (IoAllocateMdl's
   pool block, a lookaside list's refill). Per thread, nests. */
VOID VfSuppressInjection(VOID);
VOID VfResumeInjection(VOID);

/* ---------------------------------------------------------------------
 * Armed timers, queued DPCs and live ERESOURCEs, by address (active.c)
 *
 * The kernel keeps the index up to date where it arms, disarms, queues and
 * dequeues (with the dispatcher lock held: the index's own lock nests
 * inside it); ExFreePool asks it whether a block being freed still holds
 * one, without the dispatcher lock.
 * ------------------------------------------------------------------- */

typedef enum _VF_ACTIVE_KIND {
    VfActiveTimer = 1, /* a KTIMER in the timer heap */
    VfActiveDpc = 2,   /* a KDPC in a processor's DPC queue */
    VfActiveResource = 3, /* an ERESOURCE initialised and not yet deleted */
} VF_ACTIVE_KIND;

typedef struct _VF_ACTIVE_OBJECT {
    PVOID Object;
    VF_ACTIVE_KIND Kind;
    PDRIVER_OBJECT Owner; /* the driver that armed / initialised it (NULL = irpsim or the test) */
    PKDPC Dpc;            /* a timer's DPC (NULL if none); a DPC itself */
    PVOID Routine;        /* that DPC's routine, when it was armed / queued */
} VF_ACTIVE_OBJECT, *PVF_ACTIVE_OBJECT;

/* Insert replaces an existing entry for Object. */
VOID VfActiveInsert(PVOID Object, VF_ACTIVE_KIND Kind, PDRIVER_OBJECT Owner, PKDPC Dpc, PVOID Routine);
VOID VfActiveRemove(PVOID Object);
/* Forgets every entry of Kind (0 = all). */
VOID VfActiveReset(VF_ACTIVE_KIND Kind);
/* TRUE if any timer is armed, DPC queued or resource live (one atomic read). */
BOOLEAN VfActiveAny(VOID);
/* No lock held. Bug check 0xC7 (P1 0 timer / 1 DPC, P2 object, P3 Start,
   P4 end) if [Start, Start + Size) holds an armed timer or a queued DPC;
   0xC4/0xD2 if it holds an ERESOURCE not deleted. */
VOID VfCheckFreedRange(PVOID Start, SIZE_T Size);
/* The same check for any memory about to be freed (the object manager asks
   it for an object's body): What names the memory in the report, Advice (or
   NULL) is added to the hint. No lock held. */
VOID VfCheckFreedMemory(PVOID Start, SIZE_T Size, PCSTR What, PCSTR Advice);
/* No lock held. Copies up to Max armed timers and queued DPCs owned by
   Owner (AnyOwner: all); returns how many there are. */
ULONG VfActiveSnapshot(PDRIVER_OBJECT Owner, BOOLEAN AnyOwner, PVF_ACTIVE_OBJECT Entries, ULONG Max);

/* Provided by the kernel (src/ke/dpc.c): DPC routines of Driver running
   on a processor right now. */
ULONG KiCountRunningDpcs(PDRIVER_OBJECT Driver);

/* ---------------------------------------------------------------------
 * Unload and shutdown (unload.c)
 * ------------------------------------------------------------------- */

/* What a driver left after its DriverUnload returned: collected while the
   driver object is alive, reported after IrpSimUnloadDriver has finished
   its own bookkeeping (a report may bug check). */
typedef struct _VF_UNLOAD_FINDINGS VF_UNLOAD_FINDINGS, *PVF_UNLOAD_FINDINGS;

/* NULL if the unload rules are off (or host memory ran out). */
PVF_UNLOAD_FINDINGS VfCollectUnloadFindings(PDRIVER_OBJECT Driver);
/* TRUE if Findings lists work still pending (the driver object is then
   kept until shutdown, so that later reports can name it). */
BOOLEAN VfUnloadLeftWork(PVF_UNLOAD_FINDINGS Findings);
/* Reports and frees Findings (NULL is fine): pool left per tag
   (0xC4/0x62), devices / IRPs / MDLs left (0xC4/0x1516), work that holds a
   reference (0xC4/0x1515, a warning), and — last, fatal — operations still
   pending (0xCE DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS). */
VOID VfReportUnloadFindings(PVF_UNLOAD_FINDINGS Findings);

/* The shutdown summary: timers and DPCs still armed or queued, the
   non-fatal reports, the injected failures. Objects owned by one of the
   Retained drivers (loaded, without an unload routine) are listed but not
   counted. Returns the number of items counted as leaks. */
ULONG VfWriteShutdownSummary(FILE *Stream, PDRIVER_OBJECT *Retained, ULONG RetainedCount);

#endif /* IRPSIM_VF_H */
