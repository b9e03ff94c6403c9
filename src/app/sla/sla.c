/* sla.c - SLA use cases (see sla.h).
 *
 * DESIGN
 * Configuration (policies in position order, their calendars) is read per
 * use; compiled calendars are cached process-wide by (id, updated_at), since
 * compiling years of open intervals is the only expensive part. A ticket's
 * clocks are always the fold of its whole event log (tens of events), so a
 * policy change, a reopen or an import all give the same answer as living
 * through the history. */
#include "app/sla/sla.h"
#include "app/sla/calendar_cache.h"
#include "app/ticket/eventlog.h"
#include "store/sql.h"
#include "util/alloc.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cb_slasvc_cfgset {
	cb_sla_policy *pol;
	int npol;
	json_t *keep;      /* owns the strings policies point into */
	cb_sla_config cfg;
	int refs;          /* holders; the cache holds one */
	cb_ms version[4];  /* configuration version it was loaded at */
	cb_cal_ref *cals;  /* calendars held for the policies */
	int ncals;
};

/* The tiers a fold read (fold_cache: a fold stays valid while they do). */
#define FOLD_MAX_ACCTS 4
typedef struct {
	int n, overflow;
	int64_t acct[FOLD_MAX_ACCTS];
	unsigned tier[FOLD_MAX_ACCTS];
} tiers_read;

/* Tiers a caller loaded already (a list page; sla.h) */
typedef cb_slasvc_tier_known tier_known_fn;

/* ctx of a fold in progress */
typedef struct {
	cb_conn *conn;
	tiers_read *seen;    /* or NULL */
	tier_known_fn known; /* or NULL */
	void *kctx;
} fold_ctx;

static unsigned account_tier(cb_conn *conn, int64_t account_id);
static unsigned tier_from_name(const char *s);

/* An account's tier from what the caller loaded, else from the database. */
static unsigned tier_lookup(cb_conn *conn, tier_known_fn known, void *kctx, int64_t account_id)
{
	const char *name = NULL;
	if (known && known(kctx, account_id, &name))
		return tier_from_name(name);
	return account_tier(conn, account_id);
}

static unsigned tier_of(void *ctx, int64_t account_id)
{
	fold_ctx *f = ctx;
	unsigned t = tier_lookup(f->conn, f->known, f->kctx, account_id);
	tiers_read *r = f->seen;
	if (r) {
		int i = 0;
		while (i < r->n && r->acct[i] != account_id)
			i++;
		if (i == r->n) {
			if (r->n == FOLD_MAX_ACCTS) {
				r->overflow = 1;
			} else {
				r->acct[r->n] = account_id;
				r->tier[r->n++] = t;
			}
		}
	}
	return t;
}

/* 0 for no account (NULL) */
static unsigned tier_from_name(const char *s)
{
	if (!s)
		return 0;
	return strcmp(s, "enterprise") == 0 ? CB_TIER_ENTERPRISE
	       : strcmp(s, "business") == 0 ? CB_TIER_BUSINESS : CB_TIER_STANDARD;
}

static unsigned account_tier(cb_conn *conn, int64_t account_id)
{
	cb_err e = {0};
	cb_q *q = cb_q_get(conn, CB_SQL_SLA_ACCOUNT_TIER, &e);
	if (!q)
		return 0;
	cb_q_bind_i64(q, 1, account_id);
	unsigned t = 0;
	if (cb_q_step(q, &e) == 1) {
		t = tier_from_name(cb_q_text(q, 0));
		cb_q_reset(q);
	}
	return t;
}

static unsigned prio_bits(json_t *v)
{
	unsigned bits = 0;
	json_t *one;
	size_t i;
	if (json_is_string(v)) {
		int p;
		if (cb_priority_parse(json_string_value(v), &p) == 0)
			bits |= 1u << p;
	}
	json_array_foreach(v, i, one) {
		int p;
		if (cb_priority_parse(json_string_value(one), &p) == 0)
			bits |= 1u << p;
	}
	return bits;
}

static unsigned tier_bit(const char *s)
{
	if (!s)
		return 0;
	return strcmp(s, "enterprise") == 0 ? CB_TIER_ENTERPRISE
	       : strcmp(s, "business") == 0 ? CB_TIER_BUSINESS
	       : strcmp(s, "standard") == 0 ? CB_TIER_STANDARD : 0;
}

static unsigned tier_bits(json_t *v)
{
	unsigned bits = tier_bit(json_string_value(v));
	json_t *one;
	size_t i;
	json_array_foreach(v, i, one)
		bits |= tier_bit(json_string_value(one));
	return bits;
}

static int load(cb_conn *c, cb_slasvc_cfgset **out, cb_err *err);

/* The configuration loaded last, shared by every thread while the version
 * (policies and calendars: latest change and count) stays the same. */
static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static cb_slasvc_cfgset *cached;

static void release(cb_slasvc_cfgset *cs);

static int config_version(cb_conn *c, cb_ms v[4], cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_SLA_CONFIG_VERSION, err);
	if (!q || cb_q_step(q, err) != 1)
		return -1;
	for (int i = 0; i < 4; i++)
		v[i] = cb_q_i64(q, i);
	cb_q_reset(q);
	return 0;
}

