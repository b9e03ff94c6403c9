/* defect.h - defects in external trackers (tracker, key, URL, title,
 * status) linked to tickets.
 *
 * Linking and unlinking append a `defect` event to the ticket
 * ({"action": "linked" | "unlinked", "defect", "tracker", "key"}); marking a
 * defect fixed appends {"action": "fixed", ...} to every linked ticket that
 * is not solved or closed, and such tickets form the fix-available list.
 * The defect view ranks affected tickets and accounts by impact:
 * ticket impact = tier weight (enterprise 3, business 2, standard or no
 * account 1) x priority weight (P1 8, P2 4, P3 2, P4 1) while the ticket is
 * open (not solved or closed), else 0; an account's impact is the sum over
 * its tickets (tier weight x open tickets x their mean priority weight). */
#ifndef CB_APP_DEFECT_H
#define CB_APP_DEFECT_H
#include <jansson.h>

#include "app/app.h"

int cb_defect_create(cb_conn *c, const cb_actor *actor, cb_ms now, json_t *in, int64_t *out_id,
		     cb_err *err);
/* title, url, status; becoming fixed notifies the open linked tickets. */
int cb_defect_update(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t id, json_t *in,
		     cb_err *err);
/* The defect with "tickets" and "accounts" ranked by impact. */
json_t *cb_defect_get(cb_conn *c, int64_t id, cb_err *err);
int cb_defect_list(cb_conn *c, const char *status, const char *tracker, int limit, int64_t after,
		   json_t **items, int64_t *next, cb_err *err);
/* {"defect": id} or {"tracker", "key"[, "url", "title", "status"]} (the
 * defect is created on first use); 409 when already linked. */
json_t *cb_defect_link(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t ticket, json_t *in,
		       cb_err *err);
int cb_defect_unlink(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t ticket, int64_t defect,
		     cb_err *err);
int cb_defect_of_ticket(cb_conn *c, int64_t ticket, json_t **items, cb_err *err);
/* Open tickets linked to a fixed defect, earliest fix first (offset
 * cursor); each ticket rendered with "fixed_defects". */
int cb_defect_fix_available(cb_conn *c, const cb_actor *viewer, cb_ms now, int limit,
			    int64_t offset, json_t **items, int64_t *next, cb_err *err);

#endif
