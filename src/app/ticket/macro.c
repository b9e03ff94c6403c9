/* macro.c - saved replies with placeholders plus field changes (see
 * macro.h). */
#include "app/ticket/macro.h"
#include "app/ticket/eventlog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/directory/auth.h"
#include "app/directory/directory.h"
#include "app/ticket/ticket.h"
#include "core/ticket.h"
#include "util/alloc.h"
#include "util/jsonx.h"
#include "util/template.h"


const char *const cb_macro_placeholders[] = {
	"ticket.id",       "ticket.subject", "ticket.status", "ticket.priority", "requester.name",
	"requester.first_name", "requester.email", "account.name", "agent.name", "agent.email",
	NULL};

static json_t *row_json(cb_q *q)
{
	json_t *ch = json_loads(cb_q_text(q, 7), 0, NULL);
	return json_pack("{s:I, s:s, s:s, s:{s:I, s:s}, s:s, s:b, s:o, s:o, s:o}", "id",
			 (json_int_t)cb_q_i64(q, 0), "name", cb_q_text(q, 1), "scope", cb_q_text(q, 2),
			 "owner", "id", (json_int_t)cb_q_i64(q, 3), "email", cb_q_text(q, 4), "body",
			 cb_q_text(q, 5), "public", (int)cb_q_i64(q, 6), "changes",
			 ch ? ch : json_object(), "created_at", cb_json_time(cb_q_i64(q, 8)), "updated_at",
			 cb_json_time(cb_q_i64(q, 9)));
}

/* A macro visible to actor: shared ones, and their own personal ones. */
static int load(cb_conn *c, const cb_actor *actor, int64_t id, json_t **out, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_MACRO_GET, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	int r = cb_q_step(q, err);
	if (r < 0)
		return -1;
	int ok = r && (!strcmp(cb_q_text(q, 2), "shared") || cb_q_i64(q, 3) == actor->user_id);
	if (ok)
		*out = row_json(q);
	if (r)
		cb_q_reset(q);
	return ok ? 0 : cb_err_set(err, CB_E_NOTFOUND, NULL, "no such macro: %lld", (long long)id);
}

json_t *cb_macro_get(cb_conn *c, const cb_actor *actor, int64_t id, cb_err *err)
{
	json_t *o = NULL;
	return load(c, actor, id, &o, err) ? NULL : o;
}

json_t *cb_macro_list(cb_conn *c, const cb_actor *actor, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_MACRO_LIST, err);
	if (!q)
		return NULL;
	cb_q_bind_i64(q, 1, actor->user_id);
	json_t *a = json_array();
	int r;
	while ((r = cb_q_step(q, err)) == 1)
		json_array_append_new(a, row_json(q));
	if (r < 0) {
		json_decref(a);
		return NULL;
	}
	return a;
}

/* Validates a macro document (partial for PATCH: absent keys keep base)
 * into a complete one in *out. References in changes are resolved to ids.
 * long: every field of a macro checked in one pass, each bad one named */
