/* escalation.c - the escalation lifecycle machine and the package rubric
 * (see escalation.h and docs/escalations.md). */
#include "core/escalation.h"
#include "util/timeutil.h"

#include <stdio.h>
#include <string.h>

static const char *const status_names[CB_ESC__COUNT] = {"open", "acknowledged", "accepted",
							 "returned", "resolved"};

const char *cb_esc_status_name(cb_esc_status s)
{
	return (unsigned)s < CB_ESC__COUNT ? status_names[s] : "?";
}

int cb_esc_status_parse(const char *s, cb_esc_status *out)
{
	for (int i = 0; s && i < CB_ESC__COUNT; i++)
		if (strcmp(s, status_names[i]) == 0) {
			*out = (cb_esc_status)i;
			return 0;
		}
	return -1;
}

/* The moves, with who makes each. */
static const struct {
	cb_esc_status from, to;
	cb_esc_party by;
} moves[] = {
	{CB_ESC_OPEN, CB_ESC_ACKNOWLEDGED, CB_ESC_BY_RESOLVER},
	{CB_ESC_ACKNOWLEDGED, CB_ESC_ACCEPTED, CB_ESC_BY_RESOLVER},
	{CB_ESC_ACKNOWLEDGED, CB_ESC_RETURNED, CB_ESC_BY_RESOLVER},
	{CB_ESC_RETURNED, CB_ESC_OPEN, CB_ESC_BY_SUBMITTER},
	{CB_ESC_ACCEPTED, CB_ESC_RESOLVED, CB_ESC_BY_RESOLVER},
};

cb_esc_party cb_esc_party_of(cb_esc_status to)
{
	for (size_t i = 0; i < sizeof moves / sizeof moves[0]; i++)
		if (moves[i].to == to)
			return moves[i].by;
	return CB_ESC_BY_RESOLVER; /* no move leads there: cb_esc_decide refuses it */
}

unsigned cb_esc_allowed(cb_esc_status from)
{
	unsigned m = 0;
	for (size_t i = 0; i < sizeof moves / sizeof moves[0]; i++)
		if (moves[i].from == from)
			m |= 1u << moves[i].to;
	return m;
}

void cb_esc_allowed_text(cb_esc_status from, char *buf, size_t n)
{
	unsigned m = cb_esc_allowed(from);
	size_t len = 0;
	buf[0] = 0;
	for (int i = 0; i < CB_ESC__COUNT; i++)
		if (m & (1u << i)) {
			int w = snprintf(buf + len, n - len, "%s%s", len ? ", " : "", status_names[i]);
			if (w < 0 || (size_t)w >= n - len)
				break;
			len += (size_t)w;
		}
	if (!m)
		snprintf(buf, n, "none");
}

int cb_esc_decide(cb_esc_status from, cb_esc_status to, cb_esc_party *party, cb_err *err)
{
	for (size_t i = 0; i < sizeof moves / sizeof moves[0]; i++)
		if (moves[i].from == from && moves[i].to == to) {
			if (party)
				*party = moves[i].by;
			return 0;
		}
	char allowed[128];
	cb_esc_allowed_text(from, allowed, sizeof allowed);
	return cb_err_set(err, CB_E_CONFLICT, "status",
			  "an escalation cannot move from %s to %s; allowed from %s: %s",
			  cb_esc_status_name(from), cb_esc_status_name(to), cb_esc_status_name(from),
			  allowed);
}

/* ---- package validation ---- */

static const char *const pkg_keys[] = {"summary",    "steps",    "observed",
				       "expected",   "environment", "artifacts",
				       "impact",     "severity_rationale", "hypotheses", NULL};

static int in_list(const char *k, const char *const *list)
{
	for (; list && *list; list++)
		if (strcmp(k, *list) == 0)
			return 1;
	return 0;
}

static int check_text(json_t *v, const char *field, size_t max, cb_err *err)
{
	if (!json_is_string(v) || json_string_length(v) > max)
		return cb_err_set(err, CB_E_INVALID, field, "must be a string (at most %zu bytes)", max);
	return 0;
}

