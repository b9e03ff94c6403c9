/* report.c - reporting use cases (see report.h).
 *
 * DESIGN
 * Facts are stored per ticket by cb_report_store_facts() inside every
 * ticket write. A report divides [from, to) into buckets by a sorted array
 * of edges (one bucket without `bucket`), reads each KPI kind once over the
 * whole range by the (kind, at) index and routes every row to its bucket by
 * binary search, and reads the backlog segments open at some bucket end
 * once (partial index by `until`), adding each segment to every bucket whose
 * end it spans. Group keys are resolved to names through small per-report
 * caches, so a report does a handful of index range reads and a few name
 * lookups, whatever its size. Percentiles sort each population's values. */
#include "app/report/report.h"
#include "util/jsonx.h"
#include "app/ticket/projection.h"
#include "store/sql.h"
#include "util/alloc.h"
#include "util/csv.h"
#include "util/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS 86400000LL
#define MAX_BUCKETS 1000

/* ---- storing facts ---- */

static void bind_opt(cb_q *q, int i, int64_t v)
{
	if (v)
		cb_q_bind_i64(q, i, v);
	else
		cb_q_bind_null(q, i);
}

/* The span of a backlog segment: the bit length of its length (64 while
 * open); 0 for other facts. Zero-length segments are never open. */
static int span_of(const cb_kpi_fact *f)
{
	if (f->kind != CB_KPI_BACKLOG)
		return 0;
	if (f->until == CB_KPI_OPEN_END)
		return 64;
	return 64 - __builtin_clzll((unsigned long long)(f->until - f->at));
}

/* ---- rollups: kept in step with the facts ---- */

#define HOUR_MS 3600000LL

static cb_ms hour_floor(cb_ms t)
{
	return t - ((t % HOUR_MS) + HOUR_MS) % HOUR_MS;
}

static cb_ms hour_ceil(cb_ms t)
{
	cb_ms h = hour_floor(t);
	return h == t ? t : h + HOUR_MS;
}

/* Rollup dimensions (migration 010). */
enum { D_PRIORITY = 1, D_ACCOUNT, D_CATEGORY, D_GROUP, D_ASSIGNEE, D__END };

typedef struct {
	int dim;
	cb_ms hour;
	int64_t ikey;
	const char *skey; /* category dimension: the text, NULL = none (key 0) */
	int64_t c[CB_KPI_R__COUNT];
} rdelta;

typedef struct {
	rdelta *v;
	int n, cap;
	char **strs; /* categories of the old facts */
	int nstrs, cstrs;
} rdeltas;

static void rd_add(rdeltas *d, const cb_kpi_fact *f, int sign)
{
	for (int dim = D_PRIORITY; dim < D__END; dim++) {
		int64_t ik = 0;
		const char *sk = NULL;
		switch (dim) {
		case D_PRIORITY: ik = f->keys.priority; break;
		case D_ACCOUNT: ik = f->keys.account_id; break;
		case D_CATEGORY: sk = f->keys.category; break;
		case D_GROUP: ik = f->keys.group_id; break;
		default: ik = f->keys.assignee_id; break;
		}
		cb_ms h = hour_floor(f->at);
		rdelta *x = NULL;
		for (int i = 0; i < d->n && !x; i++) {
			rdelta *y = &d->v[i];
			if (y->dim == dim && y->hour == h && y->ikey == ik &&
			    (y->skey == sk || (y->skey && sk && strcmp(y->skey, sk) == 0)))
				x = y;
		}
		if (!x) {
			if (d->n == d->cap) {
				d->cap = d->cap ? d->cap * 2 : 32;
				d->v = cb_xrealloc(d->v, (size_t)d->cap * sizeof *d->v);
			}
			x = &d->v[d->n++];
			memset(x, 0, sizeof *x);
			x->dim = dim;
			x->hour = h;
			x->ikey = ik;
			x->skey = sk;
		}
		cb_kpi_roll(f, sign, x->c);
	}
}

static void rd_free(rdeltas *d)
{
	for (int i = 0; i < d->nstrs; i++)
		cb_free(d->strs[i]);
	cb_free(d->strs);
	cb_free(d->v);
}

/* Subtracts the ticket's stored facts of rolled kinds from d. */
static int rd_old(cb_conn *c, int64_t id, rdeltas *d, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_KPI_OLD_ROLLED, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	int rc;
	while ((rc = cb_q_step(q, err)) == 1) {
		cb_kpi_fact f;
		memset(&f, 0, sizeof f);
		f.kind = (cb_kpi_kind)cb_q_i64(q, 0);
		f.at = cb_q_i64(q, 1);
		f.v1 = cb_q_i64(q, 2);
		f.flag = (int)cb_q_i64(q, 3);
		f.keys.priority = (int)cb_q_i64(q, 4);
		f.keys.account_id = cb_q_i64(q, 5);
		if (!cb_q_isnull(q, 6)) {
			if (d->nstrs == d->cstrs) {
				d->cstrs = d->cstrs ? d->cstrs * 2 : 8;
				d->strs = cb_xrealloc(d->strs, (size_t)d->cstrs * sizeof *d->strs);
			}
			f.keys.category = d->strs[d->nstrs++] = cb_xstrdup(cb_q_text(q, 6));
		}
		f.keys.group_id = cb_q_i64(q, 7);
		f.keys.assignee_id = cb_q_i64(q, 8);
		rd_add(d, &f, -1);
	}
	return rc < 0 ? -1 : 0;
}

/* Applies the non-zero deltas to kpi_rollup; rows left without facts go. */
static int rd_apply(cb_conn *c, const rdeltas *d, cb_err *err)
{
	for (int i = 0; i < d->n; i++) {
		const rdelta *x = &d->v[i];
		int any = 0;
		for (int k = 0; k < CB_KPI_R__COUNT && !any; k++)
			any = x->c[k] != 0;
		if (!any)
			continue;
		for (int pass = 0; pass < 2; pass++) {
			if (pass && x->c[CB_KPI_R_N] >= 0)
				break;
			cb_q *q = cb_q_get(c, pass ? CB_SQL_ROLLUP_PRUNE : CB_SQL_ROLLUP_UPSERT, err);
			if (!q)
				return -1;
			cb_q_bind_i64(q, 1, x->dim);
			cb_q_bind_i64(q, 2, x->hour);
			if (x->skey)
				cb_q_bind_text(q, 3, x->skey);
			else
				cb_q_bind_i64(q, 3, x->ikey);
			for (int k = 0; !pass && k < CB_KPI_R__COUNT; k++)
				cb_q_bind_i64(q, 4 + k, x->c[k]);
			if (cb_q_exec(q, err))
				return -1;
		}
	}
	return 0;
}

int cb_report_store_facts(cb_conn *c, int64_t id, cb_kpi *kpi, const cb_sla *s, cb_err *err)
{
	const cb_kpi_fact *f;
	int n = cb_kpi_finish(kpi, s, &f);
	/* the rollups move by (new - old) of the ticket's rolled facts */
	rdeltas d = {0};
	int rc = rd_old(c, id, &d, err);
	for (int i = 0; rc == 0 && i < n; i++)
		if (cb_kpi_rolled(f[i].kind))
			rd_add(&d, &f[i], 1);
	if (rc == 0)
		rc = rd_apply(c, &d, err);
	rd_free(&d);
	if (rc)
		return -1;
	cb_q *q = cb_q_get(c, CB_SQL_KPI_DELETE, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, id);
	if (cb_q_exec(q, err))
		return -1;
	for (int i = 0; i < n; i++) {
		if (f[i].kind == CB_KPI_BACKLOG && f[i].until <= f[i].at)
			continue;
		q = cb_q_get(c, CB_SQL_KPI_INSERT, err);
		if (!q)
			return -1;
		cb_q_bind_i64(q, 1, f[i].kind);
		cb_q_bind_i64(q, 2, span_of(&f[i]));
		cb_q_bind_i64(q, 3, f[i].at);
		cb_q_bind_i64(q, 4, id);
		cb_q_bind_i64(q, 5, f[i].seq);
		if (f[i].kind == CB_KPI_BACKLOG)
			cb_q_bind_i64(q, 6, f[i].until);
		else
			cb_q_bind_null(q, 6);
		cb_q_bind_i64(q, 7, f[i].v1);
		cb_q_bind_i64(q, 8, f[i].v2);
		cb_q_bind_i64(q, 9, f[i].flag);
		cb_q_bind_i64(q, 10, f[i].keys.priority);
		bind_opt(q, 11, f[i].keys.account_id);
		cb_q_bind_text(q, 12, f[i].keys.category);
		bind_opt(q, 13, f[i].keys.group_id);
		bind_opt(q, 14, f[i].keys.assignee_id);
		if (cb_q_exec(q, err))
			return -1;
	}
	return 0;
}

