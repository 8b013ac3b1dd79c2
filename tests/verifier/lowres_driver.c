/*
 * The low-resources driver (see lowres_driver.h).
 */
#include "lowres_driver.h"

PDEVICE_OBJECT LowResDevice;
BOOLEAN LowResAllocateInDriverEntry;
static NPAGED_LOOKASIDE_LIST LowResLookaside;
static PVOID LowResContext;
static CHAR LowResBuffer[64];

static NTSTATUS LowResTry(ULONG Code)
{
    PVOID Block;
    switch (Code) {
    case LOWRES_IOCTL_POOL:
        Block = ExAllocatePoolWithTag(NonPagedPool, 64, LOWRES_TAG);
        if (Block == NULL)
            return STATUS_INSUFFICIENT_RESOURCES;
        ExFreePoolWithTag(Block, LOWRES_TAG);
        return STATUS_SUCCESS;
    case LOWRES_IOCTL_POOL_OTHER_TAG:
        Block = ExAllocatePoolWithTag(NonPagedPool, 64, LOWRES_OTHER_TAG);
        if (Block == NULL)
            return STATUS_INSUFFICIENT_RESOURCES;
        ExFreePoolWithTag(Block, LOWRES_OTHER_TAG);
        return STATUS_SUCCESS;
    case LOWRES_IOCTL_POOL2:
        Block = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, LOWRES_TAG);
        if (Block == NULL)
            return STATUS_INSUFFICIENT_RESOURCES;
        ExFreePoolWithTag(Block, LOWRES_TAG);
        return STATUS_SUCCESS;
    case LOWRES_IOCTL_POOL_RAISE: {
        NTSTATUS Status = STATUS_SUCCESS;
        __try {
            Block = ExAllocatePoolWithTag((POOL_TYPE)(NonPagedPool | POOL_RAISE_IF_ALLOCATION_FAILURE), 64, LOWRES_TAG);
            ExFreePoolWithTag(Block, LOWRES_TAG);
        } __except (EXCEPTION_EXECUTE_HANDLER) {
            Status = GetExceptionCode();
        }
        return Status;
    }
    case LOWRES_IOCTL_IRP: {
        PIRP Irp = IoAllocateIrp(1, FALSE);
        if (Irp == NULL)
            return STATUS_INSUFFICIENT_RESOURCES;
        IoFreeIrp(Irp);
        return STATUS_SUCCESS;
    }
    case LOWRES_IOCTL_MDL: {
        PMDL Mdl = IoAllocateMdl(LowResBuffer, sizeof(LowResBuffer), FALSE, FALSE, NULL);
        if (Mdl == NULL)
            return STATUS_INSUFFICIENT_RESOURCES;
        IoFreeMdl(Mdl);
        return STATUS_SUCCESS;
    }
    case LOWRES_IOCTL_WORKITEM: {
        PIO_WORKITEM Item = IoAllocateWorkItem(LowResDevice);
        if (Item == NULL)
            return STATUS_INSUFFICIENT_RESOURCES;
        IoFreeWorkItem(Item);
        return STATUS_SUCCESS;
    }
    case LOWRES_IOCTL_LOOKASIDE:
        Block = ExAllocateFromNPagedLookasideList(&LowResLookaside);
        if (Block == NULL)
            return STATUS_INSUFFICIENT_RESOURCES;
        ExFreeToNPagedLookasideList(&LowResLookaside, Block);
        return STATUS_SUCCESS;
    default:
        return STATUS_INVALID_DEVICE_REQUEST;
    }
}

static NTSTATUS LowResDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    NTSTATUS Status = LowResTry(IoGetCurrentIrpStackLocation(Irp)->Parameters.DeviceIoControl.IoControlCode);
    UNREFERENCED_PARAMETER(DeviceObject);
    Irp->IoStatus.Status = Status;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return Status;
}

static VOID LowResUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    ExDeleteNPagedLookasideList(&LowResLookaside);
    if (LowResContext != NULL)
        ExFreePoolWithTag(LowResContext, LOWRES_TAG);
    LowResContext = NULL;
    IoDeleteDevice(LowResDevice);
}

NTSTATUS LowResDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS Status;
    UNREFERENCED_PARAMETER(RegistryPath);
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = LowResDispatch;
    DriverObject->DriverUnload = LowResUnload;
    LowResContext = NULL;
    if (LowResAllocateInDriverEntry) {
        LowResContext = ExAllocatePoolWithTag(NonPagedPool, 32, LOWRES_TAG);
        if (LowResContext == NULL)
            return STATUS_INSUFFICIENT_RESOURCES; /* the error path DriverEntry must have */
    }
    Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &LowResDevice);
    if (!NT_SUCCESS(Status)) {
        if (LowResContext != NULL)
            ExFreePoolWithTag(LowResContext, LOWRES_TAG);
        return Status;
    }
    ExInitializeNPagedLookasideList(&LowResLookaside, NULL, NULL, 0, 48, LOWRES_TAG, 0);
    return STATUS_SUCCESS;
}