int cb_slasvc_cfgset_load(cb_conn *c, cb_slasvc_cfgset **out, cb_err *err)
{
	cb_ms v[4];
	if (config_version(c, v, err))
		return -1;
	pthread_mutex_lock(&cache_mu);
	if (cached && memcmp(cached->version, v, sizeof v) == 0) {
		cached->refs++;
		*out = cached;
		pthread_mutex_unlock(&cache_mu);
		return 0;
	}
	pthread_mutex_unlock(&cache_mu);
	cb_slasvc_cfgset *cs = NULL;
	if (load(c, &cs, err))
		return -1;
	memcpy(cs->version, v, sizeof v);
	cs->refs = 2; /* the caller and the cache */
	pthread_mutex_lock(&cache_mu);
	cb_slasvc_cfgset *old = cached;
	cached = cs;
	pthread_mutex_unlock(&cache_mu);
	if (old)
		cb_slasvc_cfgset_free(old); /* drops the cache's reference */
	*out = cs;
	return 0;
}

static void fold_cache_clear(void);
static atomic_ullong fold_hits, fold_misses; /* the fold cache (below) */

void cb_slasvc_metrics_render(cb_buf *b)
{
	cb_buf_printf(b,
		      "# HELP casebook_sla_fold_cache_hits_total Renders of `sla` served by a cached fold.\n"
		      "# TYPE casebook_sla_fold_cache_hits_total counter\n"
		      "casebook_sla_fold_cache_hits_total %llu\n"
		      "# HELP casebook_sla_fold_cache_misses_total Renders of `sla` that folded the event log.\n"
		      "# TYPE casebook_sla_fold_cache_misses_total counter\n"
		      "casebook_sla_fold_cache_misses_total %llu\n",
		      (unsigned long long)atomic_load(&fold_hits),
		      (unsigned long long)atomic_load(&fold_misses));
}

void cb_slasvc_cache_shutdown(void)
{
	fold_cache_clear();
	pthread_mutex_lock(&cache_mu);
	cb_slasvc_cfgset *old = cached;
	cached = NULL;
	pthread_mutex_unlock(&cache_mu);
	if (old)
		cb_slasvc_cfgset_free(old);
}

static int load(cb_conn *c, cb_slasvc_cfgset **out, cb_err *err)
{
	cb_slasvc_cfgset *cs = cb_xcalloc(1, sizeof *cs);
	cs->refs = 1;
	cs->keep = json_array();
	cb_q *q = cb_q_get(c, CB_SQL_SLA_POLICIES, err);
	if (!q)
		goto fail;
	int r, cap = 0;
	struct { int64_t id, cal; } *meta = NULL;
	while ((r = cb_q_step(q, err)) == 1) {
		if (cs->npol == cap) {
			cap = cap ? cap * 2 : 8;
			cs->pol = cb_xrealloc(cs->pol, (size_t)cap * sizeof *cs->pol);
			meta = cb_xrealloc(meta, (size_t)cap * sizeof *meta);
		}
		cb_sla_policy *p = &cs->pol[cs->npol];
		memset(p, 0, sizeof *p);
		p->id = cb_q_i64(q, 0);
		json_t *name = json_string(cb_q_text(q, 1));
		json_array_append_new(cs->keep, name);
		p->name = json_string_value(name);
		json_t *cond = json_loads(cb_q_text(q, 3), 0, NULL);
		json_t *targets = json_loads(cb_q_text(q, 5), 0, NULL);
		json_array_append_new(cs->keep, cond ? cond : json_object());
		json_array_append_new(cs->keep, targets ? targets : json_object());
		p->priorities = prio_bits(json_object_get(cond, "priority"));
		p->tiers = tier_bits(json_object_get(cond, "tier"));
		json_t *cat = json_object_get(cond, "category");
		if (cat) {
			size_t n = json_is_array(cat) ? json_array_size(cat) : 1;
			const char **cv = cb_xcalloc(n, sizeof *cv);
			for (size_t i = 0; i < n; i++)
				cv[i] = json_string_value(json_is_array(cat) ? json_array_get(cat, i) : cat);
			p->categories = cv;
			p->ncategories = (int)n;
		}
		json_t *grp = json_object_get(cond, "group");
		if (grp) {
			size_t n = json_is_array(grp) ? json_array_size(grp) : 1;
			int64_t *gv = cb_xcalloc(n, sizeof *gv);
			for (size_t i = 0; i < n; i++)
				gv[i] = (int64_t)json_integer_value(json_is_array(grp) ? json_array_get(grp, i) : grp);
			p->groups = gv;
			p->ngroups = (int)n;
		}
		static const char *const tk[] = {"first_response", "next_update", "resolution"};
		for (int k = 0; k < CB_CLOCK__COUNT; k++) {
			json_t *v = json_object_get(targets, tk[k]);
			p->target_ms[k] = json_is_integer(v) ? (int64_t)json_integer_value(v) * 60000 : -1;
		}
		meta[cs->npol].id = p->id;
		meta[cs->npol].cal = cb_q_isnull(q, 4) ? 0 : cb_q_i64(q, 4);
		cs->npol++;
	}
	if (r < 0) {
		cb_free(meta);
		goto fail;
	}
	cs->cals = cb_xcalloc((size_t)(cs->npol ? cs->npol : 1), sizeof *cs->cals);
	for (int i = 0; i < cs->npol; i++) {
		if (cb_calcache_get(c, meta[i].cal, &cs->cals[i], err)) {
			cb_free(meta);
			goto fail;
		}
		cs->ncals++;
		cs->pol[i].calendar = cb_calcache_adapter(&cs->cals[i]);
	}
	cb_free(meta);
	cs->cfg = (cb_sla_config){.policies = cs->pol, .npolicies = cs->npol, .tier_of = tier_of};
	*out = cs;
	return 0;
fail:
	release(cs);
	return -1;
}

