/* setup.h - first-time initialisation of a data directory. */
#ifndef CB_SETUP_H
#define CB_SETUP_H
#include "app/app.h"

/* Creates the first admin user (email), the default account and an admin
 * token, inside a write transaction. 409 if the instance already has users. */
int cb_setup_init(cb_app *app, cb_arena *a, const char *admin_email, cb_ms now,
		  char **out_token, cb_err *err);

/* 0 when the open data directory has been initialised (`casebook init` made
 * its first admin), else CB_E_NOTFOUND naming app->data_dir. */
int cb_setup_check(cb_app *app, cb_err *err);

#endif
