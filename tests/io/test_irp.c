/*
 * IRP allocation, initialisation, reuse and freeing (SEMANTICS.md 1.6) and
 * the checks behind the inline stack-location helpers (1.7).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "iotest.h"
#include "io/iop.h" /* white box: threaded IRP lists */
#include <irpsim/cmocka.h>

static int Setup(void **State)
{
    (void)State;
    return IrpSimInitialize(NULL) == STATUS_SUCCESS ? 0 : -1;
}

static int Teardown(void **State)
{
    (void)State;
    IrpSimShutdown();
    return 0;
}

static PIO_STACK_LOCATION Slots(PIRP Irp)
{
    return (PIO_STACK_LOCATION)(Irp + 1);
}

/* 1.6.1: IoSizeOfIrp(n) == sizeof(IRP) + n * sizeof(IO_STACK_LOCATION). */
static void TestSizeOfIrp(void **State)
{
    (void)State;
    assert_int_equal(IoSizeOfIrp(0), sizeof(IRP));
    assert_int_equal(IoSizeOfIrp(1), sizeof(IRP) + sizeof(IO_STACK_LOCATION));
    assert_int_equal(IoSizeOfIrp(7), sizeof(IRP) + 7 * sizeof(IO_STACK_LOCATION));
}

/* 1.6.2 + 1.6.3: IoAllocateIrp gives exactly StackSize slots, initialised as
   IoInitializeIrp does, with AllocationFlags recording a fixed-size
   allocation (and quota when charged). */
static void TestAllocateIrpFields(void **State)
{
    PIRP Irp;
    (void)State;
    Irp = IoAllocateIrp(3, FALSE);
    assert_non_null(Irp);
    assert_int_equal(Irp->Type, IO_TYPE_IRP);
    assert_int_equal(Irp->Size, IoSizeOfIrp(3));
    assert_int_equal(Irp->StackCount, 3);
    assert_int_equal(Irp->CurrentLocation, 4);
    assert_ptr_equal(Irp->Tail.Overlay.CurrentStackLocation, Slots(Irp) + 3); /* one past the end */
    assert_ptr_equal(IoGetNextIrpStackLocation(Irp), Slots(Irp) + 2);         /* the top slot */
    assert_ptr_equal(Irp->ThreadListEntry.Flink, &Irp->ThreadListEntry);
    assert_ptr_equal(Irp->ThreadListEntry.Blink, &Irp->ThreadListEntry);
    assert_int_equal(Irp->AllocationFlags, IRP_ALLOCATED_FIXED_SIZE);
    assert_null(Irp->Tail.Overlay.Thread);
    assert_null(Irp->MdlAddress);
    assert_null(Irp->CancelRoutine);
    assert_int_equal(Irp->Flags, 0);
    assert_int_equal(Irp->RequestorMode, KernelMode);
    assert_int_equal(Irp->Cancel, FALSE);
    assert_int_equal(Irp->PendingReturned, FALSE);
    assert_int_equal(Irp->IoStatus.Status, 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(Slots(Irp)[i].MajorFunction, 0);
        assert_null(Slots(Irp)[i].CompletionRoutine);
        assert_null(Slots(Irp)[i].DeviceObject);
    }
    IoFreeIrp(Irp);

    Irp = IoAllocateIrp(1, TRUE);
    assert_non_null(Irp);
    assert_int_equal(Irp->AllocationFlags, IRP_ALLOCATED_FIXED_SIZE | IRP_QUOTA_CHARGED);
    IoFreeIrp(Irp);
}

/* 1.6.3: IoInitializeIrp on memory the driver allocated. */
static void TestInitializeIrpDriverMemory(void **State)
{
    USHORT Size = IoSizeOfIrp(2);
    PIRP Irp = (PIRP)ExAllocatePoolWithTag(NonPagedPool, Size, 'tsTI');
    (void)State;
    assert_non_null(Irp);
    memset(Irp, 0xA5, Size);
    IoInitializeIrp(Irp, Size, 2);
    assert_int_equal(Irp->Type, IO_TYPE_IRP);
    assert_int_equal(Irp->Size, Size);
    assert_int_equal(Irp->StackCount, 2);
    assert_int_equal(Irp->CurrentLocation, 3);
    assert_ptr_equal(Irp->Tail.Overlay.CurrentStackLocation, Slots(Irp) + 2);
    assert_int_equal(Irp->AllocationFlags, 0);
    assert_int_equal(Irp->Flags, 0);
    assert_null(Irp->UserIosb);
    assert_int_equal(Slots(Irp)[1].Control, 0);
    assert_true(IsListEmpty(&Irp->ThreadListEntry));
    /* AllocationFlags 0: IoFreeIrp hands the memory back to pool. */
    IoFreeIrp(Irp);
}

