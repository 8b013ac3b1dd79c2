/*
 * irpsim — process queries. There is one process, the System process
 * (id 4); every thread belongs to it.
 */
#include "../ke/ki.h"

PEPROCESS NTAPI PsGetCurrentProcess(VOID)
{
    return PAL_ATOMIC_LOAD(&KiSystemProcess, PAL_ORDER_ACQUIRE);
}

HANDLE NTAPI PsGetCurrentProcessId(VOID)
{
    return (HANDLE)(ULONG_PTR)4;
}

HANDLE NTAPI PsGetProcessId(PEPROCESS Process)
{
    return Process->Pcb.UniqueProcessId;
}

PEPROCESS NTAPI IoGetCurrentProcess(VOID)
{
    return PsGetCurrentProcess();
}
