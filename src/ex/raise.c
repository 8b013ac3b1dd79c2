/*
 * irpsim — raising exceptions: ExRaiseStatus, ExRaiseAccessViolation,
 * ExRaiseDatatypeMisalignment, RtlRaiseStatus.
 *
 * As on Windows, the exception is noncontinuable, carries no parameters
 * and its address is the caller's. Dispatch to the __try frames is in
 * ke/except.c.
 */
#include "../ke/except.h"

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
    ExpRaise(Status, __builtin_return_address(0));
}

VOID NTAPI ExRaiseAccessViolation(VOID)
{
    ExpRaise(STATUS_ACCESS_VIOLATION, __builtin_return_address(0));
}

VOID NTAPI ExRaiseDatatypeMisalignment(VOID)
{
    ExpRaise(STATUS_DATATYPE_MISALIGNMENT, __builtin_return_address(0));
}

VOID NTAPI RtlRaiseStatus(NTSTATUS Status)
{
    ExpRaise(Status, __builtin_return_address(0));
}
