/*
 * Header compatibility, C: WDK-style driver source (hdr_driver.h) compiles
 * unchanged as C11 with irpsim's driver warnings, and the base types, CTL_CODE
 * and the structure helpers have their Windows values at run time.
 */
#include "hdr_driver.h"

/* CTL_CODE yields an unsigned int, as ULONG IoControlCode compares with it. */
_Static_assert(_Generic(IOCTL_HDR_GET_VERSION, unsigned int : 1, default : 0), "CTL_CODE must be unsigned");
_Static_assert(_Generic((ULONG)0, unsigned int : 1, default : 0), "ULONG is a 32-bit unsigned int");

/* IsEqualGUID in C compares through pointers (REFGUID is const GUID *). */
static int CheckGuids(void)
{
    static const GUID Other = {0x5d6a1b2c, 0x3e4f, 0x4a5b, {0x8c, 0x9d, 0x0e, 0x1f, 0x2a, 0x3b, 0x4c, 0x00}};
    REFGUID Interface = &GUID_DEVINTERFACE_HDR;
    int Failures = 0;
    if (!IsEqualGUID(Interface, &GUID_DEVINTERFACE_HDR) || !InlineIsEqualGUID(&GUID_DEVINTERFACE_HDR, Interface))
        Failures++;
    if (IsEqualGUID(&Other, &GUID_DEVINTERFACE_HDR))
        Failures++;
    return Failures;
}

int main(void)
{
    int Failures = HdrRunChecks() + CheckGuids();
    if (Failures != 0)
        fprintf(stderr, "headers_c: %d check(s) failed\n", Failures);
    return Failures != 0;
}
