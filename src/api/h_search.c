/* h_search.c - full-text search and ticket suggestions. */
#include "api/handlers.h"
#include "app/directory/directory.h"
#include "app/knowledge/search.h"

#include <stdlib.h>
#include <string.h>

int cb_h_search(cb_req *req, cb_resp *resp, cb_err *err)
{
	static const char *const known[] = {"q", "type", "status", "account", "from", "to",
					    "limit", "cursor", NULL};
	if (cb_api_check_query(req, known, err))
		return -1;
	int limit;
	int64_t cursor;
	if (cb_api_page(req, &limit, &cursor, err))
		return -1;
	cb_searchsvc_query sq = {
		.q = cb_api_query(req, "q"),
		.type = cb_api_query(req, "type"),
		.status = cb_api_query(req, "status"),
	};
	if (!sq.q || !*sq.q)
		return cb_err_set(err, CB_E_BADREQ, "q", "q is required");
	if (strlen(sq.q) > 1000)
		return cb_err_set(err, CB_E_BADREQ, "q", "q is too long");
	static const char *const tkeys[] = {"from", "to"};
	for (int i = 0; i < 2; i++) {
		const char *s = cb_api_query(req, tkeys[i]);
		if (s && cb_time_parse(s, i ? &sq.to : &sq.from))
			return cb_err_set(err, CB_E_BADREQ, tkeys[i], "must be an RFC 3339 time");
	}
	cb_conn *c = req->conn;
	const char *acct = cb_api_query(req, "account");
	if (acct) {
		char *end;
		long long num = strtoll(acct, &end, 10);
		json_t *ref = (*acct && !*end) ? json_integer(num) : json_string(acct);
		cb_err e = {0};
		int r = cb_dir_resolve_account(c, ref, &sq.account, "account", &e);
		json_decref(ref);
		if (r) {
			if (req->actor.role != CB_ROLE_CUSTOMER) {
				*err = e;
				return -1;
			}
			sq.account = -1; /* customers learn nothing about other accounts */
		}
	}
	json_t *items = NULL;
	int64_t next = 0;
	/* the cursor is an offset, stored +1 so it is never 0 */
	int rc = cb_search(c, &req->actor, &sq, limit, cursor ? cursor - 1 : 0, &items, &next, err);
	if (rc)
		return -1;
	if (req->actor.role == CB_ROLE_CUSTOMER)
		cb_h_kb_record(req, "search", 0);
	return cb_api_list(req, resp, items, next ? next + 1 : 0);
}

int cb_h_ticket_suggestions(cb_req *req, cb_resp *resp, cb_err *err)
{
	int64_t id;
	if (cb_api_param_id(req, 0, &id, err))
		return -1;
	cb_conn *c = req->conn;
	json_t *o = cb_searchsvc_suggestions(c, &req->actor, id, err);
	return o ? cb_api_json(req, resp, 200, o) : -1;
}
