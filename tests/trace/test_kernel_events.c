/*
 * The kernel events around the IRPs (docs/trace.md, "The events"): a DPC
 * taken off its queue by KeRemoveQueueDpc, APCs run in their thread,
 * KeResetEvent / KeClearEvent, KeReleaseSemaphore, KeReleaseMutex and a
 * device's IoTimer routine. Each event names its object, carries the
 * thread, processor and IRQL it happened at, and comes in the order the
 * kernel does things (SEMANTICS.md 9.3-9.7):
 *   - KeRemoveQueueDpc returns TRUE for a queued DPC, which then never
 *     runs; FALSE when it is not queued (WDK: KeRemoveQueueDpc);
 *   - a special kernel APC runs at APC_LEVEL in its target thread before
 *     anything its kernel routine does (the I/O manager's stage 2 is one);
 *     a user APC runs only in an alertable UserMode wait;
 *   - KeResetEvent returns the previous state, KeClearEvent does not;
 *   - KeReleaseSemaphore returns the count before, KeReleaseMutex the
 *     signal state before (0 for a mutex held once, -1 for one held twice);
 *   - the IoTimer routine runs once per simulated second, at
 *     DISPATCH_LEVEL, inside its timer's DPC.
 * The machine runs on the virtual clock, so "a second" is exact.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_driver.h"
#include "ke/ki.h" /* KeInitializeApc / KeInsertQueueApc: not in the WDK headers */
#include <irpsim/irpsim.h>
#include <irpsim/trace.h>
#include "../support/test_tmpfile.h"

static PDRIVER_OBJECT Function;
static PFILE_OBJECT File;
static PDEVICE_OBJECT Device;

static int Setup(void **State)
{
    UNICODE_STRING Name = RTL_CONSTANT_STRING(TRACE_FUNCTION_DEVICE_NAME);
    IRPSIM_CONFIG Config;
    (void)State;
    IrpSimDefaultConfig(&Config);
    Config.ClockMode = IrpSimClockVirtual;
    Config.AutoAdvance = FALSE;
    Config.ProcessorCount = 2;
    IrpSimTraceEnable(IRPSIM_TRACE_MEMORY, NULL);
    if (IrpSimInitialize(&Config) != STATUS_SUCCESS ||
        !NT_SUCCESS(IrpSimLoadDriver(L"\\Driver\\TraceFunction", TraceFunctionEntry, &Function)) ||
        !NT_SUCCESS(IoGetDeviceObjectPointer(&Name, FILE_READ_DATA, &File, &Device)))
        return -1;
    IrpSimTraceClear();
    return 0;
}

static int Teardown(void **State)
{
    (void)State;
    if (File != NULL)
        ObDereferenceObject(File);
    File = NULL;
    if (Function != NULL)
        (void)IrpSimUnloadDriver(Function);
    Function = NULL;
    IrpSimShutdown();
    IrpSimTraceEnable(0, NULL);
    return 0;
}

static ULONG CurrentThreadId(void)
{
    return (ULONG)(ULONG_PTR)PsGetCurrentThreadId();
}

/* The N-th (0 = first) event of Kind naming Object, which must exist. */
static void FindNth(PVOID Object, IRPSIM_TRACE_KIND Kind, ULONG N, PIRPSIM_TRACE_EVENT Event)
{
    assert_true(IrpSimTraceObjectFindEvent(Object, Kind, N, Event));
    assert_ptr_equal(Event->Object, Object);
    assert_int_equal(Event->Kind, Kind);
}

/* The only event of Kind naming Object. */
static void FindOnly(PVOID Object, IRPSIM_TRACE_KIND Kind, PIRPSIM_TRACE_EVENT Event)
{
    assert_int_equal(IrpSimTraceCountObjectEvents(Object, Kind), 1);
    FindNth(Object, Kind, 0, Event);
}

/* ---- KeRemoveQueueDpc ---- */

/* A DPC routine that queues Inner on its own processor, where it has to
   wait until this routine returns, and takes it off the queue again. */
