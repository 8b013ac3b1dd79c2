/*
 * irpsim — IRPs in words: the WinDbg-style !irp dump (IrpSimDumpIrp,
 * IopFormatIrp for bug check reports) and the IRP leak report.
 *
 * The dump asks the state table first: a freed IRP is described from the
 * table and its memory is not read; for an IRP whose completion APC is
 * queued, Tail.Overlay (now the APC) is not interpreted.
 */
#include "iop.h"
#include "../rtl/text.h"
#include "../sim/simp.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* Pointers as WinDbg shows them: fixed-width hex. */
#define P(x) ((unsigned long long)(ULONG_PTR)(x))

static const PCSTR IopMajorNames[IRP_MJ_MAXIMUM_FUNCTION + 1] = {
    "IRP_MJ_CREATE",
    "IRP_MJ_CREATE_NAMED_PIPE",
    "IRP_MJ_CLOSE",
    "IRP_MJ_READ",
    "IRP_MJ_WRITE",
    "IRP_MJ_QUERY_INFORMATION",
    "IRP_MJ_SET_INFORMATION",
    "IRP_MJ_QUERY_EA",
    "IRP_MJ_SET_EA",
    "IRP_MJ_FLUSH_BUFFERS",
    "IRP_MJ_QUERY_VOLUME_INFORMATION",
    "IRP_MJ_SET_VOLUME_INFORMATION",
    "IRP_MJ_DIRECTORY_CONTROL",
    "IRP_MJ_FILE_SYSTEM_CONTROL",
    "IRP_MJ_DEVICE_CONTROL",
    "IRP_MJ_INTERNAL_DEVICE_CONTROL",
    "IRP_MJ_SHUTDOWN",
    "IRP_MJ_LOCK_CONTROL",
    "IRP_MJ_CLEANUP",
    "IRP_MJ_CREATE_MAILSLOT",
    "IRP_MJ_QUERY_SECURITY",
    "IRP_MJ_SET_SECURITY",
    "IRP_MJ_POWER",
    "IRP_MJ_SYSTEM_CONTROL",
    "IRP_MJ_DEVICE_CHANGE",
    "IRP_MJ_QUERY_QUOTA",
    "IRP_MJ_SET_QUOTA",
    "IRP_MJ_PNP",
};

static const PCSTR IopPnpMinorNames[] = {
    "IRP_MN_START_DEVICE",          "IRP_MN_QUERY_REMOVE_DEVICE",         "IRP_MN_REMOVE_DEVICE",
    "IRP_MN_CANCEL_REMOVE_DEVICE",  "IRP_MN_STOP_DEVICE",                 "IRP_MN_QUERY_STOP_DEVICE",
    "IRP_MN_CANCEL_STOP_DEVICE",    "IRP_MN_QUERY_DEVICE_RELATIONS",      "IRP_MN_QUERY_INTERFACE",
    "IRP_MN_QUERY_CAPABILITIES",    "IRP_MN_QUERY_RESOURCES",             "IRP_MN_QUERY_RESOURCE_REQUIREMENTS",
    "IRP_MN_QUERY_DEVICE_TEXT",     "IRP_MN_FILTER_RESOURCE_REQUIREMENTS", NULL,
    "IRP_MN_READ_CONFIG",           "IRP_MN_WRITE_CONFIG",                "IRP_MN_EJECT",
    "IRP_MN_SET_LOCK",              "IRP_MN_QUERY_ID",                    "IRP_MN_QUERY_PNP_DEVICE_STATE",
    "IRP_MN_QUERY_BUS_INFORMATION", "IRP_MN_DEVICE_USAGE_NOTIFICATION",   "IRP_MN_SURPRISE_REMOVAL",
};

static const PCSTR IopPowerMinorNames[] = {"IRP_MN_WAIT_WAKE", "IRP_MN_POWER_SEQUENCE", "IRP_MN_SET_POWER",
                                           "IRP_MN_QUERY_POWER"};

static PCSTR IopMinorName(UCHAR Major, UCHAR Minor)
{
    PCSTR Name = NULL;
    if (Major == IRP_MJ_PNP && Minor < RTL_NUMBER_OF(IopPnpMinorNames))
        Name = IopPnpMinorNames[Minor];
    else if (Major == IRP_MJ_POWER && Minor < RTL_NUMBER_OF(IopPowerMinorNames))
        Name = IopPowerMinorNames[Minor];
    return Name != NULL ? Name : "N/A";
}

