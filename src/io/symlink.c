/*
 * irpsim — symbolic links (IoCreateSymbolicLink, IoDeleteSymbolicLink).
 *
 * The object manager keeps the links; \DosDevices\X, \GLOBAL??\X and \??\X
 * are one name there. A link made here is permanent: it lives until
 * IoDeleteSymbolicLink, whatever happens to the device it names.
 */
#include "iop.h"

NTSTATUS NTAPI IoCreateSymbolicLink(PUNICODE_STRING SymbolicLinkName, PUNICODE_STRING DeviceName)
{
    if (SymbolicLinkName == NULL || SymbolicLinkName->Buffer == NULL || SymbolicLinkName->Length == 0)
        return STATUS_OBJECT_NAME_INVALID;
    return ObpCreateSymbolicLink(SymbolicLinkName, DeviceName, NULL);
}

NTSTATUS NTAPI IoCreateUnprotectedSymbolicLink(PUNICODE_STRING SymbolicLinkName, PUNICODE_STRING DeviceName)
{
    /* Only the link's security descriptor differs on Windows. */
    return IoCreateSymbolicLink(SymbolicLinkName, DeviceName);
}

NTSTATUS NTAPI IoDeleteSymbolicLink(PUNICODE_STRING SymbolicLinkName)
{
    return ObpDeleteSymbolicLink(SymbolicLinkName);
}
