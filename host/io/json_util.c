#include "io/json_util.h"

#include <math.h>

int ccx_json_int(const cJSON *item, double lo, double hi, int64_t *out) {
    if (!cJSON_IsNumber(item)) return -1;
    double d = item->valuedouble;
    if (!isfinite(d) || d != floor(d)) return -1;
    if (d < lo || d > hi) return -2;
    *out = (int64_t)d;
    return 0;
}

const char *ccx_json_type_name(const cJSON *item) {
    if (!item) return "nothing";
    if (cJSON_IsNull(item)) return "null";
    if (cJSON_IsBool(item)) return "a boolean";
    if (cJSON_IsNumber(item)) return "a number";
    if (cJSON_IsString(item)) return "a string";
    if (cJSON_IsArray(item)) return "an array";
    if (cJSON_IsObject(item)) return "an object";
    return "an invalid value";
}
