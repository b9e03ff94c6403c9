/* status_page.c - the public status page (see status_page.h).
 *
 * Only public incidents appear, and of their timeline only the entries of
 * kind 'update' marked public; the queries select exactly those, so
 * nothing internal is ever loaded here. Atom ids are URNs derived from this
 * instance's random feed UUID (setting status.feed_uuid, made by migration
 * 013): urn:uuid of BLAKE2b("<feed uuid>/update/<id>") shaped as a version
 * 8 UUID, so an entry keeps its id forever and two instances never
 * collide. */
#include "app/incident/status_page.h"
#include "app/incident/incident.h"
#include "core/incident.h"
#include "store/sql.h"
#include "util/alloc.h"
#include "util/buf.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static json_t *row_name(cb_conn *c, cb_q *q)
{
	return json_string(cb_q_text(q, 1));
}

static json_t *incident_components(cb_conn *c, int64_t id, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_INCIDENT_COMPONENTS, err);
	if (!q)
		return NULL;
	cb_q_bind_i64(q, 1, id);
	return cb_app_rows(c, q, row_name, err);
}

static json_t *row_update(cb_conn *c, cb_q *q)
{
	json_t *d = json_loads(cb_q_text(q, 2), 0, NULL);
	const char *st = json_string_value(json_object_get(d, "status"));
	const char *body = json_string_value(json_object_get(d, "body"));
	json_t *o = json_pack("{s:I, s:o, s:s, s:s}", "id", (json_int_t)cb_q_i64(q, 0), "at",
			      cb_incident_time_json(cb_q_i64(q, 1)), "status",
			      st ? st : "investigating", "body", body ? body : "");
	json_decref(d);
	return o;
}

static json_t *public_updates(cb_conn *c, int64_t id, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_STATUS_UPDATES, err);
	if (!q)
		return NULL;
	cb_q_bind_i64(q, 1, id);
	return cb_app_rows(c, q, row_update, err);
}

json_t *cb_statuspage(cb_conn *c, cb_ms now, int days, cb_err *err)
{
	json_t *comps = json_array(), *active = json_array(), *past = json_array();
	json_t *out = NULL;
	cb_comp_state worst = CB_COMP_OPERATIONAL;
	cb_q *q = cb_q_get(c, CB_SQL_COMPONENT_LIST, err);
	int rc = -1;
	if (!q)
		goto done;
	while ((rc = cb_q_step(q, err)) == 1) {
		cb_comp_state s;
		if (cb_comp_state_parse(cb_q_text(q, 4), &s))
			s = CB_COMP_OPERATIONAL;
		if (s > worst)
			worst = s;
		json_array_append_new(comps, json_pack("{s:I, s:s, s:s, s:s, s:o}", "id",
						       (json_int_t)cb_q_i64(q, 0), "name", cb_q_text(q, 1),
						       "description", cb_q_text(q, 2), "state",
						       cb_comp_state_name(s), "updated_at",
						       cb_incident_time_json(cb_q_i64(q, 6))));
	}
	if (rc < 0)
		goto done;
	/* collect the incidents first: each needs further statements */
	q = cb_q_get(c, CB_SQL_STATUS_INCIDENTS, err);
	if (!q)
		goto done;
	cb_q_bind_i64(q, 1, now - (cb_ms)days * 86400000);
	json_t *rows = json_array();
	while ((rc = cb_q_step(q, err)) == 1)
		json_array_append_new(
			rows, json_pack("{s:I, s:s, s:s, s:s, s:o, s:o, s:o}", "id",
					(json_int_t)cb_q_i64(q, 0), "title", cb_q_text(q, 1), "severity",
					cb_inc_severity_name((int)cb_q_i64(q, 2)) ? cb_inc_severity_name((int)cb_q_i64(q, 2)) : "SEV4",
					"status", cb_q_text(q, 3), "started_at",
					cb_incident_time_json(cb_q_i64(q, 4)), "resolved_at",
					cb_incident_time_json(cb_q_isnull(q, 5) ? 0 : cb_q_i64(q, 5)),
					"updated_at", cb_incident_time_json(cb_q_i64(q, 6))));
	size_t i;
	json_t *inc;
	json_array_foreach(rows, i, inc) {
		if (rc < 0)
			break;
		int64_t id = json_integer_value(json_object_get(inc, "id"));
		json_t *cn = incident_components(c, id, err);
		json_t *up = cn ? public_updates(c, id, err) : NULL;
		if (!up) {
			json_decref(cn);
			rc = -1;
			break;
		}
		json_object_set_new(inc, "components", cn);
		json_object_set_new(inc, "updates", up);
		int resolved = strcmp(json_string_value(json_object_get(inc, "status")), "resolved") == 0;
		json_array_append(resolved ? past : active, inc);
	}
	json_decref(rows);
	if (rc < 0)
		goto done;
	out = json_pack("{s:o, s:s, s:i, s:O, s:O, s:O}", "generated_at", cb_incident_time_json(now),
			"overall", cb_comp_state_name(worst), "days", days, "components", comps,
			"active_incidents", active, "past_incidents", past);
done:
	json_decref(comps);
	json_decref(active);
	json_decref(past);
	return out;
}

