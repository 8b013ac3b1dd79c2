/*
 * Small questions the lesson tests ask the trace, by IRP number (IRP#n):
 * an IRP's address is reused once it is freed, its number is not.
 */
#ifndef LESSONS_TRACE_H
#define LESSONS_TRACE_H

#include <irpsim/trace.h>
#include <string.h>

static inline BOOLEAN LessonIsIrp(const IRPSIM_TRACE_EVENT *Event, ULONG Irp)
{
    return Event->ObjectNumber == Irp && strncmp(Event->ObjectName, "IRP#", 4) == 0;
}

/* The Occurrence'th (0 = first) event of Kind for IRP#Irp. */
static inline BOOLEAN LessonIrpFindEvent(ULONG Irp, IRPSIM_TRACE_KIND Kind, ULONG Occurrence,
                                         PIRPSIM_TRACE_EVENT Event)
{
    ULONG Count = IrpSimTraceCount(), i;
    for (i = 0; i < Count; i++) {
        if (IrpSimTraceGet(i, Event) && Event->Kind == Kind && LessonIsIrp(Event, Irp) && Occurrence-- == 0)
            return TRUE;
    }
    return FALSE;
}

static inline ULONG LessonIrpEventCount(ULONG Irp, IRPSIM_TRACE_KIND Kind)
{
    IRPSIM_TRACE_EVENT Event;
    ULONG Count = IrpSimTraceCount(), i, n = 0;
    for (i = 0; i < Count; i++)
        if (IrpSimTraceGet(i, &Event) && Event.Kind == Kind && LessonIsIrp(&Event, Irp))
            n++;
    return n;
}

static inline ULONG LessonCountKind(IRPSIM_TRACE_KIND Kind)
{
    IRPSIM_TRACE_EVENT Event;
    ULONG Count = IrpSimTraceCount(), i, n = 0;
    for (i = 0; i < Count; i++)
        if (IrpSimTraceGet(i, &Event) && Event.Kind == Kind)
            n++;
    return n;
}

/* The status IRP#Irp was completed with (IrpCompleted, else its last
   IrpCompleteBegin); STATUS_PENDING if it never was. */
static inline NTSTATUS LessonIrpFinalStatus(ULONG Irp)
{
    IRPSIM_TRACE_EVENT Event;
    ULONG Count = IrpSimTraceCount(), i;
    NTSTATUS Status = STATUS_PENDING;
    BOOLEAN Final = FALSE;
    for (i = 0; i < Count; i++) {
        if (!IrpSimTraceGet(i, &Event) || !LessonIsIrp(&Event, Irp))
            continue;
        if (Event.Kind == IrpSimTraceIrpCompleted) {
            Status = (NTSTATUS)Event.Argument[0];
            Final = TRUE;
        } else if (Event.Kind == IrpSimTraceIrpCompleteBegin && !Final) {
            Status = (NTSTATUS)Event.Argument[0];
        }
    }
    return Status;
}

/* The IRP numbers of the IRPs made by Win32 calls named Call
   ("DeviceIoControl", "ReadFile"), in order; returns how many (up to Max). */
static inline ULONG LessonWin32Irps(PCSTR Call, PULONG Irps, ULONG Max)
{
    IRPSIM_TRACE_EVENT Event, Other;
    ULONG Count = IrpSimTraceCount(), i, j, n = 0;
    SIZE_T Length = strlen(Call);
    for (i = 0; i < Count && n < Max; i++) {
        if (!IrpSimTraceGet(i, &Event) || Event.Kind != IrpSimTraceWin32Call || Event.Argument[0] == 0 ||
            strncmp(Event.Text, Call, Length) != 0 || (Event.Text[Length] != '\0' && Event.Text[Length] != ','))
            continue;
        for (j = i; j-- > 0;) {
            if (IrpSimTraceGet(j, &Other) && Other.Kind == IrpSimTraceIrpAllocated &&
                (ULONG_PTR)Other.Object == Event.Argument[0]) {
                Irps[n++] = Other.ObjectNumber;
                break;
            }
        }
    }
    return n;
}

#endif /* LESSONS_TRACE_H */
