/*
 * irpsim — I/O manager internals (Iop*).
 *
 * What the rest of irpsim (IoBuild*, cancel-safe queues, StartIo, the Win32
 * facade, thread exit) needs from the core I/O manager: threaded-IRP lists,
 * stage-2 completion, file objects and synchronous internal requests, and
 * the private parts of device and driver objects.
 */
#ifndef IRPSIM_IOP_H
#define IRPSIM_IOP_H

#include <irpsim/irpsim.h>

#include "../ke/ki.h"
#include "../ob/obp.h"
#include "../platform/pal.h"
#include "../sim/simp.h"
#include "../verifier/irpstate.h"
#include "../verifier/vf.h"

/* Bug check codes irpsim raises for crashes that Windows reports through a
   generic exception path (bugcodes.h does not name them). */
#define IOP_KMODE_EXCEPTION_NOT_HANDLED 0x0000001E
#define IOP_PAGE_FAULT_BEYOND_END_OF_ALLOCATION 0x000000CD
#define IOP_PAGE_FAULT_IN_FREED_SPECIAL_POOL 0x000000CC

/* Device object extension flags (ExtensionFlags). */
#define IOP_DOE_UNLOAD_PENDING 0x00000001
#define IOP_DOE_DELETE_PENDING 0x00000002

/* The verifier's master switch (IRPSIM_CONFIG.Verifier). Driver Verifier
   checks go through VfReport (src/verifier/vf.h), which also applies the
   rule classes and makes non-fatal reports report-and-continue. Inline:
   the I/O manager asks on every call. */
FORCEINLINE BOOLEAN IopVerifierEnabled(VOID)
{
    return IrpSimpConfig.Verifier;
}

/* VfCheckIrql for the I/O manager's hottest routines: the call is made
   only when the caller's IRQL is above the limit with the verifier on (the
   only case it acts on). */
FORCEINLINE VOID IopCheckThreadIrql(PKTHREAD Thread, PCSTR Routine, KIRQL MaxIrql)
{
    if (IopVerifierEnabled() && Thread != NULL && Thread->Irql > MaxIrql)
        VfCheckIrql(Routine, MaxIrql);
}
/* The same for the calling thread, looked up only with the verifier on. */
FORCEINLINE VOID IopCheckIrql(PCSTR Routine, KIRQL MaxIrql)
{
    if (IopVerifierEnabled())
        IopCheckThreadIrql(KiGetCurrentThreadIfAny(), Routine, MaxIrql);
}

/* ---- the I/O manager's private lock: driver device lists, attachment
   chains, the loaded-driver list. Never held across a call into a driver or
   anything that may bug check. ---- */
extern PAL_MUTEX IopDatabaseLock;

/* ---- driver objects (driver.c) ---- */
typedef struct _IOP_DRIVER_PRIVATE {
    DRIVER_OBJECT Driver; /* must be first */
    DRIVER_EXTENSION Extension;
    LIST_ENTRY LoadedListEntry; /* IopLoadedDrivers (under IopDatabaseLock) */
    LIST_ENTRY ClientExtensions; /* IoAllocateDriverObjectExtension blocks */
    UNICODE_STRING RegistryPath;
    BOOLEAN Loaded;             /* DriverEntry succeeded and not unloaded yet */
} IOP_DRIVER_PRIVATE, *PIOP_DRIVER_PRIVATE;
#define IopDriverPrivate(d) ((PIOP_DRIVER_PRIVATE)(d))

/* Every MajorFunction entry starts out as this routine. */
DRIVER_DISPATCH IopInvalidDeviceRequest;
/* "\Driver\Beep" for reports (never NULL). */
VOID IopFormatDriverName(PDRIVER_OBJECT Driver, PCHAR Buffer, SIZE_T Size);

