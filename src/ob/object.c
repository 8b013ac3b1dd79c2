/*
 * irpsim — objects: creation, reference counts, deletion.
 *
 * ObReferenceObject / ObDereferenceObject keep real counts. When the last
 * reference goes, the type's delete procedure runs and the memory is
 * poisoned and held in a small quarantine, so a late dereference of a
 * deleted object is reported instead of corrupting the heap.
 */
#include "obp.h"
#include "../verifier/vf.h"

#include <stdio.h>
#include <stdlib.h>
#include <wctype.h>

PAL_MUTEX ObpLock = PAL_MUTEX_INITIALIZER;

#define OBP_TYPE(Var, NameText, Read, Write, Execute, All)                                           \
    OBJECT_TYPE Var = {NameText, {Read, Write, Execute, All}, (All) | STANDARD_RIGHTS_ALL, NULL, NULL, \
                       {&Var.ObjectListHead, &Var.ObjectListHead}, 0}

OBP_TYPE(ObpDirectoryObjectType, L"Directory", READ_CONTROL | 0x3, 0xC, 0x3, 0xF);
OBP_TYPE(ObpSymbolicLinkObjectType, L"SymbolicLink", READ_CONTROL | 0x1, 0, 0x1, 0x1);
OBP_TYPE(ObpEventObjectType, L"Event", READ_CONTROL | EVENT_QUERY_STATE, EVENT_MODIFY_STATE,
         SYNCHRONIZE, EVENT_ALL_ACCESS);
OBP_TYPE(ObpSemaphoreObjectType, L"Semaphore", READ_CONTROL | SEMAPHORE_QUERY_STATE, SEMAPHORE_MODIFY_STATE,
         SYNCHRONIZE, SEMAPHORE_ALL_ACCESS);
OBP_TYPE(ObpTimerObjectType, L"Timer", READ_CONTROL | 0x1, 0x2, SYNCHRONIZE, STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x3);
OBP_TYPE(ObpThreadObjectType, L"Thread", READ_CONTROL | THREAD_QUERY_INFORMATION, THREAD_SET_INFORMATION,
         SYNCHRONIZE, THREAD_ALL_ACCESS);
OBP_TYPE(ObpProcessObjectType, L"Process", READ_CONTROL | 0x410, 0x0BEA, SYNCHRONIZE, PROCESS_ALL_ACCESS);
OBP_TYPE(ObpDeviceObjectType, L"Device", FILE_GENERIC_READ, FILE_GENERIC_WRITE, FILE_GENERIC_EXECUTE,
         FILE_ALL_ACCESS);
OBP_TYPE(ObpDriverObjectType, L"Driver", READ_CONTROL, 0, 0, STANDARD_RIGHTS_REQUIRED | 0x1);
OBP_TYPE(ObpFileObjectType, L"File", FILE_GENERIC_READ, FILE_GENERIC_WRITE, FILE_GENERIC_EXECUTE,
         FILE_ALL_ACCESS);
OBP_TYPE(ObpIoCompletionObjectType, L"IoCompletion", READ_CONTROL | 0x1, 0x2, SYNCHRONIZE,
         STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x3);

static POBJECT_TYPE ObpEventTypePointer = &ObpEventObjectType;
static POBJECT_TYPE ObpSemaphoreTypePointer = &ObpSemaphoreObjectType;
static POBJECT_TYPE ObpTimerTypePointer = &ObpTimerObjectType;
static POBJECT_TYPE ObpThreadTypePointer = &ObpThreadObjectType;
static POBJECT_TYPE ObpProcessTypePointer = &ObpProcessObjectType;
static POBJECT_TYPE ObpFileTypePointer = &ObpFileObjectType;
static POBJECT_TYPE ObpDeviceTypePointer = &ObpDeviceObjectType;
static POBJECT_TYPE ObpDriverTypePointer = &ObpDriverObjectType;
static POBJECT_TYPE ObpIoCompletionTypePointer = &ObpIoCompletionObjectType;
static POBJECT_TYPE ObpTokenTypePointer = NULL;

