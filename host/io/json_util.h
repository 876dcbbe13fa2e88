/* Small cJSON helpers shared by the JSON readers (order files, graph files). */
#ifndef CCX_IO_JSON_UTIL_H
#define CCX_IO_JSON_UTIL_H

#include <stdint.h>

#include <cjson/cJSON.h>

#ifdef __cplusplus
extern "C" {
#endif

/* An integer-valued JSON number in [lo, hi] into *out: 0; -1 when item is not
 * a number or not an integer; -2 when it is out of range. */
int ccx_json_int(const cJSON *item, double lo, double hi, int64_t *out);

/* What item is, for error messages: "a number", "an array", ..., "nothing"
 * for NULL (a missing key). */
const char *ccx_json_type_name(const cJSON *item);

#ifdef __cplusplus
}
#endif

#endif