typedef struct _REMOVE_PROBE {
    KDPC Outer;
    KDPC Inner;
    BOOLEAN Removed;
    BOOLEAN RemovedAgain;
    ULONG ThreadId;
    volatile LONG InnerRuns;
} REMOVE_PROBE;

static VOID NTAPI CountRun(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2)
{
    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(Argument1);
    UNREFERENCED_PARAMETER(Argument2);
    InterlockedIncrement(&((REMOVE_PROBE *)Context)->InnerRuns);
}

static VOID NTAPI QueueAndRemove(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2)
{
    REMOVE_PROBE *Probe = (REMOVE_PROBE *)Context;
    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(Argument1);
    UNREFERENCED_PARAMETER(Argument2);
    Probe->ThreadId = (ULONG)(ULONG_PTR)PsGetCurrentThreadId();
    (void)KeInsertQueueDpc(&Probe->Inner, NULL, NULL);
    Probe->Removed = KeRemoveQueueDpc(&Probe->Inner);
    Probe->RemovedAgain = KeRemoveQueueDpc(&Probe->Inner);
}

/* Runs QueueAndRemove on processor 0 and waits until it (and anything it
   left queued) has run. */
static void RemoveOnProcessor0(REMOVE_PROBE *Probe)
{
    memset(Probe, 0, sizeof(*Probe));
    KeInitializeDpc(&Probe->Outer, QueueAndRemove, Probe);
    KeSetTargetProcessorDpc(&Probe->Outer, 0);
    KeInitializeDpc(&Probe->Inner, CountRun, Probe);
    assert_true(KeInsertQueueDpc(&Probe->Outer, NULL, NULL));
    KeFlushQueuedDpcs();
}

/* KeRemoveQueueDpc on a queued DPC: TRUE, a DpcRemoved event (A1 TRUE, A2
   the processor whose queue held it) after its DpcQueued, on the thread
   that called it (processor 0's, at DISPATCH_LEVEL), and no DpcRun for it
   ever after. Again: FALSE, A1 FALSE. */
static void TestRemoveQueuedDpc(void **State)
{
    static const IRPSIM_TRACE_KIND QueuedThenRemoved[] = {IrpSimTraceDpcQueued, IrpSimTraceDpcRemoved};
    REMOVE_PROBE Probe;
    IRPSIM_TRACE_EVENT Queued, Removed, Again;
    (void)State;

    RemoveOnProcessor0(&Probe);
    assert_true(Probe.Removed);
    assert_false(Probe.RemovedAgain);
    assert_int_equal(Probe.InnerRuns, 0);

    assert_true(IrpSimTraceObjectHasSequence(&Probe.Inner, QueuedThenRemoved, 2));
    FindOnly(&Probe.Inner, IrpSimTraceDpcQueued, &Queued);
    assert_int_equal(IrpSimTraceCountObjectEvents(&Probe.Inner, IrpSimTraceDpcRemoved), 2);
    FindNth(&Probe.Inner, IrpSimTraceDpcRemoved, 0, &Removed);
    assert_true(Removed.Sequence > Queued.Sequence);
    assert_int_equal(Removed.Argument[0], TRUE);
    assert_int_equal(Removed.Argument[1], 0);
    assert_string_equal(Removed.ObjectName, Queued.ObjectName);
    assert_true(strncmp(Removed.ObjectName, "DPC#", 4) == 0);
    assert_int_equal(Removed.ThreadId, Probe.ThreadId);
    assert_int_equal(Removed.Processor, 0);
    assert_int_equal(Removed.Irql, DISPATCH_LEVEL);
    assert_int_equal(IrpSimTraceCountObjectEvents(&Probe.Inner, IrpSimTraceDpcRun), 0);

    /* Not queued any more: FALSE, and an event that says so. */
    FindNth(&Probe.Inner, IrpSimTraceDpcRemoved, 1, &Again);
    assert_int_equal(Again.Argument[0], FALSE);
    assert_true(Again.Sequence > Removed.Sequence);
}

