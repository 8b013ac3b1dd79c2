/*
 * irpsim — the text behind every bug check: names, parameter meanings, the
 * rule that was broken and how to fix the driver.
 *
 * Codes and parameters follow Microsoft's bug check reference; the
 * 0xC2/0xC4/0xC9 families are keyed by their first parameter.
 */
#include "vf.h"

typedef struct _VF_CODE_TEXT {
    ULONG Code;
    PCSTR Name;
    PCSTR Parameter[4];
    PCSTR Rule;
    PCSTR Hint;
} VF_CODE_TEXT;

typedef struct _VF_SUBCODE_TEXT {
    ULONG Code;
    ULONG_PTR SubCode;
    PCSTR Parameter[3]; /* meanings of P2..P4 */
    PCSTR Rule;
    PCSTR Hint;
} VF_SUBCODE_TEXT;

static const VF_CODE_TEXT VfpCodes[] = {
    {IRQL_NOT_GREATER_OR_EQUAL, "IRQL_NOT_GREATER_OR_EQUAL",
     {"current IRQL", "requested IRQL", "reserved", "reserved"},
     "KeRaiseIrql was asked to raise to an IRQL below the current one.",
     "Raise only to a level >= KeGetCurrentIrql(); restore with KeLowerIrql using the saved value."},
    {APC_INDEX_MISMATCH, "APC_INDEX_MISMATCH",
     {"address of the call", "thread APC state index", "combined APC disable count", "call type (0 system call, 1 worker routine)"},
     "A routine returned with its critical regions unbalanced (KeEnterCriticalRegion without the matching "
     "KeLeaveCriticalRegion, or the reverse).",
     "Pair every KeEnterCriticalRegion with a KeLeaveCriticalRegion before returning."},
    {IRQL_NOT_LESS_OR_EQUAL, "IRQL_NOT_LESS_OR_EQUAL",
     {"memory referenced (or current IRQL for KeLowerIrql)", "IRQL (or requested IRQL)", "access type",
      "address of the code"},
     "Memory was referenced at an IRQL that is too high (or an invalid address such as NULL was used), or "
     "KeLowerIrql was asked to lower to an IRQL above the current one.",
     "Check the pointer; keep data used at DISPATCH_LEVEL in nonpaged memory; lower IRQL only to the value the "
     "matching raise saved."},
    {KMODE_EXCEPTION_NOT_HANDLED, "KMODE_EXCEPTION_NOT_HANDLED",
     {"exception code", "address of the exception", "parameter 0 of the exception", "parameter 1 of the exception"},
     "A kernel-mode exception (for example ExRaiseStatus, or MmProbeAndLockPages on a bad buffer) was not handled.",
     "Wrap calls that raise in __try / __except and handle the exception code."},
    {SYSTEM_THREAD_EXCEPTION_NOT_HANDLED, "SYSTEM_THREAD_EXCEPTION_NOT_HANDLED",
     {"exception code", "address of the exception", "exception record", "context record"},
     "A system thread raised an exception that it did not handle.",
     "Wrap calls that raise in __try / __except inside the thread's start routine."},
    {MAXIMUM_WAIT_OBJECTS_EXCEEDED, "MAXIMUM_WAIT_OBJECTS_EXCEEDED",
     {"object count", "limit", "reserved", "reserved"},
     "KeWaitForMultipleObjects was given more objects than allowed (64, or 3 without a wait block array).",
     "Pass a KWAIT_BLOCK array for more than THREAD_WAIT_OBJECTS objects, and never more than 64."},
    {SPIN_LOCK_ALREADY_OWNED, "SPIN_LOCK_ALREADY_OWNED",
     {"spin lock", "reserved", "reserved", "reserved"},
     "A thread tried to acquire a spin lock it already holds. Spin locks are not recursive: on Windows this "
     "processor spins forever.",
     "Release the lock before acquiring it again, or restructure so the inner path does not take it."},
    {SPIN_LOCK_NOT_OWNED, "SPIN_LOCK_NOT_OWNED",
     {"spin lock", "owner (0 = free)", "reserved", "reserved"},
     "A thread released a spin lock it does not hold (not acquired, already released, or held by another thread).",
     "Release exactly the locks you acquired, once, on the thread that acquired them."},
    {THREAD_NOT_MUTEX_OWNER, "THREAD_NOT_MUTEX_OWNER",
     {"mutex", "owner thread", "current thread", "reserved"},
     "KeReleaseMutex was called by a thread that does not own the mutex.",
     "Only the thread whose wait acquired the mutex may release it."},
    {NO_MORE_IRP_STACK_LOCATIONS, "NO_MORE_IRP_STACK_LOCATIONS",
     {"IRP", "reserved", "reserved", "reserved"},
     "IoCallDriver was called on an IRP that has no stack location left for the target driver.",
     "Allocate the IRP with at least the target's DeviceObject->StackSize locations (plus one if you need your "
     "own), and do not forward an IRP to a device outside the stack it was sized for."},
    {MULTIPLE_IRP_COMPLETE_REQUESTS, "MULTIPLE_IRP_COMPLETE_REQUESTS",
     {"IRP", "reserved", "reserved", "reserved"},
     "IoCompleteRequest was called on an IRP whose completion had already run to the end. Only one party may "
     "complete an IRP; after IoCompleteRequest returns, the IRP belongs to the I/O manager.",
     "Find the second completer (often a cancel routine and a dequeue path racing, or a dispatch routine that "
     "completes an IRP it also passed down). Use the IoSetCancelRoutine exchange or IO_CSQ to decide who owns it."},
    {TARGET_MDL_TOO_SMALL, "TARGET_MDL_TOO_SMALL",
     {"target MDL", "source MDL", "virtual address", "length"},
     "IoBuildPartialMdl was given a target MDL too small for the range it must describe.",
     "Allocate the target MDL with IoAllocateMdl(VirtualAddress, Length, ...) for the partial range."},
    {CANCEL_STATE_IN_COMPLETED_IRP, "CANCEL_STATE_IN_COMPLETED_IRP",
     {"IRP", "cancel routine", "reserved", "reserved"},
     "IoCancelIrp found a cancel routine on an IRP that had already been completed: the driver completed the IRP "
     "without clearing its cancel routine.",
     "Call IoSetCancelRoutine(Irp, NULL) and check its result before completing a queued IRP, or use IO_CSQ."},
    {ATTEMPTED_SWITCH_FROM_DPC, "ATTEMPTED_SWITCH_FROM_DPC",
     {"reserved", "reserved", "reserved", "reserved"},
     "A DPC routine tried to wait (or otherwise give up the processor). DPC routines run at DISPATCH_LEVEL in an "
     "arbitrary thread and must never block.",
     "Move the waiting work to a system worker thread (IoQueueWorkItem) or a timer plus another DPC."},
    {BAD_POOL_CALLER, "BAD_POOL_CALLER",
     {"type of violation", "see below", "see below", "see below"},
     "A pool routine was called incorrectly.", "See the rule for this violation type."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, "DRIVER_VERIFIER_DETECTED_VIOLATION",
     {"type of violation", "see below", "see below", "see below"},
     "Driver Verifier detected a violation.", "See the rule for this violation type."},
    {TIMER_OR_DPC_INVALID, "TIMER_OR_DPC_INVALID",
     {"type (0 timer, 1 DPC, 2 DPC routine, 3 bad CPU, 4/5 APC disable changed)", "object", "range start",
      "range end"},
     "A kernel timer or DPC was in memory being freed or unloaded, or was misused.",
     "Cancel timers (KeCancelTimer), remove or flush DPCs (KeRemoveQueueDpc, KeFlushQueuedDpcs) before freeing "
     "their memory or unloading."},
    {0xCC, "PAGE_FAULT_IN_FREED_SPECIAL_POOL",
     {"memory referenced", "0 read, 1 write", "address of the code", "reserved"},
     "Memory was used after it was freed (irpsim keeps freed IRPs and pool blocks poisoned to catch this).",
     "Do not touch an IRP after IoCompleteRequest/IoFreeIrp or a block after ExFreePool; take ownership back with "
     "STATUS_MORE_PROCESSING_REQUIRED if you need the IRP after completion."},
    {0xCD, "PAGE_FAULT_BEYOND_END_OF_ALLOCATION",
     {"memory referenced", "0 read, 1 write", "address of the code", "reserved"},
     "Memory past the end of an allocation was used (for example a stack location one past the last slot of an IRP).",
     "Do not call IoGetCurrentIrpStackLocation / IoMarkIrpPending on an IRP in which you have no stack location."},
    {DRIVER_VERIFIER_IOMANAGER_VIOLATION, "DRIVER_VERIFIER_IOMANAGER_VIOLATION",
     {"type of violation", "see below", "see below", "see below"},
     "The I/O verifier detected a violation of the IRP rules.", "See the rule for this violation type."},
    {DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS, "DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS",
     {"memory referenced (irpsim: the first pending object)", "operation (0 read, 1 write)",
      "address (irpsim: its routine)", "reserved (irpsim: number of pending operations)"},
     "A driver unloaded while it still had work pending: timers armed, DPCs queued, work items queued, IRPs "
     "outstanding or threads running.",
     "In DriverUnload cancel timers, flush DPCs, wait for work items and threads, and complete every IRP first."},
    {DRIVER_IRQL_NOT_LESS_OR_EQUAL, "DRIVER_IRQL_NOT_LESS_OR_EQUAL",
     {"memory referenced", "IRQL", "access (0 read, 1 write, 8 execute)", "address"},
     "A driver touched pageable memory or called pageable code at DISPATCH_LEVEL or above.",
     "Keep data used at DISPATCH_LEVEL in nonpaged pool and do not mark such code pageable."},
    {SYSTEM_PTE_MISUSE, "SYSTEM_PTE_MISUSE",
     {"type of misuse", "see type", "see type", "see type"},
     "A page table entry routine (an MDL mapping) was misused: mapped twice, unmapped with the wrong MDL, or "
     "unmapped at an address that was not mapped.",
     "Map an MDL once, and unmap exactly the address the mapping returned, with the same MDL."},
    {WORKER_THREAD_RETURNED_AT_BAD_IRQL, "WORKER_THREAD_RETURNED_AT_BAD_IRQL",
     {"worker routine", "IRQL it returned at", "work item", "reserved"},
     "A work item routine returned at an IRQL above PASSIVE_LEVEL (a spin lock still held, or a raise without the "
     "matching lower).",
     "Release every lock and restore the IRQL before the work routine returns."},
    {RESOURCE_NOT_OWNED, "RESOURCE_NOT_OWNED",
     {"resource", "thread", "owner table (0 if none)", "reserved"},
     "A thread released an executive resource (ERESOURCE) it does not own.",
     "Release a resource only on the thread that acquired it (or use ExReleaseResourceForThreadLite)."},
    {WORKER_INVALID, "WORKER_INVALID",
     {"type (0 freed active, 1 queued twice, 2 freed queued I/O item, 6 bad queue, 7 bad routine)", "work item",
      "see type", "see type"},
     "A work item was queued while already queued, or freed while queued or running.",
     "Queue an item once at a time; free it only after its routine has started (or from inside it)."},
    {DRIVER_RETURNED_HOLDING_CANCEL_LOCK, "DRIVER_RETURNED_HOLDING_CANCEL_LOCK",
     {"IRP", "cancel routine", "reserved", "reserved"},
     "A cancel routine returned without releasing the cancel spin lock.",
     "Every cancel routine must call IoReleaseCancelSpinLock(Irp->CancelIrql), normally first thing."},
    {DPC_WATCHDOG_VIOLATION, "DPC_WATCHDOG_VIOLATION",
     {"0 single DPC too long, 1 cumulative", "time (ms)", "limit (ms)", "reserved"},
     "A DPC routine ran too long at DISPATCH_LEVEL.",
     "Do the long work at PASSIVE_LEVEL in a work item or system thread."},
    {KERNEL_SECURITY_CHECK_FAILURE, "KERNEL_SECURITY_CHECK_FAILURE",
     {"type (3 = corrupt LIST_ENTRY)", "reserved", "reserved", "reserved"},
     "A kernel data structure was found corrupt: a LIST_ENTRY whose neighbours do not point back at it.",
     "An entry was probably inserted twice, removed twice, freed while still on a list, or the list head was never "
     "initialised with InitializeListHead."},
    {INVALID_MDL_RANGE, "INVALID_MDL_RANGE",
     {"MDL", "virtual address", "length", "reserved"},
     "A range passed to an MDL routine (IoBuildPartialMdl) lies outside the buffer the MDL describes.",
     "Keep partial ranges inside the source MDL's buffer."},
    {IRPSIM_NOT_SIMULATED, "IRPSIM_NOT_SIMULATED",
     {"routine name (PCSTR)", "reserved", "reserved", "reserved"},
     "The driver called a routine that irpsim does not simulate. irpsim stops instead of pretending it worked.",
     "Check docs/api.md for what is simulated, or open an issue asking for the routine."},
    {IRPSIM_ASSERTION_FAILED, "IRPSIM_ASSERTION_FAILED",
     {"expression text (PCSTR)", "source file (PCSTR)", "line", "message (PCSTR) or 0"},
     "An ASSERT in driver code failed (a checked build would break into the debugger here).",
     "Find out why the asserted condition is false at this point."},
    {VF_DRIVER_VIOLATION, "DRIVER_VIOLATION",
     {"type of violation", "see below", "see below", "see below"},
     "A driver called a routine at an IRQL the routine does not allow.", "See the rule for this violation type."},
    {IRPSIM_INVALID_USE, "IRPSIM_INVALID_USE",
     {"reason (PCSTR)", "reserved", "reserved", "reserved"},
     "irpsim's control API was used incorrectly (for example before IrpSimInitialize).",
     "Call IrpSimInitialize first and IrpSimShutdown last, once each."},
};