static VOID IopAppendSlot(RTLP_TEXT *Text, PIRP Irp, LONG Index, BOOLEAN Current)
{
    PIO_STACK_LOCATION Slot = (PIO_STACK_LOCATION)(Irp + 1) + Index;
    UCHAR Major = Slot->MajorFunction;
    CHAR Device[160];

    RtlpTextAppend(Text, " %c[%ld] %s(%x) %s(%x)\n", Current ? '>' : ' ', (long)Index + 1,
              Major <= IRP_MJ_MAXIMUM_FUNCTION ? IopMajorNames[Major] : "IRP_MJ_?", Major,
              IopMinorName(Major, Slot->MinorFunction), Slot->MinorFunction);
    if (Slot->DeviceObject != NULL)
        IopFormatDeviceName(Slot->DeviceObject, Device, sizeof(Device));
    else
        snprintf(Device, sizeof(Device), "-");
    RtlpTextAppend(Text, "        flg %02x cl %02x  Device %016llx %s  File %016llx\n", Slot->Flags, Slot->Control,
              P(Slot->DeviceObject), Device, P(Slot->FileObject));
    if (Slot->CompletionRoutine != NULL || (Slot->Control & (SL_PENDING_RETURNED | SL_INVOKE_ON_SUCCESS |
                                                             SL_INVOKE_ON_ERROR | SL_INVOKE_ON_CANCEL)))
        RtlpTextAppend(Text, "        Completion-Context %016llx-%016llx %s%s%s%s\n", P(Slot->CompletionRoutine), P(Slot->Context),
                  (Slot->Control & SL_INVOKE_ON_SUCCESS) ? " Success" : "",
                  (Slot->Control & SL_INVOKE_ON_ERROR) ? " Error" : "",
                  (Slot->Control & SL_INVOKE_ON_CANCEL) ? " Cancel" : "",
                  (Slot->Control & SL_PENDING_RETURNED) ? " pending" : "");
}

SIZE_T IopFormatIrp(PIRP Irp, PCHAR Buffer, SIZE_T BufferSize)
{
    RTLP_TEXT Text = {Buffer, BufferSize, 0};
    VF_IRP_ENTRY Entry;
    BOOLEAN Known;
    CHAR Driver[128];
    LONG Count, Location;

    if (BufferSize == 0)
        return 0;
    Buffer[0] = 0;
    if (Irp == NULL) {
        RtlpTextAppend(&Text, "Irp (null)\n");
        return Text.Used;
    }
    Known = VfIrpQuery(Irp, &Entry);
    if (Known) {
        IopFormatDriverName(Entry.Driver, Driver, sizeof(Driver));
        if (Entry.State == VfIrpFreed) {
            RtlpTextAppend(&Text,
                      "Irp %016llx has been freed (it came from %s by %s, %d stack locations; freed by code at "
                      "%016llx, after %lu completion(s)). Its memory is poisoned and not shown.\n",
                      P(Irp), VfIrpOriginName(Entry.Origin), Driver, (int)Entry.StackCount, P(Entry.FreeSite),
                      (unsigned long)Entry.CompletionCount);
            return Text.Used;
        }
    }
    if (Irp->Type != IO_TYPE_IRP) {
        RtlpTextAppend(&Text, "%p is not an IRP (Type %d)\n", (void *)Irp, Irp->Type);
        return Text.Used;
    }
    Count = Irp->StackCount;
    Location = Irp->CurrentLocation;
    if (Location > Count + 1)
        RtlpTextAppend(&Text, "Irp %016llx has completed its stack walk, with %ld stacks (CurrentLocation %ld)\n", P(Irp),
                  (long)Count, (long)Location);
    else if (Location == Count + 1)
        RtlpTextAppend(&Text, "Irp %016llx is with its originator, with %ld stacks (CurrentLocation %ld: no current stack)\n",
                  P(Irp), (long)Count, (long)Location);
    else if (Location <= 0)
        RtlpTextAppend(&Text, "Irp %016llx has run out of stack locations, with %ld stacks (CurrentLocation %ld)\n",
                  P(Irp), (long)Count, (long)Location);
    else
        RtlpTextAppend(&Text, "Irp %016llx is active with %ld stacks %ld is current (= %016llx)\n", P(Irp), (long)Count,
                  (long)Location, P((PIO_STACK_LOCATION)(Irp + 1) + (Location - 1)));
    if (Known)
        RtlpTextAppend(&Text, "  %s by %s; state: %s; completed %lu time(s)\n", VfIrpOriginName(Entry.Origin), Driver,
                  VfIrpStateName(Entry.State), (unsigned long)Entry.CompletionCount);
    RtlpTextAppend(&Text, "  Type %d Size 0x%x Flags %08x AllocationFlags %02x RequestorMode %s\n", Irp->Type, Irp->Size,
              (unsigned)Irp->Flags, Irp->AllocationFlags, Irp->RequestorMode == KernelMode ? "KernelMode" : "UserMode");
    RtlpTextAppend(&Text, "  Mdl %016llx %s %016llx UserBuffer %016llx\n", P(Irp->MdlAddress),
              (Irp->Flags & IRP_ASSOCIATED_IRP) ? "MasterIrp" : "SystemBuffer", P(Irp->AssociatedIrp.SystemBuffer),
              P(Irp->UserBuffer));
    RtlpTextAppend(&Text, "  UserIosb %016llx UserEvent %016llx\n", P(Irp->UserIosb), P(Irp->UserEvent));
    if (Known && Entry.ApcQueued)
        RtlpTextAppend(&Text, "  Thread: its completion APC is queued (Tail now holds the KAPC)\n");
    else
        RtlpTextAppend(&Text, "  Thread %016llx OriginalFileObject %016llx\n", P(Irp->Tail.Overlay.Thread),
                  P(Irp->Tail.Overlay.OriginalFileObject));
    RtlpTextAppend(&Text, "  Cancel %d CancelIrql %d PendingReturned %d CancelRoutine %016llx IoStatus %08x/%llx\n",
              Irp->Cancel, Irp->CancelIrql, Irp->PendingReturned,
              P(PAL_ATOMIC_LOAD(&Irp->CancelRoutine, PAL_ORDER_SEQ_CST)),
              (unsigned)Irp->IoStatus.Status, (unsigned long long)Irp->IoStatus.Information);
    if (Count > 0 && Count <= 127) {
        RtlpTextAppend(&Text, "  Stack locations (> = current):\n");
        for (LONG i = 0; i < Count; i++)
            IopAppendSlot(&Text, Irp, i, i == Location - 1);
    }
    return Text.Used;
}