/* A DPC that was not removed runs: DpcQueued, DpcRun, and no DpcRemoved. */
static void TestDpcNotRemovedRuns(void **State)
{
    static const IRPSIM_TRACE_KIND QueuedThenRun[] = {IrpSimTraceDpcQueued, IrpSimTraceDpcRun};
    REMOVE_PROBE Probe;
    (void)State;
    memset(&Probe, 0, sizeof(Probe));
    KeInitializeDpc(&Probe.Inner, CountRun, &Probe);
    assert_true(KeInsertQueueDpc(&Probe.Inner, NULL, NULL));
    KeFlushQueuedDpcs();
    assert_int_equal(Probe.InnerRuns, 1);
    assert_true(IrpSimTraceObjectHasSequence(&Probe.Inner, QueuedThenRun, 2));
    assert_int_equal(IrpSimTraceCountObjectEvents(&Probe.Inner, IrpSimTraceDpcRemoved), 0);
}

/* ---- APCs ---- */

typedef struct _APC_PROBE {
    KAPC Apc;
    KEVENT Ran; /* set by the kernel routine */
    volatile LONG NormalRuns;
} APC_PROBE;

static VOID NTAPI ProbeKernelRoutine(PKAPC Apc, PKNORMAL_ROUTINE *NormalRoutine, PVOID *NormalContext,
                                     PVOID *SystemArgument1, PVOID *SystemArgument2)
{
    APC_PROBE *Probe = CONTAINING_RECORD(Apc, APC_PROBE, Apc);
    (void)NormalRoutine;
    (void)NormalContext;
    (void)SystemArgument1;
    (void)SystemArgument2;
    KeSetEvent(&Probe->Ran, IO_NO_INCREMENT, FALSE);
}

static VOID NTAPI ProbeNormalRoutine(PVOID NormalContext, PVOID SystemArgument1, PVOID SystemArgument2)
{
    (void)SystemArgument1;
    (void)SystemArgument2;
    InterlockedIncrement(&((APC_PROBE *)NormalContext)->NormalRuns);
}

static void InitProbe(APC_PROBE *Probe, PKTHREAD Thread, BOOLEAN Special, KPROCESSOR_MODE Mode)
{
    memset(Probe, 0, sizeof(*Probe));
    KeInitializeEvent(&Probe->Ran, NotificationEvent, FALSE);
    KeInitializeApc(&Probe->Apc, Thread, OriginalApcEnvironment, ProbeKernelRoutine, NULL,
                    Special ? NULL : ProbeNormalRoutine, Mode, Probe);
}

/* The ApcRun event of Probe, checked against what ran: recorded on the
   thread Ran, at APC_LEVEL, before the kernel routine set the event. */
static void CheckApcRun(APC_PROBE *Probe, ULONG Kind, ULONG ThreadId)
{
    IRPSIM_TRACE_EVENT Run, Set;
    FindOnly(&Probe->Apc, IrpSimTraceApcRun, &Run);
    FindOnly(&Probe->Ran, IrpSimTraceEventSet, &Set);
    assert_true(Run.Sequence < Set.Sequence);
    assert_int_equal(Run.ThreadId, ThreadId);
    assert_int_equal(Set.ThreadId, ThreadId);
    assert_int_equal(Run.Irql, APC_LEVEL);
    assert_ptr_equal((PVOID)Run.Argument[0], (PVOID)ProbeKernelRoutine);
    assert_int_equal(Run.Argument[1], Kind);
    if (Kind == IRPSIM_TRACE_APC_SPECIAL)
        assert_int_equal(Run.Argument[2], 0);
    else
        assert_ptr_equal((PVOID)Run.Argument[2], (PVOID)ProbeNormalRoutine);
    assert_true(strncmp(Run.ObjectName, "APC#", 4) == 0);
}

