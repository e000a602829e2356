/* arch/cc.h: the wasm32 port. No stdio: diagnostics and failed assertions go to JS imports. */
#ifndef LWIP_ARCH_CC_H
#define LWIP_ARCH_CC_H

#include <stddef.h>
#include <stdint.h>

#define BYTE_ORDER LITTLE_ENDIAN
#define LWIP_NO_CTYPE_H 0
#define LWIP_ERRNO_STDINCLUDE 1

void lwjs_assert_failed(const char *message, const char *file, int line);

#define LWIP_PLATFORM_DIAG(x) \
  do {                        \
  } while (0)
#define LWIP_PLATFORM_ASSERT(x) lwjs_assert_failed((x), __FILE__, __LINE__)

#endif
