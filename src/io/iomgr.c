/*
 * irpsim — the I/O manager's start-up and shutdown.
 */
#include "iop.h"
#include "../sim/simp.h"

PAL_MUTEX IopDatabaseLock = PAL_MUTEX_INITIALIZER;

NTSTATUS IopInitializeSystem(const IRPSIM_CONFIG *Config)
{
    UNREFERENCED_PARAMETER(Config);
    KeInitializeSpinLock(&IopCancelSpinLock);
    VfIrpInitialize();
    IopInitializeDeviceType();
    IopInitializeFileType();
    IopInitializeDrivers();
    IopSetUserCompletionHook(NULL);
    IopSetThreadIoCancelLimits(1000000, 3000);
    return STATUS_SUCCESS;
}

VOID IopShutdownSystem(VOID)
{
    /* The leak report has been written: drop what is left. */
    IopDeleteAllDevices();
    IopShutdownDrivers();
    VfIrpShutdown();
}
