/* The DpcForIsr test driver's interface to its test. */
#ifndef DPCREQUEST_H
#define DPCREQUEST_H

#include <ntddk.h>

typedef struct _DPCREQUEST_LOG {
    volatile LONG Calls;
    PKDPC Dpc;
    PDEVICE_OBJECT DeviceObject;
    PIRP Irp;
    PVOID Context;
    KIRQL Irql;
} DPCREQUEST_LOG;

extern DPCREQUEST_LOG DpcRequestLog;
extern PDEVICE_OBJECT DpcRequestDevice;
extern KEVENT DpcRequestRan;

NTSTATUS NTAPI DpcRequestDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);
/* What the device's interrupt service routine would do. */
VOID DpcRequestInterrupt(PVOID Context);

#endif
