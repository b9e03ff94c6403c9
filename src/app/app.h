/* app.h - the application context shared by every use case.
 *
 * app/ holds one function per action (create ticket, reply, import, ...).
 * It is the only path that changes state: the HTTP API, the CLI and the
 * importer all call it. A use case gets the context, the acting user and
 * `now`, and returns data or a cb_err. */
#ifndef CB_APP_H
#define CB_APP_H
#include <jansson.h>
#include <stdint.h>

#include "store/db.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/progress.h"
#include "util/timeutil.h"

typedef enum {
	CB_ROLE_NONE = 0,
	CB_ROLE_CUSTOMER,
	CB_ROLE_ENGINEER,
	CB_ROLE_AGENT,
	CB_ROLE_ADMIN,
} cb_role;

typedef struct {
	cb_db *db;
	const char *data_dir;
	cb_progress progress; /* long work reports here (the CLI's progress line); may be unset */
} cb_app;

/* Who is acting: resolved from a token (API), or the system (CLI, import). */
typedef struct {
	int64_t user_id;    /* 0 for the system */
	cb_role role;
	int64_t account_id; /* customers: their account; 0 otherwise */
	const char *email;
} cb_actor;

const char *cb_role_name(cb_role r);
int cb_role_parse(const char *s, cb_role *out); /* 0 ok, -1 unknown */
/* Agent side = admin, agent, engineer (docs/metrics.md section 3). */
static inline int cb_role_is_agent_side(cb_role r)
{
	return r == CB_ROLE_ADMIN || r == CB_ROLE_AGENT || r == CB_ROLE_ENGINEER;
}

/* 1 when s (not NULL) is one of the NULL-terminated list. */
int cb_app_one_of(const char *s, const char *const *list);
/* Column col of the current row as JSON: text or null, an RFC 3339 time or
 * null. */
json_t *cb_app_col_text(cb_q *q, int col);
json_t *cb_app_col_time(cb_q *q, int col);

/* A page of a list query whose cursor and limit + 1 the caller bound:
 * steps q, appending
 * render(c, q) for up to limit rows to a new *items; *next is the id of
 * the last item when more rows follow, else 0. 0 or -1 (with err). */
int cb_app_page(cb_conn *c, cb_q *q, int limit, json_t *(*render)(cb_conn *c, cb_q *q),
		json_t **items, int64_t *next, cb_err *err);
/* The row of sql with ?1 = id, rendered by render(c, q); a 404 "no such
 * <what>: <id>" when there is none. */
json_t *cb_app_row(cb_conn *c, cb_sql sql, int64_t id, json_t *(*render)(cb_conn *c, cb_q *q),
		   const char *what, cb_err *err);
/* Every row of the bound query q, each rendered by render(c, q), as a new
 * array; NULL with err on a database error. */
json_t *cb_app_rows(cb_conn *c, cb_q *q, json_t *(*render)(cb_conn *c, cb_q *q), cb_err *err);

#endif
