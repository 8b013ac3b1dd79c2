/*
 * csq_timer_demo: starts the simulated machine, loads the csq-timer driver
 * (or the article's version of it), and runs the application.
 *
 *   csq_timer_demo                  the corrected driver, real time
 *   csq_timer_demo --virtual        the same on the virtual clock (or IRPSIM_CLOCK=virtual)
 *   csq_timer_demo --article-bug    the article's driver: the DPC completes an IRP
 *                                   the CSQ still owns (Verifier 0xC9/0x07)
 *   csq_timer_demo --article-lock   the article's "at DPC level" lock at PASSIVE_LEVEL (0xC4/0x40)
 *   csq_timer_demo --article-peek   the article's PeekNextIrp, which never finds anything
 *   --sleep MS                      how long the application sleeps before CancelIo (1000)
 *
 * The application runs under a catch frame, so a bug check stops it and
 * prints irpsim's report instead of ending the process. Exit status 0 when
 * the run did what the lesson says it does.
 */
#include <ntddk.h>
#include <irpsim/irpsim.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csqtimer.h"

NTSTATUS NTAPI CsqTimerDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);
NTSTATUS NTAPI CsqArticleDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);
extern LONG ArticleMistake;

static IRPSIM_BUGCHECK_CATCH Catch;

/* The first bug check of the run, whichever thread raised it. With the
   article's driver the DPC's bug check stops the DPC's thread; the
   application's thread goes on until its next wait, and may run into the
   consequences first (its CancelIo then finds the list corrupted). The
   first one is the driver's real mistake. */
static volatile LONG FirstTaken;
static IRPSIM_BUGCHECK_INFO First;
static CHAR FirstReport[8192];

static VOID RecordFirstBugCheck(const IRPSIM_BUGCHECK_INFO *Info, PVOID Context)
{
    UNREFERENCED_PARAMETER(Context);
    if (InterlockedCompareExchange(&FirstTaken, 1, 0) != 0)
        return;
    First = *Info;
    snprintf(FirstReport, sizeof(FirstReport), "%s", Info->Report != NULL ? Info->Report : "");
    First.Report = FirstReport;
}

int main(int argc, char **argv)
{
    IRPSIM_CONFIG Config;
    CSQTIMER_APP_RESULT Result;
    PDRIVER_OBJECT Driver;
    /* volatile: they live across the catch frame's setjmp. */
    volatile LONG Mistake = 0;
    volatile int AppStatus = -1;
    int Expected = 1;
    volatile unsigned long SleepMs = 0;
    int i;

    IrpSimDefaultConfig(&Config);
    Config.QuietDebugPrint = TRUE;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--virtual") == 0)
            Config.ClockMode = IrpSimClockVirtual;
        else if (strcmp(argv[i], "--real") == 0)
            Config.ClockMode = IrpSimClockReal;
        else if (strcmp(argv[i], "--article-bug") == 0)
            Mistake = ARTICLE_MISTAKE_COMPLETE_BEHIND_CSQ;
        else if (strcmp(argv[i], "--article-lock") == 0)
            Mistake = ARTICLE_MISTAKE_RAW_SPIN_LOCK;
        else if (strcmp(argv[i], "--article-peek") == 0)
            Mistake = ARTICLE_MISTAKE_PEEK_RETURNS_NULL;
        else if (strcmp(argv[i], "--sleep") == 0 && i + 1 < argc)
            SleepMs = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--debug-print") == 0)
            Config.QuietDebugPrint = FALSE;
        else {
            fprintf(stderr,
                    "usage: %s [--virtual|--real] [--sleep MS] [--article-bug|--article-lock|--article-peek] [--debug-print]\n",
                    argv[0]);
            return 2;
        }
    }
    /* The article sleeps 1000 ms, the same instant as the first tick: a
       tie (see README.md), which only the virtual clock settles every time.
       The article's completion bug needs the tick to come well before the
       application's CancelIo, so that mode waits 1500 ms, on the virtual
       clock. */
    if (Mistake == ARTICLE_MISTAKE_COMPLETE_BEHIND_CSQ) {
        Config.ClockMode = IrpSimClockVirtual;
        if (SleepMs == 0)
            SleepMs = 1500;
    }
    if (SleepMs == 0)
        SleepMs = 1000;

    if (!NT_SUCCESS(IrpSimInitialize(&Config)))
        return 1;
    printf("csq-timer on the %s clock, %s\n\n", IrpSimGetClockMode() == IrpSimClockVirtual ? "virtual" : "real",
           Mistake == 0 ? "the corrected driver" : "the article's driver");
    if (Mistake != 0) {
        ArticleMistake = Mistake;
        IrpSimLoadDriver(L"\\Driver\\MyDriver", CsqArticleDriverEntry, &Driver);
    } else {
        IrpSimLoadDriver(L"\\Driver\\MyDriver", CsqTimerDriverEntry, &Driver);
    }

    IrpSimSetBugCheckHandler(RecordFirstBugCheck, NULL);
    IRPSIM_CATCH_BUGCHECK(Catch, AppStatus = CsqTimerApp(&Result, SleepMs));
    IrpSimSetBugCheckHandler(NULL, NULL);

    if (Catch.Caught) {
        printf("\nirpsim stopped the driver: bug check 0x%X (%s), parameters 0x%llX 0x%llX 0x%llX 0x%llX\n",
               (unsigned)First.Code, First.Name, (unsigned long long)First.Parameter[0],
               (unsigned long long)First.Parameter[1], (unsigned long long)First.Parameter[2],
               (unsigned long long)First.Parameter[3]);
        printf("%s\n", First.Report);
        if (Catch.Info.Code != First.Code)
            printf("(Before it stopped, the application went on into CancelIo and hit the consequence:\n"
                   " bug check 0x%X %s.)\n", (unsigned)Catch.Info.Code, Catch.Info.Name);
        Expected = (Mistake == ARTICLE_MISTAKE_COMPLETE_BEHIND_CSQ && First.Code == 0xC9 &&
                    First.Parameter[0] == 0x07) ||
                   (Mistake == ARTICLE_MISTAKE_RAW_SPIN_LOCK && First.Code == 0xC4 && First.Parameter[0] == 0x40);
    } else if (Mistake == ARTICLE_MISTAKE_PEEK_RETURNS_NULL) {
        printf("\nThe timer's first tick asked the CSQ for an IRP; PeekNextIrp said there was none,\n"
               "so the DPC cancelled the timer and every request waited for CancelIo.\n");
        Expected = AppStatus == 0;
        for (i = 0; i < CSQTIMER_REQUESTS; i++)
            Expected = Expected && Result.Error[i] == CSQTIMER_ERROR_CANCELLED;
    } else {
        Expected = AppStatus == 0 && Mistake == 0;
    }
    if (Mistake == ARTICLE_MISTAKE_COMPLETE_BEHIND_CSQ)
        printf("(The article also found the IRP by subtracting 88 from its list entry: the offset of\n"
               " Tail.Overlay.ListEntry in a 32-bit IRP. In this build it is %u: use CONTAINING_RECORD.)\n",
               (unsigned)FIELD_OFFSET(IRP, Tail.Overlay.ListEntry));

    if (Catch.Caught)
        printf("\n(The machine stopped in the middle of the run: the shutdown's leak report on stderr\n"
               " lists the requests the stopped driver still held.)\n");
    fflush(stdout);
    IrpSimShutdown();
    if (!Catch.Caught && IrpSimGetShutdownLeakCount() != 0)
        Expected = 0;
    return Expected ? 0 : 1;
}
