/* kpi.c - the KPI fold of src/core/kpi.c and its statistics, checked
 * by hand against docs/metrics.md section 5 (24x7 calendar: business time =
 * calendar time). */
#include "harness.h"
#include "core/kpi.h"
#include "util/alloc.h"

#define MIN 60000LL
#define DAY 86400000LL
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

/* one policy: P2 -> 60 / 240 / 960 minutes */
static cb_sla_policy pol;
static cb_sla_config cfg;

static void setup(void)
{
	cb_sla_calendar c = {NULL, bt247, due247};
	pol = (cb_sla_policy){.id = 1, .name = "p2", .priorities = 1u << 2,
			      .target_ms = {60 * MIN, 240 * MIN, 960 * MIN}, .calendar = c};
	cfg = (cb_sla_config){.policies = &pol, .npolicies = 1};
}

/* folds both, as app/sla/sla.c does */
static void ev(cb_sla *s, cb_kpi *k, cb_evtype type, cb_ms at, json_t *data)
{
	cb_event e = {.type = type, .at = at, .actor_id = 1, .data = data};
	cb_sla_apply(s, &e);
	cb_kpi_apply(k, &s->t, &e);
	json_decref(data);
}

static void status(cb_sla *s, cb_kpi *k, const char *to, cb_ms at)
{
	ev(s, k, CB_EV_STATUS, at, json_pack("{s:s, s:s}", "from", cb_status_name(s->t.status), "to", to));
}

static void reply(cb_sla *s, cb_kpi *k, cb_ms at, const char *side)
{
	ev(s, k, CB_EV_COMMENT, at, json_pack("{s:s, s:b, s:s}", "body", "b", "public", 1, "side", side));
}

static const cb_kpi_fact *find(const cb_kpi_fact *f, int n, cb_kpi_kind kind, int nth)
{
	for (int i = 0; i < n; i++)
		if (f[i].kind == kind && nth-- == 0)
			return &f[i];
	return NULL;
}

