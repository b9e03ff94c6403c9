/* check.h - consistency check of a data directory: SQLite's integrity check
 * and, for every ticket, the stored row equal to the fold of its events. */
#ifndef CB_APP_CHECK_H
#define CB_APP_CHECK_H
#include "app/app.h"

typedef struct {
	int64_t tickets;    /* tickets checked */
	int64_t mismatched; /* rows that differ from their fold */
	int64_t first_bad;  /* id of the first mismatch, 0 if none */
} cb_check_report;

int cb_check_run(cb_app *app, cb_check_report *out, cb_err *err);

#endif
