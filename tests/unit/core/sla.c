/* sla.c - SLA clocks of src/core/sla.c on a 24x7 calendar (calendar
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

/* The names the API renders (docs/openapi.yaml: the SLA clock's state, its
 * history entries and a ticket's urgency), in enum order; out of range
 * falls back to the documented default. */
CB_TEST(sla_names_are_the_api_names)
{
	const char *clocks[] = {"first_response", "next_update", "resolution"};
	for (int c = 0; c < CB_CLOCK__COUNT; c++)
		CB_CHECK_STR(cb_sla_clock_name(c), clocks[c]);
	CB_CHECK_STR(cb_sla_clock_name(CB_CLOCK__COUNT), "?");
	const char *states[] = {"running", "paused", "met", "breached", "cancelled"};
	for (int s = CB_SLA_RUNNING; s <= CB_SLA_CANCELLED; s++)
		CB_CHECK_STR(cb_sla_state_name((cb_sla_state)s), states[s]);
	CB_CHECK_STR(cb_sla_state_name((cb_sla_state)(CB_SLA_CANCELLED + 1)), "running");
	const char *urg[] = {"breached", "due", "paused", "none"};
	for (int u = CB_URG_BREACHED; u <= CB_URG_NONE; u++)
		CB_CHECK_STR(cb_sla_urgency_name((cb_sla_urgency_kind)u), urg[u]);
	const char *hk[] = {"start", "pause", "resume", "fulfil", "breach", "cancel", "policy",
			    "reopen"};
	for (int k = CB_SLA_H_START; k <= CB_SLA_H_REOPEN; k++)
		CB_CHECK_STR(cb_sla_hkind_name((cb_sla_hkind)k), hk[k]);
	CB_CHECK_STR(cb_sla_hkind_name((cb_sla_hkind)(CB_SLA_H_REOPEN + 1)), "?");
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

/* ---- two calendars: a 24x7 P1 policy and business-hours policies ----
 * Issue 14 items 1 and 2 (docs/metrics.md section 4): calendar Mon-Fri
 * 09:00-17:00 (UTC); policies in order P1 24x7 (FR 30, NU 60, RES 480), P4
 * on the business calendar with a resolution target only, a catch-all on
 * the business calendar (FR 240, NU 480, RES 1440). */
#include "core/calendar.h"
#include "util/timeutil.h"
#include "util/tz.h"

static cb_cal *biz_cal;

static int64_t bt_biz(const void *cal, cb_ms a, cb_ms b)
{
	return cb_cal_business_time((cb_cal *)cal, a, b);
}

static cb_ms due_biz(const void *cal, cb_ms start, int64_t ms)
{
	return cb_cal_business_due((cb_cal *)cal, start, ms);
}

static cb_ms at_utc(const char *s)
{
	cb_ms t = 0;
	if (cb_time_parse(s, &t) != 0)
		cb_test_fail(__FILE__, __LINE__, s);
	return t;
}

static void setup_two_calendars(void)
{
	json_t *doc = json_loads("{\"name\": \"biz\", \"timezone\": \"UTC\", \"hours\": {"
				 "\"mon\": [[\"09:00\", \"17:00\"]], \"tue\": [[\"09:00\", \"17:00\"]],"
				 "\"wed\": [[\"09:00\", \"17:00\"]], \"thu\": [[\"09:00\", \"17:00\"]],"
				 "\"fri\": [[\"09:00\", \"17:00\"]]}}", 0, NULL);
	cb_err err = {0};
	cb_cal_free(biz_cal);
	biz_cal = NULL;
	if (cb_cal_from_json(&biz_cal, doc, cb_tz_load, NULL, &err) != 0)
		cb_test_fail(__FILE__, __LINE__, err.message);
	json_decref(doc);
	memset(pols, 0, sizeof pols);
	cb_sla_calendar c247 = {NULL, bt247, due247};
	cb_sla_calendar biz = {biz_cal, bt_biz, due_biz};
	pols[0] = (cb_sla_policy){.id = 11, .name = "p1-24x7", .priorities = 1u << 1,
				  .target_ms = {30 * MIN, 60 * MIN, 480 * MIN}, .calendar = c247};
	pols[1] = (cb_sla_policy){.id = 14, .name = "p4-biz", .priorities = 1u << 4,
				  .target_ms = {-1, -1, 2400 * MIN}, .calendar = biz};
	pols[2] = (cb_sla_policy){.id = 19, .name = "default-biz",
				  .target_ms = {240 * MIN, 480 * MIN, 1440 * MIN}, .calendar = biz};
	cfg = (cb_sla_config){.policies = pols, .npolicies = 3, .tier_of = tier_any};
}

static void assign(cb_sla *s, cb_ms at)
{
	ev(s, CB_EV_ASSIGN, at, json_pack("{s:I}", "assignee", (json_int_t)3));
}

static void priority(cb_sla *s, const char *from, const char *to, cb_ms at)
{
	ev(s, CB_EV_PRIORITY, at, json_pack("{s:s, s:s}", "from", from, "to", to));
}

/* Item 1: the latest next-update instance started under P4 (no next-update
 * target): next_update is absent, not the earlier cancelled instance. */
CB_TEST(sla_view_shows_latest_next_update_instance_only)
{
	setup_two_calendars();
	cb_sla s;
	cb_sla_init(&s, &cfg);
	created(&s, "P3", at_utc("2026-03-09T10:00:00Z")); /* a Monday */
	assign(&s, at_utc("2026-03-09T10:00:00Z"));
	reply(&s, at_utc("2026-03-09T10:30:00Z"), "agent");
	priority(&s, "P3", "P4", at_utc("2026-03-09T11:00:00Z"));
	reply(&s, at_utc("2026-03-09T12:00:00Z"), "agent");
	cb_sla_view v[3];
	cb_sla_view_at(&s, at_utc("2026-03-09T13:00:00Z"), v);
	CB_CHECK(!v[CB_CLOCK_NU].present);
	/* instance 1 was cancelled at 1,800 s and stays in the KPI instances */
	int n = 0;
	const cb_sla_instance *in = cb_sla_instances(&s, CB_CLOCK_NU, &n);
	CB_CHECK_INT(n, 2);
	CB_CHECK(in[0].cancelled);
	CB_CHECK_INT(in[0].elapsed_ms, 30 * MIN);
	CB_CHECK_INT(in[0].target_ms, 480 * MIN);
	CB_CHECK(!in[1].ever_target);
	/* a switch back to the catch-all gives instance 2 its target, measured
	 * from its normal start on the business calendar: then it is shown */
	priority(&s, "P4", "P3", at_utc("2026-03-09T14:00:00Z"));
	cb_sla_view_at(&s, at_utc("2026-03-09T15:00:00Z"), v);
	CB_CHECK(v[CB_CLOCK_NU].present);
	CB_CHECK_INT(v[CB_CLOCK_NU].instance, 2);
	CB_CHECK_INT(v[CB_CLOCK_NU].state, CB_SLA_RUNNING);
	CB_CHECK_INT(v[CB_CLOCK_NU].elapsed_ms, 180 * MIN);
	cb_sla_free(&s);
}

/* Item 2: a breached first response switched to P4 (no first-response
 * target) keeps its target and breached_at and accrues on P4's business
 * calendar from the switch on. */
CB_TEST(sla_breached_clock_switched_to_policy_without_target_moves_calendar)
{
	setup_two_calendars();
	cb_sla s;
	cb_sla_init(&s, &cfg);
	created(&s, "P1", at_utc("2026-03-09T08:00:00Z"));
	assign(&s, at_utc("2026-03-09T08:00:00Z"));
	priority(&s, "P1", "P4", at_utc("2026-03-09T09:00:00Z"));
	reply(&s, at_utc("2026-03-10T10:00:00Z"), "agent");
	cb_sla_view v[3];
	cb_sla_view_at(&s, at_utc("2026-03-10T11:00:00Z"), v);
	CB_CHECK(v[CB_CLOCK_FR].present);
	CB_CHECK_INT(v[CB_CLOCK_FR].state, CB_SLA_BREACHED);
	CB_CHECK_INT(v[CB_CLOCK_FR].target_ms, 30 * MIN);
	CB_CHECK_INT(v[CB_CLOCK_FR].breached_at, at_utc("2026-03-09T08:30:00Z"));
	/* 3,600 s on 24x7, then Monday 09-17 and Tuesday 09-10 on business hours */
	CB_CHECK_INT(v[CB_CLOCK_FR].elapsed_ms, 36000 * 1000LL);
	/* the switch is a policy step of the clock's history, with P4 in force */
	int found = 0;
	for (int i = 0; i < s.nhist; i++)
		if (s.hist[i].clock == CB_CLOCK_FR && s.hist[i].kind == CB_SLA_H_POLICY &&
		    s.hist[i].at == at_utc("2026-03-09T09:00:00Z")) {
			found = 1;
			CB_CHECK_INT(s.hist[i].policy_id, 14);
			CB_CHECK_INT(s.hist[i].target_ms, 30 * MIN);
			CB_CHECK_INT(s.hist[i].elapsed_ms, 3600 * 1000LL);
		}
	CB_CHECK(found);
	cb_sla_free(&s);
}

CB_TEST(sla_breached_next_update_switched_to_policy_without_target_moves_calendar)
{
	setup_two_calendars();
	cb_sla s;
	cb_sla_init(&s, &cfg);
	created(&s, "P1", at_utc("2026-03-09T08:00:00Z"));
	assign(&s, at_utc("2026-03-09T08:00:00Z"));
	reply(&s, at_utc("2026-03-09T08:10:00Z"), "agent");
	status(&s, "open", at_utc("2026-03-09T08:10:00Z"));
	priority(&s, "P1", "P4", at_utc("2026-03-09T10:10:00Z"));
	status(&s, "solved", at_utc("2026-03-10T12:00:00Z"));
	int n = 0;
	const cb_sla_instance *in = cb_sla_instances(&s, CB_CLOCK_NU, &n);
	CB_CHECK_INT(n, 1);
	CB_CHECK(in[0].breached);
	CB_CHECK(!in[0].cancelled);
	CB_CHECK_INT(in[0].breached_at, at_utc("2026-03-09T09:10:00Z"));
	CB_CHECK_INT(in[0].target_ms, 60 * MIN);
	CB_CHECK_INT(in[0].elapsed_ms, 42600 * 1000LL); /* 7,200 + 24,600 + 10,800 */
	cb_sla_view v[3];
	cb_sla_view_at(&s, at_utc("2026-03-11T12:00:00Z"), v);
	CB_CHECK_INT(v[CB_CLOCK_NU].state, CB_SLA_BREACHED);
	CB_CHECK_INT(v[CB_CLOCK_NU].elapsed_ms, 42600 * 1000LL); /* frozen at the solve */
	/* a switch back to P1 is not skipped: the clock takes P1's target and
	 * calendar again (here after a reopen, on the resolution clock too) */
	cb_sla_free(&s);

	cb_sla_init(&s, &cfg);
	created(&s, "P1", at_utc("2026-03-09T08:00:00Z"));
	priority(&s, "P1", "P4", at_utc("2026-03-09T09:00:00Z"));
	priority(&s, "P4", "P1", at_utc("2026-03-09T18:00:00Z"));
	cb_sla_view_at(&s, at_utc("2026-03-09T19:00:00Z"), v);
	/* 1 h on 24x7, 8 h of Monday's business hours on P4, 1 h on 24x7 */
	CB_CHECK_INT(v[CB_CLOCK_FR].elapsed_ms, 10 * 60 * MIN);
	CB_CHECK_INT(v[CB_CLOCK_FR].state, CB_SLA_BREACHED);
	cb_sla_free(&s);
	cb_cal_free(biz_cal);
	biz_cal = NULL;
}

/* Issue 14 item 3: one urgency per ticket. */
CB_TEST(sla_urgency_breached_first_longest_overdue_then_due_then_paused)
{
	cb_sla_view v[3];
	cb_sla_urgency u;
	memset(v, 0, sizeof v);
	cb_sla_urgency_of(v, &u);
	CB_CHECK_INT(u.kind, CB_URG_NONE);
	CB_CHECK_INT(u.clock, -1);
	/* a running resolution due soon does not hide a breached first response */
	v[CB_CLOCK_FR] = (cb_sla_view){.present = 1, .open = 1, .state = CB_SLA_BREACHED, .breached_at = T0};
	v[CB_CLOCK_RES] = (cb_sla_view){.present = 1, .open = 1, .state = CB_SLA_RUNNING, .due_at = T0 + MIN};
	cb_sla_urgency_of(v, &u);
	CB_CHECK_INT(u.kind, CB_URG_BREACHED);
	CB_CHECK_INT(u.clock, CB_CLOCK_FR);
	CB_CHECK_INT(u.at, T0);
	/* two breaches: the one that breached longest ago */
	v[CB_CLOCK_NU] = (cb_sla_view){.present = 1, .open = 1, .state = CB_SLA_BREACHED, .breached_at = T0 - MIN};
	cb_sla_urgency_of(v, &u);
	CB_CHECK_INT(u.clock, CB_CLOCK_NU);
	/* a settled breach (fulfilled late) is not urgent */
	v[CB_CLOCK_FR].open = 0;
	v[CB_CLOCK_NU].open = 0;
	cb_sla_urgency_of(v, &u);
	CB_CHECK_INT(u.kind, CB_URG_DUE);
	CB_CHECK_INT(u.clock, CB_CLOCK_RES);
	CB_CHECK_INT(u.at, T0 + MIN);
	/* running before paused, whatever the order of the clocks */
	v[CB_CLOCK_FR] = (cb_sla_view){.present = 1, .open = 1, .state = CB_SLA_PAUSED};
	cb_sla_urgency_of(v, &u);
	CB_CHECK_INT(u.clock, CB_CLOCK_RES);
	v[CB_CLOCK_RES].state = CB_SLA_PAUSED;
	v[CB_CLOCK_RES].due_at = 0;
	cb_sla_urgency_of(v, &u);
	CB_CHECK_INT(u.kind, CB_URG_PAUSED);
	CB_CHECK_INT(u.clock, CB_CLOCK_FR);
	/* a breached clock paused while pending stays a breach */
	v[CB_CLOCK_RES] = (cb_sla_view){.present = 1, .open = 1, .state = CB_SLA_BREACHED, .breached_at = T0 + 5 * MIN};
	cb_sla_urgency_of(v, &u);
	CB_CHECK_INT(u.kind, CB_URG_BREACHED);
	CB_CHECK_INT(u.clock, CB_CLOCK_RES);
}