CB_TEST(kpi_fold_keys_right_after_each_event)
{
	setup();
	cb_sla s;
	cb_kpi k;
	cb_sla_init(&s, &cfg);
	cb_kpi_init(&k);
	ev(&s, &k, CB_EV_CREATED, T0, json_pack("{s:s, s:s, s:s, s:I}", "subject", "x", "priority", "P3",
						"category", "sso", "requester", (json_int_t)9));
	reply(&s, &k, T0 + 10 * MIN, "agent");            /* first reply, as P3 (no clock) */
	status(&s, &k, "open", T0 + 10 * MIN);
	ev(&s, &k, CB_EV_PRIORITY, T0 + 20 * MIN, json_pack("{s:s, s:s}", "from", "P3", "to", "P2"));
	status(&s, &k, "pending", T0 + 30 * MIN);
	reply(&s, &k, T0 + 40 * MIN, "requester");
	status(&s, &k, "open", T0 + 40 * MIN);
	status(&s, &k, "solved", T0 + 60 * MIN);           /* first solve */
	reply(&s, &k, T0 + 70 * MIN, "requester");
	status(&s, &k, "open", T0 + 70 * MIN);             /* reopen */
	ev(&s, &k, CB_EV_ESCALATION, T0 + 80 * MIN, json_pack("{s:I}", "group", (json_int_t)3));
	ev(&s, &k, CB_EV_ESCALATION_ACK, T0 + 85 * MIN, json_object());
	ev(&s, &k, CB_EV_ESCALATION_ACCEPTED, T0 + 95 * MIN, json_object());
	status(&s, &k, "solved", T0 + 100 * MIN);          /* final solve */
	ev(&s, &k, CB_EV_CSAT, T0 + 110 * MIN, json_pack("{s:i}", "score", 4));
	ev(&s, &k, CB_EV_CSAT, T0 + 120 * MIN, json_pack("{s:i}", "score", 2));
	/* an SLA timeline event dated in the past changes nothing */
	ev(&s, &k, CB_EV_SLA, T0 + 1 * MIN, json_pack("{s:s}", "kind", "breached"));
	const cb_kpi_fact *f;
	int n = cb_kpi_finish(&k, &s, &f);
	/* CREATED, FRT, SOLVE_FIRST, SOLVE_FINAL, REOPEN, ESCALATION,
	 * ESC_DECISION, CSAT, SLA_RES, 3 backlog segments */
	CB_CHECK_INT(n, 12);
	const cb_kpi_fact *x = find(f, n, CB_KPI_CREATED, 0);
	CB_REQUIRE(x);
	CB_CHECK_INT(x->at, T0);
	CB_CHECK_INT(x->keys.priority, 3);
	CB_CHECK_STR(x->keys.category, "sso");
	CB_CHECK_INT(x->flag, 1); /* escalated, as of the last event */
	x = find(f, n, CB_KPI_FRT, 0);
	CB_REQUIRE(x);
	CB_CHECK_INT(x->v1, 10 * MIN);
	CB_CHECK_INT(x->v2, -1); /* no first_response target when replied */
	CB_CHECK_INT(x->keys.priority, 3);
	x = find(f, n, CB_KPI_SOLVE_FIRST, 0);
	CB_REQUIRE(x);
	CB_CHECK_INT(x->at, T0 + 60 * MIN);
	CB_CHECK_INT(x->flag, 1); /* reopened since */
	CB_CHECK_INT(x->keys.priority, 2);
	x = find(f, n, CB_KPI_SOLVE_FINAL, 0);
	CB_REQUIRE(x);
	CB_CHECK_INT(x->at, T0 + 100 * MIN);
	CB_CHECK_INT(x->v1, 100 * MIN);
	/* resolution: 20 min without a target (measured from creation when P2
	 * applied), 10 more to the pause, 20 from the resume to the first solve,
	 * 30 from the reopen to the final solve */
	CB_CHECK_INT(x->v2, 80 * MIN);
	CB_CHECK_INT(x->flag, 0); /* reopened, escalated: not first contact */
	x = find(f, n, CB_KPI_REOPEN, 0);
	CB_REQUIRE(x);
	CB_CHECK_INT(x->at, T0 + 70 * MIN);
	x = find(f, n, CB_KPI_ESCALATION, 0);
	CB_REQUIRE(x);
	CB_CHECK_INT(x->v1, 5 * MIN);
	x = find(f, n, CB_KPI_ESC_DECISION, 0);
	CB_REQUIRE(x);
	CB_CHECK_INT(x->at, T0 + 95 * MIN);
	CB_CHECK_INT(x->flag, 1);
	x = find(f, n, CB_KPI_CSAT, 0);
	CB_REQUIRE(x);
	CB_CHECK_INT(x->v1, 2); /* the latest response */
	CB_CHECK_INT(x->at, T0 + 120 * MIN);
	CB_CHECK(!find(f, n, CB_KPI_SLA_FR, 0)); /* never had a target */
	CB_CHECK(!find(f, n, CB_KPI_SLA_NU, 0)); /* cancelled by the solve */
	x = find(f, n, CB_KPI_SLA_RES, 0);
	CB_REQUIRE(x);
	CB_CHECK_INT(x->at, T0 + 100 * MIN);
	CB_CHECK_INT(x->flag, CB_KPI_SLA_MET);
	/* backlog: cut by the priority change, closed by the solves */
	static const cb_ms seg[3][3] = {{T0, T0 + 20 * MIN, 3}, {T0 + 20 * MIN, T0 + 60 * MIN, 2},
					{T0 + 70 * MIN, T0 + 100 * MIN, 2}};
	for (int i = 0; i < 3; i++) {
		x = find(f, n, CB_KPI_BACKLOG, i);
		CB_REQUIRE(x);
		CB_CHECK_INT(x->at, seg[i][0]);
		CB_CHECK_INT(x->until, seg[i][1]);
		CB_CHECK_INT(x->keys.priority, seg[i][2]);
		CB_CHECK_INT(x->v1, T0);
	}
	cb_kpi_free(&k);
	cb_sla_free(&s);
}

