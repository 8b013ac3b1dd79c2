/*
 * irpsim — CMocka helpers.
 *
 * Include after <cmocka.h>:
 *
 *     irpsim_assert_bugcheck(MULTIPLE_IRP_COMPLETE_REQUESTS_CODE,
 *                            IoCompleteRequest(Irp, IO_NO_INCREMENT));
 *
 * runs the statement with a catch frame armed and fails the test unless it
 * raised exactly that bug check. The caught report is kept in
 * irpsim_last_bugcheck for further assertions on parameters.
 */
#ifndef IRPSIM_CMOCKA_H
#define IRPSIM_CMOCKA_H

#include <irpsim/irpsim.h>
#include <irpsim/trace.h>

IRPSIM_EXTERN_C_BEGIN

/* The most recent catch frame used by irpsim_assert_bugcheck (per thread). */
extern IRPSIM_THREAD_LOCAL IRPSIM_BUGCHECK_CATCH irpsim_last_bugcheck; /* compiler.h */

#define irpsim_assert_bugcheck(ExpectedCode, Statement)                                                   \
    do {                                                                                                \
        IRPSIM_CATCH_BUGCHECK(irpsim_last_bugcheck, Statement);                                         \
        if (!irpsim_last_bugcheck.Caught)                                                               \
            fail_msg("expected bug check 0x%08X, but '%s' returned normally", (unsigned)(ExpectedCode), \
                     #Statement);                                                                       \
        else if (irpsim_last_bugcheck.Info.Code != (ULONG)(ExpectedCode))                               \
            fail_msg("expected bug check 0x%08X, got 0x%08X:%s", (unsigned)(ExpectedCode),              \
                     (unsigned)irpsim_last_bugcheck.Info.Code, irpsim_last_bugcheck.Info.Report);       \
    } while (0)

/* Asserts a bug check parameter of the last caught bug check. */
#define irpsim_assert_bugcheck_parameter(Index, Expected) \
    assert_int_equal(irpsim_last_bugcheck.Info.Parameter[(Index)], (ULONG_PTR)(Expected))

/*
 * Defines the CMocka fixtures TracedSetup and TracedTeardown: Setup and
 * Teardown with the in-memory trace switched on before the machine starts
 * and off after it has stopped, while no simulated thread can be emitting
 * events.
 */
#define IRPSIM_TRACED_FIXTURES(TracedSetup, TracedTeardown, Setup, Teardown) \
    static int TracedSetup(void **State)                                     \
    {                                                                        \
        IrpSimTraceEnable(IRPSIM_TRACE_MEMORY, NULL);                        \
        return Setup(State);                                                 \
    }                                                                        \
    static int TracedTeardown(void **State)                                  \
    {                                                                        \
        int Result = Teardown(State);                                        \
        IrpSimTraceEnable(0, NULL);                                          \
        return Result;                                                       \
    }

IRPSIM_EXTERN_C_END

#endif /* IRPSIM_CMOCKA_H */
