/*
 * irpsim — the handle table.
 *
 * One table for the whole simulated process: handles made by the Win32
 * side (CreateFile, CreateEvent, CreateThread) and by drivers
 * (PsCreateSystemThread, ZwCreateFile) live together, so a driver can take
 * an application's event handle with ObReferenceObjectByHandle.
 *
 * Handle values are multiples of 4, as on Windows. Kernel handles
 * (OBJ_KERNEL_HANDLE) have the sign bit set and cannot be used from
 * UserMode.
 */
#include "obp.h"
#include "../ke/ki.h"

#include <stdlib.h>

typedef struct _OBP_HANDLE_ENTRY {
    PVOID Object; /* NULL = free */
    ACCESS_MASK GrantedAccess;
    ULONG Attributes;
} OBP_HANDLE_ENTRY;

static OBP_HANDLE_ENTRY *ObpHandles;
static ULONG ObpHandleCapacity;
static ULONG ObpHandleHint;

#define OBP_KERNEL_HANDLE_BIT 0x80000000u
#define OBP_PSEUDO_PROCESS ((HANDLE)(LONG_PTR)-1)
#define OBP_PSEUDO_THREAD ((HANDLE)(LONG_PTR)-2)

static HANDLE ObpEncodeHandle(ULONG Index, BOOLEAN Kernel)
{
    ULONG Value = (Index + 1) * 4;
    if (Kernel)
        return (HANDLE)(LONG_PTR)(LONG)(Value | OBP_KERNEL_HANDLE_BIT);
    return (HANDLE)(ULONG_PTR)Value;
}

/* Returns the index, or -1 for something that is not a table handle. */
static LONG ObpDecodeHandle(HANDLE Handle, BOOLEAN *Kernel)
{
    LONG_PTR Raw = (LONG_PTR)Handle;
    ULONG Value;
    *Kernel = FALSE;
    if (Raw < 0) {
        if (Raw < (LONG_PTR)(LONG)OBP_KERNEL_HANDLE_BIT)
            return -1;
        *Kernel = TRUE;
        Value = (ULONG)Raw & ~OBP_KERNEL_HANDLE_BIT;
    } else {
        if ((ULONG_PTR)Raw > 0xFFFFFFFFu)
            return -1;
        Value = (ULONG)Raw;
    }
    if (Value == 0 || (Value & 3) != 0)
        return -1;
    return (LONG)(Value / 4 - 1);
}

NTSTATUS ObpCreateHandle(PVOID Object, ACCESS_MASK GrantedAccess, ULONG HandleAttributes, PHANDLE Handle)
{
    ULONG Index;
    POBJECT_HEADER Header = OBJECT_TO_OBJECT_HEADER(Object);

    *Handle = NULL;
    PalMutexLock(&ObpLock);
    for (Index = ObpHandleHint; Index < ObpHandleCapacity; Index++) {
        if (ObpHandles[Index].Object == NULL)
            break;
    }
    if (Index == ObpHandleCapacity) {
        ULONG NewCapacity = ObpHandleCapacity ? ObpHandleCapacity * 2 : 64;
        OBP_HANDLE_ENTRY *Grown;
        if (NewCapacity > (1u << 24)) {
            PalMutexUnlock(&ObpLock);
            return STATUS_INSUFFICIENT_RESOURCES;
        }
        Grown = (OBP_HANDLE_ENTRY *)realloc(ObpHandles, NewCapacity * sizeof(*Grown));
        if (Grown == NULL) {
            PalMutexUnlock(&ObpLock);
            return STATUS_INSUFFICIENT_RESOURCES;
        }
        memset(Grown + ObpHandleCapacity, 0, (NewCapacity - ObpHandleCapacity) * sizeof(*Grown));
        ObpHandles = Grown;
        Index = ObpHandleCapacity;
        ObpHandleCapacity = NewCapacity;
    }
    ObpHandles[Index].Object = Object;
    ObpHandles[Index].GrantedAccess = ObpMapGenericAccess(Header->Type, GrantedAccess);
    ObpHandles[Index].Attributes = HandleAttributes;
    ObpHandleHint = Index + 1;
    PAL_ATOMIC_ADD_FETCH(&Header->PointerCount, 1, PAL_ORDER_SEQ_CST);
    PAL_ATOMIC_ADD_FETCH(&Header->HandleCount, 1, PAL_ORDER_SEQ_CST);
    PalMutexUnlock(&ObpLock);
    *Handle = ObpEncodeHandle(Index, (HandleAttributes & OBJ_KERNEL_HANDLE) != 0);
    return STATUS_SUCCESS;
}

