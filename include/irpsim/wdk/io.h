/*
 * irpsim — I/O manager routines.
 *
 * The stack-location helpers are inline, as in the WDK. Where the WDK has an
 * NT_ASSERT (active only in checked builds), irpsim always checks and
 * bugchecks with an explanation, because the failure it guards against
 * (writing one slot past the end of the IRP) corrupts memory silently on a
 * free build.
 */
#ifndef IRPSIM_WDK_IO_H
#define IRPSIM_WDK_IO_H

#include <irpsim/wdk/iotypes.h>
#include <irpsim/wdk/dbg.h>

IRPSIM_EXTERN_C_BEGIN

/* Reports a misuse of an inline stack-location helper (never returns).
   Helpers that would step below slot 0 raise NO_MORE_IRP_STACK_LOCATIONS;
   helpers that would touch the slot one past the end of the IRP raise
   PAGE_FAULT_BEYOND_END_OF_ALLOCATION (0xCD), which is what Driver
   Verifier's special pool reports for that write on Windows. */
#define IOP_SL_GET_CURRENT 1
#define IOP_SL_GET_NEXT 2
#define IOP_SL_SKIP 3
#define IOP_SL_SET_NEXT 4
#define IOP_SL_MARK_PENDING 5
#define IOP_SL_SET_COMPLETION 6
#define IOP_SL_COPY_TO_NEXT 7
DECLSPEC_NORETURN VOID NTAPI IopInvalidStackLocation(_In_ PIRP Irp, _In_ ULONG Operation);
/* Lets the I/O manager see IoMarkIrpPending (trace event, verifier
   bookkeeping for the STATUS_PENDING contract). Called before the bit is set. */
NTKERNELAPI VOID NTAPI IopIrpMarkedPending(_In_ PIRP Irp);

/* ---- IRP allocation and reuse ---- */
#define IoSizeOfIrp(StackSize) ((USHORT)(sizeof(IRP) + ((StackSize) * (sizeof(IO_STACK_LOCATION)))))
#define IoSizeofWorkItem() IoSizeofWorkItemEx()
NTKERNELAPI PIRP NTAPI IoAllocateIrp(_In_ CCHAR StackSize, _In_ BOOLEAN ChargeQuota);
NTKERNELAPI PIRP NTAPI IoAllocateIrpEx(_In_opt_ PDEVICE_OBJECT DeviceObject, _In_ CCHAR StackSize,
                                       _In_ BOOLEAN ChargeQuota);
NTKERNELAPI VOID NTAPI IoInitializeIrp(_Inout_ PIRP Irp, _In_ USHORT PacketSize, _In_ CCHAR StackSize);
NTKERNELAPI VOID NTAPI IoFreeIrp(_In_ PIRP Irp);
NTKERNELAPI VOID NTAPI IoReuseIrp(_Inout_ PIRP Irp, _In_ NTSTATUS Iostatus);
NTKERNELAPI PIRP NTAPI IoMakeAssociatedIrp(_In_ PIRP Irp, _In_ CCHAR StackSize);

/* ---- sending and completing ---- */
NTKERNELAPI NTSTATUS FASTCALL IofCallDriver(_In_ PDEVICE_OBJECT DeviceObject, _Inout_ PIRP Irp);
NTKERNELAPI VOID FASTCALL IofCompleteRequest(_In_ PIRP Irp, _In_ CCHAR PriorityBoost);
#define IoCallDriver(DeviceObject, Irp) IofCallDriver((DeviceObject), (Irp))
#define IoCompleteRequest(Irp, PriorityBoost) IofCompleteRequest((Irp), (PriorityBoost))
NTKERNELAPI NTSTATUS NTAPI PoCallDriver(_In_ PDEVICE_OBJECT DeviceObject, _Inout_ PIRP Irp);
NTKERNELAPI VOID NTAPI PoStartNextPowerIrp(_Inout_ PIRP Irp);
#define IoIsErrorUserInduced(Status)                                                             \
    ((BOOLEAN)(((Status) == STATUS_DEVICE_NOT_READY) || ((Status) == STATUS_IO_TIMEOUT) ||      \
               ((Status) == STATUS_MEDIA_WRITE_PROTECTED) || ((Status) == STATUS_NO_MEDIA_IN_DEVICE) || \
               ((Status) == STATUS_UNRECOGNIZED_MEDIA) || ((Status) == STATUS_VERIFY_REQUIRED) ||  \
               ((Status) == STATUS_WRONG_VOLUME)))
