/* The cover's mark compiled for the host, so the tests run the same code
 * the BPF programs run (see include/synshadow_cover_mark.h). */
#include "synshadow_cover_mark.h"