/* ---- device objects (device.c) ---- */
typedef struct _IOP_DEVICE_PRIVATE {
    BOOLEAN Deleted; /* IoDeleteDevice ran */
} IOP_DEVICE_PRIVATE, *PIOP_DEVICE_PRIVATE;
PIOP_DEVICE_PRIVATE IopDevicePrivate(PDEVICE_OBJECT Device);
/* TRUE if Device looks like a live device object (readable Type). */
BOOLEAN IopIsDeviceObject(PDEVICE_OBJECT Device);
/* "\Device\Beep" or "(unnamed)". */
VOID IopFormatDeviceName(PDEVICE_OBJECT Device, PCHAR Buffer, SIZE_T Size);
/* Removes every device still alive (IopShutdownSystem, after the report). */
VOID IopDeleteAllDevices(VOID);

/* ---- file objects (file.c) ---- */
typedef struct _IOP_FILE_PRIVATE {
    FILE_OBJECT FileObject; /* must be first */
    BOOLEAN Opened;         /* IRP_MJ_CREATE succeeded: IRP_MJ_CLOSE is owed */
    BOOLEAN CleanedUp;      /* IRP_MJ_CLEANUP was sent */
} IOP_FILE_PRIVATE, *PIOP_FILE_PRIVATE;

/* Creates a FILE_OBJECT (ob object of the File type, one reference) for
   Device, referencing Device. FileName (the part of the path after the
   device name) may be NULL. Flags are FO_* flags (FO_SYNCHRONOUS_IO ...). */
NTSTATUS IopCreateFileObject(PDEVICE_OBJECT Device, PCUNICODE_STRING FileName, ACCESS_MASK DesiredAccess,
                             ULONG Flags, PFILE_OBJECT *FileObject);
/* Sends IRP_MJ_CREATE for FileObject to the top of its device's stack and
   waits for it. On success the file object counts as open (CLOSE will be
   sent when its last reference goes). Information receives
   IoStatus.Information (FILE_OPENED ...). */
NTSTATUS IopSendCreate(PFILE_OBJECT FileObject, ACCESS_MASK DesiredAccess, ULONG CreateOptions, USHORT ShareAccess,
                       PULONG_PTR Information);
/* Sends IRP_MJ_CLEANUP (the last handle went away). Once per file object. */
VOID IopSendCleanup(PFILE_OBJECT FileObject);
/* Opens the device named Name (following symbolic links) the way
   NtCreateFile / IoGetDeviceObjectPointer do: checks, file object,
   IRP_MJ_CREATE. The returned file object carries one reference. */
NTSTATUS IopOpenDevice(PCUNICODE_STRING Name, ACCESS_MASK DesiredAccess, ULONG CreateOptions, USHORT ShareAccess,
                       ULONG FileObjectFlags, PFILE_OBJECT *FileObject, PULONG_PTR Information);
/* Sends a request synchronously from the I/O manager: an IRP from
   IoAllocateIrp(Device->StackSize), the next location filled from Template
   (MajorFunction, MinorFunction, Flags, Parameters, FileObject), origin
   "I/O manager request", waits if the driver pends it, frees it.
   IrpFlags go into Irp->Flags. */
NTSTATUS IopSynchronousRequest(PDEVICE_OBJECT Device, const IO_STACK_LOCATION *Template, ULONG IrpFlags,
                               PFILE_OBJECT OriginalFileObject, PIO_STATUS_BLOCK IoStatus);

/* ---- threaded IRPs (complete.c) ---- */
/* Links Irp into Thread's IRP list (IoBuildSynchronousFsdRequest,
   IoBuildDeviceIoControlRequest, user requests). Sets Tail.Overlay.Thread. */
VOID IopQueueThreadIrp(PIRP Irp, PETHREAD Thread);
/* Unlinks Irp from Thread's list (no-op if it is not linked). */
VOID IopDequeueThreadIrp(PIRP Irp, PETHREAD Thread);
/* TRUE if Thread has threaded IRPs outstanding. */
BOOLEAN IopThreadHasIrps(PETHREAD Thread);

/* Stage 2 (SEMANTICS 3.6) for an IRP whose walk finished but whose stage 2
   was left to the issuing service (IRP_DEFER_IO_COMPLETION and not pended).
   Runs on the issuing thread, which is Irp->Tail.Overlay.Thread. */
VOID IopCompleteDeferredRequest(PIRP Irp);

