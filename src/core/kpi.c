/* kpi.c - KPI facts and statistics (see kpi.h and docs/metrics.md section 5).
 *
 * DESIGN
 * cb_kpi_apply() sees every event with the ticket state right after it, so
 * each KPI event records the keys of that instant ("the ticket's value
 * right after the KPI's event"). Key changes are kept as a short timeline
 * for the SLA settlements, whose instants (a breach at its due instant) may
 * fall between events: their keys are those in force after every event at
 * or before the instant. The backlog is cut into segments at every event
 * that changes a key or solves/reopens the ticket, so "unsolved at `to`
 * with keys K" is one range condition: at < to <= until (an event at `to`
 * is excluded, so a segment ending at `to` still counts). */
#include "core/kpi.h"
#include "util/alloc.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static void *grow(void *p, int *cap, int need, size_t size)
{
	if (need <= *cap)
		return p;
	int c = *cap ? *cap * 2 : 8;
	while (c < need)
		c *= 2;
	*cap = c;
	return cb_xrealloc(p, (size_t)c * size);
}

void cb_kpi_init(cb_kpi *k)
{
	memset(k, 0, sizeof *k);
	k->status = CB_ST_NEW;
}

void cb_kpi_free(cb_kpi *k)
{
	for (int i = 0; i < k->nstrs; i++)
		cb_free(k->strs[i]);
	cb_free(k->strs);
	cb_free(k->kt);
	cb_free(k->esc);
	cb_free(k->facts);
	memset(k, 0, sizeof *k);
}

static const char *intern(cb_kpi *k, const char *s)
{
	if (!s)
		return NULL;
	for (int i = 0; i < k->nstrs; i++)
		if (strcmp(k->strs[i], s) == 0)
			return k->strs[i];
	k->strs = grow(k->strs, &k->cstrs, k->nstrs + 1, sizeof *k->strs);
	return k->strs[k->nstrs++] = cb_xstrdup(s);
}

static int keys_eq(const cb_kpi_keys *a, const cb_kpi_keys *b)
{
	return a->priority == b->priority && a->account_id == b->account_id &&
	       a->category == b->category && a->group_id == b->group_id &&
	       a->assignee_id == b->assignee_id;
}

static cb_kpi_fact *push(cb_kpi *k, cb_kpi_kind kind, cb_ms at, const cb_kpi_keys *keys)
{
	k->facts = grow(k->facts, &k->cfacts, k->nfacts + 1, sizeof *k->facts);
	cb_kpi_fact *f = &k->facts[k->nfacts];
	memset(f, 0, sizeof *f);
	f->kind = kind;
	f->seq = k->nfacts++;
	f->at = at;
	f->keys = *keys;
	return f;
}

static int unsolved(cb_status s)
{
	return s != CB_ST_SOLVED && s != CB_ST_CLOSED;
}

static cb_kpi_esc *esc_target(cb_kpi *k, json_t *data)
{
	json_t *id = json_object_get(data, "escalation");
	if (json_is_integer(id))
		for (int i = k->nesc - 1; i >= 0; i--)
			if (k->esc[i].id == (int64_t)json_integer_value(id))
				return &k->esc[i];
	return k->nesc ? &k->esc[k->nesc - 1] : NULL; /* the latest escalation */
}