/* 1.6.3 misuse: IoInitializeIrp on an IoAllocateIrp IRP is Verifier
   0xC9/0x20D. */
static void TestInitializeAllocatedIrpBugchecks(void **State)
{
    PIRP Irp = IoAllocateIrp(1, FALSE);
    (void)State;
    irpsim_assert_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IoInitializeIrp(Irp, Irp->Size, 1));
    irpsim_assert_bugcheck_parameter(0, 0x20D);
    irpsim_assert_bugcheck_parameter(2, Irp);
    IoFreeIrp(Irp);
}

/* 1.6.6: IoReuseIrp reinitialises, keeps AllocationFlags, sets the status. */
static void TestReuseIrp(void **State)
{
    PIRP Irp = IoAllocateIrp(2, TRUE);
    (void)State;
    IoSetNextIrpStackLocation(Irp);
    IoMarkIrpPending(Irp);
    Irp->Cancel = TRUE;
    Irp->PendingReturned = TRUE;
    Irp->Flags = IRP_BUFFERED_IO;
    IoReuseIrp(Irp, STATUS_UNSUCCESSFUL);
    assert_int_equal(Irp->CurrentLocation, 3);
    assert_ptr_equal(Irp->Tail.Overlay.CurrentStackLocation, Slots(Irp) + 2);
    assert_int_equal(Irp->AllocationFlags, IRP_ALLOCATED_FIXED_SIZE | IRP_QUOTA_CHARGED);
    assert_int_equal(Irp->IoStatus.Status, STATUS_UNSUCCESSFUL);
    assert_int_equal(Irp->Cancel, FALSE);
    assert_int_equal(Irp->PendingReturned, FALSE);
    assert_int_equal(Irp->Flags, 0);
    assert_int_equal(Slots(Irp)[1].Control, 0);
    assert_int_equal(Irp->Size, IoSizeOfIrp(2));
    IoFreeIrp(Irp);
}

/* 1.6.4: an associated IRP points at its master, shares its thread, and
   does not touch the master's count. */
static void TestMakeAssociatedIrp(void **State)
{
    PIRP Master = IoAllocateIrp(1, FALSE);
    PIRP Associated;
    (void)State;
    Master->Tail.Overlay.Thread = PsGetCurrentThread();
    Master->AssociatedIrp.IrpCount = 0;
    Associated = IoMakeAssociatedIrp(Master, 2);
    assert_non_null(Associated);
    assert_int_equal(Associated->StackCount, 2);
    assert_true(Associated->Flags & IRP_ASSOCIATED_IRP);
    assert_ptr_equal(Associated->AssociatedIrp.MasterIrp, Master);
    assert_ptr_equal(Associated->Tail.Overlay.Thread, PsGetCurrentThread());
    assert_true(IsListEmpty(&Associated->ThreadListEntry));
    assert_int_equal(Master->AssociatedIrp.IrpCount, 0);
    IoFreeIrp(Associated);
    Master->Tail.Overlay.Thread = NULL;
    IoFreeIrp(Master);
}

/* 1.6.5: IoFreeIrp on something that is not an IRP is Verifier 0xC9/0x01. */
static void TestFreeNotAnIrp(void **State)
{
    PIRP Fake = (PIRP)ExAllocatePoolWithTag(NonPagedPool, IoSizeOfIrp(1), 'ekaF');
    (void)State;
    memset(Fake, 0, IoSizeOfIrp(1));
    Fake->Type = IO_TYPE_FILE;
    irpsim_assert_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IoFreeIrp(Fake));
    irpsim_assert_bugcheck_parameter(0, 0x01);
    irpsim_assert_bugcheck_parameter(1, Fake);
    ExFreePoolWithTag(Fake, 'ekaF');
}