/* Kernel APCs queued to the calling thread at PASSIVE_LEVEL run at once. */
static void TestKernelApcsRun(void **State)
{
    APC_PROBE Special, Normal;
    (void)State;
    InitProbe(&Special, KeGetCurrentThread(), TRUE, KernelMode);
    assert_true(KeInsertQueueApc(&Special.Apc, NULL, NULL, 0));
    CheckApcRun(&Special, IRPSIM_TRACE_APC_SPECIAL, CurrentThreadId());

    InitProbe(&Normal, KeGetCurrentThread(), FALSE, KernelMode);
    assert_true(KeInsertQueueApc(&Normal.Apc, NULL, NULL, 0));
    assert_int_equal(Normal.NormalRuns, 1);
    CheckApcRun(&Normal, IRPSIM_TRACE_APC_KERNEL, CurrentThreadId());
}

typedef struct _ALERTABLE {
    KEVENT Ready;
    KEVENT Never;
    NTSTATUS Status;
} ALERTABLE;

static VOID NTAPI AlertableWaiter(PVOID Context)
{
    ALERTABLE *Waiter = (ALERTABLE *)Context;
    KeSetEvent(&Waiter->Ready, IO_NO_INCREMENT, FALSE);
    Waiter->Status = KeWaitForSingleObject(&Waiter->Never, Executive, UserMode, TRUE, NULL);
}

/* A user APC runs in the thread it was queued to, in its alertable UserMode
   wait, which then ends with STATUS_USER_APC. */
static void TestUserApcRunsInItsThread(void **State)
{
    ALERTABLE Waiter;
    APC_PROBE User;
    HANDLE Handle;
    PVOID Thread;
    (void)State;

    KeInitializeEvent(&Waiter.Ready, NotificationEvent, FALSE);
    KeInitializeEvent(&Waiter.Never, NotificationEvent, FALSE);
    Waiter.Status = STATUS_PENDING;
    assert_int_equal(PsCreateSystemThread(&Handle, THREAD_ALL_ACCESS, NULL, NULL, NULL, AlertableWaiter, &Waiter),
                     STATUS_SUCCESS);
    assert_int_equal(ObReferenceObjectByHandle(Handle, SYNCHRONIZE, *PsThreadType, KernelMode, &Thread, NULL),
                     STATUS_SUCCESS);
    assert_int_equal(ZwClose(Handle), STATUS_SUCCESS);
    assert_int_equal(KeWaitForSingleObject(&Waiter.Ready, Executive, KernelMode, FALSE, NULL), STATUS_WAIT_0);
    IrpSimRunUntilIdle(0); /* now blocked in its wait */

    InitProbe(&User, (PKTHREAD)Thread, FALSE, UserMode);
    assert_true(KeInsertQueueApc(&User.Apc, NULL, NULL, 0));
    assert_int_equal(KeWaitForSingleObject(Thread, Executive, KernelMode, FALSE, NULL), STATUS_WAIT_0);
    assert_int_equal(Waiter.Status, STATUS_USER_APC);
    assert_int_equal(User.NormalRuns, 1);
    CheckApcRun(&User, IRPSIM_TRACE_APC_USER, (ULONG)(ULONG_PTR)PsGetThreadId((PETHREAD)Thread));
    ObDereferenceObject(Thread);
}

/* An IRP completed on another thread (the driver's DPC) finishes with
   stage 2 in the thread that sent it: IrpPostProcessing queues it (A2 0),
   the special kernel APC in the IRP runs there, then IrpCompleted. */
