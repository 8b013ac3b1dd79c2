/*
 * A small WDK-style driver for the IRQL and lock rules (SEMANTICS.md 2.2,
 * 3.3, 5.3, 9.1, 9.6, 10.5): dispatch, completion, cancel and DPC routines
 * that return at the wrong IRQL, holding a spin lock or inside a critical
 * region, and calls made above a routine's IRQL limit. One device; a filter
 * device with a completion routine over it.
 */
#ifndef IRQL_DRIVER_H
#define IRQL_DRIVER_H

#include <ntddk.h>

typedef enum _IRQL_MODE {
    IrqlCorrect = 0,    /* every routine puts things back */
    IrqlRaiseNoLower,   /* returns at a raised IRQL */
    IrqlHoldLock,       /* returns holding a spin lock (acquired at DPC level) */
    IrqlCriticalRegion, /* returns inside a critical region */
} IRQL_MODE;

extern IRQL_MODE IrqlDispatchMode;   /* the lower device's dispatch routine */
extern IRQL_MODE IrqlCompletionMode; /* the filter's completion routine */
extern IRQL_MODE IrqlCancelMode;     /* the lower device's cancel routine */
extern IRQL_MODE IrqlDpcMode;        /* the DPC routine */
extern PDEVICE_OBJECT IrqlLower, IrqlFilter;
extern KSPIN_LOCK IrqlLock;
extern PIRP IrqlHeldIrp; /* queued, cancelable, by the lower device (IOCTL 1) */

DRIVER_INITIALIZE IrqlDriverEntry;

/* Driver code the test calls. */
VOID IrqlRunDpc(VOID);              /* queues the DPC and waits until it ran */
PIRP IrqlAllocateIrpAt(KIRQL Irql); /* IoAllocateIrp at that IRQL */

#endif
