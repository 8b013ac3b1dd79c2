/*
 * irpsim — I/O completion ports: CreateIoCompletionPort,
 * GetQueuedCompletionStatus, PostQueuedCompletionStatus,
 * SetFileCompletionNotificationModes.
 *
 * A port is an object-manager object of the IoCompletion type (one handle
 * table with files, events and threads). Its body keeps the packets in a
 * FIFO list and counts them in a semaphore the waiters wait on, so a
 * waiter that takes a count always finds a packet. Closing the last handle
 * signals an event that ends every wait with ERROR_ABANDONED_WAIT_0, as
 * closing a port does on Windows.
 *
 * Associating a file stores an IO_COMPLETION_CONTEXT (port, key) in
 * FILE_OBJECT.CompletionContext, which references the port; the I/O
 * manager frees it with the file object. Stage 2 posts a packet for each
 * request reported on that file whose APC context (the OVERLAPPED) is
 * set (completion.c).
 *
 * Not modelled: NumberOfConcurrentThreads (the scheduler's concurrency
 * limit) and the LIFO order in which Windows wakes waiting threads.
 */
#include "ump.h"

#include <stdlib.h>

typedef struct _UMP_IO_COMPLETION {
    KSEMAPHORE Available; /* one count per queued packet */
    KEVENT Closed;        /* the last handle was closed */
    PAL_MUTEX Lock;       /* Packets */
    LIST_ENTRY Packets;
} UMP_IO_COMPLETION, *PUMP_IO_COMPLETION;

typedef struct _UMP_COMPLETION_PACKET {
    LIST_ENTRY Link;
    ULONG_PTR Key;
    PVOID Overlapped;
    NTSTATUS Status;
    ULONG_PTR Information;
} UMP_COMPLETION_PACKET, *PUMP_COMPLETION_PACKET;

static VOID UmpDeleteIoCompletion(PVOID Object)
{
    PUMP_IO_COMPLETION Port = (PUMP_IO_COMPLETION)Object;
    while (!IsListEmpty(&Port->Packets))
        free(CONTAINING_RECORD(RemoveHeadList(&Port->Packets), UMP_COMPLETION_PACKET, Link));
    PalMutexDelete(&Port->Lock);
}

static VOID UmpCloseIoCompletion(PVOID Object, LONG_PTR HandleCount, KPROCESSOR_MODE PreviousMode)
{
    UNREFERENCED_PARAMETER(PreviousMode);
    if (HandleCount == 0)
        KeSetEvent(&((PUMP_IO_COMPLETION)Object)->Closed, 0, FALSE);
}

static NTSTATUS UmpCreateIoCompletion(PHANDLE Handle)
{
    PUMP_IO_COMPLETION Port;
    NTSTATUS Status;

    /* Set once (before any port exists); afterwards only read. */
    if (PAL_ATOMIC_LOAD(&ObpIoCompletionObjectType.DeleteProcedure, PAL_ORDER_ACQUIRE) != UmpDeleteIoCompletion) {
        PAL_ATOMIC_STORE(&ObpIoCompletionObjectType.DeleteProcedure, UmpDeleteIoCompletion, PAL_ORDER_RELEASE);
        PAL_ATOMIC_STORE(&ObpIoCompletionObjectType.CloseProcedure, UmpCloseIoCompletion, PAL_ORDER_RELEASE);
    }
    Status = ObpCreateObject(&ObpIoCompletionObjectType, sizeof(*Port), NULL, FALSE, (PVOID *)&Port);
    if (!NT_SUCCESS(Status))
        return Status;
    KeInitializeSemaphore(&Port->Available, 0, MAXLONG);
    KeInitializeEvent(&Port->Closed, NotificationEvent, FALSE);
    PalMutexInitialize(&Port->Lock);
    InitializeListHead(&Port->Packets);
    Status = ObpCreateHandle(Port, IO_COMPLETION_ALL_ACCESS, 0, Handle);
    ObDereferenceObject(Port);
    return Status;
}

