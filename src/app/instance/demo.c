/* demo.c - demo data (see demo.h).
 *
 * DESIGN: a seeded PRNG makes the data set reproducible. People and groups
 * are created through directory.c; each ticket is a small scripted history
 * (customer opens it, an agent answers within business-ish hours, pending
 * and customer replies, escalations for hard ones, a solve, sometimes a
 * reopen, a close for old ones, CSAT on some) replayed through
 * cb_ticketsvc_create(CB_TICKET_IMPORT) and cb_ticketsvc_import_event(), i.e. the
 * importer's path with the clock set to each event. */
#include "app/instance/demo.h"
#include "app/ticket/pipeline.h"
#include "app/directory/directory.h"
#include "app/ticket/ticket.h"
#include "app/sla/sla.h"
#include "app/sla/sla_config.h"
#include "store/sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_MS (60 * 1000LL)
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS (24 * HOUR_MS)

static unsigned rnd_state;

static unsigned rnd(void)
{
	/* xorshift32 */
	unsigned x = rnd_state;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return rnd_state = x;
}

static int pick(int n)
{
	return (int)(rnd() % (unsigned)n);
}

static int chance(int percent)
{
	return pick(100) < percent;
}

static const struct {
	const char *name, *tier, *domain;
} accounts[] = {
	{"Northwind Health", "enterprise", "northwind.example"},
	{"Acme Logistics", "enterprise", "acme.example"},
	{"Globex Finance", "enterprise", "globex.example"},
	{"Initech", "business", "initech.example"},
	{"Umbrella Labs", "business", "umbrella.example"},
	{"Stark Retail", "business", "stark.example"},
	{"Hooli Media", "business", "hooli.example"},
	{"Pied Piper", "standard", "piedpiper.example"},
	{"Vandelay Imports", "standard", "vandelay.example"},
	{"Bluth Homes", "standard", "bluth.example"},
	{"Wonka Foods", "standard", "wonka.example"},
};
#define NACC (int)(sizeof accounts / sizeof accounts[0])

static const char *const first_names[] = {"alice", "bruno", "chen", "dana", "emeka", "farah",
					  "greta", "hiro", "ines", "jonas", "kavya", "liam"};

static const struct {
	const char *email, *name, *role;
} staff[] = {
	{"maria.lopez@support.example", "Maria Lopez", "agent"},
	{"sam.okafor@support.example", "Sam Okafor", "agent"},
	{"priya.nair@support.example", "Priya Nair", "agent"},
	{"tom.becker@support.example", "Tom Becker", "agent"},
	{"yuki.tanaka@support.example", "Yuki Tanaka", "agent"},
	{"lena.fischer@support.example", "Lena Fischer", "agent"},
	{"raj.patel@eng.example", "Raj Patel", "engineer"},
	{"olga.ivanova@eng.example", "Olga Ivanova", "engineer"},
	{"ben.carter@eng.example", "Ben Carter", "engineer"},
};
#define NSTAFF (int)(sizeof staff / sizeof staff[0])
#define NAGENTS 6

static const struct {
	const char *category, *subject, *description;
} problems[] = {
	{"sso", "SSO login loop after enabling SAML", "Users are redirected back to the IdP endlessly after we switched on SAML. Started this morning for everyone in the EU tenant."},
	{"sso", "Okta group sync not updating roles", "Role changes in Okta are not reflected after the nightly sync."},
	{"api", "API returns 429 although we are under quota", "Our integration gets HTTP 429 at about 40 requests per minute; the plan allows 600."},
	{"api", "Webhook deliveries delayed by 20 minutes", "Order webhooks arrive 15-20 minutes late since yesterday evening."},
	{"billing", "Invoice shows seats we removed", "The November invoice still bills 120 seats; we removed 30 in October."},
	{"billing", "Cannot update credit card", "The payment form rejects our new card with a generic error."},
	{"performance", "Dashboard takes 30 seconds to load", "The analytics dashboard became very slow after the last release."},
	{"performance", "Search is slow for large projects", "Searching in projects with more than 50k items times out."},
	{"data-export", "CSV export truncates at 10,000 rows", "Exports stop at exactly 10,000 rows without a warning."},
	{"data-export", "Scheduled export missing columns", "The weekly export no longer includes the custom fields."},
	{"integrations", "Salesforce sync fails with INVALID_FIELD", "The sync job fails for every record since we added a custom field."},
	{"integrations", "Slack notifications stopped", "No Slack notifications since the workspace was renamed."},
	{"onboarding", "How do we bulk-import users?", "We are onboarding 400 users next week and need to import them from a spreadsheet."},
	{"outage", "Service unavailable (503) in us-east", "All requests to the us-east endpoint return 503 since 14:05 UTC."},
	{"mobile", "iOS app crashes on launch after update", "Version 5.2 crashes immediately on iOS 17 devices."},
};
#define NPROB (int)(sizeof problems / sizeof problems[0])

