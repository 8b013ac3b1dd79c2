/*
 * Object manager: reference counts, the namespace and symbolic links, and
 * the handle table shared by the driver side and the Win32 side
 * (ObReferenceObject, ObReferenceObjectByHandle, ZwClose).
 */
#include <ntddk.h>
#include <irpsim/irpsim.h>
#include "ob/obp.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <irpsim/cmocka.h>

static int Setup(void **State)
{
    (void)State;
    return NT_SUCCESS(IrpSimInitialize(NULL)) ? 0 : -1;
}

static int Teardown(void **State)
{
    (void)State;
    IrpSimShutdown();
    return 0;
}

static ULONG Deleted;
static VOID TestDelete(PVOID Object)
{
    (void)Object;
    Deleted++;
}

static OBJECT_TYPE TestType = {L"IrpSimTest", {READ_CONTROL | 1, 2, 4, 7}, STANDARD_RIGHTS_ALL | 7,
                               TestDelete, NULL, {&TestType.ObjectListHead, &TestType.ObjectListHead}, 0};

/* ObReferenceObject / ObDereferenceObject return the new pointer count; the
   object is deleted when it reaches zero. */
static void test_reference_counts(void **State)
{
    PVOID Object;
    (void)State;
    Deleted = 0;
    assert_int_equal(ObpCreateObject(&TestType, 32, NULL, FALSE, &Object), STATUS_SUCCESS);
    assert_int_equal(ObReferenceObject(Object), 2);
    assert_int_equal(ObDereferenceObject(Object), 1);
    assert_int_equal(Deleted, 0);
    assert_int_equal(ObDereferenceObject(Object), 0);
    assert_int_equal(Deleted, 1);
}

/* Dereferencing a deleted object is reported (Driver Verifier 0xC4/0x3F),
   never silently corrupting memory. */
static void test_dereference_after_delete_bugchecks(void **State)
{
    PVOID Object;
    (void)State;
    assert_int_equal(ObpCreateObject(&TestType, 32, NULL, FALSE, &Object), STATUS_SUCCESS);
    ObDereferenceObject(Object);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, ObDereferenceObject(Object));
    irpsim_assert_bugcheck_parameter(0, 0x3F);
    irpsim_assert_bugcheck_parameter(1, Object);
}

/* The reference a caller holding a lock takes (the I/O manager under its
   database lock, as Windows' IoGetAttachedDeviceReference does): a live
   object gains one reference; a deleted object, or memory that is not an
   object, is refused without a bug check and without a reference, and
   ObReferenceObject reports it once the lock is dropped. */
static void test_reference_if_alive(void **State)
{
    static struct {
        ULONG_PTR Padding[16];
        KEVENT Event;
    } NotAnObject;
    PVOID Object;
    (void)State;
    assert_int_equal(ObpCreateObject(&TestType, 32, NULL, FALSE, &Object), STATUS_SUCCESS);
    assert_true(ObpReferenceObjectIfAlive(Object));
    assert_int_equal(ObpGetPointerCount(Object), 2);
    assert_int_equal(ObDereferenceObject(Object), 1);
    assert_int_equal(ObDereferenceObject(Object), 0);
    assert_false(ObpReferenceObjectIfAlive(Object)); /* deleted: no bug check here */
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, ObReferenceObject(Object));
    irpsim_assert_bugcheck_parameter(0, 0x3F);
    irpsim_assert_bugcheck_parameter(1, Object);
    assert_false(ObpReferenceObjectIfAlive(&NotAnObject.Event));
    assert_false(ObpReferenceObjectIfAlive(NULL));
}

/* ObReferenceObject on memory that is not an object (here a KEVENT that a
   driver embedded in its own structure) is reported. */
static void test_reference_of_non_object_bugchecks(void **State)
{
    static struct {
        ULONG_PTR Padding[16];
        KEVENT Event;
    } NotAnObject;
    (void)State;
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, ObReferenceObject(&NotAnObject.Event));
    irpsim_assert_bugcheck_parameter(0, 0x3F);
}

