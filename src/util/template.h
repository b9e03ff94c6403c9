/* template.h - "{{name}}" placeholders, as in mail templates and macros.
 * Rendering replaces each known name with its value and leaves unknown ones
 * as written; checking refuses unknown names before a template is saved. */
#ifndef CB_TEMPLATE_H
#define CB_TEMPLATE_H
#include "util/err.h"

/* vars: name, value, name, value, ..., NULL. Caller frees with cb_free. */
char *cb_template_render(const char *tpl, const char *const *vars);
/* 0 when every {{name}} of tpl is in the NULL-terminated allowed list, else
 * -1 with a CB_E_INVALID item on field. */
int cb_template_check(const char *tpl, const char *const *allowed, const char *field, cb_err *err);

#endif