VOID UmpPostCompletionPacket(PVOID Port, ULONG_PTR Key, PVOID Overlapped, NTSTATUS Status, ULONG_PTR Information)
{
    PUMP_IO_COMPLETION Queue = (PUMP_IO_COMPLETION)Port;
    PUMP_COMPLETION_PACKET Packet = (PUMP_COMPLETION_PACKET)malloc(sizeof(*Packet));
    if (Packet == NULL)
        return;
    Packet->Key = Key;
    Packet->Overlapped = Overlapped;
    Packet->Status = Status;
    Packet->Information = Information;
    PalMutexLock(&Queue->Lock);
    InsertTailList(&Queue->Packets, &Packet->Link);
    PalMutexUnlock(&Queue->Lock);
    (void)KeReleaseSemaphore(&Queue->Available, IO_NO_INCREMENT, 1, FALSE);
}

/* Associates FileHandle's file object with the port PortHandle names. */
static NTSTATUS UmpAssociateFile(HANDLE FileHandle, HANDLE PortHandle, ULONG_PTR Key)
{
    PIO_COMPLETION_CONTEXT Context;
    PIO_COMPLETION_CONTEXT Expected = NULL;
    PFILE_OBJECT FileObject;
    PKTHREAD Thread = KiGetCurrentThread();
    PDRIVER_OBJECT Saved;
    PVOID Port;
    NTSTATUS Status;

    Status = ObReferenceObjectByHandle(FileHandle, 0, *IoFileObjectType, UserMode, (PVOID *)&FileObject, NULL);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = ObReferenceObjectByHandle(PortHandle, IO_COMPLETION_MODIFY_STATE, *IoCompletionObjectType, UserMode,
                                       &Port, NULL);
    if (!NT_SUCCESS(Status)) {
        ObDereferenceObject(FileObject);
        return Status;
    }
    Saved = KiEnterDriver(Thread, NULL);
    Context = (PIO_COMPLETION_CONTEXT)ExAllocatePoolWithTag(NonPagedPool, sizeof(*Context),
                                                             UMP_COMPLETION_CONTEXT_TAG);
    KiLeaveDriver(Thread, Saved);
    if (Context == NULL) {
        Status = STATUS_INSUFFICIENT_RESOURCES;
    } else {
        Context->Port = Port; /* the context keeps this reference */
        Context->Key = (PVOID)Key;
        UmpInstallCompletionHook();
        /* A file is associated with one port for good. */
        if (PAL_ATOMIC_COMPARE_EXCHANGE(&FileObject->CompletionContext, &Expected, Context, FALSE,
                                        PAL_ORDER_SEQ_CST, PAL_ORDER_SEQ_CST)) {
            Port = NULL;
        } else {
            ExFreePool(Context);
            Status = STATUS_INVALID_PARAMETER;
        }
    }
    if (Port != NULL)
        ObDereferenceObject(Port);
    ObDereferenceObject(FileObject);
    return Status;
}

HANDLE WINAPI CreateIoCompletionPort(HANDLE FileHandle, HANDLE ExistingCompletionPort, ULONG_PTR CompletionKey,
                                     DWORD NumberOfConcurrentThreads)
{
    UMP_CALL Call;
    HANDLE Port = ExistingCompletionPort;
    NTSTATUS Status = STATUS_SUCCESS;

    UNREFERENCED_PARAMETER(NumberOfConcurrentThreads);
    UmpEnter(&Call, "CreateIoCompletionPort", FileHandle);
    if (FileHandle == INVALID_HANDLE_VALUE && ExistingCompletionPort != NULL) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return (HANDLE)UmpLeave(&Call, 0);
    }
    if (Port == NULL) {
        Status = UmpCreateIoCompletion(&Port);
        if (!NT_SUCCESS(Status)) {
            UmpSetLastNtError(Status);
            return (HANDLE)UmpLeave(&Call, 0);
        }
    }
    if (FileHandle != INVALID_HANDLE_VALUE) {
        Status = UmpAssociateFile(FileHandle, Port, CompletionKey);
        if (!NT_SUCCESS(Status)) {
            if (ExistingCompletionPort == NULL)
                (void)ObCloseHandle(Port, UserMode);
            UmpSetLastNtError(Status);
            return (HANDLE)UmpLeave(&Call, 0);
        }
    }
    return (HANDLE)UmpLeave(&Call, (ULONG_PTR)Port);
}

