/*
 * Seed 000's driver as the article wrote it: its timer DPC takes IRPs off
 * the list behind the cancel-safe queue's back and completes them with the
 * CSQ's cancel routine still set, while the application cancels them
 * (CancelIo after Sleep(1000): here the kernel-mode equivalent, IoCancelIrp
 * on each request after a one-second delay).
 *
 * Windows behaviour relied on: completing an IRP that still has a cancel
 * routine is a Driver Verifier violation (0xC9, subcode 0x07); without the
 * verifier, an IoCancelIrp that finds that routine calls it for an IRP the
 * DPC has already taken — the CSQ unlinks an entry that is not in its list
 * and completes the IRP a second time (list corruption 0x139, 0x44, or a
 * freed IRP touched).
 *
 * The plain verifier catches the first completion in a free-running run;
 * exploration with the verifier off finds the cancel race itself.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "explore_drivers.h"
#include <irpsim/irpsim.h>
#include <irpsim/cmocka.h>
#include <irpsim/explore.h>

#define SEED000_REQUESTS 3

typedef struct _REQUEST {
    PIRP Irp;
    KEVENT Done;
    LONG Completions;
} REQUEST;

/* Outside an exploration (the plain verifier run) a failed check only
   makes the run return an error: the test expects a bug check first. */
#define SEED000_CHECK(Condition)                                                                        \
    do {                                                                                                \
        if (!(Condition)) {                                                                             \
            if (IrpSimExploreActive())                                                                  \
                IrpSimExploreFail("%s:%d: check failed: %s", __FILE__, __LINE__, #Condition);           \
            return STATUS_UNSUCCESSFUL;                                                                 \
        }                                                                                               \
    } while (0)

static NTSTATUS RequestCompletion(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    REQUEST *Request = (REQUEST *)Context;
    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Irp);
    InterlockedIncrement(&Request->Completions);
    KeSetEvent(&Request->Done, IO_NO_INCREMENT, FALSE);
    return STATUS_MORE_PROCESSING_REQUIRED; /* the application's side frees it */
}

static NTSTATUS SendProcess(PDEVICE_OBJECT Device)
{
    KEVENT Event;
    IO_STATUS_BLOCK IoStatus;
    NTSTATUS Status;
    PIRP Irp;

    KeInitializeEvent(&Event, NotificationEvent, FALSE);
    Irp = IoBuildDeviceIoControlRequest(SEED000_IOCTL_PROCESS, Device, NULL, 0, NULL, 0, FALSE, &Event, &IoStatus);
    if (Irp == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    Status = IoCallDriver(Device, Irp);
    if (Status == STATUS_PENDING) {
        KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, NULL);
        Status = IoStatus.Status;
    }
    return Status;
}

/* The article's application, in kernel mode. SleepMs is its Sleep(1000). */
static NTSTATUS Seed000Run(ULONG SleepMs)
{
    REQUEST Requests[SEED000_REQUESTS];
    LARGE_INTEGER Interval;
    PDRIVER_OBJECT Driver;
    NTSTATUS Status;

    memset(&Seed000, 0, sizeof(Seed000));
    Status = IrpSimLoadDriver(L"\\Driver\\MyDriver", Seed000DriverEntry, &Driver);
    SEED000_CHECK(NT_SUCCESS(Status));

    for (ULONG i = 0; i < SEED000_REQUESTS; i++) {
        PIO_STACK_LOCATION Next;
        REQUEST *Request = &Requests[i];
        Request->Completions = 0;
        KeInitializeEvent(&Request->Done, NotificationEvent, FALSE);
        Request->Irp = IoAllocateIrp(Seed000.Device->StackSize, FALSE);
        SEED000_CHECK(Request->Irp != NULL);
        Next = IoGetNextIrpStackLocation(Request->Irp);
        Next->MajorFunction = IRP_MJ_DEVICE_CONTROL;
        Next->Parameters.DeviceIoControl.IoControlCode = SEED000_IOCTL_QUEUE;
        IoSetCompletionRoutine(Request->Irp, RequestCompletion, Request, TRUE, TRUE, TRUE);
        Status = IoCallDriver(Seed000.Device, Request->Irp);
        SEED000_CHECK(Status == STATUS_PENDING);
    }
    SEED000_CHECK(NT_SUCCESS(SendProcess(Seed000.Device)));

    Interval.QuadPart = -10000LL * SleepMs;
    KeDelayExecutionThread(KernelMode, FALSE, &Interval);
    for (ULONG i = 0; i < SEED000_REQUESTS; i++)
        IoCancelIrp(Requests[i].Irp);
    for (ULONG i = 0; i < SEED000_REQUESTS; i++) {
        KeWaitForSingleObject(&Requests[i].Done, Executive, KernelMode, FALSE, NULL);
        SEED000_CHECK(Requests[i].Completions == 1);
    }
    /* The timer runs until its DPC finds the list empty. */
    Interval.QuadPart = -10000000LL;
    for (ULONG Tick = 0; Tick < 10 && !Seed000.TimerStopped; Tick++)
        KeDelayExecutionThread(KernelMode, FALSE, &Interval);
    SEED000_CHECK(Seed000.TimerStopped);
    for (ULONG i = 0; i < SEED000_REQUESTS; i++)
        IoFreeIrp(Requests[i].Irp);
    return STATUS_SUCCESS;
}