static int check(cb_conn *c, const cb_actor *actor, json_t *in, json_t *base, json_t **out,
		 cb_err *err)
{
	static const char *const keys[] = {"name", "scope", "body", "public", "changes", NULL};
	static const char *const change_keys[] = {"status",   "priority", "category",    "assignee",
						  "group",    "tags_add", "tags_remove", NULL};
	/* unknown keys are named with every other bad field below */
	cb_json_check_keys(in, keys, "", err);
	json_t *d = base ? json_deep_copy(base) : json_pack("{s:s, s:s, s:b, s:{}}", "scope",
							    "personal", "body", "", "public", 1,
							    "changes");
	const char *k;
	json_t *v;
	json_object_foreach(in, k, v) json_object_set(d, k, v);
	json_t *name = json_object_get(d, "name"), *scope = json_object_get(d, "scope"),
	       *body = json_object_get(d, "body"), *pub = json_object_get(d, "public"),
	       *ch = json_object_get(d, "changes");
	if (!json_is_string(name) || !*json_string_value(name) || json_string_length(name) > 200)
		cb_err_add(err, CB_E_INVALID, "name", "must be a string of 1 to 200 characters");
	if (!json_is_string(scope) || (strcmp(json_string_value(scope), "personal") &&
				       strcmp(json_string_value(scope), "shared")))
		cb_err_add(err, CB_E_INVALID, "scope", "must be personal or shared");
	else if (!strcmp(json_string_value(scope), "shared") && actor->role != CB_ROLE_ADMIN)
		cb_err_add(err, CB_E_FORBIDDEN, "scope", "only admins create shared macros");
	if (!json_is_string(body) || json_string_length(body) > 65536)
		cb_err_add(err, CB_E_INVALID, "body", "must be a string of at most 65536 bytes");
	else
		cb_template_check(json_string_value(body), cb_macro_placeholders, "body", err);
	if (!json_is_boolean(pub))
		cb_err_add(err, CB_E_INVALID, "public", "must be a boolean");
	if (!json_is_object(ch)) {
		cb_err_add(err, CB_E_INVALID, "changes", "must be an object");
	} else if (cb_json_check_keys(ch, change_keys, "changes.", err) == 0) {
		json_t *st = json_object_get(ch, "status"), *pr = json_object_get(ch, "priority");
		cb_status s;
		int p;
		if (st && (!json_is_string(st) || cb_status_parse(json_string_value(st), &s) ||
			   s == CB_ST_NEW))
			cb_err_add(err, CB_E_INVALID, "changes.status",
				   "must be open, pending, on_hold, solved or closed");
		if (pr && (!json_is_string(pr) || cb_priority_parse(json_string_value(pr), &p)))
			cb_err_add(err, CB_E_INVALID, "changes.priority", "must be P1, P2, P3 or P4");
		json_t *cat = json_object_get(ch, "category");
		if (cat && !json_is_string(cat) && !json_is_null(cat))
			cb_err_add(err, CB_E_INVALID, "changes.category", "must be a string or null");
		static const char *const lists[] = {"tags_add", "tags_remove"};
		for (int i = 0; i < 2; i++) {
			json_t *l = json_object_get(ch, lists[i]);
			size_t j;
			json_t *t;
			int bad = l && !json_is_array(l);
			json_array_foreach(l, j, t) bad |= !json_is_string(t) || !*json_string_value(t);
			if (bad)
				cb_err_add(err, CB_E_INVALID, lists[i][5] == 'a' ? "changes.tags_add"
										 : "changes.tags_remove",
					   "must be a list of tags");
		}
		static const char *const refs[] = {"assignee", "group"};
		for (int i = 0; i < 2 && !err->nitems; i++) {
			json_t *ref = json_object_get(ch, refs[i]);
			if (!ref || json_is_null(ref))
				continue;
			int64_t id = 0;
			char field[32];
			snprintf(field, sizeof field, "changes.%s", refs[i]);
			cb_err e2 = {0};
			int rc = i == 0 ? cb_dir_resolve_user(c, ref, &id, field, &e2)
					: cb_dir_resolve_group(c, ref, &id, field, &e2);
			if (rc) {
				cb_err_add(err, CB_E_INVALID, field, "%s", e2.message);
				continue;
			}
			json_object_set_new(ch, refs[i], json_integer((json_int_t)id));
		}
	}
	if (err->nitems || err->code) {
		json_decref(d);
		for (int i = 0; i < err->nitems; i++)
			if (!strcmp(err->items[i].field, "scope") &&
			    strstr(err->items[i].message, "only admins"))
				err->code = CB_E_FORBIDDEN;
		return err->code == CB_E_FORBIDDEN ? -1 : cb_err_summarize(err);
	}
	*out = d;
	return 0;
}

static int store(cb_conn *c, cb_sql sql, int64_t id, const cb_actor *actor, cb_ms now,
		 json_t *d, int64_t *out_id, cb_err *err)
{
	cb_q *q = cb_q_get(c, sql, err);
	if (!q)
		return -1;
	char *ch = json_dumps(json_object_get(d, "changes"), JSON_COMPACT | JSON_SORT_KEYS);
	if (id) { /* update */
		cb_q_bind_i64(q, 1, id);
		cb_q_bind_text(q, 2, json_string_value(json_object_get(d, "name")));
		cb_q_bind_text(q, 3, json_string_value(json_object_get(d, "scope")));
		cb_q_bind_text(q, 4, json_string_value(json_object_get(d, "body")));
		cb_q_bind_i64(q, 5, json_is_true(json_object_get(d, "public")));
		cb_q_bind_text(q, 6, ch);
		cb_q_bind_i64(q, 7, now);
	} else {
		cb_q_bind_text(q, 1, json_string_value(json_object_get(d, "name")));
		cb_q_bind_text(q, 2, json_string_value(json_object_get(d, "scope")));
		cb_q_bind_i64(q, 3, actor->user_id);
		cb_q_bind_text(q, 4, json_string_value(json_object_get(d, "body")));
		cb_q_bind_i64(q, 5, json_is_true(json_object_get(d, "public")));
		cb_q_bind_text(q, 6, ch);
		cb_q_bind_i64(q, 7, now);
	}
	free(ch);
	int64_t new_id = 0;
	int rc = cb_q_exec_id(q, &new_id, err);
	if (rc == 0 && out_id)
		*out_id = new_id;
	return rc;
}