#ifndef STATUS_UNRECOGNIZED_MEDIA
#define STATUS_UNRECOGNIZED_MEDIA ((NTSTATUS)0xC0000014U)
#endif

/* ---- stack locations (inline, as in the WDK) ---- */
FORCEINLINE PIO_STACK_LOCATION IoGetCurrentIrpStackLocation(_In_ PIRP Irp)
{
    if (Irp->CurrentLocation > Irp->StackCount + 1)
        IopInvalidStackLocation(Irp, IOP_SL_GET_CURRENT);
    return Irp->Tail.Overlay.CurrentStackLocation;
}

FORCEINLINE PIO_STACK_LOCATION IoGetNextIrpStackLocation(_In_ PIRP Irp)
{
    if (Irp->CurrentLocation <= 0)
        IopInvalidStackLocation(Irp, IOP_SL_GET_NEXT);
    return Irp->Tail.Overlay.CurrentStackLocation - 1;
}

FORCEINLINE VOID IoSkipCurrentIrpStackLocation(_Inout_ PIRP Irp)
{
    if (Irp->CurrentLocation > Irp->StackCount)
        IopInvalidStackLocation(Irp, IOP_SL_SKIP);
    Irp->CurrentLocation++;
    Irp->Tail.Overlay.CurrentStackLocation++;
}

FORCEINLINE VOID IoSetNextIrpStackLocation(_Inout_ PIRP Irp)
{
    if (Irp->CurrentLocation <= 1)
        IopInvalidStackLocation(Irp, IOP_SL_SET_NEXT);
    Irp->CurrentLocation--;
    Irp->Tail.Overlay.CurrentStackLocation--;
}

/* Copies everything up to (not including) CompletionRoutine, then clears
   Control so pending and invoke bits never propagate downwards. */
FORCEINLINE VOID IoCopyCurrentIrpStackLocationToNext(_Inout_ PIRP Irp)
{
    PIO_STACK_LOCATION IrpSp;
    PIO_STACK_LOCATION NextIrpSp;
    if (Irp->CurrentLocation <= 1 || Irp->CurrentLocation > Irp->StackCount)
        IopInvalidStackLocation(Irp, IOP_SL_COPY_TO_NEXT);
    IrpSp = IoGetCurrentIrpStackLocation(Irp);
    NextIrpSp = IoGetNextIrpStackLocation(Irp);
    memcpy(NextIrpSp, IrpSp, FIELD_OFFSET(IO_STACK_LOCATION, CompletionRoutine));
    NextIrpSp->Control = 0;
}

FORCEINLINE VOID IoMarkIrpPending(_Inout_ PIRP Irp)
{
    if (Irp->CurrentLocation > Irp->StackCount)
        IopInvalidStackLocation(Irp, IOP_SL_MARK_PENDING);
    IopIrpMarkedPending(Irp);
    IoGetCurrentIrpStackLocation(Irp)->Control |= SL_PENDING_RETURNED;
}

FORCEINLINE VOID IoSetCompletionRoutine(_In_ PIRP Irp, _In_opt_ PIO_COMPLETION_ROUTINE CompletionRoutine,
                                        _In_opt_ PVOID Context, _In_ BOOLEAN InvokeOnSuccess,
                                        _In_ BOOLEAN InvokeOnError, _In_ BOOLEAN InvokeOnCancel)
{
    PIO_STACK_LOCATION IrpSp;
    if (Irp->CurrentLocation <= 1)
        IopInvalidStackLocation(Irp, IOP_SL_SET_COMPLETION);
    /* As in the WDK this is an assertion, not a stop: a NULL routine with
       invoke flags is simply never called. */
    NT_ASSERTMSG("IoSetCompletionRoutine: an Invoke flag is TRUE but CompletionRoutine is NULL",
                 CompletionRoutine != NULL || !(InvokeOnSuccess || InvokeOnError || InvokeOnCancel));
    IrpSp = IoGetNextIrpStackLocation(Irp);
    IrpSp->CompletionRoutine = CompletionRoutine;
    IrpSp->Context = Context;
    IrpSp->Control = 0;
    if (InvokeOnSuccess)
        IrpSp->Control = SL_INVOKE_ON_SUCCESS;
    if (InvokeOnError)
        IrpSp->Control |= SL_INVOKE_ON_ERROR;
    if (InvokeOnCancel)
        IrpSp->Control |= SL_INVOKE_ON_CANCEL;
}

