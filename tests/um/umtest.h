/*
 * The Win32 facade tests: what the test driver (umtest_driver.c, WDK side)
 * and the applications (test_*.c, Win32 side) share. Plain types only, so
 * both sides can include it.
 *
 * The driver, \Driver\UmTest, has four devices:
 *   \Device\UmBuf     (\??\UmBuf)     DO_BUFFERED_IO
 *   \Device\UmDirect  (\??\UmDirect)  DO_DIRECT_IO
 *   \Device\UmNeither (\??\UmNeither) neither
 *   \Device\UmExcl    (\??\UmExcl)    DO_BUFFERED_IO, exclusive
 * and, on request, a filter device attached on top of \Device\UmBuf.
 */
#ifndef UMTEST_H
#define UMTEST_H

#include <irpsim/wdk/basetypes.h>
#include <irpsim/wdk/devioctl.h>

/* IOCTLs (function codes; any method and access). */
#define UM_FUNCTION_ECHO 0x800   /* fills the output, completes as configured */
#define UM_FUNCTION_PEND 0x801   /* always queued until UmTestCompleteQueued */
#define UM_FUNCTION_SIGNAL 0x802 /* input: an event HANDLE the driver signals from a DPC */
#define UM_FUNCTION_ZW 0x803     /* the driver opens \Device\UmDirect with Zw calls; output: UM_ZW_RESULT */
#define UM_IOCTL(Function, Method, Access) CTL_CODE(FILE_DEVICE_UNKNOWN, Function, Method, Access)
#define IOCTL_UM_ECHO UM_IOCTL(UM_FUNCTION_ECHO, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_UM_PEND UM_IOCTL(UM_FUNCTION_PEND, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_UM_SIGNAL UM_IOCTL(UM_FUNCTION_SIGNAL, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_UM_ZW UM_IOCTL(UM_FUNCTION_ZW, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_UM_UNKNOWN UM_IOCTL(0x8FF, METHOD_BUFFERED, FILE_ANY_ACCESS)

/* How the driver finishes an ECHO, READ or WRITE request. */
#define UM_COMPLETE_INLINE 0 /* IoCompleteRequest in the dispatch routine */
#define UM_PEND_QUEUE 1      /* marked pending, queued with a cancel routine */
#define UM_PEND_DPC 2        /* marked pending, completed from a DPC */

/* What the driver does when one of its queued requests is cancelled. */
#define UM_CANCEL_COMPLETE 0 /* the cancel routine completes it (STATUS_CANCELLED) */
#define UM_CANCEL_DPC 1      /* the cancel routine hands it to a DPC, which completes it */
#define UM_CANCEL_IGNORE 2   /* requests queued from now on have no cancel routine */

#define UM_INFO_DEFAULT ((ULONG_PTR)-1) /* Information = the bytes the driver wrote */
#define UM_OUTPUT_BYTE(i) ((UCHAR)(0xA0 + (i)))  /* what ECHO writes at output byte i */
#define UM_READ_BYTE(Offset) ((UCHAR)((Offset) * 7 + 1)) /* what READ returns at file offset Offset */

typedef struct _UM_BEHAVIOR {
    LONG Status;           /* final status (default STATUS_SUCCESS) */
    ULONG_PTR Information; /* UM_INFO_DEFAULT or a value */
    ULONG Disposition;     /* UM_COMPLETE_INLINE, ... */
    BOOLEAN KeepOnCleanup; /* IRP_MJ_CLEANUP leaves the file's queued requests alone */
} UM_BEHAVIOR;

/* What the driver saw in the last ECHO, READ or WRITE. */
typedef struct _UM_SEEN {
    ULONG Requests;          /* ECHO / READ / WRITE requests dispatched */
    UCHAR Major;
    ULONG IoControlCode;
    ULONG InputLength;
    ULONG OutputLength;      /* DeviceIoControl output, or the read/write length */
    LONGLONG ByteOffset;
    ULONG IrpFlags;
    UCHAR SlotFlags;
    CHAR RequestorMode;
    CHAR PreviousMode;       /* ExGetPreviousMode() in the dispatch routine */
    BOOLEAN HasSystemBuffer;
    BOOLEAN HasMdl;
    ULONG MdlByteCount;
    PVOID UserBuffer;
    PVOID Type3InputBuffer;
    UCHAR Data[64];          /* first bytes of the input: the whole system buffer for METHOD_BUFFERED,
                                Type3InputBuffer for METHOD_NEITHER, a write's data */
    UCHAR MdlData[16];       /* first bytes the MDL describes (METHOD_IN_DIRECT's buffer) */
    ULONG FileObjectFlags;
    PVOID FileObject;
    PVOID Thread;            /* PsGetCurrentThread() */
} UM_SEEN;