/* Names are looked up without regard to case; \DosDevices\X, \GLOBAL??\X
   and \??\X are the same name; a symbolic link resolves to its target and
   the rest of the path is returned as the remainder. */
static void test_namespace_and_symbolic_links(void **State)
{
    UNICODE_STRING DeviceName = RTL_CONSTANT_STRING(L"\\Device\\IrpSimOb");
    UNICODE_STRING LinkName = RTL_CONSTANT_STRING(L"\\DosDevices\\IrpSimOb");
    UNICODE_STRING ViaLink = RTL_CONSTANT_STRING(L"\\??\\irpsimob\\some\\file");
    UNICODE_STRING ViaGlobal = RTL_CONSTANT_STRING(L"\\GLOBAL??\\IrpSimOb");
    UNICODE_STRING Missing = RTL_CONSTANT_STRING(L"\\??\\NoSuchName");
    UNICODE_STRING MissingPath = RTL_CONSTANT_STRING(L"\\NoSuchDirectory\\X");
    WCHAR RemainderBuffer[64];
    UNICODE_STRING Remainder = {0, sizeof(RemainderBuffer), RemainderBuffer};
    PVOID Object;
    PVOID Found;
    (void)State;

    assert_int_equal(ObpCreateObject(&TestType, 16, &DeviceName, FALSE, &Object), STATUS_SUCCESS);
    assert_int_equal(ObpCreateObject(&TestType, 16, &DeviceName, FALSE, &Found), STATUS_OBJECT_NAME_COLLISION);
    assert_int_equal(ObpCreateSymbolicLink(&LinkName, &DeviceName, NULL), STATUS_SUCCESS);

    assert_int_equal(ObpLookupObjectName(&ViaLink, NULL, &Found, &Remainder), STATUS_SUCCESS);
    assert_ptr_equal(Found, Object);
    assert_int_equal(Remainder.Length, wcslen(L"\\some\\file") * sizeof(WCHAR));
    assert_memory_equal(Remainder.Buffer, L"\\some\\file", Remainder.Length);
    ObDereferenceObject(Found);

    assert_int_equal(ObpLookupObjectName(&ViaGlobal, &TestType, &Found, NULL), STATUS_SUCCESS);
    ObDereferenceObject(Found);
    assert_int_equal(ObpLookupObjectName(&ViaGlobal, &ObpEventObjectType, &Found, NULL), STATUS_OBJECT_TYPE_MISMATCH);
    assert_int_equal(ObpLookupObjectName(&Missing, NULL, &Found, NULL), STATUS_OBJECT_NAME_NOT_FOUND);
    assert_int_equal(ObpLookupObjectName(&MissingPath, NULL, &Found, NULL), STATUS_OBJECT_PATH_NOT_FOUND);

    assert_int_equal(ObpDeleteSymbolicLink(&LinkName), STATUS_SUCCESS);
    /* With the link gone, \??\IrpSimOb is a missing name, and anything
       below it is a missing path. */
    assert_int_equal(ObpLookupObjectName(&LinkName, NULL, &Found, NULL), STATUS_OBJECT_NAME_NOT_FOUND);
    assert_int_equal(ObpLookupObjectName(&ViaLink, NULL, &Found, NULL), STATUS_OBJECT_PATH_NOT_FOUND);
    assert_int_equal(ObpDeleteSymbolicLink(&LinkName), STATUS_OBJECT_NAME_NOT_FOUND);
    ObDereferenceObject(Object);
    /* The name went with the object. */
    assert_int_equal(ObpLookupObjectName(&DeviceName, NULL, &Found, NULL), STATUS_OBJECT_NAME_NOT_FOUND);
}

/* Handles: ObReferenceObjectByHandle checks type (STATUS_OBJECT_TYPE_MISMATCH),
   access for UserMode callers (STATUS_ACCESS_DENIED) and refuses kernel
   handles from UserMode (STATUS_INVALID_HANDLE); ZwClose of a closed handle
   fails with STATUS_INVALID_HANDLE. */