/* long: a flat switch over event types */
void cb_kpi_apply(cb_kpi *k, const cb_ticket *after, const cb_event *e)
{
	/* SLA timeline events are informational and dated at the clock's
	 * instant, which may precede later events: they change nothing */
	if (e->type == CB_EV_SLA)
		return;
	cb_ms at = e->at;
	cb_kpi_keys now = {
		.priority = after->priority,
		.account_id = after->account_id,
		.category = intern(k, json_string_value(json_object_get(after->doc, "category"))),
		.group_id = after->group_id,
		.assignee_id = after->assignee_id,
	};
	cb_status from = k->status, to = after->status;
	switch (e->type) {
	case CB_EV_CREATED:
		k->started = 1;
		k->created_at = at;
		k->created_k = now;
		break;
	case CB_EV_COMMENT: {
		const char *side = json_string_value(json_object_get(e->data, "side"));
		if (json_is_true(json_object_get(e->data, "public")) && side &&
		    strcmp(side, "agent") == 0 && k->replies++ == 0) {
			k->reply_at = at;
			k->reply_k = now;
		}
		break;
	}
	case CB_EV_STATUS:
		if (to == CB_ST_SOLVED && from != CB_ST_SOLVED) {
			if (k->solves++ == 0) {
				k->first_solve_at = at;
				k->first_solve_k = now;
			}
			k->final_solve_at = at;
			k->final_solve_k = now;
		}
		if (cb_ticket_is_reopen(from, to)) {
			k->reopens++;
			push(k, CB_KPI_REOPEN, at, &now);
		}
		break;
	case CB_EV_ESCALATION: {
		k->esc = grow(k->esc, &k->cesc, k->nesc + 1, sizeof *k->esc);
		cb_kpi_esc *x = &k->esc[k->nesc++];
		memset(x, 0, sizeof *x);
		/* the escalation's id: "escalation" (live and re-imported), "id" (older imports) */
		json_t *id = json_object_get(e->data, "escalation");
		if (!json_is_integer(id))
			id = json_object_get(e->data, "id");
		x->id = json_is_integer(id) ? (int64_t)json_integer_value(id) : 0;
		x->at = at;
		x->k = now;
		break;
	}
	case CB_EV_ESCALATION_ACK:
	case CB_EV_ESCALATION_ACCEPTED:
	case CB_EV_ESCALATION_RETURNED: {
		cb_kpi_esc *x = esc_target(k, e->data);
		if (!x)
			break;
		if (!x->engaged_at)
			x->engaged_at = at;
		if (e->type != CB_EV_ESCALATION_ACK && !x->decided_at) {
			x->decided_at = at;
			x->dk = now;
			x->accepted = e->type == CB_EV_ESCALATION_ACCEPTED;
		}
		break;
	}
	case CB_EV_CSAT:
	case CB_EV_CES: {
		json_t *s = json_object_get(e->data, "score");
		if (!json_is_integer(s))
			break;
		if (e->type == CB_EV_CSAT) {
			k->has_csat = 1;
			k->csat = (int)json_integer_value(s);
			k->csat_at = at;
			k->csat_k = now;
		} else {
			k->has_ces = 1;
			k->ces = (int)json_integer_value(s);
			k->ces_at = at;
			k->ces_k = now;
		}
		break;
	}
	default:
		break;
	}
	/* key timeline */
	if (!k->nkt || !keys_eq(&k->kt[k->nkt - 1].k, &now)) {
		k->kt = grow(k->kt, &k->ckt, k->nkt + 1, sizeof *k->kt);
		k->kt[k->nkt++] = (cb_kpi_keyed){.at = at, .k = now};
	}
	/* backlog segments */
	int open = unsolved(to);
	if (k->seg_open && (!open || !keys_eq(&k->seg_k, &now))) {
		cb_kpi_fact *f = push(k, CB_KPI_BACKLOG, k->seg_start, &k->seg_k);
		f->until = at;
		k->seg_open = 0;
	}
	if (open && !k->seg_open) {
		k->seg_open = 1;
		k->seg_start = at;
		k->seg_k = now;
	}
	k->status = to;
	k->last_at = at;
}

/* Keys in force at instant t: after every event at or before t. */
static const cb_kpi_keys *keys_at(const cb_kpi *k, cb_ms t)
{
	int lo = 0, hi = k->nkt - 1;
	while (lo < hi) {
		int mid = (lo + hi + 1) / 2;
		if (k->kt[mid].at <= t)
			lo = mid;
		else
			hi = mid - 1;
	}
	return &k->kt[lo].k;
}

