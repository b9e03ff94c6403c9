/* h_sla.c - /api/v1/calendars and /api/v1/sla-policies: the SLA
 * configuration.
 *
 * Engineers and above read calendars, agents and above read policies,
 * admins write both. Bodies are validated without the database first
 * (cb_slacfg_calendar_check, cb_slacfg_policy_from_json); references,
 * uniqueness, the write, the audit row and the enqueued re-fold share one
 * savepoint of the group commit (cb_api_commit). After a commit that may
 * have enqueued a re-fold the scheduler is kicked: the answer does not wait
 * for the tickets to be re-folded.
 *
 * The built-in always-open calendar "24x7" is id 0: listed first, readable
 * at /api/v1/calendars/0, never writable (409). */
#include "api/handlers.h"
#include "api/write.h"
#include "jobs/jobs.h"
#include "app/sla/sla_config.h"
#include "util/alloc.h"

#include <stdlib.h>
#include <string.h>

/* Path parameter i as a calendar id: 0 (the built-in) or a positive id. */
static int cal_param(const cb_req *req, int i, int64_t *out, cb_err *err)
{
	const char *s = i < req->nparams ? req->params[i] : NULL;
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > 18 || strspn(s, "0123456789") != n)
		return cb_err_set(err, CB_E_NOTFOUND, NULL, "no such resource: %s", req->path);
	*out = strtoll(s, NULL, 10);
	return 0;
}

static int page_of(const cb_req *req, cb_dir_page *page, cb_err *err)
{
	memset(page, 0, sizeof *page);
	return cb_api_page(req, &page->limit, &page->after, err);
}

/* ---- calendars ---- */

struct cal_patch {
	int64_t id;
	json_t *body;
};

struct cal_holidays {
	int64_t id;
	int64_t *days;
	size_t n;
};

static void release(void *p)
{
	cb_free(p);
}

static int cal_create_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	int64_t id = 0;
	if (cb_slacfg_calendar_create(c, &req->actor, req->now, arg, &id, err))
		return -1;
	return cb_slacfg_calendar_get(c, id, out, err);
}

int cb_h_calendars_create(cb_req *req, cb_resp *resp, cb_err *err)
{
	json_t *body = cb_api_body_object(req, err);
	if (!body)
		return -1;
	json_t *doc = NULL;
	if (cb_slacfg_calendar_check(body, &doc, err))
		return -1;
	cb_api_own(req, doc);
	return cb_api_commit(req, resp, 201, cal_create_fn, doc, err);
}

static int cal_patch_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	struct cal_patch *p = arg;
	if (cb_slacfg_calendar_update(c, &req->actor, req->now, p->id, p->body, err))
		return -1;
	return cb_slacfg_calendar_get(c, p->id, out, err);
}

int cb_h_calendars_patch(cb_req *req, cb_resp *resp, cb_err *err)
{
	struct cal_patch *p = cb_arena_alloc(req->arena, sizeof *p);
	if (cal_param(req, 0, &p->id, err))
		return -1;
	p->body = cb_api_body_object(req, err);
	if (!p->body)
		return -1;
	int rc = cb_api_commit(req, resp, 200, cal_patch_fn, p, err);
	if (rc == 0)
		cb_jobs_kick();
	return rc;
}

int cb_h_calendars_get(cb_req *req, cb_resp *resp, cb_err *err)
{
	int64_t id = 0;
	if (cal_param(req, 0, &id, err))
		return -1;
	cb_conn *c = req->conn;
	json_t *o = NULL;
	if (cb_slacfg_calendar_get(c, id, &o, err))
		return -1;
	return cb_api_json(req, resp, 200, o);
}

int cb_h_calendars_list(cb_req *req, cb_resp *resp, cb_err *err)
{
	cb_dir_page page;
	if (page_of(req, &page, err))
		return -1;
	cb_conn *c = req->conn;
	json_t *items = NULL;
	int64_t next = 0;
	if (cb_slacfg_calendar_list(c, &page, &items, &next, err))
		return -1;
	return cb_api_list(req, resp, items, next);
}