static void TestStageTwoIsAnApc(void **State)
{
    KEVENT Done, Unused;
    IO_STATUS_BLOCK Iosb, ReleaseIosb;
    IRPSIM_TRACE_EVENT Queued, Run, Completed;
    PIRP Irp, Release;
    PVOID Apc;
    (void)State;

    KeInitializeEvent(&Done, NotificationEvent, FALSE);
    KeInitializeEvent(&Unused, NotificationEvent, FALSE);
    Irp = IoBuildDeviceIoControlRequest(IOCTL_TRACE_DPC, Device, NULL, 0, NULL, 0, FALSE, &Done, &Iosb);
    assert_non_null(Irp);
    Apc = &Irp->Tail.Apc; /* only the address: the IRP is freed by stage 2 */
    assert_int_equal(IoCallDriver(Device, Irp), STATUS_PENDING);
    Release =
        IoBuildDeviceIoControlRequest(IOCTL_TRACE_RELEASE, Device, NULL, 0, NULL, 0, FALSE, &Unused, &ReleaseIosb);
    assert_non_null(Release);
    assert_int_equal(IoCallDriver(Device, Release), STATUS_SUCCESS);
    assert_int_equal(KeWaitForSingleObject(&Done, Executive, KernelMode, FALSE, NULL), STATUS_WAIT_0);
    assert_int_equal(Iosb.Status, STATUS_SUCCESS);

    assert_true(IrpSimTraceIrpFindEvent(Irp, IrpSimTraceIrpPostProcessing, 0, &Queued));
    assert_int_equal(Queued.Argument[1], 0); /* queued as an APC */
    assert_true(IrpSimTraceIrpFindEvent(Irp, IrpSimTraceIrpCompleted, 0, &Completed));
    FindOnly(Apc, IrpSimTraceApcRun, &Run);
    assert_int_equal(Run.Argument[1], IRPSIM_TRACE_APC_SPECIAL);
    assert_true(Queued.Sequence < Run.Sequence && Run.Sequence < Completed.Sequence);
    assert_int_equal(Run.ThreadId, CurrentThreadId());
    assert_int_equal(Completed.ThreadId, CurrentThreadId());
    assert_int_not_equal(Queued.ThreadId, CurrentThreadId()); /* the DPC's processor */
}

/* ---- events, semaphores, mutexes ---- */

/* KeResetEvent and KeClearEvent each leave an EventReset (A1 the previous
   state, A2 TRUE for KeClearEvent), in order with the KeSetEvent between. */
static void TestEventResetAndClear(void **State)
{
    static const IRPSIM_TRACE_KIND ResetSetClear[] = {IrpSimTraceEventReset, IrpSimTraceEventSet, IrpSimTraceEventReset,
                                                      IrpSimTraceEventReset};
    KEVENT Event;
    IRPSIM_TRACE_EVENT Reset, Clear, Again;
    (void)State;
    KeInitializeEvent(&Event, NotificationEvent, TRUE);
    assert_int_equal(KeResetEvent(&Event), 1);
    KeSetEvent(&Event, IO_NO_INCREMENT, FALSE);
    KeClearEvent(&Event);
    KeClearEvent(&Event);

    assert_true(IrpSimTraceObjectHasSequence(&Event, ResetSetClear, 4));
    FindNth(&Event, IrpSimTraceEventReset, 0, &Reset);
    assert_int_equal(Reset.Argument[0], 1);
    assert_int_equal(Reset.Argument[1], FALSE);
    FindNth(&Event, IrpSimTraceEventReset, 1, &Clear);
    assert_int_equal(Clear.Argument[0], 1);
    assert_int_equal(Clear.Argument[1], TRUE);
    FindNth(&Event, IrpSimTraceEventReset, 2, &Again);
    assert_int_equal(Again.Argument[0], 0); /* was already clear */
    assert_true(strncmp(Reset.ObjectName, "EVENT#", 6) == 0);
    assert_string_equal(Clear.ObjectName, Reset.ObjectName);
    assert_int_equal(Clear.ThreadId, CurrentThreadId());
}

/* KeReleaseSemaphore: A1 the count before (what it returns), A2 the
   adjustment, A3 the limit; a wait on it names the same SEM#n. */
