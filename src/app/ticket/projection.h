/* projection.h - what the after-write step hands each of its consumers.
 *
 * After every change to a ticket, in the same transaction, app/ticket/pipeline.c
 * folds the ticket's event log once (SLA clocks and KPI facts) and passes
 * the result to each consumer of its table (SLA clocks and timers, KPI
 * facts and rollups, the search document, ...). A consumer is a function
 * taking a cb_projection; it includes this header, never pipeline.h, so
 * the step can call it without a cycle of modules. */
#ifndef CB_APP_PROJECTION_H
#define CB_APP_PROJECTION_H

#include <stdint.h>

#include "core/kpi.h"
#include "core/sla.h"
#include "store/db.h"
#include "util/err.h"

/* What a write changed, so a consumer runs only when it has work. */
enum {
	CB_PROJECT_CLOCKS = 1u << 0,  /* time passed or the SLA configuration changed */
	CB_PROJECT_CONTENT = 1u << 1, /* events were appended to the ticket */
	CB_PROJECT_ALL = CB_PROJECT_CLOCKS | CB_PROJECT_CONTENT,
};

typedef struct {
	cb_conn *c;          /* the write transaction */
	int64_t ticket;
	cb_ms now;           /* the instant of the write (an import: its last event) */
	unsigned what;       /* CB_PROJECT_* */
	const cb_sla *sla;   /* the fold of the whole event log */
	cb_kpi *kpi;         /* the KPI facts of the same fold */
} cb_projection;

typedef int (*cb_projection_fn)(const cb_projection *p, cb_err *err);

#endif