void cb_slasvc_cfgset_free(cb_slasvc_cfgset *cs)
{
	if (!cs)
		return;
	pthread_mutex_lock(&cache_mu);
	int last = --cs->refs == 0;
	pthread_mutex_unlock(&cache_mu);
	if (last)
		release(cs);
}

static void release(cb_slasvc_cfgset *cs)
{
	for (int i = 0; i < cs->npol; i++) {
		cb_free((void *)cs->pol[i].categories);
		cb_free((void *)cs->pol[i].groups);
	}
	for (int i = 0; i < cs->ncals; i++)
		cb_calcache_release(&cs->cals[i]);
	cb_free(cs->cals);
	cb_free(cs->pol);
	json_decref(cs->keep);
	cb_free(cs);
}

/* A ticket's events as read for a fold (tier lookups use other
 * statements, so the rows are collected before folding). */
typedef struct {
	struct fold_row { cb_evtype type; cb_ms at; int64_t actor; json_t *data; } *v;
	int n, cap;
} fold_rows;

/* Appends the row of q whose columns from c0 are type, at, actor_id, data. */
static void rows_add(fold_rows *fr, cb_q *q, int c0)
{
	cb_evtype t;
	if (cb_evtype_parse(cb_q_text(q, c0), &t))
		return;
	if (fr->n == fr->cap) {
		fr->cap = fr->cap ? fr->cap * 2 : 32;
		fr->v = cb_xrealloc(fr->v, (size_t)fr->cap * sizeof *fr->v);
	}
	struct fold_row *r = &fr->v[fr->n++];
	r->type = t;
	r->at = cb_q_i64(q, c0 + 1);
	r->actor = cb_q_isnull(q, c0 + 2) ? 0 : cb_q_i64(q, c0 + 2);
	r->data = json_loads(cb_q_text(q, c0 + 3), 0, NULL);
}

static void rows_free(fold_rows *fr)
{
	for (int i = 0; i < fr->n; i++)
		json_decref(fr->v[i].data);
	cb_free(fr->v);
	memset(fr, 0, sizeof *fr);
}

/* Folds ticket id's rows (see fold); fc gives the tiers. */
static int fold_apply(const cb_slasvc_cfgset *cs, fold_ctx *fc, int64_t id, const fold_rows *fr,
		      cb_sla *out, cb_kpi *kpi, cb_err *err)
{
	if (fr->n == 0)
		return cb_err_set(err, CB_E_NOTFOUND, NULL, "no such ticket: %lld", (long long)id);
	/* a private copy of the config whose context is this fold's connection;
	 * the state keeps pointing at the shared one (ctx unused after the fold) */
	cb_sla_config local = cs->cfg;
	local.ctx = fc;
	cb_sla_init(out, &local);
	for (int i = 0; i < fr->n; i++) {
		cb_event e = {.type = fr->v[i].type, .at = fr->v[i].at, .actor_id = fr->v[i].actor,
			      .data = fr->v[i].data};
		cb_sla_apply(out, &e);
		if (kpi)
			cb_kpi_apply(kpi, &out->t, &e);
	}
	out->cfg = &cs->cfg;
	return 0;
}

/* Folds the ticket's clocks and, when kpi is given, its KPI facts over the
 * same events (the KPI fold sees the ticket as the SLA fold left it after
 * each event). */
static int fold(cb_conn *c, const cb_slasvc_cfgset *cs, int64_t id, cb_sla *out, cb_kpi *kpi,
		tiers_read *seen, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_SLA_EVENTS, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	fold_rows fr = {0};
	int r;
	while ((r = cb_q_step(q, err)) == 1)
		rows_add(&fr, q, 0);
	fold_ctx fc = {c, seen, NULL, NULL};
	int rc = r < 0 ? -1 : fold_apply(cs, &fc, id, &fr, out, kpi, err);
	rows_free(&fr);
	return rc;
}

int cb_slasvc_fold_ticket(cb_conn *c, const cb_slasvc_cfgset *cs, int64_t id, cb_sla *out, cb_err *err)
{
	return fold(c, cs, id, out, NULL, NULL, err);
}

int cb_slasvc_fold_with_kpi(cb_conn *c, const cb_slasvc_cfgset *cs, int64_t id, cb_sla *out, cb_kpi *kpi,
			 cb_err *err)
{
	return fold(c, cs, id, out, kpi, NULL, err);
}

static const char *const clock_keys[] = {"first_response", "next_update", "resolution"};

static int put_job(cb_conn *c, cb_ms due, const char *kind, int64_t id, int clock, int instance,
		   cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_SLA_JOB_INSERT, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, due);
	cb_q_bind_text(q, 2, kind);
	cb_q_bind_i64(q, 3, id);
	cb_q_bind_text(q, 4, clock_keys[clock]);
	cb_q_bind_i64(q, 5, instance);
	return cb_q_exec(q, err);
}

/* Records a fired at-risk/breach once; appends its timeline event. */
static int fire(cb_conn *c, int64_t id, int clock, int instance, const char *kind, cb_ms at,
		cb_err *err);