cb_ms cb_kpi_due(const cb_sla_instance *x, cb_ms *at_risk)
{
	if (at_risk)
		*at_risk = 0;
	if (x->ended || !x->running || x->breached || x->target_ms < 0 || !x->cal)
		return 0;
	int64_t rem = x->target_ms - x->elapsed_ms;
	cb_ms due = rem <= 0 ? x->seg_start : x->cal->business_due(x->cal->cal, x->seg_start, rem);
	if (due == INT64_MAX)
		return 0;
	if (at_risk) {
		int64_t risk = x->target_ms - x->target_ms / 4; /* elapsed at which it is at risk */
		*at_risk = x->elapsed_ms >= risk ? x->seg_start
			   : x->cal->business_due(x->cal->cal, x->seg_start, risk - x->elapsed_ms);
	}
	return due;
}

static void sla_facts(cb_kpi *k, const cb_sla *s)
{
	static const cb_kpi_kind kinds[CB_CLOCK__COUNT] = {CB_KPI_SLA_FR, CB_KPI_SLA_NU,
							   CB_KPI_SLA_RES};
	for (int c = 0; c < CB_CLOCK__COUNT; c++) {
		int n;
		const cb_sla_instance *in = cb_sla_instances(s, c, &n);
		for (int i = 0; i < n; i++) {
			const cb_sla_instance *x = &in[i];
			if (!x->ever_target || x->cancelled)
				continue;
			if (x->settled_at) {
				cb_kpi_fact *f = push(k, kinds[c], x->settled_at, keys_at(k, x->settled_at));
				f->flag = x->breached ? CB_KPI_SLA_BREACHED : CB_KPI_SLA_MET;
				continue;
			}
			/* running after the last event: it breaches at its due instant
			 * unless an event comes first (which re-folds the ticket) */
			cb_ms due = cb_kpi_due(x, NULL);
			if (!due)
				continue;
			cb_kpi_fact *f = push(k, kinds[c], due, keys_at(k, due));
			f->flag = CB_KPI_SLA_DUE;
		}
	}
}

int cb_kpi_finish(cb_kpi *k, const cb_sla *s, const cb_kpi_fact **out)
{
	if (!k->started) {
		*out = k->facts;
		return k->nfacts;
	}
	cb_kpi_fact *f = push(k, CB_KPI_CREATED, k->created_at, &k->created_k);
	f->flag = k->nesc > 0;
	if (k->replies) {
		f = push(k, CB_KPI_FRT, k->reply_at, &k->reply_k);
		f->v1 = k->reply_at - k->created_at;
		f->v2 = -1;
		if (s && s->fr.ever_target && !s->fr.cancelled && s->fr.fulfilled_at == k->reply_at &&
		    s->fr.ended)
			f->v2 = s->fr.elapsed_ms;
	}
	if (k->solves) {
		f = push(k, CB_KPI_SOLVE_FIRST, k->first_solve_at, &k->first_solve_k);
		f->flag = k->reopens > 0;
	}
	if (k->solves && !unsolved(k->status)) {
		f = push(k, CB_KPI_SOLVE_FINAL, k->final_solve_at, &k->final_solve_k);
		f->v1 = k->final_solve_at - k->created_at;
		f->v2 = -1;
		if (s && s->res.ever_target && !s->res.cancelled && s->res.ended &&
		    s->res.fulfilled_at == k->final_solve_at)
			f->v2 = s->res.elapsed_ms;
		f->flag = k->replies == 1 && k->reopens == 0 && k->nesc == 0;
	}
	for (int i = 0; i < k->nesc; i++) {
		const cb_kpi_esc *x = &k->esc[i];
		f = push(k, CB_KPI_ESCALATION, x->at, &x->k);
		f->v1 = x->engaged_at ? x->engaged_at - x->at : -1;
		if (x->decided_at) {
			f = push(k, CB_KPI_ESC_DECISION, x->decided_at, &x->dk);
			f->flag = x->accepted;
		}
	}
	if (k->has_csat) {
		f = push(k, CB_KPI_CSAT, k->csat_at, &k->csat_k);
		f->v1 = k->csat;
	}
	if (k->has_ces) {
		f = push(k, CB_KPI_CES, k->ces_at, &k->ces_k);
		f->v1 = k->ces;
	}
	if (s)
		sla_facts(k, s);
	if (k->seg_open) {
		f = push(k, CB_KPI_BACKLOG, k->seg_start, &k->seg_k);
		f->until = CB_KPI_OPEN_END;
		k->seg_open = 0;
	}
	for (int i = 0; i < k->nfacts; i++)
		if (k->facts[i].kind == CB_KPI_BACKLOG)
			k->facts[i].v1 = k->created_at;
	*out = k->facts;
	return k->nfacts;
}