NTSTATUS NTAPI ObReferenceObjectByHandle(HANDLE Handle, ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType,
                                         KPROCESSOR_MODE AccessMode, PVOID *Object,
                                         POBJECT_HANDLE_INFORMATION HandleInformation)
{
    BOOLEAN Kernel;
    LONG Index;
    PVOID Found;
    ACCESS_MASK Granted;
    POBJECT_HEADER Header;

    *Object = NULL;
    if (Handle == OBP_PSEUDO_THREAD || Handle == OBP_PSEUDO_PROCESS) {
        Found = Handle == OBP_PSEUDO_THREAD ? (PVOID)KiGetCurrentThread() : (PVOID)KiSystemProcess;
        Header = OBJECT_TO_OBJECT_HEADER(Found);
        if (ObjectType != NULL && Header->Type != ObjectType)
            return STATUS_OBJECT_TYPE_MISMATCH;
        ObfReferenceObject(Found);
        if (HandleInformation != NULL) {
            HandleInformation->GrantedAccess = Header->Type->ValidAccessMask;
            HandleInformation->HandleAttributes = 0;
        }
        *Object = Found;
        return STATUS_SUCCESS;
    }

    Index = ObpDecodeHandle(Handle, &Kernel);
    if (Index < 0 || (Kernel && AccessMode == UserMode))
        return STATUS_INVALID_HANDLE;
    PalMutexLock(&ObpLock);
    if ((ULONG)Index >= ObpHandleCapacity || ObpHandles[Index].Object == NULL ||
        (Kernel != ((ObpHandles[Index].Attributes & OBJ_KERNEL_HANDLE) != 0))) {
        PalMutexUnlock(&ObpLock);
        return STATUS_INVALID_HANDLE;
    }
    Found = ObpHandles[Index].Object;
    Granted = ObpHandles[Index].GrantedAccess;
    Header = OBJECT_TO_OBJECT_HEADER(Found);
    if (ObjectType != NULL && Header->Type != ObjectType) {
        PalMutexUnlock(&ObpLock);
        return STATUS_OBJECT_TYPE_MISMATCH;
    }
    if (AccessMode == UserMode) {
        ACCESS_MASK Wanted = ObpMapGenericAccess(Header->Type, DesiredAccess);
        if ((Wanted & ~Granted) != 0) {
            PalMutexUnlock(&ObpLock);
            return STATUS_ACCESS_DENIED;
        }
    }
    PAL_ATOMIC_ADD_FETCH(&Header->PointerCount, 1, PAL_ORDER_SEQ_CST);
    if (HandleInformation != NULL) {
        HandleInformation->GrantedAccess = Granted;
        HandleInformation->HandleAttributes = ObpHandles[Index].Attributes;
    }
    PalMutexUnlock(&ObpLock);
    *Object = Found;
    return STATUS_SUCCESS;
}

