/*
 * The CSQ test driver: one device with two cancel-safe queues (a plain
 * IO_CSQ and an IoCsqInitializeEx one), each over its own list and spin
 * lock. Every callback is recorded with whether the driver's lock was held
 * by the calling thread, so tests can assert when the library calls what.
 */
#ifndef CSQ_DRIVER_H
#define CSQ_DRIVER_H

#include <ntddk.h>

/* Queue the IRP on the plain CSQ (no IO_CSQ_IRP_CONTEXT). */
#define IOCTL_CSQ_QUEUE CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_NEITHER, FILE_ANY_ACCESS)
/* Queue on the plain CSQ with the IO_CSQ_IRP_CONTEXT passed in Type3InputBuffer. */
#define IOCTL_CSQ_QUEUE_CONTEXT CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_NEITHER, FILE_ANY_ACCESS)
/* IoCsqInsertIrpEx on the Ex queue; Type3InputBuffer is the InsertContext. */
#define IOCTL_CSQ_QUEUE_EX CTL_CODE(FILE_DEVICE_UNKNOWN, 0x802, METHOD_NEITHER, FILE_ANY_ACCESS)
/* IoCsqInsertIrpEx on the plain (non-Ex) queue. */
#define IOCTL_CSQ_QUEUE_EX_ON_PLAIN CTL_CODE(FILE_DEVICE_UNKNOWN, 0x803, METHOD_NEITHER, FILE_ANY_ACCESS)

typedef enum _CSQ_EVENT_KIND {
    CsqEvAcquire = 1,
    CsqEvRelease,
    CsqEvInsert,
    CsqEvInsertEx,
    CsqEvRemove,
    CsqEvPeek,
    CsqEvCompleteCanceled,
} CSQ_EVENT_KIND;

typedef struct _CSQ_EVENT {
    CSQ_EVENT_KIND Kind;
    BOOLEAN LockHeld; /* the calling thread held this queue's lock */
    KIRQL Irql;
    PIRP Irp;
} CSQ_EVENT;

#define CSQ_LOG_SIZE 64

typedef struct _TEST_QUEUE {
    IO_CSQ Csq;
    KSPIN_LOCK Lock;
    LIST_ENTRY List;
    PVOID volatile LockOwner;       /* PKTHREAD holding Lock, NULL when free */
    volatile LONG CallsWithoutLock; /* Insert/Remove/Peek without the lock: must stay 0 */
    volatile LONG CompleteCanceledCalls;
    volatile LONG CompleteCanceledWithLock; /* must stay 0 */
    BOOLEAN Logging;
    volatile LONG LogCount;
    CSQ_EVENT Log[CSQ_LOG_SIZE];
    /* Hooks a test sets before sending an IRP. */
    NTSTATUS InsertExStatus;    /* what CsqInsertIrpEx returns */
    PVOID LastInsertContext;    /* what CsqInsertIrpEx was given */
    BOOLEAN CancelDuringInsert; /* CsqInsertIrp calls IoCancelIrp on the IRP it inserts */
    BOOLEAN CancelDuringInsertResult;
} TEST_QUEUE, *PTEST_QUEUE;

typedef struct _CSQ_DEVICE_EXTENSION {
    TEST_QUEUE Plain;
    TEST_QUEUE Ex;
    /* What the dispatch routine saw after IoCsqInsertIrpEx. */
    NTSTATUS LastInsertExStatus;
    BOOLEAN LastInsertExMarkedPending;
    PVOID LastInsertExDriverContext3;
} CSQ_DEVICE_EXTENSION, *PCSQ_DEVICE_EXTENSION;

extern PDEVICE_OBJECT CsqTestDevice;

DRIVER_INITIALIZE CsqTestDriverEntry;
VOID CsqTestResetLog(PTEST_QUEUE Queue);

#endif /* CSQ_DRIVER_H */
