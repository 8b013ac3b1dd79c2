/*
 * irpsim — who asked for an IRP: the requesting thread and process,
 * whether the request is synchronous, and the thread's top-level IRP.
 */
#include "iop.h"

PETHREAD NTAPI IoGetRequestorThread(PIRP Irp)
{
    return Irp->Tail.Overlay.Thread;
}

PEPROCESS NTAPI IoGetRequestorProcess(PIRP Irp)
{
    PETHREAD Thread = Irp->Tail.Overlay.Thread;
    /* An IRP without a thread (IoAllocateIrp) has no requestor. */
    return Thread != NULL ? PsGetThreadProcess(Thread) : NULL;
}

ULONG NTAPI IoGetRequestorProcessId(PIRP Irp)
{
    PEPROCESS Process = IoGetRequestorProcess(Irp);
    return Process != NULL ? (ULONG)(ULONG_PTR)PsGetProcessId(Process) : 0;
}

BOOLEAN NTAPI IoIsOperationSynchronous(PIRP Irp)
{
    PFILE_OBJECT FileObject = IoGetCurrentIrpStackLocation(Irp)->FileObject;
    BOOLEAN PagingIo = (Irp->Flags & IRP_PAGING_IO) != 0;

    /* Paging I/O is synchronous only when flagged so (the flag shares its
       value with IRP_INPUT_OPERATION, which is why it is tested only here). */
    if (PagingIo)
        return (Irp->Flags & IRP_SYNCHRONOUS_PAGING_IO) != 0;
    if (Irp->Flags & IRP_SYNCHRONOUS_API)
        return TRUE;
    return FileObject != NULL && (FileObject->Flags & FO_SYNCHRONOUS_IO) != 0;
}

BOOLEAN NTAPI IoIs32bitProcess(PIRP Irp)
{
    /* Every simulated process has the host's pointer size: none is a
       32-bit process under a 64-bit kernel. */
    UNREFERENCED_PARAMETER(Irp);
    return FALSE;
}

PIRP NTAPI IoGetTopLevelIrp(VOID)
{
    return KiGetCurrentThread()->TopLevelIrp;
}

VOID NTAPI IoSetTopLevelIrp(PIRP Irp)
{
    KiGetCurrentThread()->TopLevelIrp = Irp;
}
