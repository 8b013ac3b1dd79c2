/*
 * What the csq-timer driver and its application share: the two control
 * codes and the names. Both sides include it (the driver after <ntddk.h>,
 * the application after <winioctl.h>: both define CTL_CODE).
 */
#ifndef CSQTIMER_H
#define CSQTIMER_H

/* 0x222000 and 0x222004, as in the article. */
#define IOCTL_QUEUE   CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_PROCESS CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS)

#define CSQTIMER_REQUESTS 3
#define CSQTIMER_ERROR_CANCELLED 995UL /* ERROR_OPERATION_ABORTED, for the WDK side */

/* What the application saw, for whoever runs it (the demo, the tests). */
typedef struct _CSQTIMER_APP_RESULT {
    int Opened;                             /* CreateFile succeeded */
    int ProcessOk;                          /* IOCTL_PROCESS succeeded */
    unsigned long Error[CSQTIMER_REQUESTS]; /* per IOCTL_QUEUE request: 0 = success, else the Win32 error */
} CSQTIMER_APP_RESULT;

/* The article's application (app.c): returns 0 when it ran to the end.
   SleepMs is how long it lets the driver work before CancelIo: 1000 in
   the article. */
int CsqTimerApp(CSQTIMER_APP_RESULT *Result, unsigned long SleepMs);

/* The article's driver (driver_article.c) keeps one of its mistakes,
   chosen before it is loaded. */
#define ARTICLE_MISTAKE_COMPLETE_BEHIND_CSQ 1 /* the DPC completes IRPs the CSQ still owns */
#define ARTICLE_MISTAKE_RAW_SPIN_LOCK       2 /* CsqAcquireLock takes the lock "at DPC level" at PASSIVE_LEVEL */
#define ARTICLE_MISTAKE_PEEK_RETURNS_NULL   3 /* the DPC asks the CSQ, whose PeekNextIrp always says "none" */

#endif /* CSQTIMER_H */
