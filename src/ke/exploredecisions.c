/*
 * irpsim — a schedule as decisions: the list of choices made at the points
 * where more than one task (or the clock) could run, its text form, its
 * hash, and the set of schedules an exploration has seen.
 *
 * Text form: one letter per choice, 'a'..'z' for tasks 0..25 and 'A'..'Z'
 * for 26..51 (task 0 is the body's thread), '+' for "expire the earliest
 * timer now". A run of n (3 or more) equal choices is written as the
 * decimal n followed by the letter: "a4b+c" is a, b, b, b, b, clock, c.
 * Letters and digits only, so the text can be pasted into a shell
 * unquoted. Blanks are ignored when reading.
 */
#include "explore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KIP_MAX_RUN 100000000UL

CHAR KiSymbolLetter(USHORT Symbol)
{
    if (Symbol == KI_SYMBOL_CLOCK)
        return '+';
    if (Symbol < 26)
        return (CHAR)('a' + Symbol);
    if (Symbol < KI_MAX_TASKS)
        return (CHAR)('A' + (Symbol - 26));
    return '?';
}

static BOOLEAN KipLetterSymbol(CHAR Letter, USHORT *Symbol)
{
    if (Letter == '+')
        *Symbol = KI_SYMBOL_CLOCK;
    else if (Letter >= 'a' && Letter <= 'z')
        *Symbol = (USHORT)(Letter - 'a');
    else if (Letter >= 'A' && Letter <= 'Z')
        *Symbol = (USHORT)(26 + (Letter - 'A'));
    else
        return FALSE;
    return TRUE;
}

VOID KiDecisionsReset(PKI_DECISIONS Decisions)
{
    Decisions->Count = 0;
}

VOID KiDecisionsFree(PKI_DECISIONS Decisions)
{
    free(Decisions->Symbols);
    Decisions->Symbols = NULL;
    Decisions->Count = 0;
    Decisions->Capacity = 0;
}

BOOLEAN KiDecisionsAppend(PKI_DECISIONS Decisions, USHORT Symbol)
{
    if (Decisions->Count == Decisions->Capacity) {
        ULONG Capacity = Decisions->Capacity != 0 ? Decisions->Capacity * 2 : 256;
        USHORT *Grown = (USHORT *)realloc(Decisions->Symbols, Capacity * sizeof(USHORT));
        if (Grown == NULL)
            return FALSE;
        Decisions->Symbols = Grown;
        Decisions->Capacity = Capacity;
    }
    Decisions->Symbols[Decisions->Count++] = Symbol;
    return TRUE;
}

BOOLEAN KiDecisionsEncode(const KI_DECISIONS *Decisions, PCHAR Buffer, SIZE_T Size)
{
    SIZE_T Used = 0;
    ULONG i = 0;

    if (Size == 0)
        return FALSE;
    Buffer[0] = 0;
    while (i < Decisions->Count) {
        USHORT Symbol = Decisions->Symbols[i];
        ULONG Run = 1;
        CHAR Token[24];
        int Length;
        while (i + Run < Decisions->Count && Decisions->Symbols[i + Run] == Symbol)
            Run++;
        if (Run >= 3) {
            Length = snprintf(Token, sizeof(Token), "%lu%c", (unsigned long)Run, KiSymbolLetter(Symbol));
        } else {
            Run = 1; /* a pair is written as two single letters */
            Length = snprintf(Token, sizeof(Token), "%c", KiSymbolLetter(Symbol));
        }
        if (Length < 0 || Used + (SIZE_T)Length + 1 > Size)
            return FALSE;
        memcpy(Buffer + Used, Token, (SIZE_T)Length + 1);
        Used += (SIZE_T)Length;
        i += Run;
    }
    return TRUE;
}

BOOLEAN KiDecisionsDecode(PCSTR Text, PKI_DECISIONS Decisions, PCHAR Error, SIZE_T ErrorSize)
{
    PCSTR Cursor = Text;
    KiDecisionsReset(Decisions);
    while (*Cursor != 0) {
        ULONG Run = 1;
        USHORT Symbol;
        if (*Cursor == ' ' || *Cursor == '\t' || *Cursor == '\n' || *Cursor == '\r') {
            Cursor++;
            continue;
        }
        if (*Cursor >= '0' && *Cursor <= '9') {
            Run = 0;
            while (*Cursor >= '0' && *Cursor <= '9') {
                Run = Run * 10 + (ULONG)(*Cursor - '0');
                if (Run > KIP_MAX_RUN) {
                    snprintf(Error, ErrorSize, "a repeat count at offset %lu is too large",
                             (unsigned long)(Cursor - Text));
                    return FALSE;
                }
                Cursor++;
            }
        }
        if (!KipLetterSymbol(*Cursor, &Symbol)) {
            snprintf(Error, ErrorSize, "unexpected '%c' at offset %lu (expected a letter or '+')",
                     *Cursor != 0 ? *Cursor : '0', (unsigned long)(Cursor - Text));
            return FALSE;
        }
        Cursor++;
        while (Run-- > 0) {
            if (!KiDecisionsAppend(Decisions, Symbol)) {
                snprintf(Error, ErrorSize, "out of host memory");
                return FALSE;
            }
        }
    }
    return TRUE;
}

ULONGLONG KiDecisionsHash(const KI_DECISIONS *Decisions)
{
    /* FNV-1a over the symbols, length included. */
    ULONGLONG Hash = 0xcbf29ce484222325ULL;
    for (ULONG i = 0; i < Decisions->Count; i++) {
        Hash ^= Decisions->Symbols[i];
        Hash *= 0x100000001b3ULL;
    }
    Hash ^= Decisions->Count;
    Hash *= 0x100000001b3ULL;
    return Hash;
}

/* ---- the schedules seen (open addressing; 0 marks a free slot) ---- */

static BOOLEAN KipSetPlace(ULONGLONG *Slots, ULONG Capacity, ULONGLONG Hash)
{
    ULONG Mask = Capacity - 1;
    for (ULONG Slot = (ULONG)(Hash ^ (Hash >> 32)) & Mask;; Slot = (Slot + 1) & Mask) {
        if (Slots[Slot] == Hash)
            return FALSE;
        if (Slots[Slot] == 0) {
            Slots[Slot] = Hash;
            return TRUE;
        }
    }
}

BOOLEAN KiScheduleSetInsert(PKI_SCHEDULE_SET Set, ULONGLONG Hash)
{
    if (Hash == 0)
        Hash = 1;
    if ((Set->Count + 1) * 2 > Set->Capacity) {
        ULONG Capacity = Set->Capacity != 0 ? Set->Capacity * 2 : 1024;
        ULONGLONG *Slots = (ULONGLONG *)calloc(Capacity, sizeof(ULONGLONG));
        if (Slots == NULL)
            return FALSE; /* coverage is only counted, never needed to go on */
        for (ULONG i = 0; i < Set->Capacity; i++) {
            if (Set->Slots[i] != 0)
                (void)KipSetPlace(Slots, Capacity, Set->Slots[i]);
        }
        free(Set->Slots);
        Set->Slots = Slots;
        Set->Capacity = Capacity;
    }
    if (!KipSetPlace(Set->Slots, Set->Capacity, Hash))
        return FALSE;
    Set->Count++;
    return TRUE;
}

VOID KiScheduleSetFree(PKI_SCHEDULE_SET Set)
{
    free(Set->Slots);
    Set->Slots = NULL;
    Set->Count = 0;
    Set->Capacity = 0;
}