int cb_macro_create(cb_conn *c, const cb_actor *actor, cb_ms now, json_t *in, int64_t *out_id,
		    cb_err *err)
{
	json_t *d = NULL;
	if (check(c, actor, in, NULL, &d, err))
		return -1;
	int rc = store(c, CB_SQL_MACRO_INSERT, 0, actor, now, d, out_id, err);
	json_decref(d);
	if (rc)
		return -1;
	return 0;
}

/* Personal macros change by their owner; shared ones by admins. */
static int may_change(const cb_actor *actor, json_t *m, cb_err *err)
{
	int shared = !strcmp(json_string_value(json_object_get(m, "scope")), "shared");
	int64_t owner = json_integer_value(json_object_get(json_object_get(m, "owner"), "id"));
	if (shared ? actor->role == CB_ROLE_ADMIN : owner == actor->user_id)
		return 0;
	return cb_err_set(err, CB_E_FORBIDDEN, NULL, "only admins change shared macros");
}

int cb_macro_update(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t id, json_t *in,
		    cb_err *err)
{
	json_t *m = NULL, *d = NULL;
	if (load(c, actor, id, &m, err))
		return -1;
	int rc = may_change(actor, m, err);
	if (rc == 0) {
		json_t *base = json_pack("{s:O, s:O, s:O, s:O, s:O}", "name", json_object_get(m, "name"),
					 "scope", json_object_get(m, "scope"), "body",
					 json_object_get(m, "body"), "public", json_object_get(m, "public"),
					 "changes", json_object_get(m, "changes"));
		rc = check(c, actor, in, base, &d, err);
		json_decref(base);
	}
	if (rc == 0)
		rc = store(c, CB_SQL_MACRO_UPDATE, id, actor, now, d, NULL, err);
	json_decref(d);
	json_decref(m);
	return rc;
}

