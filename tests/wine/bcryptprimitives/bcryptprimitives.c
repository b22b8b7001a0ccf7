/* For the Wine test only (scripts/installers/test-windows-wine.sh); never shipped in the installer.
 * Rust's standard library (1.78 and later) takes its random numbers from ProcessPrng in
 * bcryptprimitives.dll, which every Windows 10 and 11 has and Debian 12's Wine 8.0 lacks. */
#include <windows.h>
#include <ntsecapi.h>

/* Windows' own always returns TRUE (Rust aborts otherwise). RtlGenRandom is advapi32's
 * SystemFunction036, which Wine implements; it takes at most a ULONG per call. */
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!RtlGenRandom(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
