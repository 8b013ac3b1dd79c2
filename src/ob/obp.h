/*
 * irpsim — object manager internals (Obp*).
 *
 * Every object made by the object manager (threads, devices, drivers, file
 * objects, symbolic links, events made through handles, ...) has a hidden
 * OBJECT_HEADER before its body: reference counts, type, name. One global
 * namespace (\Device, \??, \Driver, ...) and one handle table serve the
 * driver side and the Win32 side alike.
 *
 * Object memory comes from the host heap, not from pool, so that creating
 * the thread object of a new host thread never recurses into pool checks;
 * leaks of objects are reported per type instead.
 */
#ifndef IRPSIM_OBP_H
#define IRPSIM_OBP_H

#include <wdm.h>

#include "../platform/pal.h"

typedef VOID (*POBP_DELETE_PROCEDURE)(PVOID Object);
/* A handle to Object was closed; HandleCount is what remains. */
typedef VOID (*POBP_CLOSE_PROCEDURE)(PVOID Object, LONG_PTR HandleCount, KPROCESSOR_MODE PreviousMode);

typedef struct _OBJECT_TYPE {
    PCWSTR Name;          /* L"Device", L"Thread", ... */
    GENERIC_MAPPING GenericMapping;
    ACCESS_MASK ValidAccessMask;
    POBP_DELETE_PROCEDURE DeleteProcedure; /* set by the owning component */
    POBP_CLOSE_PROCEDURE CloseProcedure;
    LIST_ENTRY ObjectListHead; /* live objects of this type (under the ob lock) */
    volatile LONG ObjectCount;
} OBJECT_TYPE;

typedef struct _OBJECT_HEADER {
    ULONG Magic;
    ULONG Flags;
    volatile LONG_PTR PointerCount;
    volatile LONG_PTR HandleCount;
    POBJECT_TYPE Type;
    PWSTR Name; /* full path (\Device\Beep) or NULL; owned */
    LIST_ENTRY NamespaceEntry;
    LIST_ENTRY TypeListEntry;
    SIZE_T BodySize;
    ULONG_PTR Padding[2]; /* keeps the body 16-byte aligned */
} OBJECT_HEADER, *POBJECT_HEADER;
C_ASSERT(sizeof(OBJECT_HEADER) % 16 == 0);

#define OBP_HEADER_MAGIC 0x6a624f49u /* "IObj" */
#define OBP_FREED_MAGIC 0x65657246u  /* "Free" */
#define OBP_FLAG_PERMANENT 0x1
#define OBP_FLAG_IN_NAMESPACE 0x2

#define OBJECT_TO_OBJECT_HEADER(o) ((POBJECT_HEADER)((PCHAR)(o) - sizeof(OBJECT_HEADER)))
#define OBJECT_HEADER_TO_BODY(h) ((PVOID)((PCHAR)(h) + sizeof(OBJECT_HEADER)))

/* The object types. */
extern OBJECT_TYPE ObpDirectoryObjectType;
extern OBJECT_TYPE ObpSymbolicLinkObjectType;
extern OBJECT_TYPE ObpEventObjectType;
extern OBJECT_TYPE ObpSemaphoreObjectType;
extern OBJECT_TYPE ObpTimerObjectType;
extern OBJECT_TYPE ObpThreadObjectType;
extern OBJECT_TYPE ObpProcessObjectType;
extern OBJECT_TYPE ObpDeviceObjectType;
extern OBJECT_TYPE ObpDriverObjectType;
extern OBJECT_TYPE ObpFileObjectType;
extern OBJECT_TYPE ObpIoCompletionObjectType;

/* Creates an object with a zeroed body of BodySize bytes and one pointer
   reference. Name (a full path) is optional; with a name the object is
   inserted into the namespace (STATUS_OBJECT_NAME_COLLISION if taken).
   Permanent objects keep their name after the last reference is dropped,
   until ObMakeTemporaryObject. */
NTSTATUS ObpCreateObject(POBJECT_TYPE Type, SIZE_T BodySize, PCUNICODE_STRING Name, BOOLEAN Permanent,
                         PVOID *Object);
/* TRUE if Object is a live object-manager object (optionally of Type). */
BOOLEAN ObpIsObject(PVOID Object, POBJECT_TYPE Type);
POBJECT_TYPE ObpGetObjectType(PVOID Object);
LONG_PTR ObpGetPointerCount(PVOID Object);
/* ObReferenceObject for a caller holding a lock, which must not bug check
   there: FALSE (no reference taken) if Object is not a live object; the
   caller then reports it with ObReferenceObject once the lock is dropped. */
BOOLEAN ObpReferenceObjectIfAlive(PVOID Object);
LONG_PTR ObpGetHandleCount(PVOID Object);
/* The object's full name, or NULL. */
PCWSTR ObpGetObjectName(PVOID Object);
/* Removes the object's name from the namespace (it can no longer be opened). */
VOID ObpRemoveObjectName(PVOID Object);

/* Looks Path up, following symbolic links. On success *Object is
   referenced and, if Remainder is given, what followed the object's own
   name (for "\??\Beep\x" on a device: "\x") is copied into the caller's
   Remainder buffer (STATUS_NAME_TOO_LONG if it does not fit).
   STATUS_OBJECT_NAME_NOT_FOUND / STATUS_OBJECT_PATH_NOT_FOUND /
   STATUS_OBJECT_TYPE_MISMATCH (when Type is given and does not match). */
NTSTATUS ObpLookupObjectName(PCUNICODE_STRING Path, POBJECT_TYPE Type, PVOID *Object, PUNICODE_STRING Remainder);

/* Creates a symbolic link object LinkName -> Target (both full paths). */
NTSTATUS ObpCreateSymbolicLink(PCUNICODE_STRING LinkName, PCUNICODE_STRING Target, PVOID *LinkObject);
NTSTATUS ObpDeleteSymbolicLink(PCUNICODE_STRING LinkName);

/* Handles. A handle holds one pointer reference and one handle count.
   Kernel handles (OBJ_KERNEL_HANDLE) cannot be used from UserMode. */
NTSTATUS ObpCreateHandle(PVOID Object, ACCESS_MASK GrantedAccess, ULONG HandleAttributes, PHANDLE Handle);
/* Maps generic rights through the type's mapping. */
ACCESS_MASK ObpMapGenericAccess(POBJECT_TYPE Type, ACCESS_MASK Access);

/* Iterates the live objects of a type (for leak reports). The callback
   runs with the ob lock held and must not call back into the object manager. */
typedef VOID (*POBP_ENUM_CALLBACK)(PVOID Object, PVOID Context);
VOID ObpEnumerateObjects(POBJECT_TYPE Type, POBP_ENUM_CALLBACK Callback, PVOID Context);

/* The object manager's one lock: namespace, type lists, handle table. */
extern PAL_MUTEX ObpLock;
/* Namespace internals (namespace.c); caller holds ObpLock. */
NTSTATUS ObpInsertNameLocked(POBJECT_HEADER Header, PCUNICODE_STRING Name);
VOID ObpRemoveNameLocked(POBJECT_HEADER Header);
/* Frees the quarantine of deleted objects (shutdown). */
VOID ObpFlushQuarantine(VOID);

/* Subsystem lifetime. ObpCloseAllHandles closes every handle still open (as
   process exit does); ObpShutdownSystem then frees the table and the
   quarantine. */
VOID ObpInitializeSystem(VOID);
VOID ObpCloseAllHandles(VOID);
VOID ObpShutdownSystem(VOID);
/* Number of handles still open (for leak reports). */
ULONG ObpCountOpenHandles(VOID);

#endif /* IRPSIM_OBP_H */
