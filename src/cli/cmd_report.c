/* cmd_report.c - `casebook report`: the KPI report of the API
 * (app/report/report.c) printed as a table, as CSV or JSON, and the rebuild of the
 * KPI facts of every ticket. */
#include "cli/cli.h"
#include "app/ticket/pipeline.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "app/report/report.h"
#include "util/alloc.h"
#include "util/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char report_usage[] =
	"usage: casebook report kpis --data DIR --from TIME --to TIME [--group-by KEY]\n"
	"                            [--bucket day|week|month [--tz ZONE]] [--csv | --json]\n"
	"                            [--source facts]\n"
	"       casebook report rebuild --data DIR [--rollups]\n"
	"kpis prints the KPIs of docs/metrics.md section 5 over [from, to) (RFC 3339) as a\n"
	"table: one row per KPI, one column per group (KEY: priority, account, tier,\n"
	"category, group, assignee), as the API computes them; --csv and --json print\n"
	"the API's CSV or JSON; --source facts computes them from the per-ticket facts\n"
	"alone, without the hourly rollups (the same figures: a check of the rollups).\n"
	"rebuild re-folds every ticket's clocks and KPI facts (for a database from\n"
	"before reporting, or after a bulk change) and re-derives the rollups;\n"
	"--rollups only re-derives the rollups from the facts.\n";

/* Leaves of a kpis object: dotted names and values as text. */
typedef struct {
	char **name, **val;
	int n, cap;
} leaves;

static void leaf_add(leaves *l, const char *name, json_t *v)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->name = cb_xrealloc(l->name, (size_t)l->cap * sizeof *l->name);
		l->val = cb_xrealloc(l->val, (size_t)l->cap * sizeof *l->val);
	}
	char b[64];
	if (json_is_integer(v))
		snprintf(b, sizeof b, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(b, sizeof b, "%.15g", json_real_value(v));
	else
		snprintf(b, sizeof b, "-");
	l->name[l->n] = cb_xstrdup(name);
	l->val[l->n] = cb_xstrdup(b);
	l->n++;
}

static void flatten(leaves *l, json_t *o, const char *prefix)
{
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v) {
		char name[256];
		snprintf(name, sizeof name, "%s%s%s", prefix, *prefix ? "." : "", k);
		if (json_is_object(v))
			flatten(l, v, name);
		else
			leaf_add(l, name, v);
	}
}

static void leaves_free(leaves *l)
{
	for (int i = 0; i < l->n; i++) {
		cb_free(l->name[i]);
		cb_free(l->val[i]);
	}
	cb_free(l->name);
	cb_free(l->val);
	memset(l, 0, sizeof *l);
}

/* Display width of UTF-8 text: one column per code point (names and e-mail
 * addresses are not cut, and accents do not shift the columns). */
static int text_width(const char *s)
{
	int w = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			w++;
	return w;
}

static void put_padded(const char *s, int width, int right)
{
	int pad = width - text_width(s);
	if (right)
		for (int i = 0; i < pad; i++)
			putchar(' ');
	fputs(s, stdout);
	if (!right)
		for (int i = 0; i < pad; i++)
			putchar(' ');
}

/* One table: KPI rows, a column for all tickets and one per group (its key:
 * an account or group name, an assignee's e-mail). Every column is as wide
 * as its widest cell, so nothing is ever cut. */
static void table(json_t *block, const char *from, const char *to, json_t *gb)
{
	json_t *groups = json_object_get(block, "groups");
	int ncol = 1 + (int)json_array_size(groups);
	leaves *cols = cb_xcalloc((size_t)ncol, sizeof *cols);
	const char **head = cb_xcalloc((size_t)ncol, sizeof *head);
	int *w = cb_xcalloc((size_t)ncol, sizeof *w);
	flatten(&cols[0], json_object_get(block, "kpis"), "");
	head[0] = "all";
	for (int i = 1; i < ncol; i++) {
		json_t *g = json_array_get(groups, (size_t)i - 1);
		json_t *k = json_object_get(g, "key");
		flatten(&cols[i], json_object_get(g, "kpis"), "");
		head[i] = json_is_string(k) ? json_string_value(k) : "(none)";
	}
	int wname = 0;
	for (int r = 0; r < cols[0].n; r++)
		if (text_width(cols[0].name[r]) > wname)
			wname = text_width(cols[0].name[r]);
	for (int i = 0; i < ncol; i++) {
		w[i] = text_width(head[i]);
		for (int r = 0; r < cols[i].n; r++)
			if (text_width(cols[i].val[r]) > w[i])
				w[i] = text_width(cols[i].val[r]);
	}
	printf("KPIs %s .. %s", from, to);
	if (json_is_string(gb))
		printf(" by %s", json_string_value(gb));
	putchar('\n');
	put_padded("", wname, 0);
	for (int i = 0; i < ncol; i++) {
		fputs("  ", stdout);
		put_padded(head[i], w[i], 1);
	}
	putchar('\n');
	for (int r = 0; r < cols[0].n; r++) {
		put_padded(cols[0].name[r], wname, 0);
		for (int i = 0; i < ncol; i++) {
			fputs("  ", stdout);
			put_padded(r < cols[i].n ? cols[i].val[r] : "", w[i], 1);
		}
		putchar('\n');
	}
	putchar('\n');
	for (int i = 0; i < ncol; i++)
		leaves_free(&cols[i]);
	cb_free(cols);
	cb_free(head);
	cb_free(w);
}

