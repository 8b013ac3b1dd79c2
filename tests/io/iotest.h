/*
 * A programmable WDK-style driver for the I/O manager tests: every device
 * it creates carries the dispatch behaviour the test wants in its
 * extension, so one driver can play every level of a device stack.
 */
#ifndef IOTEST_H
#define IOTEST_H

#include <ntddk.h>
#include <irpsim/irpsim.h>

typedef struct _IOTEST_EXTENSION {
    PDRIVER_DISPATCH Handler; /* NULL: complete with STATUS_SUCCESS */
    PDEVICE_OBJECT Lower;     /* the device this one is attached to */
    PVOID Context;            /* for the test */
    ULONG Calls;              /* dispatch calls seen */
} IOTEST_EXTENSION, *PIOTEST_EXTENSION;

#define IoTestExtension(Device) ((PIOTEST_EXTENSION)(Device)->DeviceExtension)

DRIVER_INITIALIZE IoTestDriverEntry;
DRIVER_DISPATCH IoTestCompleteSuccess;
DRIVER_DISPATCH IoTestSkipDown;

/* Loads the test driver under Name (L"\\Driver\\IoTest"). */
PDRIVER_OBJECT IoTestLoad(PCWSTR Name);
/* A device of Driver with Handler (Name may be NULL). */
PDEVICE_OBJECT IoTestCreateDevice(PDRIVER_OBJECT Driver, PCWSTR Name, PDRIVER_DISPATCH Handler);
/* Attaches Upper over Target's stack; returns the device attached to. */
PDEVICE_OBJECT IoTestAttach(PDEVICE_OBJECT Upper, PDEVICE_OBJECT Target);

/* An ordered log of what happened, for call-order assertions. */
typedef struct _IOTEST_EVENT {
    ULONG Kind; /* 'D' dispatch, 'C' completion routine, 'X' cancel routine */
    PDEVICE_OBJECT Device;
    ULONG Tag;
    CHAR CurrentLocation;
    BOOLEAN PendingReturned;
    NTSTATUS Status;
} IOTEST_EVENT;
extern IOTEST_EVENT IoTestLog[64];
extern ULONG IoTestLogCount;
VOID IoTestLogEvent(ULONG Kind, PDEVICE_OBJECT Device, ULONG Tag, PIRP Irp);

#endif
