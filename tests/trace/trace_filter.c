/*
 * The upper filter of the trace tests (plain WDK code): an unnamed device
 * attached over \Device\TraceFunction. Device-control requests go down
 * with a completion routine that propagates the pending state; everything
 * else is passed through untouched.
 */
#include "trace_driver.h"

typedef struct _FILTER_EXTENSION {
    PDEVICE_OBJECT Lower;
} FILTER_EXTENSION, *PFILTER_EXTENSION;

DRIVER_INITIALIZE DriverEntry;

volatile LONG TraceFilterCompletions;
static PDEVICE_OBJECT FilterDevice;

static DRIVER_UNLOAD FilterUnload;
static DRIVER_DISPATCH FilterPassThrough;
static DRIVER_DISPATCH FilterDeviceControl;
static IO_COMPLETION_ROUTINE FilterCompletion;

static NTSTATUS FilterPassThrough(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PFILTER_EXTENSION Extension = (PFILTER_EXTENSION)DeviceObject->DeviceExtension;
    IoSkipCurrentIrpStackLocation(Irp);
    return IoCallDriver(Extension->Lower, Irp);
}

static NTSTATUS FilterCompletion(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Context);
    InterlockedIncrement(&TraceFilterCompletions);
    if (Irp->PendingReturned)
        IoMarkIrpPending(Irp);
    return STATUS_CONTINUE_COMPLETION;
}

static NTSTATUS FilterDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PFILTER_EXTENSION Extension = (PFILTER_EXTENSION)DeviceObject->DeviceExtension;
    IoCopyCurrentIrpStackLocationToNext(Irp);
    IoSetCompletionRoutine(Irp, FilterCompletion, NULL, TRUE, TRUE, TRUE);
    return IoCallDriver(Extension->Lower, Irp);
}

static VOID FilterUnload(PDRIVER_OBJECT DriverObject)
{
    PFILTER_EXTENSION Extension = (PFILTER_EXTENSION)FilterDevice->DeviceExtension;
    UNREFERENCED_PARAMETER(DriverObject);
    IoDetachDevice(Extension->Lower);
    IoDeleteDevice(FilterDevice);
    FilterDevice = NULL;
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNICODE_STRING Target = RTL_CONSTANT_STRING(TRACE_FUNCTION_DEVICE_NAME);
    PFILTER_EXTENSION Extension;
    NTSTATUS Status;
    ULONG i;

    UNREFERENCED_PARAMETER(RegistryPath);
    for (i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        DriverObject->MajorFunction[i] = FilterPassThrough;
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = FilterDeviceControl;
    DriverObject->DriverUnload = FilterUnload;
    Status = IoCreateDevice(DriverObject, sizeof(FILTER_EXTENSION), NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &FilterDevice);
    if (!NT_SUCCESS(Status))
        return Status;
    Extension = (PFILTER_EXTENSION)FilterDevice->DeviceExtension;
    Status = IoAttachDevice(FilterDevice, &Target, &Extension->Lower);
    if (!NT_SUCCESS(Status)) {
        IoDeleteDevice(FilterDevice);
        return Status;
    }
    FilterDevice->Flags |= Extension->Lower->Flags & (DO_BUFFERED_IO | DO_DIRECT_IO);
    TraceFilterCompletions = 0;
    return STATUS_SUCCESS;
}
