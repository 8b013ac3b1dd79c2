/*
 * IrpSimDumpIrp: the IRP in WinDbg's !irp style (header, one entry per
 * stack location, '>' on the current one, the SL_INVOKE letters and the
 * pending bit), and a freed IRP described from the state table instead of
 * its memory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>

#include "iotest.h"
#include <irpsim/cmocka.h>
#include "../support/test_tmpfile.h"

static PDRIVER_OBJECT Driver;
static PIRP HeldIrp;
static char Text[16384];

static int Setup(void **State)
{
    (void)State;
    if (IrpSimInitialize(NULL) != STATUS_SUCCESS)
        return -1;
    Driver = IoTestLoad(L"\\Driver\\IoTest");
    return Driver != NULL ? 0 : -1;
}

static int Teardown(void **State)
{
    (void)State;
    IrpSimShutdown();
    return 0;
}

static const char *Dump(PIRP Irp)
{
    FILE *Stream = TestTmpFile();
    size_t Length;
    assert_non_null(Stream);
    IrpSimDumpIrp(Irp, Stream);
    rewind(Stream);
    Length = fread(Text, 1, sizeof(Text) - 1, Stream);
    Text[Length] = 0;
    fclose(Stream);
    return Text;
}

static NTSTATUS Hold(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    IoMarkIrpPending(Irp);
    HeldIrp = Irp;
    return STATUS_PENDING;
}

static NTSTATUS Keep(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    return STATUS_MORE_PROCESSING_REQUIRED;
}

static NTSTATUS Forward(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    IoCopyCurrentIrpStackLocationToNext(Irp);
    IoSetCompletionRoutine(Irp, Keep, NULL, TRUE, TRUE, FALSE);
    return IoCallDriver(IoTestExtension(DeviceObject)->Lower, Irp);
}

static void TestDumpPendingIrp(void **State)
{
    PDEVICE_OBJECT Lower = IoTestCreateDevice(Driver, L"\\Device\\IoTestDumpLower", Hold);
    PDEVICE_OBJECT Upper = IoTestCreateDevice(Driver, NULL, Forward);
    PIRP Irp;
    const char *Out;
    (void)State;
    IoTestAttach(Upper, Lower);
    Irp = IoAllocateIrp(Upper->StackSize, FALSE);
    IoGetNextIrpStackLocation(Irp)->MajorFunction = IRP_MJ_DEVICE_CONTROL;
    IoSetCompletionRoutine(Irp, Keep, NULL, TRUE, TRUE, TRUE);
    assert_int_equal(IoCallDriver(Upper, Irp), STATUS_PENDING);

    Out = Dump(Irp);
    assert_non_null(strstr(Out, "is active with 2 stacks 1 is current"));
    assert_non_null(strstr(Out, "IoAllocateIrp"));
    assert_non_null(strstr(Out, " >[1] IRP_MJ_DEVICE_CONTROL(e)"));
    assert_non_null(strstr(Out, "  [2] IRP_MJ_DEVICE_CONTROL(e)"));
    assert_non_null(strstr(Out, "\\Device\\IoTestDumpLower"));
    assert_non_null(strstr(Out, "Success Error pending")); /* slot 1: the upper's routine, marked */
    assert_non_null(strstr(Out, "Success Error Cancel"));  /* slot 2: the originator's routine */

    HeldIrp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(HeldIrp, IO_NO_INCREMENT);
    Out = Dump(Irp);
    assert_non_null(strstr(Out, "stopped"));
    IoFreeIrp(Irp);
    Out = Dump(Irp);
    assert_non_null(strstr(Out, "has been freed"));
    assert_null(strstr(Out, "IRP_MJ_DEVICE_CONTROL"));
}

/* Bug check reports carry the dump of the IRP involved. */
static void TestBugCheckReportHasDump(void **State)
{
    PIRP Irp = IoAllocateIrp(1, FALSE);
    (void)State;
    IoFreeIrp(Irp);
    irpsim_assert_bugcheck(MULTIPLE_IRP_COMPLETE_REQUESTS, IoCompleteRequest(Irp, IO_NO_INCREMENT));
    assert_non_null(strstr(irpsim_last_bugcheck.Info.Report, "has been freed"));
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(TestDumpPendingIrp, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestBugCheckReportHasDump, Setup, Teardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
