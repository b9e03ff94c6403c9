/* sla_config.h - the SLA configuration: business calendars and SLA
 * policies (docs/metrics.md sections 2 and 4, docs/openapi.yaml).
 *
 * Calendars are validated by core/calendar.h (cb_cal_from_json with the
 * system zone loader), so every problem comes back as a 422 item with its
 * field path, and stored as the normalized JSON of cb_cal_to_json. The
 * built-in always-open calendar "24x7" has id 0 and no row.
 *
 * Policies: {"name", "position", "conditions": {"priority", "tier",
 * "category", "group"}, "calendar", "targets": {"first_response",
 * "next_update", "resolution"}} with targets in minutes. Each condition is
 * one value or a non-empty list; groups are stored as ids and rendered as
 * {"id","name"}; calendar is an id or name, "24x7", 0 or null for the
 * built-in. Positions and names are unique (409).
 *
 * Every change that can move a ticket's clocks (a policy created or
 * updated, a calendar in use updated or given holidays) enqueues the
 * background re-fold (jobs/jobs.h) in the same transaction; the caller
 * kicks the scheduler after the commit. Writes run inside a write
 * transaction (cb_db_write) and add an audit row. */
#ifndef CB_APP_SLA_CONFIG_H
#define CB_APP_SLA_CONFIG_H
#include <jansson.h>

#include "app/app.h"
#include "app/directory/directory.h"

#define CB_SLACFG_TARGET_MAX 5256000 /* minutes: ten years */
#define CB_SLACFG_POSITION_MAX 1000000000
#define CB_SLACFG_CATEGORY_MAX 100   /* characters in a category condition */
#define CB_SLACFG_LIST_MAX 100       /* values in one condition list */

/* ---- calendars ---- */

/* Database-free validation of a whole calendar body.
 * @param[out] out_doc  the normalized calendar (new reference), NULL on error
 * @return 0, or -1 with CB_E_INVALID naming each field path */
int cb_slacfg_calendar_check(json_t *body, json_t **out_doc, cb_err *err);
/* Inserts a checked calendar (409 on a taken name). */
int cb_slacfg_calendar_create(cb_conn *c, const cb_actor *actor, cb_ms now, json_t *doc,
			      int64_t *out_id, cb_err *err);
/* Applies a PATCH body (keys given replace the stored ones; the result is
 * validated as a whole). 404 when missing, 409 for the built-in (id 0) or
 * a taken name. */
int cb_slacfg_calendar_update(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t id,
			      json_t *body, cb_err *err);
/* Holiday dates of an iCalendar feed, kept for the years of now - 1 ..
 * now + 5 (database-free, slow: call before the transaction).
 * @param[out] out  days since 1970-01-01 (cb_free), NULL when none */
int cb_slacfg_holidays_from_ics(const char *ics, cb_ms now, int64_t **out, size_t *n,
				cb_err *err);
/* Merges days into calendar id's holidays; *out_added = how many were new. */
int cb_slacfg_calendar_add_holidays(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t id,
				    const int64_t *days, size_t n, int *out_added, cb_err *err);
/* {"id","name","timezone","hours","holidays","builtin","created_at",
 * "updated_at"}; id 0 is the built-in (times null). 404 when missing. */
int cb_slacfg_calendar_get(cb_conn *c, int64_t id, json_t **out, cb_err *err);
/* A page in id order; the first page starts with the built-in (id 0). */
int cb_slacfg_calendar_list(cb_conn *c, const cb_dir_page *page, json_t **out_items,
			    int64_t *out_next, cb_err *err);
/* A request reference: integer id (0 = built-in), name, "24x7", or JSON
 * null (built-in). Unknown ones are CB_E_INVALID on field. */
int cb_slacfg_resolve_calendar(cb_conn *c, json_t *ref, int64_t *out, const char *field,
			       cb_err *err);

/* ---- policies ---- */

enum {
	CB_SLACFG_POL_NAME = 1u << 0,
	CB_SLACFG_POL_POSITION = 1u << 1,
	CB_SLACFG_POL_CONDITIONS = 1u << 2,
	CB_SLACFG_POL_CALENDAR = 1u << 3,
	CB_SLACFG_POL_TARGETS = 1u << 4,
};

typedef struct {
	unsigned set;        /* CB_SLACFG_POL_* bits of the fields given */
	const char *name;    /* trimmed, 1..200 characters (arena) */
	int64_t position;    /* 0..CB_SLACFG_POSITION_MAX */
	json_t *conditions;  /* borrowed object, shapes checked */
	json_t *calendar;    /* borrowed reference or JSON null */
	json_t *targets;     /* borrowed object, shapes checked */
} cb_slacfg_policy_in;

/* Decodes a body strictly (unknown keys, wrong types, unknown priorities or
 * tiers, bad targets: 422 naming "conditions.priority[1]" etc.). partial=1
 * for PATCH; on create name and targets are required, position defaults
 * to after the last policy. */
int cb_slacfg_policy_from_json(cb_slacfg_policy_in *out, json_t *body, int partial,
			       cb_arena *a, cb_err *err);
int cb_slacfg_policy_create(cb_conn *c, const cb_actor *actor, cb_ms now,
			    const cb_slacfg_policy_in *in, int64_t *out_id, cb_err *err);
/* conditions and targets, when given, replace the stored objects. */
int cb_slacfg_policy_update(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t id,
			    const cb_slacfg_policy_in *in, cb_err *err);
/* {"id","name","position","conditions","calendar":{"id","name"},"targets",
 * "created_at","updated_at"}. */
int cb_slacfg_policy_get(cb_conn *c, int64_t id, json_t **out, cb_err *err);
/* A page in position order; *out_next = last position + 1 when more follow. */
int cb_slacfg_policy_list(cb_conn *c, const cb_dir_page *page, json_t **out_items,
			  int64_t *out_next, cb_err *err);

/* ---- re-fold ---- */

/* Re-folds up to limit open tickets with id > after at now, inside the
 * current write transaction, with one configuration load. A ticket that
 * fails is rolled back alone and logged.
 * @param[out] out_last  id of the last ticket visited (after if none)
 * @param[out] out_n     tickets visited (< limit: the pass is complete) */
int cb_slacfg_refold_batch(cb_conn *c, cb_ms now, int64_t after, int limit, int64_t *out_last,
			   int *out_n, cb_err *err);

#endif
