/* cmd_import.c - `casebook import` and `casebook export`: the same
 * app/ticket/import.c functions as POST /api/v1/import/tickets and
 * GET /api/v1/export/tickets, on a data directory (the server may run: the
 * import goes through the same group-committing writer of this process and
 * SQLite's locking between processes). */
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "app/directory/auth.h"
#include "app/ticket/import.h"
#include "app/instance/instance.h"
#include "util/alloc.h"
#include "util/buf.h"

#include <dirent.h>
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
		if (strcmp(a, "--all") == 0)
			continue; /* the one flag */
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
	"       casebook import --all --data DIR FILE\n"
	"Imports tickets with their timelines from FILE ('-' reads stdin): NDJSON,\n"
	"one ticket per line in the import format of the API (a JSON array is\n"
	"accepted too). Each line is imported or rejected on its own; lines are\n"
	"written N at a time (default 500) in one transaction per batch.\n"
	"Prints each failed line's error, then 'imported N, failed N'.\n"
	"--all loads a whole instance written by 'export --all' into DIR, which\n"
	"must not exist or be empty; all or nothing (docs/export.md).\n"
	"Exit status: 0 all imported, 1 some line failed or an error, 2 usage.\n";

/* ---- import --all ---- */

struct line_in {
	FILE *f;
	char *line;
	size_t cap;
};

static int read_line(void *ctx, const char **line, size_t *len, cb_err *err)
{
	struct line_in *in = ctx;
	errno = 0;
	ssize_t n = getline(&in->line, &in->cap, in->f);
	if (n < 0) {
		if (ferror(in->f))
			return cb_err_set(err, CB_E_INTERNAL, NULL, "cannot read the input: %s",
					  strerror(errno));
		return 0;
	}
	if (n > 0 && in->line[n - 1] == '\n')
		n--;
	*line = in->line;
	*len = (size_t)n;
	return 1;
}

/* 1 when dir does not exist (*exists = 0) or is an empty directory. */
static int empty_dir(const char *dir, int *exists)
{
	*exists = 0;
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT;
	*exists = 1;
	struct dirent *e;
	int empty = 1;
	while (empty && (e = readdir(d)))
		empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
	closedir(d);
	return empty;
}

static void remove_db(const char *dir, int rm_dir)
{
	static const char *const files[] = {"casebook.db", "casebook.db-wal", "casebook.db-shm"};
	char path[4096];
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		unlink(path);
	}
	if (rm_dir)
		rmdir(dir);
}

static int import_all(const char *dir, const char *path)
{
	int exists = 0;
	if (!empty_dir(dir, &exists)) {
		cb_cli_error("%s is not empty: import --all needs a new or empty data directory", dir);
		return 1;
	}
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (!f) {
		cb_cli_error("cannot open %s: %s", path, strerror(errno));
		return 1;
	}
	if (cb_auth_init()) {
		cb_cli_error("cannot initialize libsodium");
		if (f != stdin)
			fclose(f);
		return 1;
	}
	cb_app app = {0};
	cb_err err = {0};
	cb_db_opts o = {.synchronous_full = 1};
	if (cb_db_open(&app.db, dir, &o, &err)) {
		cb_cli_error("%s", err.message);
		if (f != stdin)
			fclose(f);
		return 1;
	}
	app.data_dir = dir;
	struct line_in in = {.f = f};
	cb_instance_stats st = {0};
	cb_cli_progress *p = cb_cli_progress_start("importing", "lines");
	if (p && f != stdin) {
		/* the total for the time left: a quick count of the file's lines */
		int64_t lines = 0;
		char buf[65536];
		size_t n;
		while ((n = fread(buf, 1, sizeof buf, f)) > 0)
			for (char *q = buf; (q = memchr(q, '\n', (size_t)(buf + n - q))); q++)
				lines++;
		rewind(f);
		cb_cli_progress_total(p, lines);
	}
	app.progress = cb_cli_progress_sink(p);
	int rc = cb_instance_import(&app, read_line, &in, &st, &err);
	cb_cli_progress_end(p);
	cb_db_close(app.db);
	free(in.line);
	if (f != stdin)
		fclose(f);
	if (rc) {
		cb_cli_error("%s; nothing imported", err.message);
		remove_db(dir, !exists);
		return 1;
	}
	printf("imported %lld tables, %lld rows into %s\n", (long long)st.tables, (long long)st.rows,
	       dir);
	return 0;
}

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
	if (cb_cli_flag(argc, argv, "--all")) {
		if (sync || cb_cli_opt(argc, argv, "--batch")) {
			fputs(import_usage, stderr);
			return 2;
		}
		return import_all(cb_cli_opt(argc, argv, "--data"), pos[0]);
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
	cb_cli_progress *p = cb_cli_progress_start("importing", "lines");
	app.progress = cb_cli_progress_sink(p);
	rc = cb_import_tickets(&app, cb_now_ms(), in.p ? in.p : "", in.len,
			       cb_import_sniff(in.p, in.len), &o, &st, &err);
	cb_cli_progress_end(p);
	if (rc)
		cb_cli_error("%s", err.message);
	printf("imported %lld, failed %lld\n", (long long)st.imported, (long long)st.failed);
	cb_db_close(app.db);
	free_input(&in);
	return rc || st.failed ? 1 : 0;
}

