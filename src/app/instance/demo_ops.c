/* demo_ops.c - the engineering side of the demo data set (see demo.h):
 * status page components, a resolved SEV1 with its post-incident review
 * and corrective actions (one overdue), an active SEV2 with linked tickets
 * and public updates, defects in the engineering tracker (one fixed), a
 * known-error problem grouping tickets with its known_error article
 * (demo_kb.c writes the knowledge base), and shared macros. Everything goes
 * through the same use cases as the API, at instants in the past. */
#include "app/instance/demo.h"

#include <stdio.h>
#include <string.h>

#include "app/knowledge/article.h"
#include "app/escalation/defect.h"
#include "app/incident/incident.h"
#include "app/ticket/macro.h"
#include "app/escalation/problem.h"
#include "app/incident/review.h"
#include "store/sql.h"

#define MIN_MS (60 * 1000LL)
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS (24 * HOUR_MS)

struct ops {
	cb_ms now;
	cb_demo_report *r;
	int64_t open[24]; /* open tickets, newest first */
	int nopen;
};

/* Open tickets untouched for two hours: the events added to them below
 * (all within the last 90 minutes) stay in time order. */
static int collect(cb_conn *c, struct ops *o, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_DEMO_OPEN_TICKETS, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, o->now - 2 * HOUR_MS);
	int r;
	while ((r = cb_q_step(q, err)) == 1)
		if (o->nopen < 24)
			o->open[o->nopen++] = cb_q_i64(q, 0);
	return r < 0 ? -1 : 0;
}

static int components(cb_conn *c, const cb_actor *a, cb_ms at, cb_err *err)
{
	static const char *const names[][2] = {
		{"API", "REST API and webhooks"},
		{"Web app", "The customer web application"},
		{"Sync", "Data synchronisation with connected systems"},
		{"Reports and exports", "Scheduled reports and CSV exports"},
		{"Login and SSO", "Sign-in, SAML and OIDC"},
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		json_t *in = json_pack("{s:s, s:s}", "name", names[i][0], "description", names[i][1]);
		int64_t id;
		int rc = cb_component_create(c, a, at, in, &id, err);
		json_decref(in);
		if (rc)
			return -1;
	}
	return 0;
}

static int past_incident(cb_conn *c, const cb_actor *a, struct ops *o, cb_err *err)
{
	cb_ms t0 = o->now - 9 * DAY_MS - 3 * HOUR_MS;
	json_t *in = json_pack("{s:s, s:s, s:s, s:b, s:[s], s:{s:s}, s:s, s:s, s:s}", "title",
			       "Sign-in failures for SSO customers", "severity", "SEV1", "description",
			       "SAML logins fail with an invalid signature after the IdP certificate rotation",
			       "public", 1, "components", "Login and SSO", "component_states",
			       "Login and SSO", "major_outage", "commander", "sam.okafor@support.example",
			       "technical_lead", "raj.patel@eng.example", "communications_lead",
			       "lena.fischer@support.example");
	int64_t id;
	int rc = cb_incident_create(c, a, t0, in, &id, err);
	json_decref(in);
	if (rc)
		return -1;
	json_t *out;
	static const struct {
		int min;
		const char *status, *body;
	} ups[] = {
		{12, "investigating", "We are investigating failed sign-ins for customers using SSO."},
		{38, "identified",
		 "The cause is identified: the new signing certificate was not published to the "
		 "metadata endpoint. A fix is being deployed."},
		{64, "monitoring", "The fix is deployed and SSO sign-ins succeed again. We are monitoring."},
		{110, "resolved", "Resolved: SSO sign-ins have worked normally for 45 minutes."},
	};
	for (size_t i = 0; i < sizeof ups / sizeof ups[0]; i++) {
		json_t *u = json_pack("{s:s, s:s, s:b}", "status", ups[i].status, "body", ups[i].body,
				      "public", 1);
		out = cb_incident_post_update(c, a, t0 + ups[i].min * MIN_MS, id, u, err);
		json_decref(u);
		if (!out)
			return -1;
		json_decref(out);
	}
	json_t *rv = json_pack(
		"{s:s, s:s, s:[s, s, s]}", "summary",
		"The identity provider certificate was rotated without publishing the new key in our "
		"SAML metadata; every SSO sign-in failed for 98 minutes.",
		"customer_impact",
		"All SSO customers (3 enterprise accounts, about 1,900 users) could not sign in; "
		"password logins were not affected.",
		"contributing_factors", "certificate rotation was a manual runbook step",
		"no synthetic SSO login check", "the alert fired only on the error rate of all logins");
	rc = cb_review_put(c, a, t0 + 2 * DAY_MS, id, rv, err);
	json_decref(rv);
	if (rc)
		return -1;
	char due_late[16], due_soon[16];
	cb_ms late = o->now - 3 * DAY_MS, soon = o->now + 10 * DAY_MS;
	char buf[40];
	cb_time_format(late, buf, sizeof buf);
	snprintf(due_late, sizeof due_late, "%.10s", buf);
	cb_time_format(soon, buf, sizeof buf);
	snprintf(due_soon, sizeof due_soon, "%.10s", buf);
	static const char *const kinds[] = {"corrective", "preventive", "preventive"};
	static const char *const titles[] = {
		"Publish the SAML metadata automatically on certificate rotation",
		"Add a synthetic SSO sign-in check every minute",
		"Alert on the SSO error rate on its own"};
	const char *dues[] = {due_late, due_soon, due_soon};
	static const char *const owners[] = {"raj.patel@eng.example", "olga.ivanova@eng.example",
					     "raj.patel@eng.example"};
	for (int i = 0; i < 3; i++) {
		json_t *ac = json_pack("{s:s, s:s, s:s, s:s}", "type", kinds[i], "title", titles[i],
				       "due_date", dues[i], "owner", owners[i]);
		int64_t aid;
		rc = cb_review_action_create(c, a, t0 + 2 * DAY_MS, id, ac, &aid, err);
		json_decref(ac);
		if (rc)
			return -1;
	}
	return 0;
}

