/*
 * irpsim — the simulated machine: configuration, start-up and shutdown.
 */
#include "simp.h"
#include "../ke/ki.h"
#include "../io/iop.h"
#include "../ob/obp.h"
#include "../trace/tracep.h"
#include "../verifier/vf.h"

#include <stdlib.h>
#include <string.h>

IRPSIM_CONFIG IrpSimpConfig;
static volatile LONG IrpSimpInitialized;
static ULONG IrpSimpLastLeakCount;

/* The catch frame behind irpsim_assert_bugcheck (include/irpsim/cmocka.h). */
IRPSIM_THREAD_LOCAL IRPSIM_BUGCHECK_CATCH irpsim_last_bugcheck;

VOID IrpSimDefaultConfig(PIRPSIM_CONFIG Config)
{
    memset(Config, 0, sizeof(*Config));
    Config->Size = sizeof(*Config);
    Config->ProcessorCount = 2;
    Config->ClockMode = IrpSimClockReal;
    Config->AutoAdvance = TRUE;
    Config->Verifier = TRUE;
    Config->BreakOnDbgBreakPoint = FALSE;
    Config->QuietDebugPrint = FALSE;
    Config->WorkerThreadCount = 2;
}

VOID IrpSimQueryConfig(PIRPSIM_CONFIG Config)
{
    *Config = IrpSimpConfig;
}

/* Environment variables override the configuration without recompiling. */
static VOID IrpSimpApplyEnvironment(PIRPSIM_CONFIG Config)
{
    const char *Value;

    Value = PalGetEnvironment("IRPSIM_CLOCK");
    if (Value != NULL) {
        if (strcmp(Value, "virtual") == 0)
            Config->ClockMode = IrpSimClockVirtual;
        else if (strcmp(Value, "real") == 0)
            Config->ClockMode = IrpSimClockReal;
    }
    /* IRPSIM_VERIFIER (0, 1 or a list of rule classes) is read by VfInitialize. */
    Value = PalGetEnvironment("IRPSIM_PROCESSORS");
    if (Value != NULL) {
        long Count = strtol(Value, NULL, 10);
        if (Count >= 1 && Count <= MAXIMUM_PROCESSORS)
            Config->ProcessorCount = (ULONG)Count;
    }
    Value = PalGetEnvironment("IRPSIM_QUIET");
    if (Value != NULL)
        Config->QuietDebugPrint = strcmp(Value, "0") != 0;
}

NTSTATUS IrpSimInitialize(const IRPSIM_CONFIG *Config)
{
    NTSTATUS Status;
    IRPSIM_CONFIG Effective;

    if (PAL_ATOMIC_LOAD(&IrpSimpInitialized, PAL_ORDER_SEQ_CST))
        return STATUS_INVALID_DEVICE_STATE;
    IrpSimDefaultConfig(&Effective);
    if (Config != NULL) {
        SIZE_T Size = Config->Size != 0 && Config->Size < sizeof(Effective) ? Config->Size : sizeof(Effective);
        memcpy(&Effective, Config, Size);
        Effective.Size = sizeof(Effective);
        if (Effective.ProcessorCount == 0)
            Effective.ProcessorCount = 2;
        if (Effective.WorkerThreadCount == 0)
            Effective.WorkerThreadCount = 2;
    }
    if (Effective.ProcessorCount > MAXIMUM_PROCESSORS)
        return STATUS_INVALID_PARAMETER;
    IrpSimpApplyEnvironment(&Effective);
    VfInitialize(&Effective); /* verifier settings and environment, before anything can report */
    IrpSimpConfig = Effective;

    TraceInitialize();
    Status = ExpInitializePool();
    if (!NT_SUCCESS(Status))
        return Status;
    ObpInitializeSystem();
    Status = KiInitializeSystem(&IrpSimpConfig);
    if (!NT_SUCCESS(Status))
        goto FailKe;
    Status = ExpInitializeWorkers(&IrpSimpConfig);
    if (!NT_SUCCESS(Status))
        goto FailWorkers;
    Status = IopInitializeSystem(&IrpSimpConfig);
    if (!NT_SUCCESS(Status))
        goto FailIo;
    PAL_ATOMIC_STORE(&IrpSimpInitialized, 1, PAL_ORDER_SEQ_CST);
    return STATUS_SUCCESS;

FailIo:
    ExpShutdownWorkers();
FailWorkers:
    KiShutdownSystem();
FailKe:
    ObpShutdownSystem();
    ExpShutdownPool();
    TraceShutdown();
    return Status;
}

BOOLEAN IrpSimIsInitialized(VOID)
{
    return PAL_ATOMIC_LOAD(&IrpSimpInitialized, PAL_ORDER_SEQ_CST) != 0;
}

ULONG IrpSimGetShutdownLeakCount(VOID)
{
    return IrpSimpLastLeakCount;
}

/* Unloads every driver that can be unloaded, as stopping its service would. */
typedef struct _IRPSIMP_DRIVER_LIST {
    PDRIVER_OBJECT Drivers[256];
    ULONG Count;
} IRPSIMP_DRIVER_LIST;

/* Collects the drivers still loaded (not yet unloaded), each referenced so
   that unloading one cannot free another that is still in the list. */
