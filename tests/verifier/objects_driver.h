/*
 * A small WDK-style driver for the kernel-object rules (SEMANTICS.md 6.2,
 * 7.2, 9.3, 9.6, 9.7, 9.10): objects used without being initialised,
 * re-initialised while in use, or freed (in pool) while a timer is set or a
 * DPC queued.
 */
#ifndef OBJECTS_DRIVER_H
#define OBJECTS_DRIVER_H

#include <ntddk.h>
#include "list_csq.h"

typedef struct _OBJECTS_EXTENSION {
    KEVENT Event;
    KTIMER Timer;
    KDPC Dpc;
    KDEVICE_QUEUE Queue;
    LIST_CSQ Csq; /* tests/support/list_csq.h */
} OBJECTS_EXTENSION, *POBJECTS_EXTENSION;

/* A context block the driver allocates from pool, with objects inside. */
typedef struct _OBJECTS_CONTEXT {
    ULONG Value;
    KTIMER Timer;
    KDPC Dpc;
    ERESOURCE Resource; /* live only after ObjectsInitializeResource */
    BOOLEAN ResourceLive;
} OBJECTS_CONTEXT, *POBJECTS_CONTEXT;

extern BOOLEAN ObjectsInitialise; /* FALSE: DriverEntry forgets to initialise the extension's objects (the bug) */
extern PDEVICE_OBJECT ObjectsDevice;

DRIVER_INITIALIZE ObjectsDriverEntry;

/* Driver code the test calls. */
VOID ObjectsSignal(VOID);
VOID ObjectsArmTimer(VOID);
VOID ObjectsQueueDpc(VOID);
BOOLEAN ObjectsQueueEntry(PKDEVICE_QUEUE_ENTRY Entry);
NTSTATUS ObjectsQueueIrp(PIRP Irp);
VOID ObjectsReinitialiseTimer(VOID);
VOID ObjectsReinitialiseDpc(VOID);
VOID ObjectsUndo(VOID); /* cancels the timer, removes the DPC */
POBJECTS_CONTEXT ObjectsNewContext(VOID);
/* CancelFirst: cancel the timer, remove the DPC and delete the resource
   before freeing, as a correct driver does. */
VOID ObjectsFreeContext(POBJECTS_CONTEXT Context, BOOLEAN CancelFirst);
NTSTATUS ObjectsInitializeResource(POBJECTS_CONTEXT Context);

/* A DPC on processor 0 that spins until released, so DPCs queued behind it
   stay queued. */
VOID ObjectsBlockProcessor(VOID);
VOID ObjectsReleaseProcessor(VOID);

#endif
