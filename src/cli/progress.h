/* progress.h - the progress line of long CLI work (import, export, demo,
 * check, report rebuild, backup, restore): on stderr, only when stderr is
 * a terminal, redrawn in place at most ten times a second:
 *   importing: 12,000/50,000 lines (24%), 4,100 lines/s, 9 s left
 * and closed by a summary line. When stderr is not a terminal every
 * function gets NULL and does nothing, so logs and pipes stay clean. */
#ifndef CB_CLI_PROGRESS_H
#define CB_CLI_PROGRESS_H
#include <stdint.h>

#include "util/progress.h"

typedef struct cb_cli_progress cb_cli_progress;

/* what: "importing"; unit: "lines" (plural). NULL when stderr is not a terminal. */
cb_cli_progress *cb_cli_progress_start(const char *what, const char *unit);
/* A total to use while the work reports none (0). */
void cb_cli_progress_total(cb_cli_progress *p, int64_t total);
void cb_cli_progress_update(cb_cli_progress *p, int64_t done, int64_t total);
/* A cb_progress feeding p (for cb_app.progress and the store). */
cb_progress cb_cli_progress_sink(cb_cli_progress *p);
/* Ends the line with a summary ("importing: 50,000 lines in 12 s, 4,100
 * lines/s") and frees p. */
void cb_cli_progress_end(cb_cli_progress *p);

#endif
