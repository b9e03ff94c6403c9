/* core_sla.c - SLA clocks of src/core/sla.c on a 24x7 calendar (calendar
 * time = business time), checked against docs/metrics.md section 4 by hand. */
#include "harness.h"
#include "core/sla.h"
#include "util/alloc.h"

#define MIN 60000LL
#define T0 1772832600000LL /* 2026-03-06T21:30:00Z */

static int64_t bt247(const void *cal, cb_ms a, cb_ms b)
{
	(void)cal;
	return b - a;
}

static cb_ms due247(const void *cal, cb_ms start, int64_t ms)
{
	(void)cal;
	return start + ms;
}

static unsigned tier_any(void *ctx, int64_t account)
{
	(void)ctx;
	return account == 7 ? CB_TIER_ENTERPRISE : CB_TIER_STANDARD;
}

/* P1: 30/60/240; P2 (and enterprise): 60/240/960; group 5: resolution only. */
static cb_sla_policy pols[3];
static const int64_t group5[] = {5};
static cb_sla_config cfg;

static void setup(void)
{
	memset(pols, 0, sizeof pols);
	cb_sla_calendar c = {NULL, bt247, due247};
	pols[0] = (cb_sla_policy){.id = 1, .name = "p1", .priorities = 1u << 1,
				  .target_ms = {30 * MIN, 60 * MIN, 240 * MIN}, .calendar = c};
	pols[1] = (cb_sla_policy){.id = 2, .name = "group5", .groups = group5, .ngroups = 1,
				  .target_ms = {-1, -1, 100 * MIN}, .calendar = c};
	pols[2] = (cb_sla_policy){.id = 3, .name = "p2", .priorities = 1u << 2,
				  .target_ms = {60 * MIN, 240 * MIN, 960 * MIN}, .calendar = c};
	cfg = (cb_sla_config){.policies = pols, .npolicies = 3, .tier_of = tier_any};
}

static void ev(cb_sla *s, cb_evtype type, cb_ms at, json_t *data)
{
	cb_event e = {.type = type, .at = at, .actor_id = 1, .data = data};
	cb_sla_apply(s, &e);
	json_decref(data);
}

static void created(cb_sla *s, const char *prio, cb_ms at)
{
	ev(s, CB_EV_CREATED, at, json_pack("{s:s, s:s, s:I}", "subject", "x", "priority", prio,
					   "requester", (json_int_t)9));
}

static void reply(cb_sla *s, cb_ms at, const char *side)
{
	ev(s, CB_EV_COMMENT, at, json_pack("{s:s, s:b, s:s}", "body", "b", "public", 1, "side", side));
}

static void status(cb_sla *s, const char *to, cb_ms at)
{
	ev(s, CB_EV_STATUS, at, json_pack("{s:s, s:s}", "from", cb_status_name(s->t.status), "to", to));
}

CB_TEST(sla_first_response_met_breached_and_exactly_at_due)
{
	setup();
	cb_sla_view v[3];
	for (int k = 0; k < 3; k++) {
		cb_ms at = T0 + (k == 0 ? 40 : k == 1 ? 60 : 61) * MIN;
		cb_sla s;
		cb_sla_init(&s, &cfg);
		created(&s, "P2", T0);
		reply(&s, at, "agent");
		cb_sla_view_at(&s, at + 5 * MIN, v);
		CB_CHECK(v[CB_CLOCK_FR].present);
		CB_CHECK_INT(v[CB_CLOCK_FR].target_ms, 60 * MIN);
		CB_CHECK_INT(v[CB_CLOCK_FR].elapsed_ms, at - T0);
		CB_CHECK_INT(v[CB_CLOCK_FR].due_at, 0);
		if (k < 2) {
			CB_CHECK_INT(v[CB_CLOCK_FR].state, CB_SLA_MET);
			CB_CHECK_INT(v[CB_CLOCK_FR].breached_at, 0);
		} else {
			CB_CHECK_INT(v[CB_CLOCK_FR].state, CB_SLA_BREACHED);
			CB_CHECK_INT(v[CB_CLOCK_FR].breached_at, T0 + 60 * MIN);
		}
		/* the reply started next_update, running against 240 min */
		CB_CHECK_INT(v[CB_CLOCK_NU].state, CB_SLA_RUNNING);
		CB_CHECK_INT(v[CB_CLOCK_NU].elapsed_ms, 5 * MIN);
		CB_CHECK_INT(v[CB_CLOCK_NU].due_at, at + 240 * MIN);
		cb_sla_free(&s);
	}
}

