/* internal.h - what the files of src/store/ share and nothing else may use:
 * running SQL text given as a string (migrations, pragmas, dumps). Outside
 * store/, statements are named (store/sql.h). */
#ifndef CB_STORE_INTERNAL_H
#define CB_STORE_INTERNAL_H

#include "util/err.h"

typedef struct cb_conn cb_conn;

/* Runs SQL text that returns no rows (one or several statements). */
int cb_conn_exec(cb_conn *c, const char *sql, cb_err *err);

#endif