CB_TEST(kpi_fold_running_clocks_breach_at_their_due_instant)
{
	setup();
	cb_sla s;
	cb_kpi k;
	cb_sla_init(&s, &cfg);
	cb_kpi_init(&k);
	ev(&s, &k, CB_EV_CREATED, T0, json_pack("{s:s, s:s, s:I}", "subject", "x", "priority", "P2",
						"requester", (json_int_t)9));
	reply(&s, &k, T0 + 90 * MIN, "agent"); /* FR breached at +60, fulfilled late */
	status(&s, &k, "open", T0 + 90 * MIN);
	const cb_kpi_fact *f;
	int n = cb_kpi_finish(&k, &s, &f);
	const cb_kpi_fact *x = find(f, n, CB_KPI_FRT, 0);
	CB_REQUIRE(x);
	CB_CHECK_INT(x->v2, 90 * MIN); /* breached, fulfilled by this reply: in business */
	x = find(f, n, CB_KPI_SLA_FR, 0);
	CB_REQUIRE(x);
	CB_CHECK_INT(x->flag, CB_KPI_SLA_BREACHED);
	CB_CHECK_INT(x->at, T0 + 60 * MIN);
	x = find(f, n, CB_KPI_SLA_NU, 0); /* running since the reply */
	CB_REQUIRE(x);
	CB_CHECK_INT(x->flag, CB_KPI_SLA_DUE);
	CB_CHECK_INT(x->at, T0 + 330 * MIN);
	x = find(f, n, CB_KPI_SLA_RES, 0);
	CB_REQUIRE(x);
	CB_CHECK_INT(x->flag, CB_KPI_SLA_DUE);
	CB_CHECK_INT(x->at, T0 + 960 * MIN);
	cb_ms risk;
	CB_CHECK_INT(cb_kpi_due(&s.res, &risk), T0 + 960 * MIN);
	CB_CHECK_INT(risk, T0 + 720 * MIN); /* 25% of 960 left */
	CB_CHECK(find(f, n, CB_KPI_BACKLOG, 0) && find(f, n, CB_KPI_BACKLOG, 0)->until == CB_KPI_OPEN_END);
	/* a due instant counts as a breach only once the report is after it */
	cb_kpi_acc a = {0};
	cb_kpi_acc_add(&a, x, T0 + DAY, T0 + 960 * MIN);
	CB_CHECK_INT(a.sla_breached[CB_CLOCK_RES], 0);
	cb_kpi_acc_add(&a, x, T0 + DAY, T0 + 960 * MIN + 1);
	CB_CHECK_INT(a.sla_breached[CB_CLOCK_RES], 1);
	cb_kpi_acc_free(&a);
	cb_kpi_free(&k);
	cb_sla_free(&s);
}

CB_TEST(kpi_percentiles_nearest_rank)
{
	static const int64_t four[] = {10, 20, 30, 40};
	CB_CHECK_INT(cb_kpi_percentile(four, 4, 50), 20); /* lower middle of an even n */
	CB_CHECK_INT(cb_kpi_percentile(four, 4, 90), 40); /* rank ceil(3.6) = 4 */
	CB_CHECK_INT(cb_kpi_percentile(four, 4, 95), 40);
	static const int64_t five[] = {1, 2, 3, 4, 5};
	CB_CHECK_INT(cb_kpi_percentile(five, 5, 50), 3); /* rank ceil(2.5) = 3 */
	CB_CHECK_INT(cb_kpi_percentile(five, 5, 90), 5);
	int64_t twenty[20];
	for (int i = 0; i < 20; i++)
		twenty[i] = i + 1;
	CB_CHECK_INT(cb_kpi_percentile(twenty, 20, 90), 18); /* rank 18 exactly */
	CB_CHECK_INT(cb_kpi_percentile(twenty, 20, 95), 19);
	CB_CHECK_INT(cb_kpi_percentile(twenty, 10, 90), 9);
	CB_CHECK_INT(cb_kpi_percentile(twenty, 1, 50), 1);
	CB_CHECK_INT(cb_kpi_percentile(twenty, 1, 95), 1);
}

CB_TEST(kpi_rounding_half_up_and_age_buckets)
{
	CB_CHECK_INT(cb_kpi_round(1, 3, 10000), 3333);
	CB_CHECK_INT(cb_kpi_round(2, 3, 10000), 6667);
	CB_CHECK_INT(cb_kpi_round(1, 8, 100), 13);    /* 0.125 -> 0.13 */
	CB_CHECK_INT(cb_kpi_round(1, 16, 1000), 63);  /* 0.0625 -> 0.063 */
	CB_CHECK_INT(cb_kpi_round(5, 2, 1), 3);       /* 2.5 -> 3 */
	CB_CHECK_INT(cb_kpi_round(0, 7, 100), 0);
	CB_CHECK_INT(cb_kpi_round(7, 7, 10000), 10000);
	CB_CHECK_INT(cb_kpi_age_bucket(DAY - 1), 0);
	CB_CHECK_INT(cb_kpi_age_bucket(DAY), 1);      /* lower bounds inclusive */
	CB_CHECK_INT(cb_kpi_age_bucket(3 * DAY), 2);
	CB_CHECK_INT(cb_kpi_age_bucket(7 * DAY - 1), 2);
	CB_CHECK_INT(cb_kpi_age_bucket(7 * DAY), 3);
	CB_CHECK_INT(cb_kpi_age_bucket(14 * DAY), 4);
}