static void TestSemaphoreReleased(void **State)
{
    static const IRPSIM_TRACE_KIND ReleaseThenWait[] = {IrpSimTraceSemaphoreReleased, IrpSimTraceWaitBegin,
                                                        IrpSimTraceWaitEnd, IrpSimTraceSemaphoreReleased};
    KSEMAPHORE Semaphore;
    IRPSIM_TRACE_EVENT First, Wait, Second;
    (void)State;
    KeInitializeSemaphore(&Semaphore, 0, 3);
    assert_int_equal(KeReleaseSemaphore(&Semaphore, IO_NO_INCREMENT, 2, FALSE), 0);
    assert_int_equal(KeWaitForSingleObject(&Semaphore, Executive, KernelMode, FALSE, NULL), STATUS_WAIT_0);
    assert_int_equal(KeReleaseSemaphore(&Semaphore, IO_NO_INCREMENT, 1, FALSE), 1);

    assert_true(IrpSimTraceObjectHasSequence(&Semaphore, ReleaseThenWait, 4));
    FindNth(&Semaphore, IrpSimTraceSemaphoreReleased, 0, &First);
    assert_int_equal(First.Argument[0], 0);
    assert_int_equal(First.Argument[1], 2);
    assert_int_equal(First.Argument[2], 3);
    assert_true(strncmp(First.ObjectName, "SEM#", 4) == 0);
    FindNth(&Semaphore, IrpSimTraceWaitBegin, 0, &Wait);
    assert_string_equal(Wait.ObjectName, First.ObjectName);
    FindNth(&Semaphore, IrpSimTraceSemaphoreReleased, 1, &Second);
    assert_int_equal(Second.Argument[0], 1);
    assert_int_equal(Second.Argument[1], 1);
    assert_int_equal(Second.ThreadId, CurrentThreadId());
}

/* KeReleaseMutex on a mutex held twice: A1 -1 and still owned, then 0 and
   free (A2 TRUE). */
static void TestMutexReleased(void **State)
{
    KMUTEX Mutex;
    IRPSIM_TRACE_EVENT Inner, Outer, Wait;
    (void)State;
    KeInitializeMutex(&Mutex, 0);
    assert_int_equal(KeWaitForSingleObject(&Mutex, Executive, KernelMode, FALSE, NULL), STATUS_WAIT_0);
    assert_int_equal(KeWaitForSingleObject(&Mutex, Executive, KernelMode, FALSE, NULL), STATUS_WAIT_0);
    assert_int_equal(KeReleaseMutex(&Mutex, FALSE), -1);
    assert_int_equal(KeReleaseMutex(&Mutex, FALSE), 0);

    assert_int_equal(IrpSimTraceCountObjectEvents(&Mutex, IrpSimTraceMutexReleased), 2);
    FindNth(&Mutex, IrpSimTraceMutexReleased, 0, &Inner);
    FindNth(&Mutex, IrpSimTraceMutexReleased, 1, &Outer);
    assert_int_equal((LONG)Inner.Argument[0], -1);
    assert_int_equal(Inner.Argument[1], FALSE);
    assert_int_equal((LONG)Outer.Argument[0], 0);
    assert_int_equal(Outer.Argument[1], TRUE);
    assert_true(Inner.Sequence < Outer.Sequence);
    FindNth(&Mutex, IrpSimTraceWaitEnd, 1, &Wait);
    assert_true(Wait.Sequence < Inner.Sequence);
    assert_true(strncmp(Outer.ObjectName, "MUTEX#", 6) == 0);
    assert_string_equal(Wait.ObjectName, Outer.ObjectName);
    assert_int_equal(Outer.ThreadId, CurrentThreadId());
}

/* ---- IoTimer ---- */

static volatile LONG Ticks;

static VOID NTAPI OnTick(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    InterlockedIncrement((volatile LONG *)Context);
}

static void Advance(LONGLONG Milliseconds)
{
    assert_int_equal(IrpSimAdvanceTime(Milliseconds * 10000), STATUS_SUCCESS);
    KeFlushQueuedDpcs();
}

/* One IoTimer event per simulated second, naming the device, with the
   routine and context, at DISPATCH_LEVEL on a processor's DPC thread right
   after its timer's DPC started; none before a second has passed. */