static const char *const agent_replies[] = {
	"Thanks for the report. Could you send the request IDs and the time it happened (with time zone)?",
	"I have reproduced this on our side and I am working on a fix or workaround now.",
	"This is caused by a known issue; the workaround is to clear the session cache and sign in again.",
	"We have deployed a fix. Could you confirm it works for you?",
	"I have escalated this to engineering with the logs you sent; I will update you within 4 hours.",
};
static const char *const customer_replies[] = {
	"Request IDs attached; it happened around 09:40 CET.",
	"Still failing for some users, see the new screenshot.",
	"That worked, thank you!",
	"Any update? This is blocking our team.",
};
static const char *const notes[] = {
	"Checked the logs: the IdP certificate rotated yesterday.",
	"Customer is on the legacy plan; check entitlement before promising a credit.",
	"Looks like the rate limiter config regression from last release.",
};

struct ctx {
	cb_arena *a;
	cb_ms now;
	const cb_demo_opts *o;
	cb_demo_report *r;
	int64_t group_ids[4];
	int64_t last_id; /* the ticket add_ticket() created last */
};

/* A business-hours calendar and policies by tier and priority, as a
 * support organisation would set them up. */
static int add_sla(cb_conn *c, struct ctx *x, cb_err *err)
{
	cb_actor sys = {.role = CB_ROLE_ADMIN};
	json_t *body = json_pack("{s:s, s:s, s:{s:[[s,s]], s:[[s,s]], s:[[s,s]], s:[[s,s]], s:[[s,s]]},"
				 " s:[s,s,s]}",
				 "name", "support-hours", "timezone", "America/New_York", "hours",
				 "mon", "08:00", "20:00", "tue", "08:00", "20:00", "wed", "08:00", "20:00",
				 "thu", "08:00", "20:00", "fri", "08:00", "20:00",
				 "holidays", "2026-11-26", "2026-12-25", "2027-01-01");
	json_t *doc = NULL;
	int64_t cal;
	int rc = cb_slacfg_calendar_check(body, &doc, err) ||
		 cb_slacfg_calendar_create(c, &sys, x->now, doc, &cal, err);
	json_decref(body);
	json_decref(doc);
	if (rc)
		return -1;
	static const struct {
		const char *name, *tier, *prio;
		int business, fr, nu, res;
	} pol[] = {
		{"enterprise-p1", "enterprise", "P1", 0, 30, 60, 480},
		{"p1", NULL, "P1", 0, 60, 120, 1440},
		{"enterprise", "enterprise", NULL, 1, 120, 480, 2400},
		{"business", "business", NULL, 1, 240, 960, 4800},
		{"standard", NULL, NULL, 1, 480, 1440, 9600},
	};
	for (size_t i = 0; i < sizeof pol / sizeof pol[0]; i++) {
		json_t *cond = json_object();
		if (pol[i].tier)
			json_object_set_new(cond, "tier", json_string(pol[i].tier));
		if (pol[i].prio)
			json_object_set_new(cond, "priority", json_string(pol[i].prio));
		json_t *b = json_pack("{s:s, s:i, s:o, s:o, s:{s:i, s:i, s:i}}", "name", pol[i].name,
				      "position", (int)i + 1, "conditions", cond, "calendar",
				      pol[i].business ? json_string("support-hours") : json_string("24x7"),
				      "targets", "first_response", pol[i].fr, "next_update", pol[i].nu,
				      "resolution", pol[i].res);
		cb_slacfg_policy_in in;
		int64_t id;
		rc = cb_slacfg_policy_from_json(&in, b, 0, x->a, err) ||
		     cb_slacfg_policy_create(c, &sys, x->now, &in, &id, err);
		json_decref(b);
		if (rc)
			return -1;
	}
	return 0;
}

