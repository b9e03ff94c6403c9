/* escalation.c - the escalation lifecycle machine and the package rubric of
 * src/core/escalation.c. */
#include "harness.h"
#include "core/escalation.h"

#include <stdlib.h>

static json_t *full_package(void)
{
	return json_pack("{s:s, s:[s,s], s:s, s:s, s:{s:{s:s}, s:s, s:s},"
			 " s:{s:[s], s:[s], s:[s], s:[s]}, s:{s:i, s:i, s:s}, s:s, s:[s]}",
			 "summary", "Exports fail with 500", "steps", "open export", "click run",
			 "observed", "HTTP 500", "expected", "a CSV file", "environment", "versions",
			 "api", "4.2.1", "region", "eu-west-1", "tenant", "acme", "artifacts",
			 "request_ids", "req-1", "timestamps", "2026-03-06T21:30:00Z", "logs",
			 "NullPointerException", "attachments", "har-1", "impact", "accounts", 3,
			 "users", 120, "tier", "enterprise", "severity_rationale",
			 "month-end close blocked", "hypotheses", "not the browser: curl fails too");
}

/* The missing list as one comma-separated string. */
static char *joined(json_t *missing)
{
	static char buf[1024];
	size_t len = 0, i;
	json_t *m;
	buf[0] = 0;
	json_array_foreach(missing, i, m)
		len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", i ? "," : "",
					json_string_value(m));
	return buf;
}

CB_TEST(escalation_statuses_roundtrip)
{
	const char *names[] = {"open", "acknowledged", "accepted", "returned", "resolved"};
	for (int i = 0; i < 5; i++) {
		cb_esc_status s;
		CB_REQUIRE(cb_esc_status_parse(names[i], &s) == 0);
		CB_CHECK_STR(cb_esc_status_name(s), names[i]);
	}
	cb_esc_status s;
	CB_CHECK(cb_esc_status_parse("closed", &s) == -1);
	CB_CHECK(cb_esc_status_parse(NULL, &s) == -1);
}

CB_TEST(escalation_lifecycle_moves_and_parties)
{
	static const struct {
		cb_esc_status from, to;
		int ok;
		cb_esc_party by;
	} cases[] = {
		{CB_ESC_OPEN, CB_ESC_ACKNOWLEDGED, 1, CB_ESC_BY_RESOLVER},
		{CB_ESC_ACKNOWLEDGED, CB_ESC_ACCEPTED, 1, CB_ESC_BY_RESOLVER},
		{CB_ESC_ACKNOWLEDGED, CB_ESC_RETURNED, 1, CB_ESC_BY_RESOLVER},
		{CB_ESC_RETURNED, CB_ESC_OPEN, 1, CB_ESC_BY_SUBMITTER},
		{CB_ESC_ACCEPTED, CB_ESC_RESOLVED, 1, CB_ESC_BY_RESOLVER},
		{CB_ESC_OPEN, CB_ESC_ACCEPTED, 0, 0},
		{CB_ESC_OPEN, CB_ESC_RESOLVED, 0, 0},
		{CB_ESC_OPEN, CB_ESC_OPEN, 0, 0},
		{CB_ESC_ACKNOWLEDGED, CB_ESC_RESOLVED, 0, 0}, /* acceptance first */
		{CB_ESC_ACCEPTED, CB_ESC_RETURNED, 0, 0},
		{CB_ESC_RETURNED, CB_ESC_ACCEPTED, 0, 0},
		{CB_ESC_RESOLVED, CB_ESC_OPEN, 0, 0}, /* terminal */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cb_err err = {0};
		cb_esc_party by = CB_ESC_BY_SUBMITTER;
		int rc = cb_esc_decide(cases[i].from, cases[i].to, &by, &err);
		if (cases[i].ok) {
			CB_CHECK_INT(rc, 0);
			CB_CHECK_INT(by, cases[i].by);
		} else {
			CB_CHECK_INT(rc, -1);
			CB_CHECK_INT(err.code, CB_E_CONFLICT);
			CB_CHECK_STR(err.items[0].field, "status");
		}
	}
	/* the 409 names the allowed targets */
	cb_err err = {0};
	CB_CHECK(cb_esc_decide(CB_ESC_ACKNOWLEDGED, CB_ESC_RESOLVED, NULL, &err) == -1);
	CB_CHECK(strstr(err.message, "allowed from acknowledged: accepted, returned") != NULL);
	char buf[64];
	cb_esc_allowed_text(CB_ESC_RESOLVED, buf, sizeof buf);
	CB_CHECK_STR(buf, "none");
	CB_CHECK_INT(cb_esc_allowed(CB_ESC_OPEN), 1u << CB_ESC_ACKNOWLEDGED);
}

