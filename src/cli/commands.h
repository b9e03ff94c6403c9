/* commands.h - subcommands implemented in cli/cmd_*.c, added to the table in
 * cli.c through CB_CLI_MORE_COMMANDS. */
#ifndef CB_COMMANDS_H
#define CB_COMMANDS_H
#include "app/app.h"

/* Opens the initialised data directory named by --data into app (2 = usage,
 * 1 = error: a directory that `casebook init` did not make is refused with
 * its path, and nothing is created). */
int cb_cli_open(cb_app *app, int argc, char **argv, const char *usage);

/* cmd_directory.c: account add, user add, token create */
int cb_cmd_account(int argc, char **argv);
int cb_cmd_user(int argc, char **argv);
int cb_cmd_token(int argc, char **argv);

/* cmd_import.c: bulk import and export of tickets */
int cb_cmd_import(int argc, char **argv);
int cb_cmd_export(int argc, char **argv);

/* cmd_mail.c: the MTA delivery program */
int cb_cmd_mail_ingest(int argc, char **argv);

/* cmd_report.c: KPI report table and the rebuild of KPI facts */
int cb_cmd_report(int argc, char **argv);

#define CB_CLI_MORE_COMMANDS \
	{"account", cb_cmd_account, "manage customer accounts (add)"}, \
	{"user", cb_cmd_user, "manage users (add)"}, \
	{"token", cb_cmd_token, "create API tokens (create)"}, \
	{"import", cb_cmd_import, "import tickets with their timelines (NDJSON)"}, \
	{"export", cb_cmd_export, "export every ticket with its timeline (NDJSON)"}, \
	{"mail-ingest", cb_cmd_mail_ingest, "deliver one e-mail from stdin to a server (for an MTA)"}, \
	{"report", cb_cmd_report, "print the KPIs of a period as a table (kpis), rebuild facts"},

#endif
