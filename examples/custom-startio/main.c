/*
 * custom_startio_demo: starts the simulated machine (virtual clock unless
 * --real: ten reads of 3 s each take 30 simulated seconds and no real
 * ones), loads the custom-startio driver and runs the article's two
 * experiments.
 *
 *   custom_startio_demo                     the corrected driver: 3 sequential reads, 10 concurrent + a write
 *   custom_startio_demo --article-no-delay  completes inside the dispatch routine, returns STATUS_PENDING
 *   custom_startio_demo --article-wait      waits 3 s at DISPATCH_LEVEL (0xC4/0x122)
 *   custom_startio_demo --article-init      InitializeListHead only (0xC4/0x1002)
 */
#include <ntddk.h>
#include <irpsim/irpsim.h>
#include <stdio.h>
#include <string.h>

#include "startio.h"

NTSTATUS NTAPI StartIoDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);
extern LONG StartIoMode;

static IRPSIM_BUGCHECK_CATCH Catch;

static void Report(void)
{
    printf("\nirpsim stopped the driver: bug check 0x%X (%s), parameters 0x%llX 0x%llX 0x%llX 0x%llX\n%s\n",
           (unsigned)Catch.Info.Code, Catch.Info.Name, (unsigned long long)Catch.Info.Parameter[0],
           (unsigned long long)Catch.Info.Parameter[1], (unsigned long long)Catch.Info.Parameter[2],
           (unsigned long long)Catch.Info.Parameter[3], Catch.Info.Report);
}

int main(int argc, char **argv)
{
    IRPSIM_CONFIG Config;
    STARTIO_APP_RESULT Sequential, Concurrent;
    PDRIVER_OBJECT Driver;
    LONGLONG Start;
    int Ok = 1, i;

    IrpSimDefaultConfig(&Config);
    Config.ClockMode = IrpSimClockVirtual;
    Config.QuietDebugPrint = TRUE;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--real") == 0)
            Config.ClockMode = IrpSimClockReal;
        else if (strcmp(argv[i], "--article-no-delay") == 0)
            StartIoMode = STARTIO_ARTICLE_NO_DELAY;
        else if (strcmp(argv[i], "--article-wait") == 0)
            StartIoMode = STARTIO_ARTICLE_WAIT;
        else if (strcmp(argv[i], "--article-init") == 0)
            StartIoMode = STARTIO_ARTICLE_INIT;
        else {
            fprintf(stderr, "usage: %s [--real] [--article-no-delay|--article-wait|--article-init]\n", argv[0]);
            return 2;
        }
    }
    if (!NT_SUCCESS(IrpSimInitialize(&Config)))
        return 1;
    IrpSimLoadDriver(L"\\Driver\\CustomStartIo", StartIoDriverEntry, &Driver);
    printf("custom-startio on the %s clock\n", IrpSimGetClockMode() == IrpSimClockVirtual ? "virtual" : "real");

    printf("\nExperiment 1: three reads, one after the other\n");
    Start = (LONGLONG)KeQueryInterruptTime();
    IRPSIM_CATCH_BUGCHECK(Catch, StartIoSequentialReads(&Sequential, 3));
    if (Catch.Caught) {
        Report();
        Ok = (StartIoMode == STARTIO_ARTICLE_WAIT && Catch.Info.Code == 0xC4 && Catch.Info.Parameter[0] == 0x122) ||
             (StartIoMode == STARTIO_ARTICLE_INIT && Catch.Info.Code == 0xC4 && Catch.Info.Parameter[0] == 0x1002);
    } else {
        printf("(%.3f simulated seconds)\n", (double)((LONGLONG)KeQueryInterruptTime() - Start) / 1e7);
        printf("\nExperiment 2: ten reads at once, then a write\n");
        Start = (LONGLONG)KeQueryInterruptTime();
        IRPSIM_CATCH_BUGCHECK(Catch, StartIoConcurrentReads(&Concurrent, 10));
        printf("(%.3f simulated seconds)\n", (double)((LONGLONG)KeQueryInterruptTime() - Start) / 1e7);
        Ok = !Catch.Caught && StartIoMode != STARTIO_ARTICLE_WAIT && StartIoMode != STARTIO_ARTICLE_INIT &&
             Sequential.ReadsOk == 3 && Concurrent.ReadsOk == 10 && Concurrent.WriteOk;
    }
    fflush(stdout);
    IrpSimShutdown();
    if (!Catch.Caught && IrpSimGetShutdownLeakCount() != 0)
        Ok = 0;
    return Ok ? 0 : 1;
}
