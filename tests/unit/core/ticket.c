/* ticket.c - the status machine and the fold of src/core/ticket.c. */
#include "harness.h"
#include "core/ticket.h"

static cb_event ev(cb_evtype type, cb_ms at, json_t *data)
{
	cb_event e = {.type = type, .at = at, .actor_id = 1, .data = data};
	return e;
}

static void apply(cb_ticket *t, cb_evtype type, cb_ms at, json_t *data)
{
	cb_event e = ev(type, at, data);
	cb_ticket_apply(t, &e);
	json_decref(data);
}

static void status(cb_ticket *t, const char *to, cb_ms at)
{
	apply(t, CB_EV_STATUS, at, json_pack("{s:s, s:s}", "from", cb_status_name(t->status), "to", to));
}

CB_TEST(status_names_roundtrip)
{
	const char *names[] = {"new", "open", "pending", "on_hold", "solved", "closed"};
	for (int i = 0; i < 6; i++) {
		cb_status s;
		CB_REQUIRE(cb_status_parse(names[i], &s) == 0);
		CB_CHECK_STR(cb_status_name(s), names[i]);
	}
	cb_status s;
	CB_CHECK(cb_status_parse("reopened", &s) == -1);
	CB_CHECK(cb_status_parse(NULL, &s) == -1);
	int p;
	CB_CHECK(cb_priority_parse("P1", &p) == 0 && p == 1);
	CB_CHECK(cb_priority_parse("P5", &p) == -1);
	CB_CHECK(cb_priority_parse("p2", &p) == -1);
	CB_CHECK(cb_priority_parse("P22", &p) == -1);
}

/* An event's type is stored by name (events.type) and read back by
 * cb_evtype_parse: every type has its own name, and the names are the ones
 * of the stored log. */
CB_TEST(event_type_names_roundtrip)
{
	struct { cb_evtype t; const char *name; } known[] = {
		{CB_EV_CREATED, "created"}, {CB_EV_STATUS, "status"},
		{CB_EV_ESCALATION_ACK, "escalation_ack"}, {CB_EV_CES, "ces"},
		{CB_EV_SLA, "sla"}, {CB_EV_ESCALATION_RESOLVED, "escalation_resolved"},
		{CB_EV_INCIDENT, "incident"},
	};
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		CB_CHECK_STR(cb_evtype_name(known[i].t), known[i].name);
	for (int i = 0; i < CB_EV__COUNT; i++) {
		cb_evtype t = CB_EV__COUNT;
		CB_REQUIRE(cb_evtype_parse(cb_evtype_name((cb_evtype)i), &t) == 0);
		CB_CHECK_INT(t, i);
		for (int j = 0; j < i; j++)
			CB_CHECK(strcmp(cb_evtype_name((cb_evtype)i), cb_evtype_name((cb_evtype)j)) != 0);
	}
	cb_evtype t;
	CB_CHECK_STR(cb_evtype_name(CB_EV__COUNT), "unknown");
	CB_CHECK(cb_evtype_parse("unknown", &t) == -1);
	CB_CHECK(cb_evtype_parse("Created", &t) == -1);
	CB_CHECK(cb_evtype_parse(NULL, &t) == -1);
	/* priorities: P1..P4 both ways; anything else renders as the default P3 */
	for (int p = 1; p <= 4; p++) {
		int q = 0;
		CB_REQUIRE(cb_priority_parse(cb_priority_name(p), &q) == 0);
		CB_CHECK_INT(q, p);
	}
	CB_CHECK_STR(cb_priority_name(0), "P3");
	CB_CHECK_STR(cb_priority_name(5), "P3");
}

