/*
 * irpsim — the trace's words for values: event kinds, NTSTATUS codes,
 * major functions, IRQLs, IRP origins.
 */
#include "traceint.h"
#include "../verifier/irpstate.h"

#include <stdio.h>

static const PCSTR TracepKindNames[IrpSimTraceKindCount] = {
    [IrpSimTraceNone] = "None",
    [IrpSimTraceIrpAllocated] = "IrpAllocated",
    [IrpSimTraceIrpFreed] = "IrpFreed",
    [IrpSimTraceIrpCallDriver] = "IrpCallDriver",
    [IrpSimTraceIrpDispatchReturned] = "IrpDispatchReturned",
    [IrpSimTraceIrpMarkedPending] = "IrpMarkedPending",
    [IrpSimTraceIrpCancelRoutineSet] = "IrpCancelRoutineSet",
    [IrpSimTraceIrpCancelRequested] = "IrpCancelRequested",
    [IrpSimTraceIrpCancelRoutineRun] = "IrpCancelRoutineRun",
    [IrpSimTraceIrpCompleteBegin] = "IrpCompleteBegin",
    [IrpSimTraceIrpCompletionRoutine] = "IrpCompletionRoutine",
    [IrpSimTraceIrpCompleted] = "IrpCompleted",
    [IrpSimTraceIrpPostProcessing] = "IrpPostProcessing",
    [IrpSimTraceCsqInsert] = "CsqInsert",
    [IrpSimTraceCsqRemove] = "CsqRemove",
    [IrpSimTraceCsqCancel] = "CsqCancel",
    [IrpSimTraceDeviceQueueInsert] = "DeviceQueueInsert",
    [IrpSimTraceDeviceQueueRemove] = "DeviceQueueRemove",
    [IrpSimTraceStartIo] = "StartIo",
    [IrpSimTraceDpcQueued] = "DpcQueued",
    [IrpSimTraceDpcRun] = "DpcRun",
    [IrpSimTraceTimerSet] = "TimerSet",
    [IrpSimTraceTimerFired] = "TimerFired",
    [IrpSimTraceTimerCancelled] = "TimerCancelled",
    [IrpSimTraceEventSet] = "EventSet",
    [IrpSimTraceWaitBegin] = "WaitBegin",
    [IrpSimTraceWaitEnd] = "WaitEnd",
    [IrpSimTraceThreadStart] = "ThreadStart",
    [IrpSimTraceThreadExit] = "ThreadExit",
    [IrpSimTraceWorkItem] = "WorkItem",
    [IrpSimTraceDriverLoaded] = "DriverLoaded",
    [IrpSimTraceDriverUnloaded] = "DriverUnloaded",
    [IrpSimTraceDeviceCreated] = "DeviceCreated",
    [IrpSimTraceDeviceDeleted] = "DeviceDeleted",
    [IrpSimTraceWin32Call] = "Win32Call",
    [IrpSimTraceWin32Return] = "Win32Return",
    [IrpSimTraceDebugPrint] = "DebugPrint",
    [IrpSimTraceBugCheck] = "BugCheck",
    [IrpSimTraceVerifier] = "Verifier",
    [IrpSimTraceNote] = "Note",
    [IrpSimTraceDpcRemoved] = "DpcRemoved",
    [IrpSimTraceApcRun] = "ApcRun",
    [IrpSimTraceSemaphoreReleased] = "SemaphoreReleased",
    [IrpSimTraceMutexReleased] = "MutexReleased",
    [IrpSimTraceIoTimer] = "IoTimer",
    [IrpSimTraceEventReset] = "EventReset",
    [IrpSimTraceIrpCompletionRoutineStart] = "IrpCompletionRoutineStart",
};

PCSTR IrpSimTraceKindName(IRPSIM_TRACE_KIND Kind)
{
    if ((ULONG)Kind >= IrpSimTraceKindCount || TracepKindNames[Kind] == NULL)
        return "Unknown";
    return TracepKindNames[Kind];
}

typedef struct _TRACEP_STATUS_NAME {
    NTSTATUS Status;
    PCSTR Name;
} TRACEP_STATUS_NAME;

