/* write.h - running a handler's change through the group-commit writer.
 *
 * The one shape of a write handler: parse and check the request (on the
 * request's thread, reading through req->conn when it must), then
 * cb_api_commit() with fn, the app/ call and the rendering of its answer.
 * cb_api_commit runs fn on the writer connection inside the request's own
 * savepoint of the next group commit (app/scope.h); fn makes its changes
 * through app/ and returns the response object. The response is serialized
 * inside the transaction so that an Idempotency-Key records exactly what
 * was answered. The HTTP answer goes out only after the commit is durable.
 * Only a CB_R_WRITE route may commit (the route table decides the scope;
 * any other gets CB_E_INTERNAL and nothing runs). Use cases whose answer
 * is not one JSON body per transaction (the import's batches, login, the
 * survey form) take the cb_app and own their transactions instead. */
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

/* A resource whose use cases have these shapes (defects, problems): the
 * create, PATCH and GET handlers, and those of its links to tickets
 * (.../tickets/{id}/<noun>s), are the same code for all of them. */
typedef struct {
	int (*create)(cb_conn *c, const cb_actor *actor, cb_ms now, json_t *in, int64_t *out_id,
		      cb_err *err);
	int (*update)(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t id, json_t *in,
		      cb_err *err);
	json_t *(*get)(cb_conn *c, int64_t id, cb_err *err);
	const char *noun; /* "defect": the key of the resource's id in an unlink answer */
	json_t *(*link)(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t ticket, json_t *in,
			cb_err *err);
	int (*unlink)(cb_conn *c, const cb_actor *actor, cb_ms now, int64_t ticket, int64_t id,
		      cb_err *err);
	int (*of_ticket)(cb_conn *c, int64_t ticket, json_t **items, cb_err *err);
} cb_api_resource;

/* POST: creates from the JSON body, answers 201 with the resource. */
int cb_api_resource_create(cb_req *req, cb_resp *resp, const cb_api_resource *r, cb_err *err);
/* PATCH .../{id}: updates, answers 200 with the resource. */
int cb_api_resource_patch(cb_req *req, cb_resp *resp, const cb_api_resource *r, cb_err *err);
/* GET .../{id}. */
int cb_api_resource_get(cb_req *req, cb_resp *resp, const cb_api_resource *r, cb_err *err);
/* POST /tickets/{id}/<noun>s: links from the JSON body, 201. */
int cb_api_resource_link(cb_req *req, cb_resp *resp, const cb_api_resource *r, cb_err *err);
/* DELETE /tickets/{id}/<noun>s/{other}: {"ticket", <noun>, "unlinked": true}. */
int cb_api_resource_unlink(cb_req *req, cb_resp *resp, const cb_api_resource *r, cb_err *err);
/* GET /tickets/{id}/<noun>s: {"items": [...]}. */
int cb_api_resource_of_ticket(cb_req *req, cb_resp *resp, const cb_api_resource *r,
			      cb_err *err);

#endif
