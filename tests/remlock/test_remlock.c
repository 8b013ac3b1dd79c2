/*
 * Remove locks (IoInitializeRemoveLock, IoAcquireRemoveLock,
 * IoReleaseRemoveLock, IoReleaseRemoveLockAndWait; WDK reference and
 * "Using Remove Locks"):
 *   - the lock counts acquisitions over a bias of one; acquire fails with
 *     STATUS_DELETE_PENDING once IoReleaseRemoveLockAndWait has started;
 *   - IoReleaseRemoveLockAndWait releases the caller's acquisition and
 *     returns only when every other acquisition has been released;
 *   - the checked-build tag tracking (on in irpsim while the verifier is
 *     on) stops at the misuses a checked build asserts on: releasing a tag
 *     that is not held, more releases than acquisitions, too many holders
 *     (HighWatermark), an acquisition held longer than MaxLockedMinutes
 *     (which turns a removal that would hang forever into a report).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "remlock_driver.h"
#include <irpsim/cmocka.h>
#include <irpsim/trace.h>

static PDRIVER_OBJECT Driver;

static int Start(BOOLEAN Verifier)
{
    IRPSIM_CONFIG Config;
    IrpSimDefaultConfig(&Config);
    Config.Verifier = Verifier;
    Config.ClockMode = IrpSimClockVirtual;
    Config.AutoAdvance = TRUE;
    Config.QuietDebugPrint = TRUE;
    if (IrpSimInitialize(&Config) != STATUS_SUCCESS)
        return -1;
    Driver = RemlockLoad();
    return Driver != NULL ? 0 : -1;
}

static int SetupVerifier(void **State)
{
    (void)State;
    IrpSimTraceEnable(IRPSIM_TRACE_MEMORY, NULL);
    return Start(TRUE);
}

static int SetupNoVerifier(void **State)
{
    (void)State;
    return Start(FALSE);
}

static int Teardown(void **State)
{
    (void)State;
    IrpSimShutdown();
    IrpSimTraceEnable(0, NULL);
    return IrpSimGetShutdownLeakCount() == 0 ? 0 : -1;
}

static BOOLEAN Tracking(void)
{
    IRPSIM_CONFIG Config;
    IrpSimQueryConfig(&Config);
    return Config.Verifier && IrpSimGetClockMode() == IrpSimClockVirtual && Config.AutoAdvance;
}

static ULONG Records(void)
{
    IRPSIM_POOL_TAG_USAGE Usage;
    IrpSimQueryPoolTag(REMLOCK_TAG, &Usage);
    return Usage.Allocations;
}

#define TAG(n) ((PVOID)(ULONG_PTR)(0x1000 + (n)))

/* IoInitializeRemoveLock: not removed, count at its bias, event clear;
   acquisitions add to the count and releases take away. */
static void TestAcquireRelease(void **State)
{
    IO_REMOVE_LOCK Lock;
    (void)State;
    IoInitializeRemoveLock(&Lock, REMLOCK_TAG, 0, 0);
    assert_false(Lock.Common.Removed);
    assert_int_equal(Lock.Common.IoCount, 1);
    assert_int_equal(KeReadStateEvent(&Lock.Common.RemoveEvent), 0);

    assert_int_equal(IoAcquireRemoveLock(&Lock, TAG(1)), STATUS_SUCCESS);
    assert_int_equal(IoAcquireRemoveLock(&Lock, TAG(2)), STATUS_SUCCESS);
    assert_int_equal(IoAcquireRemoveLock(&Lock, TAG(1)), STATUS_SUCCESS); /* a tag may hold it twice */
    assert_int_equal(Lock.Common.IoCount, 4);
    IoReleaseRemoveLock(&Lock, TAG(1));
    IoReleaseRemoveLock(&Lock, TAG(2));
    IoReleaseRemoveLock(&Lock, TAG(1));
    assert_int_equal(Lock.Common.IoCount, 1);
    assert_int_equal(KeReadStateEvent(&Lock.Common.RemoveEvent), 0);
    assert_int_equal(Records(), 0);
}

/* IoReleaseRemoveLockAndWait with no other holder returns at once; after
   it every acquisition fails with STATUS_DELETE_PENDING and leaves the
   count alone. */
