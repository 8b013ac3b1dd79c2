/*
 * A small WDK-style driver for the STATUS_PENDING / returned-status rules
 * (SEMANTICS.md 4): a filter device over a lower device. Each mode is one
 * dispatch behaviour, a buggy one or its correct counterpart.
 */
#ifndef PENDING_DRIVER_H
#define PENDING_DRIVER_H

#include <ntddk.h>

typedef enum _PENDING_MODE {
    PendCompleteSuccess = 0,   /* correct: complete, return the same status */
    PendWithoutMark,           /* 0x23D: return STATUS_PENDING, never IoMarkIrpPending */
    PendMarked,                /* correct: mark, hold, return STATUS_PENDING */
    PendMarkReturnSuccess,     /* 0x23E: mark, complete, return STATUS_SUCCESS */
    PendCompleteReturnOther,   /* 0x224: complete with SUCCESS, return STATUS_UNSUCCESSFUL */
    PendReturnWithoutComplete, /* 0x226: hold the IRP, return STATUS_SUCCESS */
    PendForwardReturnMinusOne, /* 0x225: pass down, return 0xFFFFFFFF */
    PendForward,               /* correct: pass down, return IoCallDriver's status */
} PENDING_MODE;

extern PENDING_MODE PendingFilterMode;   /* the filter's dispatch */
extern PENDING_MODE PendingLowerMode;    /* the lower device's dispatch */
extern BOOLEAN PendingRoutinePropagates; /* the filter's completion routine marks when PendingReturned */
extern BOOLEAN PendingFilterSetsRoutine; /* PendForward with a completion routine */
extern PIRP PendingHeldIrp;              /* the IRP a "hold" mode kept */
extern PDEVICE_OBJECT PendingFilter, PendingLower;

DRIVER_INITIALIZE PendingDriverEntry;

#endif
