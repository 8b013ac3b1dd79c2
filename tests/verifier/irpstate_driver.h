/*
 * A small WDK-style driver for the IRP life-cycle rules (SEMANTICS.md 1.6,
 * 3.1, 10.3, 10.4, 10.7): one device (StackSize 1) and a filter stacked on
 * another device of the driver. Each mode is a dispatch behaviour, buggy or
 * correct.
 */
#ifndef IRPSTATE_DRIVER_H
#define IRPSTATE_DRIVER_H

#include <ntddk.h>

typedef enum _IRPSTATE_MODE {
    StateComplete = 0,          /* correct: complete once */
    StateCompleteTwice,         /* 0x44 */
    StateCompleteWithCancel,    /* 0xC9/0x07: cancel routine still set */
    StateCompleteClearedCancel, /* correct: IoSetCancelRoutine(NULL) first */
    StateCompletePending,       /* 0xC9/0x06: IoStatus.Status = STATUS_PENDING */
    StateQueue,                 /* mark pending and queue in the driver's CSQ */
    StateInformationTooLarge,   /* 0xC9/0x312: Information > OutputBufferLength */
    StateInformationFits,       /* correct */
    StateFilterCopyNoRoutine,   /* 0xC9/0x21C (the filter) */
    StateFilterSkip,            /* correct (the filter) */
    StateHold,                  /* keep it (IoMarkIrpPending, STATUS_PENDING) */
} IRPSTATE_MODE;

extern IRPSTATE_MODE IrpStateMode;
extern PDEVICE_OBJECT IrpStateDevice;                /* StackSize 1 */
extern PDEVICE_OBJECT IrpStateFilter, IrpStateBelow; /* StackSize 2 over 1 */
extern PIRP IrpStateHeld;

DRIVER_INITIALIZE IrpStateDriverEntry;

/* Driver code the test calls (each runs as the driver would: charged to it). */
PIRP IrpStateDequeue(VOID); /* takes the next IRP out of the CSQ */
NTSTATUS IrpStateSendOwnIrp(BOOLEAN RightSize,
                            BOOLEAN RoutineStops); /* an IRP the driver allocates, to IrpStateFilter */
VOID IrpStateCompleteOwnIrp(BOOLEAN Free);         /* allocate an IRP, then complete (bug) or free it */
VOID IrpStateFreeDriverIrp(BOOLEAN WithIoFreeIrp); /* IoInitializeIrp on pool, then IoFreeIrp (bug) or ExFreePool */

#endif
