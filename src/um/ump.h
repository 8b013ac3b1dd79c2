/*
 * irpsim — the user-mode side (Ump*): the Win32 facade and the native file
 * services under it.
 *
 * Layering, as on Windows:
 *   kernel32 layer (CreateFile, DeviceIoControl, ReadFile, ...): argument
 *     translation, OVERLAPPED handling, GetLastError; each call runs between
 *     UmpEnter and UmpLeave, which set KTHREAD.PreviousMode = UserMode and
 *     emit the Win32Call / Win32Return trace events;
 *   native services (NtCreateFile, NtDeviceIoControlFile, NtReadFile, ...):
 *     probing, handle and access checks, IRP construction, the wait for
 *     synchronous file objects (SEMANTICS Appendix A);
 *   completion comes back through the I/O manager's stage 2 (src/io
 *   complete.c), which calls UmpUserCompletion for user APCs and completion
 *   ports.
 *
 * This file includes the WDK headers first and then <windows.h> with
 * WIN32_NO_STATUS: the shared definitions are guarded in windows.h.
 */
#ifndef IRPSIM_UMP_H
#define IRPSIM_UMP_H

#include "../io/iop.h"
#include "../mm/mi.h"
#include "../trace/tracep.h"

#define WIN32_NO_STATUS
#include <win32/windows.h>
#undef WIN32_NO_STATUS
/* IO_STACK_LOCATION has a member of this name (Parameters.DeviceIoControl):
   devioctl.c defines the Win32 function under its symbol name. */
#undef DeviceIoControl

/* OVERLAPPED begins with the I/O status block the I/O manager writes. */
C_ASSERT(offsetof(OVERLAPPED, Internal) == offsetof(IO_STATUS_BLOCK, Status));
C_ASSERT(offsetof(OVERLAPPED, InternalHigh) == offsetof(IO_STATUS_BLOCK, Information));
C_ASSERT(sizeof(((OVERLAPPED *)0)->Internal) == sizeof(((IO_STATUS_BLOCK *)0)->Pointer));

/* Pool tag of the I/O manager's system buffers ("Io  "). */
#define UMP_BUFFER_TAG 0x20206F49u
/* Pool tag of completion-port associations ("IoCp"). */
#define UMP_COMPLETION_CONTEXT_TAG 0x70436F49u

/* The status kernel32 reads back from an OVERLAPPED (Internal holds an
   NTSTATUS in its low 32 bits). */
#define UmpOverlappedStatus(Overlapped) ((NTSTATUS)(ULONG)(Overlapped)->Internal)

/* ---- syscall.c: the application / kernel boundary ---- */
typedef struct _UMP_CALL {
    PCSTR Name;     /* the Win32 call, for the trace */
    HANDLE Handle;  /* its handle argument */
    BOOLEAN Announced; /* the Win32Call event was emitted */
    KPROCESSOR_MODE SavedMode;
    PKTHREAD Thread;
    struct _UMP_CALL *Previous;
} UMP_CALL, *PUMP_CALL;

/* Starts a Win32 call on the calling thread: PreviousMode = UserMode,
   kernel APCs that are due are delivered (as on any entry to the kernel). */
VOID UmpEnter(PUMP_CALL Call, PCSTR Name, HANDLE Handle);
/* Emits the Win32Call event of the innermost call, naming the IRP it made. */
VOID UmpNoteIrp(PIRP Irp);
/* Ends the call: emits Win32Call (if not yet) and Win32Return, restores
   PreviousMode, delivers due kernel APCs. Returns Result. */
ULONG_PTR UmpLeave(PUMP_CALL Call, ULONG_PTR Result);
/* Sets the calling thread's PreviousMode (the Zw services); returns the old one. */
KPROCESSOR_MODE UmpSetPreviousMode(KPROCESSOR_MODE Mode);

/* ---- lasterror.c ---- */
/* SetLastError(RtlNtStatusToDosError(Status)), as kernel32's BaseSetLastNTError. */
VOID UmpSetLastNtError(NTSTATUS Status);

