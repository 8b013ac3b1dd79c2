/*
 * Helpers shared by the kernel dispatcher tests.
 */
#ifndef KE_TEST_H
#define KE_TEST_H

#include <ntddk.h>
#include <irpsim/irpsim.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <irpsim/cmocka.h>

/* 100 ns units. */
#define KE_TEST_MS(n) ((LONGLONG)(n) * 10000LL)
#define KE_TEST_SECONDS(n) ((LONGLONG)(n) * 10000000LL)

static inline int KeTestStart(IRPSIM_CLOCK_MODE Mode, ULONG Processors, BOOLEAN Verifier)
{
    IRPSIM_CONFIG Config;
    IrpSimDefaultConfig(&Config);
    Config.ClockMode = Mode;
    Config.ProcessorCount = Processors;
    Config.Verifier = Verifier;
    return NT_SUCCESS(IrpSimInitialize(&Config)) ? 0 : -1;
}

static inline int KeTestSetup(void **State)
{
    (void)State;
    return KeTestStart(IrpSimClockReal, 2, TRUE);
}

static inline int KeTestSetupVirtual(void **State)
{
    (void)State;
    return KeTestStart(IrpSimClockVirtual, 2, TRUE);
}

static inline int KeTestTeardown(void **State)
{
    (void)State;
    IrpSimShutdown();
    return 0;
}

/* Tests that depend on the virtual clock skip when IRPSIM_CLOCK=real forces it off. */
#define KE_TEST_REQUIRE_VIRTUAL()                      \
    do {                                               \
        if (IrpSimGetClockMode() != IrpSimClockVirtual) \
            skip();                                    \
    } while (0)

/* Starts StartRoutine in a system thread and returns its referenced thread object. */
static inline PKTHREAD KeTestStartThread(PKSTART_ROUTINE StartRoutine, PVOID Context)
{
    HANDLE Handle;
    PVOID Thread;
    assert_int_equal(PsCreateSystemThread(&Handle, THREAD_ALL_ACCESS, NULL, NULL, NULL, StartRoutine, Context),
                     STATUS_SUCCESS);
    assert_int_equal(ObReferenceObjectByHandle(Handle, SYNCHRONIZE, *PsThreadType, KernelMode, &Thread, NULL),
                     STATUS_SUCCESS);
    assert_int_equal(ZwClose(Handle), STATUS_SUCCESS);
    return (PKTHREAD)Thread;
}

/* Waits for a thread from KeTestStartThread to end and releases it. */
static inline VOID KeTestJoinThread(PKTHREAD Thread)
{
    assert_int_equal(KeWaitForSingleObject(Thread, Executive, KernelMode, FALSE, NULL), STATUS_WAIT_0);
    ObDereferenceObject(Thread);
}

#endif /* KE_TEST_H */