VOID IrpSimDumpIrp(PIRP Irp, FILE *Stream)
{
    static IRPSIM_THREAD_LOCAL CHAR Buffer[16384];
    SIZE_T Length = IopFormatIrp(Irp, Buffer, sizeof(Buffer));
    fwrite(Buffer, 1, Length, Stream != NULL ? Stream : stdout);
}

/* ---- the IRP leak report ---- */

ULONG IopReportIrpLeaks(PDRIVER_OBJECT Driver, FILE *Stream)
{
    PVF_IRP_ENTRY Entries;
    ULONG Count = VfIrpSnapshotLive(&Entries);
    ULONG Leaks = 0;

    for (ULONG i = 0; i < Count; i++) {
        PVF_IRP_ENTRY Entry = &Entries[i];
        BOOLEAN Held = Entry->State == VfIrpInDriver || Entry->State == VfIrpQueued;
        CHAR Owner[128], Device[160];

        if (Driver != NULL && Entry->Driver != Driver && !(Held && Entry->DeviceDriver == Driver))
            continue;
        /* Memory the driver initialised itself is the driver's pool once
           the IRP is back with it (pool reports it if it is never freed). */
        if (!Entry->OwnsMemory && VfIrpIsWithCreator(Entry))
            continue;
        Leaks++;
        if (Stream == NULL)
            continue;
        IopFormatDriverName(Entry->Driver, Owner, sizeof(Owner));
        fprintf(Stream, "  IRP leak: IRP %p from %s by %s (allocated from %p), %d stack location(s), %s",
                (void *)Entry->Irp, VfIrpOriginName(Entry->Origin), Owner, Entry->AllocationSite,
                (int)Entry->StackCount, VfIrpStateName(Entry->State));
        if (Held) {
            CHAR HolderDriver[128];
            IopFormatDeviceName(Entry->Device, Device, sizeof(Device));
            IopFormatDriverName(Entry->DeviceDriver, HolderDriver, sizeof(HolderDriver));
            fprintf(Stream, " at %s of %s (stack location %d)", Device, HolderDriver, (int)Entry->Location);
        }
        fprintf(Stream, "\n");
    }
    free(Entries);
    return Leaks;
}
