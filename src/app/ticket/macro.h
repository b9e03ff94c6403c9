/* macro.h - macros: a saved reply with placeholders plus field changes,
 * applied to a ticket in one click (one write transaction).
 *
 * A macro has a name, a scope (personal: its owner's; shared: everyone's,
 * created and changed by admins), a body (a public reply, or an internal
 * note when public is false; may be empty) with the placeholders of
 * cb_macro_placeholders, and changes: any of status, priority, category,
 * assignee, group (references resolved to ids when saved), tags_add,
 * tags_remove. Applying renders the body for the ticket, adds it as a
 * comment, then applies the changes as a ticket update, so SLA clocks, the
 * timeline and notifications behave as if done by hand. */
#ifndef CB_APP_MACRO_H
#define CB_APP_MACRO_H
#include <jansson.h>

#include "app/app.h"

extern const char *const cb_macro_placeholders[]; /* NULL-terminated */

int cb_macro_create(cb_conn *c, const cb_actor *actor, cb_ms now, json_t *in, int64_t *out_id,
		    cb_err *err);
int cb_macro_update(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t id, json_t *in,
		    cb_err *err);
int cb_macro_delete(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t id, cb_err *err);
/* 404 for another user's personal macro. */
json_t *cb_macro_get(cb_conn *c, const cb_actor *actor, int64_t id, cb_err *err);
/* Shared macros, then the actor's own, by name. */
json_t *cb_macro_list(cb_conn *c, const cb_actor *actor, cb_err *err);
/* What applying would do: {"macro", "ticket", "body", "public", "changes"}. */
json_t *cb_macro_preview(cb_conn *c, const cb_actor *actor, int64_t macro, int64_t ticket,
			 cb_err *err);
/* Applies; *out = {"ticket": rendered, "comment": event id or null, "changes"}. */
int cb_macro_apply(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t macro, int64_t ticket,
		   json_t **out, cb_err *err);

#endif