/* long: the demo's accounts, staff and groups, a table-driven sequence */
static int add_people(cb_conn *c, struct ctx *x, cb_err *err)
{
	cb_actor sys = {.role = CB_ROLE_ADMIN};
	for (int i = 0; i < NACC; i++) {
		cb_dir_account_in in = {0};
		in.set = CB_DIR_ACCOUNT_NAME | CB_DIR_ACCOUNT_TIER | CB_DIR_ACCOUNT_DOMAINS;
		in.name = accounts[i].name;
		in.tier = accounts[i].tier;
		in.domains = json_pack("[s]", accounts[i].domain);
		int64_t acc_id;
		int rc = cb_dir_account_check(&in, 0, x->a, err) ||
			 cb_dir_account_create(c, x->a, &sys, x->now, &in, &acc_id, err);
		json_decref(in.domains);
		if (rc)
			return -1;
		x->r->accounts++;
		int ncust = accounts[i].tier[0] == 'e' ? 4 : 2;
		for (int k = 0; k < ncust; k++) {
			cb_dir_user_in u = {0};
			u.set = CB_DIR_USER_EMAIL | CB_DIR_USER_NAME | CB_DIR_USER_ROLE | CB_DIR_USER_ACCOUNT;
			u.email = cb_arena_printf(x->a, "%s@%s", first_names[(i + k * 5) % 12], accounts[i].domain);
			u.name = first_names[(i + k * 5) % 12];
			u.role = "customer";
			u.account = json_integer(acc_id);
			if (i == 0 && k == 0) { /* a customer who can log in to the portal */
				u.set |= CB_DIR_USER_PASSWORD;
				u.password = CB_DEMO_PASSWORD;
			}
			int64_t uid;
			rc = cb_dir_user_check(&u, 0, x->a, err) ||
			     cb_dir_user_create(c, x->a, &sys, x->now, &u, &uid, err);
			json_decref(u.account);
			if (rc)
				return -1;
			x->r->users++;
		}
	}
	for (int i = 0; i < NSTAFF; i++) {
		cb_dir_user_in u = {0};
		u.set = CB_DIR_USER_EMAIL | CB_DIR_USER_NAME | CB_DIR_USER_ROLE;
		u.email = staff[i].email;
		u.name = staff[i].name;
		u.role = staff[i].role;
		if (i == 0) { /* an agent who can log in to the console */
			u.set |= CB_DIR_USER_PASSWORD;
			u.password = CB_DEMO_PASSWORD;
		}
		int64_t id;
		if (cb_dir_user_check(&u, 0, x->a, err) ||
		    cb_dir_user_create(c, x->a, &sys, x->now, &u, &id, err))
			return -1;
		x->r->users++;
	}
	static const char *const gnames[] = {"Tier 1", "Tier 2", "Engineering", "Billing"};
	static const char *const gdesc[] = {"First line: triage and common questions",
					    "Complex technical cases", "Escalations from support",
					    "Invoices, payments and plans"};
	for (int g = 0; g < 4; g++) {
		cb_dir_group_in in = {0};
		in.set = CB_DIR_GROUP_NAME | CB_DIR_GROUP_DESCRIPTION | CB_DIR_GROUP_MEMBERS;
		in.name = gnames[g];
		in.description = gdesc[g];
		in.members = json_array();
		if (g == 0)
			for (int k = 0; k < 3; k++)
				json_array_append_new(in.members, json_string(staff[k].email));
		else if (g == 1)
			for (int k = 3; k < 6; k++)
				json_array_append_new(in.members, json_string(staff[k].email));
		else if (g == 2)
			for (int k = 6; k < 9; k++)
				json_array_append_new(in.members, json_string(staff[k].email));
		else
			json_array_append_new(in.members, json_string(staff[2].email));
		int rc = cb_dir_group_check(&in, 0, x->a, err) ||
			 cb_dir_group_create(c, x->a, &sys, x->now, &in, &x->group_ids[g], err);
		json_decref(in.members);
		if (rc)
			return -1;
		x->r->groups++;
	}
	return 0;
}

static const char *iso(struct ctx *x, cb_ms t)
{
	char *buf = cb_arena_alloc(x->a, 40);
	cb_time_format(t, buf, 40);
	return buf;
}

