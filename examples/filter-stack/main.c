/*
 * filter_stack_demo: loads the function driver and the filter above it,
 * sends IRPs down the two-level stack the way a driver builds its own
 * requests (IoAllocateIrp + IoSetCompletionRoutine), and shows what each
 * level sees: the stack locations, PendingReturned, the statuses, the !irp
 * dump and the IRP's trace. Then it unloads both drivers and checks that
 * nothing leaked.
 *
 * Exit status 0 when every request behaved as Windows specifies.
 */
#include <ntddk.h>
#include <irpsim/irpsim.h>
#include <irpsim/trace.h>
#include <stdio.h>
#include <string.h>

#include "filterstack.h"

typedef struct _REQUEST {
    KEVENT Done;
    CHAR Buffer[64];
    NTSTATUS Returned;        /* what IoCallDriver returned */
    NTSTATUS Status;          /* IoStatus.Status seen by our completion routine */
    ULONG_PTR Information;
    BOOLEAN PendingReturned;  /* as seen by our completion routine */
    PDEVICE_OBJECT Device;    /* the device our routine was given (NULL: we own no slot) */
    CHAR Location;            /* CurrentLocation in our routine */
} REQUEST;

static int Failures;

static void Check(int Condition, const char *What)
{
    if (!Condition) {
        printf("  !! unexpected: %s\n", What);
        Failures++;
    }
}

static VOID DebugOutput(PCSTR Text, PVOID Context)
{
    (void)Context;
    fputs("  ", stdout);
    fputs(Text, stdout);
}

/* The originator's completion routine. The IRP was allocated with exactly
   the stack's StackSize locations, so we have none: the device is NULL,
   CurrentLocation is StackCount + 1, and we must not call IoMarkIrpPending.
   We keep the IRP (STATUS_MORE_PROCESSING_REQUIRED) to look at it. */
static NTSTATUS NTAPI RequestCompletion(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    REQUEST *Request = (REQUEST *)Context;
    Request->Device = DeviceObject;
    Request->Location = Irp->CurrentLocation;
    Request->PendingReturned = Irp->PendingReturned;
    Request->Status = Irp->IoStatus.Status;
    Request->Information = Irp->IoStatus.Information;
    printf("  [originator] completion routine: device %p, stack location %d of %d, PendingReturned %d, "
           "status 0x%08X, information %lu\n",
           (void *)DeviceObject, Irp->CurrentLocation, Irp->StackCount, Irp->PendingReturned,
           (unsigned)Irp->IoStatus.Status, (unsigned long)Irp->IoStatus.Information);
    KeSetEvent(&Request->Done, IO_NO_INCREMENT, FALSE);
    return STATUS_MORE_PROCESSING_REQUIRED;
}

static PIRP BuildRequest(PDEVICE_OBJECT Top, ULONG Code, REQUEST *Request)
{
    PIRP Irp = IoAllocateIrp(Top->StackSize, FALSE);
    PIO_STACK_LOCATION Next;
    if (Irp == NULL)
        return NULL;
    memset(Request, 0, sizeof(*Request));
    KeInitializeEvent(&Request->Done, NotificationEvent, FALSE);
    /* METHOD_BUFFERED: the buffer travels in AssociatedIrp.SystemBuffer. */
    Irp->AssociatedIrp.SystemBuffer = Request->Buffer;
    Next = IoGetNextIrpStackLocation(Irp);
    Next->MajorFunction = IRP_MJ_DEVICE_CONTROL;
    Next->Parameters.DeviceIoControl.IoControlCode = Code;
    Next->Parameters.DeviceIoControl.OutputBufferLength = sizeof(Request->Buffer);
    IoSetCompletionRoutine(Irp, RequestCompletion, Request, TRUE, TRUE, TRUE);
    return Irp;
}

static void ShowTrace(PIRP Irp)
{
    ULONG Count = IrpSimTraceCount();
    printf("  trace of IRP %p:\n", (void *)Irp);
    for (ULONG i = 0; i < Count; i++) {
        IRPSIM_TRACE_EVENT Event;
        CHAR Line[256];
        if (IrpSimTraceGet(i, &Event) && Event.Object == (PVOID)Irp) {
            IrpSimTraceFormat(&Event, Line, sizeof(Line));
            printf("    %s\n", Line);
        }
    }
}

/* Sends one request, waits for it if it was pended, shows it, frees it. */
static void SendRequest(PDEVICE_OBJECT Top, const char *Title, ULONG Code, REQUEST *Request, BOOLEAN Trace)
{
    PIRP Irp;
    printf("\n== %s\n", Title);
    IrpSimTraceClear();
    Irp = BuildRequest(Top, Code, Request);
    if (Irp == NULL) {
        Check(0, "IoAllocateIrp failed");
        return;
    }
    printf("  [originator] IoCallDriver(top device %p, IRP %p with %d stack locations)\n", (void *)Top, (void *)Irp,
           Irp->StackCount);
    Request->Returned = IoCallDriver(Top, Irp);
    printf("  [originator] IoCallDriver returned 0x%08X\n", (unsigned)Request->Returned);
    if (Request->Returned == STATUS_PENDING)
        KeWaitForSingleObject(&Request->Done, Executive, KernelMode, FALSE, NULL);
    printf("  the IRP, back with its originator:\n");
    IrpSimDumpIrp(Irp, stdout);
    if (Trace)
        ShowTrace(Irp);
    IoFreeIrp(Irp);
}

