/* demo.h - a realistic demo data set for `make run`: accounts of every
 * tier, agents, engineers, customers, groups and a few hundred tickets in
 * every status spread over the past weeks, built through the same use cases
 * as live requests (tickets are replayed as imported histories), with a
 * knowledge base and the engineering side. A data directory takes the demo
 * data set once: a second load is refused (CB_E_CONFLICT), changing nothing. */
#ifndef CB_APP_DEMO_H
#define CB_APP_DEMO_H
#include "app/app.h"

/* The password of the two demo users who can log in to the web pages: the
 * agent maria.lopez@support.example and the customer alice@northwind.example. */
#define CB_DEMO_PASSWORD "casebook-demo"

typedef struct {
	int tickets;   /* number of tickets, default 300 */
	int days;      /* history length in days, default 42 */
	unsigned seed; /* PRNG seed, default 42 */
} cb_demo_opts;

typedef struct {
	int accounts, users, groups, tickets, events, articles;
} cb_demo_report;

int cb_demo_load(cb_app *app, const cb_demo_opts *opts, cb_ms now, cb_demo_report *out,
		 cb_err *err);
/* The engineering side (demo_ops.c): status page components, a resolved
 * SEV1 with its review and actions, an active SEV2 with linked tickets,
 * defects (one fixed), a known-error problem and shared macros. Run by
 * cb_demo_load after the tickets. */
int cb_demo_operations(cb_app *app, cb_ms now, cb_demo_report *out, cb_err *err);
/* The knowledge base (demo_kb.c): published public KB articles and an FAQ
 * answering the demo tickets' questions, internal runbooks, one draft and
 * one stale article, and the published public known error of the demo
 * problem (its id in *known_error); adds them to *articles. */
int cb_demo_knowledge(cb_conn *c, const cb_actor *a, cb_ms now, int64_t *known_error,
		      int *articles, cb_err *err);

#endif