static NTSTATUS Seed000Body(PVOID Context)
{
    UNREFERENCED_PARAMETER(Context);
    return Seed000Run(1000);
}

static void test_seed000_race_found_by_exploration(void **state)
{
    IRPSIM_EXPLORE_OPTIONS Options;
    IRPSIM_CONFIG Config;
    static IRPSIM_EXPLORE_RESULT Found, Replayed;
    (void)state;

    /* Without the verifier: the race itself, not the first completion. */
    IrpSimDefaultConfig(&Config);
    Config.Verifier = FALSE;
    Config.QuietDebugPrint = TRUE;
    Config.WorkerThreadCount = 1;
    for (ULONG Strategy = IrpSimExploreRandom; Strategy <= IrpSimExploreExhaustive; Strategy++) {
        IrpSimExploreDefaultOptions(&Options);
        Options.Name = "seed000";
        Options.Strategy = (IRPSIM_EXPLORE_STRATEGY)Strategy;
        Options.Iterations = 1000;
        Options.PreemptionBound = 1;
        Options.Config = &Config;
        Options.Quiet = Strategy != IrpSimExploreRandom;
        irpsim_explore_assert_fails(&Options, Seed000Body, NULL, &Found);
        print_message("seed 000, strategy %lu: schedule %u failed: %s 0x%X (schedule %s)\n", (unsigned long)Strategy,
                      (unsigned)Found.FailingSchedule, IrpSimExploreOutcomeName(Found.Outcome),
                      (unsigned)Found.BugCheckCode, Found.Schedule);
        assert_int_equal(Found.Outcome, IrpSimExploreBugCheck);

        Options.Quiet = TRUE;
        Options.TraceReplay = FALSE;
        assert_int_equal(IrpSimExploreReplay(Found.Schedule, &Options, Seed000Body, NULL, &Replayed), STATUS_SUCCESS);
        assert_int_equal(Replayed.Outcome, Found.Outcome);
        assert_int_equal(Replayed.BugCheckCode, Found.BugCheckCode);
        assert_string_equal(Replayed.Schedule, Found.Schedule);
    }
}

static void test_seed000_caught_by_plain_verifier(void **state)
{
    IRPSIM_CONFIG Config;
    (void)state;

    /* Free-running, virtual time: the timer's first tick (1 s) comes
       before the application wakes up (1.5 s), so the DPC completes the
       first IRP with the CSQ's cancel routine still set. */
    IrpSimDefaultConfig(&Config);
    Config.ClockMode = IrpSimClockVirtual;
    Config.AutoAdvance = TRUE;
    Config.QuietDebugPrint = TRUE;
    assert_int_equal(IrpSimInitialize(&Config), STATUS_SUCCESS);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, (void)Seed000Run(1500));
    irpsim_assert_bugcheck_parameter(0, 0x07);
    IrpSimShutdown();
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test(test_seed000_race_found_by_exploration),
        cmocka_unit_test(test_seed000_caught_by_plain_verifier),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
