/*
 * irpsim — verifier configuration: which rule classes are on and what a
 * non-fatal report does, from the API and from the environment.
 *
 * IRPSIM_CONFIG.Verifier stays the master switch (the kernel and the
 * memory manager read it for their own optional checks); the class mask
 * selects within it. Both settings are single words read and written
 * atomically, so a test may change them while driver threads run.
 *
 * Every IrpSimInitialize starts from the defaults (all classes, continue)
 * and then applies the environment: a test changes the settings after
 * IrpSimInitialize, and one test's choice does not leak into the next.
 */
#include "vf.h"
#include "vfp.h"
#include "../platform/pal.h"
#include "../sim/simp.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static volatile ULONG VfpRules = IRPSIM_VERIFIER_ALL;
static volatile LONG VfpNonFatalAction = IrpSimVerifierContinue;

static const struct {
    PCSTR Name;
    PCSTR Alias;
    ULONG Class;
} VfpClassNames[] = {
    {"irp-state", "irp", IRPSIM_VERIFIER_IRP_STATE},
    {"pending", "status", IRPSIM_VERIFIER_PENDING},
    {"irql", NULL, IRPSIM_VERIFIER_IRQL},
    {"locks", "lock", IRPSIM_VERIFIER_LOCKS},
    {"objects", "object", IRPSIM_VERIFIER_OBJECTS},
    {"pool", NULL, IRPSIM_VERIFIER_POOL},
    {"unload", NULL, IRPSIM_VERIFIER_UNLOAD},
    {"low-resources", "lowres", IRPSIM_VERIFIER_LOW_RESOURCES},
};

PCSTR VfClassName(ULONG Class)
{
    for (SIZE_T i = 0; i < RTL_NUMBER_OF(VfpClassNames); i++) {
        if (VfpClassNames[i].Class == Class)
            return VfpClassNames[i].Name;
    }
    return "always on";
}

BOOLEAN VfRuleEnabled(ULONG Classes)
{
    /* IrpSimpConfig is written only by IrpSimInitialize, before any thread runs. */
    return IrpSimpConfig.Verifier && (PAL_ATOMIC_LOAD(&VfpRules, PAL_ORDER_RELAXED) & Classes) == Classes;
}

BOOLEAN VfNonFatalStops(VOID)
{
    return PAL_ATOMIC_LOAD(&VfpNonFatalAction, PAL_ORDER_RELAXED) == IrpSimVerifierStop;
}

VOID IrpSimVerifierSetRules(ULONG Rules)
{
    PAL_ATOMIC_STORE(&VfpRules, Rules & IRPSIM_VERIFIER_ALL, PAL_ORDER_RELAXED);
}

ULONG IrpSimVerifierGetRules(VOID)
{
    return IrpSimpConfig.Verifier ? PAL_ATOMIC_LOAD(&VfpRules, PAL_ORDER_RELAXED) : 0;
}

VOID IrpSimVerifierSetNonFatalAction(IRPSIM_VERIFIER_ACTION Action)
{
    PAL_ATOMIC_STORE(&VfpNonFatalAction, Action == IrpSimVerifierStop ? IrpSimVerifierStop : IrpSimVerifierContinue,
                     PAL_ORDER_RELAXED);
}

IRPSIM_VERIFIER_ACTION IrpSimVerifierGetNonFatalAction(VOID)
{
    return (IRPSIM_VERIFIER_ACTION)PAL_ATOMIC_LOAD(&VfpNonFatalAction, PAL_ORDER_RELAXED);
}

static BOOLEAN VfpWordIs(PCSTR Word, SIZE_T Length, PCSTR Name)
{
    if (Name == NULL || strlen(Name) != Length)
        return FALSE;
    for (SIZE_T i = 0; i < Length; i++) {
        CHAR a = (CHAR)tolower((unsigned char)Word[i]);
        CHAR b = Name[i];
        /* "irp_state", "irp-state" and "irpstate" are one name. */
        if (a == '_')
            a = '-';
        if (a != b)
            return FALSE;
    }
    return TRUE;
}

static ULONG VfpLookupClass(PCSTR Word, SIZE_T Length)
{
    CHAR Squeezed[32];
    SIZE_T Used = 0;
    if (VfpWordIs(Word, Length, "all"))
        return IRPSIM_VERIFIER_ALL;
    for (SIZE_T i = 0; i < RTL_NUMBER_OF(VfpClassNames); i++) {
        if (VfpWordIs(Word, Length, VfpClassNames[i].Name) || VfpWordIs(Word, Length, VfpClassNames[i].Alias))
            return VfpClassNames[i].Class;
    }
    /* Without separators: "irpstate", "lowresources". */
    for (SIZE_T i = 0; i < Length && Used + 1 < sizeof(Squeezed); i++) {
        if (Word[i] != '-' && Word[i] != '_')
            Squeezed[Used++] = (CHAR)tolower((unsigned char)Word[i]);
    }
    Squeezed[Used] = '\0';
    for (SIZE_T i = 0; i < RTL_NUMBER_OF(VfpClassNames); i++) {
        CHAR Name[32];
        SIZE_T n = 0;
        for (PCSTR p = VfpClassNames[i].Name; *p != '\0' && n + 1 < sizeof(Name); p++) {
            if (*p != '-')
                Name[n++] = *p;
        }
        Name[n] = '\0';
        if (strcmp(Name, Squeezed) == 0)
            return VfpClassNames[i].Class;
    }
    return 0;
}

