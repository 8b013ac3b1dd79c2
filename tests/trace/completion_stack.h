/*
 * The completion-routine trace test's driver (completion_stack.c): a
 * function device under two filters, each with a completion routine.
 */
#ifndef COMPLETION_STACK_H
#define COMPLETION_STACK_H

#include <ntddk.h>

/* The notes the filters' completion routines leave in the trace. */
#define COMPLETION_STACK_NOTE_LOWER "lower filter's completion routine"
#define COMPLETION_STACK_NOTE_UPPER "upper filter's completion routine"

DRIVER_INITIALIZE CompletionStackEntry;

extern PDEVICE_OBJECT CompletionStackFunction;
/* [0] is attached to the function device, [1] (the top) to [0]. */
extern PDEVICE_OBJECT CompletionStackFilters[2];

#endif /* COMPLETION_STACK_H */
