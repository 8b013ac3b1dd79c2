/*
 * Devices and drivers: IoCreateDevice, IoDeleteDevice, device stacks,
 * symbolic links, IoGetDeviceObjectPointer, object references, and what
 * IrpSimLoadDriver / IrpSimUnloadDriver do around DriverEntry and
 * DriverUnload (SEMANTICS.md 2.1, A.5, 10.4).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "iotest.h"
#include "io/iop.h" /* white box: object reference counts, the current driver */
#include <irpsim/cmocka.h>
#include <irpsim/trace.h>
#include <wdmsec.h>

static int Setup(void **State)
{
    (void)State;
    IoTestLogCount = 0;
    return IrpSimInitialize(NULL) == STATUS_SUCCESS ? 0 : -1;
}

static int Teardown(void **State)
{
    (void)State;
    IrpSimShutdown();
    return 0;
}

/* ---- a legacy driver that makes its device in DriverEntry ---- */

#define NAMED_EXTENSION_SIZE 200
static PDEVICE_OBJECT NamedDevice;
static PDRIVER_OBJECT EntryDriverSeen;
static PDRIVER_OBJECT EntryChargedDriver;
static KIRQL EntryIrql;
static WCHAR EntryRegistryPath[128];
static NTSTATUS EntryStatus;
static BOOLEAN EntryLeavesDevice;

static VOID NTAPI NamedUnload(PDRIVER_OBJECT DriverObject)
{
    UNICODE_STRING Link = RTL_CONSTANT_STRING(L"\\DosDevices\\IoTestNamed");
    IoDeleteSymbolicLink(&Link);
    if (!EntryLeavesDevice && DriverObject->DeviceObject != NULL)
        IoDeleteDevice(DriverObject->DeviceObject);
}

static NTSTATUS NamedDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    IoTestLogEvent('D', DeviceObject, IoGetCurrentIrpStackLocation(Irp)->MajorFunction, Irp);
    return IoTestCompleteSuccess(DeviceObject, Irp);
}

static NTSTATUS NamedDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNICODE_STRING Name = RTL_CONSTANT_STRING(L"\\Device\\IoTestNamed");
    UNICODE_STRING Link = RTL_CONSTANT_STRING(L"\\DosDevices\\IoTestNamed");
    NTSTATUS Status;

    EntryDriverSeen = DriverObject;
    EntryChargedDriver = KiCurrentDriver();
    EntryIrql = KeGetCurrentIrql();
    memcpy(EntryRegistryPath, RegistryPath->Buffer, RegistryPath->Length);
    EntryRegistryPath[RegistryPath->Length / sizeof(WCHAR)] = 0;
    Status = IoCreateDevice(DriverObject, NAMED_EXTENSION_SIZE, &Name, FILE_DEVICE_UNKNOWN,
                            FILE_DEVICE_SECURE_OPEN, FALSE, &NamedDevice);
    if (!NT_SUCCESS(Status))
        return Status;
    /* Still initialising until DriverEntry returns. */
    assert_true(NamedDevice->Flags & DO_DEVICE_INITIALIZING);
    Status = IoCreateSymbolicLink(&Link, &Name);
    if (!NT_SUCCESS(Status)) {
        IoDeleteDevice(NamedDevice);
        return Status;
    }
    DriverObject->MajorFunction[IRP_MJ_CREATE] = NamedDispatch;
    DriverObject->MajorFunction[IRP_MJ_CLEANUP] = NamedDispatch;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = NamedDispatch;
    DriverObject->DriverUnload = NamedUnload;
    if (!NT_SUCCESS(EntryStatus)) {
        IoDeleteSymbolicLink(&Link);
        IoDeleteDevice(NamedDevice);
        NamedDevice = NULL;
    }
    return EntryStatus;
}

static PDRIVER_OBJECT LoadNamed(VOID)
{
    PDRIVER_OBJECT Driver = NULL;
    assert_int_equal(IrpSimLoadDriver(L"\\Driver\\IoTestNamed", NamedDriverEntry, &Driver), STATUS_SUCCESS);
    return Driver;
}

