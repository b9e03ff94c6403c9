/* sla.h - SLA clocks as a fold over a ticket's event timeline
 * (docs/metrics.md section 4). Pure: calendars and policies are given, `now` is
 * given; nothing here reads the clock or the database.
 *
 * Three clocks: first_response, next_update (one instance per public agent
 * reply), resolution. Each instance accrues business time on the calendar
 * of the policy in force while it runs; it pauses while the ticket is
 * pending (first_response never pauses); it breaches when it is still
 * running at any instant after its due instant d, with breached_at = d. */
#ifndef CB_CORE_SLA_H
#define CB_CORE_SLA_H
#include <stdint.h>

#include "core/ticket.h"

enum { CB_CLOCK_FR, CB_CLOCK_NU, CB_CLOCK_RES, CB_CLOCK__COUNT };

typedef enum {
	CB_SLA_RUNNING,
	CB_SLA_PAUSED,
	CB_SLA_MET,
	CB_SLA_BREACHED,
	CB_SLA_CANCELLED,
} cb_sla_state;

/* A business calendar as the fold needs it (adapted from core/calendar.h by
 * the caller, so this module does not depend on how calendars compile). */
typedef struct {
	const void *cal;
	int64_t (*business_time)(const void *cal, cb_ms a, cb_ms b);   /* ms of [a,b) open */
	cb_ms (*business_due)(const void *cal, cb_ms start, int64_t ms); /* earliest d */
} cb_sla_calendar;

enum { CB_TIER_ENTERPRISE = 1, CB_TIER_BUSINESS = 2, CB_TIER_STANDARD = 4 };

typedef struct {
	int64_t id;
	const char *name;
	unsigned priorities;      /* bit p (1..4) set = matches Pp; 0 = any */
	unsigned tiers;           /* CB_TIER_* bits; 0 = any */
	const char *const *categories; int ncategories; /* 0 = any */
	const int64_t *groups; int ngroups;             /* 0 = any */
	int64_t target_ms[CB_CLOCK__COUNT];             /* <0: no target */
	cb_sla_calendar calendar;
} cb_sla_policy;

/* Everything the fold needs besides the events. */
typedef struct {
	const cb_sla_policy *policies; /* in position order; first match applies */
	int npolicies;
	/* tier bit (CB_TIER_*) of an account, 0 if none */
	unsigned (*tier_of)(void *ctx, int64_t account_id);
	void *ctx;
} cb_sla_config;

typedef enum {
	CB_SLA_H_START, CB_SLA_H_PAUSE, CB_SLA_H_RESUME, CB_SLA_H_FULFIL,
	CB_SLA_H_BREACH, CB_SLA_H_CANCEL, CB_SLA_H_POLICY, CB_SLA_H_REOPEN,
} cb_sla_hkind;

typedef struct {
	int clock;           /* CB_CLOCK_* */
	int instance;        /* 1-based instance number of that clock */
	cb_sla_hkind kind;
	cb_ms at;
	int64_t elapsed_ms;  /* at that instant */
	int64_t target_ms;   /* -1 when none */
	int64_t policy_id;   /* policy in force, 0 = none */
} cb_sla_hist;

/* One clock instance. */
typedef struct {
	int number;            /* 1-based */
	int ever_target;       /* had a target at some point */
	int64_t target_ms;     /* current target, -1 none */
	int64_t policy_id;
	const cb_sla_calendar *cal;
	int running;           /* accruing (not ended, not paused) */
	int ended;             /* fulfilled, cancelled or frozen by a solve */
	int breached;
	int cancelled;
	cb_ms breached_at;
	cb_ms started_at;
	cb_ms seg_start;       /* start of the current running segment */
	int64_t elapsed_ms;    /* accrued up to seg_start (or total when stopped) */
	cb_ms settled_at;      /* met: fulfilment; breached: breached_at; 0 open */
	cb_ms fulfilled_at;
	/* running intervals while without a target (for a later target) */
	cb_ms *iv; int niv, civ;
} cb_sla_instance;

/* The fold's state. */
typedef struct {
	const cb_sla_config *cfg;
	cb_ticket t;                  /* the ticket fields the clocks depend on */
	const cb_sla_policy *policy;  /* in force, NULL none */
	cb_sla_instance fr, res;      /* single instances */
	cb_sla_instance *nu; int nnu, cnu; /* next_update instances */
	int fr_done;                  /* first_response ended for good */
	cb_sla_hist *hist; int nhist, chist;
} cb_sla;

void cb_sla_init(cb_sla *s, const cb_sla_config *cfg);
void cb_sla_free(cb_sla *s);
/* Applies one ticket event (events in order; same-instant events in order). */
void cb_sla_apply(cb_sla *s, const cb_event *e);

/* A clock as reported at `now` (docs/openapi.yaml `SlaClock`). */
typedef struct {
	int present;          /* 0: never had a target -> absent */
	cb_sla_state state;
	int64_t target_ms;    /* target it runs (or ran) against */
	int64_t elapsed_ms;   /* at now */
	cb_ms due_at;         /* running and not breached; else 0 */
	cb_ms breached_at;    /* 0 when not breached */
	int at_risk;
	cb_ms at_risk_at;     /* running, not breached: instant it becomes at risk */
	int instance;
	int open;             /* not settled by fulfilment, cancellation or a solve */
} cb_sla_view;

/* The urgency of a ticket, one definition for the queue order and the badge
 * (docs/metrics.md "Urgency"): an unsettled breached clock first, the one
 * that breached longest ago; else the running clock due soonest; else a
 * paused clock; else none. Ties go to the first clock in the order
 * first_response, next_update, resolution. */
typedef enum { CB_URG_BREACHED, CB_URG_DUE, CB_URG_PAUSED, CB_URG_NONE } cb_sla_urgency_kind;
typedef struct {
	cb_sla_urgency_kind kind;
	int clock;            /* CB_CLOCK_*, -1 for CB_URG_NONE */
	cb_ms at;             /* breached_at (BREACHED) or due_at (DUE); else 0 */
} cb_sla_urgency;
void cb_sla_urgency_of(const cb_sla_view v[CB_CLOCK__COUNT], cb_sla_urgency *out);
const char *cb_sla_urgency_name(cb_sla_urgency_kind k);

/* Views the latest instance of each clock at `now` (>= the last event). */
void cb_sla_view_at(const cb_sla *s, cb_ms now, cb_sla_view out[CB_CLOCK__COUNT]);
/* Instance by index for KPIs: for next_update all instances, else one. */
const cb_sla_instance *cb_sla_instances(const cb_sla *s, int clock, int *n);
const char *cb_sla_state_name(cb_sla_state s);
const char *cb_sla_clock_name(int clock);
const char *cb_sla_hkind_name(cb_sla_hkind k);
/* History entries up to `now` in time order (steps of one instant in the
 * fold's order), including breaches that happened after the last event (in
 * a copy: the state is not changed). */
int cb_sla_history_at(const cb_sla *s, cb_ms now, cb_sla_hist **out); /* caller frees */

#endif