CB_TEST(sla_running_clock_breaches_when_viewed_after_due)
{
	setup();
	cb_sla s;
	cb_sla_init(&s, &cfg);
	created(&s, "P2", T0);
	cb_sla_view v[3];
	cb_sla_view_at(&s, T0 + 45 * MIN, v);
	CB_CHECK_INT(v[CB_CLOCK_FR].state, CB_SLA_RUNNING);
	CB_CHECK_INT(v[CB_CLOCK_FR].due_at, T0 + 60 * MIN);
	CB_CHECK(v[CB_CLOCK_FR].at_risk); /* 15 of 60 left: 25%, inclusive */
	CB_CHECK_INT(v[CB_CLOCK_FR].at_risk_at, T0 + 45 * MIN);
	cb_sla_view_at(&s, T0 + 44 * MIN, v);
	CB_CHECK(!v[CB_CLOCK_FR].at_risk);
	cb_sla_view_at(&s, T0 + 60 * MIN, v);
	CB_CHECK_INT(v[CB_CLOCK_FR].state, CB_SLA_RUNNING); /* at d exactly: not yet */
	cb_sla_view_at(&s, T0 + 90 * MIN, v);
	CB_CHECK_INT(v[CB_CLOCK_FR].state, CB_SLA_BREACHED);
	CB_CHECK_INT(v[CB_CLOCK_FR].breached_at, T0 + 60 * MIN);
	CB_CHECK_INT(v[CB_CLOCK_FR].elapsed_ms, 90 * MIN); /* keeps accruing */
	CB_CHECK(!v[CB_CLOCK_FR].at_risk);
	CB_CHECK_INT(v[CB_CLOCK_FR].due_at, 0);
	/* viewing does not change the state */
	cb_sla_view_at(&s, T0 + 10 * MIN, v);
	CB_CHECK_INT(v[CB_CLOCK_FR].state, CB_SLA_RUNNING);
	cb_sla_free(&s);
}

CB_TEST(sla_next_update_pauses_while_pending)
{
	setup();
	cb_sla s;
	cb_sla_init(&s, &cfg);
	created(&s, "P2", T0);
	reply(&s, T0 + 10 * MIN, "agent");
	status(&s, "open", T0 + 10 * MIN);
	status(&s, "pending", T0 + 20 * MIN);
	cb_sla_view v[3];
	cb_sla_view_at(&s, T0 + 500 * MIN, v);
	CB_CHECK_INT(v[CB_CLOCK_NU].state, CB_SLA_PAUSED);
	CB_CHECK_INT(v[CB_CLOCK_NU].elapsed_ms, 10 * MIN);
	CB_CHECK_INT(v[CB_CLOCK_NU].due_at, 0);
	CB_CHECK_INT(v[CB_CLOCK_RES].state, CB_SLA_PAUSED);
	CB_CHECK_INT(v[CB_CLOCK_RES].elapsed_ms, 20 * MIN);
	reply(&s, T0 + 600 * MIN, "requester");
	status(&s, "open", T0 + 600 * MIN);
	reply(&s, T0 + 650 * MIN, "agent");
	cb_sla_view_at(&s, T0 + 650 * MIN, v);
	/* the first instance was met with 10 + 50 min; a second one started */
	int n;
	const cb_sla_instance *nu = cb_sla_instances(&s, CB_CLOCK_NU, &n);
	CB_REQUIRE(n == 2);
	CB_CHECK_INT(nu[0].elapsed_ms, 60 * MIN);
	CB_CHECK(nu[0].ended && !nu[0].breached);
	CB_CHECK_INT(nu[0].settled_at, T0 + 650 * MIN);
	CB_CHECK_INT(v[CB_CLOCK_NU].instance, 2);
	CB_CHECK_INT(v[CB_CLOCK_NU].state, CB_SLA_RUNNING);
	CB_CHECK_INT(v[CB_CLOCK_RES].elapsed_ms, 20 * MIN + 50 * MIN);
	cb_sla_free(&s);
}

CB_TEST(sla_paused_exactly_at_due_breaches_at_resume)
{
	setup();
	cb_sla s;
	cb_sla_init(&s, &cfg);
	created(&s, "P1", T0);
	reply(&s, T0, "agent");
	status(&s, "open", T0);
	status(&s, "pending", T0 + 60 * MIN); /* next_update due exactly now */
	cb_sla_view v[3];
	cb_sla_view_at(&s, T0 + 100 * MIN, v);
	CB_CHECK_INT(v[CB_CLOCK_NU].state, CB_SLA_PAUSED);
	reply(&s, T0 + 200 * MIN, "requester");
	status(&s, "open", T0 + 200 * MIN);
	cb_sla_view_at(&s, T0 + 200 * MIN, v);
	CB_CHECK_INT(v[CB_CLOCK_NU].state, CB_SLA_RUNNING);
	CB_CHECK_INT(v[CB_CLOCK_NU].due_at, T0 + 200 * MIN);
	cb_sla_view_at(&s, T0 + 201 * MIN, v);
	CB_CHECK_INT(v[CB_CLOCK_NU].state, CB_SLA_BREACHED);
	CB_CHECK_INT(v[CB_CLOCK_NU].breached_at, T0 + 200 * MIN);
	cb_sla_free(&s);
}