/* ---- probe.c ---- */
/* The probes the native services make for UserMode callers:
   STATUS_ACCESS_VIOLATION unless [Address, Address + Length) may be read
   (Write: and written). Nothing is checked for KernelMode callers. */
NTSTATUS UmpProbe(KPROCESSOR_MODE Mode, const VOID *Address, SIZE_T Length, BOOLEAN Write);
/* ms -> a relative NT timeout; NULL for INFINITE. */
PLARGE_INTEGER UmpTimeout(DWORD Milliseconds, PLARGE_INTEGER Storage);

/* ---- request.c: what every handle-based I/O service shares ---- */
typedef struct _UMP_REQUEST {
    KPROCESSOR_MODE Mode;
    PFILE_OBJECT FileObject; /* referenced; the reference goes with the IRP */
    ACCESS_MASK GrantedAccess;
    PKEVENT Event;           /* referenced, or NULL */
    PDEVICE_OBJECT Device;   /* top of the file object's stack */
    BOOLEAN Synchronous;     /* FO_SYNCHRONOUS_IO: the service waits */
    BOOLEAN LockHeld;        /* the file object lock (synchronous I/O) */
    PIO_APC_ROUTINE ApcRoutine;
    PVOID ApcContext;
    PIO_STATUS_BLOCK IoStatusBlock;
} UMP_REQUEST, *PUMP_REQUEST;

/* References the file object (checking AllOf / AnyOf of the handle's
   granted access for UserMode callers), refuses an APC routine on a file
   with a completion port, references and resets Event, takes the file
   object lock of a synchronous file object and clears its event. */
NTSTATUS UmpBeginRequest(PUMP_REQUEST Request, KPROCESSOR_MODE Mode, HANDLE FileHandle, HANDLE Event,
                         PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext, PIO_STATUS_BLOCK IoStatusBlock,
                         ACCESS_MASK AllOf, ACCESS_MASK AnyOf);
/* Undoes UmpBeginRequest when no IRP is sent. */
VOID UmpAbortRequest(PUMP_REQUEST Request);
/* An IRP for the request's device with the common fields and the top
   stack location's MajorFunction / FileObject filled in. */
PIRP UmpAllocateRequestIrp(PUMP_REQUEST Request, UCHAR MajorFunction);
/* Frees an IRP that was never sent (buffers and MDLs with it). */
VOID UmpFreeUnsentIrp(PIRP Irp);
/* Locks Length bytes at Buffer for the IRP (IoAllocateMdl +
   MmProbeAndLockPages with the request's mode); the exception status if
   the probe fails. */
NTSTATUS UmpLockBuffer(PUMP_REQUEST Request, PIRP Irp, PVOID Buffer, ULONG Length, LOCK_OPERATION Operation);
/* A system buffer of Length bytes (charged to the I/O manager). */
PVOID UmpAllocateSystemBuffer(ULONG Length);
/* Queues the IRP to the thread, sends it, and for a synchronous file
   object waits for it and returns FileObject->FinalStatus. The request
   stays open (file object lock held) until UmpEndRequest. */
NTSTATUS UmpSendRequest(PUMP_REQUEST Request, PIRP Irp);
VOID UmpEndRequest(PUMP_REQUEST Request);

/* ---- filelock.c: the file object lock that serialises synchronous I/O ---- */
VOID UmpAcquireFileObjectLock(PFILE_OBJECT FileObject, KPROCESSOR_MODE Mode);
VOID UmpReleaseFileObjectLock(PFILE_OBJECT FileObject);

/* ---- userirps.c: the requests applications have outstanding ---- */
typedef struct _UMP_IRP_REF {
    PIRP Irp;
    ULONGLONG Serial;
    PKTHREAD Thread; /* referenced by UmpFindUserIrps */
} UMP_IRP_REF, *PUMP_IRP_REF;
VOID UmpRegisterUserIrp(PIRP Irp);
/* The requests still in a driver (their walk has not finished) issued on
   FileObject (and with that I/O status block, if given) by any thread.
   Returns the count; *Refs is malloc'd, each Thread referenced (release
   with UmpReleaseIrpRefs). */
