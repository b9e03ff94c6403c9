/* sla.c - SLA clocks as a fold (see sla.h and docs/metrics.md section 4).
 *
 * DESIGN
 * Every operation on an instance first advances it to the event's instant:
 * a running instance with a target accrues business time on its calendar
 * from the start of its running segment, and breaches (at its due instant
 * d) when the instant is after d. Pausing at d exactly is therefore not a
 * breach; fulfilling at d exactly is met. Instances without a target still
 * record their running intervals, so that a target arriving later (policy
 * switch) can measure them on the new calendar from the normal start.
 * Viewing at `now` advances a copy, so reads never change the state. */
#include "core/sla.h"
#include "util/alloc.h"

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

const char *cb_sla_state_name(cb_sla_state s)
{
	static const char *const n[] = {"running", "paused", "met", "breached", "cancelled"};
	return (unsigned)s < 5 ? n[s] : "running";
}

const char *cb_sla_clock_name(int clock)
{
	static const char *const n[] = {"first_response", "next_update", "resolution"};
	return (unsigned)clock < 3 ? n[clock] : "?";
}

const char *cb_sla_hkind_name(cb_sla_hkind k)
{
	static const char *const n[] = {"start", "pause", "resume", "fulfil",
					"breach", "cancel", "policy", "reopen"};
	return (unsigned)k < 8 ? n[k] : "?";
}

static void hist(cb_sla *s, int clock, const cb_sla_instance *in, cb_sla_hkind kind, cb_ms at,
		 int64_t elapsed)
{
	s->hist = grow(s->hist, &s->chist, s->nhist + 1, sizeof *s->hist);
	s->hist[s->nhist++] = (cb_sla_hist){.clock = clock, .instance = in->number, .kind = kind,
					   .at = at, .elapsed_ms = elapsed,
					   .target_ms = in->target_ms, .policy_id = in->policy_id};
}

static int64_t bt(const cb_sla_calendar *cal, cb_ms a, cb_ms b)
{
	return b > a ? cal->business_time(cal->cal, a, b) : 0;
}

static int has_target(const cb_sla_instance *in)
{
	return in->target_ms >= 0 && in->cal;
}

/* Due instant of a running instance with a target. */
static cb_ms due_of(const cb_sla_instance *in)
{
	int64_t rem = in->target_ms - in->elapsed_ms;
	if (rem <= 0)
		return in->seg_start;
	return in->cal->business_due(in->cal->cal, in->seg_start, rem);
}

/* Accrues up to t; detects a breach. s may be NULL (views: no history, no
 * interval tracking). */
static void advance(cb_sla *s, int clock, cb_sla_instance *in, cb_ms t)
{
	if (in->ended || !in->running || t < in->seg_start)
		return;
	if (has_target(in)) {
		if (!in->breached) {
			cb_ms d = due_of(in);
			if (t > d) {
				in->breached = 1;
				in->breached_at = d;
				in->settled_at = d;
				if (s)
					hist(s, clock, in, CB_SLA_H_BREACH, d, in->target_ms);
			}
		}
		in->elapsed_ms += bt(in->cal, in->seg_start, t);
	} else if (s && t > in->seg_start) {
		if (in->niv && in->iv[2 * in->niv - 1] == in->seg_start) {
			in->iv[2 * in->niv - 1] = t;
		} else {
			int cap2 = in->civ;
			in->iv = grow(in->iv, &cap2, 2 * (in->niv + 1), sizeof *in->iv);
			in->civ = cap2;
			in->iv[2 * in->niv] = in->seg_start;
			in->iv[2 * in->niv + 1] = t;
			in->niv++;
		}
	}
	in->seg_start = t;
}

static void start(cb_sla *s, int clock, cb_sla_instance *in, int number, cb_ms t, int running)
{
	memset(in, 0, sizeof *in);
	in->number = number;
	in->target_ms = -1;
	in->started_at = t;
	in->seg_start = t;
	in->running = running;
	const cb_sla_policy *p = s->policy;
	if (p && p->target_ms[clock] >= 0) {
		in->target_ms = p->target_ms[clock];
		in->cal = &p->calendar;
		in->policy_id = p->id;
		in->ever_target = 1;
	}
	hist(s, clock, in, CB_SLA_H_START, t, 0);
	if (!running)
		hist(s, clock, in, CB_SLA_H_PAUSE, t, 0);
}

static void pause_(cb_sla *s, int clock, cb_sla_instance *in, cb_ms t)
{
	if (in->ended || !in->running)
		return;
	advance(s, clock, in, t);
	in->running = 0;
	hist(s, clock, in, CB_SLA_H_PAUSE, t, in->elapsed_ms);
}

