/*
 * irpsim — system threads (SEMANTICS 9.8).
 *
 * PsCreateSystemThread starts a host thread in the System process at
 * PASSIVE_LEVEL running StartRoutine(StartContext), charged to the driver
 * that was running when it was created, and returns a handle to its thread
 * object (the caller closes it with ZwClose; to wait for the thread's end it
 * references the object and waits on it). The thread ends when the start
 * routine returns (which Windows tolerates, SEMANTICS B.17) or calls
 * PsTerminateSystemThread; either way thread exit runs IoCancelThreadIo and
 * signals the thread object.
 *
 * PsTerminateSystemThread on a thread that is not a system thread returns
 * STATUS_INVALID_PARAMETER, as Windows does. A system thread that ends
 * holding a spin lock is reported (0xC4/0x100A, Verifier's "a terminated
 * thread owns a lock").
 */
#include "../ke/ki.h"
#include "../ob/obp.h"
#include "../verifier/vf.h"

#define PSP_PROCESS_CREATE_THREAD 0x0002

NTSTATUS NTAPI PsCreateSystemThread(PHANDLE ThreadHandle, ULONG DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                                    HANDLE ProcessHandle, PCLIENT_ID ClientId, PKSTART_ROUTINE StartRoutine,
                                    PVOID StartContext)
{
    PKTHREAD Caller = KiGetCurrentThread();
    PKTHREAD Thread;
    HANDLE Handle;
    NTSTATUS Status;
    ULONG Attributes = ObjectAttributes != NULL ? ObjectAttributes->Attributes : 0;

    if (!KiIsSystemRunning())
        VfBugCheck(IRPSIM_INVALID_USE, (ULONG_PTR) "PsCreateSystemThread called while the simulated machine is not "
                                                   "running",
                   0, 0, 0, NULL, NULL, NULL);
    if (ProcessHandle != NULL && ProcessHandle != NtCurrentProcess()) {
        PVOID Process;
        Status = ObReferenceObjectByHandle(ProcessHandle, PSP_PROCESS_CREATE_THREAD, *PsProcessType, KernelMode,
                                           &Process, NULL);
        if (!NT_SUCCESS(Status))
            return Status;
        ObDereferenceObject(Process); /* there is only the System process */
    }

    Thread = KiCreateThreadObject(TRUE);
    if (Thread == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    /* The handle exists before the thread runs: it may end at once. */
    Status = ObpCreateHandle(Thread, DesiredAccess, Attributes & (OBJ_KERNEL_HANDLE | OBJ_INHERIT), &Handle);
    if (!NT_SUCCESS(Status)) {
        ObDereferenceObject(Thread);
        return Status;
    }
    if (ClientId != NULL)
        *ClientId = Thread->Cid;
    Status = KiStartThread(Thread, StartRoutine, StartContext, Caller->CurrentDriver);
    if (!NT_SUCCESS(Status)) {
        (void)ObCloseHandle(Handle, KernelMode);
        return Status;
    }
    *ThreadHandle = Handle;
    return STATUS_SUCCESS;
}

NTSTATUS NTAPI PsTerminateSystemThread(NTSTATUS ExitStatus)
{
    PKTHREAD Thread = KiGetCurrentThread();
    if (!Thread->IsSystemThread || Thread->IsProcessorThread || !Thread->ExitFrameArmed)
        return STATUS_INVALID_PARAMETER;
    if (Thread->HeldLockCount != 0)
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KI_VF_EXIT_HOLDING_LOCK, (ULONG_PTR)Thread->HeldLocks[0].Lock,
                   (ULONG_PTR)Thread, 0, NULL,
                   "PsTerminateSystemThread was called while the thread holds a spin lock. Every other user of the "
                   "lock now spins forever.",
                   "Release every spin lock before the thread ends.");
    KiExitThread(ExitStatus);
    return STATUS_INVALID_PARAMETER; /* not reached: the thread has ended */
}