/* IrpSimLoadDriver: the driver object and what DriverEntry sees. */
static void TestLoadDriver(void **State)
{
    PDRIVER_OBJECT Driver;
    (void)State;
    Driver = LoadNamed();
    assert_ptr_equal(EntryDriverSeen, Driver);
    assert_ptr_equal(EntryChargedDriver, Driver); /* work in DriverEntry is charged to it */
    assert_int_equal(EntryIrql, PASSIVE_LEVEL);
    assert_int_equal(Driver->Type, IO_TYPE_DRIVER);
    assert_int_equal(Driver->Size, sizeof(DRIVER_OBJECT));
    assert_int_equal(Driver->DriverName.Length, wcslen(L"\\Driver\\IoTestNamed") * sizeof(WCHAR));
    assert_memory_equal(Driver->DriverName.Buffer, L"\\Driver\\IoTestNamed", Driver->DriverName.Length);
    assert_ptr_equal(Driver->DriverExtension->DriverObject, Driver);
    assert_memory_equal(Driver->DriverExtension->ServiceKeyName.Buffer, L"IoTestNamed",
                        Driver->DriverExtension->ServiceKeyName.Length);
    assert_true(wcscmp(EntryRegistryPath, L"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\IoTestNamed") ==
                0);
    assert_ptr_equal(Driver->DriverInit, NamedDriverEntry);
    /* Unset entries keep the I/O manager's invalid-request routine. */
    assert_non_null(Driver->MajorFunction[IRP_MJ_READ]);
    assert_ptr_equal(Driver->MajorFunction[IRP_MJ_READ], Driver->MajorFunction[IRP_MJ_PNP]);
    assert_int_equal(IrpSimUnloadDriver(Driver), STATUS_SUCCESS);
    assert_int_equal(IrpSimGetShutdownLeakCount(), 0);
}

/* IoCreateDevice field values; DO_DEVICE_INITIALIZING cleared by the
   loader for devices made in DriverEntry. */
static void TestCreateDeviceFields(void **State)
{
    PDRIVER_OBJECT Driver;
    PDEVICE_OBJECT Later;
    PUCHAR Extension;
    (void)State;
    Driver = LoadNamed();
    assert_int_equal(NamedDevice->Type, IO_TYPE_DEVICE);
    assert_int_equal(NamedDevice->Size, sizeof(DEVICE_OBJECT) + NAMED_EXTENSION_SIZE);
    assert_int_equal(NamedDevice->StackSize, 1);
    assert_ptr_equal(NamedDevice->DriverObject, Driver);
    assert_ptr_equal(Driver->DeviceObject, NamedDevice);
    assert_null(NamedDevice->NextDevice);
    assert_null(NamedDevice->AttachedDevice);
    assert_int_equal(NamedDevice->DeviceType, FILE_DEVICE_UNKNOWN);
    assert_int_equal(NamedDevice->Characteristics, FILE_DEVICE_SECURE_OPEN);
    assert_int_equal(NamedDevice->ReferenceCount, 0);
    assert_int_equal(NamedDevice->AlignmentRequirement, 0);
    assert_false(NamedDevice->Flags & DO_DEVICE_INITIALIZING);
    assert_true(NamedDevice->Flags & DO_DEVICE_HAS_NAME);
    assert_false(NamedDevice->Flags & DO_EXCLUSIVE);
    Extension = (PUCHAR)NamedDevice->DeviceExtension;
    assert_non_null(Extension);
    assert_int_equal((ULONG_PTR)Extension % 16, 0);
    for (ULONG i = 0; i < NAMED_EXTENSION_SIZE; i++)
        assert_int_equal(Extension[i], 0);
    assert_int_equal(NamedDevice->DeviceObjectExtension->Type, IO_TYPE_DEVICE_OBJECT_EXTENSION);
    assert_ptr_equal(NamedDevice->DeviceObjectExtension->DeviceObject, NamedDevice);
    assert_null(NamedDevice->DeviceObjectExtension->AttachedTo);

    /* A device made later (AddDevice style) stays initialising until its
       driver clears the flag; DO_EXCLUSIVE when asked; no extension. */
    assert_int_equal(IoCreateDevice(Driver, 0, NULL, FILE_DEVICE_DISK, 0, TRUE, &Later), STATUS_SUCCESS);
    assert_true(Later->Flags & DO_DEVICE_INITIALIZING);
    assert_true(Later->Flags & DO_EXCLUSIVE);
    assert_false(Later->Flags & DO_DEVICE_HAS_NAME);
    assert_null(Later->DeviceExtension);
    assert_ptr_equal(Driver->DeviceObject, Later); /* newest first */
    assert_ptr_equal(Later->NextDevice, NamedDevice);
    IoDeleteDevice(Later);
    assert_ptr_equal(Driver->DeviceObject, NamedDevice);
    IrpSimUnloadDriver(Driver);
}

