/* Test-only stand-in for bcryptprimitives.dll, which Wine 8.0 lacks. Rust std (>= 1.78) on
 * Windows imports ProcessPrng from it (HashMap seeds); real Windows 10+ has the DLL.
 * setup.sh builds this with MinGW into the Wine prefix's system32, never into the package. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length); /* RtlGenRandom, advapi32 */

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len) {
        ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, n)) return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}
