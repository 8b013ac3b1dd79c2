/*
 * irpsim — RtlAssert: what a failed ASSERT does.
 *
 * On a checked build of Windows, RtlAssert prints
 *     *** Assertion failed: <message><expression>
 *     ***   Source File: <file>, line <n>
 * and breaks into the kernel debugger. Windows has no bug check for a
 * failed assertion; irpsim prints the same text and then raises its own
 * bug check IRPSIM_ASSERTION_FAILED (include/irpsim/wdk/dbg.h), so the
 * driver stops where the assumption broke and a test can expect it with
 * irpsim_assert_bugcheck(IRPSIM_ASSERTION_FAILED, ...).
 */
#include "rtlp.h"
#include "../verifier/vf.h"

#include <stdio.h>

VOID NTAPI RtlAssert(PVOID VoidFailedAssertion, PVOID VoidFileName, ULONG LineNumber, PSTR MutableMessage)
{
    /* Per thread, and still readable after the bug check unwinds to a
       catch frame (the caught report points at it). */
    static IRPSIM_THREAD_LOCAL CHAR Rule[512];
    PCSTR Expression = VoidFailedAssertion != NULL ? (PCSTR)VoidFailedAssertion : "(unknown expression)";
    PCSTR FileName = VoidFileName != NULL ? (PCSTR)VoidFileName : "(unknown file)";
    PCSTR Message = MutableMessage != NULL ? MutableMessage : "";

    RtlpDebugPrintf("\n*** Assertion failed: %s%s\n***   Source File: %s, line %u\n\n", Message, Expression, FileName,
                    LineNumber);

    snprintf(Rule, sizeof(Rule), "ASSERT(%s) failed at %s, line %u%s%s%s", Expression, FileName, LineNumber,
             MutableMessage != NULL ? " (\"" : "", Message, MutableMessage != NULL ? "\")" : "");
    VfBugCheck(IRPSIM_ASSERTION_FAILED, (ULONG_PTR)Expression, (ULONG_PTR)FileName, LineNumber,
               (ULONG_PTR)MutableMessage, NULL, Rule,
               "The driver asserted something that is false here. On a checked build Windows would break into "
               "the debugger at this line; find out why the assumption does not hold (the expression and the "
               "place are above).");
}
