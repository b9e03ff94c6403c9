/* demo_kb.c - the knowledge base of the demo data set (see demo.h):
 * published customer-facing articles for the questions the demo tickets
 * ask (so ticket suggestions and portal search find them), internal
 * runbooks, an FAQ, a draft and a stale article, and the known error of the
 * demo problem (on /known-issues). Written through cb_article_create and
 * cb_article_update like the API, so every article has its versions and is
 * in the search index at once. */
#include "app/instance/demo.h"

#include <stdio.h>
#include <string.h>

#include "app/knowledge/article.h"

#define DAY_MS (24 * 60 * 60 * 1000LL)

static const struct {
	const char *type, *state, *visibility, *title, *product_area, *tag, *owner;
	int age_days;   /* created this many days ago */
	int stale;      /* review_by already past */
	const char *symptoms, *cause, *workaround, *body;
} articles[] = {
	{"kb", "published", "public", "SSO login loop after enabling SAML", "Login and SSO", "sso",
	 "maria.lopez@support.example", 35, 0,
	 "After SAML is switched on, users are sent back to the identity provider again and again "
	 "and never reach the application.",
	 "The assertion consumer service URL or the signing certificate in the identity provider "
	 "does not match the workspace's SAML settings, so every assertion is rejected and the "
	 "sign-in starts over.",
	 NULL,
	 "Who is affected: every user of a workspace that has just enabled SAML single sign-on.\n\n"
	 "Check, in this order:\n"
	 "1. In your identity provider, the ACS (reply) URL must be exactly the one shown under "
	 "Settings > Security > SAML, including the trailing path.\n"
	 "2. The signing certificate uploaded to the workspace must be the one the identity "
	 "provider signs with today. After a certificate rotation, upload the new certificate "
	 "or re-import the metadata URL.\n"
	 "3. The NameID format must be emailAddress, and the e-mail must match an existing user.\n"
	 "4. Clear the browser's cookies for the application domain and sign in again.\n\n"
	 "Verify: a test user signs in through the identity provider's app tile and lands on the "
	 "dashboard. If the loop continues, send us the SAML response (a HAR file of the sign-in) "
	 "and the time of the attempt with your time zone."},
	{"kb", "published", "public", "API requests return 429 Too Many Requests below the plan's quota",
	 "API", "api", "sam.okafor@support.example", 30, 0,
	 "HTTP 429 responses with a Retry-After header although the integration stays well under "
	 "the requests per minute of the plan.",
	 "The plan's quota is per workspace, but each API token also has a burst limit of 10 "
	 "requests per second; integrations that send their calls in bursts (a cron job, a "
	 "batch sync) exceed the burst limit long before the quota.",
	 NULL,
	 "Read the X-RateLimit-Limit, X-RateLimit-Remaining and Retry-After headers of the 429 "
	 "response: a Remaining above zero means the burst limit, not the quota, was hit.\n\n"
	 "Fix:\n"
	 "1. Honour Retry-After: wait the number of seconds it gives before the next call.\n"
	 "2. Spread batch calls evenly (for example at most 5 per second) instead of sending them "
	 "all at once.\n"
	 "3. Use the bulk endpoints for imports: one call carries up to 500 records.\n\n"
	 "If you still get 429 with calls spread out, send us the request IDs (X-Request-Id) of a "
	 "few refused calls."},
	{"kb", "published", "public", "Webhook deliveries are delayed or have stopped", "API", "webhooks",
	 "priya.nair@support.example", 28, 0,
	 "Webhook events arrive minutes late, or no longer arrive at all, while the events are "
	 "visible in the application.",
	 "Deliveries are retried with exponential backoff when the receiver answers slowly or "
	 "with an error; after 24 hours of failures the endpoint is disabled.",
	 NULL,
	 "1. Open Settings > Webhooks and check the endpoint's status and its last 50 delivery "
	 "attempts with their response codes.\n"
	 "2. Your receiver must answer with a 2xx within 10 seconds; do the work after "
	 "answering (queue it), not before.\n"
	 "3. A disabled endpoint is re-enabled with the Enable button; missed events can be "
	 "replayed from the delivery log for the past 7 days.\n"
	 "4. Make sure your firewall allows our delivery addresses (listed on the same page)."},
	{"kb", "published", "public", "CSV export stops at 10,000 rows", "Reports and exports", "data-export",
	 "tom.becker@support.example", 25, 0,
	 "An export from a list view contains exactly 10,000 rows, without a warning.",
	 "Exports started from a list view are limited to 10,000 rows; larger data sets must use "
	 "a scheduled export, which has no row limit.",
	 NULL,
	 "1. Go to Reports > Scheduled exports and create an export with the same filters.\n"
	 "2. Run it once now; the file is e-mailed as a link when it is ready (large workspaces "
	 "take a few minutes).\n"
	 "3. Custom fields are included when 'Include custom fields' is ticked."},
	{"kb", "published", "public", "Slack notifications stopped after renaming the workspace",
	 "Integrations", "integrations", "yuki.tanaka@support.example", 20, 0,
	 "No Slack notifications arrive after the Slack workspace was renamed or moved.",
	 "The Slack app's token is tied to the workspace URL; a rename invalidates it.",
	 "Reconnect Slack under Settings > Integrations > Slack; the channel mappings are kept.",
	 "Reconnecting takes one minute and keeps every channel mapping. An administrator of the "
	 "Slack workspace must approve the app again."},
	{"faq", "published", "public", "How do I bulk-import users from a spreadsheet?", "Onboarding",
	 "onboarding", "lena.fischer@support.example", 40, 0, NULL, NULL, NULL,
	 "1. Download the template from Settings > Users > Import.\n"
	 "2. Fill in one row per user: e-mail (required), name, role, team.\n"
	 "3. Upload the file as CSV (UTF-8). Up to 5,000 users per file.\n"
	 "4. Check the preview: rows with errors are listed with the reason and are not imported.\n"
	 "Invitations are sent when you confirm; with SSO enabled no invitation is needed."},
	{"runbook", "published", "internal", "First 15 minutes of a suspected outage (503s)", "API",
	 "outage", "sam.okafor@support.example", 45, 1, NULL, NULL, NULL,
	 "Use when two or more customers report errors or timeouts in the same region within 15 "
	 "minutes.\n\n"
	 "1. Check the status page and #incidents: is an incident already open? If so, link the "
	 "tickets to it and use its public updates.\n"
	 "2. Confirm from our side: error rate and latency dashboards for the region, the last "
	 "deploy and feature-flag changes.\n"
	 "3. Collect from one customer: request IDs, timestamps with time zone, region and "
	 "endpoint.\n"
	 "4. If confirmed and no incident exists, page the on-call engineer and open a SEV2 (SEV1 "
	 "if all customers of a region are down), with you as communications lead until one is "
	 "named.\n"
	 "5. Post the first public update within 30 minutes, even if it only says what is known."},
	{"runbook", "published", "internal", "Diagnose 401 responses on API requests", "API", "api",
	 "priya.nair@support.example", 33, 0, NULL, NULL, NULL,
	 "Likely causes, most common first: an expired or revoked token; the token's scopes do not "
	 "include the endpoint; clock skew over 5 minutes on the caller (signed requests); a token "
	 "of another workspace; SSO session tokens used for the API.\n\n"
	 "1. Ask for the request ID and the exact time; find the request in the API log.\n"
	 "2. The log's auth_reason field names the cause (expired, scope, skew, workspace).\n"
	 "3. Expired or revoked: the customer creates a new token. Scope: add the scope, no new "
	 "token needed. Skew: the caller must sync its clock (NTP).\n"
	 "4. Intermittent 401s on a valid token usually mean two integrations share one token and "
	 "one of them rotates it."},
	{"kb", "in_review", "internal", "Reading the sync job log", "Integrations", "integrations",
	 "tom.becker@support.example", 3, 0, NULL, NULL, NULL,
	 "Draft: what each line of the sync job log means, and which errors the customer can fix "
	 "themselves."},
};
#define NART (int)(sizeof articles / sizeof articles[0])

