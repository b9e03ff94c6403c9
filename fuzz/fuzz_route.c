/* fuzz_route.c - the request path up to and including read handlers: route
 * matching (cb_api_dispatch), path parameters, query strings.
 *
 * Input: line 1 the method, line 2 the path, every further line a query
 * parameter "key=value" (value "" without '='). GET and HEAD requests carry
 * the admin token, so read handlers run on their query strings against the
 * demo data; other methods carry none and stop at 401 after routing (a
 * write must never reach the fixture). Invariants: the route chosen is the
 * first one a reference segment matcher picks (404 when no pattern
 * matches, 405 when only the method differs); its parameters are at most
 * CB_API_MAX_PARAMS non-empty segments without '/', and substituting them
 * into the pattern gives back the path; a read never answers 500. */
#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

/* Reference matcher: '/'-separated segments, "{x}" matches one non-empty
 * segment. */
static int ref_match(const char *pattern, const char *path)
{
	const char *p = pattern, *s = path;
	for (;;) {
		const char *pe = strchr(p, '/'), *se = strchr(s, '/');
		size_t pl = pe ? (size_t)(pe - p) : strlen(p);
		size_t sl = se ? (size_t)(se - s) : strlen(s);
		if (pl > 1 && p[0] == '{' && p[pl - 1] == '}') {
			if (sl == 0)
				return 0;
		} else if (pl != sl || memcmp(p, s, pl) != 0) {
			return 0;
		}
		if (!pe || !se)
			return !pe && !se;
		p = pe + 1;
		s = se + 1;
	}
}

static int method_ok(const cb_route *r, const char *method)
{
	return strcmp(r->method, method) == 0 ||
	       (strcmp(method, "HEAD") == 0 && strcmp(r->method, "GET") == 0);
}

static void check_params(const cb_route *r, const cb_req *req)
{
	FUZZ_CHECK(req->nparams >= 0 && req->nparams <= CB_API_MAX_PARAMS);
	char rebuilt[4096];
	size_t n = 0;
	int k = 0;
	for (const char *p = r->pattern; *p;) {
		if (*p == '{') {
			FUZZ_CHECK(k < req->nparams);
			const char *v = req->params[k++];
			FUZZ_CHECK(v && v[0] && !strchr(v, '/'));
			size_t l = strlen(v);
			FUZZ_CHECK(n + l < sizeof rebuilt);
			memcpy(rebuilt + n, v, l);
			n += l;
			p = strchr(p, '}') + 1;
		} else {
			FUZZ_CHECK(n + 1 < sizeof rebuilt);
			rebuilt[n++] = *p++;
		}
	}
	rebuilt[n] = '\0';
	FUZZ_CHECK(k == req->nparams);
	FUZZ_CHECK(strcmp(rebuilt, req->path) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4000)
		return 0;
	cb_app *app = fuzz_app();
	char *s = fuzz_strndup(data, size);
	cb_req req = {0};
	cb_resp resp = {0};
	req.arena = cb_arena_new();
	req.app = app;
	req.now = FUZZ_NOW;
	req.request_id = "fuzz";

	char *save = NULL;
	char *line = strtok_r(s, "\n", &save);
	req.method = line ? line : "GET";
	line = strtok_r(NULL, "\n", &save);
	req.path = line ? line : "/";
	while ((line = strtok_r(NULL, "\n", &save)) && req.nquery < CB_API_MAX_QUERY) {
		char *eq = strchr(line, '=');
		if (eq)
			*eq = '\0';
		req.query[req.nquery].key = line;
		req.query[req.nquery].value = eq ? eq + 1 : "";
		req.nquery++;
	}
	int reads = strcmp(req.method, "GET") == 0 || strcmp(req.method, "HEAD") == 0;
	if (reads)
		req.authorization = cb_arena_printf(req.arena, "Bearer %s", fuzz_admin_token());

	/* what the reference matcher expects */
	int want = -1, mismatch = 0;
	for (int i = 0; i < cb_routes_count && want < 0; i++) {
		if (!ref_match(cb_routes[i].pattern, req.path))
			continue;
		if (method_ok(&cb_routes[i], req.method))
			want = i;
		else
			mismatch = 1;
	}

	cb_api_dispatch(&req, &resp);

	FUZZ_CHECK(resp.status >= 100 && resp.status <= 599);
	FUZZ_CHECK(resp.body != NULL || resp.len == 0);
	FUZZ_CHECK(resp.nheaders >= 0 && resp.nheaders <= CB_API_MAX_HEADERS);
	FUZZ_CHECK(req.route == want);
	if (want < 0) {
		FUZZ_CHECK(resp.status == (mismatch ? 405 : 404));
	} else {
		const cb_route *r = &cb_routes[want];
		check_params(r, &req);
		if (!(r->flags & CB_R_PUBLIC) && !req.authorization)
			FUZZ_CHECK(resp.status == 401);
		if (reads && resp.status == 500) {
			fprintf(stderr, "500 on %s %s: %.*s\n", req.method, req.path, (int)resp.len,
				resp.body ? resp.body : "");
			FUZZ_CHECK(resp.status != 500);
		}
	}
	cb_arena_free(req.arena);
	free(s);
	return 0;
}
