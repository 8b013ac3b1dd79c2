/*
 * Driver-side code for the MDL tests, written as WDK drivers write it.
 *
 * MakeAsynchronousRequest2 follows seed 002, scenario 6 (KB 320275:
 * "send an asynchronous request by using IoAllocateIrp"), up to the point
 * where the IRP would be sent: IoAllocateIrp, IoAllocateMdl, and
 * MmProbeAndLockPages inside the old-style try / except.
 */
#include <ntddk.h>

#include "mdl_driver.h"

NTSTATUS
MakeAsynchronousRequest2(
    PVOID WriteBuffer,
    ULONG NumBytes,
    PIRP *IrpOut
    )
{
    PIRP irp;
    PIO_STACK_LOCATION nextStack;

    *IrpOut = NULL;
    irp = IoAllocateIrp(1, FALSE);
    if (NULL == irp) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }

    nextStack = IoGetNextIrpStackLocation(irp);
    nextStack->MajorFunction = IRP_MJ_WRITE;
    nextStack->Parameters.Write.Length = NumBytes;

    irp->MdlAddress = IoAllocateMdl(WriteBuffer, NumBytes, FALSE, FALSE, (PIRP)NULL);
    if (irp->MdlAddress == NULL) {
        IoFreeIrp(irp);
        return STATUS_INSUFFICIENT_RESOURCES;
    }

    try {
        MmProbeAndLockPages(irp->MdlAddress,
                            KernelMode,
                            (LOCK_OPERATION)(nextStack->MajorFunction == IRP_MJ_WRITE ? IoReadAccess : IoWriteAccess));
    } except (EXCEPTION_EXECUTE_HANDLER) {
        if (irp->MdlAddress != NULL) {
            IoFreeMdl(irp->MdlAddress);
        }
        IoFreeIrp(irp);
        return GetExceptionCode();
    }

    *IrpOut = irp;
    return STATUS_SUCCESS;
}

/* What the scenario's completion routine does once the IRP is back. */
VOID
FreeAsynchronousRequest2(
    PIRP Irp
    )
{
    PMDL mdl, nextMdl;
    if (Irp->MdlAddress != NULL) {
        for (mdl = Irp->MdlAddress; mdl != NULL; mdl = nextMdl) {
            nextMdl = mdl->Next;
            MmUnlockPages(mdl);
            IoFreeMdl(mdl);
        }
        Irp->MdlAddress = NULL;
    }
    IoFreeIrp(Irp);
}

/* A DriverEntry that leaves an MDL behind, so the leak is charged to it. */
PMDL LeakyDriverMdl;
static UCHAR LeakyBuffer[100];

NTSTATUS
LeakyDriverEntry(
    PDRIVER_OBJECT DriverObject,
    PUNICODE_STRING RegistryPath
    )
{
    UNREFERENCED_PARAMETER(DriverObject);
    UNREFERENCED_PARAMETER(RegistryPath);
    LeakyDriverMdl = IoAllocateMdl(LeakyBuffer, sizeof(LeakyBuffer), FALSE, FALSE, NULL);
    return LeakyDriverMdl != NULL ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
}
