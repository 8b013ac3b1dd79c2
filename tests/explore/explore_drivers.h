/*
 * The WDK-style drivers the exploration tests run (each in its own file):
 *
 *   seed002_driver.c  seed 002 scenario 2: MakeSynchronousIoctlWithTimeOut
 *                     (IRPLOCK cancellation), written correctly and as
 *                     published (the completion routine exchanges &lock),
 *                     against a lower device whose DPC completes requests;
 *   csqrace_driver.c  a queue served by a system thread, hand-rolled with the
 *                     classic cancel race or built on IO_CSQ;
 *   seed000_driver.c  seed 000's CSQ + periodic DPC timer driver as the
 *                     article wrote it (the DPC completes IRPs behind the
 *                     CSQ's back).
 *
 * Each records what happened in a global the test body reads; a body
 * resets it before it loads the driver.
 */
#ifndef EXPLORE_DRIVERS_H
#define EXPLORE_DRIVERS_H

#include <ntddk.h>

#define EXPLORE_IOCTL_WORK CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)

/* ---- seed 002, scenario 2 ---- */

typedef enum {
    IRPLOCK_CANCELABLE,
    IRPLOCK_CANCEL_STARTED,
    IRPLOCK_CANCEL_COMPLETE,
    IRPLOCK_COMPLETED
} IRPLOCK;

/* The four interleavings the article's comment lists. */
typedef enum _SEED002_INTERLEAVING {
    Seed002Unknown = 0,
    Seed002NoCancellation = 1,          /* Cancelable --> Completed */
    Seed002CancelReturnedFirst = 2,     /* Cancelable --> CancelStarted --> CancelCompleted --> Completed */
    Seed002CanceledAfterCompletion = 3, /* Cancelable --> Completed -> CancelStarted */
    Seed002CompletedDuringCancel = 4,   /* Cancelable --> CancelStarted -> Completed --> CancelCompleted */
} SEED002_INTERLEAVING;

typedef struct _SEED002_EXCHANGE {
    CHAR Who; /* 'S' the sender, 'C' the completion routine */
    LONG Old;
    LONG New;
} SEED002_EXCHANGE;

typedef struct _SEED002_STATE {
    PDEVICE_OBJECT LowerDevice;
    LONG ExchangeCount;
    SEED002_EXCHANGE Exchange[8];  /* every IRPLOCK exchange, in order */
    LONG CompletionRoutineCalls;
    LONG CompletionRoutineContinued; /* returned STATUS_CONTINUE_COMPLETION */
    LONG SenderCompletions;        /* IoCompleteRequest by the sender */
    LONG LowerCompletions;         /* IoCompleteRequest by the lower device */
    LONG LowerCancelled;           /* ... of them by its cancel routine */
    BOOLEAN EventSignalled;        /* the sender's event when it returned */
    NTSTATUS IoStatus;             /* the sender's IOSB when it returned */
} SEED002_STATE;

extern SEED002_STATE Seed002;

#define SEED002_IOSB_UNTOUCHED ((NTSTATUS)0x1BAD1BAD)

DRIVER_INITIALIZE Seed002LowerDriverEntry;
/* The article's MakeSynchronousIoctlWithTimeOut, written correctly. */
NTSTATUS MakeSynchronousIoctlWithTimeOut(PDEVICE_OBJECT TopOfDeviceStack, ULONG IoctlControlCode, PVOID InputBuffer,
                                         ULONG InputBufferLength, PVOID OutputBuffer, ULONG OutputBufferLength,
                                         ULONG Milliseconds);
/* The same with the published completion routine (InterlockedExchange on
   &lock, the address of its own local copy of the pointer). */
NTSTATUS MakeSynchronousIoctlWithTimeOutAsPublished(PDEVICE_OBJECT TopOfDeviceStack, ULONG IoctlControlCode,
                                                    PVOID InputBuffer, ULONG InputBufferLength, PVOID OutputBuffer,
                                                    ULONG OutputBufferLength, ULONG Milliseconds);
/* Which interleaving the last call went through (from the exchanges). */
SEED002_INTERLEAVING Seed002Interleaving(VOID);

/* ---- a queue with a cancel race, and the IO_CSQ version ---- */

typedef struct _CSQRACE_STATE {
    BOOLEAN UseCsq;            /* set before DriverEntry */
    PDEVICE_OBJECT Device;
    LONG Completions;          /* IoCompleteRequest calls by the driver */
    LONG CancelRoutineRuns;    /* its own cancel routine, or CsqCompleteCanceledIrp */
} CSQRACE_STATE;

extern CSQRACE_STATE CsqRace;

DRIVER_INITIALIZE CsqRaceDriverEntry;

/* ---- seed 000 ---- */

#define SEED000_IOCTL_QUEUE 0x222000   /* CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS) */
#define SEED000_IOCTL_PROCESS 0x222004 /* CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS) */

typedef struct _SEED000_STATE {
    PDEVICE_OBJECT Device;
    BOOLEAN TimerStopped; /* the DPC found the list empty and cancelled the timer */
    LONG DpcCompletions;
} SEED000_STATE;

extern SEED000_STATE Seed000;

DRIVER_INITIALIZE Seed000DriverEntry;

#endif
