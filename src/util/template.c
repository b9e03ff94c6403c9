/* template.c - see template.h. */
#include "util/template.h"

#include <string.h>

#include "util/alloc.h"
#include "util/buf.h"

char *cb_template_render(const char *tpl, const char *const *vars)
{
	cb_buf b = {0};
	const char *p = tpl ? tpl : "";
	while (*p) {
		const char *o = strstr(p, "{{");
		if (!o) {
			cb_buf_puts(&b, p);
			break;
		}
		cb_buf_append(&b, p, (size_t)(o - p));
		const char *e = strstr(o + 2, "}}");
		if (!e) {
			cb_buf_puts(&b, o);
			break;
		}
		size_t n = (size_t)(e - o - 2);
		const char *val = NULL;
		for (int i = 0; vars[i]; i += 2)
			if (strlen(vars[i]) == n && !strncmp(vars[i], o + 2, n))
				val = vars[i + 1];
		if (val)
			cb_buf_puts(&b, val);
		else
			cb_buf_append(&b, o, (size_t)(e + 2 - o));
		p = e + 2;
	}
	char *r = b.p ? cb_buf_steal(&b) : cb_xstrdup("");
	cb_buf_free(&b);
	return r;
}

int cb_template_check(const char *tpl, const char *const *allowed, const char *field, cb_err *err)
{
	for (const char *p = strstr(tpl, "{{"); p; p = strstr(p + 2, "{{")) {
		const char *e = strstr(p + 2, "}}");
		if (!e) {
			cb_err_add(err, CB_E_INVALID, field, "has a \"{{\" without \"}}\"");
			return -1;
		}
		size_t n = (size_t)(e - p - 2);
		int ok = 0;
		for (int i = 0; allowed[i]; i++)
			ok |= strlen(allowed[i]) == n && !strncmp(allowed[i], p + 2, n);
		if (!ok) {
			cb_err_add(err, CB_E_INVALID, field, "unknown placeholder {{%.*s}}",
				   (int)(n > 60 ? 60 : n), p + 2);
			return -1;
		}
	}
	return 0;
}