static int active_incident(cb_conn *c, const cb_actor *a, struct ops *o, cb_err *err)
{
	cb_ms t0 = o->now - 50 * MIN_MS;
	json_t *in = json_pack("{s:s, s:s, s:s, s:b, s:[s, s], s:{s:s, s:s}, s:s, s:s}", "title",
			       "Delayed data sync in eu-west", "severity", "SEV2", "description",
			       "Sync jobs in eu-west are delayed by up to 40 minutes", "public", 1,
			       "components", "Sync", "Reports and exports", "component_states", "Sync",
			       "degraded_performance", "Reports and exports", "degraded_performance",
			       "commander", "sam.okafor@support.example", "technical_lead",
			       "olga.ivanova@eng.example");
	int64_t id;
	int rc = cb_incident_create(c, a, t0, in, &id, err);
	json_decref(in);
	if (rc)
		return -1;
	json_t *link = json_array();
	for (int i = 0; i < o->nopen && i < 5; i++)
		json_array_append_new(link, json_integer(o->open[i]));
	json_t *l = json_pack("{s:o}", "tickets", link);
	json_t *out = cb_incident_link_tickets(c, a, t0 + 5 * MIN_MS, id, l, err);
	json_decref(l);
	if (!out)
		return -1;
	json_decref(out);
	json_t *u = json_pack("{s:s, s:s, s:b}", "status", "identified", "body",
			      "A queue consumer in eu-west is saturated; we are adding capacity. "
			      "Data is delayed, not lost.",
			      "public", 1);
	out = cb_incident_post_update(c, a, t0 + 20 * MIN_MS, id, u, err);
	json_decref(u);
	if (!out)
		return -1;
	json_decref(out);
	u = json_pack("{s:s, s:b}", "body", "Scaled consumers from 6 to 12; lag is dropping.", "public",
		      0);
	out = cb_incident_post_update(c, a, t0 + 35 * MIN_MS, id, u, err);
	json_decref(u);
	if (!out)
		return -1;
	json_decref(out);
	return 0;
}

