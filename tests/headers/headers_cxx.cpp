/*
 * Header compatibility, C++: the same WDK-style driver source (hdr_driver.h)
 * compiles unchanged as C++17 with irpsim's driver warnings (RTL_CONSTANT_STRING
 * with L"..." literals, extern "C" DriverEntry, role typedefs), and the
 * run-time checks pass.
 */
#include "hdr_driver.h"

#include <type_traits>

static_assert(std::is_unsigned<decltype(IOCTL_HDR_GET_VERSION)>::value, "CTL_CODE must be unsigned");
static_assert(std::is_same<ULONG, unsigned int>::value, "ULONG is a 32-bit unsigned int");
static_assert(std::is_same<decltype(&HdrCreateClose), PDRIVER_DISPATCH>::value, "DRIVER_DISPATCH role typedef");
static_assert(std::is_same<decltype(&HdrCompletion), PIO_COMPLETION_ROUTINE>::value, "IO_COMPLETION_ROUTINE");
static_assert(std::is_same<decltype(&HdrDpc), PKDEFERRED_ROUTINE>::value, "KDEFERRED_ROUTINE");

/* IsEqualGUID in C++ compares references (REFGUID is const GUID & in the
   WDK's C++). */
static int CheckGuids()
{
    static const GUID Other = {0x5d6a1b2c, 0x3e4f, 0x4a5b, {0x8c, 0x9d, 0x0e, 0x1f, 0x2a, 0x3b, 0x4c, 0x00}};
    const GUID *Interface = &GUID_DEVINTERFACE_HDR;
    int Failures = 0;
    if (!IsEqualGUID(*Interface, GUID_DEVINTERFACE_HDR) || !InlineIsEqualGUID(GUID_DEVINTERFACE_HDR, *Interface))
        Failures++;
    if (IsEqualGUID(Other, GUID_DEVINTERFACE_HDR))
        Failures++;
    return Failures;
}

int main()
{
    int Failures = HdrRunChecks() + CheckGuids();
    if (Failures != 0)
        fprintf(stderr, "headers_cxx: %d check(s) failed\n", Failures);
    return Failures != 0;
}