POBJECT_TYPE *ExEventObjectType = &ObpEventTypePointer;
POBJECT_TYPE *ExSemaphoreObjectType = &ObpSemaphoreTypePointer;
POBJECT_TYPE *ExTimerObjectType = &ObpTimerTypePointer;
POBJECT_TYPE *PsThreadType = &ObpThreadTypePointer;
POBJECT_TYPE *PsProcessType = &ObpProcessTypePointer;
POBJECT_TYPE *IoFileObjectType = &ObpFileTypePointer;
POBJECT_TYPE *IoDeviceObjectType = &ObpDeviceTypePointer;
POBJECT_TYPE *IoDriverObjectType = &ObpDriverTypePointer;
POBJECT_TYPE *IoCompletionObjectType = &ObpIoCompletionTypePointer;
POBJECT_TYPE *SeTokenObjectType = &ObpTokenTypePointer;

/* Deleted objects stay poisoned here for a while, so late use is caught. */
#define OBP_QUARANTINE_SIZE 256
static POBJECT_HEADER ObpQuarantine[OBP_QUARANTINE_SIZE];
static ULONG ObpQuarantineNext;

NTSTATUS ObpCreateObject(POBJECT_TYPE Type, SIZE_T BodySize, PCUNICODE_STRING Name, BOOLEAN Permanent,
                         PVOID *Object)
{
    POBJECT_HEADER Header;
    NTSTATUS Status;

    *Object = NULL;
    Header = (POBJECT_HEADER)calloc(1, sizeof(OBJECT_HEADER) + BodySize);
    if (Header == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    Header->Magic = OBP_HEADER_MAGIC;
    Header->PointerCount = 1;
    Header->Type = Type;
    Header->BodySize = BodySize;
    /* A permanent object carries one more reference, owned by its name and
       released by ObMakeTemporaryObject. */
    Header->Flags = Permanent ? OBP_FLAG_PERMANENT : 0;
    if (Permanent)
        Header->PointerCount++;
    InitializeListHead(&Header->NamespaceEntry);

    PalMutexLock(&ObpLock);
    if (Name != NULL && Name->Length != 0) {
        Status = ObpInsertNameLocked(Header, Name);
        if (!NT_SUCCESS(Status)) {
            PalMutexUnlock(&ObpLock);
            free(Header);
            return Status;
        }
    }
    InsertTailList(&Type->ObjectListHead, &Header->TypeListEntry);
    Type->ObjectCount++;
    PalMutexUnlock(&ObpLock);

    *Object = OBJECT_HEADER_TO_BODY(Header);
    return STATUS_SUCCESS;
}

/* Validates Object without touching freed memory more than necessary. */
static POBJECT_HEADER ObpCheckedHeader(PVOID Object, PCSTR Routine)
{
    POBJECT_HEADER Header;
    if (Object == NULL)
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x3F, 0, 0, 0, NULL,
                   "ObReferenceObject/ObDereferenceObject was called with a NULL object.",
                   "Check the pointer before referencing it.");
    Header = OBJECT_TO_OBJECT_HEADER(Object);
    if (Header->Magic == OBP_FREED_MAGIC)
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x3F, (ULONG_PTR)Object, (ULONG_PTR)-1, 0, NULL,
                   "An object was referenced or dereferenced after its last reference was already released "
                   "(the object has been deleted).",
                   "Dereference exactly once for each reference taken; keep a reference while you use the object.");
    if (Header->Magic != OBP_HEADER_MAGIC) {
        (void)Routine;
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x3F, (ULONG_PTR)Object, 0, 0, NULL,
                   "ObReferenceObject/ObDereferenceObject was called on memory that is not an object made by the "
                   "object manager (for example a KEVENT embedded in a device extension).",
                   "Reference only objects the I/O or object manager created (device, file, driver, thread, "
                   "handle-based event objects).");
    }
    return Header;
}

BOOLEAN ObpIsObject(PVOID Object, POBJECT_TYPE Type)
{
    POBJECT_HEADER Header;
    if (Object == NULL)
        return FALSE;
    Header = OBJECT_TO_OBJECT_HEADER(Object);
    if (Header->Magic != OBP_HEADER_MAGIC)
        return FALSE;
    return Type == NULL || Header->Type == Type;
}

POBJECT_TYPE ObpGetObjectType(PVOID Object)
{
    return ObpCheckedHeader(Object, "ObpGetObjectType")->Type;
}

LONG_PTR ObpGetPointerCount(PVOID Object)
{
    return PAL_ATOMIC_LOAD(&ObpCheckedHeader(Object, "ObpGetPointerCount")->PointerCount, PAL_ORDER_SEQ_CST);
}

LONG_PTR ObpGetHandleCount(PVOID Object)
{
    return PAL_ATOMIC_LOAD(&ObpCheckedHeader(Object, "ObpGetHandleCount")->HandleCount, PAL_ORDER_SEQ_CST);
}

