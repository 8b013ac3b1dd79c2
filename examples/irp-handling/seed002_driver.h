/*
 * Seed 002 ("Handling IRPs, part II", KB 320275): the six ways a driver
 * sends a request to TopOfDeviceStack, written correctly, plus scenario 2
 * as published (its completion routine exchanges &lock, the address of its
 * own local pointer, instead of the shared state).
 *
 * The functions keep the article's signatures (the two asynchronous ones
 * take one more argument, a record the completion routine fills so a test
 * can see the request finish). What they did is recorded in Seed002 for
 * the tests; that bookkeeping is the only addition.
 */
#ifndef SEED002_DRIVER_H
#define SEED002_DRIVER_H

#include <ntddk.h>

/* Scenario 2's IRPLOCK states. */
typedef enum {
    IRPLOCK_CANCELABLE,
    IRPLOCK_CANCEL_STARTED,
    IRPLOCK_CANCEL_COMPLETE,
    IRPLOCK_COMPLETED
} IRPLOCK;

/* The result of an asynchronous request, filled by its completion routine. */
typedef struct _SEED002_ASYNC_RESULT {
    KEVENT Done; /* notification event, set last */
    NTSTATUS Status;
    ULONG_PTR Information;
    ULONG Calls;
    BOOLEAN PendingReturned;
    PDEVICE_OBJECT DeviceObject; /* the routine's first argument */
} SEED002_ASYNC_RESULT, *PSEED002_ASYNC_RESULT;

/* The sender's IOSB before anyone writes it. */
#define SEED002_IOSB_UNTOUCHED ((NTSTATUS)0x1BAD1BAD)

typedef struct _SEED002_EXCHANGE {
    CHAR Who; /* 'S' the sender, 'C' the completion routine */
    LONG Old;
    LONG New;
} SEED002_EXCHANGE;

typedef struct _SEED002_RECORD {
    PIRP Irp;                  /* the IRP the last call built */
    IO_STATUS_BLOCK IoStatus;  /* the sender's IOSB when it returned */
    BOOLEAN EventSignalled;    /* the sender's event when it returned */
    ULONG Waits;               /* KeWaitForSingleObject calls on the event */
    NTSTATUS FirstWaitStatus;
    ULONG SenderCompletions;   /* IoCompleteRequest calls by the sender */
    ULONG CancelCalls;         /* IoCancelIrp calls by the sender */
    ULONG CompletionRoutineCalls;
    NTSTATUS CompletionRoutineResult;
    BOOLEAN CompletionRoutinePendingReturned;
    volatile LONG ExchangeCount;
    SEED002_EXCHANGE Exchange[8]; /* scenario 2: every IRPLOCK exchange, in order */
} SEED002_RECORD;

extern SEED002_RECORD Seed002;
VOID Seed002Reset(VOID);

/* A test's hook into scenario 2, called by the sender right after its timed
   wait returned STATUS_TIMEOUT and before it takes the IRPLOCK: a test uses
   it to let the lower device complete the IRP exactly there. */
#define SEED002_POINT_TIMED_OUT 1
typedef VOID SEED002_CHECKPOINT(ULONG Point, PIRP Irp);
extern SEED002_CHECKPOINT *Seed002Checkpoint;

NTSTATUS MakeSynchronousIoctl(PDEVICE_OBJECT TopOfDeviceStack, ULONG IoctlControlCode, PVOID InputBuffer,
                              ULONG InputBufferLength, PVOID OutputBuffer, ULONG OutputBufferLength);
NTSTATUS MakeSynchronousIoctlWithTimeOut(PDEVICE_OBJECT TopOfDeviceStack, ULONG IoctlControlCode,
                                         PVOID InputBuffer, ULONG InputBufferLength, PVOID OutputBuffer,
                                         ULONG OutputBufferLength, ULONG Milliseconds);
/* The same with the published completion routine (the &lock mistake). */
NTSTATUS MakeSynchronousIoctlWithTimeOutAsPublished(PDEVICE_OBJECT TopOfDeviceStack, ULONG IoctlControlCode,
                                                    PVOID InputBuffer, ULONG InputBufferLength,
                                                    PVOID OutputBuffer, ULONG OutputBufferLength,
                                                    ULONG Milliseconds);
NTSTATUS MakeSynchronousNonIoctlRequest(PDEVICE_OBJECT TopOfDeviceStack, PVOID WriteBuffer, ULONG NumBytes);
NTSTATUS MakeSynchronousNonIoctlRequest2(PDEVICE_OBJECT TopOfDeviceStack, PVOID WriteBuffer, ULONG NumBytes);
NTSTATUS MakeAsynchronousRequest(PDEVICE_OBJECT TopOfDeviceStack, PVOID WriteBuffer, ULONG NumBytes,
                                 PSEED002_ASYNC_RESULT Result);
NTSTATUS MakeAsynchronousRequest2(PDEVICE_OBJECT TopOfDeviceStack, PVOID WriteBuffer, ULONG NumBytes,
                                  PSEED002_ASYNC_RESULT Result);

/* Pool tag of the contexts scenarios 3 and 5 allocate. */
#define SEED002_CONTEXT_TAG 'ITag' /* the article's tag */

#endif