CB_TEST(sla_solve_before_first_response_cancels_or_keeps_breach)
{
	setup();
	cb_sla_view v[3];
	cb_sla s;
	cb_sla_init(&s, &cfg);
	created(&s, "P2", T0);
	status(&s, "solved", T0 + 30 * MIN);
	cb_sla_view_at(&s, T0 + 99 * MIN, v);
	CB_CHECK_INT(v[CB_CLOCK_FR].state, CB_SLA_CANCELLED);
	CB_CHECK_INT(v[CB_CLOCK_FR].elapsed_ms, 30 * MIN);
	CB_CHECK_INT(v[CB_CLOCK_RES].state, CB_SLA_MET);
	CB_CHECK(!v[CB_CLOCK_NU].present); /* no agent reply, no instance */
	/* a reply after a reopen does not fulfil first_response */
	reply(&s, T0 + 100 * MIN, "requester");
	status(&s, "open", T0 + 100 * MIN);
	reply(&s, T0 + 110 * MIN, "agent");
	cb_sla_view_at(&s, T0 + 120 * MIN, v);
	CB_CHECK_INT(v[CB_CLOCK_FR].state, CB_SLA_CANCELLED);
	cb_sla_free(&s);

	cb_sla_init(&s, &cfg);
	created(&s, "P2", T0);
	status(&s, "solved", T0 + 90 * MIN); /* after the 60 min due */
	cb_sla_view_at(&s, T0 + 500 * MIN, v);
	CB_CHECK_INT(v[CB_CLOCK_FR].state, CB_SLA_BREACHED);
	CB_CHECK_INT(v[CB_CLOCK_FR].breached_at, T0 + 60 * MIN);
	CB_CHECK_INT(v[CB_CLOCK_FR].elapsed_ms, 90 * MIN); /* frozen at the solve */
	cb_sla_free(&s);
}

CB_TEST(sla_reopen_resumes_resolution_with_its_elapsed_time)
{
	setup();
	cb_sla s;
	cb_sla_init(&s, &cfg);
	created(&s, "P2", T0);
	reply(&s, T0 + 10 * MIN, "agent");
	status(&s, "open", T0 + 10 * MIN);
	status(&s, "solved", T0 + 100 * MIN);
	cb_sla_view v[3];
	cb_sla_view_at(&s, T0 + 200 * MIN, v);
	CB_CHECK_INT(v[CB_CLOCK_RES].state, CB_SLA_MET);
	CB_CHECK_INT(v[CB_CLOCK_RES].elapsed_ms, 100 * MIN);
	CB_CHECK_INT(v[CB_CLOCK_NU].state, CB_SLA_CANCELLED); /* solve cancels it */
	reply(&s, T0 + 300 * MIN, "requester");
	status(&s, "open", T0 + 300 * MIN); /* reopen */
	cb_sla_view_at(&s, T0 + 400 * MIN, v);
	CB_CHECK_INT(v[CB_CLOCK_RES].state, CB_SLA_RUNNING);
	CB_CHECK_INT(v[CB_CLOCK_RES].elapsed_ms, 200 * MIN);
	CB_CHECK_INT(v[CB_CLOCK_RES].due_at, T0 + 400 * MIN + 760 * MIN);
	/* a reopen does not start a next_update instance */
	CB_CHECK_INT(v[CB_CLOCK_NU].instance, 1);
	status(&s, "solved", T0 + 1000 * MIN);
	cb_sla_view_at(&s, T0 + 2000 * MIN, v);
	CB_CHECK_INT(v[CB_CLOCK_RES].state, CB_SLA_MET);
	CB_CHECK_INT(v[CB_CLOCK_RES].elapsed_ms, 800 * MIN);
	cb_sla_free(&s);
}