/* ---- export ---- */

static const char export_usage[] =
	"usage: casebook export [--all] --data DIR [FILE]\n"
	"Writes every ticket with its timeline and attachments as NDJSON in the\n"
	"import format (ascending id, one ticket per line) to FILE, or to stdout.\n"
	"--all writes the whole instance instead (accounts, users, groups, SLA\n"
	"configuration, macros, articles, incidents, defects, problems, settings,\n"
	"tokens, tickets, ...) for 'import --all' (docs/export.md).\n";

/* The output, counting its lines for the progress line: each ticket (or
 * row) is written as it is read, nothing else is kept. */
struct out {
	FILE *f;
	cb_cli_progress *progress;
	int64_t lines;
};

static int file_write(void *ctx, const char *p, size_t n)
{
	struct out *o = ctx;
	if (o->progress) {
		for (const char *q = p; (q = memchr(q, '\n', (size_t)(p + n - q))); q++)
			o->lines++;
		cb_cli_progress_update(o->progress, o->lines, 0);
	}
	return fwrite(p, 1, n, o->f) == n ? 0 : -1;
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
	int all = cb_cli_flag(argc, argv, "--all");
	cb_instance_stats st = {0};
	struct out o = {.f = f, .progress = cb_cli_progress_start("exporting", all ? "lines" : "tickets")};
	cb_conn *c = cb_db_reader(app.db, &err);
	int64_t total = 0;
	if (c && o.progress) {
		if ((all ? cb_instance_count(c, &total, &err) : cb_export_count(c, &total, &err)) == 0)
			cb_cli_progress_total(o.progress, total);
		cb_err_clear(&err); /* without a total the line shows the count and rate */
	}
	if (!c)
		rc = -1;
	else if (all)
		rc = cb_instance_export(c, file_write, &o, &st, &err);
	else
		rc = cb_export_tickets(c, file_write, &o, &n, &err);
	cb_cli_progress_end(o.progress);
	if (rc)
		cb_cli_error("%s", err.message);
	if (f != stdout) {
		if (fclose(f) != 0 && rc == 0) {
			cb_cli_error("cannot write %s: %s", pos[0], strerror(errno));
			rc = -1;
		}
		if (rc == 0 && all)
			printf("exported %lld tables, %lld rows to %s\n", (long long)st.tables,
			       (long long)st.rows, pos[0]);
		else if (rc == 0)
			printf("exported %lld tickets to %s\n", (long long)n, pos[0]);
	} else if (fflush(stdout) != 0 && rc == 0) {
		cb_cli_error("cannot write the export: %s", strerror(errno));
		rc = -1;
	}
	cb_db_close(app.db);
	return rc ? 1 : 0;
}
