/* setup.c - `casebook init` (see setup.h). */
#include "app/directory/setup.h"
#include "app/directory/auth.h"
#include "store/sql.h"

struct init_job {
	cb_arena *a;
	const char *email;
	cb_ms now;
	char *token;
};

static int init_fn(cb_conn *c, void *p, cb_err *err)
{
	struct init_job *j = p;
	cb_q *q = cb_q_get(c, CB_SQL_SETUP_COUNT_USERS, err);
	if (!q || cb_q_step(q, err) != 1)
		return -1;
	int64_t n = cb_q_i64(q, 0);
	cb_q_reset(q);
	if (n > 0)
		return cb_err_set(err, CB_E_CONFLICT, NULL, "this data directory is already initialized");
	q = cb_q_get(c, CB_SQL_SETUP_ADMIN, err);
	if (!q)
		return -1;
	cb_q_bind_text(q, 1, j->email);
	cb_q_bind_i64(q, 2, j->now);
	int64_t new_id = 0;
	if (cb_q_exec_id(q, &new_id, err))
		return -1;
	int64_t uid = new_id;
	q = cb_q_get(c, CB_SQL_SETUP_ACCOUNT, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, j->now);
	if (cb_q_exec(q, err))
		return -1;
	q = cb_q_get(c, CB_SQL_SETUP_SETTING, err);
	if (!q)
		return -1;
	cb_q_bind_text(q, 1, "default_account");
	cb_q_bind_text(q, 2, "default");
	if (cb_q_exec(q, err))
		return -1;
	if (cb_auth_token_create(c, j->a, uid, "init", j->now, NULL, &j->token, err))
		return -1;
	cb_actor actor = {.user_id = uid, .role = CB_ROLE_ADMIN};
	return cb_audit(c, &actor, j->now, "instance.init", j->email, "{}", err);
}

int cb_setup_init(cb_app *app, cb_arena *a, const char *admin_email, cb_ms now,
		  char **out_token, cb_err *err)
{
	struct init_job j = {.a = a, .email = admin_email, .now = now};
	if (cb_db_write(app->db, init_fn, &j, err))
		return -1;
	*out_token = j.token;
	return 0;
}

int cb_setup_check(cb_app *app, cb_err *err)
{
	cb_conn *c = cb_db_reader(app->db, err);
	cb_q *q = c ? cb_q_get(c, CB_SQL_SETUP_COUNT_USERS, err) : NULL;
	if (!q || cb_q_step(q, err) != 1)
		return -1;
	int64_t n = cb_q_i64(q, 0);
	cb_q_reset(q);
	if (n == 0)
		return cb_err_set(err, CB_E_NOTFOUND, NULL,
				  "%s is not an initialized Casebook data directory (no users)",
				  app->data_dir ? app->data_dir : "the data directory");
	return 0;
}
