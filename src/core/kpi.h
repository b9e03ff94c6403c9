/* kpi.h - the KPIs of docs/metrics.md section 5 as facts folded from a ticket's
 * timeline, and the statistics over them. Pure: no I/O, no clock.
 *
 * A ticket's events (and, at the end, its SLA fold) become "facts": one row
 * per KPI event (creation, first reply, first and final solve, each reopen,
 * each escalation and its first decision, the latest CSAT and CES response,
 * each settled SLA clock instance) carrying the group_by keys as they stood
 * right after that event, plus the backlog segments: maximal intervals
 * [at, until) during which the ticket was unsolved with constant keys. A
 * report is then a range query over facts by (kind, at) and the
 * accumulation below (cb_kpi_acc), never a re-fold of events.
 *
 * Facts that depend on "as of the report" (reopened, escalated, the latest
 * survey response) hold the state after the ticket's last event; the
 * caller re-folds a ticket on every write, so they are current. An SLA
 * clock still running after the last event becomes a fact of flag
 * CB_KPI_SLA_DUE at its due instant: breached at that instant if the report
 * is made after it (no event can intervene: any event re-folds). */
#ifndef CB_CORE_KPI_H
#define CB_CORE_KPI_H
#include <jansson.h>
#include <stdint.h>

#include "core/sla.h"
#include "core/ticket.h"

typedef enum {
	CB_KPI_CREATED = 1,  /* flag: escalated at least once */
	CB_KPI_FRT,          /* first public agent reply; v1 calendar ms, v2 business ms or -1 */
	CB_KPI_SOLVE_FINAL,  /* final solve of a solved/closed ticket; v1 ttr ms, v2 business
				ms or -1; flag: first contact resolution */
	CB_KPI_SOLVE_FIRST,  /* flag: reopened at least once */
	CB_KPI_REOPEN,       /* each reopen */
	CB_KPI_ESCALATION,   /* v1 engagement - creation ms, or -1 when not engaged */
	CB_KPI_ESC_DECISION, /* first accept or return; flag: accepted */
	CB_KPI_CSAT,         /* latest response; v1 score */
	CB_KPI_CES,          /* latest response; v1 score */
	CB_KPI_SLA_FR,       /* settled instance; flag CB_KPI_SLA_* */
	CB_KPI_SLA_NU,
	CB_KPI_SLA_RES,
	CB_KPI_BACKLOG,      /* unsolved during [at, until); v1 created_at */
	CB_KPI__COUNT
} cb_kpi_kind;

enum { CB_KPI_SLA_MET = 0, CB_KPI_SLA_BREACHED = 1, CB_KPI_SLA_DUE = 2 };
#define CB_KPI_OPEN_END INT64_MAX /* `until` of a backlog segment still open */

/* The group_by keys of a fact (tier and names are looked up by the caller). */
typedef struct {
	int priority;         /* 1..4 */
	int64_t account_id;   /* 0 = none */
	const char *category; /* NULL = none; owned by the fold */
	int64_t group_id;     /* 0 = none */
	int64_t assignee_id;  /* 0 = none */
} cb_kpi_keys;

typedef struct {
	cb_kpi_kind kind;
	int seq;      /* order among the ticket's facts */
	cb_ms at;     /* the KPI's event instant */
	cb_ms until;  /* CB_KPI_BACKLOG: end of the segment (CB_KPI_OPEN_END open) */
	int64_t v1, v2;
	int flag;
	cb_kpi_keys keys;
} cb_kpi_fact;

typedef struct {
	cb_ms at;
	cb_kpi_keys k;
} cb_kpi_keyed;

typedef struct {
	int64_t id;           /* data "id" when given, else 0 */
	cb_ms at;
	cb_kpi_keys k;
	cb_ms engaged_at;     /* first ack, accept or return; 0 none */
	cb_ms decided_at;     /* first accept or return; 0 none */
	cb_kpi_keys dk;
	int accepted;
} cb_kpi_esc;

/* The fold's state. */
typedef struct {
	cb_status status;
	int started;
	cb_ms created_at, last_at;
	cb_kpi_keys cur, created_k;
	int replies;                      /* public agent-side comments */
	cb_ms reply_at; cb_kpi_keys reply_k;
	int solves;
	cb_ms first_solve_at, final_solve_at;
	cb_kpi_keys first_solve_k, final_solve_k;
	int reopens;
	cb_kpi_keyed *kt; int nkt, ckt;   /* key changes: keys from `at` on */
	cb_kpi_esc *esc; int nesc, cesc;
	int has_csat, csat; cb_ms csat_at; cb_kpi_keys csat_k;
	int has_ces, ces; cb_ms ces_at; cb_kpi_keys ces_k;
	int seg_open; cb_ms seg_start; cb_kpi_keys seg_k;
	cb_kpi_fact *facts; int nfacts, cfacts;
	char **strs; int nstrs, cstrs;    /* interned categories */
} cb_kpi;

void cb_kpi_init(cb_kpi *k);
void cb_kpi_free(cb_kpi *k);
/* Folds one event; `after` is the ticket's state right after it (the SLA
 * fold's cb_sla.t, or any cb_ticket folded over the same events). */