/* A taken name is STATUS_OBJECT_NAME_COLLISION. */
static void TestNameCollision(void **State)
{
    PDRIVER_OBJECT Driver;
    UNICODE_STRING Name = RTL_CONSTANT_STRING(L"\\Device\\IoTestNamed");
    PDEVICE_OBJECT Second = NULL;
    (void)State;
    Driver = LoadNamed();
    assert_int_equal(IoCreateDevice(Driver, 0, &Name, FILE_DEVICE_UNKNOWN, 0, FALSE, &Second),
                     STATUS_OBJECT_NAME_COLLISION);
    assert_null(Second);
    IrpSimUnloadDriver(Driver);
}

/* A failing DriverEntry: its status comes back and the driver object is
   gone (the name can be loaded again). */
static void TestFailingDriverEntry(void **State)
{
    PDRIVER_OBJECT Driver = (PDRIVER_OBJECT)1;
    (void)State;
    EntryStatus = STATUS_INSUFFICIENT_RESOURCES;
    assert_int_equal(IrpSimLoadDriver(L"\\Driver\\IoTestNamed", NamedDriverEntry, &Driver),
                     STATUS_INSUFFICIENT_RESOURCES);
    EntryStatus = STATUS_SUCCESS;
    assert_null(Driver);
    Driver = LoadNamed();
    IrpSimUnloadDriver(Driver);
}

/* IrpSimUnloadDriver reports a device the driver did not delete; a driver
   without an unload routine cannot be unloaded. */
static void TestUnloadReportsLeakedDevice(void **State)
{
    PDRIVER_OBJECT Driver;
    PDEVICE_OBJECT Leaked;
    (void)State;
    Driver = LoadNamed();
    Leaked = NamedDevice;
    EntryLeavesDevice = TRUE;
    assert_int_equal(IrpSimUnloadDriver(Driver), STATUS_SUCCESS);
    EntryLeavesDevice = FALSE;
    assert_int_equal(IrpSimGetShutdownLeakCount(), 1);
    /* The driver object lives on while its device does. */
    assert_int_equal(Leaked->DriverObject->Type, IO_TYPE_DRIVER);
    IoDeleteDevice(Leaked);

    Driver = IoTestLoad(L"\\Driver\\IoTestNoUnload");
    Driver->DriverUnload = NULL;
    assert_int_equal(IrpSimUnloadDriver(Driver), STATUS_INVALID_DEVICE_REQUEST);
}

/* Object references on devices are real: a referenced device outlives
   IoDeleteDevice (nameless) until the last ObDereferenceObject. */
static void TestDeviceReferences(void **State)
{
    PDRIVER_OBJECT Driver = IoTestLoad(L"\\Driver\\IoTest");
    PDEVICE_OBJECT Device = IoTestCreateDevice(Driver, L"\\Device\\IoTestRef", NULL);
    UNICODE_STRING Name = RTL_CONSTANT_STRING(L"\\Device\\IoTestRef");
    PFILE_OBJECT File;
    PDEVICE_OBJECT Found;
    LONG_PTR Count;
    (void)State;
    Count = ObpGetPointerCount(Device);
    ObReferenceObject(Device);
    assert_int_equal(ObpGetPointerCount(Device), Count + 1);
    IoDeleteDevice(Device);
    assert_int_equal(ObpGetPointerCount(Device), Count);
    assert_int_equal(Device->Type, IO_TYPE_DEVICE); /* still here */
    assert_int_equal(IoGetDeviceObjectPointer(&Name, FILE_READ_DATA, &File, &Found), STATUS_OBJECT_NAME_NOT_FOUND);
    /* Deleting it again is 0xC9/0x240. */
    irpsim_assert_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IoDeleteDevice(Device));
    irpsim_assert_bugcheck_parameter(0, 0x240);
    ObDereferenceObject(Device);
    IrpSimUnloadDriver(Driver);
    assert_int_equal(IrpSimGetShutdownLeakCount(), 0);
}

/* Device stacks: StackSize = lower + 1, the chain both ways, alignment
   copied, the walkers, and a double detach (0xC9/0x202). */
