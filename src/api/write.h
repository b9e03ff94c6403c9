/* write.h - running a handler's change through the group-commit writer.
 *
 * cb_api_commit() runs fn on the writer connection inside the request's own
 * savepoint; fn makes its changes through app/ and returns the response
 * object. The response is serialized inside the transaction so that an
 * Idempotency-Key records exactly what was answered. The HTTP answer goes
 * out only after the commit is durable. */
#ifndef CB_API_WRITE_H
#define CB_API_WRITE_H
#include "api/api.h"

typedef int (*cb_api_write_fn)(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err);

int cb_api_commit(cb_req *req, cb_resp *resp, int status, cb_api_write_fn fn, void *arg,
		  cb_err *err);
/* The same where fn decides the status (e.g. 201 created or 200 updated)
 * by setting *status_p (through its arg) before it returns: that status is
 * answered and recorded for an Idempotency-Key replay. */
int cb_api_commit_status(cb_req *req, cb_resp *resp, int *status_p, cb_api_write_fn fn,
			 void *arg, cb_err *err);

#endif