/* The ticket's SLA timers from the view at now: breaches and at-risk
 * moments already passed fire, the next ones become jobs; *next_due and
 * *risk the earliest of the running clocks. */
static int project_timers(cb_conn *c, int64_t id, const cb_sla_view *v, cb_ms *next_due,
			  cb_ms *risk, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_SLA_JOBS_DELETE, err);
	if (!q || (cb_q_bind_i64(q, 1, id), cb_q_exec(q, err)))
		return -1;
	for (int k = 0; k < CB_CLOCK__COUNT; k++) {
		if (!v[k].present)
			continue;
		if (v[k].state == CB_SLA_BREACHED && v[k].breached_at) {
			if (fire(c, id, k, v[k].instance, "breached", v[k].breached_at, err))
				return -1;
		}
		if (v[k].state != CB_SLA_RUNNING)
			continue;
		if (!*next_due || v[k].due_at < *next_due)
			*next_due = v[k].due_at;
		if (!*risk || v[k].at_risk_at < *risk)
			*risk = v[k].at_risk_at;
		if (v[k].at_risk) {
			if (fire(c, id, k, v[k].instance, "at_risk", v[k].at_risk_at, err))
				return -1;
		} else if (put_job(c, v[k].at_risk_at, "sla.at_risk", id, k, v[k].instance, err)) {
			return -1;
		}
		if (put_job(c, v[k].due_at, "sla.breached", id, k, v[k].instance, err))
			return -1;
	}
	return 0;
}

/* One stored instance row per clock instance that ever had a target, for
 * the KPIs. */
static int project_instances(cb_conn *c, int64_t id, const cb_sla *sla, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_SLA_INST_DELETE, err);
	if (!q || (cb_q_bind_i64(q, 1, id), cb_q_exec(q, err)))
		return -1;
	for (int k = 0; k < CB_CLOCK__COUNT; k++) {
		int n;
		const cb_sla_instance *in = cb_sla_instances(sla, k, &n);
		for (int i = 0; i < n; i++) {
			if (!in[i].ever_target)
				continue;
			q = cb_q_get(c, CB_SQL_SLA_INST_INSERT, err);
			if (!q)
				return -1;
			const char *st = in[i].cancelled ? "cancelled" : in[i].breached ? "breached"
					 : in[i].ended ? "met" : in[i].running ? "running" : "paused";
			cb_q_bind_i64(q, 1, id);
			cb_q_bind_text(q, 2, clock_keys[k]);
			cb_q_bind_i64(q, 3, in[i].number);
			cb_q_bind_i64(q, 4, in[i].policy_id);
			cb_q_bind_i64(q, 5, in[i].target_ms);
			cb_q_bind_text(q, 6, st);
			cb_q_bind_i64(q, 7, in[i].elapsed_ms);
			cb_q_bind_i64(q, 8, in[i].started_at);
			if (in[i].breached)
				cb_q_bind_i64(q, 9, in[i].breached_at);
			else
				cb_q_bind_null(q, 9);
			if (in[i].settled_at && !in[i].cancelled)
				cb_q_bind_i64(q, 10, in[i].settled_at);
			else
				cb_q_bind_null(q, 10);
			/* a clock running after the last event: its due and at-risk
			 * instants as of that event (so a breach since then shows as
			 * due < now, whenever the ticket was last re-folded) */
			cb_ms risk_at, due_at = cb_kpi_due(&in[i], &risk_at);
			if (due_at)
				cb_q_bind_i64(q, 11, due_at);
			else
				cb_q_bind_null(q, 11);
			if (due_at)
				cb_q_bind_i64(q, 12, risk_at);
			else
				cb_q_bind_null(q, 12);
			cb_q_bind_i64(q, 13, !in[i].ended);
			if (cb_q_exec(q, err))
				return -1;
		}
	}
	return 0;
}