static int check_strings(json_t *v, const char *field, int times, cb_err *err)
{
	if (!json_is_array(v) || json_array_size(v) > 100)
		return cb_err_set(err, CB_E_INVALID, field, "must be a list of at most 100 strings");
	size_t i;
	json_t *x;
	json_array_foreach(v, i, x) {
		char f[96];
		snprintf(f, sizeof f, "%s[%zu]", field, i);
		if (!json_is_string(x) || json_string_length(x) > 20000)
			return cb_err_set(err, CB_E_INVALID, f, "must be a string (at most 20000 bytes)");
		cb_ms t;
		if (times && cb_time_parse(json_string_value(x), &t))
			return cb_err_set(err, CB_E_INVALID, f, "must be an RFC 3339 instant");
	}
	return 0;
}

static int check_object(json_t *v, const char *field, const char *const *keys, cb_err *err)
{
	if (!json_is_object(v))
		return cb_err_set(err, CB_E_INVALID, field, "must be an object");
	const char *k;
	json_t *x;
	json_object_foreach(v, k, x) if (!in_list(k, keys))
		return cb_err_set(err, CB_E_INVALID, field, "unknown key '%.60s'", k);
	return 0;
}

/* long: one check per package field, each bad one named */
int cb_esc_package_check(json_t *pkg, const char *const *extra, cb_err *err)
{
	if (!json_is_object(pkg))
		return cb_err_set(err, CB_E_INVALID, "", "the package must be an object");
	const char *k;
	json_t *v;
	json_object_foreach(pkg, k, v) {
		if (in_list(k, extra))
			continue;
		if (!in_list(k, pkg_keys))
			return cb_err_set(err, CB_E_INVALID, k, "unknown field");
		if (json_is_null(v))
			continue; /* null = not given */
		if (!strcmp(k, "summary")) {
			if (check_text(v, k, 500, err))
				return -1;
		} else if (!strcmp(k, "observed") || !strcmp(k, "expected") ||
			   !strcmp(k, "severity_rationale")) {
			if (check_text(v, k, 20000, err))
				return -1;
		} else if (!strcmp(k, "steps")) {
			if (!json_is_string(v) && check_strings(v, k, 0, err))
				return -1;
			if (json_is_string(v) && check_text(v, k, 20000, err))
				return -1;
		} else if (!strcmp(k, "hypotheses")) {
			if (!json_is_array(v) || json_array_size(v) > 100)
				return cb_err_set(err, CB_E_INVALID, k, "must be a list of at most 100 hypotheses");
			size_t i;
			json_t *h;
			json_array_foreach(v, i, h) {
				char f[64];
				snprintf(f, sizeof f, "hypotheses[%zu]", i);
				if (json_is_string(h)) {
					if (check_text(h, f, 20000, err))
						return -1;
					continue;
				}
				static const char *const hk[] = {"hypothesis", "result", NULL};
				if (check_object(h, f, hk, err))
					return -1;
				json_t *t = json_object_get(h, "hypothesis");
				if (!json_is_string(t))
					return cb_err_set(err, CB_E_INVALID, f,
							  "must be a string or {\"hypothesis\", \"result\"}");
				json_t *r = json_object_get(h, "result");
				if (r && !json_is_string(r))
					return cb_err_set(err, CB_E_INVALID, f, "result must be a string");
			}
		} else if (!strcmp(k, "environment")) {
			static const char *const ek[] = {"versions", "region", "tenant", NULL};
			if (check_object(v, k, ek, err))
				return -1;
			json_t *ver = json_object_get(v, "versions");
			if (ver && !json_is_null(ver) && !json_is_string(ver)) {
				if (!json_is_object(ver))
					return cb_err_set(err, CB_E_INVALID, "environment.versions",
							  "must be a string or an object of component versions");
				const char *ck;
				json_t *cv;
				json_object_foreach(ver, ck, cv) if (!json_is_string(cv))
					return cb_err_set(err, CB_E_INVALID, "environment.versions",
							  "each version must be a string");
			}
			json_t *x;
			if ((x = json_object_get(v, "region")) && !json_is_null(x) &&
			    check_text(x, "environment.region", 200, err))
				return -1;
			if ((x = json_object_get(v, "tenant")) && !json_is_null(x) &&
			    check_text(x, "environment.tenant", 200, err))
				return -1;
		} else if (!strcmp(k, "artifacts")) {
			static const char *const ak[] = {"request_ids", "timestamps", "logs", "attachments",
							 NULL};
			if (check_object(v, k, ak, err))
				return -1;
			for (int i = 0; ak[i]; i++) {
				json_t *x = json_object_get(v, ak[i]);
				char f[64];
				snprintf(f, sizeof f, "artifacts.%s", ak[i]);
				if (x && !json_is_null(x) && check_strings(x, f, i == 1, err))
					return -1;
			}
		} else if (!strcmp(k, "impact")) {
			static const char *const ik[] = {"accounts", "users", "tier", NULL};
			if (check_object(v, k, ik, err))
				return -1;
			for (int i = 0; i < 2; i++) {
				json_t *x = json_object_get(v, ik[i]);
				if (x && !json_is_null(x) && (!json_is_integer(x) || json_integer_value(x) < 0))
					return cb_err_set(err, CB_E_INVALID, i ? "impact.users" : "impact.accounts",
							  "must be a count (an integer >= 0)");
			}
			json_t *t = json_object_get(v, "tier");
			static const char *const tiers[] = {"enterprise", "business", "standard", NULL};
			if (t && !json_is_null(t) && !(json_is_string(t) && in_list(json_string_value(t), tiers)))
				return cb_err_set(err, CB_E_INVALID, "impact.tier",
						  "must be enterprise, business or standard");
		}
	}
	return 0;
}

