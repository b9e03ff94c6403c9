/* jsonx.c - see jsonx.h. */
#include "util/jsonx.h"

#include <stdio.h>
#include <string.h>

int cb_json_check_keys(json_t *o, const char *const *allowed, const char *prefix, cb_err *err)
{
	const char *key;
	json_t *v;
	json_object_foreach(o, key, v) {
		int ok = 0;
		for (const char *const *a = allowed; *a && !ok; a++)
			ok = strcmp(*a, key) == 0;
		if (!ok) {
			char f[128];
			snprintf(f, sizeof f, "%s%.100s", prefix, key);
			return cb_err_set(err, CB_E_INVALID, f, "unknown field");
		}
	}
	return 0;
}

json_t *cb_json_time(cb_ms t)
{
	char b[40];
	cb_time_format(t, b, sizeof b);
	return json_string(b);
}
