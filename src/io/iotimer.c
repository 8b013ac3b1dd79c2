/*
 * irpsim — device timers: IoInitializeTimer, IoStartTimer, IoStopTimer
 * (SEMANTICS 9.7, last bullet).
 *
 * Windows calls every started IoTimer routine about once a second from one
 * system timer DPC. irpsim gives each device its own periodic KTIMER
 * (1000 ms) and KDPC, so the routine follows the simulated clock: under
 * the virtual clock it runs once per simulated second and never otherwise.
 * The routine runs at DISPATCH_LEVEL in a DPC, charged to the device's
 * driver. The IO_TIMER hangs off DeviceObject->Timer until IoDeleteDevice
 * frees it (IopDeleteDeviceTimer).
 *
 * Reports: a second IoInitializeTimer for a device, with the verifier on,
 * is bug check 0xC9/0x0A (P2 device); with it off the routine and context
 * are replaced, as on Windows. IoStartTimer / IoStopTimer on a device that
 * has no timer is bug check 0xA, the NULL dereference Windows makes at
 * DISPATCH_LEVEL (P1 address 0, P2 IRQL, P3 0 read, P4 the routine).
 */
#include "../ke/ki.h"
#include "../sim/simp.h"
#include "../verifier/vf.h"
#include "iop_timer.h"
#include "../trace/tracep.h"

#define IOP_TIMER_TAG              'rmTI'
#define IOP_TIMER_PERIOD_MS        1000
#define IOP_VF_TIMER_REINITIALIZED 0x0A

typedef struct _IO_TIMER {
    CSHORT Type; /* IO_TYPE_TIMER */
    CSHORT Size;
    volatile LONG Started;
    PIO_TIMER_ROUTINE TimerRoutine;
    PVOID Context;
    PDEVICE_OBJECT DeviceObject;
    KTIMER Timer;
    KDPC Dpc;
} IO_TIMER;

static VOID NTAPI IopTimerDpc(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1, PVOID SystemArgument2)
{
    PIO_TIMER IoTimer = (PIO_TIMER)DeferredContext;
    PKTHREAD Thread;
    PDRIVER_OBJECT Saved;
    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(SystemArgument1);
    UNREFERENCED_PARAMETER(SystemArgument2);

    /* A tick that was already queued when IoStopTimer ran is dropped. */
    if (!PAL_ATOMIC_LOAD(&IoTimer->Started, PAL_ORDER_ACQUIRE))
        return;
    Thread = KeGetCurrentThread();
    Saved = KiEnterDriver(Thread, IoTimer->DeviceObject->DriverObject);
    TRACE_EVENT(IrpSimTraceIoTimer, IoTimer->DeviceObject, IoTimer->TimerRoutine, IoTimer->Context, 0);
    IoTimer->TimerRoutine(IoTimer->DeviceObject, IoTimer->Context);
    KiLeaveDriver(Thread, Saved);
}

NTSTATUS NTAPI IoInitializeTimer(PDEVICE_OBJECT DeviceObject, PIO_TIMER_ROUTINE TimerRoutine, PVOID Context)
{
    PIO_TIMER IoTimer = DeviceObject->Timer;

    if (IoTimer != NULL) {
        if (IrpSimpConfig.Verifier)
            VfBugCheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IOP_VF_TIMER_REINITIALIZED, (ULONG_PTR)DeviceObject, 0, 0,
                       NULL,
                       "IoInitializeTimer was called for a device object that already has a timer (P2). A device "
                       "has one IoTimer routine, registered once.",
                       "Call IoInitializeTimer once per device (in DriverEntry or AddDevice), then use "
                       "IoStartTimer / IoStopTimer; keep per-tick choices in the device extension.");
        IoTimer->TimerRoutine = TimerRoutine;
        IoTimer->Context = Context;
        return STATUS_SUCCESS;
    }

    IoTimer = (PIO_TIMER)ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(IO_TIMER), IOP_TIMER_TAG);
    if (IoTimer == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    RtlZeroMemory(IoTimer, sizeof(*IoTimer));
    IoTimer->Type = IO_TYPE_TIMER;
    IoTimer->Size = (CSHORT)sizeof(IO_TIMER);
    IoTimer->TimerRoutine = TimerRoutine;
    IoTimer->Context = Context;
    IoTimer->DeviceObject = DeviceObject;
    KeInitializeTimerEx(&IoTimer->Timer, NotificationTimer);
    KeInitializeDpc(&IoTimer->Dpc, IopTimerDpc, IoTimer);
    DeviceObject->Timer = IoTimer;
    return STATUS_SUCCESS;
}

static PIO_TIMER IopDeviceTimer(PDEVICE_OBJECT DeviceObject, PVOID Routine)
{
    PIO_TIMER IoTimer = DeviceObject->Timer;
    if (IoTimer == NULL)
        VfBugCheck(IRQL_NOT_LESS_OR_EQUAL, 0, DISPATCH_LEVEL, 0, (ULONG_PTR)Routine, NULL,
                   "IoStartTimer or IoStopTimer was called for a device that has no timer: IoInitializeTimer was "
                   "never called for this device (or failed). Windows reads DeviceObject->Timer, a NULL pointer, "
                   "at DISPATCH_LEVEL and stops the machine.",
                   "Call IoInitializeTimer for the device, and check its status, before IoStartTimer.");
    return IoTimer;
}

VOID NTAPI IoStartTimer(PDEVICE_OBJECT DeviceObject)
{
    PIO_TIMER IoTimer = IopDeviceTimer(DeviceObject, (PVOID)IoStartTimer);
    LARGE_INTEGER DueTime;

    if (PAL_ATOMIC_EXCHANGE(&IoTimer->Started, 1, PAL_ORDER_ACQ_REL))
        return;
    DueTime.QuadPart = -(LONGLONG)IOP_TIMER_PERIOD_MS * 10000;
    (void)KeSetTimerEx(&IoTimer->Timer, DueTime, IOP_TIMER_PERIOD_MS, &IoTimer->Dpc);
}

VOID NTAPI IoStopTimer(PDEVICE_OBJECT DeviceObject)
{
    PIO_TIMER IoTimer = IopDeviceTimer(DeviceObject, (PVOID)IoStopTimer);

    if (!PAL_ATOMIC_EXCHANGE(&IoTimer->Started, 0, PAL_ORDER_ACQ_REL))
        return;
    (void)KeCancelTimer(&IoTimer->Timer);
}

VOID IopDeleteDeviceTimer(PDEVICE_OBJECT DeviceObject)
{
    PIO_TIMER IoTimer = DeviceObject->Timer;
    if (IoTimer == NULL)
        return;
    PAL_ATOMIC_STORE(&IoTimer->Started, 0, PAL_ORDER_RELEASE);
    (void)KeCancelTimer(&IoTimer->Timer);
    (void)KeRemoveQueueDpc(&IoTimer->Dpc);
    /* A tick may be running on a processor right now. */
    KeFlushQueuedDpcs();
    DeviceObject->Timer = NULL;
    ExFreePoolWithTag(IoTimer, IOP_TIMER_TAG);
}