/* ---- statistics ---- */

int64_t cb_kpi_percentile(const int64_t *sorted, int n, int q)
{
	int64_t rank = ((int64_t)q * n + 99) / 100; /* ceil(q*n/100) */
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}

int64_t cb_kpi_round(int64_t num, int64_t den, int64_t scale)
{
	return (2 * num * scale + den) / (2 * den);
}

int cb_kpi_age_bucket(int64_t age_ms)
{
	static const int64_t day = 86400000;
	return age_ms < day ? 0 : age_ms < 3 * day ? 1 : age_ms < 7 * day ? 2 : age_ms < 14 * day ? 3 : 4;
}

static void vec_push(cb_kpi_vec *v, int64_t x)
{
	v->v = grow(v->v, &v->cap, v->n + 1, sizeof *v->v);
	v->v[v->n++] = x;
}

void cb_kpi_acc_free(cb_kpi_acc *a)
{
	if (!a)
		return;
	cb_free(a->frt.v);
	cb_free(a->frt_b.v);
	cb_free(a->ttr.v);
	cb_free(a->ttr_b.v);
	cb_free(a->mtte.v);
	memset(a, 0, sizeof *a);
}

static void acc_add(cb_kpi_acc *a, const cb_kpi_fact *f, cb_ms to, cb_ms now, int vals);

void cb_kpi_acc_add(cb_kpi_acc *a, const cb_kpi_fact *f, cb_ms to, cb_ms now)
{
	acc_add(a, f, to, now, 1);
}

void cb_kpi_acc_add_counts(cb_kpi_acc *a, const cb_kpi_fact *f, cb_ms to, cb_ms now)
{
	acc_add(a, f, to, now, 0);
}

static void vec_append(cb_kpi_vec *v, cb_kpi_vec *const *parts, int n)
{
	int total = v->n;
	for (int i = 0; i < n; i++)
		total += parts[i]->n;
	v->v = grow(v->v, &v->cap, total, sizeof *v->v);
	for (int i = 0; i < n; i++) {
		if (parts[i]->n)
			memcpy(v->v + v->n, parts[i]->v, (size_t)parts[i]->n * sizeof *v->v);
		v->n += parts[i]->n;
	}
}

void cb_kpi_acc_add_values(cb_kpi_acc *a, cb_kpi_acc *const *parts, int n)
{
	cb_kpi_vec **p = cb_xmalloc((size_t)(n + 1) * sizeof *p);
	size_t off[] = {offsetof(cb_kpi_acc, frt), offsetof(cb_kpi_acc, frt_b),
			offsetof(cb_kpi_acc, ttr), offsetof(cb_kpi_acc, ttr_b),
			offsetof(cb_kpi_acc, mtte)};
	for (size_t k = 0; k < sizeof off / sizeof off[0]; k++) {
		for (int i = 0; i < n; i++)
			p[i] = (cb_kpi_vec *)((char *)parts[i] + off[k]);
		vec_append((cb_kpi_vec *)((char *)a + off[k]), p, n);
	}
	cb_free(p);
}

