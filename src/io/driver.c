/*
 * irpsim — driver objects: IrpSimLoadDriver / IrpSimUnloadDriver (what the
 * I/O manager does around DriverEntry and DriverUnload), the "invalid
 * device request" routine every MajorFunction starts with, driver object
 * extensions, and the driver leak report.
 *
 * A driver object is an object-manager object of the Driver type named
 * \Driver\<name>. Loading holds one reference; each device holds one more,
 * so a driver object outlives its unload while devices it leaked exist.
 */
#include "iop.h"
#include "../sim/simp.h"
#include "../trace/tracep.h"

#include <stdio.h>
#include <stdlib.h>

static LIST_ENTRY IopLoadedDrivers = {&IopLoadedDrivers, &IopLoadedDrivers};
/* Unloaded drivers that left something behind (leaks, pending work): kept
   alive until shutdown so every report can still name them (verifier). */
static LIST_ENTRY IopRetiredDrivers = {&IopRetiredDrivers, &IopRetiredDrivers};

static const WCHAR IopRegistryServices[] = L"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\";
static WCHAR IopHardwareDatabaseBuffer[] = L"\\REGISTRY\\MACHINE\\HARDWARE\\DESCRIPTION\\SYSTEM";
static UNICODE_STRING IopHardwareDatabase = {sizeof(IopHardwareDatabaseBuffer) - sizeof(WCHAR),
                                             sizeof(IopHardwareDatabaseBuffer), IopHardwareDatabaseBuffer};

/* A block from IoAllocateDriverObjectExtension; the caller's data follows. */
typedef struct DECLSPEC_ALIGN(16) _IOP_CLIENT_EXTENSION {
    LIST_ENTRY Link;
    PVOID ClientIdentificationAddress;
} IOP_CLIENT_EXTENSION, *PIOP_CLIENT_EXTENSION;

VOID IopFormatDriverName(PDRIVER_OBJECT Driver, PCHAR Buffer, SIZE_T Size)
{
    if (Driver == NULL)
        snprintf(Buffer, Size, "irpsim or the test (no driver)");
    else if (Driver->Type == IO_TYPE_DRIVER && Driver->DriverName.Buffer != NULL)
        snprintf(Buffer, Size, "%.*ls", (int)(Driver->DriverName.Length / sizeof(WCHAR)), Driver->DriverName.Buffer);
    else
        snprintf(Buffer, Size, "(driver %p)", (void *)Driver);
}

NTSTATUS NTAPI IopInvalidDeviceRequest(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    Irp->IoStatus.Status = STATUS_INVALID_DEVICE_REQUEST;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_INVALID_DEVICE_REQUEST;
}

/* The object manager's delete procedure: the last reference is gone. */
static VOID IopDeleteDriverObject(PVOID Object)
{
    PIOP_DRIVER_PRIVATE Private = (PIOP_DRIVER_PRIVATE)Object;
    while (!IsListEmpty(&Private->ClientExtensions)) {
        PLIST_ENTRY Link = RemoveHeadList(&Private->ClientExtensions);
        free(CONTAINING_RECORD(Link, IOP_CLIENT_EXTENSION, Link));
    }
    free(Private->Driver.DriverName.Buffer);
    free(Private->RegistryPath.Buffer);
}

VOID IopInitializeDrivers(VOID)
{
    ObpDriverObjectType.DeleteProcedure = IopDeleteDriverObject;
    PalMutexLock(&IopDatabaseLock);
    InitializeListHead(&IopLoadedDrivers);
    InitializeListHead(&IopRetiredDrivers);
    PalMutexUnlock(&IopDatabaseLock);
}

static PWSTR IopConcat(PCWSTR First, SIZE_T FirstCount, PCWSTR Second, SIZE_T SecondCount)
{
    PWSTR Result = (PWSTR)malloc((FirstCount + SecondCount + 1) * sizeof(WCHAR));
    if (Result == NULL)
        return NULL;
    memcpy(Result, First, FirstCount * sizeof(WCHAR));
    memcpy(Result + FirstCount, Second, SecondCount * sizeof(WCHAR));
    Result[FirstCount + SecondCount] = 0;
    return Result;
}

static VOID IopSetString(PUNICODE_STRING String, PWSTR Buffer)
{
    SIZE_T Count = wcslen(Buffer);
    String->Buffer = Buffer;
    String->Length = (USHORT)(Count * sizeof(WCHAR));
    String->MaximumLength = (USHORT)((Count + 1) * sizeof(WCHAR));
}

