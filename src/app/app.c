/* app.c - roles and other shared application helpers. */
#include "app/app.h"
#include "util/jsonx.h"

#include <string.h>

const char *cb_role_name(cb_role r)
{
	switch (r) {
	case CB_ROLE_ADMIN: return "admin";
	case CB_ROLE_AGENT: return "agent";
	case CB_ROLE_ENGINEER: return "engineer";
	case CB_ROLE_CUSTOMER: return "customer";
	case CB_ROLE_NONE: break;
	}
	return "none";
}

int cb_role_parse(const char *s, cb_role *out)
{
	static const struct { const char *n; cb_role r; } t[] = {
		{"admin", CB_ROLE_ADMIN}, {"agent", CB_ROLE_AGENT},
		{"engineer", CB_ROLE_ENGINEER}, {"customer", CB_ROLE_CUSTOMER},
	};
	for (size_t i = 0; s && i < sizeof t / sizeof t[0]; i++)
		if (strcmp(s, t[i].n) == 0) {
			*out = t[i].r;
			return 0;
		}
	return -1;
}

int cb_app_one_of(const char *s, const char *const *list)
{
	for (; s && *list; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

json_t *cb_app_col_text(cb_q *q, int col)
{
	return cb_q_isnull(q, col) ? json_null() : json_string(cb_q_text(q, col));
}

json_t *cb_app_col_time(cb_q *q, int col)
{
	return cb_q_isnull(q, col) ? json_null() : cb_json_time(cb_q_i64(q, col));
}

json_t *cb_app_row(cb_conn *c, cb_sql sql, int64_t id, json_t *(*render)(cb_conn *c, cb_q *q),
		   const char *what, cb_err *err)
{
	cb_q *q = cb_q_get(c, sql, err);
	if (!q)
		return NULL;
	cb_q_bind_i64(q, 1, id);
	int rc = cb_q_step(q, err);
	if (rc <= 0) {
		if (rc == 0)
			cb_err_set(err, CB_E_NOTFOUND, NULL, "no such %s: %lld", what, (long long)id);
		return NULL;
	}
	json_t *o = render(c, q);
	cb_q_reset(q);
	return o;
}

json_t *cb_app_rows(cb_conn *c, cb_q *q, json_t *(*render)(cb_conn *c, cb_q *q), cb_err *err)
{
	json_t *a = json_array();
	int r;
	while ((r = cb_q_step(q, err)) == 1)
		json_array_append_new(a, render(c, q));
	if (r < 0) {
		json_decref(a);
		return NULL;
	}
	return a;
}

int cb_app_page(cb_conn *c, cb_q *q, int limit, json_t *(*render)(cb_conn *c, cb_q *q),
		json_t **items, int64_t *next, cb_err *err)
{
	*items = json_array();
	*next = 0;
	int r;
	while ((r = cb_q_step(q, err)) == 1) {
		if ((int)json_array_size(*items) == limit) {
			*next = json_integer_value(json_object_get(json_array_get(*items, limit - 1), "id"));
			cb_q_reset(q);
			break;
		}
		json_array_append_new(*items, render(c, q));
	}
	if (r < 0) {
		json_decref(*items);
		*items = NULL;
		return -1;
	}
	return 0;
}
