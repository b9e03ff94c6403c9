/* status_page.h - the public status page: components with their states,
 * active and recent public incidents with their public updates only (never
 * internal updates, roles, accounts or linked tickets), as JSON, HTML and
 * an Atom 1.0 feed. Read-only; no authentication (routes /status,
 * /status.json, /status.atom). docs/openapi.yaml documents the JSON
 * (schema StatusPage); docs/incidents.md the rest. */
#ifndef CB_APP_STATUS_PAGE_H
#define CB_APP_STATUS_PAGE_H
#include <jansson.h>

#include "app/app.h"

#define CB_STATUS_DAYS_DEFAULT 14
#define CB_STATUS_DAYS_MAX 90

/* The page as JSON: past incidents are those resolved within `days` days
 * before now. */
json_t *cb_statuspage(cb_conn *c, cb_ms now, int days, cb_err *err);
/* The same page as an HTML document (cb_free). */
char *cb_statuspage_html(json_t *page);
/* The Atom feed: one entry per public update of a public incident, newest
 * first (at most 50). cb_free. */
char *cb_statuspage_atom(cb_conn *c, cb_ms now, cb_err *err);

#endif