static void acc_add(cb_kpi_acc *a, const cb_kpi_fact *f, cb_ms to, cb_ms now, int vals)
{
	switch (f->kind) {
	case CB_KPI_CREATED:
		a->created++;
		a->esc_n++;
		a->esc_k += f->flag != 0;
		break;
	case CB_KPI_FRT:
		if (!vals)
			break;
		vec_push(&a->frt, f->v1 / 1000);
		if (f->v2 >= 0)
			vec_push(&a->frt_b, f->v2 / 1000);
		break;
	case CB_KPI_SOLVE_FINAL:
		a->solved++;
		if (vals) {
			vec_push(&a->ttr, f->v1 / 1000);
			if (f->v2 >= 0)
				vec_push(&a->ttr_b, f->v2 / 1000);
		}
		a->fcr_n++;
		a->fcr_k += f->flag != 0;
		break;
	case CB_KPI_SOLVE_FIRST:
		a->reopen_n++;
		a->reopen_k += f->flag != 0;
		break;
	case CB_KPI_REOPEN:
		a->reopened++;
		break;
	case CB_KPI_ESCALATION:
		if (vals && f->v1 >= 0)
			vec_push(&a->mtte, f->v1 / 1000);
		break;
	case CB_KPI_ESC_DECISION:
		a->acc_n++;
		a->acc_k += f->flag != 0;
		break;
	case CB_KPI_CSAT:
		a->csat_n++;
		a->csat_sum += f->v1;
		a->csat_pos += f->v1 >= 4;
		break;
	case CB_KPI_CES:
		a->ces_n++;
		a->ces_sum += f->v1;
		break;
	case CB_KPI_SLA_FR:
	case CB_KPI_SLA_NU:
	case CB_KPI_SLA_RES: {
		int c = f->kind - CB_KPI_SLA_FR;
		if (f->flag == CB_KPI_SLA_MET)
			a->sla_met[c]++;
		else if (f->flag == CB_KPI_SLA_BREACHED || f->at < now)
			a->sla_breached[c]++;
		break;
	}
	case CB_KPI_BACKLOG: {
		int b = 1 + cb_kpi_age_bucket(to - f->v1);
		int p = f->keys.priority >= 1 && f->keys.priority <= 4 ? f->keys.priority : 3;
		a->backlog[0][0]++;
		a->backlog[0][b]++;
		a->backlog[p][0]++;
		a->backlog[p][b]++;
		break;
	}
	case CB_KPI__COUNT:
		break;
	}
}

static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return a < b ? -1 : a > b;
}

static json_t *fixed(int64_t scaled, int64_t scale)
{
	return json_real((double)scaled / (double)scale);
}

static json_t *rate(int64_t k, int64_t n)
{
	return n ? fixed(cb_kpi_round(k, n, 10000), 10000) : json_null();
}

/* Rearranges v[lo, hi) so that v[k] holds the value of rank k (0-based) of
 * the whole range, everything before it <= v[k] and everything after >=
 * (quickselect with a three-way partition: duplicates cost nothing; a
 * median-of-three pivot; sorts small ranges). Linear on average. */
static void select_rank(int64_t *v, int lo, int hi, int k)
{
	while (hi - lo > 16) {
		int64_t a = v[lo], b = v[lo + (hi - lo) / 2], c = v[hi - 1];
		int64_t p = a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);
		int lt = lo, i = lo, gt = hi; /* [lo,lt) < p, [lt,i) == p, [gt,hi) > p */
		while (i < gt) {
			int64_t x = v[i];
			if (x < p) {
				v[i++] = v[lt];
				v[lt++] = x;
			} else if (x > p) {
				v[i] = v[--gt];
				v[gt] = x;
			} else {
				i++;
			}
		}
		if (k < lt)
			hi = lt;
		else if (k >= gt)
			lo = gt;
		else
			return;
	}
	qsort(v + lo, (size_t)(hi - lo), sizeof *v, cmp_i64);
}

/* The value of nearest rank q (as cb_kpi_percentile) of v[0, n), selecting
 * within v[from, n) where everything before `from` is known to be <= it. */
static int64_t pick(int64_t *v, int n, int q, int *from)
{
	int64_t rank = ((int64_t)q * n + 99) / 100;
	int k = (int)(rank < 1 ? 0 : rank > n ? n - 1 : rank - 1);
	select_rank(v, *from, n, k);
	*from = k;
	return v[k];
}