CB_TEST(comment_effects_follow_metrics_section_3)
{
	cb_ticket t;
	cb_ticket_init(&t);
	cb_status to;
	/* new: agent public reply opens; internal note or requester reply does not */
	t.status = CB_ST_NEW;
	CB_CHECK(cb_ticket_comment_effect(&t, CB_SIDE_AGENT, 1, &to) == 1 && to == CB_ST_OPEN);
	CB_CHECK(cb_ticket_comment_effect(&t, CB_SIDE_AGENT, 0, &to) == 0);
	CB_CHECK(cb_ticket_comment_effect(&t, CB_SIDE_REQUESTER, 1, &to) == 0);
	/* pending and solved: a requester public reply opens */
	t.status = CB_ST_PENDING;
	CB_CHECK(cb_ticket_comment_effect(&t, CB_SIDE_REQUESTER, 1, &to) == 1 && to == CB_ST_OPEN);
	CB_CHECK(cb_ticket_comment_effect(&t, CB_SIDE_AGENT, 1, &to) == 0);
	t.status = CB_ST_SOLVED;
	CB_CHECK(cb_ticket_comment_effect(&t, CB_SIDE_REQUESTER, 1, &to) == 1 && to == CB_ST_OPEN);
	/* on_hold: a requester reply does not move it */
	t.status = CB_ST_ON_HOLD;
	CB_CHECK(cb_ticket_comment_effect(&t, CB_SIDE_REQUESTER, 1, &to) == 0);
	/* closed takes no comment effect (a follow-up is created instead) */
	t.status = CB_ST_CLOSED;
	CB_CHECK(cb_ticket_comment_effect(&t, CB_SIDE_REQUESTER, 1, &to) == 0);
	cb_ticket_clear(&t);
}

CB_TEST(assign_effect_opens_new_ticket_only_for_a_person)
{
	cb_ticket t;
	cb_ticket_init(&t);
	cb_status to;
	CB_CHECK(cb_ticket_assign_effect(&t, 7, &to) == 1 && to == CB_ST_OPEN);
	CB_CHECK(cb_ticket_assign_effect(&t, 0, &to) == 0); /* group only */
	t.status = CB_ST_PENDING;
	CB_CHECK(cb_ticket_assign_effect(&t, 7, &to) == 0);
	cb_ticket_clear(&t);
}

CB_TEST(decide_status_closing_solves_first)
{
	cb_ticket t;
	cb_ticket_init(&t);
	cb_status steps[2];
	int n = -1;
	cb_err err = {0};
	t.status = CB_ST_OPEN;
	CB_REQUIRE(cb_ticket_decide_status(&t, CB_ST_CLOSED, steps, &n, &err) == 0);
	CB_CHECK_INT(n, 2);
	CB_CHECK(steps[0] == CB_ST_SOLVED && steps[1] == CB_ST_CLOSED);
	t.status = CB_ST_SOLVED;
	CB_REQUIRE(cb_ticket_decide_status(&t, CB_ST_CLOSED, steps, &n, &err) == 0);
	CB_CHECK(n == 1 && steps[0] == CB_ST_CLOSED);
	/* same status: nothing to do */
	CB_REQUIRE(cb_ticket_decide_status(&t, CB_ST_SOLVED, steps, &n, &err) == 0);
	CB_CHECK_INT(n, 0);
	/* back to new is refused */
	CB_CHECK(cb_ticket_decide_status(&t, CB_ST_NEW, steps, &n, &err) == -1);
	CB_CHECK_INT(err.code, CB_E_INVALID);
	/* closed is terminal */
	cb_err_clear(&err);
	t.status = CB_ST_CLOSED;
	CB_CHECK(cb_ticket_decide_status(&t, CB_ST_OPEN, steps, &n, &err) == -1);
	CB_CHECK_INT(err.code, CB_E_CONFLICT);
	cb_ticket_clear(&t);
}

CB_TEST(reopen_is_any_move_out_of_solved_but_closed)
{
	CB_CHECK(cb_ticket_is_reopen(CB_ST_SOLVED, CB_ST_OPEN));
	CB_CHECK(cb_ticket_is_reopen(CB_ST_SOLVED, CB_ST_PENDING));
	CB_CHECK(cb_ticket_is_reopen(CB_ST_SOLVED, CB_ST_ON_HOLD));
	CB_CHECK(!cb_ticket_is_reopen(CB_ST_SOLVED, CB_ST_CLOSED));
	CB_CHECK(!cb_ticket_is_reopen(CB_ST_PENDING, CB_ST_OPEN));
}