CB_TEST(escalation_party_of_target_agrees_with_every_move)
{
	/* permission is decided on the target alone: every legal move into a
	 * status is made by the party cb_esc_party_of names */
	for (int to = 0; to < CB_ESC__COUNT; to++)
		for (int from = 0; from < CB_ESC__COUNT; from++) {
			cb_err err = {0};
			cb_esc_party by;
			if (cb_esc_decide((cb_esc_status)from, (cb_esc_status)to, &by, &err) == 0)
				CB_CHECK_INT(by, cb_esc_party_of((cb_esc_status)to));
		}
	CB_CHECK_INT(cb_esc_party_of(CB_ESC_OPEN), CB_ESC_BY_SUBMITTER);
	CB_CHECK_INT(cb_esc_party_of(CB_ESC_ACCEPTED), CB_ESC_BY_RESOLVER);
	CB_CHECK_INT(cb_esc_party_of(CB_ESC_RESOLVED), CB_ESC_BY_RESOLVER);
}

CB_TEST(escalation_score_full_empty_partial)
{
	json_t *missing = NULL, *groups = NULL;
	json_t *p = full_package();
	cb_err err = {0};
	CB_REQUIRE(cb_esc_package_check(p, NULL, &err) == 0);
	CB_CHECK_INT(cb_esc_score(p, &missing, &groups), 5);
	CB_CHECK_INT(json_array_size(missing), 0);
	CB_CHECK_INT(json_array_size(groups), 5);
	json_decref(missing);
	json_decref(groups);

	json_t *empty = json_object();
	CB_CHECK_INT(cb_esc_score(empty, &missing, NULL), 0);
	CB_CHECK_STR(joined(missing),
		     "summary,observed,expected,steps,hypotheses,environment.versions,"
		     "environment.region,environment.tenant,artifacts.request_ids,"
		     "artifacts.timestamps,impact.accounts,impact.users,impact.tier,severity_rationale");
	json_decref(missing);
	json_decref(empty);

	/* blank strings and empty lists do not count; logs stand in for request ids */
	json_object_set_new(p, "expected", json_string("  "));
	json_object_set_new(p, "hypotheses", json_array());
	json_object_del(json_object_get(p, "artifacts"), "request_ids");
	json_object_del(json_object_get(p, "environment"), "tenant");
	CB_CHECK_INT(cb_esc_score(p, &missing, NULL), 2);
	CB_CHECK_STR(joined(missing), "expected,hypotheses,environment.tenant");
	json_decref(missing);
	/* without logs and attachments, evidence is missing too */
	json_object_del(json_object_get(p, "artifacts"), "logs");
	json_object_del(json_object_get(p, "artifacts"), "attachments");
	CB_CHECK_INT(cb_esc_score(p, &missing, NULL), 1);
	CB_CHECK_STR(joined(missing), "expected,hypotheses,environment.tenant,artifacts.request_ids");
	json_decref(missing);
	/* an impact of 0 accounts is an answer, not a gap */
	json_object_set_new(json_object_get(p, "impact"), "accounts", json_integer(0));
	CB_CHECK_INT(cb_esc_score(p, &missing, NULL), 1);
	json_decref(missing);
	json_decref(p);
}

CB_TEST(escalation_package_validation_names_fields)
{
	static const struct {
		const char *json, *field;
	} bad[] = {
		{"{\"summary\": 3}", "summary"},
		{"{\"colour\": \"red\"}", "colour"},
		{"{\"steps\": [1]}", "steps[0]"},
		{"{\"environment\": {\"region\": 5}}", "environment.region"},
		{"{\"environment\": {\"os\": \"linux\"}}", "environment"},
		{"{\"artifacts\": {\"timestamps\": [\"yesterday\"]}}", "artifacts.timestamps[0]"},
		{"{\"impact\": {\"users\": -1}}", "impact.users"},
		{"{\"impact\": {\"tier\": \"gold\"}}", "impact.tier"},
		{"{\"hypotheses\": [{\"result\": \"no\"}]}", "hypotheses[0]"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		json_t *p = json_loads(bad[i].json, 0, NULL);
		CB_REQUIRE(p);
		cb_err err = {0};
		CB_CHECK_INT(cb_esc_package_check(p, NULL, &err), -1);
		CB_CHECK_INT(err.code, CB_E_INVALID);
		CB_CHECK_STR(err.items[0].field, bad[i].field);
		json_decref(p);
	}
	/* extra keys are skipped; nulls are "not given" */
	static const char *const extra[] = {"group", NULL};
	json_t *p = json_loads("{\"group\": \"eng\", \"summary\": null}", 0, NULL);
	cb_err err = {0};
	CB_CHECK_INT(cb_esc_package_check(p, extra, &err), 0);
	json_decref(p);
}