/* "1", "0", or a list of class names, each optionally prefixed by '-' to
   switch it off. A list that starts with a '-' item starts from "all". */
static BOOLEAN VfpParseRules(PCSTR Value, PULONG Rules, PBOOLEAN Master)
{
    ULONG Mask = 0;
    BOOLEAN First = TRUE;
    PCSTR p = Value;

    if (VfpWordIs(Value, strlen(Value), "0") || VfpWordIs(Value, strlen(Value), "off") ||
        VfpWordIs(Value, strlen(Value), "no") || VfpWordIs(Value, strlen(Value), "none") ||
        VfpWordIs(Value, strlen(Value), "false")) {
        *Master = FALSE;
        *Rules = 0;
        return TRUE;
    }
    if (VfpWordIs(Value, strlen(Value), "1") || VfpWordIs(Value, strlen(Value), "on") ||
        VfpWordIs(Value, strlen(Value), "yes") || VfpWordIs(Value, strlen(Value), "true")) {
        *Master = TRUE;
        *Rules = IRPSIM_VERIFIER_ALL;
        return TRUE;
    }
    while (*p != '\0') {
        BOOLEAN Remove = FALSE;
        PCSTR Start;
        ULONG Class;
        while (*p == ',' || *p == '+' || *p == ' ' || *p == ';' || *p == '|')
            p++;
        if (*p == '\0')
            break;
        if (*p == '-' || *p == '!') {
            Remove = TRUE;
            p++;
        }
        Start = p;
        while (*p != '\0' && *p != ',' && *p != '+' && *p != ' ' && *p != ';' && *p != '|')
            p++;
        Class = VfpLookupClass(Start, (SIZE_T)(p - Start));
        if (Class == 0) {
            fprintf(stderr,
                    "irpsim: IRPSIM_VERIFIER: unknown rule class '%.*s' ignored (known: all, irp-state, "
                    "pending, irql, locks, objects, pool, unload, low-resources)\n",
                    (int)(p - Start), Start);
            continue;
        }
        if (Remove && First)
            Mask = IRPSIM_VERIFIER_ALL;
        First = FALSE;
        if (Remove)
            Mask &= ~Class;
        else
            Mask |= Class;
    }
    *Master = TRUE;
    *Rules = Mask;
    return TRUE;
}

VOID VfInitialize(PIRPSIM_CONFIG Config)
{
    const char *Value;
    ULONG Rules = IRPSIM_VERIFIER_ALL;

    Value = PalGetEnvironment("IRPSIM_VERIFIER");
    if (Value != NULL) {
        BOOLEAN Master = TRUE;
        (void)VfpParseRules(Value, &Rules, &Master);
        Config->Verifier = Master;
    }
    PAL_ATOMIC_STORE(&VfpRules, Rules, PAL_ORDER_RELAXED);

    PAL_ATOMIC_STORE(&VfpNonFatalAction, IrpSimVerifierContinue, PAL_ORDER_RELAXED);
    Value = PalGetEnvironment("IRPSIM_VERIFIER_NONFATAL");
    if (Value != NULL) {
        if (VfpWordIs(Value, strlen(Value), "stop") || VfpWordIs(Value, strlen(Value), "fatal") ||
            VfpWordIs(Value, strlen(Value), "1"))
            PAL_ATOMIC_STORE(&VfpNonFatalAction, IrpSimVerifierStop, PAL_ORDER_RELAXED);
        else if (!VfpWordIs(Value, strlen(Value), "continue") && !VfpWordIs(Value, strlen(Value), "0"))
            fprintf(stderr, "irpsim: IRPSIM_VERIFIER_NONFATAL='%s' is neither 'stop' nor 'continue'; continuing\n",
                    Value);
    }

    VfpResetReports();
    VfpInitializeLowResources(PalGetEnvironment("IRPSIM_LOW_RESOURCES"));
    VfpResetActiveObjects();
    VfpStopActiveObjects(FALSE);
}

VOID VfShutdown(VOID)
{
    /* The reports stay readable until the next IrpSimInitialize. Teardown
       frees devices, IRPs and pool wholesale: nothing is checked now. */
    VfpStopActiveObjects(TRUE);
    VfpShutdownLowResources();
}