static void resume(cb_sla *s, int clock, cb_sla_instance *in, cb_ms t)
{
	if (in->ended || in->running)
		return;
	in->running = 1;
	in->seg_start = t;
	hist(s, clock, in, CB_SLA_H_RESUME, t, in->elapsed_ms);
}

static void fulfil(cb_sla *s, int clock, cb_sla_instance *in, cb_ms t)
{
	if (in->ended)
		return;
	advance(s, clock, in, t);
	in->ended = 1;
	in->running = 0;
	in->fulfilled_at = t;
	if (!in->breached)
		in->settled_at = t;
	hist(s, clock, in, CB_SLA_H_FULFIL, t, in->elapsed_ms);
}

static void cancel(cb_sla *s, int clock, cb_sla_instance *in, cb_ms t)
{
	if (in->ended)
		return;
	advance(s, clock, in, t);
	in->ended = 1;
	in->running = 0;
	if (!in->breached)
		in->cancelled = 1;
	hist(s, clock, in, CB_SLA_H_CANCEL, t, in->elapsed_ms);
}

/* A policy switch for an unsettled instance (docs/metrics.md section 4). */
static void switch_policy(cb_sla *s, int clock, cb_sla_instance *in, const cb_sla_policy *p,
			  cb_ms t)
{
	if (in->ended)
		return;
	int64_t nt = p ? p->target_ms[clock] : -1;
	if (has_target(in) && p && in->policy_id == p->id)
		return;
	advance(s, clock, in, t);
	if (nt < 0) {
		if (has_target(in) && !in->breached) {
			in->ended = 1;
			in->running = 0;
			in->cancelled = 1;
			hist(s, clock, in, CB_SLA_H_CANCEL, t, in->elapsed_ms);
		} else if (has_target(in)) {
			/* breached: keeps the target it ran against and its
			 * breached_at, and accrues on the new policy's calendar
			 * from now on (the old one when no policy applies) */
			if (p)
				in->cal = &p->calendar;
			in->policy_id = p ? p->id : 0;
			hist(s, clock, in, CB_SLA_H_POLICY, t, in->elapsed_ms);
		}
		return;
	}
	if (!has_target(in)) {
		/* first target: measure the running time since the normal start */
		int64_t e = 0;
		for (int i = 0; i < in->niv; i++)
			e += bt(&p->calendar, in->iv[2 * i], in->iv[2 * i + 1]);
		in->elapsed_ms = e;
		cb_free(in->iv);
		in->iv = NULL;
		in->niv = in->civ = 0;
	}
	in->target_ms = nt;
	in->cal = &p->calendar;
	in->policy_id = p->id;
	in->ever_target = 1;
	in->seg_start = t;
	hist(s, clock, in, CB_SLA_H_POLICY, t, in->elapsed_ms);
	if (!in->breached && in->elapsed_ms >= nt) {
		in->breached = 1;
		in->breached_at = t;
		in->settled_at = t;
		hist(s, clock, in, CB_SLA_H_BREACH, t, in->elapsed_ms);
	}
}

static const char *str(json_t *d, const char *k)
{
	return json_string_value(json_object_get(d, k));
}

static int matches(const cb_sla_policy *p, const cb_ticket *t, unsigned tier)
{
	if (p->priorities && !(p->priorities & (1u << t->priority)))
		return 0;
	if (p->tiers && !(p->tiers & tier))
		return 0;
	if (p->ncategories) {
		const char *cat = str(t->doc, "category");
		int ok = 0;
		for (int i = 0; cat && i < p->ncategories; i++)
			ok |= strcmp(cat, p->categories[i]) == 0;
		if (!ok)
			return 0;
	}
	if (p->ngroups) {
		int ok = 0;
		for (int i = 0; i < p->ngroups; i++)
			ok |= p->groups[i] == t->group_id;
		if (!ok)
			return 0;
	}
	return 1;
}

static const cb_sla_policy *evaluate(const cb_sla *s)
{
	const cb_sla_config *c = s->cfg;
	unsigned tier = c->tier_of && s->t.account_id ? c->tier_of(c->ctx, s->t.account_id) : 0;
	for (int i = 0; i < c->npolicies; i++)
		if (matches(&c->policies[i], &s->t, tier))
			return &c->policies[i];
	return NULL;
}

void cb_sla_init(cb_sla *s, const cb_sla_config *cfg)
{
	memset(s, 0, sizeof *s);
	s->cfg = cfg;
	cb_ticket_init(&s->t);
	s->fr.target_ms = s->res.target_ms = -1;
}

void cb_sla_free(cb_sla *s)
{
	cb_ticket_clear(&s->t);
	cb_free(s->fr.iv);
	cb_free(s->res.iv);
	for (int i = 0; i < s->nnu; i++)
		cb_free(s->nu[i].iv);
	cb_free(s->nu);
	cb_free(s->hist);
	memset(s, 0, sizeof *s);
}

