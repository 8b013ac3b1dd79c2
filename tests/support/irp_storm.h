/*
 * An IRP storm: sender threads allocate IRPs and send them to a device
 * while canceller threads call IoCancelIrp on random ones and worker
 * threads drive the device (dequeue, play the interrupt). The shared
 * harness of the CSQ and StartIo stress tests.
 *
 * Windows guarantees that whatever the interleaving, every IRP sent is
 * completed exactly once and none is lost. A canceller may only call
 * IoCancelIrp on an IRP it knows to be alive, so each IRP has a reference
 * count: the in-flight I/O holds one (dropped by the completion routine),
 * a canceller takes one around IoCancelIrp; whoever drops the last one
 * frees the IRP. Only even-numbered IRPs are cancelled, so odd ones must
 * always succeed.
 */
#ifndef IRPSIM_TESTS_IRP_STORM_H
#define IRPSIM_TESTS_IRP_STORM_H

#include <ntddk.h>

/* Fills in the stack location the device will see (major function, ...). */
typedef VOID IRP_STORM_PREPARE(PIO_STACK_LOCATION NextSp);
/* One step of a worker; FALSE when there was nothing to do (it pauses). */
typedef BOOLEAN IRP_STORM_WORK(VOID);

typedef struct _IRP_STORM_CONFIG {
    PDEVICE_OBJECT Device;
    ULONG Senders;
    ULONG PerSender;
    ULONG Cancellers;
    ULONG Workers;           /* threads that call Work until the storm ends */
    ULONG Seed;              /* the cancellers' random choices */
    IRP_STORM_PREPARE *Prepare;
    IRP_STORM_WORK *Work;    /* NULL when Workers is 0 */
} IRP_STORM_CONFIG;

typedef struct _IRP_STORM_RESULT {
    ULONG Irps;
    LONG Succeeded;          /* completed with STATUS_SUCCESS */
    LONG Cancelled;          /* completed with STATUS_CANCELLED */
    LONG CancelHits;         /* IoCancelIrp returned TRUE */
} IRP_STORM_RESULT;

/* Runs the storm to the end and asserts (CMocka) that every IRP was
   completed exactly once with STATUS_SUCCESS or STATUS_CANCELLED, every
   odd one with STATUS_SUCCESS, and every one was freed. */
VOID IrpStormRun(const IRP_STORM_CONFIG *Config, IRP_STORM_RESULT *Result);

/* A 1 ms wait, for threads polling for work. */
VOID IrpStormPause(VOID);

#endif
