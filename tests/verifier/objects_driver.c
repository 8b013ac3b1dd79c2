/*
 * The kernel-object driver (see objects_driver.h).
 */
#include "objects_driver.h"

#define OBJECTS_TAG 'jbOT'

BOOLEAN ObjectsInitialise = TRUE;
PDEVICE_OBJECT ObjectsDevice;
static KDPC ObjectsBlocker;
static volatile LONG ObjectsBlockerGo, ObjectsBlockerRunning;

static POBJECTS_EXTENSION ObjectsExtension(VOID)
{
    return (POBJECTS_EXTENSION)ObjectsDevice->DeviceExtension;
}

static VOID ObjectsDeferred(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2)
{
    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(Argument1);
    UNREFERENCED_PARAMETER(Argument2);
}

static VOID ObjectsSpin(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2)
{
    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(Argument1);
    UNREFERENCED_PARAMETER(Argument2);
    __atomic_store_n(&ObjectsBlockerRunning, 1, __ATOMIC_SEQ_CST);
    while (!__atomic_load_n(&ObjectsBlockerGo, __ATOMIC_SEQ_CST))
        YieldProcessor();
}

VOID ObjectsBlockProcessor(VOID)
{
    __atomic_store_n(&ObjectsBlockerGo, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&ObjectsBlockerRunning, 0, __ATOMIC_SEQ_CST);
    KeInitializeDpc(&ObjectsBlocker, ObjectsSpin, NULL);
    KeSetTargetProcessorDpc(&ObjectsBlocker, 0);
    KeInsertQueueDpc(&ObjectsBlocker, NULL, NULL);
    while (!__atomic_load_n(&ObjectsBlockerRunning, __ATOMIC_SEQ_CST))
        YieldProcessor();
}

VOID ObjectsReleaseProcessor(VOID)
{
    __atomic_store_n(&ObjectsBlockerGo, 1, __ATOMIC_SEQ_CST);
    KeFlushQueuedDpcs();
}

VOID ObjectsSignal(VOID)
{
    KeSetEvent(&ObjectsExtension()->Event, IO_NO_INCREMENT, FALSE);
}

static LARGE_INTEGER ObjectsOneHour(VOID)
{
    LARGE_INTEGER Due;
    Due.QuadPart = -36000000000LL; /* relative: one hour */
    return Due;
}

VOID ObjectsArmTimer(VOID)
{
    KeSetTimer(&ObjectsExtension()->Timer, ObjectsOneHour(), NULL);
}

VOID ObjectsQueueDpc(VOID)
{
    KeInsertQueueDpc(&ObjectsExtension()->Dpc, NULL, NULL);
}

BOOLEAN ObjectsQueueEntry(PKDEVICE_QUEUE_ENTRY Entry)
{
    KIRQL Old;
    BOOLEAN Inserted;
    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    Inserted = KeInsertDeviceQueue(&ObjectsExtension()->Queue, Entry);
    KeLowerIrql(Old);
    return Inserted;
}

NTSTATUS ObjectsQueueIrp(PIRP Irp)
{
    return IoCsqInsertIrpEx(&ObjectsExtension()->Csq.Csq, Irp, NULL, NULL);
}

VOID ObjectsReinitialiseTimer(VOID)
{
    KeInitializeTimer(&ObjectsExtension()->Timer);
}

VOID ObjectsReinitialiseDpc(VOID)
{
    KeInitializeDpc(&ObjectsExtension()->Dpc, ObjectsDeferred, NULL);
}

VOID ObjectsUndo(VOID)
{
    (void)KeCancelTimer(&ObjectsExtension()->Timer);
    (void)KeRemoveQueueDpc(&ObjectsExtension()->Dpc);
}

POBJECTS_CONTEXT ObjectsNewContext(VOID)
{
    POBJECTS_CONTEXT Context =
        (POBJECTS_CONTEXT)ExAllocatePoolWithTag(NonPagedPool, sizeof(OBJECTS_CONTEXT), OBJECTS_TAG);
    if (Context == NULL)
        return NULL;
    KeInitializeTimer(&Context->Timer);
    KeInitializeDpc(&Context->Dpc, ObjectsDeferred, Context);
    KeSetTargetProcessorDpc(&Context->Dpc, 0);
    Context->ResourceLive = FALSE;
    return Context;
}

NTSTATUS ObjectsInitializeResource(POBJECTS_CONTEXT Context)
{
    NTSTATUS Status = ExInitializeResourceLite(&Context->Resource);
    Context->ResourceLive = NT_SUCCESS(Status);
    return Status;
}

VOID ObjectsFreeContext(POBJECTS_CONTEXT Context, BOOLEAN CancelFirst)
{
    if (CancelFirst) {
        (void)KeCancelTimer(&Context->Timer);
        (void)KeRemoveQueueDpc(&Context->Dpc);
        if (Context->ResourceLive)
            (void)ExDeleteResourceLite(&Context->Resource);
        Context->ResourceLive = FALSE;
    }
    ExFreePoolWithTag(Context, OBJECTS_TAG);
}

static VOID ObjectsUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    if (ObjectsInitialise)
        ObjectsUndo();
    KeFlushQueuedDpcs();
    IoDeleteDevice(ObjectsDevice);
}

NTSTATUS ObjectsDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    POBJECTS_EXTENSION Extension;
    NTSTATUS Status;
    UNREFERENCED_PARAMETER(RegistryPath);
    DriverObject->DriverUnload = ObjectsUnload;
    Status =
        IoCreateDevice(DriverObject, sizeof(OBJECTS_EXTENSION), NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &ObjectsDevice);
    if (!NT_SUCCESS(Status))
        return Status;
    Extension = (POBJECTS_EXTENSION)ObjectsDevice->DeviceExtension;
    RtlZeroMemory(Extension, sizeof(*Extension));
    ListCsqInitializeStorage(&Extension->Csq);
    if (ObjectsInitialise) {
        KeInitializeEvent(&Extension->Event, NotificationEvent, FALSE);
        KeInitializeTimer(&Extension->Timer);
        KeInitializeDpc(&Extension->Dpc, ObjectsDeferred, NULL);
        KeSetTargetProcessorDpc(&Extension->Dpc, 0);
        KeInitializeDeviceQueue(&Extension->Queue);
        (void)ListCsqInitialize(&Extension->Csq);
    }
    return STATUS_SUCCESS;
}