static int defects_and_problems(cb_conn *c, const cb_actor *a, struct ops *o, int64_t known_error,
				cb_err *err)
{
	static const struct {
		const char *key, *title, *status;
	} defects[] = {
		{"ENG-2141", "CSV export times out for workspaces with more than 200k rows", "in_progress"},
		{"ENG-2107", "Webhook retries stop after a 410 from the receiver", "fixed"},
		{"ENG-2188", "Password reset e-mail link expires after 10 minutes", "open"},
	};
	int k = 5; /* tickets 0..4 belong to the active incident */
	for (size_t d = 0; d < sizeof defects / sizeof defects[0]; d++) {
		char url[128];
		snprintf(url, sizeof url, "https://tracker.example/browse/%s", defects[d].key);
		json_t *in = json_pack("{s:s, s:s, s:s, s:s}", "tracker", "jira", "key", defects[d].key,
				       "title", defects[d].title, "url", url);
		int64_t id;
		int rc = cb_defect_create(c, a, o->now - (12 - (int)d) * DAY_MS, in, &id, err);
		/* links and fixes: within the last 90 minutes, after every event of
		 * the tickets (collect) */
		json_decref(in);
		if (rc)
			return -1;
		for (int n = 0; n < 3 && k < o->nopen; n++, k++) {
			json_t *ln = json_pack("{s:I}", "defect", (json_int_t)id);
			json_t *out = cb_defect_link(c, a, o->now - (90 - 10 * n) * MIN_MS, o->open[k], ln, err);
			json_decref(ln);
			if (!out)
				return -1;
			json_decref(out);
		}
		if (strcmp(defects[d].status, "open") != 0) {
			json_t *st = json_pack("{s:s}", "status", defects[d].status);
			rc = cb_defect_update(c, a, o->now - 40 * MIN_MS, id, st, err);
			json_decref(st);
			if (rc)
				return -1;
		}
	}
	json_t *in = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "title",
			       "Sync stalls after an OAuth token refresh", "category", "integrations",
			       "status", "known_error", "root_cause",
			       "The refresh response is cached for the old scope set, so the next sync "
			       "call is rejected and the job waits for its hourly retry.",
			       "workaround", "Disconnect and reconnect the integration; the job restarts at once.",
			       "article", (json_int_t)known_error);
	int64_t pid;
	int rc = cb_problem_create(c, a, o->now - 20 * DAY_MS, in, &pid, err);
	json_decref(in);
	if (rc)
		return -1;
	for (int n = 0; n < 4 && k < o->nopen; n++, k++) {
		json_t *ln = json_pack("{s:I}", "problem", (json_int_t)pid);
		json_t *out = cb_problem_link(c, a, o->now - (85 - 10 * n) * MIN_MS, o->open[k], ln, err);
		json_decref(ln);
		if (!out)
			return -1;
		json_decref(out);
		/* the agent points the customer to the known error */
		ln = json_pack("{s:I}", "article", (json_int_t)known_error);
		out = cb_article_link(c, a, o->now - (80 - 10 * n) * MIN_MS, o->open[k], ln, err);
		json_decref(ln);
		if (!out)
			return -1;
		json_decref(out);
	}
	return 0;
}

static int macros(cb_conn *c, const cb_actor *a, cb_ms at, cb_err *err)
{
	json_t *list[] = {
		json_pack("{s:s, s:s, s:s, s:{s:s, s:[s]}}", "name", "Ask for logs and a HAR file", "scope",
			  "shared", "body",
			  "Hi {{requester.first_name}},\n\nto find out what happens in case "
			  "#{{ticket.id}}, could you send us the application log from the time it "
			  "failed and a HAR file of the failing page?\n\nThanks,\n{{agent.name}}",
			  "changes", "status", "pending", "tags_add", "needs-logs"),
		json_pack("{s:s, s:s, s:s, s:{s:s}}", "name", "Solved: confirm the fix", "scope", "shared",
			  "body",
			  "Hi {{requester.first_name}},\n\nthe fix is live for {{account.name}}. I am "
			  "marking case #{{ticket.id}} as solved; reply to this message if anything "
			  "still looks wrong.\n\n{{agent.name}}",
			  "changes", "status", "solved"),
		json_pack("{s:s, s:s, s:s, s:b, s:{s:s, s:s}}", "name", "Hand over to engineering",
			  "scope", "shared", "body",
			  "Reproduced; handing over to engineering with the package. Priority raised.",
			  "public", 0, "changes", "group", "Engineering", "priority", "P2"),
	};
	int rc = 0;
	for (size_t i = 0; i < sizeof list / sizeof list[0]; i++) {
		int64_t id;
		if (rc == 0)
			rc = cb_macro_create(c, a, at, list[i], &id, err);
		json_decref(list[i]);
	}
	return rc;
}

static int ops_fn(cb_conn *c, void *p, cb_err *err)
{
	struct ops *o = p;
	int64_t uid = 0;
	if (cb_q_one_by_text(c, CB_SQL_DEMO_ADMIN, "", &uid, err) < 0)
		return -1;
	cb_actor admin = {.user_id = uid, .role = CB_ROLE_ADMIN, .email = "demo"};
	int64_t known_error = 0;
	return collect(c, o, err) || components(c, &admin, o->now - 30 * DAY_MS, err) ||
	       past_incident(c, &admin, o, err) || active_incident(c, &admin, o, err) ||
	       cb_demo_knowledge(c, &admin, o->now, &known_error, &o->r->articles, err) ||
	       defects_and_problems(c, &admin, o, known_error, err) ||
	       macros(c, &admin, o->now - 30 * DAY_MS, err);
}

int cb_demo_operations(cb_app *app, cb_ms now, cb_demo_report *out, cb_err *err)
{
	struct ops o = {.now = now - now % 1000, .r = out};
	return cb_db_write(app->db, ops_fn, &o, err);
}