static void TestIoTimerRoutine(void **State)
{
    IRPSIM_TRACE_EVENT Tick, Previous;
    ULONG Index = 0;
    (void)State;
    if (IrpSimGetClockMode() != IrpSimClockVirtual)
        skip(); /* IRPSIM_CLOCK=real in the environment */
    Ticks = 0;
    assert_int_equal(IoInitializeTimer(Device, OnTick, (PVOID)&Ticks), STATUS_SUCCESS);
    IoStartTimer(Device);
    Advance(500);
    assert_int_equal(IrpSimTraceCountObjectEvents(Device, IrpSimTraceIoTimer), 0);
    Advance(1000);
    Advance(1000);
    IoStopTimer(Device);
    assert_int_equal(Ticks, 2);
    assert_int_equal(IrpSimTraceCountObjectEvents(Device, IrpSimTraceIoTimer), 2);

    assert_true(IrpSimTraceFind(&Index, IrpSimTraceIoTimer, Device, &Tick));
    assert_ptr_equal((PVOID)Tick.Argument[0], (PVOID)OnTick);
    assert_ptr_equal((PVOID)Tick.Argument[1], (PVOID)&Ticks);
    assert_string_equal(Tick.ObjectName, "TraceFunction");
    assert_int_equal(Tick.Irql, DISPATCH_LEVEL);
    assert_int_not_equal(Tick.ThreadId, CurrentThreadId());
    assert_true(Tick.Time >= 10000000ULL); /* one simulated second after the start */
    /* The event just before it on that thread: its timer's DPC starting. */
    for (ULONG i = Index; i-- > 0;) {
        assert_true(IrpSimTraceGet(i, &Previous));
        if (Previous.ThreadId == Tick.ThreadId)
            break;
    }
    assert_int_equal(Previous.Kind, IrpSimTraceDpcRun);
}

/* ---- the renderings ---- */

static char *Render(int Which)
{
    FILE *Stream = Which == 1 ? fopen("trace_kernel_test_chrome.json", "w+b") : TestTmpFile();
    IRPSIM_TRACE_MERMAID_OPTIONS Options;
    long Length;
    char *Text;

    assert_non_null(Stream);
    memset(&Options, 0, sizeof(Options));
    Options.Size = sizeof(Options);
    Options.ShowIrpLifetime = TRUE;
    Options.ShowSynchronization = Which == 2;
    if (Which == 0)
        IrpSimTraceWriteText(Stream);
    else if (Which == 1)
        IrpSimTraceWriteChrome(Stream);
    else
        IrpSimTraceWriteMermaid(Stream, &Options);
    assert_int_equal(fflush(Stream), 0);
    assert_int_equal(fseek(Stream, 0, SEEK_END), 0);
    Length = ftell(Stream);
    assert_true(Length > 0);
    rewind(Stream);
    Text = (char *)malloc((size_t)Length + 1);
    assert_non_null(Text);
    assert_int_equal(fread(Text, 1, (size_t)Length, Stream), (size_t)Length);
    Text[Length] = 0;
    fclose(Stream);
    return Text;
}

static void Expect(const char *Text, const char *Needle)
{
    if (strstr(Text, Needle) == NULL)
        print_error("missing: %s\n", Needle);
    assert_non_null(strstr(Text, Needle));
}

/* What each sink (0 text, 1 Chrome, 2 Mermaid) shows of the events below;
   IoTimer only when the virtual clock made it run. */
typedef struct _RENDERING {
    int Sink;
    const char *Needles[10];
    const char *IoTimer;
} RENDERING;

