/*
 * irpsim — what a driver leaves behind when it unloads, and what is left
 * when the machine shuts down.
 *
 * After DriverUnload returns, anything the driver started that can still
 * call into it is a crash waiting to happen on Windows — the code is gone
 * when the timer fires, the DPC runs, the work item starts, the IRP
 * completes through its completion routine, or the thread is scheduled:
 * bug check 0xCE DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS.
 * irpsim raises it at unload, with the list of every such operation, so
 * the report points at the cause instead of at a random later crash.
 *
 * Work that holds a reference on one of the driver's objects (I/O work
 * items, IoCreateSystemThread threads) keeps the driver image loaded on
 * Windows until it is done, so it is only a warning here (0xC4/0x1515):
 * the routine may still touch state DriverUnload freed.
 *
 * Resources the driver did not give back are reported per kind: pool per
 * tag (0xC4/0x62, as pool tracking does), devices, IRPs and MDLs
 * (0xC4/0x1516). These are non-fatal in irpsim (Windows stops at 0x62) so
 * one run shows every leak; the per-item lines with allocation sites are
 * the leak report IrpSimUnloadDriver prints.
 */
#include "vfp.h"

/* Long unload reports are cut to their buffer on purpose. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif
#include "irpstate.h"
#include "../ex/exp.h"
#include "../ex/exp_worker.h"
#include "../ke/ki.h"
#include "../sim/simp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VFP_MAX_LISTED 64
#define VFP_MAX_TAGS   32

struct _VF_UNLOAD_FINDINGS {
    CHAR DriverName[128];
    /* Pending operations (0xCE). */
    ULONG Pending;
    PVOID FirstObject;
    PVOID FirstRoutine;
    CHAR PendingText[3072];
    /* Reference-holding work (0x1515). */
    ULONG IoWorkItems;
    ULONG IoThreads;
    /* Left behind. */
    ULONG PoolBlocks;
    SIZE_T PoolBytes;
    CHAR PoolText[1536];
    ULONG Devices;
    ULONG Irps;
    ULONG Mdls;
};

/* Threads made for Driver (PsCreateSystemThread or IoCreateSystemThread)
   that have not ended. Reads the kernel's thread list under the
   dispatcher lock, which guards it and each thread's end state. */
static ULONG VfpCountDriverThreads(PDRIVER_OBJECT Driver, PKTHREAD *First, PVOID *StartRoutine)
{
    ULONG Count = 0;
    KiAcquireDispatcherLock();
    for (PLIST_ENTRY Entry = KiThreadListHead.Flink; Entry != &KiThreadListHead; Entry = Entry->Flink) {
        PKTHREAD Thread = CONTAINING_RECORD(Entry, KTHREAD, ThreadListEntry);
        if (Thread->IsSystemThread && Thread->StartDriver == Driver && Thread->Header.SignalState == 0) {
            if (Count++ == 0) {
                *First = Thread;
                *StartRoutine = (PVOID)Thread->StartRoutine;
            }
        }
    }
    KiReleaseDispatcherLock();
    return Count;
}

