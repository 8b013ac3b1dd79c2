/*
 * irpsim — kernel events (SEMANTICS 9.3).
 *
 * A notification event releases every waiter and stays signalled until it
 * is reset; a synchronization event releases exactly one waiter (the first
 * whose wait it satisfies) and resets itself, or stays signalled until the
 * next wait consumes it. KeSetEvent, KeResetEvent and KePulseEvent return
 * the previous state.
 *
 * KeSetEvent's Wait = TRUE ("a wait follows at once") is accepted and
 * behaves like FALSE: irpsim holds no lock across the two calls.
 */
#include "ki.h"
#include "../verifier/vf.h"
#include "../trace/tracep.h"

static const CHAR KipEventRule[] =
    "A KEVENT was used that was never initialised with KeInitializeEvent (or the memory is not a KEVENT: freed, "
    "copied by value, or another kind of object).";

static VOID KipCheckEvent(PRKEVENT Event)
{
    KiCheckDispatcherObject(Event, KI_TYPE_BIT(EventNotificationObject) | KI_TYPE_BIT(EventSynchronizationObject),
                            KipEventRule, "Call KeInitializeEvent on the event before using or waiting on it.");
}

VOID NTAPI KeInitializeEvent(PRKEVENT Event, EVENT_TYPE Type, BOOLEAN State)
{
    KiInitializeDispatcherHeader(&Event->Header,
                                 Type == SynchronizationEvent ? EventSynchronizationObject : EventNotificationObject,
                                 (UCHAR)(sizeof(KEVENT) / sizeof(LONG)), State ? 1 : 0);
}

/* Signals Event; with Pulse, resets it again once the waiters it satisfied are released. */
static LONG KipSetEvent(PRKEVENT Event, BOOLEAN Pulse)
{
    PKTHREAD Thread = KiGetCurrentThread();
    LONG Previous;

    if (Thread->Irql > DISPATCH_LEVEL)
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x80, Thread->Irql, (ULONG_PTR)Event, 0, NULL, NULL, NULL);
    KipCheckEvent(Event);
    IRPSIM_SCHED_POINT(KI_SCHED_POINT_DISPATCHER, Event);
    KiAcquireDispatcherLock();
    Previous = Event->Header.SignalState;
    if (Previous == 0) {
        Event->Header.SignalState = 1;
        KiWaitTestLocked(&Event->Header);
    }
    if (Pulse)
        Event->Header.SignalState = 0;
    KiReleaseDispatcherLock();
    TRACE_EVENT(IrpSimTraceEventSet, Event, Previous, Pulse, 0);
    return Previous;
}

LONG NTAPI KeSetEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait)
{
    UNREFERENCED_PARAMETER(Increment); /* priority boosts are not simulated */
    UNREFERENCED_PARAMETER(Wait);
    return KipSetEvent(Event, FALSE);
}

LONG NTAPI KePulseEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait)
{
    UNREFERENCED_PARAMETER(Increment);
    UNREFERENCED_PARAMETER(Wait);
    return KipSetEvent(Event, TRUE);
}

/* KeResetEvent (returns the previous state) and KeClearEvent (does not). */
static LONG KipResetEvent(PRKEVENT Event, BOOLEAN Clear)
{
    LONG Previous;
    KipCheckEvent(Event);
    KiAcquireDispatcherLock();
    Previous = Event->Header.SignalState;
    Event->Header.SignalState = 0;
    KiReleaseDispatcherLock();
    TRACE_EVENT(IrpSimTraceEventReset, Event, Previous, Clear, 0);
    return Previous;
}

LONG NTAPI KeResetEvent(PRKEVENT Event)
{
    return KipResetEvent(Event, FALSE);
}

VOID NTAPI KeClearEvent(PRKEVENT Event)
{
    (void)KipResetEvent(Event, TRUE);
}

LONG NTAPI KeReadStateEvent(PRKEVENT Event)
{
    LONG State;
    KipCheckEvent(Event);
    KiAcquireDispatcherLock();
    State = Event->Header.SignalState;
    KiReleaseDispatcherLock();
    return State;
}