typedef struct _UM_COUNTS {
    ULONG Creates;
    ULONG Cleanups;
    ULONG Closes;
    ULONG Cancels;            /* cancel routine calls */
    ULONG CleanupCompleted;   /* queued requests completed by IRP_MJ_CLEANUP */
    ULONG FilterRequests;     /* requests that passed through the filter device */
    ULONG CreateAccess;       /* IRP_MJ_CREATE: SecurityContext->DesiredAccess */
    ULONG CreateOptions;      /* Parameters.Create.Options */
    ULONG CreateShareAccess;
    ULONG CreateFileAttributes;
    ULONG CreateIrpFlags;
    ULONG CreateFileObjectFlags;
    WCHAR CreateFileName[32];
} UM_COUNTS;

/* What the driver's Zw calls (IOCTL_UM_ZW) found. */
typedef struct _UM_ZW_RESULT {
    LONG CreateStatus;
    LONG IoctlStatus;
    ULONG_PTR IoctlInformation;
    UCHAR IoctlOutput[8];
    LONG ReadStatus;
    ULONG_PTR ReadInformation;
    UCHAR ReadData[8];
    LONG WriteStatus;
    LONG CloseStatus;
    CHAR InnerRequestorMode;  /* what the lower request carried */
    CHAR InnerPreviousMode;
    CHAR OuterPreviousMode;   /* back in the outer dispatch routine */
    HANDLE KernelHandle;      /* the handle ZwCreateFile made (closed by then) */
} UM_ZW_RESULT, *PUM_ZW_RESULT;

/* Exported by the driver side for the application side. */
LONG UmTestLoadDriver(void);
void UmTestReset(void);
void UmTestSetBehavior(LONG Status, ULONG_PTR Information, ULONG Disposition);
void UmTestKeepOnCleanup(BOOLEAN Keep);
void UmTestSetCreateStatus(LONG Status);
void UmTestSetCancelMode(ULONG Mode);
/* How long CancelIo and thread exit wait for a cancelled request before
   they give it up: Interval (100 ns units) x Retries (IrpSimInitialize
   resets it to Windows' 100 ms x 3000). */
void UmTestSetCancelWaitLimit(LONGLONG Interval, ULONG Retries);
void UmTestGetSeen(UM_SEEN *Seen);
void UmTestGetCounts(UM_COUNTS *Counts);
ULONG UmTestQueuedCount(void);
/* Completes every queued request (from the calling thread or a DPC);
   Information UM_INFO_DEFAULT keeps what the dispatch routine stored. */
ULONG UmTestCompleteQueued(LONG Status, ULONG_PTR Information, BOOLEAN FromDpc);
/* Attaches a pass-through filter device on top of \Device\UmBuf. */
LONG UmTestAttachFilter(void);
/* Waits until DPCs and work have run (IrpSimRunUntilIdle). */
void UmTestRunUntilIdle(void);
/* Trace (memory sink): start recording; find the last Win32Call /
   Win32Return event whose text is Name. */
void UmTestTraceStart(void);
BOOLEAN UmTestFindWin32Call(const char *Name, PVOID *Handle, PVOID *Irp);
BOOLEAN UmTestFindWin32Return(const char *Name, ULONG_PTR *Result, ULONG_PTR *LastError);
/* The first trace note whose text contains Text; *Object is its object. */
BOOLEAN UmTestFindNote(const char *Text, PVOID *Object);
/* The NTSTATUS -> Win32 mapping (RtlNtStatusToDosError). */
ULONG UmTestStatusToError(LONG Status);
/* IRPs still allocated (all origins). */
ULONG UmTestOutstandingIrps(void);

/* NTSTATUS values the tests use (the application side has no ntstatus.h). */
#define UM_STATUS_SUCCESS ((LONG)0x00000000)
#define UM_STATUS_PENDING ((LONG)0x00000103)
#define UM_STATUS_BUFFER_OVERFLOW ((LONG)0x80000005)
#define UM_STATUS_UNSUCCESSFUL ((LONG)0xC0000001)
#define UM_STATUS_ACCESS_VIOLATION ((LONG)0xC0000005)
#define UM_STATUS_INVALID_DEVICE_REQUEST ((LONG)0xC0000010)
#define UM_STATUS_END_OF_FILE ((LONG)0xC0000011)
#define UM_STATUS_ACCESS_DENIED ((LONG)0xC0000022)
#define UM_STATUS_CANCELLED ((LONG)0xC0000120)
#define UM_STATUS_DEVICE_BUSY ((LONG)0x80000011)
#define UM_STATUS_INVALID_PARAMETER ((LONG)0xC000000D)

#endif /* UMTEST_H */
