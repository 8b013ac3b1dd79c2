/*
 * irpsim — a small open-addressing map from a pointer-sized key to a ULONG,
 * for the trace's name tables and renderers (which may see millions of
 * events, so a linear search per event will not do).
 */
#include "traceint.h"

#include <stdlib.h>

static ULONG TracepMapSlot(ULONG_PTR Key, ULONG Capacity)
{
    /* Pointers are aligned: mix the high bits down before masking. */
    ULONGLONG Hash = (ULONGLONG)Key * 0x9E3779B97F4A7C15ULL;
    return (ULONG)(Hash >> 32) & (Capacity - 1);
}

BOOLEAN TraceMapFind(const TRACE_MAP *Map, ULONG_PTR Key, PULONG Value)
{
    ULONG Slot;
    if (Map->Capacity == 0 || Key == 0)
        return FALSE;
    for (Slot = TracepMapSlot(Key, Map->Capacity);; Slot = (Slot + 1) & (Map->Capacity - 1)) {
        if (Map->Keys[Slot] == Key) {
            *Value = Map->Values[Slot];
            return TRUE;
        }
        if (Map->Keys[Slot] == 0)
            return FALSE;
    }
}

static BOOLEAN TracepMapGrow(TRACE_MAP *Map)
{
    ULONG Capacity = Map->Capacity != 0 ? Map->Capacity * 2 : 64;
    ULONG_PTR *Keys = (ULONG_PTR *)calloc(Capacity, sizeof(*Keys));
    ULONG *Values = (ULONG *)calloc(Capacity, sizeof(*Values));
    if (Keys == NULL || Values == NULL) {
        free(Keys);
        free(Values);
        return FALSE;
    }
    for (ULONG i = 0; i < Map->Capacity; i++) {
        ULONG Slot;
        if (Map->Keys[i] == 0)
            continue;
        Slot = TracepMapSlot(Map->Keys[i], Capacity);
        while (Keys[Slot] != 0)
            Slot = (Slot + 1) & (Capacity - 1);
        Keys[Slot] = Map->Keys[i];
        Values[Slot] = Map->Values[i];
    }
    free(Map->Keys);
    free(Map->Values);
    Map->Keys = Keys;
    Map->Values = Values;
    Map->Capacity = Capacity;
    return TRUE;
}

BOOLEAN TraceMapSet(TRACE_MAP *Map, ULONG_PTR Key, ULONG Value)
{
    ULONG Slot;
    if (Key == 0)
        return FALSE;
    /* Kept at most half full so probes stay short. */
    if ((Map->Count + 1) * 2 > Map->Capacity && !TracepMapGrow(Map))
        return FALSE;
    for (Slot = TracepMapSlot(Key, Map->Capacity);; Slot = (Slot + 1) & (Map->Capacity - 1)) {
        if (Map->Keys[Slot] == Key) {
            Map->Values[Slot] = Value;
            return TRUE;
        }
        if (Map->Keys[Slot] == 0) {
            Map->Keys[Slot] = Key;
            Map->Values[Slot] = Value;
            Map->Count++;
            return TRUE;
        }
    }
}

VOID TraceMapFree(TRACE_MAP *Map)
{
    free(Map->Keys);
    free(Map->Values);
    Map->Keys = NULL;
    Map->Values = NULL;
    Map->Capacity = 0;
    Map->Count = 0;
}
