/*
 * irpsim — short stable names for what the trace talks about.
 *
 * Pointers mean nothing to a reader and change from run to run, so each
 * object gets a name the first time an event shows it: IRP#1, IRP#2 ... in
 * order of appearance, DPC#n, TIMER#n, EVENT#n, threads by their id (T8),
 * devices by their object name. Names belong to identities, not
 * addresses: an IRP address reused after IoFreeIrp is a new IRP at its
 * IrpAllocated event, a device address reused is a new device at
 * DeviceCreated. Devices keep their history (which identity an address had
 * at a given event), because renderers look them up after the fact.
 *
 * Device and driver names are read when the event is recorded, while the
 * object is certainly alive; a renderer running at shutdown could not.
 */
#include "traceint.h"
#include "../ke/ki.h"
#include "../ob/obp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

typedef struct _TRACEP_OBJECTS {
    TRACE_MAP Current[TraceClassCount]; /* pointer -> number (devices: index in Devices) */
    ULONG LastNumber[TraceClassCount];
    TRACE_DEVICE *Devices;
    ULONG DeviceCount;
    ULONG DeviceCapacity;
    TRACE_THREAD *Threads;
    ULONG ThreadCount;
    ULONG ThreadCapacity;
    TRACE_MAP ThreadById;     /* ThreadId -> index in Threads */
    TRACE_MAP ThreadByObject; /* KTHREAD -> index in Threads */
} TRACEP_OBJECTS;

static TRACEP_OBJECTS TracepObjects;

static const PCSTR TracepClassPrefix[TraceClassCount] = {
    [TraceClassNone] = "",          [TraceClassIrp] = "IRP",
    [TraceClassDevice] = "DEV",     [TraceClassDriver] = "DRV",
    [TraceClassDpc] = "DPC",        [TraceClassTimer] = "TIMER",
    [TraceClassEvent] = "EVENT",    [TraceClassWaitable] = "OBJ",
    [TraceClassThread] = "T",       [TraceClassWorkItem] = "WORKITEM",
    [TraceClassQueue] = "DEVQUEUE", [TraceClassCsq] = "CSQ",
    [TraceClassApc] = "APC",        [TraceClassSemaphore] = "SEM",
    [TraceClassMutex] = "MUTEX",
};

BOOLEAN TraceIsIrpKind(IRPSIM_TRACE_KIND Kind)
{
    return (Kind >= IrpSimTraceIrpAllocated && Kind <= IrpSimTraceIrpPostProcessing) || Kind == IrpSimTraceCsqInsert ||
           Kind == IrpSimTraceCsqRemove || Kind == IrpSimTraceCsqCancel || Kind == IrpSimTraceStartIo;
}

/* ---- reading the machine (no lock held) ---- */

static BOOLEAN TracepIsLiveDevice(PDEVICE_OBJECT Device)
{
    /* Type first: ObpIsObject reads the header in front of the body, which
       only an object-manager object has. */
    return Device != NULL && Device->Type == IO_TYPE_DEVICE && ObpIsObject(Device, &ObpDeviceObjectType);
}

static VOID TracepDriverName(PDRIVER_OBJECT Driver, PCHAR Buffer, SIZE_T Size)
{
    Buffer[0] = 0;
    if (Driver != NULL && Driver->DriverName.Buffer != NULL)
        TraceNarrow(Driver->DriverName.Buffer, Driver->DriverName.Length / sizeof(WCHAR), Buffer, Size);
}

/* What a dispatcher object being waited on is, from its header: the
   waiter passed it in and the kernel has just checked it. */
static TRACE_CLASS TracepDispatcherClass(PVOID Object)
{
    PDISPATCHER_HEADER Header = (PDISPATCHER_HEADER)Object;
    if (Header == NULL || Header->IrpSimCookie != KI_OBJECT_COOKIE(Header))
        return TraceClassNone;
    switch (Header->Type) {
    case EventNotificationObject:
    case EventSynchronizationObject:
        return TraceClassEvent;
    case MutantObject:
        return TraceClassMutex;
    case SemaphoreObject:
        return TraceClassSemaphore;
    case TimerNotificationObject:
    case TimerSynchronizationObject:
        return TraceClassTimer;
    default:
        return TraceClassNone;
    }
}