static VOID VfpCollectPending(PDRIVER_OBJECT Driver, PVF_UNLOAD_FINDINGS F)
{
    RTLP_TEXT Text = {F->PendingText, sizeof(F->PendingText), 0};
    VF_ACTIVE_OBJECT Active[VFP_MAX_LISTED];
    ULONG ActiveCount = VfActiveSnapshot(Driver, FALSE, Active, VFP_MAX_LISTED);
    PVF_IRP_ENTRY Irps;
    ULONG IrpCount;
    ULONG Count;
    PKTHREAD Thread = NULL;
    PVOID StartRoutine = NULL;

    for (ULONG i = 0; i < ActiveCount && i < VFP_MAX_LISTED; i++) {
        PVF_ACTIVE_OBJECT A = &Active[i];
        if (F->Pending++ == 0) {
            F->FirstObject = A->Object;
            F->FirstRoutine = A->Routine;
        }
        if (A->Kind == VfActiveTimer)
            RtlpTextAppend(&Text, "  - KTIMER %p is still set (its DPC %p, routine %p): cancel it with KeCancelTimer\n",
                      A->Object, (void *)A->Dpc, A->Routine);
        else
            RtlpTextAppend(&Text, "  - KDPC %p (routine %p) is still queued: KeRemoveQueueDpc or KeFlushQueuedDpcs\n",
                      A->Object, A->Routine);
    }
    if (ActiveCount > VFP_MAX_LISTED) {
        RtlpTextAppend(&Text, "  - ... and %lu more timers and DPCs\n", (unsigned long)(ActiveCount - VFP_MAX_LISTED));
        F->Pending += ActiveCount - VFP_MAX_LISTED;
    }

    Count = KiCountRunningDpcs(Driver);
    if (Count != 0) {
        F->Pending += Count;
        RtlpTextAppend(&Text,
                  "  - %lu DPC routine(s) of the driver are running right now: KeFlushQueuedDpcs waits for "
                  "them\n",
                  (unsigned long)Count);
    }

    Count = ExpCountQueuedWorkItems(Driver);
    if (Count != 0) {
        F->Pending += Count;
        RtlpTextAppend(&Text,
                  "  - %lu executive work item(s) (ExQueueWorkItem) are queued or running; they hold no "
                  "reference on the driver: wait for them (an event the routine signals) in DriverUnload\n",
                  (unsigned long)Count);
    }

    F->IoThreads = IopCountSystemThreads(Driver);
    Count = VfpCountDriverThreads(Driver, &Thread, &StartRoutine);
    Count = Count > F->IoThreads ? Count - F->IoThreads : 0;
    if (Count != 0) {
        if (F->Pending == 0) {
            F->FirstObject = Thread;
            F->FirstRoutine = StartRoutine;
        }
        F->Pending += Count;
        RtlpTextAppend(&Text,
                  "  - %lu system thread(s) started with PsCreateSystemThread are still running: make them "
                  "end (PsTerminateSystemThread) and wait on the thread object in DriverUnload\n",
                  (unsigned long)Count);
    }
    /* An I/O work item holds a reference until its routine returns, so a
       correct driver that waited for the routine's last signal may see it
       still running for a moment: let running routines return or block
       before counting (Windows keeps the image until they are done). */
    ExpSettleRunningIoWorkItems(Driver);
    F->IoWorkItems = IopCountQueuedWorkItems(Driver);

    /* IRPs the driver holds, and IRPs it made that are still travelling:
       completing them would call into (or return to) the unloaded code. */
    IrpCount = VfIrpSnapshotLive(&Irps);
    for (ULONG i = 0; i < IrpCount; i++) {
        PVF_IRP_ENTRY E = &Irps[i];
        BOOLEAN Held = (E->State == VfIrpInDriver || E->State == VfIrpQueued) && E->DeviceDriver == Driver;
        BOOLEAN Sent = E->Driver == Driver &&
                       (E->State == VfIrpInDriver || E->State == VfIrpQueued || E->State == VfIrpCompleting ||
                        (E->State == VfIrpStopped && !VfIrpIsWithCreator(E)));
        if (!Held && !Sent)
            continue;
        if (F->Pending++ == 0)
            F->FirstObject = E->Irp;
        if (Held)
            RtlpTextAppend(&Text,
                      "  - IRP %p (%s) is still %s at one of its devices (stack location %d): complete or "
                      "cancel it\n",
                      (void *)E->Irp, VfIrpOriginName(E->Origin),
                      E->State == VfIrpQueued ? "queued" : "being processed", (int)E->Location);
        else
            RtlpTextAppend(&Text,
                      "  - IRP %p the driver allocated (%s, from %p) is still being processed by another "
                      "driver: wait for its completion routine before unloading\n",
                      (void *)E->Irp, VfIrpOriginName(E->Origin), E->AllocationSite);
    }
    free(Irps);
}