/* ---- the rubric ---- */

static int blank(const char *s)
{
	for (; s && *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 0;
	return 1;
}

/* Present: a non-blank string, a non-empty list or object, or an integer. */
static int present(json_t *v)
{
	if (json_is_string(v))
		return !blank(json_string_value(v));
	if (json_is_array(v))
		return json_array_size(v) > 0;
	if (json_is_object(v))
		return json_object_size(v) > 0;
	return json_is_integer(v);
}

static json_t *at_path(json_t *pkg, const char *path)
{
	const char *dot = strchr(path, '.');
	if (!dot)
		return json_object_get(pkg, path);
	char head[32];
	size_t n = (size_t)(dot - path);
	if (n >= sizeof head)
		return NULL;
	memcpy(head, path, n);
	head[n] = 0;
	json_t *o = json_object_get(pkg, head);
	return json_is_object(o) ? json_object_get(o, dot + 1) : NULL;
}

static int field_present(json_t *pkg, const char *path)
{
	if (!strcmp(path, "artifacts.request_ids")) /* logs or attachments stand in */
		return present(at_path(pkg, "artifacts.request_ids")) ||
		       present(at_path(pkg, "artifacts.logs")) ||
		       present(at_path(pkg, "artifacts.attachments"));
	return present(at_path(pkg, path));
}

static const struct {
	const char *name;
	const char *fields[5];
} rubric[CB_ESC_GROUPS] = {
	{"problem", {"summary", "observed", "expected"}},
	{"reproduction", {"steps", "hypotheses"}},
	{"environment", {"environment.versions", "environment.region", "environment.tenant"}},
	{"evidence", {"artifacts.request_ids", "artifacts.timestamps"}},
	{"impact", {"impact.accounts", "impact.users", "impact.tier", "severity_rationale"}},
};

int cb_esc_score(json_t *pkg, json_t **missing, json_t **groups)
{
	int score = 0;
	json_t *miss = json_array();
	json_t *gs = groups ? json_array() : NULL;
	for (int g = 0; g < CB_ESC_GROUPS; g++) {
		json_t *gm = json_array(), *gf = json_array();
		for (int i = 0; i < 5 && rubric[g].fields[i]; i++) {
			json_array_append_new(gf, json_string(rubric[g].fields[i]));
			if (!json_is_object(pkg) || !field_present(pkg, rubric[g].fields[i])) {
				json_array_append_new(gm, json_string(rubric[g].fields[i]));
				json_array_append_new(miss, json_string(rubric[g].fields[i]));
			}
		}
		int points = json_array_size(gm) == 0;
		score += points;
		if (gs)
			json_array_append_new(gs, json_pack("{s:s, s:i, s:o, s:o}", "name", rubric[g].name,
							    "points", points, "fields", gf, "missing", gm));
		else {
			json_decref(gm);
			json_decref(gf);
		}
	}
	*missing = miss;
	if (groups)
		*groups = gs;
	return score;
}
