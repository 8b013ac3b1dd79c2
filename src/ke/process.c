/*
 * irpsim — the system process.
 *
 * The simulated machine has one process, the System process (id 4, as on
 * Windows): every thread — system threads, the test's threads, the Win32
 * facade's application threads — belongs to it. It is an object-manager
 * object of the Process type, so NtCurrentProcess() handles and
 * ObReferenceObjectByHandle(..., *PsProcessType, ...) work. It is never
 * signalled (the process does not end while the machine runs).
 */
#include "ki.h"
#include "../ob/obp.h"

PEPROCESS KiSystemProcess;

NTSTATUS KiCreateSystemProcess(VOID)
{
    PVOID Object;
    PEPROCESS Process;
    NTSTATUS Status = ObpCreateObject(&ObpProcessObjectType, sizeof(EPROCESS), NULL, FALSE, &Object);
    if (!NT_SUCCESS(Status))
        return Status;
    Process = (PEPROCESS)Object;
    KiInitializeDispatcherHeader(&Process->Pcb.Header, ProcessObject, (UCHAR)(sizeof(EPROCESS) / sizeof(LONG)), 0);
    Process->Pcb.UniqueProcessId = (HANDLE)(ULONG_PTR)4;
    PAL_ATOMIC_STORE(&KiSystemProcess, Process, PAL_ORDER_RELEASE);
    return STATUS_SUCCESS;
}

VOID KiDeleteSystemProcess(VOID)
{
    PEPROCESS Process = PAL_ATOMIC_EXCHANGE(&KiSystemProcess, NULL, PAL_ORDER_ACQ_REL);
    if (Process != NULL)
        ObDereferenceObject(Process);
}
