/* incident.c - status machine, cadence clock, component states and review
 * action lifecycle of major incidents (see incident.h). Pure. */
#include "core/incident.h"

#include <stdio.h>
#include <string.h>

static const char *const status_names[CB_INC__COUNT] = {"investigating", "identified",
							"monitoring", "resolved"};

/* legal[from][to] */
static const unsigned char legal[CB_INC__COUNT][CB_INC__COUNT] = {
	[CB_INC_INVESTIGATING] = {0, 1, 1, 1},
	[CB_INC_IDENTIFIED] = {1, 0, 1, 1},
	[CB_INC_MONITORING] = {1, 1, 0, 1},
	[CB_INC_RESOLVED] = {0, 0, 0, 0},
};

const char *cb_inc_status_name(cb_inc_status s)
{
	return (unsigned)s < CB_INC__COUNT ? status_names[s] : "unknown";
}

static int parse_name(const char *s, const char *const *names, int n)
{
	for (int i = 0; s && i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

int cb_inc_status_parse(const char *s, cb_inc_status *out)
{
	int i = parse_name(s, status_names, CB_INC__COUNT);
	if (i < 0)
		return -1;
	*out = (cb_inc_status)i;
	return 0;
}

int cb_inc_move_ok(cb_inc_status from, cb_inc_status to)
{
	if ((unsigned)from >= CB_INC__COUNT || (unsigned)to >= CB_INC__COUNT)
		return 0;
	return legal[from][to];
}

static const char *join_allowed(const char *const *names, int n, int (*ok)(int, int), int from,
				char *buf, size_t len)
{
	size_t at = 0;
	buf[0] = 0;
	for (int i = 0; i < n; i++) {
		if (!ok(from, i))
			continue;
		int w = snprintf(buf + at, len - at, "%s%s", at ? ", " : "", names[i]);
		if (w < 0 || (size_t)w >= len - at)
			break;
		at += (size_t)w;
	}
	if (!at)
		snprintf(buf, len, "none");
	return buf;
}

static int inc_ok(int from, int to)
{
	return cb_inc_move_ok((cb_inc_status)from, (cb_inc_status)to);
}

const char *cb_inc_allowed_moves(cb_inc_status from, char *buf, size_t n)
{
	return join_allowed(status_names, CB_INC__COUNT, inc_ok, (int)from, buf, n);
}

static const char *const sev_names[] = {"SEV1", "SEV2", "SEV3", "SEV4"};

int cb_inc_severity_parse(const char *s)
{
	int i = parse_name(s, sev_names, 4);
	return i < 0 ? -1 : i + 1;
}

const char *cb_inc_severity_name(int sev)
{
	return sev >= 1 && sev <= 4 ? sev_names[sev - 1] : NULL;
}

cb_ms cb_inc_next_update_due(cb_inc_status st, cb_ms started_at, cb_ms last_public_update,
			     int cadence_min)
{
	if (st == CB_INC_RESOLVED || cadence_min <= 0)
		return 0;
	cb_ms from = last_public_update > started_at ? last_public_update : started_at;
	return from + (cb_ms)cadence_min * 60000;
}

int cb_inc_overdue(cb_ms due, cb_ms now)
{
	return due > 0 && now > due;
}

static const char *const comp_names[CB_COMP__COUNT] = {
	"operational", "under_maintenance", "degraded_performance", "partial_outage", "major_outage"};

const char *cb_comp_state_name(cb_comp_state s)
{
	return (unsigned)s < CB_COMP__COUNT ? comp_names[s] : "unknown";
}

int cb_comp_state_parse(const char *s, cb_comp_state *out)
{
	int i = parse_name(s, comp_names, CB_COMP__COUNT);
	if (i < 0)
		return -1;
	*out = (cb_comp_state)i;
	return 0;
}

static const char *const act_names[CB_ACT__COUNT] = {"open", "in_progress", "done"};
static const unsigned char act_legal[CB_ACT__COUNT][CB_ACT__COUNT] = {
	[CB_ACT_OPEN] = {0, 1, 1},
	[CB_ACT_IN_PROGRESS] = {1, 0, 1},
	[CB_ACT_DONE] = {0, 0, 0},
};

const char *cb_act_status_name(cb_act_status s)
{
	return (unsigned)s < CB_ACT__COUNT ? act_names[s] : "unknown";
}

int cb_act_status_parse(const char *s, cb_act_status *out)
{
	int i = parse_name(s, act_names, CB_ACT__COUNT);
	if (i < 0)
		return -1;
	*out = (cb_act_status)i;
	return 0;
}

int cb_act_move_ok(cb_act_status from, cb_act_status to)
{
	if ((unsigned)from >= CB_ACT__COUNT || (unsigned)to >= CB_ACT__COUNT)
		return 0;
	return act_legal[from][to];
}

static int act_ok(int from, int to)
{
	return cb_act_move_ok((cb_act_status)from, (cb_act_status)to);
}

const char *cb_act_allowed_moves(cb_act_status from, char *buf, size_t n)
{
	return join_allowed(act_names, CB_ACT__COUNT, act_ok, (int)from, buf, n);
}

int cb_act_type_valid(const char *s)
{
	return s && (strcmp(s, "corrective") == 0 || strcmp(s, "preventive") == 0);
}

static int parse_date(const char *s, int64_t *days)
{
	unsigned y, m, d;
	char extra;
	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
	    sscanf(s, "%4u-%2u-%2u%c", &y, &m, &d, &extra) != 3)
		return -1;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -1;
	static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return -1;
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (m == 2 && d == 29 && !leap)
		return -1;
	*days = cb_days_from_civil(y, m, d);
	return 0;
}

int cb_date_valid(const char *s)
{
	int64_t d;
	return parse_date(s, &d) == 0;
}

int cb_act_overdue(const char *due_date, cb_act_status st, cb_ms now)
{
	int64_t d;
	if (st == CB_ACT_DONE || parse_date(due_date, &d))
		return 0;
	int64_t today = now >= 0 ? now / 86400000 : -((-now + 86399999) / 86400000);
	return d < today;
}