CB_TEST(fold_builds_the_ticket_from_its_events)
{
	cb_ticket t;
	cb_ticket_init(&t);
	apply(&t, CB_EV_CREATED, 1000,
	      json_pack("{s:s, s:s, s:s, s:I, s:I, s:[s], s:{s:s}}", "subject", "SSO loop",
			"description", "d", "priority", "P3", "account", (json_int_t)3, "requester",
			(json_int_t)9, "tags", "saml", "environment", "version", "1.2"));
	CB_CHECK_INT(t.status, CB_ST_NEW);
	CB_CHECK_INT(t.priority, 3);
	CB_CHECK_INT(t.account_id, 3);
	CB_CHECK_INT(t.requester_id, 9);
	CB_CHECK_INT(t.created_at, 1000);
	CB_CHECK_STR(json_string_value(json_object_get(t.doc, "subject")), "SSO loop");
	apply(&t, CB_EV_COMMENT, 2000, json_pack("{s:s, s:b, s:s}", "body", "hi", "public", 1, "side", "agent"));
	status(&t, "open", 2000);
	apply(&t, CB_EV_PRIORITY, 3000, json_pack("{s:s, s:s}", "from", "P3", "to", "P1"));
	apply(&t, CB_EV_ASSIGN, 3500, json_pack("{s:I, s:I}", "assignee", (json_int_t)5, "group", (json_int_t)2));
	apply(&t, CB_EV_ASSIGN, 3600, json_pack("{s:n}", "assignee")); /* group kept */
	status(&t, "solved", 4000);
	CB_CHECK_INT(t.solved_at, 4000);
	status(&t, "open", 5000); /* reopen */
	CB_CHECK_INT(t.reopen_count, 1);
	CB_CHECK_INT(t.solved_at, 0);
	status(&t, "solved", 6000);
	status(&t, "closed", 7000);
	apply(&t, CB_EV_TAGS, 7000, json_pack("{s:[s,s]}", "tags", "a", "b"));
	CB_CHECK_INT(t.status, CB_ST_CLOSED);
	CB_CHECK_INT(t.priority, 1);
	CB_CHECK_INT(t.assignee_id, 0);
	CB_CHECK_INT(t.group_id, 2);
	CB_CHECK_INT(t.solved_at, 6000);
	CB_CHECK_INT(t.closed_at, 7000);
	CB_CHECK_INT(t.updated_at, 7000);
	CB_CHECK_INT(t.nevents, 11);
	CB_CHECK_INT(json_array_size(json_object_get(t.doc, "tags")), 2);
	cb_ticket_clear(&t);
}

CB_TEST(fold_is_deterministic)
{
	/* folding the same events twice gives the same state */
	cb_ticket a, b;
	cb_ticket_init(&a);
	cb_ticket_init(&b);
	for (int pass = 0; pass < 2; pass++) {
		cb_ticket *t = pass ? &b : &a;
		apply(t, CB_EV_CREATED, 10, json_pack("{s:s, s:s, s:I}", "subject", "x", "priority", "P2", "requester", (json_int_t)1));
		status(t, "pending", 20);
		status(t, "open", 30);
		apply(t, CB_EV_CATEGORY, 40, json_pack("{s:n, s:s}", "from", "to", "billing"));
	}
	CB_CHECK_INT(a.status, b.status);
	CB_CHECK_INT(a.updated_at, b.updated_at);
	CB_CHECK(json_equal(a.doc, b.doc));
	CB_CHECK_STR(json_string_value(json_object_get(a.doc, "category")), "billing");
	cb_ticket_clear(&a);
	cb_ticket_clear(&b);
}
