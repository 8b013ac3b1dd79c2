/*
 * The driver of the completion-routine trace test: a function device that
 * completes every request at once, with two filter devices stacked over it
 * (one driver object serves all three). Each filter copies its location
 * down and sets a completion routine that leaves a note in the trace, so
 * the test can see where the routine ran between the events around it.
 */
#include <ntddk.h>
#include <irpsim/trace.h>

#include "completion_stack.h"

PDEVICE_OBJECT CompletionStackFunction;
PDEVICE_OBJECT CompletionStackFilters[2];

static DRIVER_DISPATCH StackDispatch;
static DRIVER_UNLOAD StackUnload;
static IO_COMPLETION_ROUTINE FilterCompletion;

static PDEVICE_OBJECT LowerOf(PDEVICE_OBJECT Filter)
{
    return *(PDEVICE_OBJECT *)Filter->DeviceExtension;
}

static NTSTATUS FilterCompletion(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    IrpSimTraceAddNote(Context == (PVOID)0 ? COMPLETION_STACK_NOTE_LOWER : COMPLETION_STACK_NOTE_UPPER);
    if (Irp->PendingReturned)
        IoMarkIrpPending(Irp);
    return STATUS_CONTINUE_COMPLETION;
}

static NTSTATUS StackDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    if (DeviceObject == CompletionStackFunction) {
        Irp->IoStatus.Status = STATUS_SUCCESS;
        Irp->IoStatus.Information = 0;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return STATUS_SUCCESS;
    }
    IoCopyCurrentIrpStackLocationToNext(Irp);
    IoSetCompletionRoutine(Irp, FilterCompletion, DeviceObject == CompletionStackFilters[0] ? (PVOID)0 : (PVOID)1,
                           TRUE, TRUE, TRUE);
    return IoCallDriver(LowerOf(DeviceObject), Irp);
}

static VOID StackUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    for (int i = 1; i >= 0; i--) {
        IoDetachDevice(LowerOf(CompletionStackFilters[i]));
        IoDeleteDevice(CompletionStackFilters[i]);
    }
    IoDeleteDevice(CompletionStackFunction);
}

/* A filter on top of the stack (IoAttachDeviceToDeviceStack attaches to
   whatever is on top of the function device now). */
static NTSTATUS AddFilter(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT *Filter)
{
    NTSTATUS Status = IoCreateDevice(DriverObject, sizeof(PDEVICE_OBJECT), NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, Filter);
    if (NT_SUCCESS(Status))
        *(PDEVICE_OBJECT *)(*Filter)->DeviceExtension = IoAttachDeviceToDeviceStack(*Filter, CompletionStackFunction);
    return Status;
}

NTSTATUS CompletionStackEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNICODE_STRING Name = RTL_CONSTANT_STRING(L"\\Device\\CompletionStackFunction");
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(RegistryPath);
    Status = IoCreateDevice(DriverObject, 0, &Name, FILE_DEVICE_UNKNOWN, 0, FALSE, &CompletionStackFunction);
    if (NT_SUCCESS(Status))
        Status = AddFilter(DriverObject, &CompletionStackFilters[0]);
    if (NT_SUCCESS(Status))
        Status = AddFilter(DriverObject, &CompletionStackFilters[1]);
    if (!NT_SUCCESS(Status))
        return Status;
    /* Every request, whatever its major function, goes down the stack. */
    for (ULONG i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        DriverObject->MajorFunction[i] = StackDispatch;
    DriverObject->DriverUnload = StackUnload;
    return STATUS_SUCCESS;
}