PCWSTR ObpGetObjectName(PVOID Object)
{
    return ObpCheckedHeader(Object, "ObpGetObjectName")->Name;
}

VOID ObpRemoveObjectName(PVOID Object)
{
    POBJECT_HEADER Header = ObpCheckedHeader(Object, "ObpRemoveObjectName");
    PalMutexLock(&ObpLock);
    ObpRemoveNameLocked(Header);
    PalMutexUnlock(&ObpLock);
}

/* One more reference, unless the count was already zero (the object is
   being deleted): then none, and 0. Returns the new count. */
static LONG_PTR ObpTryAddReference(POBJECT_HEADER Header)
{
    LONG_PTR Count = PAL_ATOMIC_ADD_FETCH(&Header->PointerCount, 1, PAL_ORDER_SEQ_CST);
    if (Count > 1)
        return Count;
    PAL_ATOMIC_SUB_FETCH(&Header->PointerCount, 1, PAL_ORDER_SEQ_CST);
    return 0;
}

BOOLEAN ObpReferenceObjectIfAlive(PVOID Object)
{
    return ObpIsObject(Object, NULL) && ObpTryAddReference(OBJECT_TO_OBJECT_HEADER(Object)) != 0;
}

LONG_PTR FASTCALL ObfReferenceObject(PVOID Object)
{
    LONG_PTR Count = ObpTryAddReference(ObpCheckedHeader(Object, "ObReferenceObject"));
    if (Count == 0)
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x3F, (ULONG_PTR)Object, 1, 0, NULL, NULL, NULL);
    return Count;
}

static VOID ObpQuarantine_(POBJECT_HEADER Header)
{
    POBJECT_HEADER Evicted;
    Header->Magic = OBP_FREED_MAGIC;
    memset(OBJECT_HEADER_TO_BODY(Header), 0xDF, Header->BodySize);
    PalMutexLock(&ObpLock);
    Evicted = ObpQuarantine[ObpQuarantineNext];
    ObpQuarantine[ObpQuarantineNext] = Header;
    ObpQuarantineNext = (ObpQuarantineNext + 1) % OBP_QUARANTINE_SIZE;
    PalMutexUnlock(&ObpLock);
    free(Evicted);
}

static VOID ObpDeleteObject(POBJECT_HEADER Header)
{
    PVOID Body = OBJECT_HEADER_TO_BODY(Header);
    PalMutexLock(&ObpLock);
    ObpRemoveNameLocked(Header);
    RemoveEntryList(&Header->TypeListEntry);
    Header->Type->ObjectCount--;
    PalMutexUnlock(&ObpLock);
    if (Header->Type->DeleteProcedure != NULL)
        Header->Type->DeleteProcedure(Body);
    free(Header->Name);
    Header->Name = NULL;
    ObpQuarantine_(Header);
}

/* Driver Verifier's check of memory being freed (0xC7, SEMANTICS 9.6,
   9.7): on Windows an object's body is pool, freed when the last
   reference goes, and a device's body holds its device extension, where
   drivers keep KTIMERs and KDPCs. Asked before the type's delete procedure
   runs (none of irpsim's touches a timer or DPC in the body). While it
   runs the object keeps the reference being dropped, so a caught bug check
   leaves the object whole and alive (the free did not happen): dropping
   that reference again deletes it. FALSE: not to be deleted after all. */
static BOOLEAN ObpMayFreeBody(POBJECT_HEADER Header)
{
    CHAR What[320];
    PCSTR Advice = NULL;
    PVOID Body = OBJECT_HEADER_TO_BODY(Header);

    if (!VfActiveAny())
        return TRUE;
    PAL_ATOMIC_ADD_FETCH(&Header->PointerCount, 1, PAL_ORDER_SEQ_CST);
    if (Header->Type == &ObpDeviceObjectType) {
        PDEVICE_OBJECT Device = (PDEVICE_OBJECT)Body;
        /* The device still holds its reference on the driver object. */
        static const UNICODE_STRING NoDriver = {0, 0, NULL};
        PCUNICODE_STRING Driver = Device->DriverObject != NULL ? &Device->DriverObject->DriverName : &NoDriver;
        snprintf(What, sizeof(What),
                 "Device object %ls %p of %.*ls (%zu bytes: the DEVICE_OBJECT, its device extension at %p and the "
                 "I/O manager's part; its last reference just went)",
                 Header->Name != NULL ? Header->Name : L"(unnamed)", Body,
                 Driver->Buffer != NULL ? (int)(Driver->Length / sizeof(WCHAR)) : 0,
                 Driver->Buffer != NULL ? Driver->Buffer : L"", (size_t)Header->BodySize, Device->DeviceExtension);
        Advice = "A device extension is freed with its device object: stop what it holds in the driver's remove "
                 "or unload path, before IoDeleteDevice (or before the last ObDereferenceObject of a device that "
                 "is still referenced).";
    } else {
        snprintf(What, sizeof(What), "%ls object %p (%zu bytes; its last reference just went)", Header->Type->Name, Body,
                 (size_t)Header->BodySize);
    }
    VfCheckFreedMemory(Body, Header->BodySize, What, Advice);
    return PAL_ATOMIC_SUB_FETCH(&Header->PointerCount, 1, PAL_ORDER_SEQ_CST) == 0;
}