static void add_text(json_t *in, const char *key, const char *v)
{
	if (v)
		json_object_set_new(in, key, json_string(v));
}

static int add_article(cb_conn *c, const cb_actor *a, cb_ms now, int i, int64_t *id, cb_err *err)
{
	char review_by[16], buf[40];
	/* stale: its review date passed a week ago; the others are due in 90 days */
	cb_time_format(now + (articles[i].stale ? -7 : 90) * DAY_MS, buf, sizeof buf);
	snprintf(review_by, sizeof review_by, "%.10s", buf);
	json_t *in = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:[s], s:s, s:s}", "type",
			       articles[i].type, "state", articles[i].state, "visibility",
			       articles[i].visibility, "title", articles[i].title, "body",
			       articles[i].body, "product_area", articles[i].product_area, "tags",
			       articles[i].tag, "owner", articles[i].owner, "review_by", review_by);
	add_text(in, "symptoms", articles[i].symptoms);
	add_text(in, "cause", articles[i].cause);
	add_text(in, "workaround", articles[i].workaround);
	int rc = cb_article_create(c, a, now - articles[i].age_days * DAY_MS, in, id, err);
	json_decref(in);
	return rc;
}

int cb_demo_knowledge(cb_conn *c, const cb_actor *a, cb_ms now, int64_t *known_error,
		      int *count, cb_err *err)
{
	int64_t id = 0;
	for (int i = 0; i < NART; i++) {
		if (add_article(c, a, now, i, &id, err))
			return -1;
		(*count)++;
		if (i == 0) {
			/* a second version a week later: the history and its diff */
			json_t *up = json_pack(
				"{s:s}", "workaround",
				"Until the certificate is fixed, users can sign in with their password "
				"if the workspace allows password sign-in next to SSO.");
			int rc = cb_article_update(c, a, now - (articles[i].age_days - 7) * DAY_MS, id,
						   up, err);
			json_decref(up);
			if (rc)
				return -1;
		}
	}
	/* the known error of the demo problem (demo_ops.c links it) */
	json_t *in = json_pack(
		"{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s, s], s:s}", "type", "known_error",
		"state", "published", "visibility", "public", "title",
		"Sync stalls after an OAuth token refresh", "symptoms",
		"A connected system stops syncing for up to an hour after its OAuth token was "
		"refreshed; the sync status shows 'waiting for retry' and no error.",
		"cause",
		"After a token refresh the new token is cached with the scopes of the old one, so the "
		"next sync call is rejected and the job waits for its hourly retry.",
		"workaround",
		"Disconnect and reconnect the integration under Settings > Integrations; the sync "
		"restarts at once and catches up without losing data.",
		"body",
		"Engineering is working on a fix; this article is updated when it ships. Data is "
		"delayed, never lost: the sync picks up every change once it runs again.",
		"product_area", "Integrations", "tags", "integrations", "oauth", "owner",
		"priya.nair@support.example");
	int rc = cb_article_create(c, a, now - 21 * DAY_MS, in, known_error, err);
	json_decref(in);
	if (rc == 0)
		(*count)++;
	return rc;
}