/* The statuses a driver's IRPs commonly carry. STATUS_SUCCESS also stands
   for STATUS_WAIT_0 and STATUS_CONTINUE_COMPLETION (all zero). */
static const TRACEP_STATUS_NAME TracepStatusNames[] = {
    {STATUS_SUCCESS, "STATUS_SUCCESS"},
    {STATUS_WAIT_1, "STATUS_WAIT_1"},
    {STATUS_WAIT_2, "STATUS_WAIT_2"},
    {STATUS_WAIT_3, "STATUS_WAIT_3"},
    {STATUS_ABANDONED, "STATUS_ABANDONED"},
    {STATUS_USER_APC, "STATUS_USER_APC"},
    {STATUS_KERNEL_APC, "STATUS_KERNEL_APC"},
    {STATUS_ALERTED, "STATUS_ALERTED"},
    {STATUS_TIMEOUT, "STATUS_TIMEOUT"},
    {STATUS_PENDING, "STATUS_PENDING"},
    {STATUS_REPARSE, "STATUS_REPARSE"},
    {STATUS_MORE_ENTRIES, "STATUS_MORE_ENTRIES"},
    {STATUS_BUFFER_OVERFLOW, "STATUS_BUFFER_OVERFLOW"},
    {STATUS_NO_MORE_FILES, "STATUS_NO_MORE_FILES"},
    {STATUS_DEVICE_BUSY, "STATUS_DEVICE_BUSY"},
    {STATUS_NO_MORE_ENTRIES, "STATUS_NO_MORE_ENTRIES"},
    {STATUS_UNSUCCESSFUL, "STATUS_UNSUCCESSFUL"},
    {STATUS_NOT_IMPLEMENTED, "STATUS_NOT_IMPLEMENTED"},
    {STATUS_INVALID_INFO_CLASS, "STATUS_INVALID_INFO_CLASS"},
    {STATUS_INFO_LENGTH_MISMATCH, "STATUS_INFO_LENGTH_MISMATCH"},
    {STATUS_ACCESS_VIOLATION, "STATUS_ACCESS_VIOLATION"},
    {STATUS_INVALID_HANDLE, "STATUS_INVALID_HANDLE"},
    {STATUS_INVALID_PARAMETER, "STATUS_INVALID_PARAMETER"},
    {STATUS_NO_SUCH_DEVICE, "STATUS_NO_SUCH_DEVICE"},
    {STATUS_NO_SUCH_FILE, "STATUS_NO_SUCH_FILE"},
    {STATUS_INVALID_DEVICE_REQUEST, "STATUS_INVALID_DEVICE_REQUEST"},
    {STATUS_END_OF_FILE, "STATUS_END_OF_FILE"},
    {STATUS_NO_MEDIA_IN_DEVICE, "STATUS_NO_MEDIA_IN_DEVICE"},
    {STATUS_MORE_PROCESSING_REQUIRED, "STATUS_MORE_PROCESSING_REQUIRED"},
    {STATUS_NO_MEMORY, "STATUS_NO_MEMORY"},
    {STATUS_ACCESS_DENIED, "STATUS_ACCESS_DENIED"},
    {STATUS_BUFFER_TOO_SMALL, "STATUS_BUFFER_TOO_SMALL"},
    {STATUS_OBJECT_TYPE_MISMATCH, "STATUS_OBJECT_TYPE_MISMATCH"},
    {STATUS_OBJECT_NAME_INVALID, "STATUS_OBJECT_NAME_INVALID"},
    {STATUS_OBJECT_NAME_NOT_FOUND, "STATUS_OBJECT_NAME_NOT_FOUND"},
    {STATUS_OBJECT_NAME_COLLISION, "STATUS_OBJECT_NAME_COLLISION"},
    {STATUS_OBJECT_PATH_NOT_FOUND, "STATUS_OBJECT_PATH_NOT_FOUND"},
    {STATUS_DATA_ERROR, "STATUS_DATA_ERROR"},
    {STATUS_SHARING_VIOLATION, "STATUS_SHARING_VIOLATION"},
    {STATUS_DELETE_PENDING, "STATUS_DELETE_PENDING"},
    {STATUS_INSUFFICIENT_RESOURCES, "STATUS_INSUFFICIENT_RESOURCES"},
    {STATUS_DEVICE_DATA_ERROR, "STATUS_DEVICE_DATA_ERROR"},
    {STATUS_DEVICE_NOT_CONNECTED, "STATUS_DEVICE_NOT_CONNECTED"},
    {STATUS_DEVICE_NOT_READY, "STATUS_DEVICE_NOT_READY"},
    {STATUS_IO_TIMEOUT, "STATUS_IO_TIMEOUT"},
    {STATUS_NOT_SUPPORTED, "STATUS_NOT_SUPPORTED"},
    {STATUS_DEVICE_DOES_NOT_EXIST, "STATUS_DEVICE_DOES_NOT_EXIST"},
    {STATUS_INVALID_USER_BUFFER, "STATUS_INVALID_USER_BUFFER"},
    {STATUS_INTERNAL_ERROR, "STATUS_INTERNAL_ERROR"},
    {STATUS_CANCELLED, "STATUS_CANCELLED"},
    {STATUS_FILE_CLOSED, "STATUS_FILE_CLOSED"},
    {STATUS_INVALID_DEVICE_STATE, "STATUS_INVALID_DEVICE_STATE"},
    {STATUS_IO_DEVICE_ERROR, "STATUS_IO_DEVICE_ERROR"},
    {STATUS_DEVICE_PROTOCOL_ERROR, "STATUS_DEVICE_PROTOCOL_ERROR"},
    {STATUS_DRIVER_INTERNAL_ERROR, "STATUS_DRIVER_INTERNAL_ERROR"},
    {STATUS_INVALID_BUFFER_SIZE, "STATUS_INVALID_BUFFER_SIZE"},
    {STATUS_NOT_FOUND, "STATUS_NOT_FOUND"},
    {STATUS_RETRY, "STATUS_RETRY"},
    {STATUS_REQUEST_ABORTED, "STATUS_REQUEST_ABORTED"},
    {STATUS_DEVICE_REMOVED, "STATUS_DEVICE_REMOVED"},
    {STATUS_POWER_STATE_INVALID, "STATUS_POWER_STATE_INVALID"},
    {STATUS_TOO_LATE, "STATUS_TOO_LATE"},
};