VOID TraceCapture(PIRPSIM_TRACE_EVENT Event, TRACE_CAPTURE *Capture)
{
    PDEVICE_OBJECT Device = NULL;

    Capture->WaitClass = TraceClassNone;
    Capture->HaveDevice = FALSE;
    switch (Event->Kind) {
    case IrpSimTraceWaitBegin:
        Capture->WaitClass = TracepDispatcherClass(Event->Object);
        return;
    case IrpSimTraceIrpCallDriver:
    case IrpSimTraceStartIo:
        Device = (PDEVICE_OBJECT)Event->Argument[0];
        break;
    case IrpSimTraceIrpCancelRoutineRun:
    case IrpSimTraceIrpCompletionRoutineStart:
        Device = (PDEVICE_OBJECT)Event->Argument[1];
        break;
    case IrpSimTraceDeviceCreated:
    case IrpSimTraceIoTimer:
        Device = (PDEVICE_OBJECT)Event->Object;
        break;
    case IrpSimTraceDriverLoaded:
    case IrpSimTraceDriverUnloaded:
        if (Event->Text[0] == 0)
            TracepDriverName((PDRIVER_OBJECT)Event->Object, Event->Text, sizeof(Event->Text));
        return;
    default:
        return;
    }
    if (!TracepIsLiveDevice(Device))
        return;
    Capture->HaveDevice = TRUE;
    Capture->HaveNames = FALSE;
    Capture->Device = Device;
    /* The names are read only when the trace does not know the device yet
       (TraceCaptureNames): most events name a device seen before. */
}

VOID TraceCaptureNames(TRACE_CAPTURE *Capture)
{
    PDEVICE_OBJECT Device = (PDEVICE_OBJECT)Capture->Device;
    PCWSTR Name = ObpGetObjectName(Device);
    Capture->DeviceName[0] = 0;
    if (Name != NULL)
        TraceNarrow(Name, wcslen(Name), Capture->DeviceName, sizeof(Capture->DeviceName));
    TracepDriverName(Device->DriverObject, Capture->DriverName, sizeof(Capture->DriverName));
    Capture->HaveNames = TRUE;
}

BOOLEAN TraceCaptureNeedsNamesLocked(const IRPSIM_TRACE_EVENT *Event, const TRACE_CAPTURE *Capture)
{
    ULONG Index;
    if (!Capture->HaveDevice || Capture->HaveNames)
        return FALSE;
    return Event->Kind == IrpSimTraceDeviceCreated ||
           !TraceMapFind(&TracepObjects.Current[TraceClassDevice], (ULONG_PTR)Capture->Device, &Index);
}

/* ---- the tables (TraceLock held) ---- */

static PCSTR TracepLastComponent(PCSTR Path)
{
    PCSTR Slash = strrchr(Path, '\\');
    return Slash != NULL && Slash[1] != 0 ? Slash + 1 : Path;
}

static ULONG TracepAddDevice(PVOID Device, ULONGLONG Sequence, const TRACE_CAPTURE *Capture)
{
    TRACE_DEVICE *Entry;
    ULONG Previous;
    if (TracepObjects.DeviceCount == TracepObjects.DeviceCapacity) {
        ULONG Capacity = TracepObjects.DeviceCapacity != 0 ? TracepObjects.DeviceCapacity * 2 : 16;
        TRACE_DEVICE *Grown = (TRACE_DEVICE *)realloc(TracepObjects.Devices, Capacity * sizeof(*Grown));
        if (Grown == NULL)
            return TRACE_NONE;
        TracepObjects.Devices = Grown;
        TracepObjects.DeviceCapacity = Capacity;
    }
    if (!TraceMapFind(&TracepObjects.Current[TraceClassDevice], (ULONG_PTR)Device, &Previous))
        Previous = TRACE_NONE;
    if (!TraceMapSet(&TracepObjects.Current[TraceClassDevice], (ULONG_PTR)Device, TracepObjects.DeviceCount))
        return TRACE_NONE;
    Entry = &TracepObjects.Devices[TracepObjects.DeviceCount];
    memset(Entry, 0, sizeof(*Entry));
    Entry->Device = Device;
    Entry->FirstSequence = Sequence;
    Entry->Number = ++TracepObjects.LastNumber[TraceClassDevice];
    Entry->Previous = Previous;
    if (Capture != NULL) {
        TraceCopyText(Entry->Name, sizeof(Entry->Name), Capture->DeviceName);
        TraceCopyText(Entry->Driver, sizeof(Entry->Driver), Capture->DriverName);
    }
    if (Entry->Name[0] != 0)
        TraceCopyText(Entry->Label, sizeof(Entry->Label), TracepLastComponent(Entry->Name));
    else if (Entry->Driver[0] != 0) {
        /* A long driver name is cut short: that is fine for a label. Using
           the result tells GCC the truncation is expected. */
        if (snprintf(Entry->Label, sizeof(Entry->Label), "%s (unnamed)", TracepLastComponent(Entry->Driver)) < 0)
            Entry->Label[0] = 0;
    }
    else
        snprintf(Entry->Label, sizeof(Entry->Label), "DEV#%u", Entry->Number);
    return TracepObjects.DeviceCount++;
}

