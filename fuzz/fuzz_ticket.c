/* fuzz_ticket.c - JSON bodies of the ticket endpoints: POST /tickets
 * (cb_ticketsvc_create), PATCH /tickets/{id} (cb_ticketsvc_update) and POST
 * /tickets/{id}/comments (cb_ticketsvc_comment), parsed by cb_api_body_object
 * as the handlers do, run against the demo data in a write job that is
 * always rolled back.
 *
 * Input: byte 0 picks the operation (% 3: create, update, comment) and the
 * actor ((/ 3) % 5: the system, an admin, an agent, an engineer, a
 * customer); byte 1 the ticket id (% 16: the demo has 1..12); the rest is
 * the body. Invariants: a success leaves a ticket whose stored row equals
 * the fold of its events (cb_ticketsvc_verify_fold) and renders; a failure is
 * a proper 4xx error, never a 500. */
#include "common.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "app/directory/directory.h"
#include "app/ticket/ticket.h"

static cb_actor actors[5];

static void load_actor(cb_actor *a, const char *email)
{
	cb_err err = {0};
	cb_conn *c = cb_db_reader(fuzz_app()->db, &err);
	cb_arena *ar = cb_arena_new();
	cb_dir_user_info u;
	if (!c || cb_dir_user_load(c, ar, 0, email, &u, &err) != 1) {
		fprintf(stderr, "fuzz_ticket: no user %s: %s\n", email, err.message);
		abort();
	}
	a->user_id = u.id;
	a->role = u.role;
	a->account_id = u.account_id;
	a->email = strdup(email);
	cb_conn_reset_all(c);
	cb_arena_free(ar);
}

static void init_actors(void)
{
	static int done;
	if (done)
		return;
	done = 1;
	actors[0] = (cb_actor){.user_id = 0, .role = CB_ROLE_ADMIN};
	load_actor(&actors[1], "admin@casebook.example");
	load_actor(&actors[2], "maria.lopez@support.example");
	load_actor(&actors[3], "raj.patel@eng.example");
	load_actor(&actors[4], "alice@northwind.example");
}

struct op {
	int kind;
	const cb_actor *actor;
	int64_t id;
	json_t *in;
	cb_ms now;
};

static void check_ticket(cb_conn *c, const cb_actor *viewer, int64_t id, cb_ms now)
{
	cb_err e = {0};
	int same = cb_ticketsvc_verify_fold(c, id, &e);
	if (same != 1)
		fprintf(stderr, "ticket %lld: stored row and fold differ (%d: %s)\n", (long long)id,
			same, e.message);
	FUZZ_CHECK(same == 1);
	cb_err e2 = {0};
	json_t *r = cb_ticketsvc_render(c, viewer, id, now, &e2);
	if (!r && id != 0) {
		/* a customer may lose sight of a ticket it moved to another account */
		FUZZ_CHECK(viewer->role == CB_ROLE_CUSTOMER && e2.code == CB_E_NOTFOUND);
	}
	json_decref(r);
}

static int run(cb_conn *c, void *arg, cb_err *err)
{
	struct op *o = arg;
	int64_t id = 0, ev = 0, tid = 0;
	int rc;
	switch (o->kind) {
	case 0:
		rc = cb_ticketsvc_create(c, o->actor, o->now, o->in, 0, &id, err);
		if (rc == 0)
			check_ticket(c, o->actor, id, o->now);
		break;
	case 1:
		rc = cb_ticketsvc_update(c, o->actor, o->now, o->id, o->in, err);
		if (rc == 0)
			check_ticket(c, o->actor, o->id, o->now);
		break;
	default:
		rc = cb_ticketsvc_comment(c, o->actor, o->now, o->id, o->in, &ev, &tid, err);
		if (rc == 0) {
			check_ticket(c, o->actor, tid, o->now);
			cb_err e = {0};
			json_t *r = cb_ticketsvc_render_comment(c, o->actor, tid, ev, &e);
			FUZZ_CHECK(r != NULL);
			json_decref(r);
		}
		break;
	}
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	fuzz_app();
	init_actors();
	cb_req req = {0};
	req.arena = cb_arena_new();
	req.content_type = "application/json";
	req.body = (const char *)data + 2;
	req.body_len = size - 2;
	cb_err err = {0};
	json_t *in = cb_api_body_object(&req, &err);
	if (!in) {
		fuzz_note_err("body", -1, &err);
		fuzz_check_err(&err);
		FUZZ_CHECK(err.code == CB_E_BADREQ);
		cb_arena_free(req.arena);
		return 0;
	}
	struct op o = {.kind = data[0] % 3,
		       .actor = &actors[(data[0] / 3) % 5],
		       .id = data[1] % 16,
		       .in = in,
		       .now = FUZZ_NOW + 3600000};
	int rc = fuzz_rollback(run, &o, &err);
	fuzz_note_err(o.kind == 0 ? "create" : o.kind == 1 ? "update" : "comment", rc, &err);
	if (rc != 0) {
		fuzz_check_err(&err);
		if (err.code == CB_E_INTERNAL)
			fprintf(stderr, "500: %s\n", err.message);
		FUZZ_CHECK(err.code != CB_E_INTERNAL);
	}
	cb_arena_free(req.arena);
	return 0;
}