static int cal_holidays_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	struct cal_holidays *h = arg;
	int added = 0;
	if (cb_slacfg_calendar_add_holidays(c, &req->actor, req->now, h->id, h->days, h->n, &added,
					    err))
		return -1;
	return cb_slacfg_calendar_get(c, h->id, out, err);
}

int cb_h_calendars_holidays(cb_req *req, cb_resp *resp, cb_err *err)
{
	struct cal_holidays *h = cb_arena_alloc(req->arena, sizeof *h);
	if (cal_param(req, 0, &h->id, err))
		return -1;
	const char *ct = req->content_type;
	if (!cb_api_media_is(ct, "text/calendar"))
		return cb_err_set(err, CB_E_MEDIA, "Content-Type", "expected text/calendar");
	if (!req->body || req->body_len == 0)
		return cb_err_set(err, CB_E_BADREQ, "", "request body is empty");
	if (memchr(req->body, '\0', req->body_len))
		return cb_err_set(err, CB_E_BADREQ, "", "the body must be text");
	if (cb_slacfg_holidays_from_ics(req->body, req->now, &h->days, &h->n, err))
		return -1;
	if (h->days)
		cb_arena_defer(req->arena, release, h->days);
	int rc = cb_api_commit(req, resp, 200, cal_holidays_fn, h, err);
	if (rc == 0)
		cb_jobs_kick();
	return rc;
}

/* ---- SLA policies ---- */

struct pol_patch {
	int64_t id;
	cb_slacfg_policy_in in;
};

static int pol_create_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	int64_t id = 0;
	if (cb_slacfg_policy_create(c, &req->actor, req->now, arg, &id, err))
		return -1;
	return cb_slacfg_policy_get(c, id, out, err);
}

int cb_h_policies_create(cb_req *req, cb_resp *resp, cb_err *err)
{
	json_t *body = cb_api_body_object(req, err);
	if (!body)
		return -1;
	cb_slacfg_policy_in *in = cb_arena_alloc(req->arena, sizeof *in);
	if (cb_slacfg_policy_from_json(in, body, 0, req->arena, err))
		return -1;
	int rc = cb_api_commit(req, resp, 201, pol_create_fn, in, err);
	if (rc == 0)
		cb_jobs_kick();
	return rc;
}

static int pol_patch_fn(cb_conn *c, cb_req *req, void *arg, json_t **out, cb_err *err)
{
	struct pol_patch *p = arg;
	if (cb_slacfg_policy_update(c, &req->actor, req->now, p->id, &p->in, err))
		return -1;
	return cb_slacfg_policy_get(c, p->id, out, err);
}

int cb_h_policies_patch(cb_req *req, cb_resp *resp, cb_err *err)
{
	struct pol_patch *p = cb_arena_alloc(req->arena, sizeof *p);
	if (cb_api_param_id(req, 0, &p->id, err))
		return -1;
	json_t *body = cb_api_body_object(req, err);
	if (!body)
		return -1;
	if (cb_slacfg_policy_from_json(&p->in, body, 1, req->arena, err))
		return -1;
	int rc = cb_api_commit(req, resp, 200, pol_patch_fn, p, err);
	if (rc == 0)
		cb_jobs_kick();
	return rc;
}

int cb_h_policies_get(cb_req *req, cb_resp *resp, cb_err *err)
{
	int64_t id = 0;
	if (cb_api_param_id(req, 0, &id, err))
		return -1;
	cb_conn *c = req->conn;
	json_t *o = NULL;
	if (cb_slacfg_policy_get(c, id, &o, err))
		return -1;
	return cb_api_json(req, resp, 200, o);
}

int cb_h_policies_list(cb_req *req, cb_resp *resp, cb_err *err)
{
	cb_dir_page page;
	if (page_of(req, &page, err))
		return -1;
	cb_conn *c = req->conn;
	json_t *items = NULL;
	int64_t next = 0;
	if (cb_slacfg_policy_list(c, &page, &items, &next, err))
		return -1;
	return cb_api_list(req, resp, items, next);
}
