/* idempotency.c - Idempotency-Key records (see idempotency.h). */
#include "app/idempotency.h"
#include "store/sql.h"

#include <string.h>

int cb_idem_lookup(cb_app *app, cb_arena *a, int64_t user_id, const char *key,
		   const char *fingerprint, int *status, const char **body, cb_err *err)
{
	cb_conn *c = cb_db_reader(app->db, err);
	if (!c)
		return -1;
	cb_q *q = cb_q_get(c, CB_SQL_IDEM_GET, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, user_id);
	cb_q_bind_text(q, 2, key);
	int rc = cb_q_step(q, err);
	if (rc <= 0)
		return rc;
	int same = strcmp(cb_q_text(q, 0), fingerprint) == 0;
	*status = (int)cb_q_i64(q, 1);
	*body = cb_arena_strdup(a, cb_q_text(q, 2));
	cb_q_reset(q);
	if (!same)
		return cb_err_set(err, CB_E_INVALID, "Idempotency-Key",
				  "this key was already used for a different request");
	return 1;
}

int cb_idem_store(cb_conn *c, int64_t user_id, const char *key, const char *fingerprint,
		  int status, const char *body, cb_ms now, cb_err *err)
{
	cb_q *q = cb_q_get(c, CB_SQL_IDEM_PUT, err);
	if (!q)
		return -1;
	cb_q_bind_i64(q, 1, user_id);
	cb_q_bind_text(q, 2, key);
	cb_q_bind_text(q, 3, fingerprint);
	cb_q_bind_i64(q, 4, status);
	cb_q_bind_text(q, 5, body);
	cb_q_bind_i64(q, 6, now);
	return cb_q_exec(q, err);
}

struct remember_job {
	int64_t user_id;
	const char *key, *fingerprint, *body;
	int status;
	cb_ms now;
};

static int remember_fn(cb_conn *c, void *arg, cb_err *err)
{
	struct remember_job *j = arg;
	return cb_idem_store(c, j->user_id, j->key, j->fingerprint, j->status, j->body, j->now, err);
}

int cb_idem_remember(cb_app *app, int64_t user_id, const char *key, const char *fingerprint,
		     int status, const char *body, cb_ms now, cb_err *err)
{
	struct remember_job j = {user_id, key, fingerprint, body, status, now};
	return cb_db_write(app->db, remember_fn, &j, err);
}
