/* routes.c - the route table: every endpoint, its handler, the least role
 * that may call it and its flags (api.h: database scope, body limit,
 * shedding, rate limit, Idempotency-Key). One greppable table (as Redis'
 * command table); the dispatcher and http/ enforce it. Handlers live in
 * api/h_<noun>.c. */
#include "api/api.h"
#include "api/handlers.h"

#define ADMIN CB_ROLE_ADMIN
#define AGENT CB_ROLE_AGENT
#define ENGINEER CB_ROLE_ENGINEER
#define CUSTOMER CB_ROLE_CUSTOMER
#define W CB_R_WRITE

const cb_route cb_routes[] = {
	{"GET", "/healthz", cb_h_healthz, CB_ROLE_NONE, CB_R_PUBLIC | CB_R_UNLIMITED | CB_R_NOSHED, "healthz"},
	{"GET", "/metrics", cb_h_metrics, CB_ROLE_NONE, CB_R_PUBLIC | CB_R_UNLIMITED | CB_R_NOSHED, "metrics"},
	CB_ROUTES_ACCOUNTS
	CB_ROUTES_USERS
	CB_ROUTES_TOKENS
	CB_ROUTES_GROUPS
	CB_ROUTES_TICKETS
	CB_ROUTES_VIEWS
	CB_ROUTES_IMPORT
	CB_ROUTES_SLA_CONFIG
	CB_ROUTES_REPORTS
	CB_ROUTES_KB
	CB_ROUTES_MAIL
	CB_ROUTES_SESSION
	CB_ROUTES_MACROS
	CB_ROUTES_INCIDENTS
	CB_ROUTES_STATUS_PAGE
	CB_ROUTES_ESCALATIONS
	CB_ROUTES_DEFECTS
	CB_ROUTES_PROBLEMS
	CB_ROUTES_UPLOAD
	CB_ROUTES_WEB
};
const int cb_routes_count = (int)(sizeof cb_routes / sizeof cb_routes[0]);