/* Moves t forward by a random amount in [lo, hi) minutes, keeping it before now. */
static cb_ms later(struct ctx *x, cb_ms t, int lo, int hi)
{
	cb_ms n = t + (cb_ms)(lo + pick(hi - lo)) * MIN_MS;
	return n < x->now - MIN_MS ? n : 0;
}

static int ev(cb_conn *c, struct ctx *x, int64_t id, json_t *e, cb_err *err)
{
	cb_actor sys = {.role = CB_ROLE_ADMIN};
	int rc = cb_ticketsvc_import_event(c, &sys, id, e, err);
	json_decref(e);
	if (rc == 0)
		x->r->events++;
	return rc;
}

/* long: one ticket's scripted story; the order of its random draws fixes the demo data */
static int add_ticket(cb_conn *c, struct ctx *x, int n, cb_err *err)
{
	int acc = pick(NACC);
	int prob = pick(NPROB);
	const char *customer = cb_arena_printf(
		x->a, "%s@%s", first_names[(acc + pick(accounts[acc].tier[0] == 'e' ? 4 : 2) * 5) % 12],
		accounts[acc].domain);
	static const char *const prios[] = {"P1", "P2", "P2", "P3", "P3", "P3", "P3", "P4", "P4"};
	const char *prio = strcmp(problems[prob].category, "outage") == 0 ? "P1" : prios[pick(9)];
	/* created at a random instant in the window, weighted to recent days */
	cb_ms span = (cb_ms)x->o->days * DAY_MS;
	cb_ms created = x->now - span + (cb_ms)((double)(rnd() % 1000000) / 1000000.0 * (double)span);
	created -= created % 1000;
	const char *agent = staff[pick(NAGENTS)].email;
	int group = strcmp(problems[prob].category, "billing") == 0 ? 3 : (prio[1] <= '2' ? 1 : 0);
	json_t *line = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s], s:{s:s, s:s}}",
				 "external_id", cb_arena_printf(x->a, "DEMO-%04d", n + 1),
				 "subject", problems[prob].subject, "description", problems[prob].description,
				 "requester", customer, "account", accounts[acc].name, "priority", prio,
				 "category", problems[prob].category, "tags", problems[prob].category,
				 "environment", "version", chance(50) ? "5.2.1" : "5.1.4", "region",
				 chance(60) ? "eu-west-1" : "us-east-1", "created_at", "");
	json_object_set_new(line, "created_at", json_string(iso(x, created)));
	cb_actor sys = {.role = CB_ROLE_ADMIN};
	int64_t id;
	int rc = cb_ticketsvc_create(c, &sys, created, line, CB_TICKET_IMPORT, &id, err);
	json_decref(line);
	if (rc)
		return -1;
	x->last_id = id;
	x->r->tickets++;
	/* the story: how far it gets depends on its age and luck */
	int age_h = (int)((x->now - created) / HOUR_MS);
	cb_ms t = created;
	cb_ms nt;
	if (age_h < 2 && chance(70))
		return 0; /* brand new, untouched */
	if ((nt = later(x, t, 5, prio[1] == '1' ? 45 : 600)) == 0)
		return 0;
	t = nt;
	if (ev(c, x, id, json_pack("{s:s, s:s, s:s, s:s, s:s}", "at", iso(x, t), "type", "assign",
				   "author", agent, "assignee", agent, "group",
				   group == 3 ? "Billing" : group == 1 ? "Tier 2" : "Tier 1"), err))
		return -1;
	if (chance(40) && (nt = later(x, t, 1, 30))) {
		t = nt;
		if (ev(c, x, id, json_pack("{s:s, s:s, s:s, s:b, s:s}", "at", iso(x, t), "type", "comment",
					   "author", agent, "public", 0, "body", notes[pick(3)]), err))
			return -1;
	}
	if ((nt = later(x, t, 2, 240)) == 0)
		return 0;
	t = nt;
	if (ev(c, x, id, json_pack("{s:s, s:s, s:s, s:b, s:s}", "at", iso(x, t), "type", "comment",
				   "author", agent, "public", 1, "body", agent_replies[pick(3)]), err))
		return -1;
	int rounds = pick(3);
	for (int r = 0; r < rounds; r++) {
		if ((nt = later(x, t, 1, 30)) == 0)
			return 0;
		t = nt;
		if (ev(c, x, id, json_pack("{s:s, s:s, s:s, s:s}", "at", iso(x, t), "type", "status",
					   "author", agent, "status", "pending"), err))
			return -1;
		if ((nt = later(x, t, 30, 2880)) == 0)
			return 0;
		t = nt;
		if (ev(c, x, id, json_pack("{s:s, s:s, s:s, s:b, s:s}", "at", iso(x, t), "type", "comment",
					   "author", customer, "public", 1, "body", customer_replies[pick(2)]), err))
			return -1;
		if ((nt = later(x, t, 10, 300)) == 0)
			return 0;
		t = nt;
		if (ev(c, x, id, json_pack("{s:s, s:s, s:s, s:b, s:s}", "at", iso(x, t), "type", "comment",
					   "author", agent, "public", 1, "body", agent_replies[1 + pick(3)]), err))
			return -1;
	}
	if (prio[1] <= '2' && chance(45)) {
		if ((nt = later(x, t, 10, 120)) == 0)
			return 0;
		t = nt;
		if (ev(c, x, id, json_pack("{s:s, s:s, s:s, s:s, s:s}", "at", iso(x, t), "type", "escalation",
					   "author", agent, "group", "Engineering", "summary", problems[prob].subject), err) ||
		    ev(c, x, id, json_pack("{s:s, s:s, s:s, s:s}", "at", iso(x, t), "type", "status",
					   "author", agent, "status", "on_hold"), err))
			return -1;
		if ((nt = later(x, t, 20, 600)) == 0)
			return 0;
		t = nt;
		const char *eng = staff[6 + pick(3)].email;
		if (ev(c, x, id, json_pack("{s:s, s:s, s:s}", "at", iso(x, t), "type", "escalation_ack", "author", eng), err))
			return -1;
		if ((nt = later(x, t, 60, 2000)) == 0)
			return 0;
		t = nt;
		if (ev(c, x, id, json_pack("{s:s, s:s, s:s}", "at", iso(x, t), "type",
					   chance(75) ? "escalation_accepted" : "escalation_returned", "author", eng), err))
			return -1;
		if ((nt = later(x, t, 120, 4000)) == 0)
			return 0;
		t = nt;
		if (ev(c, x, id, json_pack("{s:s, s:s, s:s, s:b, s:s}", "at", iso(x, t), "type", "comment",
					   "author", agent, "public", 1, "body", agent_replies[3]), err))
			return -1;
	}
	if (chance(20) && (nt = later(x, t, 5, 60))) {
		t = nt;
		if (ev(c, x, id, json_pack("{s:s, s:s, s:s, s:s}", "at", iso(x, t), "type", "priority",
					   "author", agent, "priority", prio[1] == '4' ? "P3" : "P2"), err))
			return -1;
	}
	if (chance(15))
		return 0; /* still being worked */
	if ((nt = later(x, t, 30, 1440)) == 0)
		return 0;
	t = nt;
	if (ev(c, x, id, json_pack("{s:s, s:s, s:s, s:s}", "at", iso(x, t), "type", "status",
				   "author", agent, "status", "solved"), err))
		return -1;
	if (chance(35) && (nt = later(x, t, 60, 2000))) {
		t = nt;
		if (ev(c, x, id, json_pack("{s:s, s:s, s:i, s:s}", "at", iso(x, t), "type", "csat", "score",
					   chance(70) ? 4 + pick(2) : 1 + pick(3), "comment", "Thanks"), err))
			return -1;
	}
	if (chance(12) && (nt = later(x, t, 60, 4000))) {
		t = nt;
		if (ev(c, x, id, json_pack("{s:s, s:s, s:s, s:b, s:s}", "at", iso(x, t), "type", "comment",
					   "author", customer, "public", 1, "body", customer_replies[1]), err))
			return -1;
		if ((nt = later(x, t, 30, 600)) == 0)
			return 0;
		t = nt;
		if (ev(c, x, id, json_pack("{s:s, s:s, s:s, s:b, s:s}", "at", iso(x, t), "type", "comment",
					   "author", agent, "public", 1, "body", agent_replies[2]), err) ||
		    ev(c, x, id, json_pack("{s:s, s:s, s:s, s:s}", "at", iso(x, t), "type", "status",
					   "author", agent, "status", "solved"), err))
			return -1;
	}
	/* solved tickets close after 4 days */
	if (x->now - t > 4 * DAY_MS &&
	    ev(c, x, id, json_pack("{s:s, s:s, s:s}", "at", iso(x, t + 4 * DAY_MS), "type", "status", "status", "closed"), err))
		return -1;
	return 0;
}