static void TestDeviceStacking(void **State)
{
    PDRIVER_OBJECT Driver = IoTestLoad(L"\\Driver\\IoTest");
    PDEVICE_OBJECT Bottom = IoTestCreateDevice(Driver, NULL, NULL);
    PDEVICE_OBJECT Middle = IoTestCreateDevice(Driver, NULL, NULL);
    PDEVICE_OBJECT Top = IoTestCreateDevice(Driver, NULL, NULL);
    PDEVICE_OBJECT Other = IoTestCreateDevice(Driver, NULL, NULL);
    PDEVICE_OBJECT Result;
    LONG_PTR Count;
    (void)State;
    Bottom->AlignmentRequirement = FILE_LONG_ALIGNMENT;
    Bottom->StackSize = 2; /* as if it were itself attached to something */
    assert_ptr_equal(IoTestAttach(Middle, Bottom), Bottom);
    /* Attaching to the bottom attaches to the top of its stack. */
    assert_int_equal(IoAttachDeviceToDeviceStackSafe(Top, Bottom, &Result), STATUS_SUCCESS);
    IoTestExtension(Top)->Lower = Result;
    assert_ptr_equal(Result, Middle);
    assert_int_equal(Middle->StackSize, 3);
    assert_int_equal(Top->StackSize, 4);
    assert_int_equal(Middle->AlignmentRequirement, FILE_LONG_ALIGNMENT);
    assert_int_equal(Top->AlignmentRequirement, FILE_LONG_ALIGNMENT);
    assert_ptr_equal(Bottom->AttachedDevice, Middle);
    assert_ptr_equal(Middle->AttachedDevice, Top);
    assert_ptr_equal(Top->DeviceObjectExtension->AttachedTo, Middle);
    assert_ptr_equal(Middle->DeviceObjectExtension->AttachedTo, Bottom);
    assert_ptr_equal(IoGetAttachedDevice(Bottom), Top);
    Count = ObpGetPointerCount(Top);
    assert_ptr_equal(IoGetAttachedDeviceReference(Bottom), Top);
    assert_int_equal(ObpGetPointerCount(Top), Count + 1);
    ObDereferenceObject(Top);
    Result = IoGetLowerDeviceObject(Top);
    assert_ptr_equal(Result, Middle);
    ObDereferenceObject(Result);
    assert_null(IoGetLowerDeviceObject(Bottom));
    /* The flags are the attacher's business. */
    assert_false(Top->Flags & DO_DIRECT_IO);

    IoDetachDevice(Middle);
    assert_null(Middle->AttachedDevice);
    assert_null(Top->DeviceObjectExtension->AttachedTo);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IoDetachDevice(Middle));
    irpsim_assert_bugcheck_parameter(0, 0x202);
    irpsim_assert_bugcheck_parameter(3, Middle);
    IoTestExtension(Top)->Lower = NULL;
    (void)Other;
    IrpSimUnloadDriver(Driver);
    assert_int_equal(IrpSimGetShutdownLeakCount(), 0);
}

/* Deleting a device another one is attached to is 0xC9/0x201. */
static void TestDeleteAttachedDevice(void **State)
{
    PDRIVER_OBJECT Driver = IoTestLoad(L"\\Driver\\IoTest");
    PDEVICE_OBJECT Bottom = IoTestCreateDevice(Driver, NULL, NULL);
    PDEVICE_OBJECT Top = IoTestCreateDevice(Driver, NULL, NULL);
    (void)State;
    IoTestAttach(Top, Bottom);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IoDeleteDevice(Bottom));
    irpsim_assert_bugcheck_parameter(0, 0x201);
    irpsim_assert_bugcheck_parameter(3, Bottom);
    IrpSimUnloadDriver(Driver);
}

/* Symbolic links: \DosDevices\X and \??\X name the same link; opening
   through it sends IRP_MJ_CREATE and IRP_MJ_CLEANUP (the handle
   IoGetDeviceObjectPointer opened is closed again), and dropping the file
   object sends IRP_MJ_CLOSE (A.5). */