static json_t *dist(cb_kpi_vec *v)
{
	json_t *o = json_object();
	int n = v->n;
	int64_t sum = 0;
	for (int i = 0; i < n; i++)
		sum += v->v[i];
	int from = 0;
	json_object_set_new(o, "count", json_integer(n));
	json_object_set_new(o, "median_s", n ? json_integer(pick(v->v, n, 50, &from)) : json_null());
	json_object_set_new(o, "p90_s", n ? json_integer(pick(v->v, n, 90, &from)) : json_null());
	json_object_set_new(o, "p95_s", n ? json_integer(pick(v->v, n, 95, &from)) : json_null());
	json_object_set_new(o, "mean_s", n ? fixed(cb_kpi_round(sum, n, 100), 100) : json_null());
	return o;
}

static json_t *ages(const int64_t row[6])
{
	static const char *const names[] = {"total", "<1d", "1-3d", "3-7d", "7-14d", ">=14d"};
	json_t *o = json_object();
	for (int i = 0; i < 6; i++)
		json_object_set_new(o, names[i], json_integer(row[i]));
	return o;
}

json_t *cb_kpi_acc_json(cb_kpi_acc *a)
{
	json_t *o = json_object();
	json_t *frt = dist(&a->frt);
	json_object_set_new(frt, "business", dist(&a->frt_b));
	json_object_set_new(o, "frt", frt);
	json_t *ttr = dist(&a->ttr);
	json_object_set_new(ttr, "business", dist(&a->ttr_b));
	json_object_set_new(o, "ttr", ttr);
	json_t *sla = json_object();
	for (int c = 0; c < CB_CLOCK__COUNT; c++)
		json_object_set_new(sla, cb_sla_clock_name(c),
				    json_pack("{s:I, s:I, s:o}", "met", (json_int_t)a->sla_met[c],
					      "breached", (json_int_t)a->sla_breached[c], "rate",
					      rate(a->sla_met[c], a->sla_met[c] + a->sla_breached[c])));
	json_object_set_new(o, "sla_attainment", sla);
	json_object_set_new(o, "reopen_rate",
			    json_pack("{s:I, s:I, s:o}", "count", (json_int_t)a->reopen_n, "reopened",
				      (json_int_t)a->reopen_k, "rate", rate(a->reopen_k, a->reopen_n)));
	json_object_set_new(o, "fcr",
			    json_pack("{s:I, s:I, s:o}", "count", (json_int_t)a->fcr_n, "first_contact",
				      (json_int_t)a->fcr_k, "rate", rate(a->fcr_k, a->fcr_n)));
	json_object_set_new(o, "escalation_rate",
			    json_pack("{s:I, s:I, s:o}", "count", (json_int_t)a->esc_n, "escalated",
				      (json_int_t)a->esc_k, "rate", rate(a->esc_k, a->esc_n)));
	json_object_set_new(o, "mtte", dist(&a->mtte));
	json_object_set_new(o, "escalation_acceptance_rate",
			    json_pack("{s:I, s:I, s:o}", "count", (json_int_t)a->acc_n, "accepted",
				      (json_int_t)a->acc_k, "rate", rate(a->acc_k, a->acc_n)));
	json_t *bl = ages(a->backlog[0]);
	json_t *bp = json_object();
	for (int p = 1; p <= 4; p++)
		json_object_set_new(bp, cb_priority_name(p), ages(a->backlog[p]));
	json_object_set_new(bl, "by_priority", bp);
	json_object_set_new(o, "backlog_aging", bl);
	json_object_set_new(o, "csat",
			    json_pack("{s:I, s:o, s:o}", "count", (json_int_t)a->csat_n, "mean",
				      a->csat_n ? fixed(cb_kpi_round(a->csat_sum, a->csat_n, 100), 100)
						: json_null(),
				      "positive_rate", rate(a->csat_pos, a->csat_n)));
	json_object_set_new(o, "ces",
			    json_pack("{s:I, s:o}", "count", (json_int_t)a->ces_n, "mean",
				      a->ces_n ? fixed(cb_kpi_round(a->ces_sum, a->ces_n, 100), 100)
					       : json_null()));
	json_object_set_new(o, "volume",
			    json_pack("{s:I, s:I, s:I}", "created", (json_int_t)a->created, "solved",
				      (json_int_t)a->solved, "reopened", (json_int_t)a->reopened));
	return o;
}