int cb_slasvc_project(const cb_projection *p, cb_err *err)
{
	cb_conn *c = p->c;
	int64_t id = p->ticket;
	cb_ms now = p->now;
	const cb_sla *sla = p->sla;
	cb_sla_view v[CB_CLOCK__COUNT];
	cb_sla_view_at(sla, now, v);
	cb_ms next_due = 0, risk = 0, urgency = INT64_MAX;
	int breached;
	int open = sla->t.status != CB_ST_SOLVED && sla->t.status != CB_ST_CLOSED;
	if (project_timers(c, id, v, &next_due, &risk, err))
		return -1;
	/* the queue's breached flag and order: the ticket's urgency (a breach
	 * since the last event shows in the view at now: a breach timer
	 * re-folds the ticket after its due) */
	cb_sla_urgency u;
	cb_sla_urgency_of(v, &u);
	breached = u.kind == CB_URG_BREACHED;
	if (open && (u.kind == CB_URG_BREACHED || u.kind == CB_URG_DUE))
		urgency = u.at;
	cb_q *q = cb_q_get(c, CB_SQL_SLA_UPSERT, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	if (sla->policy)
		cb_q_bind_i64(q, 2, sla->policy->id);
	else
		cb_q_bind_null(q, 2);
	cb_q_bind_i64(q, 3, open);
	if (next_due)
		cb_q_bind_i64(q, 4, next_due);
	else
		cb_q_bind_null(q, 4);
	if (risk)
		cb_q_bind_i64(q, 5, risk);
	else
		cb_q_bind_null(q, 5);
	cb_q_bind_i64(q, 6, breached);
	cb_q_bind_i64(q, 7, now);
	cb_q_bind_i64(q, 8, urgency);
	if (cb_q_exec(q, err))
		return -1;
	return project_instances(c, id, sla, err);
}

static json_t *time_or_null(cb_ms t)
{
	if (!t)
		return json_null();
	char b[40];
	cb_time_format(t, b, sizeof b);
	return json_string(b);
}

static json_t *policy_name(cb_conn *c, int64_t id)
{
	if (!id)
		return json_null();
	cb_err e = {0};
	cb_q *q = cb_q_get(c, CB_SQL_SLA_POLICY_NAME, &e);
	if (!q)
		return json_null();
	cb_q_bind_i64(q, 1, id);
	json_t *r = json_null();
	if (cb_q_step(q, &e) == 1) {
		r = json_string(cb_q_text(q, 0));
		cb_q_reset(q);
	}
	return r;
}

/* ---- the fold cache ----
 * Rendering `sla` needs the ticket's fold: every event loaded and its JSON
 * parsed (a third of a ticket GET; a list page renders 50). A fold depends
 * only on the events (tickets.nevents counts them: the log is append-only),
 * the SLA configuration (one shared cfgset per configuration version) and
 * the tiers of the accounts its policy evaluations read. So the last fold of
 * each ticket is kept, keyed by database and id, and reused while all three
 * are unchanged (the tiers are re-read, one primary-key lookup each); the
 * view at `now` is computed from it on every render, so due dates, elapsed
 * time and breaches are as exact as from a fresh fold. Direct-mapped,
 * FOLD_SLOTS entries in a static table (untouched slots cost no memory), a
 * lock per stripe of slots. */
#define FOLD_SLOTS 8192
#define FOLD_STRIPES 64

typedef struct {
	const void *db;
	int64_t id; /* 0: empty */
	int nevents;
	cb_slasvc_cfgset *cs; /* a reference held */
	tiers_read tiers;
	cb_sla s;
} fold_entry;

static fold_entry FOLDS[FOLD_SLOTS];
static pthread_mutex_t fold_mu[FOLD_STRIPES];
static pthread_once_t fold_once = PTHREAD_ONCE_INIT;

static void fold_init(void)
{
	for (int i = 0; i < FOLD_STRIPES; i++)
		pthread_mutex_init(&fold_mu[i], NULL);
}

static void entry_clear(fold_entry *e)
{
	if (!e->id)
		return;
	cb_sla_free(&e->s);
	cb_slasvc_cfgset_free(e->cs);
	memset(e, 0, sizeof *e);
}

static void fold_cache_clear(void)
{
	pthread_once(&fold_once, fold_init);
	for (size_t i = 0; i < FOLD_SLOTS; i++) {
		pthread_mutex_t *mu = &fold_mu[i % FOLD_STRIPES];
		pthread_mutex_lock(mu);
		entry_clear(&FOLDS[i]);
		pthread_mutex_unlock(mu);
	}
}

static int tiers_current(cb_conn *c, tier_known_fn known, void *kctx, const tiers_read *r)
{
	for (int i = 0; i < r->n; i++)
		if (tier_lookup(c, known, kctx, r->acct[i]) != r->tier[i])
			return 0;
	return 1;
}

#define FOLD_IS_CURRENT(e, db_, id_, nevents_, cs_)                                          \
	((e)->id == (id_) && (e)->db == (db_) && (e)->nevents == (nevents_) && (e)->cs == (cs_))

/* 1 and the tiers its fold read when ticket id's cached fold is current
 * for (nevents, cs), else 0. */
static int cache_peek(const void *db, const cb_slasvc_cfgset *cs, int64_t id, int nevents,
		      tiers_read *seen)
{
	pthread_once(&fold_once, fold_init);
	size_t slot = (size_t)((uint64_t)id % FOLD_SLOTS);
	pthread_mutex_t *mu = &fold_mu[slot % FOLD_STRIPES];
	fold_entry *e = &FOLDS[slot];
	pthread_mutex_lock(mu);
	int hit = FOLD_IS_CURRENT(e, db, id, nevents, cs);
	if (hit)
		*seen = e->tiers;
	pthread_mutex_unlock(mu);
	return hit;
}

/* The views at now from the cached fold if it is (still) current: 1, else 0. */
static int cache_view(const void *db, const cb_slasvc_cfgset *cs, int64_t id, int nevents, cb_ms now,
		      cb_sla_view v[CB_CLOCK__COUNT], const char **policy)
{
	size_t slot = (size_t)((uint64_t)id % FOLD_SLOTS);
	pthread_mutex_t *mu = &fold_mu[slot % FOLD_STRIPES];
	fold_entry *e = &FOLDS[slot];
	pthread_mutex_lock(mu);
	int hit = FOLD_IS_CURRENT(e, db, id, nevents, cs);
	if (hit) {
		cb_sla_view_at(&e->s, now, v);
		/* policy names live in cs, which the caller holds */
		*policy = e->s.policy ? e->s.policy->name : NULL;
	}
	pthread_mutex_unlock(mu);
	return hit;
}

/* Keeps the new fold s of ticket id (consumed). */
static void cache_put(const void *db, const cb_slasvc_cfgset *cs, int64_t id, int nevents,
		      const tiers_read *seen, cb_sla s)
{
	size_t slot = (size_t)((uint64_t)id % FOLD_SLOTS);
	pthread_mutex_t *mu = &fold_mu[slot % FOLD_STRIPES];
	fold_entry *e = &FOLDS[slot];
	cb_slasvc_cfgset *held = (cb_slasvc_cfgset *)cs;
	pthread_mutex_lock(&cache_mu);
	held->refs++;
	pthread_mutex_unlock(&cache_mu);
	fold_entry old;
	pthread_mutex_lock(mu);
	old = *e;
	*e = (fold_entry){db, id, nevents, held, *seen, s};
	pthread_mutex_unlock(mu);
	entry_clear(&old); /* outside the stripe lock: it may free a cfgset */
}

/* The views of ticket id at now and its policy name (NULL: none), from the
 * cached fold when it is current, else from a new fold that is then kept.
 * nevents 0: no caching. */
static int fold_views(cb_conn *c, const cb_slasvc_cfgset *cs, int64_t id, int nevents, cb_ms now,
		      cb_sla_view v[CB_CLOCK__COUNT], const char **policy, cb_err *err)
{
	const void *db = cb_conn_db(c);
	int cache = nevents > 0;
	if (cache) {
		/* the tiers are read without the lock (statements), then the entry
		 * is checked again under it */
		tiers_read seen = {0};
		if (cache_peek(db, cs, id, nevents, &seen) && tiers_current(c, NULL, NULL, &seen) &&
		    cache_view(db, cs, id, nevents, now, v, policy)) {
			atomic_fetch_add(&fold_hits, 1);
			return 0;
		}
		atomic_fetch_add(&fold_misses, 1);
	}
	cb_sla s;
	tiers_read seen = {0};
	if (fold(c, cs, id, &s, NULL, &seen, err))
		return -1;
	cb_sla_view_at(&s, now, v);
	*policy = s.policy ? s.policy->name : NULL;
	if (!cache || seen.overflow) {
		cb_sla_free(&s);
		return 0;
	}
	cache_put(db, cs, id, nevents, &seen, s);
	return 0;
}

/* The `sla` object of views v (policy NULL: none). */
static json_t *render_views(const cb_sla_view v[CB_CLOCK__COUNT], const char *policy)
{
	json_t *o = json_object();
	json_object_set_new(o, "policy", policy ? json_string(policy) : json_null());
	for (int k = 0; k < CB_CLOCK__COUNT; k++) {
		if (!v[k].present)
			continue;
		json_t *cl = json_object();
		json_object_set_new(cl, "state", json_string(cb_sla_state_name(v[k].state)));
		json_object_set_new(cl, "at_risk", json_boolean(v[k].at_risk));
		json_object_set_new(cl, "target_s", json_integer(v[k].target_ms / 1000));
		json_object_set_new(cl, "elapsed_s", json_integer(v[k].elapsed_ms / 1000));
		json_object_set_new(cl, "due_at", time_or_null(v[k].due_at));
		json_object_set_new(cl, "breached_at", time_or_null(v[k].breached_at));
		if (k == CB_CLOCK_NU)
			json_object_set_new(cl, "instance", json_integer(v[k].instance));
		json_object_set_new(o, clock_keys[k], cl);
	}
	/* the clock the queue order and the badges go by */
	cb_sla_urgency u;
	cb_sla_urgency_of(v, &u);
	json_object_set_new(o, "urgency",
			    u.kind == CB_URG_NONE
				    ? json_null()
				    : json_pack("{s:s, s:s, s:o}", "clock", clock_keys[u.clock], "state",
						cb_sla_urgency_name(u.kind), "at", time_or_null(u.at)));
	return o;
}

json_t *cb_slasvc_render_with(cb_conn *c, const cb_slasvc_cfgset *cs, int64_t id, int nevents, cb_ms now,
			   cb_err *err)
{
	cb_sla_view v[CB_CLOCK__COUNT];
	const char *policy = NULL;
	if (fold_views(c, cs, id, nevents, now, v, &policy, err))
		return NULL;
	return render_views(v, policy);
}

/* ---- a page of `sla` objects ----
 * The same renders as cb_slasvc_render_with for n tickets, in a bounded number
 * of statements: the cached folds are looked up first (no statement), the
 * tiers they depend on come from the caller (which loads them with the
 * page's own accounts), and the tickets whose fold is missing or stale have
 * their events read in one statement and are folded from memory. */
struct cb_slasvc_page {
	cb_conn *c;
	const cb_slasvc_cfgset *cs;
	int n;
	const int64_t *ids;
	const int *nevents;
	unsigned char *cand; /* a current cached fold (its tiers still to check) */
	tiers_read *seen;
	int64_t *accts;
	int nacct;
};

cb_slasvc_page *cb_slasvc_page_begin(cb_conn *c, const cb_slasvc_cfgset *cs, int n, const int64_t *ids,
			       const int *nevents)
{
	cb_slasvc_page *p = cb_xcalloc(1, sizeof *p);
	*p = (cb_slasvc_page){c, cs, n, ids, nevents, NULL, NULL, NULL, 0};
	size_t m = (size_t)(n > 0 ? n : 1);
	p->cand = cb_xcalloc(m, 1);
	p->seen = cb_xcalloc(m, sizeof *p->seen);
	p->accts = cb_xcalloc(m * FOLD_MAX_ACCTS, sizeof *p->accts);
	const void *db = cb_conn_db(c);
	for (int i = 0; i < n; i++) {
		if (nevents[i] <= 0 || !cache_peek(db, cs, ids[i], nevents[i], &p->seen[i]))
			continue;
		p->cand[i] = 1;
		for (int k = 0; k < p->seen[i].n; k++)
			p->accts[p->nacct++] = p->seen[i].acct[k];
	}
	return p;
}

int cb_slasvc_page_accounts(const cb_slasvc_page *p, const int64_t **out)
{
	*out = p->accts;
	return p->nacct;
}

/* Tiers a fold of the page asked for beyond those the caller loaded (an
 * account a ticket belonged to before): the first pass over the missing
 * folds collects them (answering "no account" and marking the fold), one
 * statement reads them all, and the marked tickets are folded again. */
typedef struct {
	tier_known_fn known;
	void *kctx;
	int collect; /* first pass: record unknown accounts */
	int missed;  /* the current fold asked for an account not loaded yet */
	int n, cap;
	struct extra_tier { int64_t id; const char *tier; int loaded; } *v;
} page_tiers;

static int page_known(void *ctx, int64_t account_id, const char **tier)
{
	page_tiers *pt = ctx;
	if (pt->known && pt->known(pt->kctx, account_id, tier))
		return 1;
	for (int i = 0; i < pt->n; i++) {
		if (pt->v[i].id != account_id)
			continue;
		*tier = pt->v[i].tier;
		pt->missed |= !pt->v[i].loaded;
		return pt->v[i].loaded || pt->collect;
	}
	if (!pt->collect)
		return 0; /* read it (not reached: the second pass asks the same accounts) */
	if (pt->n == pt->cap) {
		pt->cap = pt->cap ? pt->cap * 2 : 8;
		pt->v = cb_xrealloc(pt->v, (size_t)pt->cap * sizeof *pt->v);
	}
	pt->v[pt->n++] = (struct extra_tier){account_id, NULL, 0};
	*tier = NULL;
	pt->missed = 1;
	return 1;
}

/* Reads the tiers page_known collected. */
static int page_tiers_load(cb_conn *c, page_tiers *pt, cb_err *err)
{
	static const char *const names[] = {"enterprise", "business", "standard"};
	json_t *a = json_array();
	for (int i = 0; i < pt->n; i++)
		json_array_append_new(a, json_integer(pt->v[i].id));
	char *ids = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	cb_q *q = cb_q_get(c, CB_SQL_SLA_ACCOUNT_TIERS, err);
	int r = -1;
	if (q) {
		cb_q_bind_text(q, 1, ids);
		while ((r = cb_q_step(q, err)) == 1) {
			int64_t id = cb_q_i64(q, 0);
			unsigned t = tier_from_name(cb_q_text(q, 1));
			const char *name = t == CB_TIER_ENTERPRISE ? names[0]
					   : t == CB_TIER_BUSINESS ? names[1] : names[2];
			for (int i = 0; i < pt->n; i++)
				if (pt->v[i].id == id)
					pt->v[i].tier = name;
		}
	}
	free(ids); /* jansson's allocation */
	for (int i = 0; i < pt->n; i++)
		pt->v[i].loaded = 1; /* not found: no such account */
	return r < 0 ? -1 : 0;
}

/* The events of the page's tickets listed in miss[0..nmiss) (indexes into
 * p->ids), each into rows[j]. */
static int page_events(cb_slasvc_page *p, const int *miss, int nmiss, fold_rows *rows, cb_err *err)
{
	json_t *a = json_array();
	for (int j = 0; j < nmiss; j++)
		json_array_append_new(a, json_integer(p->ids[miss[j]]));
	char *ids = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	cb_q *q = cb_q_get(p->c, CB_SQL_SLA_EVENTS_PAGE, err);
	int r = -1;
	if (q) {
		cb_q_bind_text(q, 1, ids);
		int j = 0;
		while ((r = cb_q_step(q, err)) == 1) {
			int64_t tid = cb_q_i64(q, 0);
			/* rows come by ticket id: find its miss (few per page) */
			if (j >= nmiss || p->ids[miss[j]] != tid)
				for (j = 0; j < nmiss && p->ids[miss[j]] != tid; j++)
					;
			if (j < nmiss)
				rows_add(&rows[j], q, 1);
		}
	}
	free(ids); /* jansson's allocation */
	return r < 0 ? -1 : 0;
}

static void page_fold(cb_slasvc_page *p, int i, const fold_rows *rows, page_tiers *pt,
		      const void *db, cb_ms now, json_t **out);

int cb_slasvc_page_render(cb_slasvc_page *p, tier_known_fn known, void *kctx, cb_ms now, json_t **out,
		       cb_err *err)
{
	const void *db = cb_conn_db(p->c);
	int *miss = cb_xcalloc((size_t)(p->n > 0 ? p->n : 1), sizeof *miss);
	int nmiss = 0;
	for (int i = 0; i < p->n; i++) {
		out[i] = NULL;
		cb_sla_view v[CB_CLOCK__COUNT];
		const char *policy = NULL;
		if (p->cand[i] && tiers_current(p->c, known, kctx, &p->seen[i]) &&
		    cache_view(db, p->cs, p->ids[i], p->nevents[i], now, v, &policy)) {
			atomic_fetch_add(&fold_hits, 1);
			out[i] = render_views(v, policy);
			continue;
		}
		if (p->nevents[i] > 0)
			atomic_fetch_add(&fold_misses, 1);
		miss[nmiss++] = i;
	}
	fold_rows *rows = cb_xcalloc((size_t)(nmiss ? nmiss : 1), sizeof *rows);
	int rc = nmiss ? page_events(p, miss, nmiss, rows, err) : 0;
	page_tiers pt = {.known = known, .kctx = kctx, .collect = 1};
	unsigned char *again = cb_xcalloc((size_t)(nmiss ? nmiss : 1), 1);
	int nagain = 0;
	for (int pass = 0; pass < 2 && !rc; pass++) {
		if (pass == 1) {
			if (!nagain)
				break;
			pt.collect = 0;
			rc = page_tiers_load(p->c, &pt, err);
		}
		for (int j = 0; j < nmiss && !rc; j++) {
			if (pass == 1 && !again[j])
				continue;
			pt.missed = 0;
			page_fold(p, miss[j], &rows[j], &pt, db, now, out);
			if (pass == 0 && pt.missed) {
				again[j] = 1;
				nagain++;
				json_decref(out[miss[j]]);
				out[miss[j]] = NULL;
			}
		}
	}
	cb_free(again);
	cb_free(pt.v);
	for (int j = 0; j < nmiss; j++)
		rows_free(&rows[j]);
	cb_free(rows);
	cb_free(miss);
	if (rc)
		for (int i = 0; i < p->n; i++) {
			json_decref(out[i]);
			out[i] = NULL;
		}
	return rc;
}

/* Folds ticket i of the page from its rows into out[i] (NULL when it has no
 * events) and keeps the fold unless pt marked it (tiers still to read). */
static void page_fold(cb_slasvc_page *p, int i, const fold_rows *rows, page_tiers *pt,
		      const void *db, cb_ms now, json_t **out)
{
	cb_sla s;
	tiers_read seen = {0};
	fold_ctx fc = {p->c, &seen, page_known, pt};
	cb_err e2 = {0}; /* a ticket without events renders without a policy */
	if (fold_apply(p->cs, &fc, p->ids[i], rows, &s, NULL, &e2))
		return;
	cb_sla_view v[CB_CLOCK__COUNT];
	cb_sla_view_at(&s, now, v);
	out[i] = render_views(v, s.policy ? s.policy->name : NULL);
	if (p->nevents[i] <= 0 || seen.overflow || pt->missed)
		cb_sla_free(&s);
	else
		cache_put(db, p->cs, p->ids[i], p->nevents[i], &seen, s);
}

void cb_slasvc_page_free(cb_slasvc_page *p)
{
	if (!p)
		return;
	cb_free(p->cand);
	cb_free(p->seen);
	cb_free(p->accts);
	cb_free(p);
}

json_t *cb_slasvc_render(cb_conn *c, int64_t id, int nevents, cb_ms now, cb_err *err)
{
	cb_slasvc_cfgset *cs = NULL;
	if (cb_slasvc_cfgset_load(c, &cs, err))
		return NULL;
	json_t *o = cb_slasvc_render_with(c, cs, id, nevents, now, err);
	cb_slasvc_cfgset_free(cs);
	return o;
}

json_t *cb_slasvc_history(cb_conn *c, int64_t id, cb_ms now, cb_err *err)
{
	cb_slasvc_cfgset *cs = NULL;
	if (cb_slasvc_cfgset_load(c, &cs, err))
		return NULL;
	cb_sla s;
	if (cb_slasvc_fold_ticket(c, cs, id, &s, err)) {
		cb_slasvc_cfgset_free(cs);
		return NULL;
	}
	cb_sla_hist *h = NULL;
	int n = cb_sla_history_at(&s, now, &h);
	json_t *items = json_array();
	for (int i = 0; i < n; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "clock", json_string(clock_keys[h[i].clock]));
		json_object_set_new(o, "instance", json_integer(h[i].instance));
		json_object_set_new(o, "kind", json_string(cb_sla_hkind_name(h[i].kind)));
		json_object_set_new(o, "at", time_or_null(h[i].at));
		json_object_set_new(o, "elapsed_s", json_integer(h[i].elapsed_ms / 1000));
		json_object_set_new(o, "target_s", h[i].target_ms >= 0 ? json_integer(h[i].target_ms / 1000) : json_null());
		json_object_set_new(o, "policy", policy_name(c, h[i].policy_id));
		json_array_append_new(items, o);
	}
	cb_free(h);
	cb_sla_free(&s);
	cb_slasvc_cfgset_free(cs);
	json_t *o = json_object();
	json_object_set_new(o, "items", items);
	return o;
}

/* Appends an `sla` event for a fired at-risk or breach, once per instance. */
static int fire(cb_conn *c, int64_t id, int clock, int instance, const char *kind, cb_ms at,
		cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_SLA_FIRED_INSERT, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	cb_q_bind_text(q, 2, clock_keys[clock]);
	cb_q_bind_i64(q, 3, instance);
	cb_q_bind_text(q, 4, kind);
	if (cb_q_exec(q, err))
		return -1;
	if (cb_conn_changes(c) == 0)
		return 0; /* already recorded */
	json_t *d = json_pack("{s:s, s:i, s:s}", "clock", clock_keys[clock], "instance", instance,
			      "kind", kind);
	return cb_eventlog_append(c, id, CB_EV_SLA, at, 0, d, err);
}