PCSTR TraceStatusName(NTSTATUS Status)
{
    for (ULONG i = 0; i < RTL_NUMBER_OF(TracepStatusNames); i++) {
        if (TracepStatusNames[i].Status == Status)
            return TracepStatusNames[i].Name;
    }
    return NULL;
}

VOID TraceFormatStatus(NTSTATUS Status, PCHAR Buffer, SIZE_T Size)
{
    PCSTR Name = TraceStatusName(Status);
    if (Name != NULL)
        snprintf(Buffer, Size, "%s", Name);
    else
        snprintf(Buffer, Size, "0x%08X", (unsigned)Status);
}

static const PCSTR TracepMajorNames[IRP_MJ_MAXIMUM_FUNCTION + 1] = {
    [IRP_MJ_CREATE] = "IRP_MJ_CREATE",
    [IRP_MJ_CREATE_NAMED_PIPE] = "IRP_MJ_CREATE_NAMED_PIPE",
    [IRP_MJ_CLOSE] = "IRP_MJ_CLOSE",
    [IRP_MJ_READ] = "IRP_MJ_READ",
    [IRP_MJ_WRITE] = "IRP_MJ_WRITE",
    [IRP_MJ_QUERY_INFORMATION] = "IRP_MJ_QUERY_INFORMATION",
    [IRP_MJ_SET_INFORMATION] = "IRP_MJ_SET_INFORMATION",
    [IRP_MJ_QUERY_EA] = "IRP_MJ_QUERY_EA",
    [IRP_MJ_SET_EA] = "IRP_MJ_SET_EA",
    [IRP_MJ_FLUSH_BUFFERS] = "IRP_MJ_FLUSH_BUFFERS",
    [IRP_MJ_QUERY_VOLUME_INFORMATION] = "IRP_MJ_QUERY_VOLUME_INFORMATION",
    [IRP_MJ_SET_VOLUME_INFORMATION] = "IRP_MJ_SET_VOLUME_INFORMATION",
    [IRP_MJ_DIRECTORY_CONTROL] = "IRP_MJ_DIRECTORY_CONTROL",
    [IRP_MJ_FILE_SYSTEM_CONTROL] = "IRP_MJ_FILE_SYSTEM_CONTROL",
    [IRP_MJ_DEVICE_CONTROL] = "IRP_MJ_DEVICE_CONTROL",
    [IRP_MJ_INTERNAL_DEVICE_CONTROL] = "IRP_MJ_INTERNAL_DEVICE_CONTROL",
    [IRP_MJ_SHUTDOWN] = "IRP_MJ_SHUTDOWN",
    [IRP_MJ_LOCK_CONTROL] = "IRP_MJ_LOCK_CONTROL",
    [IRP_MJ_CLEANUP] = "IRP_MJ_CLEANUP",
    [IRP_MJ_CREATE_MAILSLOT] = "IRP_MJ_CREATE_MAILSLOT",
    [IRP_MJ_QUERY_SECURITY] = "IRP_MJ_QUERY_SECURITY",
    [IRP_MJ_SET_SECURITY] = "IRP_MJ_SET_SECURITY",
    [IRP_MJ_POWER] = "IRP_MJ_POWER",
    [IRP_MJ_SYSTEM_CONTROL] = "IRP_MJ_SYSTEM_CONTROL",
    [IRP_MJ_DEVICE_CHANGE] = "IRP_MJ_DEVICE_CHANGE",
    [IRP_MJ_QUERY_QUOTA] = "IRP_MJ_QUERY_QUOTA",
    [IRP_MJ_SET_QUOTA] = "IRP_MJ_SET_QUOTA",
    [IRP_MJ_PNP] = "IRP_MJ_PNP",
};

