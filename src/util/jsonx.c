/* jsonx.c - see jsonx.h. */
#include "util/jsonx.h"

#include <stdio.h>
#include <string.h>

int cb_json_check_keys(json_t *o, const char *const *allowed, const char *prefix, cb_err *err)
{
	const char *key;
	json_t *v;
	int bad = 0;
	json_object_foreach(o, key, v) {
		int ok = 0;
		for (const char *const *a = allowed; *a && !ok; a++)
			ok = strcmp(*a, key) == 0;
		if (!ok) {
			/* every unknown key, not just the first */
			char f[128];
			snprintf(f, sizeof f, "%s%.100s", prefix, key);
			cb_err one = {0};
			cb_err_set(&one, CB_E_INVALID, f, "unknown field");
			cb_err_merge(err, &one);
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}

json_t *cb_json_time(cb_ms t)
{
	char b[40];
	cb_time_format(t, b, sizeof b);
	return json_string(b);
}
