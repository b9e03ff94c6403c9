/* fuzz_sla.c - JSON bodies of the SLA configuration endpoints: policies
 * (POST/PATCH /sla-policies, cb_slacfg_policy_from_json) and calendars as
 * the API validates them (cb_slacfg_calendar_check: cb_cal_from_json with
 * the system tz database, plus the name rules).
 *
 * Input: byte 0 picks (% 3) policy create, policy patch or calendar check;
 * the rest is the body. Invariants: a failure is a 4xx with items; an
 * accepted policy is normalised (trimmed name, position and targets in
 * range, only known condition keys) and its values validate again; an
 * accepted calendar's normalized document is a fixed point. */
#include "common.h"

#include <jansson.h>
#include <string.h>

#include "api/api.h"
#include "app/sla/sla_config.h"

static void policy(json_t *body, int partial, cb_arena *a)
{
	cb_slacfg_policy_in in;
	cb_err err = {0};
	int rc = cb_slacfg_policy_from_json(&in, body, partial, a, &err);
	fuzz_note_err("policy", rc, &err);
	if (rc) {
		fuzz_check_err(&err);
		FUZZ_CHECK(err.code == CB_E_INVALID || err.code == CB_E_BADREQ);
		return;
	}
	if (!partial)
		FUZZ_CHECK((in.set & CB_SLACFG_POL_NAME) && (in.set & CB_SLACFG_POL_TARGETS));
	json_t *again = json_object();
	if (in.set & CB_SLACFG_POL_NAME) {
		size_t n = strlen(in.name);
		FUZZ_CHECK(n > 0);
		FUZZ_CHECK(in.name[0] != ' ' && in.name[n - 1] != ' ');
		json_object_set_new(again, "name", json_string(in.name));
	}
	if (in.set & CB_SLACFG_POL_POSITION) {
		FUZZ_CHECK(in.position >= 0 && in.position <= CB_SLACFG_POSITION_MAX);
		json_object_set_new(again, "position", json_integer(in.position));
	}
	if (in.set & CB_SLACFG_POL_CONDITIONS) {
		if (in.conditions) {
			FUZZ_CHECK(json_is_object(in.conditions));
			const char *k;
			json_t *v;
			json_object_foreach(in.conditions, k, v)
				FUZZ_CHECK(!strcmp(k, "priority") || !strcmp(k, "tier") ||
					   !strcmp(k, "category") || !strcmp(k, "group"));
		}
		json_object_set(again, "conditions", in.conditions ? in.conditions : json_null());
	}
	if (in.set & CB_SLACFG_POL_CALENDAR)
		json_object_set(again, "calendar", in.calendar);
	if (in.set & CB_SLACFG_POL_TARGETS) {
		FUZZ_CHECK(json_is_object(in.targets));
		const char *k;
		json_t *v;
		json_object_foreach(in.targets, k, v)
			FUZZ_CHECK(json_is_null(v) ||
				   (json_is_integer(v) && json_integer_value(v) >= 1 &&
				    json_integer_value(v) <= CB_SLACFG_TARGET_MAX));
		json_object_set(again, "targets", in.targets);
	}
	cb_slacfg_policy_in in2;
	cb_err err2 = {0};
	FUZZ_CHECK(cb_slacfg_policy_from_json(&in2, again, partial, a, &err2) == 0);
	FUZZ_CHECK(in2.set == in.set);
	if (in.set & CB_SLACFG_POL_NAME)
		FUZZ_CHECK(strcmp(in2.name, in.name) == 0);
	json_decref(again);
}

static void calendar(json_t *body)
{
	json_t *doc = NULL;
	cb_err err = {0};
	int rc = cb_slacfg_calendar_check(body, &doc, &err);
	fuzz_note_err("calendar", rc, &err);
	if (rc) {
		FUZZ_CHECK(doc == NULL);
		fuzz_check_err(&err);
		FUZZ_CHECK(err.code == CB_E_INVALID);
		return;
	}
	FUZZ_CHECK(doc != NULL);
	json_t *doc2 = NULL;
	cb_err err2 = {0};
	FUZZ_CHECK(cb_slacfg_calendar_check(doc, &doc2, &err2) == 0);
	FUZZ_CHECK(json_equal(doc, doc2));
	json_decref(doc);
	json_decref(doc2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	fuzz_init();
	cb_req req = {0};
	req.arena = cb_arena_new();
	req.content_type = "application/json";
	req.body = (const char *)data + 1;
	req.body_len = size - 1;
	cb_err err = {0};
	json_t *body = cb_api_body_object(&req, &err);
	if (!body) {
		fuzz_check_err(&err);
	} else {
		switch (data[0] % 3) {
		case 0: policy(body, 0, req.arena); break;
		case 1: policy(body, 1, req.arena); break;
		default: calendar(body); break;
		}
	}
	cb_arena_free(req.arena);
	return 0;
}
