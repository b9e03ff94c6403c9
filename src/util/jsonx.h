/* jsonx.h - small helpers over jansson shared by the validators and renderers. */
#ifndef CB_JSONX_H
#define CB_JSONX_H
#include <jansson.h>

#include "util/err.h"
#include "util/timeutil.h"

/* 422 naming "<prefix><key>" for every key of object o that is not in the
 * NULL-terminated list allowed (added to err: see cb_err_merge). */
int cb_json_check_keys(json_t *o, const char *const *allowed, const char *prefix, cb_err *err);

/* An instant as the API writes it: an RFC 3339 UTC string. */
json_t *cb_json_time(cb_ms t);

#endif
