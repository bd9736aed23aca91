/* Compiles the ABI header for the host so a layout change fails the build
 * (the header's _Static_assert) on both sides, not only in clang -target bpf. */
#include "synshadow_abi.h"