/* 1.6.5: an IRP still queued to a thread cannot be freed (0xC9/0x20C). */
static void TestFreeThreadedIrp(void **State)
{
    PIRP Irp = IoAllocateIrp(1, FALSE);
    (void)State;
    /* What IoBuildDeviceIoControlRequest does: queue it to the thread. */
    IopQueueThreadIrp(Irp, PsGetCurrentThread());
    assert_false(IsListEmpty(&Irp->ThreadListEntry));
    irpsim_assert_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IoFreeIrp(Irp));
    irpsim_assert_bugcheck_parameter(0, 0x20C);
    irpsim_assert_bugcheck_parameter(2, Irp);
    IopDequeueThreadIrp(Irp, PsGetCurrentThread());
    assert_true(IsListEmpty(&Irp->ThreadListEntry));
    IoFreeIrp(Irp);
}

/* Use after free: a freed IRP is reported (0xCC, as special pool does)
   instead of being touched. */
static void TestFreeTwiceIsUseAfterFree(void **State)
{
    PIRP Irp = IoAllocateIrp(1, FALSE);
    (void)State;
    IoFreeIrp(Irp);
    irpsim_assert_bugcheck(0xCC, IoFreeIrp(Irp));
    irpsim_assert_bugcheck_parameter(0, Irp);
    assert_non_null(strstr(irpsim_last_bugcheck.Info.Report, "freed"));
}

/* The same for every kind of IRP memory - the 1-location and 8-location
   lookaside lists and larger IRPs with the verifier off, pool with it on -
   and for each entry point that takes an IRP: IoFreeIrp and IoCallDriver
   report the use after free as special pool does (0xCC, P1 the IRP),
   IoCompleteRequest as a second completion (0x44, P1 the IRP). None of
   them touches the freed IRP first. */
static void CheckFreedIrpReported(PDEVICE_OBJECT Device, CCHAR StackSize)
{
    PIRP Irp = IoAllocateIrp(StackSize, FALSE);
    assert_non_null(Irp);
    assert_int_equal(Irp->StackCount, StackSize);
    IoFreeIrp(Irp);
    irpsim_assert_bugcheck(0xCC, IoFreeIrp(Irp));
    irpsim_assert_bugcheck_parameter(0, Irp);
    irpsim_assert_bugcheck(0xCC, (void)IoCallDriver(Device, Irp));
    irpsim_assert_bugcheck_parameter(0, Irp);
    irpsim_assert_bugcheck(MULTIPLE_IRP_COMPLETE_REQUESTS, IoCompleteRequest(Irp, IO_NO_INCREMENT));
    irpsim_assert_bugcheck_parameter(0, Irp);
}

static void TestFreedIrpReportedForEveryMemoryKind(void **State)
{
    static const CCHAR Sizes[] = {1, 8, 20};
    (void)State;
    IrpSimShutdown(); /* Setup's machine: this test starts its own */
    for (int Verifier = 0; Verifier <= 1; Verifier++) {
        IRPSIM_CONFIG Config;
        PDEVICE_OBJECT Device;
        IrpSimDefaultConfig(&Config);
        Config.Verifier = (BOOLEAN)Verifier;
        assert_int_equal(IrpSimInitialize(&Config), STATUS_SUCCESS);
        Device = IoTestCreateDevice(IoTestLoad(L"\\Driver\\IoTest"), NULL, IoTestCompleteSuccess);
        assert_non_null(Device);
        for (size_t i = 0; i < sizeof(Sizes); i++)
            CheckFreedIrpReported(Device, Sizes[i]);
        IrpSimShutdown();
    }
    assert_int_equal(IrpSimInitialize(NULL), STATUS_SUCCESS); /* for Teardown */
}

static NTSTATUS NTAPI KeepIrp(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    (void)DeviceObject;
    (void)Irp;
    (void)Context;
    return STATUS_MORE_PROCESSING_REQUIRED;
}

/* With the verifier off IRPs come from the per-thread lookaside lists, as
   Windows takes them from per-processor ones (IRP_LOOKASIDE_ALLOCATION),
   and their holder updates their state-table entry without the lock. The
   table still records the whole life, as it does with the verifier on:
   allocated by IoAllocateIrp, sent once to the device, completed once,
   stopped by the originator's completion routine returning
   STATUS_MORE_PROCESSING_REQUIRED, freed at IoFreeIrp's call. A freed
   block waits in a 16-deep delay line: after 15 more IRPs of its size are
   freed on the thread it is still a freed IRP (a second IoFreeIrp is
   0xCC), and the next allocation takes the block again, as a new IRP (a
   new allocation number). */