CB_TEST(kpi_acc_json_layout_and_nulls)
{
	cb_kpi_acc a = {0};
	/* three first replies: 10 s, 20 s, 25.999 s (rounded down to 25) */
	int64_t v[] = {10000, 20000, 25999};
	for (int i = 0; i < 3; i++) {
		cb_kpi_fact f = {.kind = CB_KPI_FRT, .v1 = v[i], .v2 = i == 0 ? -1 : v[i]};
		cb_kpi_acc_add(&a, &f, 0, 0);
	}
	cb_kpi_fact c = {.kind = CB_KPI_CSAT, .v1 = 4};
	cb_kpi_acc_add(&a, &c, 0, 0);
	c.v1 = 3;
	cb_kpi_acc_add(&a, &c, 0, 0);
	c.v1 = 4;
	cb_kpi_acc_add(&a, &c, 0, 0);
	json_t *o = cb_kpi_acc_json(&a);
	json_t *frt = json_object_get(o, "frt");
	CB_CHECK_INT(json_integer_value(json_object_get(frt, "count")), 3);
	CB_CHECK_INT(json_integer_value(json_object_get(frt, "median_s")), 20);
	CB_CHECK_INT(json_integer_value(json_object_get(frt, "p90_s")), 25);
	/* (10 + 20 + 25) / 3 = 18.333 -> 18.33 */
	CB_CHECK(json_real_value(json_object_get(frt, "mean_s")) == 18.33);
	json_t *b = json_object_get(frt, "business");
	CB_CHECK_INT(json_integer_value(json_object_get(b, "count")), 2);
	CB_CHECK_INT(json_integer_value(json_object_get(b, "median_s")), 20); /* lower middle */
	CB_CHECK(json_real_value(json_object_get(b, "mean_s")) == 22.5);
	/* csat 4, 3, 4: mean 3.67, positive 2/3 = 0.6667 */
	json_t *cs = json_object_get(o, "csat");
	CB_CHECK(json_real_value(json_object_get(cs, "mean")) == 3.67);
	CB_CHECK(json_real_value(json_object_get(cs, "positive_rate")) == 0.6667);
	/* empty populations: counts 0, statistics null */
	json_t *t = json_object_get(o, "ttr");
	CB_CHECK_INT(json_integer_value(json_object_get(t, "count")), 0);
	CB_CHECK(json_is_null(json_object_get(t, "median_s")));
	CB_CHECK(json_is_null(json_object_get(t, "mean_s")));
	CB_CHECK(json_is_null(json_object_get(json_object_get(o, "fcr"), "rate")));
	CB_CHECK(json_is_null(json_object_get(json_object_get(o, "ces"), "mean")));
	json_t *res = json_object_get(json_object_get(o, "sla_attainment"), "resolution");
	CB_CHECK(json_is_null(json_object_get(res, "rate")));
	json_t *bp = json_object_get(json_object_get(o, "backlog_aging"), "by_priority");
	CB_CHECK_INT(json_object_size(bp), 4);
	CB_CHECK(json_object_get(bp, "P4") != NULL);
	json_decref(o);
	cb_kpi_acc_free(&a);
}

static int cmp64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return (a > b) - (a < b);
}

/* The report selects percentiles (quickselect) instead of sorting: the
 * same nearest-rank values as the sorted array, also with many duplicates
 * and for every n from 1 to 300. */