CB_TEST(sla_priority_change_switches_policy_keeping_elapsed)
{
	setup();
	cb_sla s;
	cb_sla_init(&s, &cfg);
	created(&s, "P2", T0);
	/* 40 min in, P2 -> P1: first_response target 60 -> 30, already reached */
	ev(&s, CB_EV_PRIORITY, T0 + 40 * MIN, json_pack("{s:s, s:s}", "from", "P2", "to", "P1"));
	cb_sla_view v[3];
	cb_sla_view_at(&s, T0 + 41 * MIN, v);
	CB_CHECK_INT(v[CB_CLOCK_FR].state, CB_SLA_BREACHED);
	CB_CHECK_INT(v[CB_CLOCK_FR].breached_at, T0 + 40 * MIN);
	CB_CHECK_INT(v[CB_CLOCK_FR].target_ms, 30 * MIN);
	/* resolution keeps its 41 min against the new 240 */
	CB_CHECK_INT(v[CB_CLOCK_RES].state, CB_SLA_RUNNING);
	CB_CHECK_INT(v[CB_CLOCK_RES].elapsed_ms, 41 * MIN);
	CB_CHECK_INT(v[CB_CLOCK_RES].due_at, T0 + 240 * MIN);
	cb_sla_free(&s);
}

CB_TEST(sla_switch_to_policy_without_target_cancels_and_new_target_counts_from_start)
{
	setup();
	cb_sla s;
	cb_sla_init(&s, &cfg);
	created(&s, "P4", T0); /* no policy matches P4 */
	cb_sla_view v[3];
	cb_sla_view_at(&s, T0 + MIN, v);
	CB_CHECK(!v[CB_CLOCK_FR].present && !v[CB_CLOCK_RES].present);
	status(&s, "pending", T0 + 10 * MIN);
	reply(&s, T0 + 50 * MIN, "requester");
	status(&s, "open", T0 + 50 * MIN);
	/* group 5 gives resolution 100 min: counted from creation, pause excluded */
	ev(&s, CB_EV_ASSIGN, T0 + 60 * MIN, json_pack("{s:I}", "group", (json_int_t)5));
	cb_sla_view_at(&s, T0 + 60 * MIN, v);
	CB_CHECK(v[CB_CLOCK_RES].present);
	CB_CHECK_INT(v[CB_CLOCK_RES].elapsed_ms, 20 * MIN);
	CB_CHECK_INT(v[CB_CLOCK_RES].due_at, T0 + 140 * MIN);
	CB_CHECK(!v[CB_CLOCK_FR].present); /* group5 has no first_response target */
	/* P1 applies first (position order) and has targets for every clock */
	ev(&s, CB_EV_PRIORITY, T0 + 70 * MIN, json_pack("{s:s, s:s}", "from", "P4", "to", "P1"));
	cb_sla_view_at(&s, T0 + 70 * MIN, v);
	CB_CHECK_INT(v[CB_CLOCK_FR].state, CB_SLA_BREACHED); /* 70 >= 30 */
	CB_CHECK_INT(v[CB_CLOCK_FR].breached_at, T0 + 70 * MIN);
	CB_CHECK_INT(v[CB_CLOCK_RES].target_ms, 240 * MIN);
	/* back to P4 + group 5: first_response (breached) keeps going; none cancels it */
	ev(&s, CB_EV_PRIORITY, T0 + 80 * MIN, json_pack("{s:s, s:s}", "from", "P1", "to", "P4"));
	ev(&s, CB_EV_ASSIGN, T0 + 80 * MIN, json_pack("{s:n}", "group"));
	cb_sla_view_at(&s, T0 + 90 * MIN, v);
	CB_CHECK_INT(v[CB_CLOCK_FR].state, CB_SLA_BREACHED);
	CB_CHECK_INT(v[CB_CLOCK_RES].state, CB_SLA_CANCELLED);
	CB_CHECK_INT(v[CB_CLOCK_RES].elapsed_ms, 40 * MIN);
	cb_sla_free(&s);
}

CB_TEST(sla_history_lists_every_step)
{
	setup();
	cb_sla s;
	cb_sla_init(&s, &cfg);
	created(&s, "P2", T0);
	status(&s, "pending", T0 + 10 * MIN);
	status(&s, "open", T0 + 20 * MIN);
	cb_sla_hist *h = NULL;
	int n = cb_sla_history_at(&s, T0 + 200 * MIN, &h);
	/* fr start, res start, res pause, res resume, fr breach (viewed at now) */
	CB_REQUIRE(n == 5);
	CB_CHECK(h[0].clock == CB_CLOCK_FR && h[0].kind == CB_SLA_H_START && h[0].at == T0);
	CB_CHECK(h[2].clock == CB_CLOCK_RES && h[2].kind == CB_SLA_H_PAUSE && h[2].elapsed_ms == 10 * MIN);
	CB_CHECK(h[3].kind == CB_SLA_H_RESUME && h[3].at == T0 + 20 * MIN);
	CB_CHECK(h[4].clock == CB_CLOCK_FR && h[4].kind == CB_SLA_H_BREACH && h[4].at == T0 + 60 * MIN);
	cb_free(h);
	cb_sla_free(&s);
}
