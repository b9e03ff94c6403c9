/* problem.h - problems and known errors: a title, root cause, workaround,
 * status open -> known_error -> resolved (docs/escalations.md), an optional
 * link to a known_error knowledge article, and the tickets that hit it.
 *
 * Linking a ticket appends a `problem` event ({"action": "linked",
 * "problem": id}); unlinking {"action": "unlinked"}. Repeat counts are the
 * `linked` events of tickets still linked, bucketed by day, week (ISO,
 * Monday) or month in UTC, in total and per ticket category. */
#ifndef CB_APP_PROBLEM_H
#define CB_APP_PROBLEM_H
#include <jansson.h>

#include "app/app.h"

int cb_problem_create(cb_conn *c, const cb_actor *actor, cb_ms now, json_t *in, int64_t *out_id,
		      cb_err *err);
int cb_problem_update(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t id, json_t *in,
		      cb_err *err);
json_t *cb_problem_get(cb_conn *c, int64_t id, cb_err *err);
int cb_problem_list(cb_conn *c, const char *status, const char *category, int limit,
		    int64_t after, json_t **items, int64_t *next, cb_err *err);
/* {"problem": id}; 409 when already linked. */
json_t *cb_problem_link(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t ticket, json_t *in,
			cb_err *err);
int cb_problem_unlink(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t ticket,
		      int64_t problem, cb_err *err);
int cb_problem_of_ticket(cb_conn *c, int64_t ticket, json_t **items, cb_err *err);
/* Repeat counts of problem id (0: every problem) over [from, to) in
 * buckets ("day", "week", "month"). */
json_t *cb_problem_stats(cb_conn *c, int64_t id, const char *bucket, cb_ms from, cb_ms to,
			 cb_err *err);

#endif