static void TestSymbolicLinksAndOpen(void **State)
{
    static const PCWSTR Spellings[] = {L"\\??\\IoTestNamed", L"\\DosDevices\\IoTestNamed",
                                       L"\\Device\\IoTestNamed"};
    PDRIVER_OBJECT Driver;
    (void)State;
    Driver = LoadNamed();
    for (ULONG i = 0; i < RTL_NUMBER_OF(Spellings); i++) {
        UNICODE_STRING Name;
        PFILE_OBJECT File;
        PDEVICE_OBJECT Device;
        IoTestLogCount = 0;
        RtlInitUnicodeString(&Name, Spellings[i]);
        assert_int_equal(IoGetDeviceObjectPointer(&Name, FILE_READ_DATA, &File, &Device), STATUS_SUCCESS);
        assert_ptr_equal(Device, NamedDevice);
        assert_ptr_equal(File->DeviceObject, NamedDevice);
        assert_ptr_equal(IoGetRelatedDeviceObject(File), NamedDevice);
        assert_int_equal(File->Type, IO_TYPE_FILE);
        assert_int_equal(NamedDevice->ReferenceCount, 1);
        assert_int_equal(IoTestLogCount, 2);
        assert_int_equal(IoTestLog[0].Tag, IRP_MJ_CREATE);
        assert_int_equal(IoTestLog[1].Tag, IRP_MJ_CLEANUP);
        ObDereferenceObject(File);
        assert_int_equal(IoTestLogCount, 3);
        assert_int_equal(IoTestLog[2].Tag, IRP_MJ_CLOSE);
        assert_int_equal(NamedDevice->ReferenceCount, 0);
    }
    {
        UNICODE_STRING Link = RTL_CONSTANT_STRING(L"\\??\\IoTestNamed");
        UNICODE_STRING Dos = RTL_CONSTANT_STRING(L"\\DosDevices\\IoTestNamed");
        UNICODE_STRING Target = RTL_CONSTANT_STRING(L"\\Device\\IoTestNamed");
        PFILE_OBJECT File;
        PDEVICE_OBJECT Device;
        /* The same link under the other spelling is taken. */
        assert_int_equal(IoCreateSymbolicLink(&Link, &Target), STATUS_OBJECT_NAME_COLLISION);
        assert_int_equal(IoDeleteSymbolicLink(&Link), STATUS_SUCCESS);
        assert_int_equal(IoGetDeviceObjectPointer(&Dos, FILE_READ_DATA, &File, &Device), STATUS_OBJECT_NAME_NOT_FOUND);
        assert_int_equal(IoCreateUnprotectedSymbolicLink(&Dos, &Target), STATUS_SUCCESS);
    }
    IrpSimUnloadDriver(Driver);
    assert_int_equal(IrpSimGetShutdownLeakCount(), 0);
}

/* Opening an exclusive device twice fails; a device still initialising
   cannot be opened. */
static void TestExclusiveAndInitializing(void **State)
{
    PDRIVER_OBJECT Driver = IoTestLoad(L"\\Driver\\IoTest");
    UNICODE_STRING Name = RTL_CONSTANT_STRING(L"\\Device\\IoTestExclusive");
    PDEVICE_OBJECT Device, Found;
    PFILE_OBJECT First, Second;
    (void)State;
    assert_int_equal(IoCreateDevice(Driver, sizeof(IOTEST_EXTENSION), &Name, FILE_DEVICE_UNKNOWN, 0, TRUE, &Device),
                     STATUS_SUCCESS);
    assert_int_equal(IoGetDeviceObjectPointer(&Name, FILE_READ_DATA, &First, &Found), STATUS_NO_SUCH_DEVICE);
    Device->Flags &= ~DO_DEVICE_INITIALIZING;
    assert_int_equal(IoGetDeviceObjectPointer(&Name, FILE_READ_DATA, &First, &Found), STATUS_SUCCESS);
    assert_int_equal(IoGetDeviceObjectPointer(&Name, FILE_READ_DATA, &Second, &Found), STATUS_ACCESS_DENIED);
    ObDereferenceObject(First);
    assert_int_equal(IoGetDeviceObjectPointer(&Name, FILE_READ_DATA, &Second, &Found), STATUS_SUCCESS);
    ObDereferenceObject(Second);
    IrpSimUnloadDriver(Driver);
}

/* IoCreateDeviceSecure: the SDDL string is required; otherwise it is
   IoCreateDevice (irpsim has no security model). */
