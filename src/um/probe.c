/*
 * irpsim — probing an application's buffers, and time-outs.
 *
 * The native services probe what a UserMode caller passes (ProbeForRead /
 * ProbeForWrite): a range the caller may not touch raises
 * STATUS_ACCESS_VIOLATION, which the service returns without sending an
 * IRP (kernel32 turns it into ERROR_NOACCESS). irpsim asks the memory
 * manager's address check (src/mm/probe.c) the same question: the NULL
 * region, wrap-around, unmapped or read-only memory, ranges a test
 * declared invalid.
 */
#include "ump.h"

NTSTATUS UmpProbe(KPROCESSOR_MODE Mode, const VOID *Address, SIZE_T Length, BOOLEAN Write)
{
    ULONG_PTR FirstBad;
    if (Mode == KernelMode || Length == 0)
        return STATUS_SUCCESS;
    return MiCheckRange((PVOID)Address, Length, UserMode, Write, &FirstBad);
}

PLARGE_INTEGER UmpTimeout(DWORD Milliseconds, PLARGE_INTEGER Storage)
{
    if (Milliseconds == INFINITE)
        return NULL;
    Storage->QuadPart = -(LONGLONG)Milliseconds * 10000;
    return Storage;
}