PCSTR TraceMajorName(ULONG Major)
{
    return Major <= IRP_MJ_MAXIMUM_FUNCTION ? TracepMajorNames[Major] : NULL;
}

PCSTR TraceIrqlName(KIRQL Irql, PCHAR Buffer, SIZE_T Size)
{
    switch (Irql) {
    case PASSIVE_LEVEL:
        return "PASSIVE";
    case APC_LEVEL:
        return "APC";
    case DISPATCH_LEVEL:
        return "DISPATCH";
    case HIGH_LEVEL:
        return "HIGH";
    default:
        snprintf(Buffer, Size, "IRQL%u", (unsigned)Irql);
        return Buffer;
    }
}

PCSTR TraceOriginName(ULONG_PTR Origin)
{
    switch ((IRPSIM_IRP_ORIGIN)Origin) {
    case IrpSimIrpOriginIoAllocateIrp:
        return "IoAllocateIrp";
    case IrpSimIrpOriginDriverInitialized:
        return "IoInitializeIrp";
    case IrpSimIrpOriginIoBuildSynchronousFsdRequest:
        return "IoBuildSynchronousFsdRequest";
    case IrpSimIrpOriginIoBuildDeviceIoControlRequest:
        return "IoBuildDeviceIoControlRequest";
    case IrpSimIrpOriginIoBuildAsynchronousFsdRequest:
        return "IoBuildAsynchronousFsdRequest";
    case IrpSimIrpOriginAssociated:
        return "IoMakeAssociatedIrp";
    case IrpSimIrpOriginIoManager:
        return "I/O manager";
    case IrpSimIrpOriginUnknown:
    default:
        return "unknown origin";
    }
}

PCSTR TraceApcKindName(ULONG_PTR Kind)
{
    switch (Kind) {
    case IRPSIM_TRACE_APC_SPECIAL:
        return "special kernel";
    case IRPSIM_TRACE_APC_KERNEL:
        return "normal kernel";
    case IRPSIM_TRACE_APC_USER:
        return "user";
    default:
        return "unknown";
    }
}
