/*
 * A WDK-style driver that protects its device with a remove lock, as the
 * documentation's "Using Remove Locks" describes: every read acquires the
 * lock with the IRP as tag and releases it when the read is completed;
 * IRP_MN_REMOVE_DEVICE acquires it, then releases it and waits for every
 * read still in flight before the device may go.
 */
#ifndef REMLOCK_DRIVER_H
#define REMLOCK_DRIVER_H

#include <ntddk.h>

#define REMLOCK_TAG 'klRT' /* "TRlk" */
#define REMLOCK_MAX_HELD 4

typedef struct _REMLOCK_EXTENSION {
    IO_REMOVE_LOCK RemoveLock;
    KSPIN_LOCK Lock;
    PIRP Held[REMLOCK_MAX_HELD]; /* reads in flight (each holds the lock) */
    ULONG HeldCount;
    volatile LONG Removed;       /* the remove IRP got past IoReleaseRemoveLockAndWait */
    ULONG RejectedReads;         /* reads failed with STATUS_DELETE_PENDING */
} REMLOCK_EXTENSION, *PREMLOCK_EXTENSION;

#define RemlockExtension(Device) ((PREMLOCK_EXTENSION)(Device)->DeviceExtension)

PDRIVER_OBJECT RemlockLoad(VOID);
PDEVICE_OBJECT RemlockCreateDevice(PDRIVER_OBJECT Driver, ULONG MaxLockedMinutes, ULONG HighWatermark);
/* Completes the oldest read in flight with STATUS_SUCCESS and releases its
   acquisition. FALSE if there is none. */
BOOLEAN RemlockCompleteOldestRead(PDEVICE_OBJECT Device);

#endif