static void TestCreateDeviceSecure(void **State)
{
    PDRIVER_OBJECT Driver = IoTestLoad(L"\\Driver\\IoTest");
    UNICODE_STRING Sddl = RTL_CONSTANT_STRING(SDDL_DEVOBJ_SYS_ALL_ADM_ALL);
    UNICODE_STRING Name = RTL_CONSTANT_STRING(L"\\Device\\IoTestSecure");
    PDEVICE_OBJECT Device = NULL;
    (void)State;
    assert_int_equal(IoCreateDeviceSecure(Driver, 0, &Name, FILE_DEVICE_UNKNOWN, 0, FALSE, NULL, NULL, &Device),
                     STATUS_INVALID_PARAMETER);
    assert_int_equal(IoCreateDeviceSecure(Driver, 16, &Name, FILE_DEVICE_UNKNOWN, 0, FALSE, &Sddl, NULL, &Device),
                     STATUS_SUCCESS);
    assert_int_equal(Device->Type, IO_TYPE_DEVICE);
    assert_true(Device->Flags & DO_DEVICE_HAS_NAME);
    IrpSimUnloadDriver(Driver);
    assert_int_equal(IrpSimGetShutdownLeakCount(), 0);
}

/* IoAllocateDriverObjectExtension: one per client address. */
static void TestDriverObjectExtension(void **State)
{
    PDRIVER_OBJECT Driver = IoTestLoad(L"\\Driver\\IoTest");
    PVOID Extension, Again;
    static int ClientA, ClientB;
    (void)State;
    assert_int_equal(IoAllocateDriverObjectExtension(Driver, &ClientA, 64, &Extension), STATUS_SUCCESS);
    assert_non_null(Extension);
    assert_int_equal(((PUCHAR)Extension)[63], 0);
    assert_ptr_equal(IoGetDriverObjectExtension(Driver, &ClientA), Extension);
    assert_null(IoGetDriverObjectExtension(Driver, &ClientB));
    assert_int_equal(IoAllocateDriverObjectExtension(Driver, &ClientA, 8, &Again), STATUS_OBJECT_NAME_COLLISION);
    assert_null(Again);
    assert_ptr_equal(IoGetDriverExtension(Driver), Driver->DriverExtension);
    IrpSimUnloadDriver(Driver);
}

/* Error log entries: sized and zeroed for the caller; writing one records
   it (there is no event log: the trace gets a note) and frees it. */
static void TestErrorLogEntry(void **State)
{
    PDRIVER_OBJECT Driver = IoTestLoad(L"\\Driver\\IoTest");
    PDEVICE_OBJECT Device = IoTestCreateDevice(Driver, NULL, NULL);
    UCHAR Size = (UCHAR)(sizeof(IO_ERROR_LOG_PACKET) + 2 * sizeof(ULONG));
    PIO_ERROR_LOG_PACKET Entry;
    IRPSIM_TRACE_EVENT Event;
    ULONG Index = 0;
    (void)State;
    assert_null(IoAllocateErrorLogEntry(Device, sizeof(IO_ERROR_LOG_PACKET) - 1));
    Entry = (PIO_ERROR_LOG_PACKET)IoAllocateErrorLogEntry(Device, Size);
    assert_non_null(Entry);
    assert_int_equal(Entry->ErrorCode, 0);
    assert_int_equal(Entry->DumpData[2], 0);
    Entry->ErrorCode = (NTSTATUS)0xC0040005;
    Entry->UniqueErrorValue = 7;
    Entry->FinalStatus = STATUS_IO_TIMEOUT;
    IoWriteErrorLogEntry(Entry);
    assert_true(IrpSimTraceFind(&Index, IrpSimTraceNote, Device, &Event));
    assert_non_null(strstr(Event.Text, "ErrorLog C0040005"));
    IoFreeErrorLogEntry(IoAllocateErrorLogEntry(Driver, Size));
    IrpSimUnloadDriver(Driver);
}

IRPSIM_TRACED_FIXTURES(SetupTraced, TeardownTraced, Setup, Teardown)

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(TestLoadDriver, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestCreateDeviceFields, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestNameCollision, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestFailingDriverEntry, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestUnloadReportsLeakedDevice, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestDeviceReferences, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestDeviceStacking, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestDeleteAttachedDevice, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestSymbolicLinksAndOpen, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestExclusiveAndInitializing, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestDriverObjectExtension, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestCreateDeviceSecure, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestErrorLogEntry, SetupTraced, TeardownTraced),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
