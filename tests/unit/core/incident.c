/* incident.c - the pure incident rules of src/core/incident.c: the status
 * machine (every pair), severities, the update cadence clock, component
 * states and the review action lifecycle and overdue rule. */
#include "harness.h"
#include "core/incident.h"

CB_TEST(incident_status_moves_every_pair)
{
	/* expected[from][to], the table of docs/incidents.md */
	static const int expected[4][4] = {
		{0, 1, 1, 1}, /* investigating */
		{1, 0, 1, 1}, /* identified */
		{1, 1, 0, 1}, /* monitoring */
		{0, 0, 0, 0}, /* resolved */
	};
	for (int f = 0; f < 4; f++)
		for (int t = 0; t < 4; t++)
			CB_CHECK_INT(cb_inc_move_ok((cb_inc_status)f, (cb_inc_status)t), expected[f][t]);
	char b[96];
	CB_CHECK_STR(cb_inc_allowed_moves(CB_INC_INVESTIGATING, b, sizeof b), "identified, monitoring, resolved");
	CB_CHECK_STR(cb_inc_allowed_moves(CB_INC_MONITORING, b, sizeof b), "investigating, identified, resolved");
	CB_CHECK_STR(cb_inc_allowed_moves(CB_INC_RESOLVED, b, sizeof b), "none");
	CB_CHECK(!cb_inc_move_ok((cb_inc_status)7, CB_INC_RESOLVED));
}

CB_TEST(incident_names_roundtrip)
{
	const char *names[] = {"investigating", "identified", "monitoring", "resolved"};
	for (int i = 0; i < 4; i++) {
		cb_inc_status s;
		CB_REQUIRE(cb_inc_status_parse(names[i], &s) == 0);
		CB_CHECK_STR(cb_inc_status_name(s), names[i]);
	}
	cb_inc_status s;
	CB_CHECK(cb_inc_status_parse("fixed", &s) == -1);
	CB_CHECK(cb_inc_status_parse(NULL, &s) == -1);
	CB_CHECK_INT(cb_inc_severity_parse("SEV1"), 1);
	CB_CHECK_INT(cb_inc_severity_parse("SEV4"), 4);
	CB_CHECK_INT(cb_inc_severity_parse("SEV5"), -1);
	CB_CHECK_INT(cb_inc_severity_parse("sev1"), -1);
	CB_CHECK_INT(cb_inc_severity_parse(NULL), -1);
	CB_CHECK_STR(cb_inc_severity_name(2), "SEV2");
	CB_CHECK(cb_inc_severity_name(0) == NULL && cb_inc_severity_name(5) == NULL);
	const char *states[] = {"operational", "under_maintenance", "degraded_performance",
				"partial_outage", "major_outage"};
	for (int i = 0; i < 5; i++) {
		cb_comp_state c;
		CB_REQUIRE(cb_comp_state_parse(states[i], &c) == 0);
		CB_CHECK_INT(c, i); /* best to worst */
		CB_CHECK_STR(cb_comp_state_name(c), states[i]);
	}
	cb_comp_state c;
	CB_CHECK(cb_comp_state_parse("down", &c) == -1);
}

CB_TEST(incident_cadence_clock)
{
	const cb_ms start = 1767225600000; /* 2026-01-01T00:00:00Z */
	const cb_ms min = 60000;
	/* from the start when no public update yet */
	CB_CHECK_INT(cb_inc_next_update_due(CB_INC_INVESTIGATING, start, 0, 30), start + 30 * min);
	/* from the last public update */
	CB_CHECK_INT(cb_inc_next_update_due(CB_INC_IDENTIFIED, start, start + 50 * min, 30),
		     start + 80 * min);
	/* an update "before" the start (a back-dated start) counts from the start */
	CB_CHECK_INT(cb_inc_next_update_due(CB_INC_MONITORING, start, start - min, 60), start + 60 * min);
	/* no clock: resolved, or no cadence */
	CB_CHECK_INT(cb_inc_next_update_due(CB_INC_RESOLVED, start, 0, 30), 0);
	CB_CHECK_INT(cb_inc_next_update_due(CB_INC_INVESTIGATING, start, 0, 0), 0);
	CB_CHECK_INT(cb_inc_next_update_due(CB_INC_INVESTIGATING, start, 0, -5), 0);
	/* overdue strictly after the due instant */
	cb_ms due = start + 30 * min;
	CB_CHECK(!cb_inc_overdue(due, due - 1));
	CB_CHECK(!cb_inc_overdue(due, due));
	CB_CHECK(cb_inc_overdue(due, due + 1));
	CB_CHECK(!cb_inc_overdue(0, due + 1));
}

CB_TEST(incident_review_actions)
{
	static const int expected[3][3] = {{0, 1, 1}, {1, 0, 1}, {0, 0, 0}};
	for (int f = 0; f < 3; f++)
		for (int t = 0; t < 3; t++)
			CB_CHECK_INT(cb_act_move_ok((cb_act_status)f, (cb_act_status)t), expected[f][t]);
	char b[64];
	CB_CHECK_STR(cb_act_allowed_moves(CB_ACT_OPEN, b, sizeof b), "in_progress, done");
	CB_CHECK_STR(cb_act_allowed_moves(CB_ACT_DONE, b, sizeof b), "none");
	cb_act_status s;
	CB_CHECK(cb_act_status_parse("in_progress", &s) == 0 && s == CB_ACT_IN_PROGRESS);
	CB_CHECK(cb_act_status_parse("closed", &s) == -1);
	CB_CHECK(cb_act_type_valid("corrective") && cb_act_type_valid("preventive"));
	CB_CHECK(!cb_act_type_valid("fix") && !cb_act_type_valid(NULL));
	/* dates */
	CB_CHECK(cb_date_valid("2024-02-29"));
	CB_CHECK(!cb_date_valid("2023-02-29"));
	CB_CHECK(!cb_date_valid("2021-02-30"));
	CB_CHECK(!cb_date_valid("2021-13-01"));
	CB_CHECK(!cb_date_valid("2021-1-01"));
	CB_CHECK(!cb_date_valid("2021-01-01x"));
	CB_CHECK(!cb_date_valid("2021/01/01"));
	CB_CHECK(!cb_date_valid(NULL));
	/* overdue: due before the UTC day of now, and not done */
	const cb_ms now = 1767268800000; /* 2026-01-01T12:00:00Z */
	CB_CHECK(cb_act_overdue("2025-12-31", CB_ACT_OPEN, now));
	CB_CHECK(cb_act_overdue("2025-12-31", CB_ACT_IN_PROGRESS, now));
	CB_CHECK(!cb_act_overdue("2025-12-31", CB_ACT_DONE, now));
	CB_CHECK(!cb_act_overdue("2026-01-01", CB_ACT_OPEN, now)); /* due today: not yet */
	CB_CHECK(!cb_act_overdue("2026-01-02", CB_ACT_OPEN, now));
	CB_CHECK(!cb_act_overdue(NULL, CB_ACT_OPEN, now));
	CB_CHECK(cb_act_overdue("2025-12-31", CB_ACT_OPEN, 1767225600000)); /* midnight */
	CB_CHECK(!cb_act_overdue("2026-01-01", CB_ACT_OPEN, 1767225599999 + 1));
}