static void TestReleaseAndWaitAlone(void **State)
{
    IO_REMOVE_LOCK Lock;
    (void)State;
    IoInitializeRemoveLock(&Lock, REMLOCK_TAG, 0, 0);
    assert_int_equal(IoAcquireRemoveLock(&Lock, TAG(7)), STATUS_SUCCESS);
    IoReleaseRemoveLockAndWait(&Lock, TAG(7));
    assert_true(Lock.Common.Removed);
    assert_int_equal(Lock.Common.IoCount, 0);
    assert_int_equal(IoAcquireRemoveLock(&Lock, TAG(8)), STATUS_DELETE_PENDING);
    assert_int_equal(Lock.Common.IoCount, 0);
    assert_int_equal(Records(), 0);
}

typedef struct _REMOVER {
    PDEVICE_OBJECT Device;
    KEVENT Event;
    IO_STATUS_BLOCK Iosb;
    NTSTATUS Status;
} REMOVER;

/* Sends IRP_MN_REMOVE_DEVICE the way a PnP-aware caller would, with
   IoBuildSynchronousFsdRequest (IRP_MJ_PNP, IoStatus preset to
   STATUS_NOT_SUPPORTED), and waits for it. */
static VOID NTAPI SendRemove(PVOID Context)
{
    REMOVER *Remover = (REMOVER *)Context;
    PIRP Irp = IoBuildSynchronousFsdRequest(IRP_MJ_PNP, Remover->Device, NULL, 0, NULL, &Remover->Event,
                                            &Remover->Iosb);
    if (Irp == NULL) {
        Remover->Status = STATUS_INSUFFICIENT_RESOURCES;
        return;
    }
    Irp->IoStatus.Status = STATUS_NOT_SUPPORTED;
    IoGetNextIrpStackLocation(Irp)->MinorFunction = IRP_MN_REMOVE_DEVICE;
    Remover->Status = IoCallDriver(Remover->Device, Irp);
    if (Remover->Status == STATUS_PENDING) {
        KeWaitForSingleObject(&Remover->Event, Executive, KernelMode, FALSE, NULL);
        Remover->Status = Remover->Iosb.Status;
    }
}

static NTSTATUS Read(PDEVICE_OBJECT Device)
{
    /* No IOSB: the read may finish after this frame is gone. No completion
       routine either: stage 2 frees it in this thread. */
    PIRP Irp = IoBuildAsynchronousFsdRequest(IRP_MJ_READ, Device, NULL, 0, NULL, NULL);
    assert_non_null(Irp);
    return IoCallDriver(Device, Irp);
}

/* "Using Remove Locks": the remove request waits in
   IoReleaseRemoveLockAndWait until every read in flight has released the
   lock; reads that arrive meanwhile fail with STATUS_DELETE_PENDING. */
static void TestRemoveWaitsForReadsInFlight(void **State)
{
    PDEVICE_OBJECT Device = RemlockCreateDevice(Driver, 0, 0);
    PREMLOCK_EXTENSION Ext = RemlockExtension(Device);
    REMOVER Remover;
    HANDLE Handle;
    PVOID Thread;
    LARGE_INTEGER Zero;
    (void)State;

    assert_int_equal(Read(Device), STATUS_PENDING);
    assert_int_equal(Read(Device), STATUS_PENDING);
    assert_int_equal(Ext->RemoveLock.Common.IoCount, 3);

    RtlZeroMemory(&Remover, sizeof(Remover));
    Remover.Device = Device;
    KeInitializeEvent(&Remover.Event, NotificationEvent, FALSE);
    assert_int_equal(PsCreateSystemThread(&Handle, THREAD_ALL_ACCESS, NULL, NULL, NULL, SendRemove, &Remover),
                     STATUS_SUCCESS);
    assert_int_equal(ObReferenceObjectByHandle(Handle, SYNCHRONIZE, *PsThreadType, KernelMode, &Thread, NULL),
                     STATUS_SUCCESS);
    ZwClose(Handle);

    /* Let the remover run until it blocks: in IoReleaseRemoveLockAndWait. */
    IrpSimRunUntilIdle(0);
    Zero.QuadPart = 0;
    assert_int_equal(KeWaitForSingleObject(Thread, Executive, KernelMode, FALSE, &Zero), STATUS_TIMEOUT);
    assert_true(Ext->RemoveLock.Common.Removed);
    assert_int_equal(Ext->Removed, 0);
    assert_int_equal(Read(Device), STATUS_DELETE_PENDING);
    assert_int_equal(Ext->RejectedReads, 1);

    assert_true(RemlockCompleteOldestRead(Device));
    IrpSimRunUntilIdle(0);
    assert_int_equal(KeWaitForSingleObject(Thread, Executive, KernelMode, FALSE, &Zero), STATUS_TIMEOUT);
    assert_int_equal(Ext->Removed, 0);

    assert_true(RemlockCompleteOldestRead(Device));
    assert_int_equal(KeWaitForSingleObject(Thread, Executive, KernelMode, FALSE, NULL), STATUS_WAIT_0);
    assert_int_equal(Ext->Removed, 1);
    assert_int_equal(Remover.Status, STATUS_SUCCESS);
    assert_int_equal(Ext->RemoveLock.Common.IoCount, 0);
    assert_int_equal(Records(), 0);
    ObDereferenceObject(Thread);
}