static void TestLookasideIrpTrackedWithoutVerifier(void **State)
{
    IRPSIM_CONFIG Config;
    PDEVICE_OBJECT Device;
    VF_IRP_ENTRY Entry;
    ULONGLONG FirstSerial;
    PIO_STACK_LOCATION Next;
    PIRP Irp, Again;
    (void)State;
    IrpSimShutdown(); /* Setup's machine: this test starts its own */
    IrpSimDefaultConfig(&Config);
    Config.Verifier = FALSE;
    assert_int_equal(IrpSimInitialize(&Config), STATUS_SUCCESS);
    Device = IoTestCreateDevice(IoTestLoad(L"\\Driver\\IoTest"), NULL, IoTestCompleteSuccess);
    assert_non_null(Device);

    Irp = IoAllocateIrp(Device->StackSize, FALSE);
    assert_non_null(Irp);
    assert_int_equal(Irp->AllocationFlags, IRP_ALLOCATED_FIXED_SIZE | IRP_LOOKASIDE_ALLOCATION);
    assert_true(VfIrpQuery(Irp, &Entry));
    assert_int_equal(Entry.State, VfIrpAllocated);
    assert_int_equal(Entry.Origin, IrpSimIrpOriginIoAllocateIrp);
    assert_true(Entry.OwnsMemory);
    assert_true(Entry.Pinned);
    assert_int_equal(Entry.StackCount, Device->StackSize);
    assert_int_equal(Entry.Size, IoSizeOfIrp(Device->StackSize));
    assert_non_null(Entry.AllocationSite);
    assert_int_not_equal(Entry.Serial, 0);
    FirstSerial = Entry.Serial;

    Next = IoGetNextIrpStackLocation(Irp);
    Next->MajorFunction = IRP_MJ_DEVICE_CONTROL;
    IoSetCompletionRoutine(Irp, KeepIrp, NULL, TRUE, TRUE, TRUE);
    assert_int_equal(IoCallDriver(Device, Irp), STATUS_SUCCESS);
    assert_true(VfIrpQuery(Irp, &Entry));
    assert_int_equal(Entry.State, VfIrpStopped);
    assert_int_equal(Entry.Location, Device->StackSize + 1); /* the originator's, above the stack */
    assert_int_equal(Entry.SendCount, 1);
    assert_ptr_equal(Entry.Device, Device);
    assert_int_equal(Entry.CompletionCount, 1);
    assert_int_equal(Entry.CompletedStatus, STATUS_SUCCESS);
    assert_int_equal(Entry.Serial, FirstSerial);

    IoFreeIrp(Irp);
    assert_true(VfIrpQuery(Irp, &Entry));
    assert_int_equal(Entry.State, VfIrpFreed);
    assert_non_null(Entry.FreeSite);
    assert_int_equal(Irp->Type, IOP_TYPE_FREED_IRP);

    for (int i = 0; i < 15; i++) {
        PIRP Other = IoAllocateIrp(Device->StackSize, FALSE);
        assert_ptr_not_equal(Other, Irp);
        IoFreeIrp(Other);
    }
    assert_true(VfIrpIsFreed(Irp));
    irpsim_assert_bugcheck(0xCC, IoFreeIrp(Irp));
    irpsim_assert_bugcheck_parameter(0, Irp);

    Again = IoAllocateIrp(Device->StackSize, FALSE);
    assert_ptr_equal(Again, Irp);
    assert_true(VfIrpQuery(Again, &Entry));
    assert_int_equal(Entry.State, VfIrpAllocated);
    assert_int_not_equal(Entry.Serial, FirstSerial);
    IoFreeIrp(Again);
    IrpSimShutdown();
    assert_int_equal(IrpSimInitialize(NULL), STATUS_SUCCESS); /* for Teardown */
}

/* With the verifier on IRPs come from Driver Verifier's special pool, which
   keeps a guard after each block: a driver that writes past the end of
   its IRP (beyond its last stack location) is caught when the IRP is
   freed, with the report ExFreePool makes for an overrun (0xC4/0x51: P2
   the IRP, P3 the first damaged byte, P4 the IRP's size). */
static void TestIrpOverrunCaughtWithVerifier(void **State)
{
    PIRP Irp = IoAllocateIrp(2, FALSE);
    PUCHAR End;
    (void)State;
    assert_non_null(Irp);
    assert_int_equal(Irp->AllocationFlags, IRP_ALLOCATED_FIXED_SIZE); /* not from a lookaside list */
    End = (PUCHAR)Irp + IoSizeOfIrp(2);
    End[3] = 0x5A;
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, IoFreeIrp(Irp));
    irpsim_assert_bugcheck_parameter(0, 0x51);
    irpsim_assert_bugcheck_parameter(1, Irp);
    irpsim_assert_bugcheck_parameter(2, End + 3);
    irpsim_assert_bugcheck_parameter(3, IoSizeOfIrp(2));
    End[3] = 0xFD; /* mended: now it can go */
    IoFreeIrp(Irp);
}

