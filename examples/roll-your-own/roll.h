/*
 * Seed 003 ("Rolling your own IRPs", OSR): a driver that builds its own
 * IRPs - with IoAllocateIrp, in its own memory (ExAllocatePoolWithTag +
 * IoSizeOfIrp + IoInitializeIrp), and from a private pool of IRPs with
 * more stack locations than the I/O manager's lookaside lists hold,
 * recycled in the completion routine with IoReuseIrp - fills the next stack
 * location and the IRP's buffer fields by hand, and gets every IRP back in a
 * completion routine that returns STATUS_MORE_PROCESSING_REQUIRED.
 * Two routines break the article's rules on purpose.
 */
#ifndef ROLL_H
#define ROLL_H

#include <ntddk.h>

#define ROLL_POOL_IRPS 3       /* IRPs in the private pool */
#define ROLL_POOL_STACK_SIZE 6 /* more than the 4 of the I/O manager's larger lookaside list */
#define ROLL_IRP_TAG 'pIlR'    /* "RlIp": IRP memory the driver owns */
#define ROLL_BUFFER_TAG 'fBlR' /* "RlBf": system buffers for buffered targets */

/* How the IRP was made (and so how it goes back). */
typedef enum _ROLL_SOURCE {
    RollFromIoAllocateIrp, /* IoAllocateIrp ... IoFreeIrp */
    RollFromOwnMemory,     /* ExAllocatePoolWithTag + IoInitializeIrp ... ExFreePoolWithTag */
    RollFromPrivatePool,   /* the driver's pool ... IoReuseIrp, back to the pool */
} ROLL_SOURCE;

/* One request; the caller's memory, valid until Done is signalled. */
typedef struct _ROLL_REQUEST {
    KEVENT Done;                   /* notification event, set by the completion routine */
    ROLL_SOURCE Source;
    UCHAR MajorFunction;           /* IRP_MJ_READ or IRP_MJ_WRITE */
    PVOID Buffer;                  /* the caller's data (nonpaged) */
    ULONG Length;
    PIRP Irp;                      /* the IRP used */
    /* What the completion routine saw: */
    NTSTATUS Status;
    ULONG_PTR Information;
    BOOLEAN PendingReturned;
    PDEVICE_OBJECT RoutineDevice;  /* NULL: the creator has no stack location */
    KIRQL RoutineIrql;
    CHAR RoutineLocation;          /* CurrentLocation in the routine (StackCount + 1) */
} ROLL_REQUEST, *PROLL_REQUEST;

DRIVER_INITIALIZE RollDriverEntry;

/* Sends Request (Source, MajorFunction, Buffer, Length filled) to Target.
   Returns STATUS_PENDING when sent (the completion routine signals Done),
   or a failure: STATUS_INSUFFICIENT_RESOURCES when the pool is empty. */
NTSTATUS RollSend(PDEVICE_OBJECT Target, PROLL_REQUEST Request);
/* IRPs in the private pool now (not in flight). */
ULONG RollPoolFree(VOID);
/* The pool's IRPs (for the lesson to name them in the trace). */
PIRP RollPoolIrp(ULONG Index);

/* Rule 1 broken: an IoAllocateIrp IRP whose completion routine returns
   STATUS_CONTINUE_COMPLETION instead of STATUS_MORE_PROCESSING_REQUIRED. */
NTSTATUS RollSendForgettingMoreProcessing(PDEVICE_OBJECT Target, PROLL_REQUEST Request);
/* Rule 2 broken: an IoBuildSynchronousFsdRequest IRP (on the thread's IRP
   list) freed in its completion routine. *IrpOut is the IRP. */
NTSTATUS RollFreeThreadedIrpInCompletion(PDEVICE_OBJECT Target, PVOID Buffer, ULONG Length, PKEVENT Event,
                                         PIO_STATUS_BLOCK IoStatus, PIRP *IrpOut);

#endif