/* Checked build: releasing a tag that does not hold the lock asserts. The
   report names the tag and the acquisitions that are held (with the file
   and line of their IoAcquireRemoveLock). The lock is left as it was. */
static void TestReleaseUnknownTag(void **State)
{
    IO_REMOVE_LOCK Lock;
    (void)State;
    if (!Tracking())
        skip();
    IoInitializeRemoveLock(&Lock, REMLOCK_TAG, 0, 0);
    assert_int_equal(IoAcquireRemoveLock(&Lock, TAG(1)), STATUS_SUCCESS);
    assert_int_equal(Records(), 1); /* the tracking record, in pool with the lock's tag */
    irpsim_assert_bugcheck(IRPSIM_ASSERTION_FAILED, IoReleaseRemoveLock(&Lock, TAG(2)));
    assert_non_null(strstr(irpsim_last_bugcheck.Info.Rule, "does not hold the remove lock"));
    assert_non_null(strstr(irpsim_last_bugcheck.Info.Rule, "test_remlock.c"));
    assert_int_equal(Lock.Common.IoCount, 2);

    /* Released twice: the second release has no acquisition left. */
    IoReleaseRemoveLock(&Lock, TAG(1));
    irpsim_assert_bugcheck(IRPSIM_ASSERTION_FAILED, IoReleaseRemoveLock(&Lock, TAG(1)));
    assert_int_equal(Lock.Common.IoCount, 1);
    assert_int_equal(Records(), 0);

    /* IoReleaseRemoveLockAndWait by a caller that never acquired. */
    irpsim_assert_bugcheck(IRPSIM_ASSERTION_FAILED, IoReleaseRemoveLockAndWait(&Lock, TAG(3)));
    assert_int_equal(Lock.Common.IoCount, 1);
    assert_false(Lock.Common.Removed);
}

/* Checked build: more than HighWatermark outstanding acquisitions assert. */
static void TestHighWatermark(void **State)
{
    IO_REMOVE_LOCK Lock;
    (void)State;
    if (!Tracking())
        skip();
    IoInitializeRemoveLock(&Lock, REMLOCK_TAG, 0, 2);
    assert_int_equal(IoAcquireRemoveLock(&Lock, TAG(1)), STATUS_SUCCESS);
    assert_int_equal(IoAcquireRemoveLock(&Lock, TAG(2)), STATUS_SUCCESS);
    irpsim_assert_bugcheck(IRPSIM_ASSERTION_FAILED, (void)IoAcquireRemoveLock(&Lock, TAG(3)));
    assert_non_null(strstr(irpsim_last_bugcheck.Info.Rule, "HighWatermark"));
    assert_int_equal(Lock.Common.IoCount, 3);
    IoReleaseRemoveLock(&Lock, TAG(1));
    IoReleaseRemoveLock(&Lock, TAG(2));
    assert_int_equal(Records(), 0);
}

/* Checked build: an acquisition held longer than MaxLockedMinutes asserts
   at the next acquisition. */
static void TestHeldTooLong(void **State)
{
    IO_REMOVE_LOCK Lock;
    (void)State;
    if (!Tracking())
        skip();
    IoInitializeRemoveLock(&Lock, REMLOCK_TAG, 1, 0);
    assert_int_equal(IoAcquireRemoveLock(&Lock, TAG(1)), STATUS_SUCCESS);
    assert_int_equal(IrpSimAdvanceTime(30LL * 10000000LL), STATUS_SUCCESS);
    assert_int_equal(IoAcquireRemoveLock(&Lock, TAG(2)), STATUS_SUCCESS); /* 30 s: fine */
    IoReleaseRemoveLock(&Lock, TAG(2));
    assert_int_equal(IrpSimAdvanceTime(31LL * 10000000LL), STATUS_SUCCESS);
    irpsim_assert_bugcheck(IRPSIM_ASSERTION_FAILED, (void)IoAcquireRemoveLock(&Lock, TAG(3)));
    assert_non_null(strstr(irpsim_last_bugcheck.Info.Rule, "MaxLockedMinutes"));
    IoReleaseRemoveLock(&Lock, TAG(1));
    assert_int_equal(Records(), 0);
}