LONG_PTR FASTCALL ObfDereferenceObject(PVOID Object)
{
    POBJECT_HEADER Header = ObpCheckedHeader(Object, "ObDereferenceObject");
    LONG_PTR Count = PAL_ATOMIC_SUB_FETCH(&Header->PointerCount, 1, PAL_ORDER_SEQ_CST);
    if (Count < 0) {
        PAL_ATOMIC_ADD_FETCH(&Header->PointerCount, 1, PAL_ORDER_SEQ_CST);
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x3F, (ULONG_PTR)Object, (ULONG_PTR)-1, 0, NULL, NULL, NULL);
    }
    if (Count == 0 && ObpMayFreeBody(Header))
        ObpDeleteObject(Header);
    return Count;
}

VOID NTAPI ObDereferenceObjectDeferDelete(PVOID Object)
{
    ObfDereferenceObject(Object);
}

VOID NTAPI ObMakeTemporaryObject(PVOID Object)
{
    POBJECT_HEADER Header = ObpCheckedHeader(Object, "ObMakeTemporaryObject");
    BOOLEAN WasPermanent;
    PalMutexLock(&ObpLock);
    WasPermanent = (Header->Flags & OBP_FLAG_PERMANENT) != 0;
    Header->Flags &= ~OBP_FLAG_PERMANENT;
    ObpRemoveNameLocked(Header);
    PalMutexUnlock(&ObpLock);
    if (WasPermanent)
        ObfDereferenceObject(Object);
}

NTSTATUS NTAPI ObReferenceObjectByPointer(PVOID Object, ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType,
                                          KPROCESSOR_MODE AccessMode)
{
    POBJECT_HEADER Header = ObpCheckedHeader(Object, "ObReferenceObjectByPointer");
    UNREFERENCED_PARAMETER(DesiredAccess);
    UNREFERENCED_PARAMETER(AccessMode);
    if (ObjectType != NULL && Header->Type != ObjectType)
        return STATUS_OBJECT_TYPE_MISMATCH;
    ObfReferenceObject(Object);
    return STATUS_SUCCESS;
}

VOID ObpEnumerateObjects(POBJECT_TYPE Type, POBP_ENUM_CALLBACK Callback, PVOID Context)
{
    PalMutexLock(&ObpLock);
    for (PLIST_ENTRY Entry = Type->ObjectListHead.Flink; Entry != &Type->ObjectListHead; Entry = Entry->Flink) {
        POBJECT_HEADER Header = CONTAINING_RECORD(Entry, OBJECT_HEADER, TypeListEntry);
        Callback(OBJECT_HEADER_TO_BODY(Header), Context);
    }
    PalMutexUnlock(&ObpLock);
}

ACCESS_MASK ObpMapGenericAccess(POBJECT_TYPE Type, ACCESS_MASK Access)
{
    ACCESS_MASK Result = Access & ~(GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL);
    if (Access & GENERIC_READ)
        Result |= Type->GenericMapping.GenericRead;
    if (Access & GENERIC_WRITE)
        Result |= Type->GenericMapping.GenericWrite;
    if (Access & GENERIC_EXECUTE)
        Result |= Type->GenericMapping.GenericExecute;
    if (Access & GENERIC_ALL)
        Result |= Type->GenericMapping.GenericAll;
    return Result;
}

VOID ObpFlushQuarantine(VOID)
{
    PalMutexLock(&ObpLock);
    for (ULONG i = 0; i < OBP_QUARANTINE_SIZE; i++) {
        free(ObpQuarantine[i]);
        ObpQuarantine[i] = NULL;
    }
    ObpQuarantineNext = 0;
    PalMutexUnlock(&ObpLock);
}