void cb_kpi_apply(cb_kpi *k, const cb_ticket *after, const cb_event *e);
/* Completes the facts with the ticket-level ones and the SLA instances of s
 * (folded over the same events; NULL: no SLA facts and no business times).
 * *out points into k (valid until cb_kpi_free). */
int cb_kpi_finish(cb_kpi *k, const cb_sla *s, const cb_kpi_fact **out);

/* The due instant of an instance still running unbreached with a target
 * after the fold's last event (0 otherwise: ended, paused, breached, no
 * target, unreachable), and in *at_risk (may be NULL) the instant its
 * remaining time reaches 25% of the target. */
cb_ms cb_kpi_due(const cb_sla_instance *in, cb_ms *at_risk);

/* ---- statistics ---- */

/* Nearest rank: v[ceil(q*n/100)] (1-based) of sorted v, n > 0. */
int64_t cb_kpi_percentile(const int64_t *sorted, int n, int q);
/* round-half-up(num * scale / den) for num >= 0, den > 0. */
int64_t cb_kpi_round(int64_t num, int64_t den, int64_t scale);
/* Backlog age bucket of an age in ms: 0 <1d, 1 1-3d, 2 3-7d, 3 7-14d, 4 >=14d. */
int cb_kpi_age_bucket(int64_t age_ms);

typedef struct {
	int64_t *v;
	int n, cap;
} cb_kpi_vec;

/* One population's accumulator: the `kpis` object of a report. */
typedef struct {
	cb_kpi_vec frt, frt_b, ttr, ttr_b, mtte; /* seconds */
	int64_t sla_met[CB_CLOCK__COUNT], sla_breached[CB_CLOCK__COUNT];
	int64_t reopen_n, reopen_k, fcr_n, fcr_k, esc_n, esc_k, acc_n, acc_k;
	int64_t backlog[5][6]; /* [0 all, 1..4 P1..P4][0 total, 1..5 age buckets] */
	int64_t csat_n, csat_sum, csat_pos, ces_n, ces_sum;
	int64_t created, solved, reopened;
} cb_kpi_acc;

void cb_kpi_acc_free(cb_kpi_acc *a);
/* Adds a fact already known to be in the population: its `at` in the period
 * (for CB_KPI_REOPEN: the ticket's first reopen in it), or, for a backlog
 * segment, open at `to`. `to` is the period's end, `now` the report's. */
void cb_kpi_acc_add(cb_kpi_acc *a, const cb_kpi_fact *f, cb_ms to, cb_ms now);
/* The same without the values of the distributions (frt, ttr, mtte): for a
 * total whose values are appended from its parts by cb_kpi_acc_add_values. */
void cb_kpi_acc_add_counts(cb_kpi_acc *a, const cb_kpi_fact *f, cb_ms to, cb_ms now);
/* Appends the distribution values of each of parts[0, n) to a. */
void cb_kpi_acc_add_values(cb_kpi_acc *a, cb_kpi_acc *const *parts, int n);
/* The `kpis` object of docs/metrics.md (reorders the vectors). New reference. */
json_t *cb_kpi_acc_json(cb_kpi_acc *a);

/* ---- rollups ----
 * The KPIs that are counts, sums and rates (everything but the
 * distributions frt, ttr and mtte, volume.reopened, which counts distinct
 * tickets, and the backlog) add up over any set of facts, so the facts of
 * those kinds can be summed per hour and key in advance (kpi_rollup,
 * migration 010). The counters of a rollup row, in its column order: */
enum {
	CB_KPI_R_N,          /* facts */
	CB_KPI_R_CREATED,    /* CB_KPI_CREATED */
	CB_KPI_R_ESCALATED,  /* ... flagged escalated */
	CB_KPI_R_SOLVED1,    /* CB_KPI_SOLVE_FIRST */
	CB_KPI_R_REOPENED1,  /* ... flagged reopened */
	CB_KPI_R_DECIDED,    /* CB_KPI_ESC_DECISION */
	CB_KPI_R_ACCEPTED,   /* ... flagged accepted */
	CB_KPI_R_CSAT_N, CB_KPI_R_CSAT_SUM, CB_KPI_R_CSAT_POS,
	CB_KPI_R_CES_N, CB_KPI_R_CES_SUM,
	CB_KPI_R_SLA,        /* + 3 * clock + flag (met, breached, due) */
	CB_KPI_R__COUNT = CB_KPI_R_SLA + 3 * CB_CLOCK__COUNT
};

/* Whether facts of this kind are summed into rollups. */
int cb_kpi_rolled(cb_kpi_kind kind);
/* Adds sign * the counters of one fact of a rolled kind to c. */
void cb_kpi_roll(const cb_kpi_fact *f, int sign, int64_t c[CB_KPI_R__COUNT]);
/* Adds the counters of facts whose instants are all before `now` (so due
 * SLA instances count as breached) to a, exactly as cb_kpi_acc_add of each
 * fact would. */
void cb_kpi_acc_add_rolled(cb_kpi_acc *a, const int64_t c[CB_KPI_R__COUNT]);

#endif