/* ---- small maps ---- */

/* id -> name (and tier for accounts), looked up once per report */
typedef struct {
	int64_t id;
	char *name, *tier;   /* tier: the current one */
	int used;
	int gi1;             /* group index of the name + 1; 0 unknown */
	int thist, nt;       /* accounts: tier history loaded, its length */
	cb_ms *tfrom;        /* tier history: from instants, ascending */
	int *tgi;            /* ... and the group index of each tier */
} idslot;

typedef struct {
	idslot *s;
	int cap, n;
} idmap;

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static idslot *idmap_slot(idmap *m, int64_t id)
{
	if (2 * (m->n + 1) > m->cap) {
		idmap old = *m;
		m->cap = old.cap ? old.cap * 2 : 64;
		m->s = cb_xcalloc((size_t)m->cap, sizeof *m->s);
		m->n = 0;
		for (int i = 0; i < old.cap; i++)
			if (old.s[i].used) {
				idslot *d = idmap_slot(m, old.s[i].id);
				*d = old.s[i];
			}
		cb_free(old.s);
	}
	size_t i = mix((uint64_t)id) & (size_t)(m->cap - 1);
	while (m->s[i].used && m->s[i].id != id)
		i = (i + 1) & (size_t)(m->cap - 1);
	if (!m->s[i].used) {
		m->s[i].used = 1;
		m->s[i].id = id;
		m->s[i].name = m->s[i].tier = NULL;
		m->s[i].gi1 = m->s[i].thist = m->s[i].nt = 0;
		m->s[i].tfrom = NULL;
		m->s[i].tgi = NULL;
		m->n++;
	}
	return &m->s[i];
}

static void idmap_free(idmap *m)
{
	for (int i = 0; i < m->cap; i++) {
		cb_free(m->s[i].name);
		cb_free(m->s[i].tier);
		cb_free(m->s[i].tfrom);
		cb_free(m->s[i].tgi);
	}
	cb_free(m->s);
	memset(m, 0, sizeof *m);
}

/* group key -> index; NULL is a key too */
typedef struct {
	char **keys;   /* by index; NULL = the null key */
	int n, cap;
	int *tab;      /* open addressing over indexes, -1 empty */
	int tcap;
	int null_idx;  /* -1 until seen */
} keymap;

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static int keymap_find(keymap *m, const char *k);

static int keymap_add(keymap *m, char *owned)
{
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 16;
		m->keys = cb_xrealloc(m->keys, (size_t)m->cap * sizeof *m->keys);
	}
	m->keys[m->n] = owned;
	return m->n++;
}

static void keymap_rehash(keymap *m)
{
	cb_free(m->tab);
	m->tcap = m->tcap ? m->tcap * 2 : 64;
	m->tab = cb_xmalloc((size_t)m->tcap * sizeof *m->tab);
	for (int i = 0; i < m->tcap; i++)
		m->tab[i] = -1;
	for (int i = 0; i < m->n; i++) {
		if (!m->keys[i])
			continue;
		size_t j = hash_str(m->keys[i]) & (size_t)(m->tcap - 1);
		while (m->tab[j] >= 0)
			j = (j + 1) & (size_t)(m->tcap - 1);
		m->tab[j] = i;
	}
}

static int keymap_find(keymap *m, const char *k)
{
	if (!k) {
		if (m->null_idx < 0)
			m->null_idx = keymap_add(m, NULL);
		return m->null_idx;
	}
	if (2 * (m->n + 1) > m->tcap)
		keymap_rehash(m);
	size_t j = hash_str(k) & (size_t)(m->tcap - 1);
	while (m->tab[j] >= 0) {
		if (strcmp(m->keys[m->tab[j]], k) == 0)
			return m->tab[j];
		j = (j + 1) & (size_t)(m->tcap - 1);
	}
	int i = keymap_add(m, cb_xstrdup(k));
	m->tab[j] = i;
	return i;
}

static void keymap_free(keymap *m)
{
	for (int i = 0; i < m->n; i++)
		cb_free(m->keys[i]);
	cb_free(m->keys);
	cb_free(m->tab);
	memset(m, 0, sizeof *m);
	m->null_idx = -1;
}

/* ---- group keys ---- */

enum { G_NONE, G_PRIORITY, G_ACCOUNT, G_TIER, G_CATEGORY, G_GROUP, G_ASSIGNEE };
static const char *const gb_names[] = {NULL, "priority", "account", "tier", "category", "group",
				       "assignee"};

static int parse_group_by(const char *s, int *out, const char *field, cb_err *err)
{
	*out = G_NONE;
	if (!s || !*s)
		return 0;
	for (int i = 1; i <= G_ASSIGNEE; i++)
		if (strcmp(s, gb_names[i]) == 0) {
			*out = i;
			return 0;
		}
	return cb_err_set(err, CB_E_INVALID, field,
			  "must be one of priority, account, tier, category, group, assignee");
}

/* The name behind an id (accounts: name and tier). */
static idslot *lookup(cb_conn *c, idmap *m, int what, int64_t id)
{
	/* ids of accounts, groups and users may collide: one map per kind */
	idslot *s = idmap_slot(&m[what == G_GROUP ? 1 : what == G_ASSIGNEE ? 2 : 0], id);
	if (s->name)
		return s;
	cb_err e = {0};
	cb_sql sql = what == G_GROUP ? CB_SQL_REPORT_GROUP
			  : what == G_ASSIGNEE ? CB_SQL_REPORT_USER : CB_SQL_REPORT_ACCOUNT;
	cb_q *q = cb_q_get(c, sql, &e);
	if (q) {
		cb_q_bind_i64(q, 1, id);
		if (cb_q_step(q, &e) == 1) {
			s->name = cb_xstrdup(cb_q_text(q, 0));
			if (sql == CB_SQL_REPORT_ACCOUNT)
				s->tier = cb_xstrdup(cb_q_text(q, 1));
			cb_q_reset(q);
		}
	}
	if (!s->name) {
		char b[32];
		snprintf(b, sizeof b, "%lld", (long long)id); /* deleted: its id */
		s->name = cb_xstrdup(b);
	}
	return s;
}

/* ---- the report ---- */

typedef struct {
	cb_kpi_acc all;
	cb_kpi_acc **g; /* by group index, NULL when untouched */
	int ng;
} bucket;

typedef struct {
	cb_ms a, b;
} interval;

typedef struct {
	cb_conn *c;
	int gb;
	cb_ms now;
	int direct;   /* facts only, no rollups */
	cb_ms *edges; /* nb + 1 */
	int nb;
	bucket *b;
	idmap names[3]; /* accounts, groups, users */
	keymap keys;
	int prio_gi1[6];  /* group index + 1 of P1..P4 (0 unknown, 5 other) */
	cb_ms *lo, *hi;   /* per bucket: the whole hours [lo, hi) read from rollups */
	cb_ms *ex;        /* hours not read from rollups (a tier changes inside) */
	int nex;
	interval *iv;     /* what is read from facts for the rolled kinds */
	int niv, civ;
} report;