static ULONG TracepDeviceIndex(PVOID Device, ULONGLONG Sequence, const TRACE_CAPTURE *Capture, BOOLEAN NewIdentity)
{
    ULONG Index;
    if (Device == NULL)
        return TRACE_NONE;
    if (!NewIdentity && TraceMapFind(&TracepObjects.Current[TraceClassDevice], (ULONG_PTR)Device, &Index))
        return Index;
    return TracepAddDevice(Device, Sequence, Capture);
}

static VOID TracepAddThread(PIRPSIM_TRACE_EVENT Event)
{
    PKTHREAD Thread = (PKTHREAD)Event->Thread;
    TRACE_THREAD *Entry;
    ULONG Index;
    if (Thread == NULL || TraceMapFind(&TracepObjects.ThreadById, Event->ThreadId, &Index))
        return;
    if (TracepObjects.ThreadCount == TracepObjects.ThreadCapacity) {
        ULONG Capacity = TracepObjects.ThreadCapacity != 0 ? TracepObjects.ThreadCapacity * 2 : 16;
        TRACE_THREAD *Grown = (TRACE_THREAD *)realloc(TracepObjects.Threads, Capacity * sizeof(*Grown));
        if (Grown == NULL)
            return;
        TracepObjects.Threads = Grown;
        TracepObjects.ThreadCapacity = Capacity;
    }
    Index = TracepObjects.ThreadCount;
    if (!TraceMapSet(&TracepObjects.ThreadById, Event->ThreadId, Index) ||
        !TraceMapSet(&TracepObjects.ThreadByObject, (ULONG_PTR)Thread, Index))
        return;
    TracepObjects.ThreadCount++;
    Entry = &TracepObjects.Threads[Index];
    memset(Entry, 0, sizeof(*Entry));
    Entry->ThreadId = Event->ThreadId;
    Entry->Thread = Thread;
    /* The thread is the caller itself: its fields are stable to read. */
    Entry->ProcessorThread = Thread->IsProcessorThread;
    Entry->SystemThread = Thread->IsSystemThread;
    Entry->Processor = Thread->Processor;
    if (Entry->ProcessorThread) {
        snprintf(Entry->Name, sizeof(Entry->Name), "CPU %u DPCs", (unsigned)Entry->Processor);
    } else if (Entry->SystemThread) {
        CHAR Driver[48];
        TracepDriverName(Thread->StartDriver, Driver, sizeof(Driver));
        if (Driver[0] != 0)
            snprintf(Entry->Name, sizeof(Entry->Name), "System thread T%u (%s)", (unsigned)Entry->ThreadId,
                     TracepLastComponent(Driver));
        else
            snprintf(Entry->Name, sizeof(Entry->Name), "System thread T%u", (unsigned)Entry->ThreadId);
    } else {
        snprintf(Entry->Name, sizeof(Entry->Name), "App thread T%u", (unsigned)Entry->ThreadId);
    }
}

/* The number of Pointer in Class, given on first sight. */
static ULONG TracepNumber(TRACE_CLASS Class, PVOID Pointer, BOOLEAN NewIdentity)
{
    ULONG Number;
    if (Pointer == NULL)
        return 0;
    if (!NewIdentity && TraceMapFind(&TracepObjects.Current[Class], (ULONG_PTR)Pointer, &Number))
        return Number;
    Number = ++TracepObjects.LastNumber[Class];
    if (!TraceMapSet(&TracepObjects.Current[Class], (ULONG_PTR)Pointer, Number))
        return 0;
    return Number;
}