CB_TEST(kpi_selected_percentiles_equal_sorted_ones)
{
	uint64_t x = 88172645463325252ULL;
	for (int n = 1; n <= 300; n++) {
		for (int dup = 0; dup < 2; dup++) {
			cb_kpi_acc a = {0};
			int64_t *v = cb_xmalloc((size_t)n * sizeof *v);
			for (int i = 0; i < n; i++) {
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				v[i] = (int64_t)(x % (dup ? 7 : 1000000)) * 1000;
				cb_kpi_fact f = {.kind = CB_KPI_SOLVE_FINAL, .v1 = v[i], .v2 = -1};
				cb_kpi_acc_add(&a, &f, 0, 0);
			}
			qsort(v, (size_t)n, sizeof *v, cmp64);
			json_t *o = cb_kpi_acc_json(&a);
			json_t *t = json_object_get(o, "ttr");
			CB_CHECK_INT(json_integer_value(json_object_get(t, "median_s")),
				     cb_kpi_percentile(v, n, 50) / 1000);
			CB_CHECK_INT(json_integer_value(json_object_get(t, "p90_s")),
				     cb_kpi_percentile(v, n, 90) / 1000);
			CB_CHECK_INT(json_integer_value(json_object_get(t, "p95_s")),
				     cb_kpi_percentile(v, n, 95) / 1000);
			json_decref(o);
			cb_free(v);
			cb_kpi_acc_free(&a);
		}
	}
}

/* Summing facts into rollup counters and adding those equals adding every
 * fact (for facts before `now`: a due SLA instance then counts as breached). */
CB_TEST(kpi_rollup_counters_add_up_like_the_facts)
{
	cb_kpi_acc direct = {0}, rolled = {0};
	int64_t c[CB_KPI_R__COUNT] = {0};
	uint64_t x = 1234567ULL;
	static const cb_kpi_kind kinds[] = {CB_KPI_CREATED, CB_KPI_SOLVE_FIRST, CB_KPI_ESC_DECISION,
					    CB_KPI_CSAT, CB_KPI_CES, CB_KPI_SLA_FR, CB_KPI_SLA_NU,
					    CB_KPI_SLA_RES};
	for (int i = 0; i < 2000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		cb_kpi_fact f = {.kind = kinds[x % 8], .at = T0 + (int64_t)(x % 1000) * MIN,
				 .v1 = 1 + (int64_t)(x >> 20) % 7, .flag = (int)((x >> 8) % 3)};
		CB_CHECK(cb_kpi_rolled(f.kind));
		if (f.kind < CB_KPI_SLA_FR)
			f.flag &= 1;
		cb_kpi_acc_add(&direct, &f, 0, T0 + 2000 * MIN);
		cb_kpi_roll(&f, 1, c);
		if (i % 5 == 0) { /* an old fact taken back out, as a re-fold does */
			cb_kpi_roll(&f, -1, c);
			cb_kpi_roll(&f, 1, c);
		}
	}
	CB_CHECK_INT(c[CB_KPI_R_N], 2000);
	cb_kpi_acc_add_rolled(&rolled, c);
	json_t *a = cb_kpi_acc_json(&direct), *b = cb_kpi_acc_json(&rolled);
	CB_CHECK(json_equal(a, b));
	CB_CHECK(json_integer_value(json_object_get(json_object_get(a, "volume"), "created")) > 0);
	json_decref(a);
	json_decref(b);
	cb_kpi_acc_free(&direct);
	cb_kpi_acc_free(&rolled);
	CB_CHECK(!cb_kpi_rolled(CB_KPI_FRT) && !cb_kpi_rolled(CB_KPI_SOLVE_FINAL) &&
		 !cb_kpi_rolled(CB_KPI_ESCALATION) && !cb_kpi_rolled(CB_KPI_REOPEN) &&
		 !cb_kpi_rolled(CB_KPI_BACKLOG));
}

/* A report's total (app/report/report.c) takes the counts of every fact
 * with cb_kpi_acc_add_counts and the distributions from its groups with
 * cb_kpi_acc_add_values: the same KPIs as adding every fact to one
 * accumulator, each value once. */
