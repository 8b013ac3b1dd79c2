/*
 * The plainest cancel-safe queue a driver can have: a FIFO list under a
 * spin lock, cancelled IRPs completed with STATUS_CANCELLED. Shared by
 * test drivers whose subject is something else (the verifier's rules).
 */
#ifndef IRPSIM_TESTS_LIST_CSQ_H
#define IRPSIM_TESTS_LIST_CSQ_H

#include <ntddk.h>

typedef struct _LIST_CSQ {
    IO_CSQ Csq; /* first: the callbacks find the queue from it */
    LIST_ENTRY Irps;
    KSPIN_LOCK Lock;
} LIST_CSQ, *PLIST_CSQ;

/* Initialises the list and lock, then IoCsqInitialize. */
NTSTATUS ListCsqInitialize(PLIST_CSQ Queue);

/* The list and lock only: the IO_CSQ stays as it was (tests of what
   happens when a driver forgets IoCsqInitialize). */
VOID ListCsqInitializeStorage(PLIST_CSQ Queue);

#endif
