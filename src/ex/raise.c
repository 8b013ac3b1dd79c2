/*
 * irpsim — raising exceptions: ExRaiseStatus, ExRaiseAccessViolation,
 * ExRaiseDatatypeMisalignment, RtlRaiseStatus.
 *
 * As on Windows, the exception is noncontinuable, carries no parameters
 * and its address is the caller's. Dispatch to the __try frames is in
 * ke/except.c.
 */
#include "../ke/except.h"
#include "../platform/pal_compiler.h"

static DECLSPEC_NORETURN VOID ExpRaise(NTSTATUS Status, PVOID Address)
{
    EXCEPTION_RECORD Record;
    memset(&Record, 0, sizeof(Record));
    Record.ExceptionCode = Status;
    Record.ExceptionFlags = EXCEPTION_NONCONTINUABLE;
    Record.ExceptionRecord = NULL;
    Record.ExceptionAddress = Address;
    Record.NumberParameters = 0;
    KiRaiseException(&Record);
}

VOID NTAPI ExRaiseStatus(NTSTATUS Status)
{
    ExpRaise(Status, PAL_RETURN_ADDRESS());
}

VOID NTAPI ExRaiseAccessViolation(VOID)
{
    ExpRaise(STATUS_ACCESS_VIOLATION, PAL_RETURN_ADDRESS());
}

VOID NTAPI ExRaiseDatatypeMisalignment(VOID)
{
    ExpRaise(STATUS_DATATYPE_MISALIGNMENT, PAL_RETURN_ADDRESS());
}

VOID NTAPI RtlRaiseStatus(NTSTATUS Status)
{
    ExpRaise(Status, PAL_RETURN_ADDRESS());
}