static int kpis(int argc, char **argv)
{
	cb_app app = {0};
	int rc = cb_cli_open(&app, argc, argv, report_usage);
	if (rc)
		return rc;
	cb_report_spec spec = {
		.from = cb_cli_opt(argc, argv, "--from"),
		.to = cb_cli_opt(argc, argv, "--to"),
		.group_by = cb_cli_opt(argc, argv, "--group-by"),
		.bucket = cb_cli_opt(argc, argv, "--bucket"),
		.tz = cb_cli_opt(argc, argv, "--tz"),
	};
	const char *source = cb_cli_opt(argc, argv, "--source");
	if (source && strcmp(source, "facts") != 0) {
		cb_cli_error("--source: must be facts");
		cb_db_close(app.db);
		return 2;
	}
	spec.source_facts = source != NULL;
	cb_err err = {0};
	cb_conn *c = cb_db_reader(app.db, &err);
	json_t *o = c ? cb_report_kpis(c, &spec, cb_now_ms(), &err) : NULL;
	if (c)
		cb_conn_reset_all(c);
	if (!o) {
		cb_cli_error("%s%s%s", err.nitems ? err.items[0].field : "", err.nitems ? ": " : "",
			     err.message);
		cb_db_close(app.db);
		return err.code == CB_E_INVALID ? 2 : 1;
	}
	if (cb_cli_flag(argc, argv, "--csv")) {
		cb_buf b = {0};
		cb_report_csv(o, &b);
		fwrite(b.p, 1, b.len, stdout);
		cb_buf_free(&b);
	} else if (cb_cli_flag(argc, argv, "--json")) {
		char *s = cb_report_dumps(o);
		puts(s ? s : "null");
		free(s); /* jansson's allocation */
	} else {
		json_t *gb = json_object_get(o, "group_by");
		json_t *bs = json_object_get(o, "buckets");
		if (!bs) {
			table(o, json_string_value(json_object_get(o, "from")),
			      json_string_value(json_object_get(o, "to")), gb);
		} else {
			size_t i;
			json_t *b;
			json_array_foreach(bs, i, b)
				table(b, json_string_value(json_object_get(b, "from")),
				      json_string_value(json_object_get(b, "to")), gb);
		}
	}
	json_decref(o);
	cb_db_close(app.db);
	return 0;
}

static int rebuild(int argc, char **argv)
{
	cb_app app = {0};
	int rc = cb_cli_open(&app, argc, argv, report_usage);
	if (rc)
		return rc;
	cb_err err = {0};
	int64_t n = 0;
	int only = cb_cli_flag(argc, argv, "--rollups");
	cb_cli_progress *p = only ? NULL : cb_cli_progress_start("rebuilding", "tickets");
	app.progress = cb_cli_progress_sink(p);
	rc = only ? cb_report_rollups_derive(&app, &err)
		  : cb_pipeline_rebuild(&app, cb_now_ms(), 500, &n, &err);
	cb_cli_progress_end(p);
	if (rc)
		cb_cli_error("%s", err.message);
	else if (only)
		printf("rollups derived from the KPI facts\n");
	else
		printf("rebuilt %lld tickets\n", (long long)n);
	cb_db_close(app.db);
	return rc ? 1 : 0;
}

int cb_cmd_report(int argc, char **argv)
{
	if (argc < 2 || cb_cli_wants_help(argc, argv)) {
		fputs(report_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "kpis") == 0)
		return kpis(argc - 1, argv + 1);
	if (strcmp(argv[1], "rebuild") == 0)
		return rebuild(argc - 1, argv + 1);
	fputs(report_usage, stderr);
	return 2;
}
