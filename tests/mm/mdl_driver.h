/* The driver-side routines the MDL tests call (mdl_driver.c). */
#ifndef MDL_DRIVER_H
#define MDL_DRIVER_H

NTSTATUS MakeAsynchronousRequest2(PVOID WriteBuffer, ULONG NumBytes, PIRP *IrpOut);
VOID FreeAsynchronousRequest2(PIRP Irp);
NTSTATUS LeakyDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);
extern PMDL LeakyDriverMdl;

#endif
