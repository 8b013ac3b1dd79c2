/*
 * irpsim — the boundary between an application and the simulated kernel.
 *
 * Every Win32 call runs between UmpEnter and UmpLeave. On Windows a thread
 * entering a system service from user mode has PreviousMode = UserMode
 * (drivers see it through ExGetPreviousMode and Irp->RequestorMode, and
 * the I/O manager probes the caller's buffers because of it); here the
 * application is ordinary code on a host thread, so the facade sets it for
 * the duration of the call and puts the old value back.
 *
 * Leaving the kernel is also where Windows delivers pending kernel APCs,
 * such as the completion APC of an overlapped request that finished on
 * another processor. A host thread cannot be interrupted, so irpsim
 * delivers them at every entry and exit of a Win32 call: an application
 * that polls HasOverlappedIoCompleted sees the result after its next call
 * (Sleep(0), for example) instead of at once.
 *
 * Trace: IrpSimTraceWin32Call (Text = the call, Object = its handle, A1 =
 * the IRP it made) is emitted just before the IRP is sent, or when the
 * call returns if it made none; IrpSimTraceWin32Return (A1 = result, A2 =
 * last error) when it returns.
 */
#include "ump.h"

static IRPSIM_THREAD_LOCAL PUMP_CALL UmpCurrentCall;

static VOID UmpDeliverKernelApcs(PKTHREAD Thread)
{
    if (Thread->Irql == PASSIVE_LEVEL && PAL_ATOMIC_LOAD(&Thread->KernelApcPending, PAL_ORDER_ACQUIRE))
        KiDeliverApcs(Thread, KernelMode);
}

VOID UmpEnter(PUMP_CALL Call, PCSTR Name, HANDLE Handle)
{
    PKTHREAD Thread = KiGetCurrentThread();
    Call->Name = Name;
    Call->Handle = Handle;
    Call->Announced = FALSE;
    Call->Thread = Thread;
    Call->SavedMode = Thread->PreviousMode;
    Call->Previous = UmpCurrentCall;
    UmpCurrentCall = Call;
    Thread->PreviousMode = UserMode;
    UmpDeliverKernelApcs(Thread);
}

static VOID UmpAnnounce(PUMP_CALL Call, PIRP Irp)
{
    if (Call->Announced)
        return;
    Call->Announced = TRUE;
    TRACE_TEXT(IrpSimTraceWin32Call, Call->Handle, Irp, 0, Call->Name);
}

VOID UmpNoteIrp(PIRP Irp)
{
    PUMP_CALL Call = UmpCurrentCall;
    /* Only the Win32 call's own request, not one a driver makes while
       handling it (its Zw calls run in kernel mode). */
    if (Call != NULL && Call->Name != NULL && Call->Thread->PreviousMode == UserMode)
        UmpAnnounce(Call, Irp);
}

ULONG_PTR UmpLeave(PUMP_CALL Call, ULONG_PTR Result)
{
    PKTHREAD Thread = Call->Thread;
    UmpAnnounce(Call, NULL);
    TRACE_TEXT(IrpSimTraceWin32Return, NULL, Result, Thread->LastError, Call->Name);
    Thread->PreviousMode = Call->SavedMode;
    UmpCurrentCall = Call->Previous;
    UmpDeliverKernelApcs(Thread);
    return Result;
}

KPROCESSOR_MODE UmpSetPreviousMode(KPROCESSOR_MODE Mode)
{
    PKTHREAD Thread = KiGetCurrentThread();
    KPROCESSOR_MODE Old = Thread->PreviousMode;
    Thread->PreviousMode = Mode;
    return Old;
}