NTSTATUS IrpSimLoadDriver(PCWSTR DriverName, PDRIVER_INITIALIZE DriverEntry, PDRIVER_OBJECT *DriverObject)
{
    static const WCHAR DriverDirectory[] = L"\\Driver\\";
    PKTHREAD Thread;
    PIOP_DRIVER_PRIVATE Private;
    PDRIVER_OBJECT Driver;
    PDRIVER_OBJECT Saved;
    PWSTR FullName, RegistryPath;
    PCWSTR ServiceName;
    UNICODE_STRING Name;
    NTSTATUS Status;

    if (DriverObject != NULL)
        *DriverObject = NULL;
    if (!IrpSimIsInitialized())
        VfBugCheck(IRPSIM_INVALID_USE, (ULONG_PTR) "IrpSimLoadDriver before IrpSimInitialize", 0, 0, 0, NULL,
                   "IrpSimLoadDriver was called while the simulated machine is not running.",
                   "Call IrpSimInitialize first.");
    if (DriverName == NULL || DriverName[0] == 0 || DriverEntry == NULL || DriverObject == NULL)
        return STATUS_INVALID_PARAMETER;
    Thread = KiGetCurrentThread();
    if (Thread->Irql != PASSIVE_LEVEL)
        VfBugCheck(IRPSIM_INVALID_USE, (ULONG_PTR) "IrpSimLoadDriver above PASSIVE_LEVEL", Thread->Irql, 0, 0, NULL,
                   "IrpSimLoadDriver was called above PASSIVE_LEVEL; DriverEntry runs at PASSIVE_LEVEL.",
                   "Load drivers from the test's main flow, not from a DPC or with a spin lock held.");

    /* "\Driver\Beep" as given, or "Beep" under \Driver. */
    if (DriverName[0] == L'\\')
        FullName = IopConcat(DriverName, wcslen(DriverName), L"", 0);
    else
        FullName = IopConcat(DriverDirectory, wcslen(DriverDirectory), DriverName, wcslen(DriverName));
    if (FullName == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    ServiceName = wcsrchr(FullName, L'\\') + 1;
    RegistryPath = IopConcat(IopRegistryServices, wcslen(IopRegistryServices), ServiceName, wcslen(ServiceName));
    if (RegistryPath == NULL) {
        free(FullName);
        return STATUS_INSUFFICIENT_RESOURCES;
    }

    IopSetString(&Name, FullName);
    Status = ObpCreateObject(&ObpDriverObjectType, sizeof(IOP_DRIVER_PRIVATE), &Name, FALSE, (PVOID *)&Private);
    if (!NT_SUCCESS(Status)) {
        free(FullName);
        free(RegistryPath);
        return Status; /* STATUS_OBJECT_NAME_COLLISION: a driver of that name is loaded */
    }
    Driver = &Private->Driver;
    Driver->Type = IO_TYPE_DRIVER;
    Driver->Size = (CSHORT)sizeof(DRIVER_OBJECT);
    Driver->Flags = DRVO_LEGACY_DRIVER;
    Driver->DriverStart = (PVOID)DriverEntry;
    Driver->DriverExtension = &Private->Extension;
    Driver->DriverName = Name;
    Driver->HardwareDatabase = &IopHardwareDatabase;
    Driver->DriverInit = DriverEntry;
    for (ULONG i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        Driver->MajorFunction[i] = IopInvalidDeviceRequest;
    Private->Extension.DriverObject = Driver;
    Private->Extension.ServiceKeyName.Buffer = (PWSTR)ServiceName;
    Private->Extension.ServiceKeyName.Length = (USHORT)(wcslen(ServiceName) * sizeof(WCHAR));
    Private->Extension.ServiceKeyName.MaximumLength = (USHORT)(Private->Extension.ServiceKeyName.Length + sizeof(WCHAR));
    IopSetString(&Private->RegistryPath, RegistryPath);
    InitializeListHead(&Private->ClientExtensions);
    InitializeListHead(&Private->LoadedListEntry);

    Saved = KiEnterDriver(Thread, Driver);
    Status = DriverEntry(Driver, &Private->RegistryPath);
    KiLeaveDriver(Thread, Saved);
    TRACE_EVENT(IrpSimTraceDriverLoaded, Driver, Status, 0, 0);

    if (!NT_SUCCESS(Status)) {
        /* Windows deletes the driver object; devices the failing DriverEntry
           did not delete are leaked (and reported at shutdown). */
        ObpRemoveObjectName(Driver);
        ObDereferenceObject(Driver);
        return Status;
    }

    /* The I/O manager readies the devices a legacy driver made in DriverEntry. */
    PalMutexLock(&IopDatabaseLock);
    for (PDEVICE_OBJECT Device = Driver->DeviceObject; Device != NULL; Device = Device->NextDevice)
        Device->Flags &= ~DO_DEVICE_INITIALIZING;
    Private->Loaded = TRUE;
    InsertTailList(&IopLoadedDrivers, &Private->LoadedListEntry);
    PalMutexUnlock(&IopDatabaseLock);
    *DriverObject = Driver;
    return Status;
}

static ULONG IopReportUnloadLeaks(PDRIVER_OBJECT Driver, FILE *Stream)
{
    ULONG Leaks = 0;
    Leaks += IopReportDeviceLeaks(Driver, Stream);
    Leaks += IopReportIrpLeaks(Driver, Stream);
    Leaks += MiReportMdlLeaks(Driver, Stream);
    Leaks += ExpReportPoolLeaks(Driver, Stream);
    return Leaks;
}

NTSTATUS IrpSimUnloadDriver(PDRIVER_OBJECT DriverObject)
{
    PIOP_DRIVER_PRIVATE Private;
    PVF_UNLOAD_FINDINGS Findings = NULL;
    PKTHREAD Thread;
    BOOLEAN First;
    ULONG Leaks;

    /* A driver object the caller kept after it went away is not one any more. */
    if (DriverObject == NULL || DriverObject->Type != IO_TYPE_DRIVER ||
        !ObpIsObject(DriverObject, &ObpDriverObjectType))
        return STATUS_INVALID_PARAMETER;
    if (DriverObject->DriverUnload == NULL)
        return STATUS_INVALID_DEVICE_REQUEST; /* cannot be unloaded, as on Windows */
    Thread = KiGetCurrentThread();
    if (Thread->Irql != PASSIVE_LEVEL)
        VfBugCheck(IRPSIM_INVALID_USE, (ULONG_PTR) "IrpSimUnloadDriver above PASSIVE_LEVEL", Thread->Irql, 0, 0,
                   NULL, "IrpSimUnloadDriver was called above PASSIVE_LEVEL; DriverUnload runs at PASSIVE_LEVEL.",
                   "Unload drivers from the test's main flow.");
    Private = IopDriverPrivate(DriverObject);

    PalMutexLock(&IopDatabaseLock);
    First = (DriverObject->Flags & DRVO_UNLOAD_INVOKED) == 0;
    DriverObject->Flags |= DRVO_UNLOAD_INVOKED;
    PalMutexUnlock(&IopDatabaseLock);

    ObReferenceObject(DriverObject); /* alive until the report is written */
    if (First) {
        PDRIVER_OBJECT Saved = KiEnterDriver(Thread, DriverObject);
        DriverObject->DriverUnload(DriverObject);
        KiLeaveDriver(Thread, Saved);
        TRACE_EVENT(IrpSimTraceDriverUnloaded, DriverObject, 0, 0, 0);
        /* What is still pending or left (verifier); reported at the end,
           once the bookkeeping below is done, because it may bug check. */
        Findings = VfCollectUnloadFindings(DriverObject);
    }

    /* Everything still charged to the driver is a leak now. A driver
       unloaded before and asked again reports what it still left. */
    Leaks = IopReportUnloadLeaks(DriverObject, NULL);
    if (Leaks != 0) {
        CHAR Name[128];
        IopFormatDriverName(DriverObject, Name, sizeof(Name));
        fprintf(stderr, "irpsim: driver %s was unloaded but left %lu thing(s) behind:\n", Name,
                (unsigned long)Leaks);
        (void)IopReportUnloadLeaks(DriverObject, stderr);
    }
    IrpSimpSetLeakCount(Leaks);

    if (First) {
        BOOLEAN Retain =
            Leaks != 0 || VfUnloadLeftWork(Findings) || VfActiveSnapshot(DriverObject, FALSE, NULL, 0) != 0;
        PalMutexLock(&IopDatabaseLock);
        if (Private->Loaded) {
            RemoveEntryList(&Private->LoadedListEntry);
            InitializeListHead(&Private->LoadedListEntry);
            Private->Loaded = FALSE;
        }
        if (Retain)
            InsertTailList(&IopRetiredDrivers, &Private->LoadedListEntry);
        PalMutexUnlock(&IopDatabaseLock);
        ObpRemoveObjectName(DriverObject);
        if (!Retain)
            ObDereferenceObject(DriverObject); /* the load reference (else dropped at shutdown) */
    }
    ObDereferenceObject(DriverObject);
    VfReportUnloadFindings(Findings);
    return First ? STATUS_SUCCESS : STATUS_INVALID_DEVICE_REQUEST;
}

ULONG IopReportDriverLeaks(FILE *Stream)
{
    ULONG Count = 0;
    PalMutexLock(&IopDatabaseLock);
    for (PLIST_ENTRY Link = IopLoadedDrivers.Flink; Link != &IopLoadedDrivers; Link = Link->Flink) {
        PIOP_DRIVER_PRIVATE Private = CONTAINING_RECORD(Link, IOP_DRIVER_PRIVATE, LoadedListEntry);
        Count++;
        if (Stream != NULL) {
            CHAR Name[128];
            IopFormatDriverName(&Private->Driver, Name, sizeof(Name));
            fprintf(Stream, "irpsim: driver %s is still loaded%s\n", Name,
                    Private->Driver.DriverUnload == NULL ? " (it has no unload routine)" : "");
        }
    }
    PalMutexUnlock(&IopDatabaseLock);
    return Count;
}

VOID IopShutdownDrivers(VOID)
{
    for (;;) {
        PIOP_DRIVER_PRIVATE Retired = NULL;
        PalMutexLock(&IopDatabaseLock);
        if (!IsListEmpty(&IopRetiredDrivers)) {
            PLIST_ENTRY Link = RemoveHeadList(&IopRetiredDrivers);
            InitializeListHead(Link);
            Retired = CONTAINING_RECORD(Link, IOP_DRIVER_PRIVATE, LoadedListEntry);
        }
        PalMutexUnlock(&IopDatabaseLock);
        if (Retired == NULL)
            break;
        ObDereferenceObject(&Retired->Driver);
    }
    for (;;) {
        PIOP_DRIVER_PRIVATE Private = NULL;
        PalMutexLock(&IopDatabaseLock);
        if (!IsListEmpty(&IopLoadedDrivers)) {
            PLIST_ENTRY Link = RemoveHeadList(&IopLoadedDrivers);
            InitializeListHead(Link);
            Private = CONTAINING_RECORD(Link, IOP_DRIVER_PRIVATE, LoadedListEntry);
            Private->Loaded = FALSE;
        }
        PalMutexUnlock(&IopDatabaseLock);
        if (Private == NULL)
            return;
        ObpRemoveObjectName(&Private->Driver);
        ObDereferenceObject(&Private->Driver);
    }
}

/* ---- driver object extensions ---- */

PDRIVER_EXTENSION NTAPI IoGetDriverExtension(PDRIVER_OBJECT DriverObject)
{
    return DriverObject->DriverExtension;
}

NTSTATUS NTAPI IoAllocateDriverObjectExtension(PDRIVER_OBJECT DriverObject, PVOID ClientIdentificationAddress,
                                               ULONG DriverObjectExtensionSize, PVOID *DriverObjectExtension)
{
    PIOP_DRIVER_PRIVATE Private = IopDriverPrivate(DriverObject);
    PIOP_CLIENT_EXTENSION Block;

    *DriverObjectExtension = NULL;
    /* Part of the driver object (freed with it), so not charged to the
       driver's pool. */
    Block = (PIOP_CLIENT_EXTENSION)calloc(1, sizeof(IOP_CLIENT_EXTENSION) + DriverObjectExtensionSize);
    if (Block == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    Block->ClientIdentificationAddress = ClientIdentificationAddress;
    PalMutexLock(&IopDatabaseLock);
    for (PLIST_ENTRY Link = Private->ClientExtensions.Flink; Link != &Private->ClientExtensions; Link = Link->Flink) {
        if (CONTAINING_RECORD(Link, IOP_CLIENT_EXTENSION, Link)->ClientIdentificationAddress ==
            ClientIdentificationAddress) {
            PalMutexUnlock(&IopDatabaseLock);
            free(Block);
            return STATUS_OBJECT_NAME_COLLISION;
        }
    }
    InsertTailList(&Private->ClientExtensions, &Block->Link);
    PalMutexUnlock(&IopDatabaseLock);
    *DriverObjectExtension = Block + 1;
    return STATUS_SUCCESS;
}

PVOID NTAPI IoGetDriverObjectExtension(PDRIVER_OBJECT DriverObject, PVOID ClientIdentificationAddress)
{
    PIOP_DRIVER_PRIVATE Private = IopDriverPrivate(DriverObject);
    PVOID Found = NULL;
    PalMutexLock(&IopDatabaseLock);
    for (PLIST_ENTRY Link = Private->ClientExtensions.Flink; Link != &Private->ClientExtensions; Link = Link->Flink) {
        PIOP_CLIENT_EXTENSION Block = CONTAINING_RECORD(Link, IOP_CLIENT_EXTENSION, Link);
        if (Block->ClientIdentificationAddress == ClientIdentificationAddress) {
            Found = Block + 1;
            break;
        }
    }
    PalMutexUnlock(&IopDatabaseLock);
    return Found;
}