static const VF_SUBCODE_TEXT VfpSubCodes[] = {
    /* 0xC2 BAD_POOL_CALLER */
    {BAD_POOL_CALLER, 0x00, {"IRQL", "pool type", "0"}, "A pool allocation of zero bytes was requested.",
     "Check the size computation; allocate at least one byte."},
    {BAD_POOL_CALLER, 0x07, {"reserved", "pool header contents", "block address"},
     "A pool block was freed twice.", "Set the pointer to NULL after freeing it, and make one owner responsible."},
    {BAD_POOL_CALLER, 0x08, {"IRQL", "pool type", "size"}, "Pool was allocated at an IRQL that is too high.",
     "Nonpaged pool: <= DISPATCH_LEVEL. Paged pool: <= APC_LEVEL."},
    {BAD_POOL_CALLER, 0x09, {"IRQL", "pool type", "address"}, "Pool was freed at an IRQL that is too high.",
     "Nonpaged pool: <= DISPATCH_LEVEL. Paged pool: <= APC_LEVEL."},
    {BAD_POOL_CALLER, 0x0A, {"address", "allocation tag", "tag used to free"},
     "ExFreePoolWithTag was called with a tag different from the one the block was allocated with.",
     "Free with the same tag you allocated with (the WDK's 'tag' is a multi-character constant such as 'gaT1')."},
    {BAD_POOL_CALLER, 0x46, {"address", "reserved", "reserved"},
     "An address that was never returned by a pool allocation was freed.",
     "Free exactly the pointer the allocation returned, not an offset into it or a stack/global address."},
    {BAD_POOL_CALLER, 0x9B, {"pool type", "size", "caller"}, "A pool allocation used tag 0.",
     "Give every allocation a non-zero four-character tag."},
    /* 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION */
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x00, {"IRQL", "pool type", "0"},
     "A pool allocation of zero bytes was requested.", "Check the size computation."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x01, {"IRQL", "pool type", "size"},
     "Paged pool was allocated above APC_LEVEL.", "Use nonpaged pool at DISPATCH_LEVEL, or allocate earlier."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x02, {"IRQL", "pool type", "size"},
     "Nonpaged pool was allocated above DISPATCH_LEVEL.", "Allocate at DISPATCH_LEVEL or below."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x11, {"IRQL", "pool type", "address"},
     "Paged pool was freed above APC_LEVEL.", "Free paged pool at PASSIVE_LEVEL or APC_LEVEL."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x12, {"IRQL", "pool type", "address"},
     "Nonpaged pool was freed above DISPATCH_LEVEL.", "Free at DISPATCH_LEVEL or below."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x30, {"current IRQL", "requested IRQL", "0"},
     "KeRaiseIrql was asked to raise to a lower IRQL (or above HIGH_LEVEL).",
     "Raise only upwards; lower with KeLowerIrql."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x31, {"current IRQL", "requested IRQL", "0 bad IRQL, 1 inside a DPC"},
     "KeLowerIrql was asked to lower to a higher IRQL (or below DISPATCH_LEVEL inside a DPC routine).",
     "Lower to the value the matching raise saved."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x32, {"IRQL", "spin lock", "0"},
     "KeReleaseSpinLock was called at an IRQL other than DISPATCH_LEVEL (often a double release).",
     "Release each lock once, with the IRQL its acquire saved."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x33, {"IRQL", "fast mutex", "0"},
     "A fast mutex was acquired above APC_LEVEL.", "Acquire fast mutexes at PASSIVE_LEVEL or APC_LEVEL."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x34, {"IRQL", "fast mutex", "0"},
     "A fast mutex was released at an IRQL other than APC_LEVEL.",
     "Release on the thread that acquired it, without changing IRQL in between."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x37, {"IRQL", "thread APC disable count", "resource"},
     "An executive resource was acquired while normal kernel APCs were enabled.",
     "Call KeEnterCriticalRegion first (or use ExEnterCriticalRegionAndAcquireResource*)."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x38, {"IRQL", "thread APC disable count", "resource"},
     "An executive resource was released while normal kernel APCs were enabled.",
     "Release it before KeLeaveCriticalRegion."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x39, {"IRQL", "thread APC disable count", "fast mutex"},
     "ExAcquireFastMutexUnsafe was called with APCs enabled.",
     "Enter a critical region (or raise to APC_LEVEL) before using the Unsafe forms, or use ExAcquireFastMutex."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x3A, {"IRQL", "thread APC disable count", "fast mutex"},
     "ExReleaseFastMutexUnsafe was called with APCs enabled.",
     "Release before leaving the critical region."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x3E, {"0", "0", "0"},
     "KeLeaveCriticalRegion was called without a matching KeEnterCriticalRegion.",
     "Pair every KeLeaveCriticalRegion with an earlier KeEnterCriticalRegion on the same thread."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x3F, {"object", "new count (-1 deref, 1 ref)", "0"},
     "ObReferenceObject or ObDereferenceObject was called on an object whose reference count is zero.",
     "Balance references: dereference exactly once for each reference you took."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x40, {"IRQL", "spin lock", "0"},
     "KeAcquireSpinLockAtDpcLevel was called below DISPATCH_LEVEL.",
     "Use KeAcquireSpinLock unless you are already at DISPATCH_LEVEL."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x41, {"IRQL", "spin lock", "0"},
     "KeReleaseSpinLockFromDpcLevel was called below DISPATCH_LEVEL.",
     "Use KeReleaseSpinLock when the matching acquire raised the IRQL."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x42, {"IRQL", "spin lock", "0"},
     "KeAcquireSpinLock was called above DISPATCH_LEVEL.", "Spin locks are for IRQL <= DISPATCH_LEVEL."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x51, {"allocation base", "overrun address", "size"},
     "A pool block was written past its end (detected when it was freed).",
     "Check the size computation and every write into the buffer."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x62, {"driver name (PCSTR)", "outstanding bytes", "outstanding allocations"},
     "A driver unloaded with pool allocations still outstanding.",
     "Free everything you allocated before DriverUnload returns (the report lists each block and its tag)."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, VF_C4_DISPATCH_APC_DISABLE, {"dispatch routine", "APC disable count now",
     "APC disable count before"},
     "A dispatch routine returned with the thread's APC-disable count changed: it entered a critical region (or "
     "acquired a fast mutex, a resource, a kernel mutex) and did not leave it.",
     "Pair every KeEnterCriticalRegion / acquire with its KeLeaveCriticalRegion / release on every path out of the "
     "routine."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, VF_C4_COMPLETION_APC_DISABLE, {"completion routine", "APC disable count now",
     "APC disable count before"},
     "A completion routine returned with the thread's APC-disable count changed (a critical region entered and "
     "not left).",
     "Completion routines run at DISPATCH_LEVEL or below in any thread: do not enter critical regions or acquire "
     "mutexes in them; balance every enter with a leave."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, VF_C4_DISPATCH_HOLDS_LOCK, {"dispatch routine", "spin lock", "device object"},
     "A dispatch routine returned while still holding a spin lock it acquired (irpsim check). Every other user of "
     "the lock now spins forever.",
     "Release every spin lock the routine acquires (KeReleaseSpinLock / KeReleaseSpinLockFromDpcLevel) on every path "
     "before it returns, and never return from it with a lock held."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, VF_C4_COMPLETION_HOLDS_LOCK, {"completion routine", "spin lock", "IRP"},
     "A completion routine returned while still holding a spin lock it acquired (irpsim check). The rest of the "
     "completion, and every other user of the lock, runs with it held.",
     "Release every spin lock the completion routine acquires before it returns."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, VF_C4_CANCEL_IRQL, {"cancel routine", "IRQL expected", "IRQL after"},
     "A cancel routine returned at a different IRQL than IoCancelIrp was called at (irpsim check). The cancel "
     "routine must release the cancel spin lock with IoReleaseCancelSpinLock(Irp->CancelIrql), which restores it.",
     "Release the cancel spin lock with exactly Irp->CancelIrql, and lower anything else the routine raised."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, VF_C4_CANCEL_HOLDS_LOCK, {"cancel routine", "spin lock", "IRP"},
     "A cancel routine returned while still holding a spin lock (other than the cancel spin lock) it acquired "
     "(irpsim check).",
     "Release the queue lock the cancel routine takes before completing the IRP and returning."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, VF_C4_UNLOAD_REFERENCED_WORK, {"driver name (PCSTR)", "I/O work items",
     "IoCreateSystemThread threads"},
     "A driver returned from DriverUnload while work that holds a reference on it was still queued or running "
     "(irpsim warning).",
     "Wait in DriverUnload until work items have run and threads have ended."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, VF_C4_UNLOAD_LEAKS, {"driver name (PCSTR)", "devices not deleted",
     "IRPs and MDLs not freed"},
     "A driver unloaded leaving device objects, IRPs or MDLs behind (irpsim check).",
     "Delete every device and free every IRP and MDL before DriverUnload returns."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x70, {"IRQL", "MDL", "access mode"},
     "MmProbeAndLockPages was called above DISPATCH_LEVEL.", "Probe and lock at DISPATCH_LEVEL or below."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x76, {"MDL", "pages", "0"},
     "A driver freed or unmapped an MDL whose pages it had not locked.", "Lock the pages first, or do not unlock."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x77, {"MDL", "flags", "0"},
     "An MDL was used in a state its routine does not accept.", "Follow the MDL's life: allocate, lock, map, "
     "unmap, unlock, free."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x78, {"IRQL", "MDL", "0"},
     "MmUnlockPages was called above DISPATCH_LEVEL.", "Unlock at DISPATCH_LEVEL or below."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x79, {"MDL", "flags", "0"},
     "The pages of an MDL were locked twice.", "Lock an MDL once; unlock it before locking again."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x7A, {"MDL", "flags", "0"},
     "An MDL was freed or reused while its pages were still locked.", "Call MmUnlockPages before IoFreeMdl."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x7C, {"MDL", "flags", "0"},
     "MmUnlockPages was called on an MDL whose pages were never locked.",
     "Unlock only MDLs that MmProbeAndLockPages locked."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x7D, {"MDL", "flags", "0"},
     "MmUnlockPages was called on an MDL built for nonpaged pool.",
     "MDLs from MmBuildMdlForNonPagedPool are never locked, so never unlock them."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x80, {"IRQL", "event", "0"}, "KeSetEvent was called above DISPATCH_LEVEL.",
     "Signal events at DISPATCH_LEVEL or below."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x81, {"MDL", "flags", "0"},
     "MmMapLockedPages was used; it bugchecks when the mapping fails.",
     "Use MmGetSystemAddressForMdlSafe or MmMapLockedPagesSpecifyCache and check for NULL."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x82, {"MDL", "flags", "0"},
     "MmMapLockedPagesSpecifyCache was called with BugCheckOnFailure TRUE.",
     "Pass FALSE and check the returned address for NULL."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x85, {"MDL", "pages", "first unlocked page"},
     "An MDL whose pages are not locked was mapped.", "Lock the pages (MmProbeAndLockPages) before mapping them."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0xB0, {"MDL", "flags", "unexpected flags"},
     "MmProbeAndLockPages was called on an MDL with the wrong flags (for example one built for nonpaged pool, or "
     "already locked).",
     "Probe only a fresh MDL from IoAllocateMdl; MDLs from MmBuildMdlForNonPagedPool need no locking."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0xB2, {"MDL", "flags", "unexpected flags"},
     "An MDL was mapped that was already mapped (or has flags a mapping does not accept).",
     "Map once; use MappedSystemVa / MmGetSystemAddressForMdlSafe for the existing mapping."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0xB4, {"MDL", "flags", "partial flag"},
     "MmUnlockPages was called on a partial MDL.", "Unlock the source MDL, not the partial one."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0xB8, {"MDL", "flags", "0"},
     "IoFreeMdl was called on an MDL whose pages are still mapped.",
     "Unmap (MmUnmapLockedPages or MmUnlockPages) before freeing the MDL."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0xFA, {"completion routine", "IRQL before", "IRQL after"},
     "A completion routine returned at a different IRQL than it was called at.",
     "Release every spin lock and restore the IRQL before the completion routine returns."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x105, {"IRP", "0", "0"},
     "ExFreePool was used on an IRP; IRPs must be freed with IoFreeIrp.", "Free IRPs with IoFreeIrp."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x120, {"IRQL", "object", "timeout"},
     "A wait was attempted above DISPATCH_LEVEL.", "Wait only at PASSIVE_LEVEL or APC_LEVEL."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x121, {"IRQL", "object", "timeout"},
     "A wait with no timeout was attempted at DISPATCH_LEVEL.",
     "At DISPATCH_LEVEL you may only poll (zero timeout). Wait at PASSIVE_LEVEL instead."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x122, {"IRQL", "object", "timeout"},
     "A wait with a non-zero timeout was attempted at DISPATCH_LEVEL.",
     "At DISPATCH_LEVEL you may only poll (zero timeout). Use a timer and a DPC, or a worker thread, to delay."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x1000, {"lock", "0", "0"},
     "Self-deadlock: a thread tried to acquire a lock (spin lock, fast mutex, resource) it already holds.",
     "Do not acquire the lock again on a path that already holds it."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x1001, {"lock that closed the cycle", "0", "0"},
     "Lock-order violation: two locks were taken in both orders, which can deadlock.",
     "Always acquire the locks in the same order."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x1002, {"object", "type found", "size found"},
     "An object (lock, queue, mutex, ...) was used without being initialised.",
     "Call its initialiser (KeInitializeSpinLock, KeInitializeDeviceQueue, ExInitializeFastMutex, ...) first."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x1003, {"lock", "0", "0"},
     "Locks were released out of order.", "Release locks in the reverse order of acquisition."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x1004, {"lock", "owner thread", "releasing thread"},
     "A lock was released by a thread other than the one that acquired it.",
     "Release a lock on the thread that acquired it."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x1005, {"object", "0", "0"},
     "An object was initialised twice while in use.", "Initialise each object once, before first use."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x1007, {"object", "0", "0"},
     "A lock (or device queue) was released (or removed from) without being acquired (or busy).",
     "Release only what you acquired; call KeRemoveDeviceQueue only while the device is busy."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x1009, {"lock", "0", "0"},
     "A lock was released with the wrong routine family (e.g. a fast mutex released as a guarded mutex).",
     "Release with the routine that matches the acquire."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x100B, {"object", "0", "0"},
     "An object was deleted while it was still owned.", "Release it before deleting it."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x100A, {"lock", "thread", "0"},
     "A thread ended while it still held a spin lock.", "Release every lock before the thread returns or calls "
     "PsTerminateSystemThread."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x1500, {"timer", "due time (interrupt time)", "0"},
     "A timer was initialised again while it was set (irpsim check: on Windows this corrupts the timer list).",
     "KeCancelTimer before KeInitializeTimer(Ex), or initialise each timer once."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x1501, {"DPC", "0", "0"},
     "A DPC was initialised again while it was queued (irpsim check: on Windows this corrupts the DPC queue).",
     "KeRemoveQueueDpc (or KeFlushQueuedDpcs) before KeInitializeDpc, or initialise each DPC once."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x1502, {"DPC routine", "spin lock", "0"},
     "A DPC routine returned while still holding a spin lock it acquired (irpsim check).",
     "Release every lock the DPC routine acquired before it returns."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x1503, {"wait type", "0", "0"},
     "KeWaitForMultipleObjects was given a WaitType other than WaitAll or WaitAny (irpsim check).",
     "Pass WaitAll or WaitAny."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x1504, {"priority", "thread", "0"},
     "A thread priority outside 0..31 was set (irpsim check).", "Use a priority between LOW_PRIORITY and HIGH_PRIORITY."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x4000E, {"rule name (PCSTR)", "0", "0"},
     "DDI rule GuardedRegions: KeLeaveGuardedRegion without a matching KeEnterGuardedRegion.",
     "Pair every KeLeaveGuardedRegion with an earlier KeEnterGuardedRegion on the same thread."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x20003, {"rule name (PCSTR)", "object", "IRQL"},
     "DDI rule IrqlDispatch: the routine must be called at DISPATCH_LEVEL.",
     "Raise to DISPATCH_LEVEL (KeRaiseIrqlToDpcLevel, or hold a spin lock) around the call."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x20006, {"rule name (PCSTR)", "object", "IRQL"},
     "DDI rule: the routine was called above its maximum IRQL.",
     "Call it at the IRQL its documentation allows."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x20011, {"rule name (PCSTR)", "object", "IRQL"},
     "DDI rule IrqlKeDispatchLte: the routine must be called at or below DISPATCH_LEVEL.",
     "Call it at DISPATCH_LEVEL or below."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, VF_C4_FREED_ACTIVE_RESOURCE, {"ERESOURCE", "start of the memory freed",
                                                                       "size of the memory freed"},
     "Memory was freed while it still contained an ERESOURCE that was never deleted.",
     "ExDeleteResourceLite before freeing the memory that holds the ERESOURCE."},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x135, {"IRP", "allowed milliseconds", "0"},
     "A cancelled IRP was not completed within the expected time.",
     "A cancel routine (or the path that sees Irp->Cancel) must complete the IRP promptly."},
    /* 0xC7 TIMER_OR_DPC_INVALID */
    {TIMER_OR_DPC_INVALID, VF_C7_TIMER, {"timer", "start of the memory freed", "end of the memory freed"},
     "Memory was freed while it still contained a set (armed) kernel timer.",
     "KeCancelTimer before freeing the memory that holds the KTIMER."},
    {TIMER_OR_DPC_INVALID, VF_C7_DPC, {"DPC", "start of the memory freed", "end of the memory freed"},
     "Memory was freed while it still contained a queued DPC.",
     "KeRemoveQueueDpc or KeFlushQueuedDpcs before freeing the memory that holds the KDPC."},
    /* 0x121 DRIVER_VIOLATION */
    {VF_DRIVER_VIOLATION, VF_DRIVER_VIOLATION_IRQL_TOO_HIGH, {"current IRQL", "highest IRQL allowed",
     "routine name (PCSTR) (irpsim; reserved on Windows)"},
     "A driver called a routine at an IRQL above the highest one the routine can be called at.",
     "Call the routine at the IRQL its documentation allows (defer PASSIVE_LEVEL work to a work item)."},
    /* 0xC9 DRIVER_VERIFIER_IOMANAGER_VIOLATION */
    {DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x01, {"IRP", "0", "0"},
     "IoFreeIrp was called on an object that is not an IRP.", "Pass IoFreeIrp only IRPs you allocated."},
    {DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x02, {"IRP", "0", "0"},
     "IoFreeIrp was called on an IRP still associated with a thread (a threaded IRP).",
     "The I/O manager frees IRPs from IoBuildSynchronousFsdRequest / IoBuildDeviceIoControlRequest; let "
     "completion finish instead of freeing them."},
    {DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x03, {"IRP", "0", "0"},
     "IoCallDriver was called with something that is not an IRP.", "Pass a live IRP."},
    {DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x04, {"device object", "0", "0"},
     "IoCallDriver was called with an invalid device object.", "Pass a device object that exists."},
    {DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x05, {"device object", "IRQL before", "IRQL after"},
     "A dispatch routine returned at a different IRQL than it was called at.",
     "Restore the IRQL (release every spin lock) before returning from the dispatch routine."},
    {DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x06, {"IRP status", "IRP", "0"},
     "IoCompleteRequest was called with status STATUS_PENDING (or 0xFFFFFFFF).",
     "Set Irp->IoStatus.Status to the final status before completing."},
    {DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x07, {"cancel routine", "IRP", "0"},
     "IoCompleteRequest was called while the IRP still had a cancel routine set. A later IoCancelIrp would call "
     "that routine on a completed (possibly freed) IRP.",
     "Clear the cancel routine with IoSetCancelRoutine(Irp, NULL) and check the result before completing: NULL "
     "means the cancel routine owns the IRP now. IO_CSQ does this for you."},
    {DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x08, {"device object", "major function", "exception code"},
     "IoBuildAsynchronousFsdRequest (or IoBuildSynchronousFsdRequest) was given a buffer it cannot use.",
     "Pass a valid, resident buffer and check the result for NULL."},
    {DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x09, {"device object", "I/O control code", "exception code"},
     "IoBuildDeviceIoControlRequest was given a buffer it cannot use.",
     "Pass a valid, resident buffer and check the result for NULL."},
    {DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x0E, {"IRQL", "IRP", "0"},
     "IoCompleteRequest was called above DISPATCH_LEVEL.", "Complete IRPs at DISPATCH_LEVEL or below."},
    {DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x10, {"IRQL", "0", "0"}, "IoCallDriver was called above DISPATCH_LEVEL.",
     "Send IRPs at DISPATCH_LEVEL or below."},
    {DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x20C, {"code address", "IRP", "device object"},
     "IoFreeIrp was called on an IRP still queued against a thread.",
     "Threaded IRPs are freed by the I/O manager; do not call IoFreeIrp on them."},
    {DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x20A, {"code address", "IRP", "device object"},
     "IoFreeIrp was called on an IRP that is still in use by a driver.",
     "Free an IRP only after its completion routine regained it (STATUS_MORE_PROCESSING_REQUIRED)."},
    {DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x20D, {"code address", "IRP", "device object"},
     "IoInitializeIrp was called on an IRP allocated by IoAllocateIrp.",
     "Use IoReuseIrp to recycle an IoAllocateIrp IRP; IoInitializeIrp is for memory you allocated yourself."},
    {DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x203, {"code address", "IRP", "device object"},
     "IoCallDriver was called with a cancel routine still set on the IRP.",
     "Clear the cancel routine before passing the IRP to another driver."},
    {DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x204, {"code address", "IRP", "device object"},
     "IoCallDriver was called with a NULL device object.", "Pass the device object to send to."},
    {DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x226, {"code address", "IRP", "device object"},
     "A dispatch routine returned without completing the IRP, passing it down or marking it pending.",
     "Either complete it, forward it (return IoCallDriver's status), or IoMarkIrpPending + return STATUS_PENDING."},
    {DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x224, {"code address", "IRP", "device object"},
     "A dispatch routine completed the IRP but returned a status different from Irp->IoStatus.Status.",
     "Return the status you completed the IRP with (save it before IoCompleteRequest)."},
    {DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x23D, {"code address", "IRP", "device object"},
     "A dispatch routine returned STATUS_PENDING without calling IoMarkIrpPending.",
     "Call IoMarkIrpPending before the IRP can be completed by anyone else, then return STATUS_PENDING."},
    {DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x23E, {"code address", "IRP", "device object"},
     "A dispatch routine marked the IRP pending but did not return STATUS_PENDING.",
     "Once IoMarkIrpPending was called, return STATUS_PENDING even if the IRP is already complete."},
    {DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x208, {"code address", "IRP", "device object"},
     "An IRP was sent to a device whose stack needs more stack locations than the IRP has left.",
     "Allocate the IRP with the target's DeviceObject->StackSize locations (plus one if you need your own), and send "
     "it to the top of the stack it was sized for."},
    {DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x21C, {"code address", "IRP", "device object"},
     "A driver copied its stack location to the next one (IoCopyCurrentIrpStackLocationToNext) but set no completion "
     "routine before IoCallDriver. Copying only costs time then (warning).",
     "Without a completion routine use IoSkipCurrentIrpStackLocation; copy only when you set one."},
    {DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x225, {"dispatch routine", "IRP", "device object"},
     "A dispatch routine returned 0xFFFFFFFF, which looks like an uninitialised status variable.",
     "Initialise the status variable and return the status the IRP was completed with."},
    {DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x239, {"code address", "IRP", "0"},
     "IoCompleteRequest was called on an IRP that was never sent to a driver with IoCallDriver (warning): its "
     "creator completed it.",
     "An IRP you allocated goes back with IoFreeIrp, not IoCompleteRequest; complete only IRPs a dispatch routine "
     "received."},
    {DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x307, {"code address", "IRP", "device object"},
     "A request built with IoBuildSynchronousFsdRequest / IoBuildDeviceIoControlRequest was sent with an event that "
     "was already signalled, and IoCallDriver returned STATUS_PENDING. The caller's wait returns at once, and it "
     "unwinds (its IO_STATUS_BLOCK and event are on its stack) while the I/O is still in flight.",
     "Initialise the event non-signalled (KeInitializeEvent(&Event, NotificationEvent, FALSE)) for every request, or "
     "KeClearEvent before reusing it."},
    {DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x310, {"code address", "IRP", "0"},
     "An IRP was reinitialised (IoReuseIrp) while it is still in use.",
     "Reuse an IRP only after your completion routine regained it with STATUS_MORE_PROCESSING_REQUIRED."},
    {DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x311, {"code address", "IRP", "0"},
     "An IRP made by IoMakeAssociatedIrp, an IoBuild*Request routine or the I/O manager was reinitialised.",
     "Let the I/O manager finish and free such an IRP; allocate a new one for the next request."},
    {DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x312, {"code address", "IRP", "IoStatus.Information"},
     "A buffered request was completed with IoStatus.Information larger than the caller's output buffer.",
     "Set Information to the number of bytes actually written, never more than the output buffer length "
     "(OutputBufferLength / Read.Length)."},
    {DRIVER_VERIFIER_IOMANAGER_VIOLATION, VF_C9_FREE_NOT_IO_ALLOCATED, {"code address", "IRP",
     "origin (irpsim IRP origin)"},
     "IoFreeIrp was called on an IRP the I/O manager did not allocate for the caller (irpsim check, SDV rule "
     "IoAllocateFree).",
     "Free with IoFreeIrp only IRPs from IoAllocateIrp or IoBuildAsynchronousFsdRequest."},
    {DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x228, {"code address", "IRP", "device object"},
     "A completion routine did not propagate the pending state although Irp->PendingReturned was set.",
     "In a completion routine that does not return STATUS_MORE_PROCESSING_REQUIRED, write: "
     "if (Irp->PendingReturned) IoMarkIrpPending(Irp);"},
};