/* ---- rollups ---- */

int cb_kpi_rolled(cb_kpi_kind kind)
{
	switch (kind) {
	case CB_KPI_CREATED:
	case CB_KPI_SOLVE_FIRST:
	case CB_KPI_ESC_DECISION:
	case CB_KPI_CSAT:
	case CB_KPI_CES:
	case CB_KPI_SLA_FR:
	case CB_KPI_SLA_NU:
	case CB_KPI_SLA_RES:
		return 1;
	default:
		return 0;
	}
}

void cb_kpi_roll(const cb_kpi_fact *f, int sign, int64_t c[CB_KPI_R__COUNT])
{
	c[CB_KPI_R_N] += sign;
	switch (f->kind) {
	case CB_KPI_CREATED:
		c[CB_KPI_R_CREATED] += sign;
		c[CB_KPI_R_ESCALATED] += sign * (f->flag != 0);
		break;
	case CB_KPI_SOLVE_FIRST:
		c[CB_KPI_R_SOLVED1] += sign;
		c[CB_KPI_R_REOPENED1] += sign * (f->flag != 0);
		break;
	case CB_KPI_ESC_DECISION:
		c[CB_KPI_R_DECIDED] += sign;
		c[CB_KPI_R_ACCEPTED] += sign * (f->flag != 0);
		break;
	case CB_KPI_CSAT:
		c[CB_KPI_R_CSAT_N] += sign;
		c[CB_KPI_R_CSAT_SUM] += sign * f->v1;
		c[CB_KPI_R_CSAT_POS] += sign * (f->v1 >= 4);
		break;
	case CB_KPI_CES:
		c[CB_KPI_R_CES_N] += sign;
		c[CB_KPI_R_CES_SUM] += sign * f->v1;
		break;
	case CB_KPI_SLA_FR:
	case CB_KPI_SLA_NU:
	case CB_KPI_SLA_RES:
		if (f->flag >= CB_KPI_SLA_MET && f->flag <= CB_KPI_SLA_DUE)
			c[CB_KPI_R_SLA + 3 * (f->kind - CB_KPI_SLA_FR) + f->flag] += sign;
		break;
	default:
		break;
	}
}

void cb_kpi_acc_add_rolled(cb_kpi_acc *a, const int64_t c[CB_KPI_R__COUNT])
{
	a->created += c[CB_KPI_R_CREATED];
	a->esc_n += c[CB_KPI_R_CREATED];
	a->esc_k += c[CB_KPI_R_ESCALATED];
	a->reopen_n += c[CB_KPI_R_SOLVED1];
	a->reopen_k += c[CB_KPI_R_REOPENED1];
	a->acc_n += c[CB_KPI_R_DECIDED];
	a->acc_k += c[CB_KPI_R_ACCEPTED];
	a->csat_n += c[CB_KPI_R_CSAT_N];
	a->csat_sum += c[CB_KPI_R_CSAT_SUM];
	a->csat_pos += c[CB_KPI_R_CSAT_POS];
	a->ces_n += c[CB_KPI_R_CES_N];
	a->ces_sum += c[CB_KPI_R_CES_SUM];
	for (int k = 0; k < CB_CLOCK__COUNT; k++) {
		const int64_t *x = c + CB_KPI_R_SLA + 3 * k;
		a->sla_met[k] += x[CB_KPI_SLA_MET];
		a->sla_breached[k] += x[CB_KPI_SLA_BREACHED] + x[CB_KPI_SLA_DUE];
	}
}
