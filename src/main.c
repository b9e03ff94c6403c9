/* main.c - entry point: process-wide SQLite settings, then argv to the
 * command line. */
#include "cli/cli.h"
#include "store/db.h"

int main(int argc, char **argv)
{
	cb_db_global_init();
	return cb_cli_main(argc, argv);
}
