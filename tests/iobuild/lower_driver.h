/*
 * A lower test device whose behaviour the test chooses: complete at once
 * (with any status), pend and complete later from a timer DPC, or pend with
 * a cancel routine and complete only when cancelled or told to. It moves
 * data as a real device would (reads the request's data buffer, fills the
 * output buffer with a pattern) and records what it saw of the last IRP.
 * Used by the IoBuild* tests, the seed 002 tests and the thread-exit tests.
 */
#ifndef LOWER_DRIVER_H
#define LOWER_DRIVER_H

#include <ntddk.h>

typedef enum _LOWER_ACTION {
    LowerComplete = 0,   /* complete in the dispatch routine, return the status */
    LowerPendTimer,      /* IoMarkIrpPending; a timer's DPC completes it Delay later */
    LowerPendCancelable, /* IoMarkIrpPending with a cancel routine; held until cancelled or LowerCompleteHeld */
} LOWER_ACTION;

typedef enum _LOWER_ON_CANCEL {
    LowerCancelCompleteNow = 0, /* the cancel routine completes it with STATUS_CANCELLED */
    LowerCancelCompleteLater,   /* the cancel routine arms the timer; its DPC completes it with STATUS_CANCELLED */
    LowerCancelIgnore,          /* the cancel routine only counts: the IRP stays held */
} LOWER_ON_CANCEL;

/* Information = the number of bytes the device moved. */
#define LOWER_INFORMATION_TRANSFER ((ULONG_PTR)-1)

typedef struct _LOWER_CONFIG {
    LOWER_ACTION Action;
    LOWER_ON_CANCEL OnCancel;
    NTSTATUS Status;       /* the status it completes with */
    ULONG_PTR Information; /* IoStatus.Information (LOWER_INFORMATION_TRANSFER by default) */
    UCHAR Fill;            /* the byte it writes into output buffers */
    LONGLONG Delay;        /* timer delay, 100 ns units */
} LOWER_CONFIG;

/* What the dispatch routine saw of the last IRP. */
typedef struct _LOWER_SEEN {
    PIRP Irp;
    UCHAR Major;
    ULONG IoControlCode;
    ULONG InputLength;
    ULONG OutputLength;
    ULONG Length;
    LARGE_INTEGER ByteOffset;
    ULONG Flags;
    PVOID SystemBuffer;
    PMDL Mdl;
    CSHORT MdlFlags;
    PVOID MdlVa;
    ULONG MdlByteCount;
    PVOID UserBuffer;
    PVOID Type3InputBuffer;
    KPROCESSOR_MODE RequestorMode;
    PETHREAD Thread;
    BOOLEAN OnThreadList;
    PKEVENT UserEvent;
    PIO_STATUS_BLOCK UserIosb;
    PFILE_OBJECT FileObject;
    CHAR StackCount;
    CHAR CurrentLocation;
    UCHAR Data[512];    /* what the device read: input / write data */
    ULONG DataLength;
    UCHAR MdlData[512]; /* METHOD_IN_DIRECT: the buffer the device reads through the MDL */
    ULONG MdlDataLength;
} LOWER_SEEN;

typedef struct _LOWER_EXTENSION {
    LOWER_CONFIG Config;
    LOWER_SEEN Seen;
    KSPIN_LOCK Lock;
    PIRP Held;            /* LowerPendCancelable: the IRP it holds */
    BOOLEAN HeldCancelable; /* its cancel routine may still be set */
    PIRP ToComplete;      /* what the DPC completes */
    NTSTATUS ToCompleteStatus;
    KTIMER Timer;
    KDPC Dpc;
    KEVENT Completed;        /* synchronization event: set after each completion by the device */
    KEVENT CancelRoutineRan; /* synchronization event: set by the cancel routine */
    volatile LONG Dispatches;
    volatile LONG Completions;
    volatile LONG CancelRoutineRuns;
} LOWER_EXTENSION, *PLOWER_EXTENSION;

#define LowerExtension(Device) ((PLOWER_EXTENSION)(Device)->DeviceExtension)

DRIVER_INITIALIZE LowerDriverEntry;

/* Loads the driver as \Driver\Lower. */
PDRIVER_OBJECT LowerLoad(VOID);
/* A device with IoFlags (DO_BUFFERED_IO, DO_DIRECT_IO or 0) and the given
   configuration; StackSize is 1. */
PDEVICE_OBJECT LowerCreateDevice(PDRIVER_OBJECT Driver, ULONG IoFlags, const LOWER_CONFIG *Config);
/* The default configuration: complete at once with STATUS_SUCCESS,
   Information = bytes moved, fill 0xA5, delay 10 ms. */
VOID LowerDefaultConfig(LOWER_CONFIG *Config);
/* Completes the held IRP with Status from the device's DPC, as hardware
   would, and waits until that IoCompleteRequest has returned. FALSE if no
   IRP is held or its cancel routine owns it. PASSIVE_LEVEL. */
BOOLEAN LowerCompleteHeld(PDEVICE_OBJECT Device, NTSTATUS Status);

#endif
