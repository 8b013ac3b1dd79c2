/*
 * What the custom-startio driver and its application share. Both sides
 * include it (the driver after <ntddk.h>, the application after <windows.h>).
 */
#ifndef STARTIO_H
#define STARTIO_H

/* How the driver handles reads (chosen before it is loaded). */
#define STARTIO_CORRECTED         0 /* the 3 s "device delay" is a timer + DPC: nothing waits */
#define STARTIO_ARTICLE_WAIT      1 /* the article: KeWaitForSingleObject(3 s) at DISPATCH_LEVEL */
#define STARTIO_ARTICLE_INIT      2 /* the article: InitializeListHead instead of KeInitializeDeviceQueue */
#define STARTIO_ARTICLE_NO_DELAY  3 /* the article's loop without the wait: completes inside the dispatch
                                       routine, then returns STATUS_PENDING */

typedef struct _STARTIO_APP_RESULT {
    int Opened;
    unsigned long ReadsOk;   /* reads that completed with success */
    unsigned long ReadsSent;
    int WriteOk;             /* the write (concurrent experiment) succeeded */
    int WriteBeforeReads;    /* ... and had completed while every read was still pending */
} STARTIO_APP_RESULT;

/* Experiment 1: Count reads one after the other, each waited for. */
int StartIoSequentialReads(STARTIO_APP_RESULT *Result, unsigned long Count);
/* Experiment 2: Count overlapped reads at once (at most 16), then a write. */
int StartIoConcurrentReads(STARTIO_APP_RESULT *Result, unsigned long Count);

#endif /* STARTIO_H */