static VOID IrpSimpCollectDriver(PVOID Object, PVOID Context)
{
    IRPSIMP_DRIVER_LIST *List = (IRPSIMP_DRIVER_LIST *)Context;
    PDRIVER_OBJECT Driver = (PDRIVER_OBJECT)Object;
    if ((Driver->Flags & DRVO_UNLOAD_INVOKED) == 0 && List->Count < RTL_NUMBER_OF(List->Drivers) &&
        ObpGetPointerCount(Driver) > 0) {
        /* The ob lock is held here: take the reference without calling back in. */
        PAL_ATOMIC_ADD_FETCH(&OBJECT_TO_OBJECT_HEADER(Driver)->PointerCount, 1, PAL_ORDER_SEQ_CST);
        List->Drivers[List->Count++] = Driver;
    }
}

static VOID IrpSimpCollectDrivers(IRPSIMP_DRIVER_LIST *List)
{
    List->Count = 0;
    ObpEnumerateObjects(&ObpDriverObjectType, IrpSimpCollectDriver, List);
}

static VOID IrpSimpReleaseDrivers(IRPSIMP_DRIVER_LIST *List)
{
    for (ULONG i = 0; i < List->Count; i++)
        ObDereferenceObject(List->Drivers[i]);
    List->Count = 0;
}

/* Unloads every driver that has an unload routine; returns the leaks the
   unloads reported. */
static ULONG IrpSimpUnloadRemainingDrivers(VOID)
{
    IRPSIMP_DRIVER_LIST List;
    ULONG Leaks = 0;
    IrpSimpCollectDrivers(&List);
    for (ULONG i = 0; i < List.Count; i++) {
        if (List.Drivers[i]->DriverUnload == NULL)
            continue;
        IrpSimpLastLeakCount = 0;
        (void)IrpSimUnloadDriver(List.Drivers[i]);
        Leaks += IrpSimpLastLeakCount;
    }
    IrpSimpReleaseDrivers(&List);
    return Leaks;
}

static ULONG IrpSimpReportAll(PDRIVER_OBJECT Driver, FILE *Stream)
{
    ULONG Leaks = 0;
    Leaks += IopReportIrpLeaks(Driver, Stream);
    Leaks += MiReportMdlLeaks(Driver, Stream);
    Leaks += ExpReportPoolLeaks(Driver, Stream);
    Leaks += IopReportDeviceLeaks(Driver, Stream);
    return Leaks;
}

VOID IrpSimShutdown(VOID)
{
    ULONG Leaks;

    if (!IrpSimIsInitialized())
        return;
    /* A bug check caught on this thread may have left it at raised IRQL;
       shutdown runs as process exit does, at PASSIVE_LEVEL. */
    KiResetThreadAfterBugCheck(KiGetCurrentThread(), PASSIVE_LEVEL);

    ObpCloseAllHandles();
    VfSetShutdownPhase(TRUE); /* what unloading leaves is reported, not raised */
    Leaks = IrpSimpUnloadRemainingDrivers();
    {
        /* What drivers without an unload routine still hold is not a leak:
           on Windows it stays until reboot. Everything else is. */
        IRPSIMP_DRIVER_LIST Remaining;
        ULONG Retained = 0;
        ULONG Total = IrpSimpReportAll(NULL, NULL);
        IrpSimpCollectDrivers(&Remaining);
        for (ULONG i = 0; i < Remaining.Count; i++)
            Retained += IrpSimpReportAll(Remaining.Drivers[i], NULL);
        if (Total > Retained) {
            fprintf(stderr, "irpsim: left behind at shutdown:\n");
            (void)IrpSimpReportAll(NULL, stderr);
            if (Remaining.Count != 0) {
                fprintf(stderr, "  (drivers still loaded, which have no unload routine:\n");
                (void)IopReportDriverLeaks(stderr);
                fprintf(stderr, "   what they hold is not counted as leaked)\n");
            }
            Leaks += Total - Retained;
        }
        /* Timers and DPCs still active, verifier reports, injected failures. */
        Leaks += VfWriteShutdownSummary(stderr, Remaining.Drivers, Remaining.Count);
        IrpSimpReleaseDrivers(&Remaining);
    }
    IrpSimpLastLeakCount = Leaks;

    PAL_ATOMIC_STORE(&IrpSimpInitialized, 0, PAL_ORDER_SEQ_CST);
    VfShutdown(); /* teardown frees what is left without checking it */
    IopShutdownSystem();
    ExpShutdownWorkers();
    KiShutdownSystem();
    ObpShutdownSystem();
    MiShutdownSystem();
    IopShutdownIrpLookaside();
    ExpShutdownPool();
    TraceShutdown();
}

VOID IrpSimQueryOutstanding(PDRIVER_OBJECT DriverObject, IRPSIM_LEAK_SUMMARY *Summary)
{
    memset(Summary, 0, sizeof(*Summary));
    ExpQueryPoolUsage(DriverObject, &Summary->PoolBlocks, &Summary->PoolBytes);
    Summary->Irps = IopReportIrpLeaks(DriverObject, NULL);
    Summary->Mdls = MiReportMdlLeaks(DriverObject, NULL);
    Summary->Devices = IopReportDeviceLeaks(DriverObject, NULL);
    Summary->Drivers = DriverObject != NULL ? 0 : IopReportDriverLeaks(NULL);
}

ULONG IrpSimReportLeaks(PDRIVER_OBJECT DriverObject, FILE *Stream)
{
    ULONG Leaks = IrpSimpReportAll(DriverObject, Stream);
    IrpSimpLastLeakCount = Leaks;
    return Leaks;
}

VOID IrpSimpSetLeakCount(ULONG Leaks)
{
    IrpSimpLastLeakCount = Leaks;
}
