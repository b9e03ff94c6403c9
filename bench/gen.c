/* gen.c - deterministic generator of realistic Casebook ticket histories.
 *
 *   gen --tickets N [--seed S] [--now EPOCH_S] [--days D] [--dir FILE] > tickets.ndjson
 *
 * Writes the directory the tickets refer to (accounts of every tier with
 * their domains, agents, engineers, groups) as one JSON object to FILE, and
 * N tickets in the import format (NDJSON, one ticket with its events per
 * line) to stdout. The driver (bench/run.py) creates the directory through
 * the API, then imports the tickets through the bulk import path.
 *
 * Shape (the same story as src/app/instance/demo.c, scaled up):
 * - max(24, N/500) accounts: 10% enterprise, 30% business, 60% standard;
 *   customers per account 40 / 12 / 4, created by the import on first use
 *   (an unknown requester e-mail becomes a customer of the account).
 * - 48 agents and 12 engineers in 6 groups.
 * - every ticket has 3 to 10 events: assignment, internal notes, public
 *   replies, pending / customer reply rounds, priority changes, escalations
 *   to engineering (on hold), solve, CSAT, close.
 * - about 11% of the tickets are still open (new, open, pending, on_hold);
 *   open tickets are recent (the last 14 days, a third of them the last 8
 *   hours, so both the at_risk and the breached queues are populated), the
 *   solved and closed ones are spread over the last D days (default 365).
 * Every instant is before --now minus one minute; the same arguments give
 * the same bytes. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t rs = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void)
{
	/* splitmix64 */
	uint64_t z = (rs += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static int pick(int n)
{
	return (int)(rnd() % (uint64_t)n);
}

static int chance(int pct)
{
	return pick(100) < pct;
}

static const char *const adj[] = {"Northwind", "Acme", "Globex", "Initech", "Umbrella", "Stark",
				  "Hooli", "Vandelay", "Bluth", "Wonka", "Soylent", "Cyberdyne",
				  "Tyrell", "Wayne", "Oscorp", "Gringotts", "Monarch", "Aperture"};
static const char *const noun[] = {"Health", "Logistics", "Finance", "Labs", "Retail", "Media",
				   "Foods", "Homes", "Energy", "Systems", "Travel", "Insurance"};
#define NADJ (int)(sizeof adj / sizeof adj[0])
#define NNOUN (int)(sizeof noun / sizeof noun[0])

static const char *const first[] = {"alice", "bruno", "chen", "dana", "emeka", "farah", "greta",
				    "hiro", "ines", "jonas", "kavya", "liam", "mia", "noah",
				    "olu", "pia", "quinn", "rosa", "sven", "tara"};
static const char *const last[] = {"lopez", "okafor", "nair", "becker", "tanaka", "fischer",
				   "patel", "ivanova", "carter", "silva", "kim", "moreau",
				   "haddad", "novak", "berg", "costa"};
#define NFIRST (int)(sizeof first / sizeof first[0])
#define NLAST (int)(sizeof last / sizeof last[0])

#define NAGENTS 48
#define NENG 12
static const char *const groups[] = {"Tier 1", "Tier 2", "Billing", "Enterprise Desk", "EMEA",
				     "Engineering"};
#define NGROUPS 6

static const struct {
	const char *category, *subject, *description;
} problems[] = {
	{"sso", "SSO login loop after enabling SAML", "Users are redirected back to the IdP endlessly after we switched on SAML. Started this morning for everyone in the EU tenant. We rotated nothing on our side; the IdP logs show successful assertions."},
	{"sso", "Okta group sync not updating roles", "Role changes in Okta are not reflected after the nightly sync. Users promoted to admin yesterday still see the member view."},
	{"api", "API returns 429 although we are under quota", "Our integration gets HTTP 429 at about 40 requests per minute; the plan allows 600. Request ids of two failures are below."},
	{"api", "Webhook deliveries delayed by 20 minutes", "Order webhooks arrive 15-20 minutes late since yesterday evening. Our endpoint answers in under 100 ms."},
	{"billing", "Invoice shows seats we removed", "The November invoice still bills 120 seats; we removed 30 in October. Please correct the invoice and confirm the new seat count."},
	{"billing", "Cannot update credit card", "The payment form rejects our new card with a generic error. The bank confirms no attempt reached them."},
	{"performance", "Dashboard takes 30 seconds to load", "The analytics dashboard became very slow after the last release. It used to load in two seconds for the same filters."},
	{"performance", "Search is slow for large projects", "Searching in projects with more than 50k items times out after 60 seconds."},
	{"data-export", "CSV export truncates at 10,000 rows", "Exports stop at exactly 10,000 rows without a warning. We need the full list for an audit."},
	{"data-export", "Scheduled export missing columns", "The weekly export no longer includes the custom fields we added in March."},
	{"integrations", "Salesforce sync fails with INVALID_FIELD", "The sync job fails for every record since we added a custom field on the Account object."},
	{"integrations", "Slack notifications stopped", "No Slack notifications since the workspace was renamed last Friday."},
	{"onboarding", "How do we bulk-import users?", "We are onboarding 400 users next week and need to import them from a spreadsheet with their groups."},
	{"outage", "Service unavailable (503) in us-east", "All requests to the us-east endpoint return 503 since 14:05 UTC. This blocks our whole support floor."},
	{"mobile", "iOS app crashes on launch after update", "Version 5.2 crashes immediately on iOS 17 devices; Android is fine."},
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

static int64_t now_s;
static int nacc;
static int days = 365;

static const char *tier_of(int a)
{
	int m = a % 10;
	return m == 0 ? "enterprise" : m <= 3 ? "business" : "standard";
}

static int ncust_of(int a)
{
	int m = a % 10;
	return m == 0 ? 40 : m <= 3 ? 12 : 4;
}

static void acc_name(int a, char *b, size_t n)
{
	snprintf(b, n, "%s %s %d", adj[a % NADJ], noun[(a / NADJ) % NNOUN], a + 1);
}

static void acc_domain(int a, char *b, size_t n)
{
	snprintf(b, n, "%s-%d.example", adj[a % NADJ], a + 1);
	for (char *p = b; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
}

static void agent_email(int i, char *b, size_t n)
{
	snprintf(b, n, "%s.%s%d@support.example", first[i % NFIRST], last[(i / NFIRST + i) % NLAST], i);
}

static void eng_email(int i, char *b, size_t n)
{
	snprintf(b, n, "%s.%s%d@eng.example", first[(i + 7) % NFIRST], last[(i + 3) % NLAST], i);
}

static void iso(int64_t t, char *b)
{
	struct tm tm;
	time_t tt = (time_t)t;
	gmtime_r(&tt, &tm);
	strftime(b, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void write_dir(FILE *f)
{
	char b[256], d[256];
	fprintf(f, "{\"accounts\":[");
	for (int a = 0; a < nacc; a++) {
		acc_name(a, b, sizeof b);
		acc_domain(a, d, sizeof d);
		fprintf(f, "%s{\"name\":\"%s\",\"tier\":\"%s\",\"domains\":[\"%s\"]}", a ? "," : "", b,
			tier_of(a), d);
	}
	fprintf(f, "],\"users\":[");
	for (int i = 0; i < NAGENTS + NENG; i++) {
		int eng = i >= NAGENTS;
		if (eng)
			eng_email(i - NAGENTS, b, sizeof b);
		else
			agent_email(i, b, sizeof b);
		fprintf(f, "%s{\"email\":\"%s\",\"role\":\"%s\",\"name\":\"%s %s\"}", i ? "," : "", b,
			eng ? "engineer" : "agent", first[i % NFIRST], last[i % NLAST]);
	}
	fprintf(f, "],\"groups\":[");
	for (int g = 0; g < NGROUPS; g++) {
		fprintf(f, "%s{\"name\":\"%s\",\"members\":[", g ? "," : "", groups[g]);
		int k = 0;
		if (g == NGROUPS - 1) {
			for (int i = 0; i < NENG; i++, k++) {
				eng_email(i, b, sizeof b);
				fprintf(f, "%s\"%s\"", k ? "," : "", b);
			}
		} else {
			for (int i = g; i < NAGENTS; i += NGROUPS - 1, k++) {
				agent_email(i, b, sizeof b);
				fprintf(f, "%s\"%s\"", k ? "," : "", b);
			}
		}
		fprintf(f, "]}");
	}
	fprintf(f, "]}\n");
}

/* ---- one ticket ---- */

enum { E_ASSIGN, E_NOTE, E_REPLY, E_PENDING, E_CUST, E_PRIO, E_ESC, E_HOLD, E_ACK, E_ACCEPT,
       E_SOLVED, E_CSAT, E_CLOSED, E_TAGS, E_OPEN };

struct ev {
	int kind;
	int64_t at;
	int arg;
};

static char line[1 << 16];
static size_t lp;

static void put(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void put(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line + lp, sizeof line - lp, fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof line - lp)
		lp += (size_t)n;
}

static void ticket(int64_t n)
{
	int a = pick(nacc);
	/* enterprise accounts raise more tickets: re-draw standard ones 1 in 3 */
	if (a % 10 >= 4 && chance(33))
		a = pick(nacc);
	int prob = pick(NPROB);
	int cust = pick(ncust_of(a));
	char accn[128], dom[128], req[192], agent[128], eng[128];
	acc_name(a, accn, sizeof accn);
	acc_domain(a, dom, sizeof dom);
	snprintf(req, sizeof req, "%s.%s@%s", first[cust % NFIRST], last[(cust / NFIRST + a) % NLAST],
		 dom);
	static const char *const prios[] = {"P1", "P2", "P2", "P3", "P3", "P3", "P3", "P4", "P4"};
	const char *prio = strcmp(problems[prob].category, "outage") == 0 ? "P1" : prios[pick(9)];
	int ai = pick(NAGENTS);
	agent_email(ai, agent, sizeof agent);
	eng_email(pick(NENG), eng, sizeof eng);
	int group = strcmp(problems[prob].category, "billing") == 0 ? 2
		    : a % 10 == 0				     ? 3
		    : prio[1] <= '2'				     ? 1
		    : chance(30)				     ? 4
								     : 0;

	/* final state: 11% open-ish, 14% solved, the rest closed */
	int r = pick(100);
	int fin = r < 2 ? 'n' : r < 7 ? 'o' : r < 10 ? 'p' : r < 11 ? 'h' : r < 25 ? 's' : 'c';
	int64_t created, span;
	if (fin == 'n' || fin == 'o' || fin == 'p' || fin == 'h') {
		span = chance(33) ? 8 * 3600 : 14 * 86400;
	} else {
		span = (int64_t)days * 86400;
	}
	created = now_s - 1800 - (int64_t)(rnd() % (uint64_t)span);

	/* the story, 3 to 10 events */
	struct ev e[12];
	int k = 0;
	int target = 3 + pick(8);
	if (fin == 'n') {
		e[k++] = (struct ev){E_TAGS, 0, 0};
		e[k++] = (struct ev){E_CUST, 0, 3};
		e[k++] = (struct ev){E_PRIO, 0, 0};
		while (k < target && k < 6)
			e[k++] = (struct ev){E_CUST, 0, 1};
	} else {
		e[k++] = (struct ev){E_ASSIGN, 0, 0};
		if (chance(40) && k < target - 1)
			e[k++] = (struct ev){E_NOTE, 0, 0};
		e[k++] = (struct ev){E_REPLY, 0, 0};
		/* what the ending needs */
		int tail = fin == 's' ? 1 : fin == 'c' ? 2 : fin == 'p' ? 1 : fin == 'h' ? 2 : 0;
		int rounds = 0;
		while (k + tail + 3 <= target && rounds < 2 && chance(70)) {
			e[k++] = (struct ev){E_PENDING, 0, 0};
			e[k++] = (struct ev){E_CUST, 0, pick(2)};
			e[k++] = (struct ev){E_REPLY, 0, 1 + pick(3)};
			rounds++;
		}
		if (fin != 'h' && k + tail + 4 <= target && prio[1] <= '2' && chance(60)) {
			e[k++] = (struct ev){E_ESC, 0, 0};
			e[k++] = (struct ev){E_HOLD, 0, 0};
			e[k++] = (struct ev){E_ACK, 0, 0};
			e[k++] = (struct ev){E_ACCEPT, 0, chance(75)};
			if (k + tail + 1 <= target)
				e[k++] = (struct ev){E_REPLY, 0, 3};
		}
		if (k + tail + 1 <= target && chance(50))
			e[k++] = (struct ev){E_PRIO, 0, 0};
		if (k + tail + 1 <= target && fin != 'h' && chance(50))
			e[k++] = (struct ev){E_NOTE, 0, 0};
		switch (fin) {
		case 'p':
			e[k++] = (struct ev){E_PENDING, 0, 0};
			break;
		case 'h':
			e[k++] = (struct ev){E_ESC, 0, 0};
			e[k++] = (struct ev){E_HOLD, 0, 0};
			break;
		case 's':
		case 'c':
			e[k++] = (struct ev){E_SOLVED, 0, 0};
			if (k + (fin == 'c') + 1 <= target && chance(40))
				e[k++] = (struct ev){E_CSAT, 0, 0};
			if (fin == 'c')
				e[k++] = (struct ev){E_CLOSED, 0, 0};
			break;
		default: /* open: at least three events */
			while (k < 3)
				e[k++] = (struct ev){E_NOTE, 0, 0};
			break;
		}
	}
	/* instants: raw gaps, scaled into the time the ticket has had */
	int64_t gap[12], total = 0;
	for (int i = 0; i < k; i++) {
		int kind = e[i].kind;
		int64_t lo = 60, hi = 4 * 3600;
		if (kind == E_ASSIGN)
			lo = 5 * 60, hi = prio[1] == '1' ? 45 * 60 : 600 * 60;
		else if (kind == E_CUST)
			lo = 30 * 60, hi = 48 * 3600;
		else if (kind == E_ACCEPT)
			lo = 3600, hi = 30 * 3600;
		else if (kind == E_CLOSED)
			lo = hi = 4 * 86400;
		else if (kind == E_CSAT)
			lo = 3600, hi = 30 * 3600;
		gap[i] = lo + (hi > lo ? (int64_t)(rnd() % (uint64_t)(hi - lo)) : 0);
		total += gap[i];
	}
	int64_t avail = now_s - 60 - created;
	int64_t t = created;
	for (int i = 0; i < k; i++) {
		int64_t g = total > avail ? gap[i] * avail / total : gap[i];
		t += g;
		e[i].at = t;
	}

	lp = 0;
	char ts[32];
	iso(created, ts);
	const char *sev = chance(50) ? "5.2.1" : "5.1.4";
	const char *region = chance(60) ? "eu-west-1" : "us-east-1";
	put("{\"external_id\":\"B-%07lld\",\"subject\":\"%s\",\"description\":\"%s Account %s, "
	    "reported by %s, ticket %lld.\",\"requester\":\"%s\",\"account\":\"%s\","
	    "\"priority\":\"%s\",\"category\":\"%s\",\"tags\":[\"%s\",\"%s\"],"
	    "\"environment\":{\"version\":\"%s\",\"region\":\"%s\"},\"created_at\":\"%s\",\"events\":[",
	    (long long)n + 1, problems[prob].subject, problems[prob].description, accn, req,
	    (long long)n + 1, req, accn, prio, problems[prob].category, problems[prob].category,
	    region, sev, region, ts);
	for (int i = 0; i < k; i++) {
		iso(e[i].at, ts);
		put("%s{\"at\":\"%s\",", i ? "," : "", ts);
		switch (e[i].kind) {
		case E_ASSIGN:
			put("\"type\":\"assign\",\"author\":\"%s\",\"assignee\":\"%s\",\"group\":\"%s\"}",
			    agent, agent, groups[group]);
			break;
		case E_NOTE:
			put("\"type\":\"comment\",\"author\":\"%s\",\"public\":false,\"body\":\"%s\"}", agent,
			    notes[pick(3)]);
			break;
		case E_REPLY:
			put("\"type\":\"comment\",\"author\":\"%s\",\"public\":true,\"body\":\"%s\"}", agent,
			    agent_replies[e[i].arg]);
			break;
		case E_PENDING:
			put("\"type\":\"status\",\"author\":\"%s\",\"status\":\"pending\"}", agent);
			break;
		case E_CUST:
			put("\"type\":\"comment\",\"author\":\"%s\",\"public\":true,\"body\":\"%s\"}", req,
			    customer_replies[e[i].arg]);
			break;
		case E_PRIO:
			put("\"type\":\"priority\",\"author\":\"%s\",\"priority\":\"%s\"}",
			    fin == 'n' ? req : agent, prio[1] == '4' ? "P3" : prio[1] == '1' ? "P1" : "P2");
			break;
		case E_ESC:
			put("\"type\":\"escalation\",\"author\":\"%s\",\"group\":\"Engineering\","
			    "\"summary\":\"%s\"}",
			    agent, problems[prob].subject);
			break;
		case E_HOLD:
			put("\"type\":\"status\",\"author\":\"%s\",\"status\":\"on_hold\"}", agent);
			break;
		case E_ACK:
			put("\"type\":\"escalation_ack\",\"author\":\"%s\"}", eng);
			break;
		case E_ACCEPT:
			put("\"type\":\"%s\",\"author\":\"%s\"}",
			    e[i].arg ? "escalation_accepted" : "escalation_returned", eng);
			break;
		case E_SOLVED:
			put("\"type\":\"status\",\"author\":\"%s\",\"status\":\"solved\"}", agent);
			break;
		case E_CSAT:
			put("\"type\":\"csat\",\"author\":\"%s\",\"score\":%d,\"comment\":\"Thanks\"}", req,
			    chance(70) ? 4 + pick(2) : 1 + pick(3));
			break;
		case E_CLOSED:
			put("\"type\":\"status\",\"status\":\"closed\"}");
			break;
		case E_TAGS:
			put("\"type\":\"tags\",\"author\":\"%s\",\"tags\":[\"%s\",\"triage\"]}", req,
			    problems[prob].category);
			break;
		}
	}
	put("]}\n");
	fwrite(line, 1, lp, stdout);
}

int main(int argc, char **argv)
{
	int64_t n = 100000;
	uint64_t seed = 42;
	const char *dir = NULL;
	now_s = (int64_t)time(NULL);
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			goto usage;
		if (strcmp(o, "--tickets") == 0)
			n = strtoll(v, NULL, 10);
		else if (strcmp(o, "--seed") == 0)
			seed = strtoull(v, NULL, 10);
		else if (strcmp(o, "--now") == 0)
			now_s = strtoll(v, NULL, 10);
		else if (strcmp(o, "--days") == 0)
			days = atoi(v);
		else if (strcmp(o, "--dir") == 0)
			dir = v;
		else
			goto usage;
		i++;
	}
	if (n <= 0 || days <= 0)
		goto usage;
	rs = seed * 0x9E3779B97F4A7C15ull + 1;
	nacc = (int)(n / 500 > 24 ? n / 500 : 24);
	if (dir) {
		FILE *f = fopen(dir, "w");
		if (!f) {
			perror(dir);
			return 1;
		}
		write_dir(f);
		fclose(f);
	}
	static char obuf[1 << 20];
	setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
	for (int64_t i = 0; i < n; i++)
		ticket(i);
	return fflush(stdout) ? 1 : 0;
usage:
	fprintf(stderr, "usage: gen --tickets N [--seed S] [--now EPOCH_S] [--days D] [--dir FILE]\n");
	return 2;
}