/* ---- HTML ---- */

/* Escapes s for HTML/XML text and attribute values; drops the control
 * characters XML 1.0 forbids. */
static void esc(cb_buf *b, const char *s)
{
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;
		switch (ch) {
		case '<': cb_buf_puts(b, "&lt;"); break;
		case '>': cb_buf_puts(b, "&gt;"); break;
		case '&': cb_buf_puts(b, "&amp;"); break;
		case '"': cb_buf_puts(b, "&quot;"); break;
		case '\'': cb_buf_puts(b, "&#39;"); break;
		default:
			if (ch < 0x20 && ch != '\n' && ch != '\t' && ch != '\r')
				break;
			cb_buf_append(b, s, 1);
		}
	}
}

static const char *sget(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static const char *state_label(const char *s)
{
	static const char *const m[][2] = {{"operational", "Operational"},
					   {"under_maintenance", "Under maintenance"},
					   {"degraded_performance", "Degraded performance"},
					   {"partial_outage", "Partial outage"},
					   {"major_outage", "Major outage"}};
	for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
		if (strcmp(m[i][0], s) == 0)
			return m[i][1];
	return s;
}

static const char *status_label(const char *s)
{
	static const char *const m[][2] = {{"investigating", "Investigating"},
					   {"identified", "Identified"},
					   {"monitoring", "Monitoring"},
					   {"resolved", "Resolved"}};
	for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
		if (strcmp(m[i][0], s) == 0)
			return m[i][1];
	return s;
}

static void html_time(cb_buf *b, const char *t)
{
	cb_buf_puts(b, "<time datetime=\"");
	esc(b, t);
	cb_buf_puts(b, "\">");
	/* "2026-03-06T21:30:00Z" -> "2026-03-06 21:30 UTC" */
	if (strlen(t) >= 16) {
		cb_buf_append(b, t, 10);
		cb_buf_puts(b, " ");
		cb_buf_append(b, t + 11, 5);
		cb_buf_puts(b, " UTC");
	} else {
		esc(b, t);
	}
	cb_buf_puts(b, "</time>");
}

static void html_incidents(cb_buf *b, json_t *list, const char *none)
{
	if (!json_array_size(list)) {
		cb_buf_printf(b, "<p>%s</p>\n", none);
		return;
	}
	size_t i, j;
	json_t *inc, *u, *cn;
	json_array_foreach(list, i, inc) {
		cb_buf_printf(b, "<article class=\"incident\" id=\"incident-%lld\" aria-labelledby=\"incident-%lld-title\">\n",
			      (long long)json_integer_value(json_object_get(inc, "id")),
			      (long long)json_integer_value(json_object_get(inc, "id")));
		cb_buf_printf(b, "<h3 id=\"incident-%lld-title\">",
			      (long long)json_integer_value(json_object_get(inc, "id")));
		esc(b, sget(inc, "title"));
		cb_buf_puts(b, "</h3>\n<p class=\"meta\"><span class=\"badge\">");
		esc(b, sget(inc, "severity"));
		cb_buf_puts(b, "</span> <strong>");
		esc(b, status_label(sget(inc, "status")));
		cb_buf_puts(b, "</strong> &middot; started ");
		html_time(b, sget(inc, "started_at"));
		if (json_is_string(json_object_get(inc, "resolved_at"))) {
			cb_buf_puts(b, " &middot; resolved ");
			html_time(b, sget(inc, "resolved_at"));
		}
		cb_buf_puts(b, "</p>\n");
		json_t *comps = json_object_get(inc, "components");
		if (json_array_size(comps)) {
			cb_buf_puts(b, "<p>Affected: ");
			json_array_foreach(comps, j, cn) {
				if (j)
					cb_buf_puts(b, ", ");
				esc(b, json_string_value(cn));
			}
			cb_buf_puts(b, "</p>\n");
		}
		json_t *ups = json_object_get(inc, "updates");
		if (!json_array_size(ups)) {
			cb_buf_puts(b, "<p>No updates yet.</p>\n");
		} else {
			cb_buf_puts(b, "<ol class=\"updates\" reversed>\n");
			json_array_foreach(ups, j, u) {
				cb_buf_printf(b, "<li id=\"update-%lld\"><p><strong>",
					      (long long)json_integer_value(json_object_get(u, "id")));
				esc(b, status_label(sget(u, "status")));
				cb_buf_puts(b, "</strong> &middot; ");
				html_time(b, sget(u, "at"));
				cb_buf_puts(b, "</p><p class=\"body\">");
				esc(b, sget(u, "body"));
				cb_buf_puts(b, "</p></li>\n");
			}
			cb_buf_puts(b, "</ol>\n");
		}
		cb_buf_puts(b, "</article>\n");
	}
}

char *cb_statuspage_html(json_t *page)
{
	cb_buf b = {0};
	cb_buf_puts(&b,
		    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		    "<title>System status</title>\n"
		    "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"Status updates\" href=\"/status.atom\">\n"
		    "<link rel=\"stylesheet\" href=\"/app/pages.css\">\n"
		    "</head>\n<body>\n<header><h1>System status</h1></header>\n<main>\n");
	const char *overall = sget(page, "overall");
	cb_buf_printf(&b, "<p class=\"overall state-%s\" role=\"status\">", overall);
	cb_buf_puts(&b, strcmp(overall, "operational") == 0 ? "All systems operational"
			: strcmp(overall, "under_maintenance") == 0 ? "Scheduled maintenance in progress"
			: strcmp(overall, "major_outage") == 0     ? "Major outage"
			: strcmp(overall, "partial_outage") == 0   ? "Partial outage"
								   : "Degraded performance");
	cb_buf_puts(&b, "</p>\n<section aria-labelledby=\"components\">\n<h2 id=\"components\">Components</h2>\n");
	json_t *comps = json_object_get(page, "components");
	if (!json_array_size(comps))
		cb_buf_puts(&b, "<p>No components are listed.</p>\n");
	else
		cb_buf_puts(&b, "<ul class=\"components\">\n");
	size_t i;
	json_t *cn;
	json_array_foreach(comps, i, cn) {
		cb_buf_puts(&b, "<li><span class=\"name\">");
		esc(&b, sget(cn, "name"));
		const char *d = sget(cn, "description");
		if (*d) {
			cb_buf_puts(&b, " <small>");
			esc(&b, d);
			cb_buf_puts(&b, "</small>");
		}
		cb_buf_printf(&b, "</span> <span class=\"state state-%s\">", sget(cn, "state"));
		esc(&b, state_label(sget(cn, "state")));
		cb_buf_puts(&b, "</span></li>\n");
	}
	if (json_array_size(comps))
		cb_buf_puts(&b, "</ul>\n");
	cb_buf_puts(&b, "</section>\n<section aria-labelledby=\"active\">\n<h2 id=\"active\">Active incidents</h2>\n");
	html_incidents(&b, json_object_get(page, "active_incidents"), "No active incidents.");
	cb_buf_printf(&b, "</section>\n<section aria-labelledby=\"past\">\n<h2 id=\"past\">Past incidents (last %lld days)</h2>\n",
		      (long long)json_integer_value(json_object_get(page, "days")));
	html_incidents(&b, json_object_get(page, "past_incidents"), "No incidents in this period.");
	cb_buf_puts(&b, "</section>\n</main>\n<footer><p>Updated ");
	html_time(&b, sget(page, "generated_at"));
	cb_buf_puts(&b, " &middot; <a href=\"/status.json\">JSON</a> &middot; "
			"<a href=\"/status.atom\">Atom feed</a></p></footer>\n</body>\n</html>\n");
	return cb_buf_steal(&b);
}

/* ---- Atom ---- */

static void entry_uuid(const char *feed, int64_t id, char out[37])
{
	char in[128];
	unsigned char h[16];
	int n = snprintf(in, sizeof in, "%s/update/%lld", feed, (long long)id);
	crypto_generichash(h, sizeof h, (const unsigned char *)in, (unsigned long long)n, NULL, 0);
	h[6] = (unsigned char)((h[6] & 0x0f) | 0x80); /* version 8 */
	h[8] = (unsigned char)((h[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	static const char hex[] = "0123456789abcdef";
	int k = 0;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[k++] = '-';
		out[k++] = hex[h[i] >> 4];
		out[k++] = hex[h[i] & 15];
	}
	out[k] = 0;
}

char *cb_statuspage_atom(cb_conn *c, cb_ms now, cb_err *err)
{
	char feed[64] = "00000000-0000-4000-8000-000000000000";
	cb_q *q = cb_q_get(c, CB_SQL_STATUS_FEED_UUID, err);
	if (!q)
		return NULL;
	int rc = cb_q_step(q, err);
	if (rc < 0)
		return NULL;
	if (rc == 1) {
		snprintf(feed, sizeof feed, "%s", cb_q_text(q, 0));
		cb_q_reset(q);
	}
	q = cb_q_get(c, CB_SQL_STATUS_FEED, err);
	if (!q)
		return NULL;
	cb_buf entries = {0};
	cb_ms newest = 0;
	while ((rc = cb_q_step(q, err)) == 1) {
		int64_t eid = cb_q_i64(q, 0);
		cb_ms at = cb_q_i64(q, 1);
		if (at > newest)
			newest = at;
		json_t *d = json_loads(cb_q_text(q, 2), 0, NULL);
		int64_t inc = cb_q_i64(q, 3);
		char uuid[37], t[40];
		entry_uuid(feed, eid, uuid);
		cb_time_format(at, t, sizeof t);
		const char *st = sget(d, "status");
		const char *sev = cb_inc_severity_name((int)cb_q_i64(q, 5));
		cb_buf_printf(&entries, "<entry>\n<id>urn:uuid:%s</id>\n<title type=\"text\">", uuid);
		esc(&entries, cb_q_text(q, 4));
		cb_buf_puts(&entries, " - ");
		esc(&entries, status_label(st));
		cb_buf_printf(&entries, "</title>\n<updated>%s</updated>\n<published>%s</published>\n", t, t);
		cb_buf_printf(&entries, "<link rel=\"alternate\" type=\"text/html\" href=\"/status#incident-%lld\"/>\n",
			      (long long)inc);
		if (sev)
			cb_buf_printf(&entries, "<category term=\"%s\"/>\n", sev);
		cb_buf_puts(&entries, "<content type=\"text\">");
		esc(&entries, sget(d, "body"));
		cb_buf_puts(&entries, "</content>\n</entry>\n");
		json_decref(d);
	}
	if (rc < 0) {
		cb_buf_free(&entries);
		return NULL;
	}
	char upd[40];
	cb_time_format(newest ? newest : now, upd, sizeof upd);
	cb_buf b = {0};
	cb_buf_printf(&b,
		      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
		      "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n"
		      "<title>System status</title>\n"
		      "<subtitle>Public updates on incidents</subtitle>\n"
		      "<id>urn:uuid:%s</id>\n<updated>%s</updated>\n"
		      "<link rel=\"self\" type=\"application/atom+xml\" href=\"/status.atom\"/>\n"
		      "<link rel=\"alternate\" type=\"text/html\" href=\"/status\"/>\n"
		      "<author><name>Status</name></author>\n"
		      "<generator>Casebook</generator>\n",
		      feed, upd);
	if (entries.len)
		cb_buf_append(&b, entries.p, entries.len);
	cb_buf_free(&entries);
	cb_buf_puts(&b, "</feed>\n");
	return cb_buf_steal(&b);
}