NTSTATUS NTAPI ObCloseHandle(HANDLE Handle, KPROCESSOR_MODE PreviousMode)
{
    BOOLEAN Kernel;
    LONG Index = ObpDecodeHandle(Handle, &Kernel);
    PVOID Object;
    POBJECT_HEADER Header;
    LONG_PTR Remaining;

    if (Handle == OBP_PSEUDO_THREAD || Handle == OBP_PSEUDO_PROCESS)
        return STATUS_SUCCESS; /* closing a pseudo handle is a no-op on Windows */
    if (Index < 0 || (Kernel && PreviousMode == UserMode))
        return STATUS_INVALID_HANDLE;
    PalMutexLock(&ObpLock);
    if ((ULONG)Index >= ObpHandleCapacity || ObpHandles[Index].Object == NULL ||
        (Kernel != ((ObpHandles[Index].Attributes & OBJ_KERNEL_HANDLE) != 0))) {
        PalMutexUnlock(&ObpLock);
        return STATUS_INVALID_HANDLE;
    }
    Object = ObpHandles[Index].Object;
    ObpHandles[Index].Object = NULL;
    if ((ULONG)Index < ObpHandleHint)
        ObpHandleHint = (ULONG)Index;
    Header = OBJECT_TO_OBJECT_HEADER(Object);
    Remaining = PAL_ATOMIC_SUB_FETCH(&Header->HandleCount, 1, PAL_ORDER_SEQ_CST);
    PalMutexUnlock(&ObpLock);
    if (Header->Type->CloseProcedure != NULL)
        Header->Type->CloseProcedure(Object, Remaining, PreviousMode);
    ObfDereferenceObject(Object);
    return STATUS_SUCCESS;
}

NTSTATUS NTAPI NtClose(HANDLE Handle)
{
    return ObCloseHandle(Handle, ExGetPreviousMode());
}

NTSTATUS NTAPI ZwClose(HANDLE Handle)
{
    /* Zw calls from drivers run with PreviousMode = KernelMode. */
    return ObCloseHandle(Handle, KernelMode);
}

NTSTATUS NTAPI ObOpenObjectByPointer(PVOID Object, ULONG HandleAttributes, PVOID PassedAccessState,
                                     ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType, KPROCESSOR_MODE AccessMode,
                                     PHANDLE Handle)
{
    UNREFERENCED_PARAMETER(PassedAccessState);
    UNREFERENCED_PARAMETER(AccessMode);
    if (!ObpIsObject(Object, NULL))
        return STATUS_INVALID_PARAMETER;
    if (ObjectType != NULL && ObpGetObjectType(Object) != ObjectType)
        return STATUS_OBJECT_TYPE_MISMATCH;
    return ObpCreateHandle(Object, DesiredAccess, HandleAttributes, Handle);
}

ULONG ObpCountOpenHandles(VOID)
{
    ULONG Count = 0;
    PalMutexLock(&ObpLock);
    for (ULONG i = 0; i < ObpHandleCapacity; i++) {
        if (ObpHandles[i].Object != NULL)
            Count++;
    }
    PalMutexUnlock(&ObpLock);
    return Count;
}

VOID ObpInitializeSystem(VOID)
{
    ObpHandleHint = 0;
}

VOID ObpCloseAllHandles(VOID)
{
    /* Close what the test left open (as process exit does on Windows). */
    for (;;) {
        HANDLE Handle = NULL;
        KPROCESSOR_MODE Mode = UserMode;
        PalMutexLock(&ObpLock);
        for (ULONG i = 0; i < ObpHandleCapacity; i++) {
            if (ObpHandles[i].Object != NULL) {
                BOOLEAN Kernel = (ObpHandles[i].Attributes & OBJ_KERNEL_HANDLE) != 0;
                Handle = ObpEncodeHandle(i, Kernel);
                Mode = Kernel ? KernelMode : UserMode;
                break;
            }
        }
        PalMutexUnlock(&ObpLock);
        if (Handle == NULL)
            break;
        ObCloseHandle(Handle, Mode);
    }
}

VOID ObpShutdownSystem(VOID)
{
    ObpCloseAllHandles();
    PalMutexLock(&ObpLock);
    free(ObpHandles);
    ObpHandles = NULL;
    ObpHandleCapacity = 0;
    ObpHandleHint = 0;
    PalMutexUnlock(&ObpLock);
    ObpFlushQuarantine();
}
