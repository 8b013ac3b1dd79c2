/*
 * Shared helpers of the IoBuild*, seed 002 and thread-exit tests.
 */
#ifndef IOBUILD_TEST_H
#define IOBUILD_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "lower_driver.h"
#include "io/iop.h" /* white box: threaded IRP lists, the IRP state table */
#include <irpsim/cmocka.h>
#include <irpsim/memory.h>
#include <irpsim/trace.h>

#define IOSB_UNTOUCHED ((NTSTATUS)0x12345678)

#define IOCTL_TEST_BUFFERED CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_TEST_IN_DIRECT CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_IN_DIRECT, FILE_ANY_ACCESS)
#define IOCTL_TEST_OUT_DIRECT CTL_CODE(FILE_DEVICE_UNKNOWN, 0x802, METHOD_OUT_DIRECT, FILE_ANY_ACCESS)
#define IOCTL_TEST_NEITHER CTL_CODE(FILE_DEVICE_UNKNOWN, 0x803, METHOD_NEITHER, FILE_ANY_ACCESS)

/* The pool tag of the system buffers the builders allocate ("IoSB"). */
#define IOBUILD_SYSTEM_BUFFER_TAG 'BSoI'

/* Bug check codes iop.h names for irpsim's own use. */
#define PAGE_FAULT_IN_FREED_SPECIAL_POOL_CODE 0xCC

/* Starts the machine with the verifier on or off and the clock chosen. */
static inline int IoBuildStart(BOOLEAN Verifier, IRPSIM_CLOCK_MODE Clock, BOOLEAN AutoAdvance)
{
    IRPSIM_CONFIG Config;
    IrpSimDefaultConfig(&Config);
    Config.Verifier = Verifier;
    Config.ClockMode = Clock;
    Config.AutoAdvance = AutoAdvance;
    Config.QuietDebugPrint = TRUE;
    return IrpSimInitialize(&Config) == STATUS_SUCCESS ? 0 : -1;
}

/* Stops the machine; a test that left anything behind fails here. */
static inline int IoBuildStop(void)
{
    IrpSimShutdown();
    return IrpSimGetShutdownLeakCount() == 0 ? 0 : -1;
}

/* The environment can override the configuration (IRPSIM_VERIFIER,
   IRPSIM_CLOCK): a test that needs a setting skips without it. */
static inline BOOLEAN IoBuildVerifierIs(BOOLEAN Wanted)
{
    IRPSIM_CONFIG Config;
    IrpSimQueryConfig(&Config);
    return Config.Verifier == Wanted;
}

static inline BOOLEAN IoBuildVirtualClock(void)
{
    IRPSIM_CONFIG Config;
    IrpSimQueryConfig(&Config);
    return IrpSimGetClockMode() == IrpSimClockVirtual && Config.AutoAdvance;
}

/* Nothing the builders or the I/O manager allocated is left. */
#define assert_nothing_outstanding()                                            \
    do {                                                                        \
        IRPSIM_LEAK_SUMMARY Summary_;                                           \
        IRPSIM_POOL_TAG_USAGE Usage_;                                           \
        IrpSimQueryOutstanding(NULL, &Summary_);                                \
        assert_int_equal(Summary_.Irps, 0);                                     \
        assert_int_equal(Summary_.Mdls, 0);                                     \
        IrpSimQueryPoolTag(IOBUILD_SYSTEM_BUFFER_TAG, &Usage_);                 \
        assert_int_equal(Usage_.Allocations, 0);                                \
    } while (0)

static inline IRPSIM_IRP_ORIGIN IoBuildOrigin(PIRP Irp)
{
    VF_IRP_ENTRY Entry;
    return VfIrpQuery(Irp, &Entry) ? Entry.Origin : IrpSimIrpOriginUnknown;
}

static inline BOOLEAN IoBuildOnThreadList(PIRP Irp, PETHREAD Thread)
{
    PKTHREAD Tcb = KiThreadFromEThread(Thread);
    BOOLEAN Found = FALSE;
    PalMutexLock(&Tcb->IrpListLock);
    for (PLIST_ENTRY Link = Tcb->IrpList.Flink; Link != &Tcb->IrpList; Link = Link->Flink) {
        if (Link == &Irp->ThreadListEntry)
            Found = TRUE;
    }
    PalMutexUnlock(&Tcb->IrpListLock);
    return Found;
}

#endif