int cb_macro_delete(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t id, cb_err *err)
{
	json_t *m = NULL;
	if (load(c, actor, id, &m, err))
		return -1;
	int rc = may_change(actor, m, err);
	json_decref(m);
	if (rc)
		return -1;
	cb_q *q = cb_q_get(c, CB_SQL_MACRO_DELETE, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	cb_q_bind_i64(q, 2, now);
	return cb_q_exec(q, err);
}

/* The rendered body and the ticket patch of macro m on ticket id.
 * long: the rendered body and the patch from the macro's changes, read together */
static int prepare(cb_conn *c, const cb_actor *actor, json_t *m, int64_t id, char **body,
		   json_t **patch, cb_err *err)
{
	cb_ticket t;
	if (cb_eventlog_load(c, id, &t, err))
		return -1;
	json_t *cur_tags = json_deep_copy(json_object_get(t.doc, "tags"));
	int closed = t.status == CB_ST_CLOSED;
	cb_ticket_clear(&t);
	if (closed) {
		json_decref(cur_tags);
		return cb_err_set(err, CB_E_CONFLICT, "status", "the ticket is closed");
	}
	cb_q *q = cb_q_get(c, CB_SQL_MACRO_VARS, err);
	if (q)
		cb_q_bind_i64(q, 1, id);
	if (!q || cb_q_step(q, err) != 1) {
		json_decref(cur_tags);
		return -1;
	}
	char idb[24], first[201], subject[1024], status[16], prio[8], rname[201], remail[321],
		aname[201], gname[330] = "", gemail[321] = "";
	snprintf(idb, sizeof idb, "%lld", (long long)id);
	snprintf(subject, sizeof subject, "%s", cb_q_text(q, 0));
	snprintf(status, sizeof status, "%s", cb_q_text(q, 1));
	snprintf(prio, sizeof prio, "%s", cb_q_text(q, 2));
	snprintf(rname, sizeof rname, "%s", cb_q_text(q, 3));
	snprintf(remail, sizeof remail, "%s", cb_q_text(q, 4));
	snprintf(aname, sizeof aname, "%s", cb_q_isnull(q, 5) ? "" : cb_q_text(q, 5));
	cb_q_reset(q);
	if (!*rname) /* "jane" from jane@acme.test */
		snprintf(rname, sizeof rname, "%.*s", (int)strcspn(remail, "@"), remail);
	snprintf(first, sizeof first, "%.*s", (int)strcspn(rname, " "), rname);
	q = cb_q_get(c, CB_SQL_MACRO_ACTOR, err);
	if (!q) {
		json_decref(cur_tags);
		return -1;
	}
	cb_q_bind_i64(q, 1, actor->user_id);
	if (cb_q_step(q, err) == 1) {
		snprintf(gname, sizeof gname, "%s", cb_q_text(q, 0));
		snprintf(gemail, sizeof gemail, "%s", cb_q_text(q, 1));
		cb_q_reset(q);
	}
	if (!*gname)
		snprintf(gname, sizeof gname, "%s", gemail);
	const char *vars[] = {"ticket.id",       idb,    "ticket.subject",       subject,
			      "ticket.status",   status, "ticket.priority",      prio,
			      "requester.name",  rname,  "requester.first_name", first,
			      "requester.email", remail, "account.name",         aname,
			      "agent.name",      gname,  "agent.email",          gemail,
			      NULL};
	*body = cb_template_render(json_string_value(json_object_get(m, "body")), vars);

	json_t *ch = json_object_get(m, "changes");
	json_t *p = json_object();
	static const char *const direct[] = {"status", "priority", "category", "assignee", "group"};
	for (size_t i = 0; i < sizeof direct / sizeof direct[0]; i++)
		if (json_object_get(ch, direct[i]))
			json_object_set(p, direct[i], json_object_get(ch, direct[i]));
	json_t *add = json_object_get(ch, "tags_add"), *rem = json_object_get(ch, "tags_remove");
	if (add || rem) {
		json_t *tags = json_array();
		size_t i, j;
		json_t *v, *w;
		json_array_foreach(cur_tags, i, v) {
			int drop = 0;
			json_array_foreach(rem, j, w) drop |= json_equal(v, w);
			if (!drop)
				json_array_append(tags, v);
		}
		json_array_foreach(add, i, v) {
			int have = 0;
			json_array_foreach(tags, j, w) have |= json_equal(v, w);
			if (!have)
				json_array_append(tags, v);
		}
		json_object_set_new(p, "tags", tags);
	}
	json_decref(cur_tags);
	*patch = p;
	return 0;
}

json_t *cb_macro_preview(cb_conn *c, const cb_actor *actor, int64_t macro, int64_t ticket,
			 cb_err *err)
{
	json_t *m = NULL, *patch = NULL;
	char *body = NULL;
	if (load(c, actor, macro, &m, err) || prepare(c, actor, m, ticket, &body, &patch, err)) {
		json_decref(m);
		return NULL;
	}
	json_t *o = json_pack("{s:I, s:I, s:s, s:O, s:o}", "macro", (json_int_t)macro, "ticket",
			      (json_int_t)ticket, "body", body, "public", json_object_get(m, "public"),
			      "changes", patch);
	cb_free(body);
	json_decref(m);
	return o;
}

int cb_macro_apply(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t macro, int64_t ticket,
		   json_t **out, cb_err *err)
{
	json_t *m = NULL, *patch = NULL;
	char *body = NULL;
	if (load(c, actor, macro, &m, err))
		return -1;
	/* the ticket must be visible to the actor before anything is revealed */
	json_t *vis = cb_ticketsvc_render(c, actor, ticket, now, err);
	if (!vis) {
		json_decref(m);
		return -1;
	}
	json_decref(vis);
	int rc = prepare(c, actor, m, ticket, &body, &patch, err);
	int64_t ev = 0, target = ticket;
	if (rc == 0 && *body) {
		json_t *in = json_pack("{s:s, s:O}", "body", body, "public", json_object_get(m, "public"));
		rc = cb_ticketsvc_comment(c, actor, now, ticket, in, &ev, &target, err);
		json_decref(in);
	}
	if (rc == 0 && json_object_size(patch))
		rc = cb_ticketsvc_update(c, actor, now, ticket, patch, err);
	if (rc == 0) {
		json_t *t = cb_ticketsvc_render(c, actor, ticket, now, err);
		if (!t) {
			rc = -1;
		} else {
			*out = json_pack("{s:o, s:o, s:O}", "ticket", t, "comment",
					 ev ? json_integer((json_int_t)ev) : json_null(), "changes", patch);
		}
	}
	cb_free(body);
	json_decref(patch);
	json_decref(m);
	return rc;
}