/* 1.7: an originator has no slot: IoMarkIrpPending on a fresh IRP would
   write past the end (reported as 0xCD); IoSetNextIrpStackLocation below
   slot 0 is NO_MORE_IRP_STACK_LOCATIONS. */
static void TestStackHelperMisuse(void **State)
{
    PIRP Irp = IoAllocateIrp(1, FALSE);
    (void)State;
    irpsim_assert_bugcheck(0xCD, IoMarkIrpPending(Irp));
    assert_ptr_equal(irpsim_last_bugcheck.Info.Parameter[0], Slots(Irp) + 1);
    IoSetNextIrpStackLocation(Irp); /* now at slot 0: legal */
    assert_int_equal(Irp->CurrentLocation, 1);
    irpsim_assert_bugcheck(NO_MORE_IRP_STACK_LOCATIONS, IoSetNextIrpStackLocation(Irp));
    irpsim_assert_bugcheck_parameter(0, Irp);
    irpsim_assert_bugcheck(NO_MORE_IRP_STACK_LOCATIONS,
                           IoSetCompletionRoutine(Irp, NULL, NULL, FALSE, FALSE, FALSE));
    IoFreeIrp(Irp);
}

/* Who asked: the requestor of an IRP is its thread's process (none for an
   IoAllocateIrp IRP); IoIsOperationSynchronous follows IRP_SYNCHRONOUS_API,
   a synchronous file object, and for paging I/O only
   IRP_SYNCHRONOUS_PAGING_IO; the top-level IRP is per thread. */
static void TestRequestorAndTopLevel(void **State)
{
    PIRP Irp = IoAllocateIrp(1, FALSE);
    FILE_OBJECT File;
    (void)State;
    assert_null(IoGetRequestorProcess(Irp));
    assert_int_equal(IoGetRequestorProcessId(Irp), 0);
    Irp->Tail.Overlay.Thread = PsGetCurrentThread();
    assert_ptr_equal(IoGetRequestorThread(Irp), PsGetCurrentThread());
    assert_ptr_equal(IoGetRequestorProcess(Irp), PsGetCurrentProcess());
    assert_int_equal(IoGetRequestorProcessId(Irp), (ULONG)(ULONG_PTR)PsGetCurrentProcessId());
    assert_false(IoIs32bitProcess(Irp));

    IoSetNextIrpStackLocation(Irp); /* give it a current location */
    assert_false(IoIsOperationSynchronous(Irp));
    Irp->Flags = IRP_SYNCHRONOUS_API;
    assert_true(IoIsOperationSynchronous(Irp));
    Irp->Flags = IRP_PAGING_IO;
    assert_false(IoIsOperationSynchronous(Irp));
    Irp->Flags = IRP_PAGING_IO | IRP_SYNCHRONOUS_PAGING_IO;
    assert_true(IoIsOperationSynchronous(Irp));
    Irp->Flags = 0;
    memset(&File, 0, sizeof(File));
    File.Flags = FO_SYNCHRONOUS_IO;
    IoGetCurrentIrpStackLocation(Irp)->FileObject = &File;
    assert_true(IoIsOperationSynchronous(Irp));
    IoGetCurrentIrpStackLocation(Irp)->FileObject = NULL;

    assert_null(IoGetTopLevelIrp());
    IoSetTopLevelIrp(Irp);
    assert_ptr_equal(IoGetTopLevelIrp(), Irp);
    IoSetTopLevelIrp(NULL);
    Irp->Tail.Overlay.Thread = NULL;
    IoFreeIrp(Irp);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(TestSizeOfIrp, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestAllocateIrpFields, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestInitializeIrpDriverMemory, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestInitializeAllocatedIrpBugchecks, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestReuseIrp, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestMakeAssociatedIrp, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestFreeNotAnIrp, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestFreeThreadedIrp, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestFreeTwiceIsUseAfterFree, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestFreedIrpReportedForEveryMemoryKind, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestLookasideIrpTrackedWithoutVerifier, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestIrpOverrunCaughtWithVerifier, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestStackHelperMisuse, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestRequestorAndTopLevel, Setup, Teardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
