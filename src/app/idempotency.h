/* idempotency.h - stored answers for Idempotency-Key retries. */
#ifndef CB_IDEMPOTENCY_H
#define CB_IDEMPOTENCY_H
#include "app/app.h"

/* 1 and the stored answer if (user, key) was seen with the same request
 * fingerprint; 0 if unseen; -1 with a 422 if the key was used for a
 * different request. */
int cb_idem_lookup(cb_app *app, cb_arena *a, int64_t user_id, const char *key,
		   const char *fingerprint, int *status, const char **body, cb_err *err);
/* Records the answer inside the request's write transaction (409 if the key
 * was stored concurrently). */
int cb_idem_store(cb_conn *c, int64_t user_id, const char *key, const char *fingerprint,
		  int status, const char *body, cb_ms now, cb_err *err);
/* The same in a write transaction of its own, for an answer made by a use
 * case that committed its work itself (the import's batches). */
int cb_idem_remember(cb_app *app, int64_t user_id, const char *key, const char *fingerprint,
		     int status, const char *body, cb_ms now, cb_err *err);

#endif