/* IoReleaseRemoveLockAndWait with acquisitions other than the caller's
   still held: legal (it waits for them), noted with the tags it waits for;
   when one of them is never released, the wait reports after
   MaxLockedMinutes instead of hanging forever. */
static void TestReleaseAndWaitForAbandonedAcquisition(void **State)
{
    IO_REMOVE_LOCK Lock;
    ULONG Index = 0;
    IRPSIM_TRACE_EVENT Note;
    (void)State;
    if (!Tracking())
        skip();
    IoInitializeRemoveLock(&Lock, REMLOCK_TAG, 1, 0);
    assert_int_equal(IoAcquireRemoveLock(&Lock, TAG(1)), STATUS_SUCCESS); /* never released */
    assert_int_equal(IoAcquireRemoveLock(&Lock, TAG(9)), STATUS_SUCCESS);
    irpsim_assert_bugcheck(IRPSIM_ASSERTION_FAILED, IoReleaseRemoveLockAndWait(&Lock, TAG(9)));
    assert_non_null(strstr(irpsim_last_bugcheck.Info.Rule, "never released"));
    assert_non_null(strstr(irpsim_last_bugcheck.Info.Rule, "test_remlock.c"));
    assert_true(IrpSimTraceFind(&Index, IrpSimTraceNote, &Lock, &Note));
    assert_int_equal(Note.Argument[0], 1); /* one acquisition waited for */
    assert_true(Lock.Common.Removed);
    assert_int_equal(Lock.Common.IoCount, 1);

    /* Released at last: the count reaches zero and the event is set. */
    IoReleaseRemoveLock(&Lock, TAG(1));
    assert_int_equal(Lock.Common.IoCount, 0);
    assert_int_equal(KeReadStateEvent(&Lock.Common.RemoveEvent), 1);
    assert_int_equal(Records(), 0);
}

/* A lock IoInitializeRemoveLock never saw is reported at its first use. */
static void TestUninitialisedLock(void **State)
{
    IO_REMOVE_LOCK Lock;
    (void)State;
    if (!Tracking())
        skip();
    RtlZeroMemory(&Lock, sizeof(Lock));
    irpsim_assert_bugcheck(IRPSIM_ASSERTION_FAILED, (void)IoAcquireRemoveLock(&Lock, TAG(1)));
    assert_non_null(strstr(irpsim_last_bugcheck.Info.Rule, "never initialised"));
}

/* Without the verifier (a free build) nothing is tracked: no records, and
   a wrong tag goes unnoticed; the counting is the same. */
static void TestNoTrackingWithoutVerifier(void **State)
{
    IO_REMOVE_LOCK Lock;
    IRPSIM_CONFIG Config;
    (void)State;
    IrpSimQueryConfig(&Config);
    if (Config.Verifier)
        skip();
    IoInitializeRemoveLock(&Lock, REMLOCK_TAG, 1, 1);
    assert_int_equal(IoAcquireRemoveLock(&Lock, TAG(1)), STATUS_SUCCESS);
    assert_int_equal(IoAcquireRemoveLock(&Lock, TAG(2)), STATUS_SUCCESS);
    assert_int_equal(Records(), 0);
    IoReleaseRemoveLock(&Lock, TAG(5));
    IoReleaseRemoveLock(&Lock, TAG(6));
    assert_int_equal(Lock.Common.IoCount, 1);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(TestAcquireRelease, SetupVerifier, Teardown),
        cmocka_unit_test_setup_teardown(TestReleaseAndWaitAlone, SetupVerifier, Teardown),
        cmocka_unit_test_setup_teardown(TestRemoveWaitsForReadsInFlight, SetupVerifier, Teardown),
        cmocka_unit_test_setup_teardown(TestReleaseUnknownTag, SetupVerifier, Teardown),
        cmocka_unit_test_setup_teardown(TestHighWatermark, SetupVerifier, Teardown),
        cmocka_unit_test_setup_teardown(TestHeldTooLong, SetupVerifier, Teardown),
        cmocka_unit_test_setup_teardown(TestReleaseAndWaitForAbandonedAcquisition, SetupVerifier, Teardown),
        cmocka_unit_test_setup_teardown(TestUninitialisedLock, SetupVerifier, Teardown),
        cmocka_unit_test_setup_teardown(TestNoTrackingWithoutVerifier, SetupNoVerifier, Teardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