typedef struct {
	cb_kpi_fact f;
	int64_t ticket;
	int bucket, g;
} row;

static void report_free(report *r)
{
	for (int i = 0; i < r->nb; i++) {
		cb_kpi_acc_free(&r->b[i].all);
		for (int g = 0; g < r->b[i].ng; g++) {
			cb_kpi_acc_free(r->b[i].g[g]);
			cb_free(r->b[i].g[g]);
		}
		cb_free(r->b[i].g);
	}
	cb_free(r->b);
	cb_free(r->edges);
	cb_free(r->lo);
	cb_free(r->hi);
	cb_free(r->ex);
	cb_free(r->iv);
	for (int i = 0; i < 3; i++)
		idmap_free(&r->names[i]);
	keymap_free(&r->keys);
}

/* ---- group keys of facts and rollup rows ---- */

static int id_index(report *r, int what, int64_t id)
{
	if (!id)
		return keymap_find(&r->keys, NULL);
	idslot *s = lookup(r->c, r->names, what, id);
	if (!s->gi1)
		s->gi1 = keymap_find(&r->keys, s->name) + 1;
	return s->gi1 - 1;
}

static int prio_index(report *r, int64_t p)
{
	int i = p >= 1 && p <= 4 ? (int)p : 5;
	if (i == 5)
		return keymap_find(&r->keys, cb_priority_name((int)p));
	if (!r->prio_gi1[i])
		r->prio_gi1[i] = keymap_find(&r->keys, cb_priority_name(i)) + 1;
	return r->prio_gi1[i] - 1;
}

/* The group of an account's tier at instant `at` (docs/metrics.md: the tier at
 * that instant): the latest tier whose start is at or before `at` (strictly
 * before with `before`); before the first, the first. An account without
 * history (deleted) falls back to its current tier, if any. */
static int tier_index(report *r, int64_t aid, cb_ms at, int before)
{
	if (!aid)
		return keymap_find(&r->keys, NULL);
	idslot *s = lookup(r->c, r->names, G_ACCOUNT, aid);
	if (!s->thist) {
		s->thist = 1;
		cb_err e = {0};
		cb_q *q = cb_q_get(r->c, CB_SQL_TIER_HISTORY, &e);
		if (q) {
			cb_q_bind_i64(q, 1, aid);
			int cap = 0;
			while (cb_q_step(q, &e) == 1) {
				if (s->nt == cap) {
					cap = cap ? cap * 2 : 4;
					s->tfrom = cb_xrealloc(s->tfrom, (size_t)cap * sizeof *s->tfrom);
					s->tgi = cb_xrealloc(s->tgi, (size_t)cap * sizeof *s->tgi);
				}
				s->tfrom[s->nt] = cb_q_i64(q, 0);
				s->tgi[s->nt++] = keymap_find(&r->keys, cb_q_text(q, 1));
			}
		}
		if (!s->nt) {
			s->tfrom = cb_xmalloc(sizeof *s->tfrom);
			s->tgi = cb_xmalloc(sizeof *s->tgi);
			s->tfrom[0] = INT64_MIN;
			s->tgi[0] = keymap_find(&r->keys, s->tier);
			s->nt = 1;
		}
	}
	int i = s->nt - 1;
	while (i > 0 && (before ? s->tfrom[i] >= at : s->tfrom[i] > at))
		i--;
	return s->tgi[i];
}

/* Reads the current row into f and returns its group index (-1 ungrouped). */
static int read_row(report *r, cb_q *q, cb_kpi_fact *f, int64_t *ticket)
{
	memset(f, 0, sizeof *f);
	f->kind = (cb_kpi_kind)cb_q_i64(q, 0);
	*ticket = cb_q_i64(q, 1);
	f->seq = (int)cb_q_i64(q, 2);
	f->at = cb_q_i64(q, 3);
	/* NULL reads as 0: no account, group or assignee (until is set on
	 * backlog rows only) */
	f->until = f->kind == CB_KPI_BACKLOG ? cb_q_i64(q, 4) : 0;
	f->v1 = cb_q_i64(q, 5);
	f->v2 = cb_q_i64(q, 6);
	f->flag = (int)cb_q_i64(q, 7);
	f->keys.priority = (int)cb_q_i64(q, 8);
	switch (r->gb) {
	case G_NONE:
		return -1;
	case G_PRIORITY:
		return prio_index(r, f->keys.priority);
	case G_CATEGORY:
		return keymap_find(&r->keys, cb_q_isnull(q, 10) ? NULL : cb_q_text(q, 10));
	case G_ACCOUNT:
		return id_index(r, G_ACCOUNT, f->keys.account_id = cb_q_i64(q, 9));
	case G_TIER:
		return tier_index(r, f->keys.account_id = cb_q_i64(q, 9), f->at, 0);
	case G_GROUP:
		return id_index(r, G_GROUP, f->keys.group_id = cb_q_i64(q, 11));
	default:
		return id_index(r, G_ASSIGNEE, f->keys.assignee_id = cb_q_i64(q, 12));
	}
}

static cb_kpi_acc *group_acc(bucket *b, int g)
{
	if (g >= b->ng) {
		int n = g + 8;
		b->g = cb_xrealloc(b->g, (size_t)n * sizeof *b->g);
		memset(b->g + b->ng, 0, (size_t)(n - b->ng) * sizeof *b->g);
		b->ng = n;
	}
	if (!b->g[g])
		b->g[g] = cb_xcalloc(1, sizeof **b->g);
	return b->g[g];
}

static void add(report *r, int bi, int g, const cb_kpi_fact *f)
{
	bucket *b = &r->b[bi];
	cb_ms to = r->edges[bi + 1];
	if (g < 0) {
		cb_kpi_acc_add(&b->all, f, to, r->now);
		return;
	}
	/* grouped: the total's distribution values are its groups' (put_kpis) */
	cb_kpi_acc_add_counts(&b->all, f, to, r->now);
	cb_kpi_acc_add(group_acc(b, g), f, to, r->now);
}