static void test_handles(void **State)
{
    PVOID Object;
    PVOID Found;
    HANDLE User;
    HANDLE Kernel;
    OBJECT_HANDLE_INFORMATION Info;
    (void)State;
    assert_int_equal(ObpCreateObject(&TestType, 16, NULL, FALSE, &Object), STATUS_SUCCESS);
    assert_int_equal(ObpCreateHandle(Object, 1 /* read-ish */, 0, &User), STATUS_SUCCESS);
    assert_int_equal(ObpCreateHandle(Object, 7, OBJ_KERNEL_HANDLE, &Kernel), STATUS_SUCCESS);
    assert_int_equal((ULONG_PTR)User % 4, 0);
    assert_true((LONG_PTR)Kernel < 0);
    assert_int_equal(ObpGetHandleCount(Object), 2);

    assert_int_equal(ObReferenceObjectByHandle(User, 1, &TestType, UserMode, &Found, &Info), STATUS_SUCCESS);
    assert_ptr_equal(Found, Object);
    assert_int_equal(Info.GrantedAccess, 1);
    ObDereferenceObject(Found);
    assert_int_equal(ObReferenceObjectByHandle(User, 2, &TestType, UserMode, &Found, NULL), STATUS_ACCESS_DENIED);
    /* Kernel-mode callers are not access-checked. */
    assert_int_equal(ObReferenceObjectByHandle(User, 2, &TestType, KernelMode, &Found, NULL), STATUS_SUCCESS);
    ObDereferenceObject(Found);
    assert_int_equal(ObReferenceObjectByHandle(User, 0, &ObpEventObjectType, KernelMode, &Found, NULL),
                     STATUS_OBJECT_TYPE_MISMATCH);
    assert_int_equal(ObReferenceObjectByHandle(Kernel, 0, NULL, UserMode, &Found, NULL), STATUS_INVALID_HANDLE);
    assert_int_equal(ObReferenceObjectByHandle(Kernel, 0, NULL, KernelMode, &Found, NULL), STATUS_SUCCESS);
    ObDereferenceObject(Found);

    assert_int_equal(ZwClose(Kernel), STATUS_SUCCESS);
    assert_int_equal(ZwClose(Kernel), STATUS_INVALID_HANDLE);
    assert_int_equal(ObCloseHandle(User, UserMode), STATUS_SUCCESS);
    assert_int_equal(ObReferenceObjectByHandle(User, 0, NULL, KernelMode, &Found, NULL), STATUS_INVALID_HANDLE);
    assert_int_equal(ObpGetHandleCount(Object), 0);
    assert_int_equal(ObDereferenceObject(Object), 0);
    assert_int_equal(ObReferenceObjectByHandle((HANDLE)(ULONG_PTR)0x7777, 0, NULL, KernelMode, &Found, NULL),
                     STATUS_INVALID_HANDLE);
}

/* A permanent object survives the loss of its last reference, until it is
   made temporary. */
static void test_permanent_objects(void **State)
{
    UNICODE_STRING Name = RTL_CONSTANT_STRING(L"\\KernelObjects\\IrpSimPermanent");
    PVOID Object;
    PVOID Found;
    (void)State;
    Deleted = 0;
    assert_int_equal(ObpCreateObject(&TestType, 16, &Name, TRUE, &Object), STATUS_SUCCESS);
    ObDereferenceObject(Object);
    assert_int_equal(Deleted, 0);
    assert_int_equal(ObpLookupObjectName(&Name, NULL, &Found, NULL), STATUS_SUCCESS);
    ObMakeTemporaryObject(Found);
    assert_int_equal(Deleted, 0);
    ObDereferenceObject(Found);
    assert_int_equal(Deleted, 1);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(test_reference_counts, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_dereference_after_delete_bugchecks, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_reference_of_non_object_bugchecks, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_reference_if_alive, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_namespace_and_symbolic_links, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_handles, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_permanent_objects, Setup, Teardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