BOOL WINAPI GetQueuedCompletionStatus(HANDLE CompletionPort, LPDWORD lpNumberOfBytesTransferred,
                                      PULONG_PTR lpCompletionKey, LPOVERLAPPED *lpOverlapped, DWORD dwMilliseconds)
{
    UMP_CALL Call;
    PUMP_IO_COMPLETION Port;
    PUMP_COMPLETION_PACKET Packet;
    LARGE_INTEGER Storage;
    PVOID Objects[2];
    NTSTATUS Status;
    BOOL Result;

    UmpEnter(&Call, "GetQueuedCompletionStatus", CompletionPort);
    if (lpNumberOfBytesTransferred == NULL || lpCompletionKey == NULL || lpOverlapped == NULL) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return (BOOL)UmpLeave(&Call, FALSE);
    }
    *lpOverlapped = NULL;
    Status = ObReferenceObjectByHandle(CompletionPort, IO_COMPLETION_MODIFY_STATE, *IoCompletionObjectType, UserMode,
                                       (PVOID *)&Port, NULL);
    if (!NT_SUCCESS(Status)) {
        UmpSetLastNtError(Status);
        return (BOOL)UmpLeave(&Call, FALSE);
    }
    Objects[0] = &Port->Available;
    Objects[1] = &Port->Closed;
    Status = KeWaitForMultipleObjects(2, Objects, WaitAny, UserRequest, UserMode, FALSE,
                                      UmpTimeout(dwMilliseconds, &Storage), NULL);
    if (Status != STATUS_WAIT_0) {
        ObDereferenceObject(Port);
        SetLastError(Status == STATUS_TIMEOUT ? WAIT_TIMEOUT : ERROR_ABANDONED_WAIT_0);
        return (BOOL)UmpLeave(&Call, FALSE);
    }
    PalMutexLock(&Port->Lock);
    Packet = CONTAINING_RECORD(RemoveHeadList(&Port->Packets), UMP_COMPLETION_PACKET, Link);
    PalMutexUnlock(&Port->Lock);
    ObDereferenceObject(Port);

    *lpNumberOfBytesTransferred = (DWORD)Packet->Information;
    *lpCompletionKey = Packet->Key;
    *lpOverlapped = (LPOVERLAPPED)Packet->Overlapped;
    Result = NT_SUCCESS(Packet->Status);
    if (!Result)
        UmpSetLastNtError(Packet->Status);
    free(Packet);
    return (BOOL)UmpLeave(&Call, (ULONG_PTR)Result);
}

BOOL WINAPI PostQueuedCompletionStatus(HANDLE CompletionPort, DWORD dwNumberOfBytesTransferred,
                                       ULONG_PTR dwCompletionKey, LPOVERLAPPED lpOverlapped)
{
    UMP_CALL Call;
    PVOID Port;
    NTSTATUS Status;

    UmpEnter(&Call, "PostQueuedCompletionStatus", CompletionPort);
    Status = ObReferenceObjectByHandle(CompletionPort, IO_COMPLETION_MODIFY_STATE, *IoCompletionObjectType, UserMode,
                                       &Port, NULL);
    if (!NT_SUCCESS(Status)) {
        UmpSetLastNtError(Status);
        return (BOOL)UmpLeave(&Call, FALSE);
    }
    UmpPostCompletionPacket(Port, dwCompletionKey, lpOverlapped, STATUS_SUCCESS, dwNumberOfBytesTransferred);
    ObDereferenceObject(Port);
    return (BOOL)UmpLeave(&Call, TRUE);
}

BOOL WINAPI SetFileCompletionNotificationModes(HANDLE FileHandle, UCHAR Flags)
{
    UMP_CALL Call;
    PFILE_OBJECT FileObject;
    NTSTATUS Status;

    UmpEnter(&Call, "SetFileCompletionNotificationModes", FileHandle);
    /* FILE_SKIP_SET_EVENT_ON_HANDLE is not simulated, so it is refused. */
    if (Flags & ~FILE_SKIP_COMPLETION_PORT_ON_SUCCESS) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return (BOOL)UmpLeave(&Call, FALSE);
    }
    Status = ObReferenceObjectByHandle(FileHandle, 0, *IoFileObjectType, UserMode, (PVOID *)&FileObject, NULL);
    if (!NT_SUCCESS(Status)) {
        UmpSetLastNtError(Status);
        return (BOOL)UmpLeave(&Call, FALSE);
    }
    if (Flags & FILE_SKIP_COMPLETION_PORT_ON_SUCCESS)
        PAL_ATOMIC_OR_FETCH(&FileObject->Flags, FO_SKIP_COMPLETION_PORT, PAL_ORDER_SEQ_CST);
    ObDereferenceObject(FileObject);
    return (BOOL)UmpLeave(&Call, TRUE);
}