struct job {
	struct ctx *x;
	int from, to; /* ticket numbers */
	int people;
};

/* A data directory takes the demo data set once: the first job records it
 * (settings 'demo') and refuses when it is already there, or when a data
 * set from before that record is (its demo agent exists). */
static int mark_loaded(cb_conn *c, struct ctx *x, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_DEMO_MARK_GET, err);
	if (!q)
		return -1;
	int r = cb_q_step(q, err);
	if (r < 0)
		return -1;
	if (r == 1) {
		json_t *m = json_loads(cb_q_text(q, 0), 0, NULL);
		cb_q_reset(q);
		const char *at = json_string_value(json_object_get(m, "loaded_at"));
		cb_err_set(err, CB_E_CONFLICT, NULL,
			   "the demo data set is already loaded in this data directory (%lld "
			   "tickets, at %s); nothing was changed",
			   (long long)json_integer_value(json_object_get(m, "tickets")), at ? at : "?");
		json_decref(m);
		return -1;
	}
	int64_t uid;
	r = cb_q_one_by_text(c, CB_SQL_DEMO_USER, staff[0].email, &uid, err);
	if (r < 0)
		return -1;
	if (r == 1)
		return cb_err_set(err, CB_E_CONFLICT, NULL,
				  "the demo data set is already loaded in this data directory (its "
				  "agent %s exists); nothing was changed",
				  staff[0].email);
	json_t *m = json_pack("{s:s, s:i, s:i, s:I}", "loaded_at", iso(x, x->now), "tickets",
			      x->o->tickets, "days", x->o->days, "seed", (json_int_t)x->o->seed);
	char *v = json_dumps(m, JSON_COMPACT);
	json_decref(m);
	q = cb_q_get(c, CB_SQL_DEMO_MARK_SET, err);
	if (q)
		cb_q_bind_text(q, 1, v);
	int rc = q ? cb_q_exec(q, err) : -1;
	free(v);
	return rc;
}

