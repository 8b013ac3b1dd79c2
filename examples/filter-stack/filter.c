/*
 * The filter driver of the filter-stack demo: an unnamed device attached
 * over \Device\IrpSimFunction.
 *
 * Device-control requests get a copied stack location and a completion
 * routine that logs what it sees and propagates the pending state (the
 * rule of SEMANTICS.md 3.3). Everything else passes through untouched with
 * IoSkipCurrentIrpStackLocation.
 *
 * Plain WDK code: it compiles unchanged for Windows.
 */
#include <ntddk.h>
#include "filterstack.h"

typedef struct _FILTER_EXTENSION {
    PDEVICE_OBJECT Lower; /* the device we are attached to */
} FILTER_EXTENSION, *PFILTER_EXTENSION;

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD FilterUnload;
static DRIVER_DISPATCH FilterPassThrough;
static DRIVER_DISPATCH FilterDeviceControl;
static IO_COMPLETION_ROUTINE FilterCompletion;

static PDEVICE_OBJECT FilterDevice;

static NTSTATUS FilterPassThrough(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PFILTER_EXTENSION Extension = (PFILTER_EXTENSION)DeviceObject->DeviceExtension;
    IoSkipCurrentIrpStackLocation(Irp);
    return IoCallDriver(Extension->Lower, Irp);
}

static NTSTATUS FilterCompletion(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    UNREFERENCED_PARAMETER(Context);
    DbgPrint("[filter] completion routine: device %p (ours: %s), stack location %d, PendingReturned %d, "
             "status 0x%08X\n",
             DeviceObject, DeviceObject == FilterDevice ? "yes" : "no", Irp->CurrentLocation, Irp->PendingReturned,
             Irp->IoStatus.Status);
    /* The lower driver pended: say so on our own location too, or the
       pending state stops here. */
    if (Irp->PendingReturned)
        IoMarkIrpPending(Irp);
    return STATUS_CONTINUE_COMPLETION;
}

static NTSTATUS FilterDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PFILTER_EXTENSION Extension = (PFILTER_EXTENSION)DeviceObject->DeviceExtension;

    DbgPrint("[filter] dispatch: IRP %p, stack location %d of %d, passing it down with a completion routine\n",
             Irp, Irp->CurrentLocation, Irp->StackCount);
    IoCopyCurrentIrpStackLocationToNext(Irp);
    IoSetCompletionRoutine(Irp, FilterCompletion, NULL, TRUE, TRUE, TRUE);
    /* Forwarded: return exactly what the lower driver returned. */
    return IoCallDriver(Extension->Lower, Irp);
}

static VOID FilterUnload(PDRIVER_OBJECT DriverObject)
{
    PFILTER_EXTENSION Extension = (PFILTER_EXTENSION)FilterDevice->DeviceExtension;
    UNREFERENCED_PARAMETER(DriverObject);
    IoDetachDevice(Extension->Lower);
    IoDeleteDevice(FilterDevice);
    DbgPrint("[filter] detached and unloaded\n");
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNICODE_STRING Target = RTL_CONSTANT_STRING(FUNCTION_DEVICE_NAME);
    PFILTER_EXTENSION Extension;
    NTSTATUS Status;
    ULONG i;

    UNREFERENCED_PARAMETER(RegistryPath);
    /* Every request must pass: set the dispatch table before attaching
       (attaching opens the target, and its close reaches us). */
    for (i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        DriverObject->MajorFunction[i] = FilterPassThrough;
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = FilterDeviceControl;
    DriverObject->DriverUnload = FilterUnload;

    Status = IoCreateDevice(DriverObject, sizeof(FILTER_EXTENSION), NULL, FILE_DEVICE_UNKNOWN, 0, FALSE,
                            &FilterDevice);
    if (!NT_SUCCESS(Status))
        return Status;
    Extension = (PFILTER_EXTENSION)FilterDevice->DeviceExtension;
    Status = IoAttachDevice(FilterDevice, &Target, &Extension->Lower);
    if (!NT_SUCCESS(Status)) {
        IoDeleteDevice(FilterDevice);
        return Status;
    }
    /* What the I/O manager does not copy for us. */
    FilterDevice->Flags |= Extension->Lower->Flags & (DO_BUFFERED_IO | DO_DIRECT_IO | DO_POWER_PAGABLE);
    FilterDevice->DeviceType = Extension->Lower->DeviceType;
    FilterDevice->Characteristics = Extension->Lower->Characteristics;
    DbgPrint("[filter] attached over %wZ; stack size now %d\n", &Target, FilterDevice->StackSize);
    return STATUS_SUCCESS;
}
