/* h_web.c - the web console, customer portal and dashboard: plain HTML, CSS
 * and ES modules from web/, embedded in the binary at build time
 * (scripts/embed_web.py writes build/gen/web_assets.h), served without
 * authentication - every piece of data they show comes from the JSON API
 * with the session cookie. The pages are one document (web/index.html) at
 * `/`, `/portal` and `/dashboard`; the modules decide what to show from the
 * session (docs/web.md). Every answer carries the headers of
 * cb_api_page_headers(): a strict Content-Security-Policy (scripts and
 * styles from this origin only, no inline code), nosniff and frame denial.
 * web/pages.css styles the server-rendered public pages. */
#include "api/handlers.h"

#include <string.h>

#include "web_assets.h"

static const struct cb_web_file *find(const char *name)
{
	for (int i = 0; i < cb_web_nfiles; i++)
		if (strcmp(cb_web_files[i].name, name) == 0)
			return &cb_web_files[i];
	return NULL;
}

/* If-None-Match: "*" or a comma-separated list of entity tags (weak ones
 * compare by their opaque part, RFC 9110 13.1.2). */
static int etag_matches(const char *header, const char *etag)
{
	if (!header)
		return 0;
	size_t n = strlen(etag);
	for (const char *p = header; *p;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '*')
			return 1;
		if (p[0] == 'W' && p[1] == '/')
			p += 2;
		if (strncmp(p, etag, n) == 0 && (p[n] == '\0' || p[n] == ',' || p[n] == ' ' || p[n] == '\t'))
			return 1;
		while (*p && *p != ',')
			p++;
	}
	return 0;
}

static int serve(cb_req *req, cb_resp *resp, const char *name, cb_err *err)
{
	/* a query string is ignored: the modules read it, not the server */
	const struct cb_web_file *f = find(name);
	if (!f)
		return cb_err_set(err, CB_E_NOTFOUND, NULL, "no such page");
	/* revalidated on every use (no-cache), and the answer is a 304 without
	 * a body while the client's copy is the embedded one */
	if (etag_matches(req->if_none_match, f->etag))
		cb_api_raw(req, resp, 304, f->content_type, "", 0);
	else
		cb_api_raw(req, resp, 200, f->content_type, (const char *)f->data, f->len);
	cb_api_header(req, resp, "ETag", f->etag);
	cb_api_header(req, resp, "Cache-Control", "no-cache");
	cb_api_page_headers(req, resp);
	return 0;
}

int cb_h_web_page(cb_req *req, cb_resp *resp, cb_err *err)
{
	return serve(req, resp, "index.html", err);
}

int cb_h_web_asset(cb_req *req, cb_resp *resp, cb_err *err)
{
	const char *name = req->params[0];
	/* only the files of web/ other than the page itself; names are flat */
	if (strcmp(name, "index.html") == 0 || strchr(name, '/'))
		return cb_err_set(err, CB_E_NOTFOUND, NULL, "no such file");
	return serve(req, resp, name, err);
}