/* The Win32 facade's hook for user APCs and completion ports (3.6 REPORT
   step 4). Called in stage 2 when the IRP carries
   Overlay.AsynchronousParameters.UserApcRoutine, or when its file object has
   a CompletionContext and UserApcContext is set. Return TRUE to take the
   IRP over: the hook then frees it later with IopFreeIrp. Return FALSE and
   the I/O manager frees it now. */
typedef BOOLEAN (*PIOP_USER_COMPLETION_HOOK)(PIRP Irp, PETHREAD Thread, PFILE_OBJECT FileObject);
VOID IopSetUserCompletionHook(PIOP_USER_COMPLETION_HOOK Hook);

/* ---- IRP memory (irp.c) ---- */
/* Allocates and initialises an IRP as IoAllocateIrp does, recording Origin
   and Site in the state table. */
PIRP IopAllocateIrp(CCHAR StackSize, BOOLEAN ChargeQuota, IRPSIM_IRP_ORIGIN Origin, PVOID Site);
/* Frees an IRP the I/O manager owns (after stage 2, associated IRPs),
   without IoFreeIrp's checks. */
VOID IopFreeIrp(PIRP Irp);
/* Returns every block of the IRP delay lines (cached or still held by
   a leaked IRP) to the host: IrpSimShutdown, after the leak report. */
VOID IopShutdownIrpLookaside(VOID);
/* Unlocks (stage 1) or frees (stage 2) the MDL chain of Irp. */
VOID IopUnlockMdlChain(PIRP Irp);
VOID IopFreeMdlChain(PIRP Irp);

/* Starts every block the I/O manager allocates an IRP in
   (IRP_ALLOCATED_FIXED_SIZE in AllocationFlags; irp.c). It remembers the
   IRP's state-table entry, so the I/O manager's calls find it without a
   lookup. Never poisoned, never written by drivers. */
typedef struct DECLSPEC_ALIGN(16) _IOP_IRP_HEADER {
    LIST_ENTRY Link;              /* every block from the host (irp.c) */
    PVF_IRP_ENTRY Entry;          /* the IRP's entry now (or in its last life) */
    ULONG_PTR Check;              /* IOP_IRP_HEADER_CHECK(Irp): this is the IRP's header */
    ULONG List;                   /* where the block goes back (irp.c) */
    ULONG Bytes;                  /* the block's IRP memory (IoSizeOfIrp of its capacity) */
    ULONG Generation;             /* VfIrpTableGeneration when Entry was stored */
} IOP_IRP_HEADER, *PIOP_IRP_HEADER;

#define IOP_IRP_HEADER_CHECK(Irp) ((ULONG_PTR)(Irp) ^ (ULONG_PTR)0x5A17C0DE5A17C0DEull)

/* Written over Type when an IRP goes back to its allocator: a freed IRP is
   no longer IO_TYPE_IRP. */
#define IOP_TYPE_FREED_IRP ((CSHORT)0x7F06)

/* The entry the header remembers, or NULL if there is none or it belongs
   to a state table since shut down. */
FORCEINLINE PVF_IRP_ENTRY IopHeaderEntry(PIOP_IRP_HEADER Header)
{
    if (Header->Generation != PAL_ATOMIC_LOAD(&VfIrpTableGeneration, PAL_ORDER_ACQUIRE))
        return NULL;
    return PAL_ATOMIC_LOAD(&Header->Entry, PAL_ORDER_RELAXED);
}

/* The header of an IRP the I/O manager allocated, or NULL for an IRP that
   has none (driver memory). Irp must be live (checked not freed). */
FORCEINLINE PIOP_IRP_HEADER IopIrpHeader(PIRP Irp)
{
    PIOP_IRP_HEADER Header = (PIOP_IRP_HEADER)Irp - 1;
    if (!(Irp->AllocationFlags & IRP_ALLOCATED_FIXED_SIZE) || Header->Check != IOP_IRP_HEADER_CHECK(Irp))
        return NULL;
    return Header;
}

/* A hint for the state-table calls that take one (VfIrpLockEntryHint,
   VfIrpHolderEntry): the entry the header remembers, or NULL for an IRP
   that has no header. Irp must be live (checked not freed). */