ULONG TraceObjectNumberLocked(TRACE_CLASS Class, PVOID Pointer)
{
    ULONG Number;
    if (Class == TraceClassDevice) {
        const TRACE_DEVICE *Device = TraceFindDeviceLocked(Pointer, ~0ULL);
        return Device != NULL ? Device->Number : 0;
    }
    return TraceMapFind(&TracepObjects.Current[Class], (ULONG_PTR)Pointer, &Number) ? Number : 0;
}

/* What Event->Object is. Waits and notes name objects of any type: the
   class a previous event gave the address, if any. */
static TRACE_CLASS TracepObjectClass(const IRPSIM_TRACE_EVENT *Event, const TRACE_CAPTURE *Capture)
{
    static const TRACE_CLASS Waitables[] = {TraceClassEvent,     TraceClassTimer, TraceClassThread,
                                            TraceClassSemaphore, TraceClassMutex, TraceClassDpc};
    ULONG Unused;
    if (TraceIsIrpKind(Event->Kind))
        return TraceClassIrp;
    switch (Event->Kind) {
    case IrpSimTraceIrpCompletionRoutineStart: /* an IRP, though not one of its lifecycle kinds (trace.h) */
        return TraceClassIrp;
    case IrpSimTraceDeviceQueueInsert:
    case IrpSimTraceDeviceQueueRemove:
        return TraceClassQueue;
    case IrpSimTraceDpcQueued:
    case IrpSimTraceDpcRun:
    case IrpSimTraceDpcRemoved:
        return TraceClassDpc;
    case IrpSimTraceApcRun:
        return TraceClassApc;
    case IrpSimTraceSemaphoreReleased:
        return TraceClassSemaphore;
    case IrpSimTraceMutexReleased:
        return TraceClassMutex;
    case IrpSimTraceTimerSet:
    case IrpSimTraceTimerFired:
    case IrpSimTraceTimerCancelled:
        return TraceClassTimer;
    case IrpSimTraceEventSet:
    case IrpSimTraceEventReset:
        return TraceClassEvent;
    case IrpSimTraceThreadStart:
    case IrpSimTraceThreadExit:
        return TraceClassThread;
    case IrpSimTraceWorkItem:
        return TraceClassWorkItem;
    case IrpSimTraceDriverLoaded:
    case IrpSimTraceDriverUnloaded:
        return TraceClassDriver;
    case IrpSimTraceDeviceCreated:
    case IrpSimTraceDeviceDeleted:
    case IrpSimTraceIoTimer:
        return TraceClassDevice;
    case IrpSimTraceWaitBegin:
    case IrpSimTraceWaitEnd:
        if (TraceMapFind(&TracepObjects.ThreadByObject, (ULONG_PTR)Event->Object, &Unused))
            return TraceClassThread;
        for (ULONG i = 0; i < RTL_NUMBER_OF(Waitables); i++) {
            if (TraceMapFind(&TracepObjects.Current[Waitables[i]], (ULONG_PTR)Event->Object, &Unused))
                return Waitables[i];
        }
        return Capture->WaitClass != TraceClassNone ? Capture->WaitClass : TraceClassWaitable;
    default:
        if (Event->Object == NULL)
            return TraceClassNone;
        if (TraceMapFind(&TracepObjects.Current[TraceClassIrp], (ULONG_PTR)Event->Object, &Unused))
            return TraceClassIrp;
        if (TraceMapFind(&TracepObjects.Current[TraceClassDevice], (ULONG_PTR)Event->Object, &Unused))
            return TraceClassDevice;
        return TraceClassNone;
    }
}