int main(void)
{
    UNICODE_STRING Name = RTL_CONSTANT_STRING(L"\\DosDevices\\IrpSimFunction");
    IRPSIM_CONFIG Config;
    PDRIVER_OBJECT Function, Filter;
    PFILE_OBJECT File;
    PDEVICE_OBJECT Top;
    REQUEST Now, Later, Release, Fail;
    PIRP LaterIrp, ReleaseIrp;
    NTSTATUS Status;
    ULONG Leaks;

    IrpSimDefaultConfig(&Config);
    Config.QuietDebugPrint = TRUE; /* DbgPrint goes to stdout through DebugOutput */
    /* Keep every IRP event in memory (switched on before any thread runs). */
    IrpSimTraceEnable(IRPSIM_TRACE_MEMORY, NULL);
    if (!NT_SUCCESS(IrpSimInitialize(&Config)))
        return 1;
    IrpSimSetDebugOutput(DebugOutput, NULL);

    printf("== loading the function driver, then the filter above it\n");
    Status = IrpSimLoadDriver(L"\\Driver\\IrpSimFunction", FunctionDriverEntry, &Function);
    Check(NT_SUCCESS(Status), "function driver loads");
    Status = IrpSimLoadDriver(L"\\Driver\\IrpSimFilter", FilterDriverEntry, &Filter);
    Check(NT_SUCCESS(Status), "filter driver loads");
    if (Failures != 0)
        return 1;

    /* Opening the name gives the top of the stack: the filter's device. */
    Status = IoGetDeviceObjectPointer(&Name, FILE_READ_DATA, &File, &Top);
    Check(NT_SUCCESS(Status), "IoGetDeviceObjectPointer");
    if (!NT_SUCCESS(Status))
        return 1;
    printf("  top of the stack: %p (%s), stack size %d\n", (void *)Top,
           Top->DriverObject == Filter ? "the filter's device" : "?", Top->StackSize);
    Check(Top->DriverObject == Filter && Top->StackSize == 2, "the filter is on top, StackSize 2");

    SendRequest(Top, "1. completed at once by the function driver", IOCTL_FUNCTION_NOW, &Now, FALSE);
    Check(Now.Returned == STATUS_SUCCESS && Now.Status == STATUS_SUCCESS, "request 1 succeeds");
    Check(!Now.PendingReturned, "request 1 was not pending");
    Check(Now.Device == NULL && Now.Location == 3, "our routine has no slot: NULL device, location 3");
    Check(strcmp(Now.Buffer, "done at once") == 0, "request 1 answer");

    /* 2: pended by the function driver; completed later by its worker
       thread. We look at it while it is pending. */
    printf("\n== 2. pended by the function driver, completed later by its system thread\n");
    IrpSimTraceClear();
    LaterIrp = BuildRequest(Top, IOCTL_FUNCTION_LATER, &Later);
    Later.Returned = IoCallDriver(Top, LaterIrp);
    printf("  [originator] IoCallDriver returned 0x%08X\n", (unsigned)Later.Returned);
    Check(Later.Returned == STATUS_PENDING, "request 2 returns STATUS_PENDING");
    printf("  the IRP while the function driver holds it:\n");
    IrpSimDumpIrp(LaterIrp, stdout);
    /* 3: the release request is completed at once; then the function
       driver's worker completes request 2 on its own thread. We print
       nothing until request 2 is back, so the output stays in order. */
    printf("\n== 3. release: completed at once; then the worker thread completes request 2\n");
    ReleaseIrp = BuildRequest(Top, IOCTL_FUNCTION_RELEASE, &Release);
    Release.Returned = IoCallDriver(Top, ReleaseIrp);
    KeWaitForSingleObject(&Later.Done, Executive, KernelMode, FALSE, NULL);
    printf("  [originator] IoCallDriver for the release returned 0x%08X\n", (unsigned)Release.Returned);
    IoFreeIrp(ReleaseIrp);
    Check(Release.Returned == STATUS_SUCCESS && Release.Status == STATUS_SUCCESS, "request 3 succeeds");
    printf("  request 2, back with its originator:\n");
    IrpSimDumpIrp(LaterIrp, stdout);
    ShowTrace(LaterIrp);
    IoFreeIrp(LaterIrp);
    Check(Later.Status == STATUS_SUCCESS && strcmp(Later.Buffer, "done later") == 0, "request 2 succeeds later");
    Check(Later.PendingReturned, "request 2: pending reached the top (the filter propagated it)");

    SendRequest(Top, "4. failed by the function driver", IOCTL_FUNCTION_FAIL, &Fail, TRUE);
    Check(Fail.Returned == STATUS_INVALID_PARAMETER && Fail.Status == STATUS_INVALID_PARAMETER,
          "request 4 fails with STATUS_INVALID_PARAMETER");
    Check(!Fail.PendingReturned, "request 4 was not pending");

    printf("\n== closing the device, unloading the filter, then the function driver\n");
    ObDereferenceObject(File); /* IRP_MJ_CLOSE */
    Check(IrpSimUnloadDriver(Filter) == STATUS_SUCCESS, "filter unloads");
    Check(IrpSimGetShutdownLeakCount() == 0, "the filter leaves nothing behind");
    Check(IrpSimUnloadDriver(Function) == STATUS_SUCCESS, "function driver unloads");
    Check(IrpSimGetShutdownLeakCount() == 0, "the function driver leaves nothing behind");

    Leaks = IrpSimReportLeaks(NULL, stdout);
    Check(Leaks == 0, "no leaks before shutdown");
    IrpSimShutdown();
    IrpSimTraceEnable(0, NULL);
    Check(IrpSimGetShutdownLeakCount() == 0, "no leaks at shutdown");

    printf("\n%s\n", Failures == 0 ? "filter_stack_demo: everything behaved as expected."
                                   : "filter_stack_demo: FAILED");
    return Failures == 0 ? 0 : 1;
}
