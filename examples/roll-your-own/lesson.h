/*
 * Seed 003 ("Rolling your own IRPs") as a lesson: the scenarios main.c
 * prints and tests/lessons checks against the trace. The roll driver
 * (roll.c) sends its own IRPs to the lower test device (tests/iobuild/
 * lower_driver.c), which completes at once or from a timer DPC.
 */
#ifndef ROLL_LESSON_H
#define ROLL_LESSON_H

#include <ntddk.h>
#include <irpsim/irpsim.h>

#include "lower_driver.h"
#include "roll.h"

#define ROLL_LESSON_LENGTH 32
#define ROLL_LESSON_DATA_TAG 'aDlR' /* the lesson's data buffers ("RlDa") */

typedef struct _ROLL_LESSON_RESULT {
    NTSTATUS Sent;         /* RollSend: STATUS_PENDING = sent */
    ROLL_REQUEST Request;  /* what the completion routine saw */
    ULONG IrpNumber;       /* IRP#n in the trace */
    ULONG DataMoved;       /* bytes that arrived where they should (read: the device's 0xA5 pattern; write: ours) */
    ULONG BugCheck;        /* a bug check caught (0 = none) */
    NTSTATUS FinalIosb;    /* rule 2: the IOSB after the IRP was handed back */
} ROLL_LESSON_RESULT, *PROLL_LESSON_RESULT;

typedef struct _ROLL_POOL_RESULT {
    ROLL_LESSON_RESULT Requests[7];  /* 0-2 in flight together, 3 refused, 4-6 one after the other */
    ULONG FreeWhileBusy;             /* pool IRPs free with three in flight */
    ULONG FreeAfter;                 /* ... and when all came back */
    ULONG PoolIrpNumber[ROLL_POOL_IRPS];
    ULONG PoolIrpSends[ROLL_POOL_IRPS];       /* IoCallDriver calls per pool IRP */
    ULONG PoolIrpAllocations[ROLL_POOL_IRPS]; /* IrpAllocated events per pool IRP (1: reuse is not a new IRP) */
} ROLL_POOL_RESULT, *PROLL_POOL_RESULT;

NTSTATUS RollLessonStart(VOID);
ULONG RollLessonStop(VOID);

/* One request: an IRP from Source, IRP_MJ_READ or IRP_MJ_WRITE, to a target
   with IoFlags (DO_BUFFERED_IO, DO_DIRECT_IO or 0) that completes at once
   or pends and completes from a DPC. Waits for the completion routine. */
VOID RollLessonSend(ROLL_SOURCE Source, UCHAR Major, ULONG IoFlags, BOOLEAN Pend, PROLL_LESSON_RESULT Result);
/* The private pool: three reads in flight at once (one per transfer
   type), a fourth refused, then three writes one after the other. */
VOID RollLessonPool(PROLL_POOL_RESULT Result);
/* Rule 1 broken (IoAllocateIrp IRP, routine does not return
   STATUS_MORE_PROCESSING_REQUIRED), under Catch. */
VOID RollLessonForgetMoreProcessing(PIRPSIM_BUGCHECK_CATCH Catch, PROLL_LESSON_RESULT Result);
/* Rule 2 broken (threaded IRP freed in the completion routine), under Catch;
   the IRP is then handed back to the I/O manager. */
VOID RollLessonFreeThreadedIrp(PIRPSIM_BUGCHECK_CATCH Catch, PROLL_LESSON_RESULT Result);

#endif
