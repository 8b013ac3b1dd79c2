/*
 * The StartIo test driver: reads go through the system StartIo queue
 * (IoMarkIrpPending + IoStartPacket + STATUS_PENDING). StartIo either
 * finishes the packet at once and starts the next one, or — in Hold mode —
 * leaves it as DeviceObject->CurrentIrp, as if the hardware were busy, for
 * the test to finish later. Its cancel routine is the classic one for the
 * system queue (SEMANTICS.md 7.6), taking queued packets out with
 * KeRemoveEntryDeviceQueue and leaving the current packet to StartIo.
 */
#ifndef STARTIO_DRIVER_H
#define STARTIO_DRIVER_H

#include <ntddk.h>

#define STARTIO_LOG_SIZE 256

typedef struct _STARTIO_RECORD {
    PIRP Irp;
    KIRQL Irql;            /* IRQL StartIo ran at */
    BOOLEAN WasCurrentIrp; /* DeviceObject->CurrentIrp == Irp on entry */
    PDRIVER_CANCEL CancelRoutineOnEntry;
    LONG Depth; /* StartIo nesting when it was entered (1 = not nested) */
} STARTIO_RECORD;

typedef struct _STARTIO_DEVICE_EXTENSION {
    /* Behaviour, set by the test. */
    BOOLEAN Hold;      /* StartIo leaves the packet as CurrentIrp */
    BOOLEAN UseKey;    /* IoStartPacket gets Parameters.Read.Key as the sort key */
    BOOLEAN UseCancel; /* IoStartPacket gets StartIoTestCancel; IoStartNextPacket(Cancelable = TRUE) */
    /* What happened. */
    volatile LONG Depth;
    volatile LONG MaxDepth;
    volatile LONG StartIoCalls;
    STARTIO_RECORD Started[STARTIO_LOG_SIZE];
    /* Hold mode: the packet StartIo handed to the "hardware", taken by
       StartIoTestInterrupt. */
    PVOID volatile Programmed;
    /* The cancel routine (written under the cancel spin lock). */
    LONG CancelCalls;
    LONG CancelCompleted;         /* queued packets it completed */
    KIRQL LastCancelIrql;         /* Irp->CancelIrql it was given */
    KIRQL LastCancelCalledAt;     /* the IRQL it ran at */
    BOOLEAN LastCancelFlag;       /* Irp->Cancel */
    BOOLEAN LastCancelHadRoutine; /* Irp->CancelRoutine != NULL (must be FALSE) */
} STARTIO_DEVICE_EXTENSION, *PSTARTIO_DEVICE_EXTENSION;

extern PDEVICE_OBJECT StartIoTestDevice;
extern PDEVICE_OBJECT NoStartIoTestDevice;

DRIVER_INITIALIZE StartIoTestDriverEntry;
/* A driver that forgets to set DriverStartIo. */
DRIVER_INITIALIZE NoStartIoTestDriverEntry;
DRIVER_CANCEL StartIoTestCancel;

/* What the driver's DpcForIsr would do when the device finishes the current
   packet: complete it, then start the next (by key if ByKey). Raises to
   DISPATCH_LEVEL for the call. */
VOID StartIoTestFinishCurrent(BOOLEAN ByKey, ULONG Key);
/* The same, driven by the "hardware": finishes the packet StartIo last
   programmed, if any (FALSE if none). Any thread may call it. */
BOOLEAN StartIoTestInterrupt(VOID);

#endif /* STARTIO_DRIVER_H */