VOID TraceNameEventLocked(PIRPSIM_TRACE_EVENT Event, const TRACE_CAPTURE *Capture)
{
    TRACE_CLASS Class;
    ULONG Index;

    TracepAddThread(Event);
    if (Capture->HaveDevice)
        (void)TracepDeviceIndex(Capture->Device, Event->Sequence, Capture, Event->Kind == IrpSimTraceDeviceCreated);
    /* Objects carried in arguments get their names in order of appearance too. */
    if (Event->Kind == IrpSimTraceCsqInsert || Event->Kind == IrpSimTraceCsqRemove ||
        Event->Kind == IrpSimTraceCsqCancel)
        (void)TracepNumber(TraceClassCsq, (PVOID)Event->Argument[0], FALSE);
    if (Event->Kind == IrpSimTraceTimerFired)
        (void)TracepNumber(TraceClassDpc, (PVOID)Event->Argument[0], FALSE);

    Class = TracepObjectClass(Event, Capture);
    Event->ObjectNumber = 0;
    Event->ObjectName[0] = 0;
    switch (Class) {
    case TraceClassNone:
        return;
    case TraceClassDevice:
        Index = TracepDeviceIndex(Event->Object, Event->Sequence, NULL, FALSE);
        if (Index == TRACE_NONE)
            return;
        Event->ObjectNumber = TracepObjects.Devices[Index].Number;
        TraceCopyText(Event->ObjectName, sizeof(Event->ObjectName), TracepObjects.Devices[Index].Label);
        if (Event->Kind == IrpSimTraceDeviceCreated || Event->Kind == IrpSimTraceDeviceDeleted) {
            const TRACE_DEVICE *Device = &TracepObjects.Devices[Index];
            if (Device->Name[0] != 0)
                TraceCopyText(Event->Text, sizeof(Event->Text), Device->Name);
            else
                snprintf(Event->Text, sizeof(Event->Text), "unnamed device of %s", Device->Driver);
        }
        return;
    case TraceClassThread: {
        const TRACE_THREAD *Thread = TraceFindThreadObjectLocked(Event->Object);
        if (Thread == NULL)
            return;
        Event->ObjectNumber = Thread->ThreadId;
        snprintf(Event->ObjectName, sizeof(Event->ObjectName), "T%u", (unsigned)Thread->ThreadId);
        return;
    }
    case TraceClassDriver:
        Event->ObjectNumber = TracepNumber(Class, Event->Object, FALSE);
        TraceCopyText(Event->ObjectName, sizeof(Event->ObjectName), Event->Text[0] != 0 ? Event->Text : "DRV");
        return;
    default:
        Event->ObjectNumber = TracepNumber(Class, Event->Object, Event->Kind == IrpSimTraceIrpAllocated);
        if (Event->ObjectNumber != 0)
            TraceFormatObjectName(Event->ObjectName, sizeof(Event->ObjectName), TracepClassPrefix[Class],
                                  Event->ObjectNumber);
        return;
    }
}

const TRACE_DEVICE *TraceFindDeviceLocked(PVOID Device, ULONGLONG Sequence)
{
    ULONG Index;
    if (Device == NULL || !TraceMapFind(&TracepObjects.Current[TraceClassDevice], (ULONG_PTR)Device, &Index))
        return NULL;
    while (Index != TRACE_NONE && TracepObjects.Devices[Index].FirstSequence > Sequence)
        Index = TracepObjects.Devices[Index].Previous;
    return Index != TRACE_NONE ? &TracepObjects.Devices[Index] : NULL;
}

VOID TraceDeviceLabelLocked(PVOID Device, ULONGLONG Sequence, PCHAR Buffer, SIZE_T Size)
{
    const TRACE_DEVICE *Entry = TraceFindDeviceLocked(Device, Sequence);
    if (Entry != NULL)
        snprintf(Buffer, Size, "%s", Entry->Label);
    else if (Device == NULL)
        snprintf(Buffer, Size, "(none)");
    else
        snprintf(Buffer, Size, "device %p", Device);
}

const TRACE_THREAD *TraceFindThreadLocked(ULONG ThreadId)
{
    ULONG Index;
    return TraceMapFind(&TracepObjects.ThreadById, ThreadId, &Index) ? &TracepObjects.Threads[Index] : NULL;
}

const TRACE_THREAD *TraceFindThreadObjectLocked(PVOID Thread)
{
    ULONG Index;
    return TraceMapFind(&TracepObjects.ThreadByObject, (ULONG_PTR)Thread, &Index) ? &TracepObjects.Threads[Index]
                                                                                  : NULL;
}

VOID TraceForgetObjectsLocked(VOID)
{
    for (ULONG i = 0; i < TraceClassCount; i++)
        TraceMapFree(&TracepObjects.Current[i]);
    TraceMapFree(&TracepObjects.ThreadById);
    TraceMapFree(&TracepObjects.ThreadByObject);
    free(TracepObjects.Devices);
    free(TracepObjects.Threads);
    memset(&TracepObjects, 0, sizeof(TracepObjects));
}
