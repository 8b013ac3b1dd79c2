/*
 * irpsim — error log entries. There is no event log: a written entry
 * becomes a note in the trace (error code, unique value, final status, the
 * device or driver), and its memory is freed.
 */
#include "iop.h"
#include "../trace/tracep.h"

#include <stdio.h>
#include <stdlib.h>

/* Host memory before the packet: which object the entry is about. */
typedef struct DECLSPEC_ALIGN(16) _IOP_ERROR_LOG_ENTRY {
    PVOID IoObject;
    ULONG Size;
} IOP_ERROR_LOG_ENTRY, *PIOP_ERROR_LOG_ENTRY;

PVOID NTAPI IoAllocateErrorLogEntry(PVOID IoObject, UCHAR EntrySize)
{
    PIOP_ERROR_LOG_ENTRY Entry;
    CSHORT Type;

    if (IoObject == NULL)
        return NULL;
    Type = ((PDEVICE_OBJECT)IoObject)->Type;
    if ((Type != IO_TYPE_DEVICE && Type != IO_TYPE_DRIVER) || EntrySize < sizeof(IO_ERROR_LOG_PACKET) ||
        EntrySize > ERROR_LOG_MAXIMUM_SIZE)
        return NULL;
    Entry = (PIOP_ERROR_LOG_ENTRY)calloc(1, sizeof(IOP_ERROR_LOG_ENTRY) + EntrySize);
    if (Entry == NULL)
        return NULL;
    Entry->IoObject = IoObject;
    Entry->Size = EntrySize;
    return Entry + 1;
}

VOID NTAPI IoFreeErrorLogEntry(PVOID ElEntry)
{
    if (ElEntry != NULL)
        free((PIOP_ERROR_LOG_ENTRY)ElEntry - 1);
}

VOID NTAPI IoWriteErrorLogEntry(PVOID ElEntry)
{
    PIOP_ERROR_LOG_ENTRY Entry = (PIOP_ERROR_LOG_ENTRY)ElEntry - 1;
    PIO_ERROR_LOG_PACKET Packet = (PIO_ERROR_LOG_PACKET)ElEntry;
    PVOID IoObject = Entry->IoObject;

    if (TraceActive) {
        CHAR Who[96];
        CHAR Text[96];
        if (((PDEVICE_OBJECT)IoObject)->Type == IO_TYPE_DEVICE)
            IopFormatDeviceName((PDEVICE_OBJECT)IoObject, Who, sizeof(Who));
        else
            IopFormatDriverName((PDRIVER_OBJECT)IoObject, Who, sizeof(Who));
        snprintf(Text, sizeof(Text), "ErrorLog %08X unique %X status %08X %.40s", (unsigned)Packet->ErrorCode,
                 (unsigned)Packet->UniqueErrorValue, (unsigned)Packet->FinalStatus, Who);
        TRACE_TEXT(IrpSimTraceNote, IoObject, Packet->ErrorCode, Packet->FinalStatus, Text);
    }
    IoFreeErrorLogEntry(ElEntry);
}