static const RENDERING Renderings[] = {
    {0,
     {"DpcRemoved", "KeRemoveQueueDpc: removed from CPU 0's queue, will not run", "ApcRun",
      "special kernel APC: kernel routine ", "EventReset", "KeClearEvent, previous state 1", "SemaphoreReleased",
      "count 0 -> 2 (limit 3)", "MutexReleased", "returned 0, now free"},
     "IoTimer routine "},
    {1,
     {"\"name\":\"KeRemoveQueueDpc DPC#", " special kernel APC\",\"cat\":\"apc\",\"ph\":\"i\"",
      "\"name\":\"KeClearEvent EVENT#", "\"name\":\"KeReleaseSemaphore SEM#", "\"name\":\"KeReleaseMutex MUTEX#",
      "\"event\":\"DpcRemoved\""},
     "\"name\":\"IoTimer routine of TraceFunction\",\"cat\":\"timer\""},
    {2,
     {"Note over DPC: KeRemoveQueueDpc DPC#35;", "special kernel APC runs", ": KeClearEvent EVENT#35;",
      ": KeReleaseSemaphore SEM#35;", "(count 0 -> 2)", ": KeReleaseMutex MUTEX#35;"},
     "DPC->>D1: IoTimer routine on CPU "},
};

/* Every sink decodes the new events: the text timeline in words, the
   Chrome trace as named instants (the file is kept for the python checks,
   trace_kernel_chrome_json), the Mermaid diagram as arrows and notes. */
static void TestRenderings(void **State)
{
    REMOVE_PROBE Probe;
    KEVENT Event;
    KSEMAPHORE Semaphore;
    KMUTEX Mutex;
    APC_PROBE Special;
    (void)State;

    RemoveOnProcessor0(&Probe);
    KeInitializeEvent(&Event, NotificationEvent, TRUE);
    KeClearEvent(&Event);
    KeInitializeSemaphore(&Semaphore, 0, 3);
    (void)KeReleaseSemaphore(&Semaphore, IO_NO_INCREMENT, 2, FALSE);
    KeInitializeMutex(&Mutex, 0);
    (void)KeWaitForSingleObject(&Mutex, Executive, KernelMode, FALSE, NULL);
    (void)KeReleaseMutex(&Mutex, FALSE);
    InitProbe(&Special, KeGetCurrentThread(), TRUE, KernelMode);
    (void)KeInsertQueueApc(&Special.Apc, NULL, NULL, 0);
    if (IrpSimGetClockMode() == IrpSimClockVirtual) {
        (void)IoInitializeTimer(Device, OnTick, (PVOID)&Ticks);
        IoStartTimer(Device);
        Advance(1000);
        IoStopTimer(Device);
    }

    for (ULONG i = 0; i < RTL_NUMBER_OF(Renderings); i++) {
        const RENDERING *Rendering = &Renderings[i];
        char *Text = Render(Rendering->Sink);
        for (ULONG j = 0; j < RTL_NUMBER_OF(Rendering->Needles) && Rendering->Needles[j] != NULL; j++)
            Expect(Text, Rendering->Needles[j]);
        if (IrpSimGetClockMode() == IrpSimClockVirtual)
            Expect(Text, Rendering->IoTimer);
        free(Text);
    }
}

/* Without ShowSynchronization the diagram leaves event, semaphore and mutex
   operations out (irpsim makes many of its own). */
static void TestMermaidLeavesSynchronizationOut(void **State)
{
    KEVENT Event;
    IRPSIM_TRACE_MERMAID_OPTIONS Options;
    FILE *Stream = TestTmpFile();
    char Text[4096];
    size_t Length;
    (void)State;
    KeInitializeEvent(&Event, NotificationEvent, TRUE);
    KeClearEvent(&Event);
    IrpSimTraceAddNote("after the clear");
    memset(&Options, 0, sizeof(Options));
    Options.Size = sizeof(Options);
    assert_non_null(Stream);
    IrpSimTraceWriteMermaid(Stream, &Options);
    rewind(Stream);
    Length = fread(Text, 1, sizeof(Text) - 1, Stream);
    Text[Length] = 0;
    fclose(Stream);
    Expect(Text, "after the clear");
    assert_null(strstr(Text, "KeClearEvent"));
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(TestRemoveQueuedDpc, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestDpcNotRemovedRuns, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestKernelApcsRun, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestUserApcRunsInItsThread, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestStageTwoIsAnApc, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestEventResetAndClear, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestSemaphoreReleased, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestMutexReleased, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestIoTimerRoutine, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestRenderings, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestMermaidLeavesSynchronizationOut, Setup, Teardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