static const VF_CODE_TEXT *VfpFindCode(ULONG Code)
{
    for (SIZE_T i = 0; i < RTL_NUMBER_OF(VfpCodes); i++) {
        if (VfpCodes[i].Code == Code)
            return &VfpCodes[i];
    }
    return NULL;
}

static const VF_SUBCODE_TEXT *VfpFindSubCode(ULONG Code, ULONG_PTR SubCode)
{
    for (SIZE_T i = 0; i < RTL_NUMBER_OF(VfpSubCodes); i++) {
        if (VfpSubCodes[i].Code == Code && VfpSubCodes[i].SubCode == SubCode)
            return &VfpSubCodes[i];
    }
    return NULL;
}

PCSTR VfBugCheckName(ULONG Code)
{
    const VF_CODE_TEXT *Text = VfpFindCode(Code);
    return Text != NULL ? Text->Name : "UNKNOWN_BUGCHECK_CODE";
}

PCSTR VfBugCheckRule(ULONG Code, ULONG_PTR P1)
{
    const VF_SUBCODE_TEXT *Sub = VfpFindSubCode(Code, P1);
    const VF_CODE_TEXT *Text;
    if (Sub != NULL)
        return Sub->Rule;
    Text = VfpFindCode(Code);
    return Text != NULL ? Text->Rule : "The driver (or irpsim on its behalf) called KeBugCheckEx with this code.";
}

PCSTR VfBugCheckHint(ULONG Code, ULONG_PTR P1)
{
    const VF_SUBCODE_TEXT *Sub = VfpFindSubCode(Code, P1);
    const VF_CODE_TEXT *Text;
    if (Sub != NULL)
        return Sub->Hint;
    Text = VfpFindCode(Code);
    return Text != NULL ? Text->Hint : "Look up the code in Microsoft's bug check reference.";
}

PCSTR VfBugCheckParameterMeaning(ULONG Code, ULONG_PTR P1, ULONG Index)
{
    const VF_SUBCODE_TEXT *Sub;
    const VF_CODE_TEXT *Text;
    if (Index > 3)
        return "";
    if (Index > 0) {
        Sub = VfpFindSubCode(Code, P1);
        if (Sub != NULL)
            return Sub->Parameter[Index - 1];
    }
    Text = VfpFindCode(Code);
    return Text != NULL ? Text->Parameter[Index] : "";
}
