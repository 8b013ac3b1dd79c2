/*
 * Helpers shared by the verifier tests: start the machine, send an IRP
 * the way an originator does, set environment variables portably.
 */
#ifndef VFTEST_H
#define VFTEST_H

#include <ntddk.h>
#include <irpsim/irpsim.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <irpsim/cmocka.h>

#include "verifier/vf.h" /* the verifier's own subcodes (VF_C4_*, ...) */

static inline void VfTestSetEnv(const char *Name, const char *Value)
{
#ifdef _WIN32
    _putenv_s(Name, Value != NULL ? Value : "");
#else
    if (Value != NULL)
        setenv(Name, Value, 1);
    else
        unsetenv(Name);
#endif
}

static inline int VfTestSetup(void **State)
{
    (void)State;
    /* The verifier's environment must not leak in from the caller. */
    VfTestSetEnv("IRPSIM_VERIFIER", NULL);
    VfTestSetEnv("IRPSIM_VERIFIER_NONFATAL", NULL);
    VfTestSetEnv("IRPSIM_LOW_RESOURCES", NULL);
    return NT_SUCCESS(IrpSimInitialize(NULL)) ? 0 : -1;
}

static inline int VfTestTeardown(void **State)
{
    (void)State;
    IrpSimShutdown();
    return 0;
}

/* The originator's completion routine: takes the IRP back. */
static inline NTSTATUS NTAPI VfTestKeepIrp(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    (void)DeviceObject;
    (void)Context;
    (void)Irp;
    return STATUS_MORE_PROCESSING_REQUIRED;
}

/* An IRP for Device with one major function, whose completion comes back
   to the test (STATUS_MORE_PROCESSING_REQUIRED). */
static inline PIRP VfTestBuildIrp(PDEVICE_OBJECT Device, UCHAR Major, ULONG IoControlCode)
{
    PIRP Irp = IoAllocateIrp(Device->StackSize, FALSE);
    PIO_STACK_LOCATION Next;
    assert_non_null(Irp);
    Next = IoGetNextIrpStackLocation(Irp);
    Next->MajorFunction = Major;
    Next->Parameters.DeviceIoControl.IoControlCode = IoControlCode;
    IoSetCompletionRoutine(Irp, VfTestKeepIrp, NULL, TRUE, TRUE, TRUE);
    return Irp;
}

/* Sends an IOCTL and returns the final status (the driver completes it
   before returning). */
static inline NTSTATUS VfTestIoctl(PDEVICE_OBJECT Device, ULONG IoControlCode)
{
    PIRP Irp = VfTestBuildIrp(Device, IRP_MJ_DEVICE_CONTROL, IoControlCode);
    NTSTATUS Status = IoCallDriver(Device, Irp);
    if (Status != STATUS_PENDING)
        Status = Irp->IoStatus.Status;
    IoFreeIrp(Irp);
    return Status;
}

/* The subcode of the last caught bug check, and its report text. */
#define VfTestCaughtSubCode()     (irpsim_last_bugcheck.Info.Parameter[0])
#define VfTestCaughtRuleHas(Text) assert_non_null(strstr(irpsim_last_bugcheck.Info.Rule, (Text)))

/* Index of the last non-fatal report with this code and subcode, or -1. */
static inline LONG VfTestFindReport(ULONG Code, ULONG_PTR SubCode, IRPSIM_VERIFIER_REPORT *Report)
{
    for (LONG i = (LONG)IrpSimVerifierReportCount() - 1; i >= 0; i--) {
        IRPSIM_VERIFIER_REPORT R;
        if (IrpSimVerifierGetReport((ULONG)i, &R) && R.Code == Code && R.Parameter[0] == SubCode) {
            if (Report != NULL)
                *Report = R;
            return i;
        }
    }
    return -1;
}

#define VF_TEST_IOCTL(n) CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800 + (n), METHOD_BUFFERED, FILE_ANY_ACCESS)

#endif /* VFTEST_H */