NTKERNELAPI NTSTATUS NTAPI IoSetCompletionRoutineEx(_In_ PDEVICE_OBJECT DeviceObject, _In_ PIRP Irp,
                                                    _In_ PIO_COMPLETION_ROUTINE CompletionRoutine,
                                                    _In_opt_ PVOID Context, _In_ BOOLEAN InvokeOnSuccess,
                                                    _In_ BOOLEAN InvokeOnError, _In_ BOOLEAN InvokeOnCancel);

#define IoGetFunctionCodeFromCtlCode(ControlCode) (((ULONG)((ControlCode) & 0x3FFC)) >> 2)
#define IoIsIrpPending(Irp) ((BOOLEAN)((IoGetCurrentIrpStackLocation(Irp)->Control & SL_PENDING_RETURNED) != 0))
NTKERNELAPI PEPROCESS NTAPI IoGetRequestorProcess(_In_ PIRP Irp);
NTKERNELAPI ULONG NTAPI IoGetRequestorProcessId(_In_ PIRP Irp);
NTKERNELAPI BOOLEAN NTAPI IoIsOperationSynchronous(_In_ PIRP Irp);
NTKERNELAPI BOOLEAN NTAPI IoIs32bitProcess(_In_opt_ PIRP Irp);

/* ---- cancellation ---- */
NTKERNELAPI BOOLEAN NTAPI IoCancelIrp(_In_ PIRP Irp);
NTKERNELAPI VOID NTAPI IoAcquireCancelSpinLock(_Out_ PKIRQL Irql);
NTKERNELAPI VOID NTAPI IoReleaseCancelSpinLock(_In_ KIRQL Irql);
NTKERNELAPI PDRIVER_CANCEL NTAPI IoSetCancelRoutine(_Inout_ PIRP Irp, _In_opt_ PDRIVER_CANCEL CancelRoutine);

/* ---- cancel-safe queues ---- */
NTKERNELAPI NTSTATUS NTAPI IoCsqInitialize(_Out_ PIO_CSQ Csq, _In_ PIO_CSQ_INSERT_IRP CsqInsertIrp,
                                           _In_ PIO_CSQ_REMOVE_IRP CsqRemoveIrp,
                                           _In_ PIO_CSQ_PEEK_NEXT_IRP CsqPeekNextIrp,
                                           _In_ PIO_CSQ_ACQUIRE_LOCK CsqAcquireLock,
                                           _In_ PIO_CSQ_RELEASE_LOCK CsqReleaseLock,
                                           _In_ PIO_CSQ_COMPLETE_CANCELED_IRP CsqCompleteCanceledIrp);
NTKERNELAPI NTSTATUS NTAPI IoCsqInitializeEx(_Out_ PIO_CSQ Csq, _In_ PIO_CSQ_INSERT_IRP_EX CsqInsertIrp,
                                             _In_ PIO_CSQ_REMOVE_IRP CsqRemoveIrp,
                                             _In_ PIO_CSQ_PEEK_NEXT_IRP CsqPeekNextIrp,
                                             _In_ PIO_CSQ_ACQUIRE_LOCK CsqAcquireLock,
                                             _In_ PIO_CSQ_RELEASE_LOCK CsqReleaseLock,
                                             _In_ PIO_CSQ_COMPLETE_CANCELED_IRP CsqCompleteCanceledIrp);
NTKERNELAPI VOID NTAPI IoCsqInsertIrp(_Inout_ PIO_CSQ Csq, _Inout_ PIRP Irp, _Out_opt_ PIO_CSQ_IRP_CONTEXT Context);
NTKERNELAPI NTSTATUS NTAPI IoCsqInsertIrpEx(_Inout_ PIO_CSQ Csq, _Inout_ PIRP Irp,
                                            _Out_opt_ PIO_CSQ_IRP_CONTEXT Context, _In_opt_ PVOID InsertContext);
