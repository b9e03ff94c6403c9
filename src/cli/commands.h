/* commands.h - subcommands implemented in cli/cmd_*.c, added to the table in
 * cli.c through CB_CLI_MORE_COMMANDS. */
#ifndef CB_COMMANDS_H
#define CB_COMMANDS_H
#include "app/app.h"

/* Opens the data directory named by --data into app (2 = usage, 1 = error). */
int cb_cli_open(cb_app *app, int argc, char **argv, const char *usage);

#define CB_CLI_MORE_COMMANDS

#endif
