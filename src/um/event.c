/*
 * irpsim — events: CreateEvent, OpenEvent, SetEvent, ResetEvent.
 *
 * An event is an object-manager object of the Event type whose body is a
 * KEVENT, in the one handle table drivers use too: a driver handed the
 * handle (in an IOCTL, say) can ObReferenceObjectByHandle(h,
 * EVENT_MODIFY_STATE, *ExEventObjectType, UserMode, ...) and KeSetEvent
 * the body, from a DPC if it likes. Named events live in
 * \BaseNamedObjects.
 */
#include "ump.h"

#include <stdlib.h>

/* "\BaseNamedObjects\<Name>" (malloc'd Buffer). */
static BOOLEAN UmpNamedObjectPath(PCWSTR Name, PUNICODE_STRING Path)
{
    static const WCHAR Prefix[] = L"\\BaseNamedObjects\\";
    SIZE_T PrefixCount = RTL_NUMBER_OF(Prefix) - 1;
    SIZE_T Count = wcslen(Name);
    SIZE_T Bytes = (PrefixCount + Count) * sizeof(WCHAR);
    if (Count == 0 || Bytes + sizeof(WCHAR) > MAXUSHORT)
        return FALSE;
    Path->Buffer = (PWSTR)malloc(Bytes + sizeof(WCHAR));
    if (Path->Buffer == NULL)
        return FALSE;
    memcpy(Path->Buffer, Prefix, PrefixCount * sizeof(WCHAR));
    memcpy(Path->Buffer + PrefixCount, Name, (Count + 1) * sizeof(WCHAR));
    Path->Length = (USHORT)Bytes;
    Path->MaximumLength = (USHORT)(Bytes + sizeof(WCHAR));
    return TRUE;
}