NTKERNELAPI PIRP NTAPI IoCsqRemoveNextIrp(_Inout_ PIO_CSQ Csq, _In_opt_ PVOID PeekContext);
NTKERNELAPI PIRP NTAPI IoCsqRemoveIrp(_Inout_ PIO_CSQ Csq, _Inout_ PIO_CSQ_IRP_CONTEXT Context);

/* ---- StartIo and the device queue ---- */
NTKERNELAPI VOID NTAPI IoStartPacket(_In_ PDEVICE_OBJECT DeviceObject, _In_ PIRP Irp, _In_opt_ PULONG Key,
                                     _In_opt_ PDRIVER_CANCEL CancelFunction);
NTKERNELAPI VOID NTAPI IoStartNextPacket(_In_ PDEVICE_OBJECT DeviceObject, _In_ BOOLEAN Cancelable);
NTKERNELAPI VOID NTAPI IoStartNextPacketByKey(_In_ PDEVICE_OBJECT DeviceObject, _In_ BOOLEAN Cancelable,
                                              _In_ ULONG Key);
NTKERNELAPI VOID NTAPI IoSetStartIoAttributes(_In_ PDEVICE_OBJECT DeviceObject, _In_ BOOLEAN DeferredStartIo,
                                              _In_ BOOLEAN NonCancelable);

/* ---- the device object's DPC ---- */
#define IoInitializeDpcRequest(DeviceObject, DpcRoutine) \
    KeInitializeDpc(&(DeviceObject)->Dpc, (PKDEFERRED_ROUTINE)(DpcRoutine), (DeviceObject))
#define IoRequestDpc(DeviceObject, Irp, Context) \
    ((void)KeInsertQueueDpc(&(DeviceObject)->Dpc, (Irp), (Context)))

/* ---- devices, drivers, names ---- */
NTKERNELAPI NTSTATUS NTAPI IoCreateDevice(_In_ PDRIVER_OBJECT DriverObject, _In_ ULONG DeviceExtensionSize,
                                          _In_opt_ PUNICODE_STRING DeviceName, _In_ DEVICE_TYPE DeviceType,
                                          _In_ ULONG DeviceCharacteristics, _In_ BOOLEAN Exclusive,
                                          _Out_ PDEVICE_OBJECT *DeviceObject);
NTKERNELAPI VOID NTAPI IoDeleteDevice(_In_ PDEVICE_OBJECT DeviceObject);
NTKERNELAPI NTSTATUS NTAPI IoCreateSymbolicLink(_In_ PUNICODE_STRING SymbolicLinkName,
                                                _In_ PUNICODE_STRING DeviceName);
NTKERNELAPI NTSTATUS NTAPI IoCreateUnprotectedSymbolicLink(_In_ PUNICODE_STRING SymbolicLinkName,
                                                           _In_ PUNICODE_STRING DeviceName);
NTKERNELAPI NTSTATUS NTAPI IoDeleteSymbolicLink(_In_ PUNICODE_STRING SymbolicLinkName);
NTKERNELAPI PDEVICE_OBJECT NTAPI IoAttachDeviceToDeviceStack(_In_ PDEVICE_OBJECT SourceDevice,
                                                             _In_ PDEVICE_OBJECT TargetDevice);
NTKERNELAPI NTSTATUS NTAPI IoAttachDeviceToDeviceStackSafe(_In_ PDEVICE_OBJECT SourceDevice,
                                                           _In_ PDEVICE_OBJECT TargetDevice,
                                                           _Out_ PDEVICE_OBJECT *AttachedToDeviceObject);
NTKERNELAPI NTSTATUS NTAPI IoAttachDevice(_In_ PDEVICE_OBJECT SourceDevice, _In_ PUNICODE_STRING TargetDevice,
                                          _Out_ PDEVICE_OBJECT *AttachedDevice);
