/* ticket_page.c - a page of tickets in a bounded number of statements (see
 * ticket_page.h).
 *
 * DESIGN
 * Rendering one ticket looks up its account, requester, assignee and group
 * and its SLA fold (the tiers the fold read, or its events): six to eight
 * statements, each a round trip on a database server. A page loads each
 * kind once for all its tickets (ids passed as one JSON array: no limit on
 * bound variables) and renders from memory with the renderer a single GET
 * uses, so the output is the same byte for byte. */
#include "app/ticket/ticket_page.h"
#include "app/directory/directory.h"
#include "app/sla/sla.h"
#include "app/ticket/eventlog.h"
#include "store/sql.h"
#include "util/alloc.h"

#include <stdlib.h>
#include <string.h>

/* ids as a JSON array text (free with free()). */
static char *ids_text(const int64_t *ids, int n)
{
	json_t *a = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(a, json_integer(ids[i]));
	char *s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return s;
}

/* The tickets ids[0..n) into t[] (loaded[i] set for each one found). */
static int load_tickets(cb_conn *c, const int64_t *ids, int n, cb_ticket *t, unsigned char *loaded,
			cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_TICKET_PAGE, err);
	if (!q)
		return -1;
	char *js = ids_text(ids, n);
	cb_q_bind_text(q, 1, js);
	free(js); /* bound as a copy */
	int r;
	while ((r = cb_q_step(q, err)) == 1) {
		int64_t id = cb_q_i64(q, 0);
		for (int i = 0; i < n; i++) {
			if (ids[i] != id || loaded[i])
				continue;
			cb_eventlog_from_row(q, &t[i]);
			loaded[i] = 1;
		}
	}
	if (r < 0)
		return -1;
	for (int i = 0; i < n; i++)
		if (!loaded[i])
			return cb_err_set(err, CB_E_NOTFOUND, NULL, "no such ticket: %lld",
					  (long long)ids[i]);
	return 0;
}

/* The follow-ups of each ticket, as a GET lists them, into f[i]. */
static int load_followups(cb_conn *c, const int64_t *ids, int n, json_t **f, cb_err *err)
{
	for (int i = 0; i < n; i++)
		f[i] = json_array();
	cb_q *q = cb_q_get(c, CB_SQL_TICKET_PAGE_FOLLOWUPS, err);
	if (!q)
		return -1;
	char *js = ids_text(ids, n);
	cb_q_bind_text(q, 1, js);
	free(js);
	int r;
	while ((r = cb_q_step(q, err)) == 1) {
		int64_t of = cb_q_i64(q, 0);
		for (int i = 0; i < n; i++)
			if (ids[i] == of)
				json_array_append_new(f[i], json_integer(cb_q_i64(q, 1)));
	}
	return r < 0 ? -1 : 0;
}

static int tier_known(void *ctx, int64_t account, const char **tier)
{
	return cb_dir_refs_tier(ctx, account, tier);
}

/* long: the page's batch loads and the row rendering share the per-page arrays */
int cb_ticketsvc_page_render(cb_conn *c, const cb_actor *viewer, const int64_t *ids, int n, cb_ms now,
			  unsigned flags, json_t **items, cb_err *err)
{
	int customer = viewer->role == CB_ROLE_CUSTOMER;
	cb_slasvc_cfgset *cs = NULL;
	json_t *cf = customer ? cb_ticketsvc_customer_fields(c, err) : NULL;
	if (err->code || (!customer && cb_slasvc_cfgset_load(c, &cs, err))) {
		json_decref(cf);
		return -1;
	}
	size_t m = (size_t)(n > 0 ? n : 1);
	cb_ticket *t = cb_xcalloc(m, sizeof *t);
	unsigned char *loaded = cb_xcalloc(m, 1);
	int *nevents = cb_xcalloc(m, sizeof *nevents);
	int64_t *users = cb_xcalloc(2 * m, sizeof *users);
	int64_t *groups = cb_xcalloc(m, sizeof *groups);
	int64_t *accts = NULL;
	json_t **sla = cb_xcalloc(m, sizeof *sla);
	json_t **fups = cb_xcalloc(m, sizeof *fups);
	cb_slasvc_page *sp = NULL;
	cb_dir_refs *refs = NULL;
	int rc = -1;
	*items = NULL;
	if (n > 0 && load_tickets(c, ids, n, t, loaded, err))
		goto out;
	/* the cached SLA folds first: the tiers they depend on join the accounts */
	const int64_t *sla_accts = NULL;
	int nsla = 0;
	if (!customer) {
		for (int i = 0; i < n; i++)
			nevents[i] = t[i].nevents;
		sp = cb_slasvc_page_begin(c, cs, n, ids, nevents);
		nsla = cb_slasvc_page_accounts(sp, &sla_accts);
	}
	accts = cb_xcalloc(m + (size_t)nsla, sizeof *accts);
	for (int i = 0; i < n; i++) {
		users[2 * i] = t[i].requester_id;
		users[2 * i + 1] = t[i].assignee_id;
		groups[i] = t[i].group_id;
		accts[i] = t[i].account_id;
	}
	if (nsla)
		memcpy(accts + n, sla_accts, (size_t)nsla * sizeof *accts);
	refs = cb_dir_refs_load(c, users, 2 * n, accts, n + nsla, groups, n, err);
	if (!refs)
		goto out;
	if (sp && n > 0 && cb_slasvc_page_render(sp, tier_known, refs, now, sla, err))
		goto out;
	int want_fups = !customer && (flags & CB_TICKET_PAGE_FOLLOWUPS);
	if (want_fups && n > 0 && load_followups(c, ids, n, fups, err))
		goto out;
	*items = json_array();
	for (int i = 0; i < n; i++) {
		json_t *o = cb_ticketsvc_render_row(
			&t[i], cb_dir_refs_account(refs, t[i].account_id),
			cb_dir_refs_user(refs, t[i].requester_id),
			cb_dir_refs_user(refs, t[i].assignee_id), cb_dir_refs_group(refs, t[i].group_id),
			sla[i], cf);
		sla[i] = NULL; /* consumed */
		if (want_fups) {
			json_object_set_new(o, "followups", fups[i]);
			fups[i] = NULL;
		}
		json_array_append_new(*items, o);
	}
	rc = 0;
out:
	for (int i = 0; i < n; i++) {
		if (loaded[i])
			cb_ticket_clear(&t[i]);
		json_decref(sla[i]);
		json_decref(fups[i]);
	}
	cb_dir_refs_free(refs);
	cb_slasvc_page_free(sp);
	cb_slasvc_cfgset_free(cs);
	json_decref(cf);
	cb_free(t);
	cb_free(loaded);
	cb_free(nevents);
	cb_free(users);
	cb_free(groups);
	cb_free(accts);
	cb_free(sla);
	cb_free(fups);
	return rc;
}