static HANDLE UmpCreateEvent(BOOL bManualReset, BOOL bInitialState, PCWSTR lpName)
{
    UNICODE_STRING Path = {0, 0, NULL};
    PKEVENT Event = NULL;
    HANDLE Handle = NULL;
    NTSTATUS Status;
    BOOLEAN Existed = FALSE;

    if (lpName != NULL && !UmpNamedObjectPath(lpName, &Path)) {
        SetLastError(lpName[0] == 0 ? ERROR_INVALID_NAME : ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    for (;;) {
        Status = ObpCreateObject(&ObpEventObjectType, sizeof(KEVENT), Path.Buffer != NULL ? &Path : NULL, FALSE,
                                 (PVOID *)&Event);
        if (NT_SUCCESS(Status)) {
            KeInitializeEvent(Event, bManualReset ? NotificationEvent : SynchronizationEvent,
                              (BOOLEAN)(bInitialState != FALSE));
            break;
        }
        if (Status != STATUS_OBJECT_NAME_COLLISION)
            break;
        /* The name exists: open it (an object of another type is an error). */
        Status = ObpLookupObjectName(&Path, &ObpEventObjectType, (PVOID *)&Event, NULL);
        if (Status != STATUS_OBJECT_NAME_NOT_FOUND) {
            Existed = NT_SUCCESS(Status);
            break;
        }
    }
    free(Path.Buffer);
    if (NT_SUCCESS(Status)) {
        Status = ObpCreateHandle(Event, EVENT_ALL_ACCESS, 0, &Handle);
        ObDereferenceObject(Event);
    }
    if (!NT_SUCCESS(Status)) {
        SetLastError(Status == STATUS_OBJECT_TYPE_MISMATCH ? ERROR_INVALID_HANDLE : RtlNtStatusToDosError(Status));
        return NULL;
    }
    SetLastError(Existed ? ERROR_ALREADY_EXISTS : ERROR_SUCCESS);
    return Handle;
}

HANDLE WINAPI CreateEventW(LPSECURITY_ATTRIBUTES lpEventAttributes, BOOL bManualReset, BOOL bInitialState,
                           LPCWSTR lpName)
{
    UMP_CALL Call;
    UNREFERENCED_PARAMETER(lpEventAttributes);
    UmpEnter(&Call, "CreateEventW", NULL);
    return (HANDLE)UmpLeave(&Call, (ULONG_PTR)UmpCreateEvent(bManualReset, bInitialState, lpName));
}

HANDLE WINAPI CreateEventA(LPSECURITY_ATTRIBUTES lpEventAttributes, BOOL bManualReset, BOOL bInitialState,
                           LPCSTR lpName)
{
    UMP_CALL Call;
    PWSTR Name = NULL;
    HANDLE Handle = NULL;
    UNREFERENCED_PARAMETER(lpEventAttributes);
    UmpEnter(&Call, "CreateEventA", NULL);
    if (lpName != NULL && (Name = UmpAnsiToWide(lpName)) == NULL)
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    else
        Handle = UmpCreateEvent(bManualReset, bInitialState, Name);
    free(Name);
    return (HANDLE)UmpLeave(&Call, (ULONG_PTR)Handle);
}

static HANDLE UmpOpenEvent(DWORD dwDesiredAccess, PCWSTR lpName)
{
    UNICODE_STRING Path;
    PVOID Event;
    HANDLE Handle = NULL;
    NTSTATUS Status;

    if (lpName == NULL) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    if (!UmpNamedObjectPath(lpName, &Path)) {
        SetLastError(lpName[0] == 0 ? ERROR_INVALID_NAME : ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    Status = ObpLookupObjectName(&Path, &ObpEventObjectType, &Event, NULL);
    free(Path.Buffer);
    if (NT_SUCCESS(Status)) {
        /* No security descriptors: what is asked for is granted. */
        Status = ObpCreateHandle(Event, dwDesiredAccess, 0, &Handle);
        ObDereferenceObject(Event);
    }
    if (!NT_SUCCESS(Status)) {
        SetLastError(Status == STATUS_OBJECT_TYPE_MISMATCH ? ERROR_INVALID_HANDLE : RtlNtStatusToDosError(Status));
        return NULL;
    }
    return Handle;
}

HANDLE WINAPI OpenEventW(DWORD dwDesiredAccess, BOOL bInheritHandle, LPCWSTR lpName)
{
    UMP_CALL Call;
    UNREFERENCED_PARAMETER(bInheritHandle);
    UmpEnter(&Call, "OpenEventW", NULL);
    return (HANDLE)UmpLeave(&Call, (ULONG_PTR)UmpOpenEvent(dwDesiredAccess, lpName));
}

HANDLE WINAPI OpenEventA(DWORD dwDesiredAccess, BOOL bInheritHandle, LPCSTR lpName)
{
    UMP_CALL Call;
    PWSTR Name = NULL;
    HANDLE Handle = NULL;
    UNREFERENCED_PARAMETER(bInheritHandle);
    UmpEnter(&Call, "OpenEventA", NULL);
    if (lpName != NULL && (Name = UmpAnsiToWide(lpName)) == NULL)
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    else
        Handle = UmpOpenEvent(dwDesiredAccess, Name);
    free(Name);
    return (HANDLE)UmpLeave(&Call, (ULONG_PTR)Handle);
}

/* SetEvent / ResetEvent: EVENT_MODIFY_STATE on an Event handle. */
static BOOL UmpModifyEvent(PCSTR Name, HANDLE hEvent, BOOLEAN Set)
{
    UMP_CALL Call;
    PKEVENT Event;
    NTSTATUS Status;

    UmpEnter(&Call, Name, hEvent);
    Status = ObReferenceObjectByHandle(hEvent, EVENT_MODIFY_STATE, *ExEventObjectType, UserMode, (PVOID *)&Event, NULL);
    if (!NT_SUCCESS(Status)) {
        UmpSetLastNtError(Status);
        return (BOOL)UmpLeave(&Call, FALSE);
    }
    if (Set)
        (void)KeSetEvent(Event, EVENT_INCREMENT, FALSE);
    else
        (void)KeResetEvent(Event);
    ObDereferenceObject(Event);
    return (BOOL)UmpLeave(&Call, TRUE);
}

BOOL WINAPI SetEvent(HANDLE hEvent)
{
    return UmpModifyEvent("SetEvent", hEvent, TRUE);
}

BOOL WINAPI ResetEvent(HANDLE hEvent)
{
    return UmpModifyEvent("ResetEvent", hEvent, FALSE);
}
