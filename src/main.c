/* main.c - entry point: hands argv to the command line. */
#include "cli/cli.h"

int main(int argc, char **argv)
{
	return cb_cli_main(argc, argv);
}