NTKERNELAPI VOID NTAPI IoDetachDevice(_Inout_ PDEVICE_OBJECT TargetDevice);
NTKERNELAPI PDEVICE_OBJECT NTAPI IoGetAttachedDevice(_In_ PDEVICE_OBJECT DeviceObject);
NTKERNELAPI PDEVICE_OBJECT NTAPI IoGetAttachedDeviceReference(_In_ PDEVICE_OBJECT DeviceObject);
NTKERNELAPI PDEVICE_OBJECT NTAPI IoGetLowerDeviceObject(_In_ PDEVICE_OBJECT DeviceObject);
NTKERNELAPI PDEVICE_OBJECT NTAPI IoGetRelatedDeviceObject(_In_ PFILE_OBJECT FileObject);
NTKERNELAPI NTSTATUS NTAPI IoGetDeviceObjectPointer(_In_ PUNICODE_STRING ObjectName, _In_ ACCESS_MASK DesiredAccess,
                                                    _Out_ PFILE_OBJECT *FileObject,
                                                    _Out_ PDEVICE_OBJECT *DeviceObject);
NTKERNELAPI PDRIVER_EXTENSION NTAPI IoGetDriverExtension(_In_ PDRIVER_OBJECT DriverObject);
NTKERNELAPI NTSTATUS NTAPI IoAllocateDriverObjectExtension(_In_ PDRIVER_OBJECT DriverObject,
                                                           _In_ PVOID ClientIdentificationAddress,
                                                           _In_ ULONG DriverObjectExtensionSize,
                                                           _Out_ PVOID *DriverObjectExtension);
NTKERNELAPI PVOID NTAPI IoGetDriverObjectExtension(_In_ PDRIVER_OBJECT DriverObject,
                                                   _In_ PVOID ClientIdentificationAddress);

/* ---- building requests ---- */
NTKERNELAPI PIRP NTAPI IoBuildDeviceIoControlRequest(_In_ ULONG IoControlCode, _In_ PDEVICE_OBJECT DeviceObject,
                                                     _In_opt_ PVOID InputBuffer, _In_ ULONG InputBufferLength,
                                                     _Out_opt_ PVOID OutputBuffer, _In_ ULONG OutputBufferLength,
                                                     _In_ BOOLEAN InternalDeviceIoControl, _In_opt_ PKEVENT Event,
                                                     _Out_ PIO_STATUS_BLOCK IoStatusBlock);
NTKERNELAPI PIRP NTAPI IoBuildSynchronousFsdRequest(_In_ ULONG MajorFunction, _In_ PDEVICE_OBJECT DeviceObject,
                                                    _Inout_opt_ PVOID Buffer, _In_opt_ ULONG Length,
                                                    _In_opt_ PLARGE_INTEGER StartingOffset, _In_ PKEVENT Event,
                                                    _Out_ PIO_STATUS_BLOCK IoStatusBlock);
NTKERNELAPI PIRP NTAPI IoBuildAsynchronousFsdRequest(_In_ ULONG MajorFunction, _In_ PDEVICE_OBJECT DeviceObject,
                                                     _Inout_opt_ PVOID Buffer, _In_opt_ ULONG Length,
                                                     _In_opt_ PLARGE_INTEGER StartingOffset,
                                                     _In_opt_ PIO_STATUS_BLOCK IoStatusBlock);

/* ---- threads and IRPs ---- */
NTKERNELAPI PETHREAD NTAPI IoGetRequestorThread(_In_ PIRP Irp);
NTKERNELAPI VOID NTAPI IoCancelThreadIo(_In_ PETHREAD Thread);
NTKERNELAPI BOOLEAN NTAPI IoIsSystemThread(_In_ PETHREAD Thread);
NTKERNELAPI PIRP NTAPI IoGetTopLevelIrp(VOID);
NTKERNELAPI VOID NTAPI IoSetTopLevelIrp(_In_opt_ PIRP Irp);

/* ---- work items ---- */
NTKERNELAPI PIO_WORKITEM NTAPI IoAllocateWorkItem(_In_ PDEVICE_OBJECT DeviceObject);
NTKERNELAPI VOID NTAPI IoFreeWorkItem(_In_ PIO_WORKITEM IoWorkItem);
NTKERNELAPI VOID NTAPI IoQueueWorkItem(_Inout_ PIO_WORKITEM IoWorkItem, _In_ PIO_WORKITEM_ROUTINE WorkerRoutine,
                                       _In_ WORK_QUEUE_TYPE QueueType, _In_opt_ PVOID Context);