FORCEINLINE PVF_IRP_ENTRY IopIrpEntryHint(PIRP Irp)
{
    PIOP_IRP_HEADER Header = IopIrpHeader(Irp);
    return Header != NULL ? IopHeaderEntry(Header) : NULL;
}

/* Reports a use of a freed IRP (never returns) if Irp is freed; Code/P1 is
   the bug check the caller raises for it. */
VOID IopCheckIrpFreedSlow(PIRP Irp, PCSTR Routine, ULONG Code, ULONG_PTR P1, ULONG_PTR P2, ULONG_PTR P3,
                          ULONG_PTR P4);
/* The first look at an IRP handed to the I/O manager. Every IRP the I/O
   manager allocated stays its memory, Type overwritten, for as long as the
   state table remembers it as freed (its block waits in a delay line,
   irp.c): an IRP whose Type still says IO_TYPE_IRP is not freed, and only
   another Type needs the table. (An IRP in a driver's own memory is
   readable for as long as the driver's pool keeps it.) */
FORCEINLINE VOID IopCheckIrpNotFreed(PIRP Irp, PCSTR Routine, ULONG Code, ULONG_PTR P1, ULONG_PTR P2,
                                     ULONG_PTR P3, ULONG_PTR P4)
{
    if (Irp != NULL && Irp->Type == IO_TYPE_IRP)
        return;
    IopCheckIrpFreedSlow(Irp, Routine, Code, P1, P2, P3, P4);
}

/* ---- cancellation (cancel.c) ---- */
extern KSPIN_LOCK IopCancelSpinLock;
/* How long thread exit (IoCancelThreadIo) and NtCancelIoFile wait for a
   cancelled IRP before they disassociate it from its thread: PollInterval
   (100 ns units, > 0) times Retries, Windows' 3000 polls of 100 ms (about
   five minutes). irpsim does not poll (see cancel.c); the product is the
   limit. */
VOID IopSetThreadIoCancelLimits(LONGLONG PollInterval, ULONG Retries);
/* The interrupt time at which a wait for cancelled IRPs that starts now
   gives up. */
ULONGLONG IopCancelWaitDeadline(VOID);
/* The calling thread waits for IRPs to leave its own IRP list: Begin,
   then look at the list and, while what is waited for is still there,
   IopWaitForThreadIrpRemoval (STATUS_TIMEOUT once Deadline has come;
   otherwise an IRP has left the list since Begin or the previous wait, or
   is about to), and End. Completion APCs run during the wait. */
VOID IopBeginThreadIrpWait(VOID);
NTSTATUS IopWaitForThreadIrpRemoval(ULONGLONG Deadline);
VOID IopEndThreadIrpWait(VOID);
/* Called by IopDequeueThreadIrp, without the list lock, after it took an
   IRP off Thread's list: ends the wait above when Thread is the caller. */
VOID IopThreadIrpRemoved(PKTHREAD Thread);
/* TRUE if Irp, trip number Serial (VF_IRP_ENTRY.Serial), is still on
   Tcb's IRP list. */
BOOLEAN IopThreadIrpPending(PKTHREAD Tcb, PIRP Irp, ULONGLONG Serial);
/* NtCancelIoFile giving up (5.6): if Irp (allocation Serial) is still on
   Tcb's list and its walk has not finished, disassociates it as thread exit
   does (5.5) and notes IO_DRIVER_CANCEL_TIMEOUT. Call at APC_LEVEL on Tcb. */
BOOLEAN IopDisassociateThreadIrp(PKTHREAD Tcb, PIRP Irp, ULONGLONG Serial);

/* ---- subsystem (iomgr.c) and the per-file start-up hooks it calls ---- */
VOID IopInitializeDrivers(VOID);    /* driver.c */
VOID IopShutdownDrivers(VOID);      /* driver.c: drops drivers still loaded */
VOID IopInitializeDeviceType(VOID); /* device.c */
VOID IopInitializeFileType(VOID);   /* file.c */
/* The user completion hook (complete.c). */
extern PIOP_USER_COMPLETION_HOOK IopUserCompletionHook;

#endif /* IRPSIM_IOP_H */