static VOID VfpCollectLeaks(PDRIVER_OBJECT Driver, PVF_UNLOAD_FINDINGS F)
{
    RTLP_TEXT Text = {F->PoolText, sizeof(F->PoolText), 0};
    IRPSIM_POOL_TAG_USAGE Tags[VFP_MAX_TAGS];
    ULONG TagCount = ExpSummarizePoolTags(Driver, Tags, VFP_MAX_TAGS);

    for (ULONG i = 0; i < TagCount && i < VFP_MAX_TAGS; i++) {
        CHAR Tag[5];
        RtlpFormatPoolTag(Tags[i].Tag, Tag);
        F->PoolBlocks += Tags[i].Allocations;
        F->PoolBytes += Tags[i].Bytes;
        RtlpTextAppend(&Text, "  - tag '%s' (0x%08x): %lu block(s), %zu byte(s)\n", Tag, Tags[i].Tag,
                  (unsigned long)Tags[i].Allocations, (size_t)Tags[i].Bytes);
    }
    if (TagCount > VFP_MAX_TAGS)
        RtlpTextAppend(&Text, "  - ... and more tags\n");
    F->Devices = IopReportDeviceLeaks(Driver, NULL);
    F->Irps = IopReportIrpLeaks(Driver, NULL);
    F->Mdls = MiReportMdlLeaks(Driver, NULL);
}

BOOLEAN VfUnloadLeftWork(PVF_UNLOAD_FINDINGS F)
{
    return F != NULL && (F->Pending != 0 || F->IoWorkItems != 0 || F->IoThreads != 0);
}

PVF_UNLOAD_FINDINGS VfCollectUnloadFindings(PDRIVER_OBJECT Driver)
{
    PVF_UNLOAD_FINDINGS F;
    if (!VfRuleEnabled(IRPSIM_VERIFIER_UNLOAD) && !VfRuleEnabled(IRPSIM_VERIFIER_POOL))
        return NULL;
    F = (PVF_UNLOAD_FINDINGS)calloc(1, sizeof(*F));
    if (F == NULL)
        return NULL;
    IopFormatDriverName(Driver, F->DriverName, sizeof(F->DriverName));
    if (VfRuleEnabled(IRPSIM_VERIFIER_UNLOAD))
        VfpCollectPending(Driver, F);
    VfpCollectLeaks(Driver, F);
    return F;
}