CB_TEST(kpi_total_counts_each_fact_and_takes_values_from_parts)
{
	cb_kpi_fact fa[] = {
		{.kind = CB_KPI_CREATED, .at = T0, .flag = 1},
		{.kind = CB_KPI_FRT, .at = T0 + MIN, .v1 = 10000, .v2 = 8000},
		{.kind = CB_KPI_SOLVE_FINAL, .at = T0 + 2 * MIN, .v1 = 100000, .v2 = -1, .flag = 1},
		{.kind = CB_KPI_ESCALATION, .at = T0 + MIN, .v1 = 40000},
	};
	cb_kpi_fact fb[] = {
		{.kind = CB_KPI_CREATED, .at = T0},
		{.kind = CB_KPI_FRT, .at = T0 + MIN, .v1 = 30000, .v2 = 30000},
		{.kind = CB_KPI_FRT, .at = T0 + 3 * MIN, .v1 = 50999, .v2 = -1},
		{.kind = CB_KPI_SOLVE_FINAL, .at = T0 + 9 * MIN, .v1 = 300000, .v2 = 200000},
		{.kind = CB_KPI_ESCALATION, .at = T0 + MIN, .v1 = -1}, /* never engaged */
	};
	int na = (int)(sizeof fa / sizeof fa[0]), nb = (int)(sizeof fb / sizeof fb[0]);
	cb_ms to = T0 + DAY, now = T0 + DAY;
	cb_kpi_acc a = {0}, b = {0}, total = {0}, direct = {0};
	for (int i = 0; i < na; i++) {
		cb_kpi_acc_add(&a, &fa[i], to, now);
		cb_kpi_acc_add_counts(&total, &fa[i], to, now);
		cb_kpi_acc_add(&direct, &fa[i], to, now);
	}
	for (int i = 0; i < nb; i++) {
		cb_kpi_acc_add(&b, &fb[i], to, now);
		cb_kpi_acc_add_counts(&total, &fb[i], to, now);
		cb_kpi_acc_add(&direct, &fb[i], to, now);
	}
	/* counts alone carry no distribution values */
	CB_CHECK_INT(total.frt.n, 0);
	CB_CHECK_INT(total.ttr.n, 0);
	CB_CHECK_INT(total.mtte.n, 0);
	CB_CHECK_INT(total.created, 2);
	CB_CHECK_INT(total.solved, 2);
	cb_kpi_acc *parts[] = {&a, &b};
	cb_kpi_acc_add_values(&total, parts, 2);

	json_t *o = cb_kpi_acc_json(&total);
	/* frt 10, 30, 50 s: median the 2nd, mean 30 */
	json_t *frt = json_object_get(o, "frt");
	CB_CHECK_INT(json_integer_value(json_object_get(frt, "count")), 3);
	CB_CHECK_INT(json_integer_value(json_object_get(frt, "median_s")), 30);
	CB_CHECK_INT(json_integer_value(json_object_get(frt, "p90_s")), 50);
	CB_CHECK(json_real_value(json_object_get(frt, "mean_s")) == 30.0);
	/* business: 8 and 30 s (the third has none) */
	json_t *fb_ = json_object_get(frt, "business");
	CB_CHECK_INT(json_integer_value(json_object_get(fb_, "count")), 2);
	CB_CHECK_INT(json_integer_value(json_object_get(fb_, "median_s")), 8);
	CB_CHECK(json_real_value(json_object_get(fb_, "mean_s")) == 19.0);
	/* ttr 100 and 300 s, business 200 s only */
	json_t *ttr = json_object_get(o, "ttr");
	CB_CHECK_INT(json_integer_value(json_object_get(ttr, "count")), 2);
	CB_CHECK(json_real_value(json_object_get(ttr, "mean_s")) == 200.0);
	CB_CHECK_INT(json_integer_value(json_object_get(json_object_get(ttr, "business"), "count")), 1);
	/* mtte: the engaged escalation only */
	json_t *mtte = json_object_get(o, "mtte");
	CB_CHECK_INT(json_integer_value(json_object_get(mtte, "count")), 1);
	CB_CHECK_INT(json_integer_value(json_object_get(mtte, "median_s")), 40);
	/* counts: fcr 1 of 2, escalated 1 of 2 created */
	json_t *fcr = json_object_get(o, "fcr");
	CB_CHECK_INT(json_integer_value(json_object_get(fcr, "count")), 2);
	CB_CHECK_INT(json_integer_value(json_object_get(fcr, "first_contact")), 1);
	json_t *esc = json_object_get(o, "escalation_rate");
	CB_CHECK_INT(json_integer_value(json_object_get(esc, "count")), 2);
	CB_CHECK_INT(json_integer_value(json_object_get(esc, "escalated")), 1);
	/* and all of it as one accumulator of every fact reports */
	json_t *d = cb_kpi_acc_json(&direct);
	CB_CHECK(json_equal(o, d));
	json_decref(d);
	json_decref(o);
	cb_kpi_acc_free(&a);
	cb_kpi_acc_free(&b);
	cb_kpi_acc_free(&total);
	cb_kpi_acc_free(&direct);
}