NTKERNELAPI VOID NTAPI IoQueueWorkItemEx(_Inout_ PIO_WORKITEM IoWorkItem,
                                         _In_ PIO_WORKITEM_ROUTINE_EX WorkerRoutine,
                                         _In_ WORK_QUEUE_TYPE QueueType, _In_opt_ PVOID Context);
NTKERNELAPI ULONG NTAPI IoSizeofWorkItemEx(VOID);
NTKERNELAPI VOID NTAPI IoInitializeWorkItem(_In_ PVOID IoObject, _Out_ PIO_WORKITEM IoWorkItem);
NTKERNELAPI VOID NTAPI IoUninitializeWorkItem(_Inout_ PIO_WORKITEM IoWorkItem);

/* ---- device timers ---- */
NTKERNELAPI NTSTATUS NTAPI IoInitializeTimer(_In_ PDEVICE_OBJECT DeviceObject, _In_ PIO_TIMER_ROUTINE TimerRoutine,
                                             _In_opt_ PVOID Context);
NTKERNELAPI VOID NTAPI IoStartTimer(_In_ PDEVICE_OBJECT DeviceObject);
NTKERNELAPI VOID NTAPI IoStopTimer(_In_ PDEVICE_OBJECT DeviceObject);

/* ---- system threads ---- */
NTKERNELAPI NTSTATUS NTAPI IoCreateSystemThread(_Inout_ PVOID IoObject, _Out_ PHANDLE ThreadHandle,
                                                _In_ ULONG DesiredAccess, _In_opt_ POBJECT_ATTRIBUTES ObjectAttributes,
                                                _In_opt_ HANDLE ProcessHandle, _Out_opt_ PCLIENT_ID ClientId,
                                                _In_ PKSTART_ROUTINE StartRoutine, _In_opt_ PVOID StartContext);

/* ---- remove locks ---- */
NTKERNELAPI VOID NTAPI IoInitializeRemoveLockEx(_Out_ PIO_REMOVE_LOCK Lock, _In_ ULONG AllocateTag,
                                                _In_ ULONG MaxLockedMinutes, _In_ ULONG HighWatermark,
                                                _In_ ULONG RemlockSize);
NTKERNELAPI NTSTATUS NTAPI IoAcquireRemoveLockEx(_Inout_ PIO_REMOVE_LOCK RemoveLock, _In_opt_ PVOID Tag,
                                                 _In_ PCSTR File, _In_ ULONG Line, _In_ ULONG RemlockSize);
NTKERNELAPI VOID NTAPI IoReleaseRemoveLockEx(_Inout_ PIO_REMOVE_LOCK RemoveLock, _In_opt_ PVOID Tag,
                                             _In_ ULONG RemlockSize);
NTKERNELAPI VOID NTAPI IoReleaseRemoveLockAndWaitEx(_Inout_ PIO_REMOVE_LOCK RemoveLock, _In_opt_ PVOID Tag,
                                                    _In_ ULONG RemlockSize);
#define IoInitializeRemoveLock(Lock, Tag, Maxmin, HighWater) \
    IoInitializeRemoveLockEx(Lock, Tag, Maxmin, HighWater, sizeof(IO_REMOVE_LOCK))
#define IoAcquireRemoveLock(RemoveLock, Tag) \
    IoAcquireRemoveLockEx(RemoveLock, Tag, __FILE__, __LINE__, sizeof(IO_REMOVE_LOCK))
#define IoReleaseRemoveLock(RemoveLock, Tag) IoReleaseRemoveLockEx(RemoveLock, Tag, sizeof(IO_REMOVE_LOCK))
#define IoReleaseRemoveLockAndWait(RemoveLock, Tag) \
    IoReleaseRemoveLockAndWaitEx(RemoveLock, Tag, sizeof(IO_REMOVE_LOCK))

/* ---- error logging (records the entry in the trace) ---- */
NTKERNELAPI PVOID NTAPI IoAllocateErrorLogEntry(_In_ PVOID IoObject, _In_ UCHAR EntrySize);
NTKERNELAPI VOID NTAPI IoFreeErrorLogEntry(_In_ PVOID ElEntry);
NTKERNELAPI VOID NTAPI IoWriteErrorLogEntry(_In_ PVOID ElEntry);

IRPSIM_EXTERN_C_END

#endif /* IRPSIM_WDK_IO_H */