VOID VfReportUnloadFindings(PVF_UNLOAD_FINDINGS Findings)
{
    PVF_UNLOAD_FINDINGS F;
    /* Copied and freed first: a report may unwind (bug check) from here,
       and the texts must outlive it. */
    static IRPSIM_THREAD_LOCAL VF_UNLOAD_FINDINGS Copy;
    static IRPSIM_THREAD_LOCAL CHAR Rule[4096];
    PCSTR Name = Copy.DriverName;
    ULONG Pending;
    PVOID FirstObject, FirstRoutine;

    if (Findings == NULL)
        return;
    Copy = *Findings;
    free(Findings);
    F = &Copy;
    Pending = F->Pending;
    FirstObject = F->FirstObject;
    FirstRoutine = F->FirstRoutine;

    if (F->PoolBlocks != 0) {
        snprintf(Rule, sizeof(Rule),
                 "Driver %s unloaded with %lu pool allocation(s) (%zu bytes) still outstanding:\n%s"
                 "       (the leak report above lists each block with the code that allocated it)",
                 Name, (unsigned long)F->PoolBlocks, (size_t)F->PoolBytes, F->PoolText);
        VfReport(DRIVER_VERIFIER_DETECTED_VIOLATION, VF_C4_UNLOAD_POOL, (ULONG_PTR)Name, F->PoolBytes, F->PoolBlocks,
                 NULL, Rule,
                 "Free every block before DriverUnload returns: keep each allocation reachable from the device "
                 "extension or a global, and free it on every path (also the error paths of DriverEntry).");
    }
    if (F->Devices != 0 || F->Irps != 0 || F->Mdls != 0) {
        snprintf(Rule, sizeof(Rule),
                 "Driver %s unloaded leaving %lu device object(s) not deleted, %lu IRP(s) and %lu MDL(s) not freed "
                 "(the leak report above lists each one).",
                 Name, (unsigned long)F->Devices, (unsigned long)F->Irps, (unsigned long)F->Mdls);
        VfReport(DRIVER_VERIFIER_DETECTED_VIOLATION, VF_C4_UNLOAD_LEAKS, (ULONG_PTR)Name, F->Devices,
                 (ULONG_PTR)F->Irps + F->Mdls, NULL, Rule,
                 "In DriverUnload delete every device (IoDeleteDevice, after IoDeleteSymbolicLink), and free every "
                 "IRP (IoFreeIrp) and MDL (IoFreeMdl) the driver allocated.");
    }
    if (VfRuleEnabled(IRPSIM_VERIFIER_UNLOAD) && (F->IoWorkItems != 0 || F->IoThreads != 0)) {
        snprintf(Rule, sizeof(Rule),
                 "Driver %s returned from DriverUnload with %lu I/O work item(s) queued or running and %lu thread(s) "
                 "from IoCreateSystemThread still running. Each holds a reference on the driver's device or driver "
                 "object, so Windows keeps the code loaded until they finish, but they may still use what "
                 "DriverUnload freed.",
                 Name, (unsigned long)F->IoWorkItems, (unsigned long)F->IoThreads);
        VfReport(DRIVER_VERIFIER_DETECTED_VIOLATION, VF_C4_UNLOAD_REFERENCED_WORK, (ULONG_PTR)Name, F->IoWorkItems,
                 F->IoThreads, NULL, Rule,
                 "Wait in DriverUnload until the work items have run (an event their routine sets, or a remove "
                 "lock) and until the threads have ended (wait on the thread object).");
    }
    if (Pending != 0) {
        snprintf(Rule, sizeof(Rule),
                 "Driver %s unloaded while %lu operation(s) it started were still pending. On Windows its code "
                 "and data are gone, so each of these crashes the machine later, wherever it happens to run:\n%s"
                 "       P1 is the first object listed, P3 its routine, P4 the number of pending operations.",
                 Name, (unsigned long)Pending, F->PendingText);
        VfReport(DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS, (ULONG_PTR)FirstObject, 0,
                 (ULONG_PTR)FirstRoutine, Pending, NULL, Rule,
                 "Make DriverUnload undo everything the driver started: KeCancelTimer every timer, "
                 "KeFlushQueuedDpcs after that, wait for work items and system threads, and complete or cancel "
                 "every IRP the driver holds (and wait for those it sent).");
    }
}

/* ---- shutdown ---- */

ULONG VfWriteShutdownSummary(FILE *Stream, PDRIVER_OBJECT *Retained, ULONG RetainedCount)
{
    VF_ACTIVE_OBJECT Active[VFP_MAX_LISTED];
    ULONG Count = VfActiveSnapshot(NULL, TRUE, Active, VFP_MAX_LISTED);
    ULONG Leaks = 0;
    BOOLEAN Header = FALSE;

    for (ULONG i = 0; i < Count && i < VFP_MAX_LISTED; i++) {
        PVF_ACTIVE_OBJECT A = &Active[i];
        BOOLEAN Kept = A->Owner == NULL;
        CHAR Owner[128];
        for (ULONG j = 0; j < RetainedCount && !Kept; j++)
            Kept = Retained[j] == A->Owner;
        if (!Kept)
            Leaks++;
        if (Stream == NULL)
            continue;
        if (!Header) {
            fprintf(Stream, "irpsim: timers and DPCs still active at shutdown:\n");
            Header = TRUE;
        }
        IopFormatDriverName(A->Owner, Owner, sizeof(Owner));
        fprintf(Stream, "  %s %p of %s still %s (DPC routine %p)%s\n", A->Kind == VfActiveTimer ? "KTIMER" : "KDPC",
                A->Object, Owner, A->Kind == VfActiveTimer ? "set" : "queued", A->Routine,
                Kept ? (A->Owner == NULL ? " (set by the test, not counted)" : " (its driver is still loaded)") : "");
    }
    if (Count > VFP_MAX_LISTED && Stream != NULL)
        fprintf(Stream, "  ... and %lu more\n", (unsigned long)(Count - VFP_MAX_LISTED));
    if (Stream != NULL) {
        VfWriteReportSummary(Stream);
        VfpWriteLowResourcesSummary(Stream);
    }
    return Leaks;
}