/* Index of the bucket holding instant t (edges[i] <= t < edges[i+1]). */
static int bucket_of(const report *r, cb_ms t)
{
	int lo = 0, hi = r->nb - 1;
	while (lo < hi) {
		int mid = (lo + hi + 1) / 2;
		if (r->edges[mid] <= t)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

static int cmp_row(const void *x, const void *y)
{
	const row *a = x, *b = y;
	if (a->bucket != b->bucket)
		return a->bucket < b->bucket ? -1 : 1;
	if (a->ticket != b->ticket)
		return a->ticket < b->ticket ? -1 : 1;
	if (a->f.at != b->f.at)
		return a->f.at < b->f.at ? -1 : 1;
	return (a->f.seq > b->f.seq) - (a->f.seq < b->f.seq);
}

/* Adds every backlog segment open at some bucket end (at < e <= until) to
 * those buckets: one bounded range per span (see migration 007). */
static int run_backlog(report *r, cb_err *err)
{
	cb_ms e1 = r->edges[1], en = r->edges[r->nb];
	for (int span = 1; span <= 64; span++) {
		cb_q *q = cb_q_get(r->c, CB_SQL_KPI_BACKLOG, err);
		if (!q)
			return -1;
		cb_q_bind_i64(q, 1, span);
		cb_q_bind_i64(q, 2, span >= 63 ? INT64_MIN : e1 - ((cb_ms)1 << span));
		cb_q_bind_i64(q, 3, en);
		cb_q_bind_i64(q, 4, e1);
		int rc;
		while ((rc = cb_q_step(q, err)) == 1) {
			cb_kpi_fact f;
			int64_t t;
			int g = read_row(r, q, &f, &t);
			/* the buckets whose end e satisfies at < e <= until */
			int i = bucket_of(r, f.at);
			if (r->edges[i + 1] <= f.at)
				i++;
			for (; i < r->nb && r->edges[i + 1] <= f.until; i++)
				add(r, i,
				    r->gb == G_TIER ? tier_index(r, f.keys.account_id, r->edges[i + 1], 1) : g,
				    &f);
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* ---- the plan: what comes from rollups, what from facts ---- */

static void iv_push(report *r, cb_ms a, cb_ms b)
{
	if (a >= b)
		return;
	if (r->niv && r->iv[r->niv - 1].b >= a) {
		if (r->iv[r->niv - 1].b < b)
			r->iv[r->niv - 1].b = b;
		return;
	}
	if (r->niv == r->civ) {
		r->civ = r->civ ? r->civ * 2 : 16;
		r->iv = cb_xrealloc(r->iv, (size_t)r->civ * sizeof *r->iv);
	}
	r->iv[r->niv++] = (interval){a, b};
}

static int excluded(const report *r, cb_ms h)
{
	int lo = 0, hi = r->nex;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (r->ex[mid] < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < r->nex && r->ex[lo] == h;
}

static int cmp_ms(const void *x, const void *y)
{
	cb_ms a = *(const cb_ms *)x, b = *(const cb_ms *)y;
	return (a > b) - (a < b);
}

/* Each bucket's whole UTC hours that end by `now` come from the rollups:
 * rollup hours compose into the buckets of any zone whose offsets are
 * whole hours (23 and 25 hour days included); a bucket edge inside an
 * hour (a zone like Asia/Kolkata, or a `from`/`to` not on an hour) leaves
 * the partial hours to the facts, as it does an hour in which an account's
 * tier changed (group_by=tier) and the hours from `now` on (where a due SLA
 * instance is not yet breached). Rollup rows of the hours not taken are
 * skipped; the facts of the rolled kinds are read over the rest. */
static int plan(report *r, cb_err *err)
{
	r->lo = cb_xmalloc((size_t)r->nb * sizeof *r->lo);
	r->hi = cb_xmalloc((size_t)r->nb * sizeof *r->hi);
	cb_ms from = r->edges[0], to = r->edges[r->nb];
	if (!r->direct && r->gb == G_TIER) {
		cb_q *q = cb_q_get(r->c, CB_SQL_TIER_CHANGES, err);
		if (!q)
			return -1;
		cb_q_bind_i64(q, 1, from);
		cb_q_bind_i64(q, 2, to);
		int rc, cap = 0;
		while ((rc = cb_q_step(q, err)) == 1) {
			cb_ms t = cb_q_i64(q, 0);
			if (t == hour_floor(t))
				continue; /* on an hour: that hour has one tier */
			if (r->nex == cap) {
				cap = cap ? cap * 2 : 16;
				r->ex = cb_xrealloc(r->ex, (size_t)cap * sizeof *r->ex);
			}
			r->ex[r->nex++] = hour_floor(t);
		}
		if (rc < 0)
			return -1;
		if (r->nex)
			qsort(r->ex, (size_t)r->nex, sizeof *r->ex, cmp_ms);
	}
	for (int i = 0; i < r->nb; i++) {
		cb_ms e0 = r->edges[i], e1 = r->edges[i + 1];
		cb_ms lo = hour_ceil(e0), hi = hour_floor(e1 < r->now ? e1 : r->now);
		if (r->direct || lo >= hi) {
			r->lo[i] = r->hi[i] = e1;
			iv_push(r, e0, e1);
			continue;
		}
		r->lo[i] = lo;
		r->hi[i] = hi;
		iv_push(r, e0, lo);
		for (int x = 0; x < r->nex; x++)
			if (r->ex[x] >= lo && r->ex[x] < hi)
				iv_push(r, r->ex[x], r->ex[x] + HOUR_MS);
		iv_push(r, hi, e1);
	}
	return 0;
}

/* Adds the rollup rows of the hours the plan gives them. */
static int run_rollups(report *r, cb_err *err)
{
	cb_ms from = r->edges[0], to = r->edges[r->nb];
	cb_ms a = hour_ceil(from), b = hour_floor(to < r->now ? to : r->now);
	if (r->direct || a >= b)
		return 0;
	static const int dims[] = {D_PRIORITY, D_PRIORITY, D_ACCOUNT, D_ACCOUNT,
				   D_CATEGORY, D_GROUP,    D_ASSIGNEE};
	cb_q *q = cb_q_get(r->c, CB_SQL_ROLLUP_RANGE, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, dims[r->gb]);
	cb_q_bind_i64(q, 2, a);
	cb_q_bind_i64(q, 3, b);
	int rc;
	while ((rc = cb_q_step(q, err)) == 1) {
		cb_ms h = cb_q_i64(q, 0);
		int bi = bucket_of(r, h);
		if (h < r->lo[bi] || h >= r->hi[bi] || (r->nex && excluded(r, h)))
			continue;
		int64_t c[CB_KPI_R__COUNT];
		for (int k = 0; k < CB_KPI_R__COUNT; k++)
			c[k] = cb_q_i64(q, 3 + k);
		int g = -1;
		int64_t id = cb_q_i64(q, 1);
		switch (r->gb) {
		case G_NONE:
			break;
		case G_PRIORITY:
			g = prio_index(r, id);
			break;
		case G_ACCOUNT:
			g = id_index(r, G_ACCOUNT, id);
			break;
		case G_TIER:
			g = tier_index(r, id, h, 0);
			break;
		case G_CATEGORY:
			g = keymap_find(&r->keys, cb_q_i64(q, 2) ? cb_q_text(q, 1) : NULL);
			break;
		case G_GROUP:
			g = id_index(r, G_GROUP, id);
			break;
		default:
			g = id_index(r, G_ASSIGNEE, id);
			break;
		}
		bucket *bk = &r->b[bi];
		cb_kpi_acc_add_rolled(&bk->all, c);
		if (g >= 0)
			cb_kpi_acc_add_rolled(group_acc(bk, g), c);
	}
	return rc < 0 ? -1 : 0;
}

/* Reads the facts of one kind in [a, b) into the buckets (reopens into re). */
static int run_kind(report *r, int kind, cb_ms a, cb_ms b, row **re, int *nre, int *cre,
		    cb_err *err)
{
	if (kind != CB_KPI_REOPEN) {
		/* only the columns this kind contributes, and the group's key */
		static const cb_sql vsql[] = {
			CB_SQL_KPI_VALUES_NONE,     CB_SQL_KPI_VALUES_PRIORITY, CB_SQL_KPI_VALUES_ACCOUNT,
			CB_SQL_KPI_VALUES_ACCOUNT,  CB_SQL_KPI_VALUES_CATEGORY, CB_SQL_KPI_VALUES_GROUP,
			CB_SQL_KPI_VALUES_ASSIGNEE};
		cb_q *q = cb_q_get(r->c, vsql[r->gb], err);
		if (!q)
			return -1;
		cb_q_bind_i64(q, 1, kind);
		cb_q_bind_i64(q, 2, a);
		cb_q_bind_i64(q, 3, b);
		cb_kpi_fact f;
		memset(&f, 0, sizeof f);
		f.kind = (cb_kpi_kind)kind;
		int rc, one = r->nb == 1;
		while ((rc = cb_q_step(q, err)) == 1) {
			f.at = cb_q_i64(q, 0);
			f.v1 = cb_q_i64(q, 1);
			f.v2 = cb_q_i64(q, 2);
			f.flag = (int)cb_q_i64(q, 3);
			int g = -1;
			switch (r->gb) {
			case G_NONE:
				break;
			case G_PRIORITY:
				g = prio_index(r, cb_q_i64(q, 4));
				break;
			case G_ACCOUNT:
				g = id_index(r, G_ACCOUNT, cb_q_i64(q, 4));
				break;
			case G_TIER:
				g = tier_index(r, cb_q_i64(q, 4), f.at, 0);
				break;
			case G_CATEGORY:
				g = keymap_find(&r->keys, cb_q_isnull(q, 4) ? NULL : cb_q_text(q, 4));
				break;
			case G_GROUP:
				g = id_index(r, G_GROUP, cb_q_i64(q, 4));
				break;
			default:
				g = id_index(r, G_ASSIGNEE, cb_q_i64(q, 4));
				break;
			}
			add(r, one ? 0 : bucket_of(r, f.at), g, &f);
		}
		return rc < 0 ? -1 : 0;
	}
	static const cb_sql sql[] = {CB_SQL_KPI_RANGE_NONE,     CB_SQL_KPI_RANGE_NONE,
					   CB_SQL_KPI_RANGE_ACCOUNT,  CB_SQL_KPI_RANGE_ACCOUNT,
					   CB_SQL_KPI_RANGE_CATEGORY, CB_SQL_KPI_RANGE_GROUP,
					   CB_SQL_KPI_RANGE_ASSIGNEE};
	cb_q *q = cb_q_get(r->c, sql[r->gb], err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, kind);
	cb_q_bind_i64(q, 2, a);
	cb_q_bind_i64(q, 3, b);
	int rc;
	while ((rc = cb_q_step(q, err)) == 1) {
		row x;
		x.g = read_row(r, q, &x.f, &x.ticket);
		x.bucket = bucket_of(r, x.f.at);
		if (kind != CB_KPI_REOPEN) {
			add(r, x.bucket, x.g, &x.f);
			continue;
		}
		if (*nre == *cre) {
			*cre = *cre ? *cre * 2 : 64;
			*re = cb_xrealloc(*re, (size_t)*cre * sizeof **re);
		}
		(*re)[(*nre)++] = x;
	}
	return rc < 0 ? -1 : 0;
}

static int run(report *r, cb_err *err)
{
	r->b = cb_xcalloc((size_t)r->nb, sizeof *r->b);
	cb_ms from = r->edges[0], to = r->edges[r->nb];
	row *re = NULL;
	int nre = 0, cre = 0;
	if (plan(r, err) || run_rollups(r, err))
		goto fail;
	for (int kind = CB_KPI_CREATED; kind < CB_KPI_BACKLOG; kind++) {
		if (!cb_kpi_rolled((cb_kpi_kind)kind)) {
			if (run_kind(r, kind, from, to, &re, &nre, &cre, err))
				goto fail;
			continue;
		}
		for (int i = 0; i < r->niv; i++)
			if (run_kind(r, kind, r->iv[i].a, r->iv[i].b, &re, &nre, &cre, err))
				goto fail;
	}
	/* volume.reopened: distinct tickets, keyed at their first reopen in the bucket */
	if (nre)
		qsort(re, (size_t)nre, sizeof *re, cmp_row);
	for (int i = 0; i < nre; i++)
		if (i == 0 || re[i].bucket != re[i - 1].bucket || re[i].ticket != re[i - 1].ticket)
			add(r, re[i].bucket, re[i].g, &re[i].f);
	cb_free(re);
	return run_backlog(r, err);
fail:
	cb_free(re);
	return -1;
}

static int cmp_key(const char *a, const char *b)
{
	if (!a || !b)
		return (a == NULL) - (b == NULL); /* null last */
	return strcmp(a, b);
}

static int cmp_group(const void *x, const void *y, void *ctx)
{
	const report *r = ctx;
	return cmp_key(r->keys.keys[*(const int *)x], r->keys.keys[*(const int *)y]);
}

/* Sorts group indexes by key, null last. */
static void sort_idx(report *r, int *idx, int n)
{
	qsort_r(idx, (size_t)n, sizeof *idx, cmp_group, r);
}

/* Sorted indexes of the groups touched in bucket b. */
static int *sorted_groups(report *r, bucket *b, int *n)
{
	int *idx = cb_xmalloc((size_t)(b->ng + 1) * sizeof *idx);
	*n = 0;
	for (int g = 0; g < b->ng; g++)
		if (b->g[g])
			idx[(*n)++] = g;
	sort_idx(r, idx, *n);
	return idx;
}

static json_t *key_json(report *r, int g)
{
	const char *k = r->keys.keys[g];
	return k ? json_string(k) : json_null();
}

/* Sets "kpis" (and "groups" when grouped) of bucket bi on o. */
static void put_kpis(report *r, int bi, json_t *o)
{
	bucket *b = &r->b[bi];
	int n;
	int *idx = r->gb == G_NONE ? NULL : sorted_groups(r, b, &n);
	if (idx) {
		cb_kpi_acc **parts = cb_xmalloc((size_t)(n + 1) * sizeof *parts);
		for (int i = 0; i < n; i++)
			parts[i] = b->g[idx[i]];
		cb_kpi_acc_add_values(&b->all, parts, n);
		cb_free(parts);
	}
	json_object_set_new(o, "kpis", cb_kpi_acc_json(&b->all));
	if (!idx)
		return;
	json_t *groups = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(groups, json_pack("{s:o, s:o}", "key", key_json(r, idx[i]), "kpis",
							cb_kpi_acc_json(b->g[idx[i]])));
	cb_free(idx);
	json_object_set_new(o, "groups", groups);
}

/* ---- time zones and bucket edges ---- */

static int32_t off_at(const cb_tz_table *t, cb_ms at)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (t->v[mid].at <= at)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? t->v[lo - 1].offset_s : t->initial_offset_s;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int64_t local_day(const cb_tz_table *t, cb_ms at)
{
	return floor_div(at + (cb_ms)off_at(t, at) * 1000, DAY_MS);
}

/* The first instant of local date `day` (its midnight, or the end of a
 * gap that skips it). */
static cb_ms day_start(const cb_tz_table *t, int64_t day)
{
	cb_ms local = day * DAY_MS;
	cb_ms u = local - (cb_ms)off_at(t, local) * 1000;
	u = local - (cb_ms)off_at(t, u) * 1000;
	if (u + (cb_ms)off_at(t, u) * 1000 == local)
		return u;
	/* midnight skipped: the day starts at the transition in between */
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].at > u - DAY_MS && t->v[i].at + (cb_ms)t->v[i].offset_s * 1000 >= local)
			return t->v[i].at;
	return u;
}

static int64_t next_day(int64_t d, char kind)
{
	if (kind == 'd')
		return d + 1;
	if (kind == 'w') {
		int64_t wd = ((d + 3) % 7 + 7) % 7; /* 1970-01-01 was a Thursday; Monday = 0 */
		return d - wd + 7;
	}
	int64_t y;
	unsigned m, dd;
	cb_civil_from_days(d, &y, &m, &dd);
	return m == 12 ? cb_days_from_civil(y + 1, 1, 1) : cb_days_from_civil(y, m + 1, 1);
}

static int make_edges(report *r, cb_ms from, cb_ms to, const char *unit, const char *tz,
		      cb_err *err)
{
	if (!unit) {
		r->nb = 1;
		r->edges = cb_xmalloc(2 * sizeof *r->edges);
		r->edges[0] = from;
		r->edges[1] = to;
		return 0;
	}
	char kind = strcmp(unit, "day") == 0 ? 'd' : strcmp(unit, "week") == 0 ? 'w'
		    : strcmp(unit, "month") == 0 ? 'm' : 0;
	if (!kind)
		return cb_err_set(err, CB_E_INVALID, "bucket", "must be one of day, week, month");
	cb_tz_table t = {0};
	if (cb_tz_load(&t, tz ? tz : "UTC", NULL))
		return cb_err_set(err, CB_E_INVALID, "tz", "unknown time zone");
	int cap = 16, n = 0;
	cb_ms *e = cb_xmalloc((size_t)cap * sizeof *e);
	e[n++] = from;
	for (int64_t d = next_day(local_day(&t, from), kind);; d = next_day(d, kind)) {
		cb_ms s = day_start(&t, d);
		if (s >= to)
			break;
		if (s <= e[n - 1])
			continue;
		if (n > MAX_BUCKETS) {
			cb_free(e);
			cb_tz_table_clear(&t);
			return cb_err_set(err, CB_E_INVALID, "bucket", "more than %d buckets",
					  MAX_BUCKETS);
		}
		if (n + 1 >= cap) {
			cap *= 2;
			e = cb_xrealloc(e, (size_t)cap * sizeof *e);
		}
		e[n++] = s;
	}
	e[n++] = to;
	cb_tz_table_clear(&t);
	r->edges = e;
	r->nb = n - 1;
	return 0;
}

static int parse_time(const char *s, const char *field, int required, cb_ms *out, cb_err *err)
{
	if (!s) {
		if (required)
			return cb_err_set(err, CB_E_INVALID, field, "is required (RFC 3339)");
		return 0;
	}
	if (cb_time_parse(s, out))
		return cb_err_set(err, CB_E_INVALID, field, "must be an RFC 3339 instant");
	return 0;
}

static int parse_period(const char *f, const char *t, cb_ms *from, cb_ms *to, cb_err *err)
{
	if (parse_time(f, "from", 1, from, err) || parse_time(t, "to", 1, to, err))
		return -1;
	if (*from >= *to)
		return cb_err_set(err, CB_E_INVALID, "to", "must be after from");
	return 0;
}

json_t *cb_report_kpis(cb_conn *c, const cb_report_spec *spec, cb_ms now, cb_err *err)
{
	report r = {.c = c, .now = now, .direct = spec->source_facts};
	r.keys.null_idx = -1;
	cb_ms from = 0, to = 0;
	if (parse_period(spec->from, spec->to, &from, &to, err) ||
	    parse_group_by(spec->group_by, &r.gb, "group_by", err))
		return NULL;
	if (spec->tz && !spec->bucket) {
		cb_err_set(err, CB_E_INVALID, "tz", "applies to buckets only; give bucket too");
		return NULL;
	}
	if (make_edges(&r, from, to, spec->bucket, spec->tz, err) || run(&r, err)) {
		report_free(&r);
		return NULL;
	}
	json_t *o = json_object();
	json_object_set_new(o, "from", cb_json_time(from));
	json_object_set_new(o, "to", cb_json_time(to));
	json_object_set_new(o, "group_by", r.gb ? json_string(gb_names[r.gb]) : json_null());
	if (!spec->bucket) {
		put_kpis(&r, 0, o);
	} else {
		json_object_set_new(o, "bucket", json_string(spec->bucket));
		json_object_set_new(o, "tz", json_string(spec->tz ? spec->tz : "UTC"));
		json_t *bs = json_array();
		for (int i = 0; i < r.nb; i++) {
			json_t *b = json_object();
			json_object_set_new(b, "from", cb_json_time(r.edges[i]));
			json_object_set_new(b, "to", cb_json_time(r.edges[i + 1]));
			put_kpis(&r, i, b);
			json_array_append_new(bs, b);
		}
		json_object_set_new(o, "buckets", bs);
	}
	report_free(&r);
	return o;
}

char *cb_report_dumps(json_t *v)
{
	/* 15 significant digits print 2- and 4-place decimals as written */
	return json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(15));
}

/* ---- CSV ---- */

/* Cells go through util/csv.h: text is neutralised against formula
 * injection (a category "=HYPERLINK(...)" stays text), numbers stay numbers. */
static void csv_value(cb_buf *b, json_t *v)
{
	if (json_is_integer(v))
		cb_csv_int(b, (int64_t)json_integer_value(v));
	else if (json_is_real(v))
		cb_csv_real(b, json_real_value(v));
	else if (json_is_string(v))
		cb_csv_text(b, json_string_value(v));
}

/* Leaves of a kpis object in order: names (header) or values (row). */
static void csv_leaves(cb_buf *b, json_t *o, const char *prefix, int header)
{
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v) {
		char name[256];
		snprintf(name, sizeof name, "%s%s%s", prefix, *prefix ? "." : "", k);
		if (json_is_object(v)) {
			csv_leaves(b, v, name, header);
			continue;
		}
		cb_buf_puts(b, ",");
		if (header)
			cb_csv_text(b, name);
		else
			csv_value(b, v);
	}
}

static void csv_row(cb_buf *b, json_t *from, json_t *to, json_t *gb, const char *scope,
		    json_t *key, json_t *kpis)
{
	csv_value(b, from);
	cb_buf_puts(b, ",");
	csv_value(b, to);
	cb_buf_puts(b, ",");
	csv_value(b, gb);
	cb_buf_printf(b, ",%s,", scope);
	csv_value(b, key);
	csv_leaves(b, kpis, "", 0);
	cb_buf_puts(b, "\r\n");
}

static void csv_block(cb_buf *b, json_t *o, json_t *from, json_t *to, json_t *gb)
{
	csv_row(b, from, to, gb, "all", NULL, json_object_get(o, "kpis"));
	size_t i;
	json_t *g;
	json_array_foreach(json_object_get(o, "groups"), i, g)
		csv_row(b, from, to, gb, "group", json_object_get(g, "key"), json_object_get(g, "kpis"));
}

void cb_report_csv(json_t *rep, cb_buf *out)
{
	json_t *bs = json_object_get(rep, "buckets");
	json_t *first = bs ? json_object_get(json_array_get(bs, 0), "kpis")
			   : json_object_get(rep, "kpis");
	cb_buf_puts(out, "from,to,group_by,scope,key");
	if (first)
		csv_leaves(out, first, "", 1);
	cb_buf_puts(out, "\r\n");
	json_t *gb = json_object_get(rep, "group_by");
	if (!bs) {
		csv_block(out, rep, json_object_get(rep, "from"), json_object_get(rep, "to"), gb);
		return;
	}
	size_t i;
	json_t *b;
	json_array_foreach(bs, i, b)
		csv_block(out, b, json_object_get(b, "from"), json_object_get(b, "to"), gb);
}

/* ---- operational reports ---- */

json_t *cb_report_backlog(cb_conn *c, const char *at_s, const char *group_by, cb_ms now,
			  cb_err *err)
{
	report r = {.c = c, .now = now};
	r.keys.null_idx = -1;
	cb_ms at = now;
	if (parse_time(at_s, "at", 0, &at, err) || parse_group_by(group_by, &r.gb, "group_by", err))
		return NULL;
	r.nb = 1;
	r.edges = cb_xmalloc(2 * sizeof *r.edges);
	r.edges[0] = r.edges[1] = at;
	r.b = cb_xcalloc(1, sizeof *r.b);
	if (run_backlog(&r, err)) {
		report_free(&r);
		return NULL;
	}
	json_t *o = json_object();
	json_object_set_new(o, "at", cb_json_time(at));
	json_object_set_new(o, "group_by", r.gb ? json_string(gb_names[r.gb]) : json_null());
	json_t *k = cb_kpi_acc_json(&r.b[0].all);
	json_object_set(o, "backlog_aging", json_object_get(k, "backlog_aging"));
	json_decref(k);
	if (r.gb) {
		int n;
		int *idx = sorted_groups(&r, &r.b[0], &n);
		json_t *groups = json_array();
		for (int i = 0; i < n; i++) {
			json_t *gk = cb_kpi_acc_json(r.b[0].g[idx[i]]);
			json_array_append_new(groups, json_pack("{s:o, s:O}", "key", key_json(&r, idx[i]),
								"backlog_aging",
								json_object_get(gk, "backlog_aging")));
			json_decref(gk);
		}
		cb_free(idx);
		json_object_set_new(o, "groups", groups);
	}
	report_free(&r);
	return o;
}

typedef struct {
	int64_t open, at_risk, breached;
} health;

json_t *cb_report_queue_health(cb_conn *c, cb_ms now, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_REPORT_QUEUE, err);
	if (!q)
		return NULL;
	report r = {.c = c, .gb = G_GROUP, .now = now};
	r.keys.null_idx = -1;
	health total = {0}, *per = NULL;
	int nper = 0, rc;
	while ((rc = cb_q_step(q, err)) == 1) {
		int64_t gid = cb_q_isnull(q, 0) ? 0 : cb_q_i64(q, 0);
		cb_ms due = cb_q_isnull(q, 1) ? 0 : cb_q_i64(q, 1);
		cb_ms risk = cb_q_isnull(q, 2) ? 0 : cb_q_i64(q, 2);
		int breached = cb_q_i64(q, 3) || (due && due < now);
		int at_risk = !breached && risk && risk <= now;
		int g = keymap_find(&r.keys, gid ? lookup(c, r.names, G_GROUP, gid)->name : NULL);
		if (g >= nper) {
			per = cb_xrealloc(per, (size_t)(g + 8) * sizeof *per);
			memset(per + nper, 0, (size_t)(g + 8 - nper) * sizeof *per);
			nper = g + 8;
		}
		health *h[2] = {&total, &per[g]};
		for (int i = 0; i < 2; i++) {
			h[i]->open++;
			h[i]->at_risk += at_risk;
			h[i]->breached += breached;
		}
	}
	json_t *o = NULL;
	if (rc == 0) {
		o = json_object();
		json_object_set_new(o, "at", cb_json_time(now));
		json_object_set_new(o, "total", json_pack("{s:I, s:I, s:I}", "open", (json_int_t)total.open,
							  "at_risk", (json_int_t)total.at_risk,
							  "breached", (json_int_t)total.breached));
		int n = 0;
		int *idx = cb_xmalloc((size_t)(nper + 1) * sizeof *idx);
		for (int g = 0; g < nper; g++)
			if (per[g].open)
				idx[n++] = g;
		sort_idx(&r, idx, n);
		json_t *groups = json_array();
		for (int i = 0; i < n; i++) {
			health *h = &per[idx[i]];
			json_array_append_new(groups, json_pack("{s:o, s:I, s:I, s:I}", "key",
								key_json(&r, idx[i]), "open",
								(json_int_t)h->open, "at_risk",
								(json_int_t)h->at_risk, "breached",
								(json_int_t)h->breached));
		}
		cb_free(idx);
		json_object_set_new(o, "groups", groups);
	}
	cb_free(per);
	r.nb = 0;
	report_free(&r);
	return o;
}

typedef struct {
	char *key; /* NULL = none */
	int64_t now, prev;
} driver;

static int cmp_driver(const void *x, const void *y)
{
	const driver *a = x, *b = y;
	if (a->now != b->now)
		return a->now > b->now ? -1 : 1;
	return cmp_key(a->key, b->key);
}

/* Counts by key over [from, to) and the previous period, top `limit`. */
static json_t *drivers(cb_conn *c, cb_sql sql, cb_ms from, cb_ms to, int limit, cb_err *err)
{
	keymap km = {.null_idx = -1};
	driver *d = NULL;
	int nd = 0;
	cb_ms len = to - from;
	json_t *out = NULL;
	for (int pass = 0; pass < 2; pass++) {
		cb_q *q = cb_q_get(c, sql, err);
		if (!q)
			goto done;
		cb_q_bind_i64(q, 1, pass ? from - len : from);
		cb_q_bind_i64(q, 2, pass ? from : to);
		int rc;
		while ((rc = cb_q_step(q, err)) == 1) {
			int i = keymap_find(&km, cb_q_isnull(q, 0) ? NULL : cb_q_text(q, 0));
			if (i >= nd) {
				d = cb_xrealloc(d, (size_t)(i + 1) * sizeof *d);
				memset(d + nd, 0, (size_t)(i + 1 - nd) * sizeof *d);
				nd = i + 1;
			}
			d[i].key = km.keys[i];
			if (pass)
				d[i].prev = cb_q_i64(q, 1);
			else
				d[i].now = cb_q_i64(q, 1);
		}
		if (rc < 0)
			goto done;
	}
	if (nd)
		qsort(d, (size_t)nd, sizeof *d, cmp_driver);
	out = json_array();
	for (int i = 0; i < nd && (int)json_array_size(out) < limit; i++) {
		if (!d[i].now)
			continue;
		json_array_append_new(out, json_pack("{s:o, s:I, s:I, s:I}", "key",
						     d[i].key ? json_string(d[i].key) : json_null(),
						     "count", (json_int_t)d[i].now, "previous",
						     (json_int_t)d[i].prev, "change",
						     (json_int_t)(d[i].now - d[i].prev)));
	}
done:
	cb_free(d);
	keymap_free(&km);
	return out;
}

json_t *cb_report_top_drivers(cb_conn *c, const char *from_s, const char *to_s, int limit,
			      cb_err *err)
{
	cb_ms from, to;
	if (parse_period(from_s, to_s, &from, &to, err))
		return NULL;
	json_t *cats = drivers(c, CB_SQL_REPORT_CATEGORIES, from, to, limit, err);
	json_t *tags = cats ? drivers(c, CB_SQL_REPORT_TAGS, from, to, limit, err) : NULL;
	if (!tags) {
		json_decref(cats);
		return NULL;
	}
	return json_pack("{s:o, s:o, s:{s:o, s:o}, s:o, s:o}", "from", cb_json_time(from), "to",
			 cb_json_time(to), "previous", "from", cb_json_time(from - (to - from)), "to",
			 cb_json_time(from), "categories", cats, "tags", tags);
}

static int parse_weights(const char *s, int64_t w[5], cb_err *err)
{
	while (s && *s) {
		int p;
		char pn[3] = {s[0], s[0] ? s[1] : 0, 0};
		char *end;
		if (cb_priority_parse(pn, &p) || s[2] != ':')
			return cb_err_set(err, CB_E_INVALID, "weights", "must look like P1:8,P2:4,P3:2,P4:1");
		long long v = strtoll(s + 3, &end, 10);
		if (end == s + 3 || v < 0 || v > 1000000 || (*end && *end != ','))
			return cb_err_set(err, CB_E_INVALID, "weights", "must look like P1:8,P2:4,P3:2,P4:1");
		w[p] = v;
		s = *end ? end + 1 : end;
	}
	return 0;
}

typedef struct {
	int64_t solved[5];
	int64_t weighted;
	int g;
} through;

static int cmp_through(const void *x, const void *y, void *ctx)
{
	const report *r = ctx;
	const through *a = x, *b = y;
	if (a->weighted != b->weighted)
		return a->weighted > b->weighted ? -1 : 1;
	return cmp_key(r->keys.keys[a->g], r->keys.keys[b->g]);
}

/* long: the range, weights and grouping checks feed the one query loop */
json_t *cb_report_throughput(cb_conn *c, const char *from_s, const char *to_s, const char *by,
			     const char *weights, cb_err *err)
{
	cb_ms from, to;
	if (parse_period(from_s, to_s, &from, &to, err))
		return NULL;
	int gb = G_ASSIGNEE;
	if (by && strcmp(by, "group") == 0)
		gb = G_GROUP;
	else if (by && strcmp(by, "agent") != 0) {
		cb_err_set(err, CB_E_INVALID, "by", "must be agent or group");
		return NULL;
	}
	int64_t w[5] = {0, 8, 4, 2, 1};
	if (!weights) {
		/* the setting, a JSON object {"P1": 8, ...} */
		cb_q *q = cb_q_get(c, CB_SQL_REPORT_WEIGHTS, err);
		if (!q)
			return NULL;
		if (cb_q_step(q, err) == 1) {
			json_t *s = json_loads(cb_q_text(q, 0), 0, NULL);
			cb_q_reset(q);
			for (int p = 1; p <= 4; p++) {
				json_t *v = json_object_get(s, cb_priority_name(p));
				if (json_is_integer(v) && json_integer_value(v) >= 0)
					w[p] = (int64_t)json_integer_value(v);
			}
			json_decref(s);
		}
	} else if (parse_weights(weights, w, err)) {
		return NULL;
	}
	report r = {.c = c, .gb = gb};
	r.keys.null_idx = -1;
	cb_q *q = cb_q_get(c, CB_SQL_KPI_RANGE, err);
	if (!q)
		return NULL;
	cb_q_bind_i64(q, 1, CB_KPI_SOLVE_FINAL);
	cb_q_bind_i64(q, 2, from);
	cb_q_bind_i64(q, 3, to);
	through *t = NULL;
	int nt = 0, rc;
	while ((rc = cb_q_step(q, err)) == 1) {
		cb_kpi_fact f;
		int64_t tid;
		int g = read_row(&r, q, &f, &tid);
		if (g >= nt) {
			t = cb_xrealloc(t, (size_t)(g + 8) * sizeof *t);
			memset(t + nt, 0, (size_t)(g + 8 - nt) * sizeof *t);
			nt = g + 8;
		}
		int p = f.keys.priority >= 1 && f.keys.priority <= 4 ? f.keys.priority : 3;
		t[g].solved[0]++;
		t[g].solved[p]++;
		t[g].weighted += w[p];
	}
	json_t *o = NULL;
	if (rc == 0) {
		int n = 0;
		for (int g = 0; g < nt; g++)
			if (t[g].solved[0]) {
				t[g].g = g;
				t[n++] = t[g];
			}
		qsort_r(t, (size_t)n, sizeof *t, cmp_through, &r);
		json_t *items = json_array();
		for (int i = 0; i < n; i++) {
			json_t *bp = json_object();
			for (int p = 1; p <= 4; p++)
				json_object_set_new(bp, cb_priority_name(p), json_integer(t[i].solved[p]));
			json_array_append_new(items, json_pack("{s:o, s:I, s:o, s:I}", "key",
							       key_json(&r, t[i].g), "solved",
							       (json_int_t)t[i].solved[0], "by_priority", bp,
							       "weighted", (json_int_t)t[i].weighted));
		}
		o = json_pack("{s:o, s:o, s:s, s:{s:I, s:I, s:I, s:I}, s:o}", "from", cb_json_time(from),
			      "to", cb_json_time(to), "by", gb == G_GROUP ? "group" : "agent", "weights",
			      "P1", (json_int_t)w[1], "P2", (json_int_t)w[2], "P3", (json_int_t)w[3],
			      "P4", (json_int_t)w[4], "items", items);
	}
	cb_free(t);
	report_free(&r);
	return o;
}

/* ---- /metrics ---- */

static int clock_index(const char *s)
{
	for (int k = 0; k < CB_CLOCK__COUNT; k++)
		if (s && strcmp(s, cb_sla_clock_name(k)) == 0)
			return k;
	return -1;
}

void cb_report_metrics_render(cb_db *db, cb_ms now, cb_buf *b)
{
	static const char *const st[] = {"new", "open", "pending", "on_hold"};
	static const char *const cs[] = {"running", "paused", "at_risk", "breached"};
	long long open[5][4] = {{0}};
	long long clocks[CB_CLOCK__COUNT][4] = {{0}}, breaches[CB_CLOCK__COUNT] = {0};
	cb_err err = {0};
	cb_conn *c = cb_db_reader(db, &err);
	cb_q *q = c ? cb_q_get(c, CB_SQL_REPORT_OPEN_TICKETS, &err) : NULL;
	while (q && cb_q_step(q, &err) == 1) {
		int p;
		if (cb_priority_parse(cb_q_text(q, 0), &p))
			continue;
		for (int s = 0; s < 4; s++)
			if (strcmp(cb_q_text(q, 1), st[s]) == 0)
				open[p][s] = (long long)cb_q_i64(q, 2);
	}
	q = c ? cb_q_get(c, CB_SQL_REPORT_LIVE_CLOCKS, &err) : NULL;
	while (q && cb_q_step(q, &err) == 1) {
		int k = clock_index(cb_q_text(q, 0));
		if (k < 0)
			continue;
		const char *state = cb_q_text(q, 1);
		cb_ms due = cb_q_isnull(q, 2) ? 0 : cb_q_i64(q, 2);
		cb_ms risk = cb_q_isnull(q, 3) ? 0 : cb_q_i64(q, 3);
		if (strcmp(state, "breached") == 0) {
			clocks[k][3]++;
		} else if (strcmp(state, "paused") == 0) {
			clocks[k][1]++;
		} else if (due && due < now) {
			clocks[k][3]++; /* breached since the last fold: its timer is due */
			breaches[k]++;
		} else {
			clocks[k][0]++;
			clocks[k][2] += risk && risk <= now;
		}
	}
	q = c ? cb_q_get(c, CB_SQL_REPORT_BREACHES, &err) : NULL;
	while (q && cb_q_step(q, &err) == 1) {
		int k = clock_index(cb_q_text(q, 0));
		if (k >= 0)
			breaches[k] += (long long)cb_q_i64(q, 1);
	}
	if (c)
		cb_conn_reset_all(c);
	cb_buf_puts(b, "# HELP casebook_tickets_open Unsolved tickets by priority and status.\n"
		       "# TYPE casebook_tickets_open gauge\n");
	for (int p = 1; p <= 4; p++)
		for (int s = 0; s < 4; s++)
			cb_buf_printf(b, "casebook_tickets_open{priority=\"P%d\",status=\"%s\"} %lld\n", p,
				      st[s], open[p][s]);
	cb_buf_puts(b, "# HELP casebook_sla_clocks Unsettled SLA clocks by state (at_risk is a"
		       " subset of running; breached: running or paused past the target).\n"
		       "# TYPE casebook_sla_clocks gauge\n");
	for (int k = 0; k < CB_CLOCK__COUNT; k++)
		for (int s = 0; s < 4; s++)
			cb_buf_printf(b, "casebook_sla_clocks{clock=\"%s\",state=\"%s\"} %lld\n",
				      cb_sla_clock_name(k), cs[s], clocks[k][s]);
	cb_buf_puts(b, "# HELP casebook_sla_breaches_total SLA clock instances breached so far, by target.\n"
		       "# TYPE casebook_sla_breaches_total counter\n");
	for (int k = 0; k < CB_CLOCK__COUNT; k++)
		cb_buf_printf(b, "casebook_sla_breaches_total{clock=\"%s\"} %lld\n", cb_sla_clock_name(k),
			      breaches[k]);
}

/* ---- the after-write step and rebuilds ---- */

int cb_report_project(const cb_projection *p, cb_err *err)
{
	return cb_report_store_facts(p->c, p->ticket, p->kpi, p->sla, err);
}

int cb_report_ticket_count(cb_app *app, int64_t *out, cb_err *err)
{
	cb_conn *c = cb_db_reader(app->db, err);
	cb_q *q = c ? cb_q_get(c, CB_SQL_REPORT_TICKET_COUNT, err) : NULL;
	if (!q || cb_q_step(q, err) != 1)
		return -1;
	*out = cb_q_i64(q, 0);
	cb_conn_reset_all(c);
	return 0;
}

int cb_report_ticket_ids(cb_app *app, int64_t after, int max, int64_t *ids, int *out_n,
			 cb_err *err)
{
	*out_n = 0;
	cb_conn *c = cb_db_reader(app->db, err);
	cb_q *q = c ? cb_q_get(c, CB_SQL_REPORT_TICKET_IDS, err) : NULL;
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, after);
	cb_q_bind_i64(q, 2, max);
	int n = 0, r = 0;
	while (n < max && (r = cb_q_step(q, err)) == 1)
		ids[n++] = cb_q_i64(q, 0);
	cb_conn_reset_all(c);
	if (r < 0)
		return -1;
	*out_n = n;
	return 0;
}

static int derive_fn(cb_conn *c, void *arg, cb_err *err)
{
	(void)arg;
	return cb_conn_run(c, CB_SQL_ROLLUP_REBUILD, err);
}

int cb_report_rollups_derive(cb_app *app, cb_err *err)
{
	return cb_db_write(app->db, derive_fn, NULL, err);
}
