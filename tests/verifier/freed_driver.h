/*
 * A small WDK-style driver that keeps a KTIMER and a KDPC in its device
 * extension, for the rule "memory freed while it holds a set timer or a
 * queued DPC" (0xC7 TIMER_OR_DPC_INVALID) applied to the memory
 * IoDeleteDevice frees: the device object and its extension.
 */
#ifndef FREED_DRIVER_H
#define FREED_DRIVER_H

#include <ntddk.h>

#define FREED_DEVICE_NAME L"\\Device\\FreedExtension"

typedef struct _FREED_EXTENSION {
    ULONG Value;
    KTIMER Timer;
    KDPC Dpc;
} FREED_EXTENSION, *PFREED_EXTENSION;

extern PDEVICE_OBJECT FreedDevice; /* NULL once deleted */

DRIVER_INITIALIZE FreedDriverEntry;

/* Driver code the test calls. */
VOID FreedArmTimer(VOID); /* KeSetTimer on the extension's timer (one hour, with its DPC) */
VOID FreedQueueDpc(VOID); /* KeInsertQueueDpc on the extension's DPC (target processor 0) */
/* Deletes the device. CancelFirst: as a correct driver does, cancels the
   timer and removes the DPC first; FALSE is the bug. */
VOID FreedDeleteDevice(BOOLEAN CancelFirst);

#endif
