/* cmd_import.c - `casebook import` and `casebook export`: the same
 * app/import.c functions as POST /api/v1/import/tickets and
 * GET /api/v1/export/tickets, on a data directory (the server may run: the
 * import goes through the same group-committing writer of this process and
 * SQLite's locking between processes). */
#include "cli/cli.h"
#include "cli/commands.h"
#include "app/import.h"
#include "util/alloc.h"
#include "util/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Splits argv into the options that take a value (listed in valued), flags
 * and positionals. Returns the number of positionals, -1 on an unknown
 * option. */
static int positionals(int argc, char **argv, const char *const *valued, const char **pos,
		       int max)
{
	int n = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] == '-' && a[1] != '\0') {
			int known = 0;
			for (const char *const *v = valued; *v; v++) {
				size_t l = strlen(*v);
				if (strncmp(a, *v, l) == 0 && (a[l] == '\0' || a[l] == '=')) {
					known = 1;
					if (a[l] == '\0')
						i++; /* its value */
				}
			}
			if (!known)
				return -1;
			continue;
		}
		if (n >= max)
			return -1;
		pos[n++] = a;
	}
	return n;
}

/* ---- import ---- */

static const char import_usage[] =
	"usage: casebook import --data DIR [--sync full|normal] [--batch N] FILE\n"
	"Imports tickets with their timelines from FILE ('-' reads stdin): NDJSON,\n"
	"one ticket per line in the import format of the API (a JSON array is\n"
	"accepted too). Each line is imported or rejected on its own; lines are\n"
	"written N at a time (default 500) in one transaction per batch.\n"
	"Prints each failed line's error, then 'imported N, failed N'.\n"
	"Exit status: 0 all imported, 1 some line failed or an error, 2 usage.\n";

static int print_failure(void *ctx, const cb_import_result *r)
{
	(void)ctx;
	if (!r->err)
		return 0;
	const cb_err *e = r->err;
	fprintf(stderr, "line %lld: %d %s: %s", (long long)r->line, cb_err_http_status(e->code),
		cb_err_title(e->code), e->message);
	int open = 0;
	for (int i = 0; i < e->nitems; i++) {
		if (!e->items[i].field[0])
			continue;
		fputs(open++ ? ", " : " (", stderr);
		if (strcmp(e->items[i].message, e->message) == 0)
			fputs(e->items[i].field, stderr);
		else
			fprintf(stderr, "%s: %s", e->items[i].field, e->items[i].message);
	}
	if (open)
		fputc(')', stderr);
	fputc('\n', stderr);
	return 0;
}

/* The file's bytes: mapped when it is a regular file, else read. */
struct input {
	const char *p;
	size_t len;
	void *map;
	cb_buf buf;
};

static int read_input(const char *path, struct input *in)
{
	memset(in, 0, sizeof *in);
	int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		cb_cli_error("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	struct stat sb;
	if (fd != 0 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
		if (sb.st_size > 0) {
			void *m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
			if (m == MAP_FAILED) {
				cb_cli_error("cannot read %s: %s", path, strerror(errno));
				close(fd);
				return -1;
			}
			in->map = m;
			in->p = m;
			in->len = (size_t)sb.st_size;
		}
		close(fd);
		return 0;
	}
	char chunk[65536];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cb_cli_error("cannot read %s: %s", path, strerror(errno));
			if (fd != 0)
				close(fd);
			cb_buf_free(&in->buf);
			return -1;
		}
		if (n == 0)
			break;
		cb_buf_append(&in->buf, chunk, (size_t)n);
	}
	if (fd != 0)
		close(fd);
	in->p = in->buf.p;
	in->len = in->buf.len;
	return 0;
}

static void free_input(struct input *in)
{
	if (in->map)
		munmap(in->map, in->len);
	cb_buf_free(&in->buf);
}

