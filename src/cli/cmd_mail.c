/* cmd_mail.c - `casebook mail-ingest`: an MTA delivery program (like RT's
 * rt-mailgate). Reads one RFC 5322 message on stdin and posts it to
 * POST /api/v1/mail/inbound of a running server (mail/transport.h). The exit
 * status follows sysexits(3), which MTAs understand: 0 accepted (including
 * messages the server recorded and ignored, such as auto-replies), 65
 * (EX_DATAERR) the message is unusable and must bounce, 75 (EX_TEMPFAIL)
 * anything that may work later (server down, overloaded, a missing,
 * unreadable or wrong token), so the MTA keeps the message queued and
 * retries. 64 (EX_USAGE) for bad options. */
#include "cli/cli.h"
#include "cli/commands.h"
#include "app/mail/mail_in.h"
#include "mail/transport.h"
#include "util/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

static const char usage[] =
	"usage: casebook mail-ingest --server URL [--token-file PATH | --token TOKEN]\n"
	"                            [--timeout SECONDS]\n"
	"Reads one message on stdin and delivers it to the server's\n"
	"POST /api/v1/mail/inbound. The token (an agent's or admin's API token) is read\n"
	"from --token-file (its first line; keep the file readable only by the user\n"
	"the MTA runs this as), or the CASEBOOK_TOKEN environment variable, or\n"
	"--token (visible in process listings). Exit status (sysexits): 0 accepted or\n"
	"ignored, 65 unusable message (bounce), 75 temporary failure, including a\n"
	"missing or wrong token (the MTA keeps the message and retries), 64 usage.\n";

/* The first line of path, trimmed, into buf. 0, or -1. */
static int read_token(const char *path, char *buf, size_t n)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char *ok = fgets(buf, (int)n, f);
	fclose(f);
	if (!ok)
		return -1;
	buf[strcspn(buf, "\r\n")] = 0;
	char *p = buf + strspn(buf, " \t");
	memmove(buf, p, strlen(p) + 1);
	size_t l = strlen(buf);
	while (l && (buf[l - 1] == ' ' || buf[l - 1] == '\t'))
		buf[--l] = 0;
	return 0;
}

/* long: arguments, reading stdin and the MTA's exit codes in one sequence */
int cb_cmd_mail_ingest(int argc, char **argv)
{
	if (cb_cli_wants_help(argc, argv)) {
		fputs(usage, stdout);
		return 0;
	}
	const char *server = NULL, *token = getenv("CASEBOOK_TOKEN"), *token_file = NULL;
	long timeout = 60;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--server") && i + 1 < argc)
			server = argv[++i];
		else if (!strcmp(argv[i], "--token") && i + 1 < argc)
			token = argv[++i];
		else if (!strcmp(argv[i], "--token-file") && i + 1 < argc)
			token_file = argv[++i];
		else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
			timeout = strtol(argv[++i], NULL, 10);
		else {
			cb_cli_error("unknown option '%s'", argv[i]);
			fputs(usage, stderr);
			return EX_USAGE;
		}
	}
	if (!server || timeout <= 0) {
		cb_cli_error("--server URL is required (and --timeout must be positive)");
		fputs(usage, stderr);
		return EX_USAGE;
	}
	char tbuf[512];
	if (token_file) {
		if (read_token(token_file, tbuf, sizeof tbuf)) {
			cb_cli_error("cannot read the token file %s", token_file);
			return EX_TEMPFAIL; /* the MTA keeps the message until it is fixed */
		}
		token = tbuf;
	}
	if (!token || !*token) {
		/* like a wrong token: a configuration to fix, never a bounce */
		cb_cli_error("no token: give --token-file, CASEBOOK_TOKEN or --token");
		return EX_TEMPFAIL;
	}
	cb_buf msg = {0};
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
		cb_buf_append(&msg, chunk, n);
		if (msg.len > CB_MAIL_MAX) {
			cb_cli_error("the message is larger than %u bytes", CB_MAIL_MAX);
			cb_buf_free(&msg);
			return EX_DATAERR;
		}
	}
	if (ferror(stdin)) {
		cb_cli_error("cannot read the message from stdin");
		cb_buf_free(&msg);
		return EX_TEMPFAIL;
	}
	if (msg.len == 0) {
		cb_cli_error("empty message on stdin");
		cb_buf_free(&msg);
		return EX_DATAERR;
	}

	long status = 0;
	cb_buf answer = {0};
	int code;
	if (cb_mail_post_inbound(server, token, msg.p, msg.len, timeout, &status, &answer)) {
		cb_cli_error("%s", answer.p ? answer.p : "no answer");
		code = EX_TEMPFAIL;
	} else if (status >= 200 && status < 300) {
		printf("%s\n", answer.p ? answer.p : "");
		code = 0;
	} else {
		cb_cli_error("%s answered %ld: %s", server, status, answer.p ? answer.p : "");
		/* the message itself is at fault: bounce it; anything else may
		 * work later (401/403 a token to fix, 404 a URL, 429/5xx load) */
		code = status == 400 || status == 413 || status == 415 || status == 422 ? EX_DATAERR
											 : EX_TEMPFAIL;
	}
	cb_buf_free(&answer);
	cb_buf_free(&msg);
	return code;
}
