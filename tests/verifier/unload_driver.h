/*
 * A small WDK-style driver for the unload rules (SEMANTICS.md 9.6, 9.7,
 * 9.8, 9.9, 9.10, 10.2): DriverEntry starts the operations selected in
 * UnloadStart; DriverUnload undoes them only when UnloadCleans is TRUE
 * (the correct driver) and otherwise leaves them pending (the bug).
 */
#ifndef UNLOAD_DRIVER_H
#define UNLOAD_DRIVER_H

#include <ntddk.h>

#define UNLOAD_TIMER  0x01 /* a KTIMER with a DPC, set for an hour */
#define UNLOAD_DPC    0x02 /* a DPC queued on processor 0 */
#define UNLOAD_EXWORK 0x04 /* ExQueueWorkItem, the routine waits for UnloadRelease */
#define UNLOAD_IOWORK 0x08 /* IoQueueWorkItem, the routine waits for UnloadRelease */
#define UNLOAD_THREAD 0x10 /* PsCreateSystemThread, the thread waits for UnloadRelease */
#define UNLOAD_POOL   0x20 /* a pool block, tag "Leak" */
#define UNLOAD_DEVICE 0x40 /* DriverUnload deletes the device only when cleaning */
#define UNLOAD_ALL    0x7F

#define UNLOAD_POOL_TAG   'kaeL'
#define UNLOAD_POOL_BYTES 100

extern ULONG UnloadStart;
extern BOOLEAN UnloadCleans;
extern KTIMER UnloadTimer;
extern KDPC UnloadDpc;
extern PDEVICE_OBJECT UnloadDevice;
extern PIRP UnloadHeldIrp; /* IRPs sent to the device are held (pended) */

DRIVER_INITIALIZE UnloadDriverEntry;
/* A driver with no unload routine: it arms a timer and stays loaded. */
DRIVER_INITIALIZE StayingDriverEntry;

/* What the test does after a caught bug check: lets the pending work end
   and waits for it, cancels what is left. */
VOID UnloadReleaseAll(VOID);

#endif