int cb_cmd_import(int argc, char **argv)
{
	if (cb_cli_wants_help(argc, argv)) {
		fputs(import_usage, stdout);
		return 0;
	}
	static const char *const valued[] = {"--data", "--sync", "--batch", NULL};
	const char *pos[1];
	if (positionals(argc, argv, valued, pos, 1) != 1 || !cb_cli_opt(argc, argv, "--data")) {
		fputs(import_usage, stderr);
		return 2;
	}
	const char *sync = cb_cli_opt(argc, argv, "--sync");
	if (sync && strcmp(sync, "full") != 0 && strcmp(sync, "normal") != 0) {
		fputs(import_usage, stderr);
		return 2;
	}
	cb_import_opts o = {.sink = print_failure};
	const char *bs = cb_cli_opt(argc, argv, "--batch");
	if (bs) {
		char *end = NULL;
		long v = strtol(bs, &end, 10);
		if (!*bs || *end || v < 1 || v > 100000) {
			cb_cli_error("--batch expects an integer from 1 to 100000");
			fputs(import_usage, stderr);
			return 2;
		}
		o.batch = (int)v;
	}
	struct input in;
	if (read_input(pos[0], &in))
		return 1;
	cb_app app = {0};
	int rc = cb_cli_open(&app, argc, argv, import_usage);
	if (rc) {
		free_input(&in);
		return rc;
	}
	cb_err err = {0};
	cb_import_stats st = {0};
	rc = cb_import_tickets(&app, cb_now_ms(), in.p ? in.p : "", in.len,
			       cb_import_sniff(in.p, in.len), &o, &st, &err);
	if (rc)
		cb_cli_error("%s", err.message);
	printf("imported %lld, failed %lld\n", (long long)st.imported, (long long)st.failed);
	cb_db_close(app.db);
	free_input(&in);
	return rc || st.failed ? 1 : 0;
}

/* ---- export ---- */

static const char export_usage[] =
	"usage: casebook export --data DIR [FILE]\n"
	"Writes every ticket with its timeline as NDJSON in the import format\n"
	"(ascending id, one ticket per line) to FILE, or to stdout.\n";

static int file_write(void *ctx, const char *p, size_t n)
{
	return fwrite(p, 1, n, ctx) == n ? 0 : -1;
}

int cb_cmd_export(int argc, char **argv)
{
	if (cb_cli_wants_help(argc, argv)) {
		fputs(export_usage, stdout);
		return 0;
	}
	static const char *const valued[] = {"--data", NULL};
	const char *pos[1] = {NULL};
	int np = positionals(argc, argv, valued, pos, 1);
	if (np < 0 || !cb_cli_opt(argc, argv, "--data")) {
		fputs(export_usage, stderr);
		return 2;
	}
	cb_app app = {0};
	int rc = cb_cli_open(&app, argc, argv, export_usage);
	if (rc)
		return rc;
	FILE *f = stdout;
	if (np == 1 && strcmp(pos[0], "-") != 0) {
		f = fopen(pos[0], "w");
		if (!f) {
			cb_cli_error("cannot create %s: %s", pos[0], strerror(errno));
			cb_db_close(app.db);
			return 1;
		}
	}
	cb_err err = {0};
	int64_t n = 0;
	cb_conn *c = cb_db_reader(app.db, &err);
	rc = c ? cb_export_tickets(c, file_write, f, &n, &err) : -1;
	if (rc)
		cb_cli_error("%s", err.message);
	if (f != stdout) {
		if (fclose(f) != 0 && rc == 0) {
			cb_cli_error("cannot write %s: %s", pos[0], strerror(errno));
			rc = -1;
		}
		if (rc == 0)
			printf("exported %lld tickets to %s\n", (long long)n, pos[0]);
	} else if (fflush(stdout) != 0 && rc == 0) {
		cb_cli_error("cannot write the export: %s", strerror(errno));
		rc = -1;
	}
	cb_db_close(app.db);
	return rc ? 1 : 0;
}