static int job_fn(cb_conn *c, void *p, cb_err *err)
{
	struct job *j = p;
	if (j->people &&
	    (mark_loaded(c, j->x, err) || add_sla(c, j->x, err) || add_people(c, j->x, err)))
		return -1;
	for (int n = j->from; n < j->to; n++) {
		/* the history first, then its clocks folded once, as of now */
		if (add_ticket(c, j->x, n, err) || cb_pipeline_project(c, NULL, j->x->last_id, j->x->now, CB_PROJECT_ALL, err))
			return -1;
	}
	return 0;
}

int cb_demo_load(cb_app *app, const cb_demo_opts *opts, cb_ms now, cb_demo_report *out,
		 cb_err *err)
{
	cb_demo_opts o = {.tickets = 300, .days = 42, .seed = 42};
	if (opts) {
		if (opts->tickets > 0)
			o.tickets = opts->tickets;
		if (opts->days > 0)
			o.days = opts->days;
		if (opts->seed)
			o.seed = opts->seed;
	}
	memset(out, 0, sizeof *out);
	rnd_state = o.seed;
	struct ctx x = {.now = now - now % 1000, .o = &o, .r = out};
	x.a = cb_arena_new();
	struct job people = {.x = &x, .people = 1};
	int rc = cb_db_write(app->db, job_fn, &people, err);
	cb_arena_free(x.a);
	for (int from = 0; rc == 0 && from < o.tickets; from += 100) {
		x.a = cb_arena_new();
		struct job j = {.x = &x, .from = from, .to = from + 100 < o.tickets ? from + 100 : o.tickets};
		rc = cb_db_write(app->db, job_fn, &j, err);
		cb_arena_free(x.a);
		cb_progress_report(&app->progress, j.to, o.tickets);
	}
	if (rc == 0)
		rc = cb_demo_operations(app, now, out, err);
	return rc;
}