ULONG UmpFindUserIrps(PFILE_OBJECT FileObject, PVOID IoStatusBlock, PUMP_IRP_REF *Refs);
VOID UmpReleaseIrpRefs(PUMP_IRP_REF Refs, ULONG Count);
/* The requests on Thread's IRP list still in a driver that match
   (FileObject / IoStatusBlock NULL = any; SynchronousOnly = issued on a synchronous file
   object, or a synchronous API such as a create). Safe from any thread. Refs' Thread fields are not referenced. */
ULONG UmpFindThreadIrps(PKTHREAD Thread, PFILE_OBJECT FileObject, PVOID IoStatusBlock, BOOLEAN SynchronousOnly,
                        PUMP_IRP_REF *Refs);

/* ---- cancel.c ---- */
/* Cancels the referenced IRPs, which belong to the calling thread; call at
   APC_LEVEL (the IRPs cannot be freed meanwhile). */
VOID UmpCancelOwnIrps(const UMP_IRP_REF *Refs, ULONG Count);
/* Cancels Refs (all of Thread) in Thread itself: at once for the calling
   thread, otherwise from a kernel APC queued to it. */
VOID UmpCancelThreadIrps(PKTHREAD Thread, const UMP_IRP_REF *Refs, ULONG Count);

/* ---- completion.c: stage 2's user notifications ---- */
/* Makes sure the I/O manager calls UmpUserCompletion (it resets the hook
   at each IrpSimInitialize). */
VOID UmpInstallCompletionHook(VOID);

/* ---- apc.c: user APCs ---- */
/* Queues a user APC to Thread that calls Routine(Context, IoStatusBlock, 0)
   when the thread next waits alertably (ReadFileEx's completion). */
BOOLEAN UmpQueueIoApc(PKTHREAD Thread, PIO_APC_ROUTINE Routine, PVOID Context, PIO_STATUS_BLOCK IoStatusBlock);

/* ---- iocompletion.c ---- */
/* Queues a completion packet to Port (an IoCompletion object). */
VOID UmpPostCompletionPacket(PVOID Port, ULONG_PTR Key, PVOID Overlapped, NTSTATUS Status, ULONG_PTR Information);

/* ---- overlapped.c: kernel32's use of the native services ---- */
/* Checks the OVERLAPPED, sets Internal = STATUS_PENDING, and gives the
   event (low bit cleared) and APC context (NULL when the low bit of
   hEvent asks for no completion-port packet). FALSE if it is not
   writable. */
BOOLEAN UmpPrepareOverlapped(LPOVERLAPPED Overlapped, PHANDLE Event, PVOID *ApcContext);
/* The result of a call made with an OVERLAPPED (sets the last error). */
BOOL UmpOverlappedResult(NTSTATUS Status, LPOVERLAPPED Overlapped, LPDWORD lpBytes);
/* The result of a call made with a local I/O status block: waits on
   Handle first if the service returned STATUS_PENDING. ReadFile counts
   STATUS_END_OF_FILE as success with 0 bytes. */
BOOL UmpSynchronousResult(NTSTATUS Status, HANDLE Handle, PIO_STATUS_BLOCK IoStatus, LPDWORD lpBytes,
                          BOOLEAN EndOfFileIsSuccess);

/* ---- wait.c ---- */
/* The dispatcher object to wait on for an object a handle refers to (the
   event of a file object), or NULL if the object cannot be waited on. */
PVOID UmpWaitableObject(PVOID Object);
/* Waits (UserMode) on the object Handle refers to; the wait's status. */
NTSTATUS UmpWaitForHandle(HANDLE Handle, BOOLEAN Alertable, PLARGE_INTEGER Timeout);

/* ---- createfile.c ---- */
/* Converts a Win32 name to an NT path (\\.\X -> \??\X); malloc'd. */
PWSTR UmpDosPathToNtPath(PCWSTR DosPath);
/* ANSI (bytes 0-255 as code points) to a malloc'd wide string. */
PWSTR UmpAnsiToWide(PCSTR Ansi);

#endif /* IRPSIM_UMP_H */