static cb_sla_instance *nu_last(cb_sla *s)
{
	return s->nnu ? &s->nu[s->nnu - 1] : NULL;
}

static void reevaluate(cb_sla *s, cb_ms t)
{
	const cb_sla_policy *p = evaluate(s);
	if (p == s->policy)
		return;
	s->policy = p;
	switch_policy(s, CB_CLOCK_FR, &s->fr, p, t);
	if (nu_last(s))
		switch_policy(s, CB_CLOCK_NU, nu_last(s), p, t);
	switch_policy(s, CB_CLOCK_RES, &s->res, p, t);
}

void cb_sla_apply(cb_sla *s, const cb_event *e)
{
	cb_ms t = e->at;
	json_t *d = e->data;
	switch (e->type) {
	case CB_EV_CREATED: {
		cb_ticket_apply(&s->t, e);
		s->policy = evaluate(s);
		start(s, CB_CLOCK_FR, &s->fr, 1, t, 1);
		start(s, CB_CLOCK_RES, &s->res, 1, t, s->t.status != CB_ST_PENDING);
		return;
	}
	case CB_EV_COMMENT: {
		int is_public = json_is_true(json_object_get(d, "public"));
		const char *side = str(d, "side");
		if (is_public && side && strcmp(side, "agent") == 0) {
			if (!s->fr_done) {
				fulfil(s, CB_CLOCK_FR, &s->fr, t);
				s->fr_done = 1;
			}
			cb_sla_instance *last = nu_last(s);
			if (last)
				fulfil(s, CB_CLOCK_NU, last, t);
			if (s->t.status != CB_ST_SOLVED && s->t.status != CB_ST_CLOSED) {
				s->nu = grow(s->nu, &s->cnu, s->nnu + 1, sizeof *s->nu);
				cb_sla_instance *in = &s->nu[s->nnu++];
				start(s, CB_CLOCK_NU, in, s->nnu, t, s->t.status != CB_ST_PENDING);
			}
		}
		break;
	}
	case CB_EV_STATUS: {
		cb_status from = s->t.status, to;
		if (cb_status_parse(str(d, "to"), &to))
			break;
		cb_sla_instance *last = nu_last(s);
		if (to == CB_ST_SOLVED && from != CB_ST_SOLVED) {
			if (!s->fr_done) {
				cancel(s, CB_CLOCK_FR, &s->fr, t);
				s->fr_done = 1;
			}
			if (last)
				cancel(s, CB_CLOCK_NU, last, t);
			fulfil(s, CB_CLOCK_RES, &s->res, t);
		} else if (from == CB_ST_SOLVED && to != CB_ST_CLOSED) {
			/* reopen: the resolution instance resumes with its elapsed time */
			cb_sla_instance *r = &s->res;
			r->ended = 0;
			r->running = to != CB_ST_PENDING;
			r->seg_start = t;
			r->fulfilled_at = 0;
			if (!r->breached)
				r->settled_at = 0;
			hist(s, CB_CLOCK_RES, r, CB_SLA_H_REOPEN, t, r->elapsed_ms);
			const cb_sla_policy *p = evaluate(s);
			s->policy = p;
			switch_policy(s, CB_CLOCK_RES, r, p, t);
		} else if (to == CB_ST_PENDING && from != CB_ST_PENDING) {
			if (last)
				pause_(s, CB_CLOCK_NU, last, t);
			pause_(s, CB_CLOCK_RES, &s->res, t);
		} else if (from == CB_ST_PENDING && to != CB_ST_CLOSED) {
			if (last)
				resume(s, CB_CLOCK_NU, last, t);
			resume(s, CB_CLOCK_RES, &s->res, t);
		}
		break;
	}
	case CB_EV_PRIORITY:
	case CB_EV_CATEGORY:
	case CB_EV_ASSIGN:
	case CB_EV_ACCOUNT:
		cb_ticket_apply(&s->t, e);
		reevaluate(s, t);
		return;
	default:
		break;
	}
	cb_ticket_apply(&s->t, e);
}

