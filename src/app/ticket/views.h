/* views.h - queues: the built-in views (mine, unassigned, at_risk,
 * breached, all_open) and saved views (a base queue plus filters and a
 * sort, personal to their owner or shared with every agent). */
#ifndef CB_APP_VIEWS_H
#define CB_APP_VIEWS_H
#include <jansson.h>

#include "app/app.h"
#include "store/view_query.h"

/* A queue ready to query (filters resolved to ids). */
typedef struct {
	cb_view_kind base;
	int64_t group;        /* 0 any, -1 none */
	unsigned priorities;  /* bits 1..4, 0 any */
	char tier[16];        /* "" any */
	int64_t assignee;     /* 0 any, -1 none, >0 a user */
	int sort;             /* CB_VIEW_SORT_* */
} cb_view_spec;

/* Resolves a view by built-in name, saved view id or saved view name (the
 * viewer's own first, then shared). 404 when none is visible. */
int cb_views_resolve(cb_conn *c, const cb_actor *viewer, const char *name, cb_view_spec *out,
		     cb_err *err);
/* Narrows spec with query-string filters (group, priority, tier, sort). */
int cb_views_narrow(cb_conn *c, cb_view_spec *spec, const char *group, const char *priority,
		    const char *tier, const char *sort, cb_err *err);

/* Saved view CRUD, inside a write transaction. Body: name, base, filters
 * {group, priority, tier, assignee}, sort, shared. */
int cb_views_create(cb_conn *c, const cb_actor *actor, cb_ms now, json_t *in, int64_t *out_id,
		    cb_err *err);
int cb_views_update(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t id, json_t *in,
		    cb_err *err);
int cb_views_delete(cb_conn *c, const cb_actor *actor, int64_t id, cb_err *err);
json_t *cb_views_get(cb_conn *c, const cb_actor *viewer, int64_t id, cb_err *err);
/* Built-in views first, then the viewer's personal views, then shared ones. */
json_t *cb_views_list(cb_conn *c, const cb_actor *viewer, cb_err *err);

#endif
