/* The ccx version, printed by `ccx --version` and written into generated
 * code and result files. */
#ifndef CCX_UTIL_VERSION_H
#define CCX_UTIL_VERSION_H

#define CCX_VERSION "0.1.0"

#endif
