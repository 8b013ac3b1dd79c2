/*
 * irpsim — thread queries (Ps*, Io*, ExGetPreviousMode).
 *
 * Threads made with PsCreateSystemThread (worker threads included) and the
 * simulated processors' threads are system threads; the test's own threads
 * and the Win32 facade's application threads are not. PreviousMode is
 * KernelMode unless the Win32 facade set it to UserMode around a call it
 * makes on the application's behalf.
 */
#include "../ke/ki.h"

PETHREAD NTAPI PsGetCurrentThread(VOID)
{
    return KiEThreadFromThread(KiGetCurrentThread());
}

HANDLE NTAPI PsGetCurrentThreadId(VOID)
{
    return KiGetCurrentThread()->Cid.UniqueThread;
}

HANDLE NTAPI PsGetThreadId(PETHREAD Thread)
{
    return KiThreadFromEThread(Thread)->Cid.UniqueThread;
}

BOOLEAN NTAPI PsIsSystemThread(PETHREAD Thread)
{
    return KiThreadFromEThread(Thread)->IsSystemThread;
}

BOOLEAN NTAPI IoIsSystemThread(PETHREAD Thread)
{
    return KiThreadFromEThread(Thread)->IsSystemThread;
}

BOOLEAN NTAPI PsIsThreadTerminating(PETHREAD Thread)
{
    return PAL_ATOMIC_LOAD(&KiThreadFromEThread(Thread)->Terminating, PAL_ORDER_ACQUIRE);
}

PEPROCESS NTAPI PsGetThreadProcess(PETHREAD Thread)
{
    UNREFERENCED_PARAMETER(Thread);
    return PAL_ATOMIC_LOAD(&KiSystemProcess, PAL_ORDER_ACQUIRE);
}

KPROCESSOR_MODE NTAPI ExGetPreviousMode(VOID)
{
    PKTHREAD Thread = KiGetCurrentThreadIfAny();
    return Thread != NULL ? Thread->PreviousMode : KernelMode;
}