static void view_one(const cb_sla_instance *src, cb_ms now, cb_sla_view *v)
{
	memset(v, 0, sizeof *v);
	if (!src || !src->ever_target)
		return;
	cb_sla_instance in = *src;
	in.iv = NULL;
	in.niv = in.civ = 0;
	advance(NULL, 0, &in, now);
	v->present = 1;
	v->instance = in.number;
	v->target_ms = in.target_ms;
	v->elapsed_ms = in.elapsed_ms;
	v->breached_at = in.breached ? in.breached_at : 0;
	v->open = !in.ended;
	if (in.cancelled)
		v->state = CB_SLA_CANCELLED;
	else if (in.breached)
		v->state = CB_SLA_BREACHED;
	else if (in.ended)
		v->state = CB_SLA_MET;
	else
		v->state = in.running ? CB_SLA_RUNNING : CB_SLA_PAUSED;
	if (in.running && !in.ended && !in.breached && has_target(&in)) {
		v->due_at = due_of(&in);
		int64_t rem = in.target_ms - in.elapsed_ms;
		v->at_risk = rem * 4 <= in.target_ms;
		int64_t risk_elapsed = in.target_ms - in.target_ms / 4;
		v->at_risk_at = in.elapsed_ms >= risk_elapsed
					? in.seg_start
					: in.cal->business_due(in.cal->cal, in.seg_start,
							       risk_elapsed - in.elapsed_ms);
	}
}

void cb_sla_view_at(const cb_sla *s, cb_ms now, cb_sla_view out[CB_CLOCK__COUNT])
{
	view_one(&s->fr, now, &out[CB_CLOCK_FR]);
	/* the latest instance, absent when it never had a target (an earlier
	 * one is never shown in its place) */
	view_one(s->nnu ? &s->nu[s->nnu - 1] : NULL, now, &out[CB_CLOCK_NU]);
	view_one(&s->res, now, &out[CB_CLOCK_RES]);
}

void cb_sla_urgency_of(const cb_sla_view v[CB_CLOCK__COUNT], cb_sla_urgency *out)
{
	*out = (cb_sla_urgency){.kind = CB_URG_NONE, .clock = -1};
	for (int k = 0; k < CB_CLOCK__COUNT; k++) {
		const cb_sla_view *c = &v[k];
		cb_sla_urgency u;
		if (!c->present || !c->open)
			continue;
		if (c->state == CB_SLA_BREACHED)
			u = (cb_sla_urgency){CB_URG_BREACHED, k, c->breached_at};
		else if (c->state == CB_SLA_RUNNING && c->due_at)
			u = (cb_sla_urgency){CB_URG_DUE, k, c->due_at};
		else if (c->state == CB_SLA_PAUSED)
			u = (cb_sla_urgency){CB_URG_PAUSED, k, 0};
		else
			continue;
		if (u.kind < out->kind || (u.kind == out->kind && u.at < out->at))
			*out = u;
	}
}

const char *cb_sla_urgency_name(cb_sla_urgency_kind k)
{
	static const char *const n[] = {"breached", "due", "paused", "none"};
	return (unsigned)k < 4 ? n[k] : "none";
}

const cb_sla_instance *cb_sla_instances(const cb_sla *s, int clock, int *n)
{
	if (clock == CB_CLOCK_NU) {
		*n = s->nnu;
		return s->nu;
	}
	*n = 1;
	return clock == CB_CLOCK_FR ? &s->fr : &s->res;
}

int cb_sla_history_at(const cb_sla *s, cb_ms now, cb_sla_hist **out)
{
	int n = s->nhist;
	int cap = n + 3 + s->nnu;
	cb_sla_hist *h = cb_xmalloc((size_t)cap * sizeof *h);
	memcpy(h, s->hist, (size_t)n * sizeof *h);
	const cb_sla_instance *list[64];
	int nl = 0;
	list[nl++] = &s->fr;
	list[nl++] = &s->res;
	if (s->nnu)
		list[nl++] = &s->nu[s->nnu - 1];
	for (int i = 0; i < nl; i++) {
		cb_sla_instance in = *list[i];
		in.iv = NULL;
		if (in.breached || in.ended || !in.running || !has_target(&in))
			continue;
		advance(NULL, 0, &in, now);
		if (in.breached && n < cap) {
			int clock = list[i] == &s->fr ? CB_CLOCK_FR : list[i] == &s->res ? CB_CLOCK_RES : CB_CLOCK_NU;
			h[n++] = (cb_sla_hist){.clock = clock, .instance = in.number, .kind = CB_SLA_H_BREACH,
					       .at = in.breached_at, .elapsed_ms = in.target_ms,
					       .target_ms = in.target_ms, .policy_id = in.policy_id};
		}
	}
	/* in the order things happened: a breach is found when the next event
	 * (or now) passes its due instant, after other clocks' later steps;
	 * stable, so same-instant steps keep the fold's order (nearly sorted:
	 * an insertion sort is linear here) */
	for (int i = 1; i < n; i++) {
		cb_sla_hist x = h[i];
		int j = i;
		for (; j > 0 && h[j - 1].at > x.at; j--)
			h[j] = h[j - 1];
		h[j] = x;
	}
	*out = h;
	return n;
}
