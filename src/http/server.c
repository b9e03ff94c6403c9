/* server.c - libmicrohttpd front end: turns MHD callbacks into cb_req,
 * calls the API dispatcher, sends cb_resp, logs one JSON line per request.
 *
 * DESIGN
 * Handlers may block (they wait for the group commit), so the daemon runs
 * either an epoll thread pool or a thread per connection; both let a handler
 * block without stalling the whole server. Each request has an arena that
 * lives from the first callback to MHD's completion notice. Shutdown:
 * quiesce (stop accepting), wait for in-flight requests, stop.
 *
 * Nothing of a body is read before the caller may send it: when the headers
 * have arrived, cb_api_admit() routes, authenticates and authorises the
 * request. A refused one (401, 403, 404, 405, 429, or 400 for a %00 in the
 * target) reads and drops at most CB_API_REFUSED_BODY bytes; a longer body
 * is never read: the answer goes out at once and the connection closes. An
 * admitted request's body is gathered into a growable buffer up to the
 * route's limit (413 beyond), which the route table decides
 * (cb_api_body_limit): --max-body, the mail limit for mail routes,
 * CB_API_SPOOL_MAX for CB_R_SPOOL routes (the import), whose body goes to
 * an unlinked temporary file in the data directory instead of memory.
 *
 * Overload: a request is admitted when its headers have arrived and counts
 * as in flight until MHD reports it complete. Above max_inflight it is shed:
 * its body is read and dropped (never buffered), it is not dispatched, and it
 * gets 503 problem+json with Retry-After and Connection: close at once.
 * Routes flagged CB_R_NOSHED in the route table (/healthz, /metrics;
 * cb_api_never_shed) are never shed, so an overloaded server still says it
 * is alive and why. The cap bounds the work and the buffered bodies
 * (max_inflight x body limit); MHD's connection limit bounds the threads;
 * the writer's bounded queue (store/db.c) bounds waiting writes. */
#include "http/server.h"
#include "api/api.h"
#include "util/alloc.h"
#include "util/buf.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct server {
	cb_app *app;
	const cb_http_opts *opts;
	atomic_int inflight;
	unsigned max_inflight;
	atomic_ullong seq;
	unsigned rand_prefix;
};

struct rq {
	cb_arena *arena;
	cb_buf body;
	FILE *spool;   /* CB_R_SPOOL routes: the body on disk */
	size_t got;    /* body bytes received */
	size_t limit;
	int too_big;
	struct timespec t0;
	int shed;      /* over max_inflight: answered 503, not counted in inflight */
	int started;   /* the headers' call has been made */
	int refused;   /* resp holds the answer decided from the headers */
	int nul;       /* the raw request target holds %00 */
	int answered;  /* a response is queued */
	cb_req req;
	cb_resp resp;
};

static double since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static int valid_request_id(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++) {
		char c = s[n];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.' || c == ':'))
			return 0;
	}
	return n > 0 && n <= 128;
}

struct qctx {
	cb_req *req;
};

static enum MHD_Result query_it(void *cls, enum MHD_ValueKind kind, const char *key,
				const char *value)
{
	(void)kind;
	cb_req *req = ((struct qctx *)cls)->req;
	if (req->nquery >= CB_API_MAX_QUERY)
		return MHD_NO;
	req->query[req->nquery].key = cb_arena_strdup(req->arena, key);
	req->query[req->nquery].value = cb_arena_strdup(req->arena, value ? value : "");
	req->nquery++;
	return MHD_YES;
}

static void json_str(cb_buf *b, const char *s)
{
	cb_buf_puts(b, "\"");
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			cb_buf_printf(b, "\\%c", c);
		else if (c < 0x20)
			cb_buf_printf(b, "\\u%04x", c);
		else
			cb_buf_append(b, s, 1);
	}
	cb_buf_puts(b, "\"");
}

static void log_line(const cb_req *req, int status, double secs, size_t bytes)
{
	char ts[40];
	cb_time_format(req->now, ts, sizeof ts);
	cb_buf b = {0};
	cb_buf_printf(&b, "{\"ts\":\"%s\",\"request_id\":", ts);
	json_str(&b, req->request_id);
	cb_buf_puts(&b, ",\"method\":");
	json_str(&b, req->method);
	cb_buf_puts(&b, ",\"path\":");
	json_str(&b, req->path);
	cb_buf_printf(&b, ",\"route\":");
	json_str(&b, req->route >= 0 ? cb_routes[req->route].name : "");
	cb_buf_printf(&b, ",\"status\":%d,\"duration_ms\":%.3f,\"bytes\":%zu,\"user\":", status,
		      secs * 1000.0, bytes);
	if (req->actor.user_id)
		cb_buf_printf(&b, "%lld", (long long)req->actor.user_id);
	else
		cb_buf_puts(&b, "null");
	cb_buf_puts(&b, "}\n");
	fwrite(b.p, 1, b.len, stderr);
	cb_buf_free(&b);
}

static enum MHD_Result respond(struct MHD_Connection *conn, const cb_req *req, const cb_resp *resp,
			       int close)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		resp->len, resp->body ? resp->body : (void *)"", MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	if (resp->content_type)
		MHD_add_response_header(r, "Content-Type", resp->content_type);
	MHD_add_response_header(r, "X-Request-Id", req->request_id);
	for (int i = 0; i < resp->nheaders; i++)
		MHD_add_response_header(r, resp->headers[i].key, resp->headers[i].value);
	if (close)
		MHD_add_response_header(r, "Connection", "close");
	enum MHD_Result ret = MHD_queue_response(conn, (unsigned)resp->status, r);
	MHD_destroy_response(r);
	return ret;
}

static const char *hdr(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static void fill_request(struct server *s, struct MHD_Connection *conn, struct rq *rq,
			 cb_req *req, const char *url, const char *method)
{
	req->arena = rq->arena;
	req->app = s->app;
	req->now = cb_now_ms();
	req->method = method;
	req->path = url;
	req->route = -1;
	req->content_type = hdr(conn, "Content-Type");
	req->accept = hdr(conn, "Accept");
	req->authorization = hdr(conn, "Authorization");
	req->idempotency_key = hdr(conn, "Idempotency-Key");
	req->cookie = hdr(conn, "Cookie");
	req->csrf_token = hdr(conn, "X-CSRF-Token");
	req->if_none_match = hdr(conn, "If-None-Match");
	req->client_ip = "";
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci && ci->client_addr) {
		char ip[INET6_ADDRSTRLEN] = "";
		const struct sockaddr *sa = ci->client_addr;
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, ip,
				  sizeof ip);
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
				  ip, sizeof ip);
		req->client_ip = cb_arena_strdup(rq->arena, ip);
	}
	/* behind the trusted proxy: the address it saw, the last entry it added,
	 * and the scheme the browser used; from anyone else both are ignored */
	int from_proxy = s->opts->trusted_proxy && strcmp(req->client_ip, s->opts->trusted_proxy) == 0;
	req->forwarded_proto = from_proxy ? hdr(conn, "X-Forwarded-Proto") : NULL;
	const char *xff = from_proxy ? hdr(conn, "X-Forwarded-For") : NULL;
	if (xff) {
		const char *last = strrchr(xff, ',');
		last = last ? last + 1 : xff;
		while (*last == ' ' || *last == '\t')
			last++;
		size_t n = strcspn(last, " \t");
		if (n > 0 && n < INET6_ADDRSTRLEN)
			req->client_ip = cb_arena_strndup(rq->arena, last, n);
	}
	const char *rid = hdr(conn, "X-Request-Id");
	if (rid && valid_request_id(rid)) {
		req->request_id = cb_arena_strdup(rq->arena, rid);
	} else {
		unsigned long long n = atomic_fetch_add(&s->seq, 1) + 1;
		req->request_id = cb_arena_printf(rq->arena, "%08x%012llx", s->rand_prefix, n);
	}
	struct qctx qc = {req};
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, query_it, &qc);
	req->path_has_nul = rq->nul;
}

/* Called by MHD with the raw request target before anything else: the
 * request's state starts here, so a %00 (which MHD decodes to a NUL that
 * silently cuts the path or a query value short) can still be seen. */
static void *uri_log(void *cls, const char *uri, struct MHD_Connection *conn)
{
	(void)cls;
	(void)conn;
	struct rq *rq = cb_xcalloc(1, sizeof *rq);
	rq->arena = cb_arena_new();
	clock_gettime(CLOCK_MONOTONIC, &rq->t0);
	rq->nul = strstr(uri, "%00") != NULL;
	return rq;
}

/* An unlinked temporary file in the data directory (or the system's). */
static FILE *spool_open(const char *dir)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/.upload-XXXXXX", dir && *dir ? dir : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	unlink(path);
	FILE *f = fdopen(fd, "w+b");
	if (!f)
		close(fd);
	return f;
}

static enum MHD_Result answer(struct server *s, struct MHD_Connection *conn, struct rq *rq,
			      int close)
{
	rq->answered = 1;
	double secs = since(&rq->t0);
	cb_api_metrics_record(rq->req.route, rq->resp.status, secs);
	if (!s->opts->quiet)
		log_line(&rq->req, rq->resp.status, secs, rq->resp.len);
	return respond(conn, &rq->req, &rq->resp, close);
}

/* long: libmicrohttpd's access handler: first call, upload chunks and dispatch in one callback */
static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
			       const char *method, const char *version, const char *upload_data,
			       size_t *upload_data_size, void **req_cls)
{
	(void)version;
	struct server *s = cls;
	struct rq *rq = *req_cls;
	if (!rq) {
		rq = uri_log(NULL, url, conn);
		*req_cls = rq;
	}
	cb_req *req = &rq->req;
	cb_resp *resp = &rq->resp;
	if (rq->answered) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (!rq->started) {
		rq->started = 1;
		int n = atomic_fetch_add(&s->inflight, 1) + 1;
		if ((unsigned)n > s->max_inflight && !cb_api_never_shed(url)) {
			atomic_fetch_sub(&s->inflight, 1);
			rq->shed = 1;
			return MHD_YES;
		}
		cb_api_metrics_inflight_add(1);
		fill_request(s, conn, rq, req, url, method);
		const char *cl = hdr(conn, "Content-Length");
		unsigned long long clen = cl ? strtoull(cl, NULL, 10) : 0;
		if (cb_api_admit(req, resp)) {
			rq->refused = 1;
			/* a body longer than a refusal may carry is never read */
			if (clen > CB_API_REFUSED_BODY || hdr(conn, "Transfer-Encoding"))
				return answer(s, conn, rq, 1);
			return MHD_YES;
		}
		unsigned flags = cb_routes[req->route].flags;
		rq->limit = cb_api_body_limit(req->route, s->opts->max_body);
		if (clen > rq->limit)
			rq->too_big = 1;
		else if ((flags & CB_R_SPOOL) && !(rq->spool = spool_open(s->app->data_dir))) {
			cb_err e = {0};
			cb_err_set(&e, CB_E_INTERNAL, NULL, "cannot store the request body");
			cb_api_problem(req, resp, &e);
			return answer(s, conn, rq, 1);
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (rq->shed || rq->too_big)
			return MHD_YES;
		if (rq->refused) {
			/* dropped; past the small allowance the connection is not worth keeping */
			rq->got += n;
			return rq->got > CB_API_REFUSED_BODY ? MHD_NO : MHD_YES;
		}
		if (rq->got + n > rq->limit) {
			rq->too_big = 1;
			cb_buf_free(&rq->body);
			return MHD_YES;
		}
		rq->got += n;
		if (rq->spool) {
			if (fwrite(upload_data, 1, n, rq->spool) != n)
				return MHD_NO;
		} else {
			cb_buf_append(&rq->body, upload_data, n);
		}
		return MHD_YES;
	}
	if (rq->shed) {
		fill_request(s, conn, rq, req, url, method);
		cb_err e = {0};
		cb_err_set(&e, CB_E_BUSY, NULL, "overloaded: more than %u requests in flight",
			   s->max_inflight);
		cb_api_problem(req, resp, &e);
		cb_api_header(req, resp, "Retry-After", "1");
		cb_api_metrics_shed(CB_SHED_INFLIGHT);
		/* a shed request closes its connection: that frees its thread too */
		return answer(s, conn, rq, 1);
	}
	if (rq->refused)
		return answer(s, conn, rq, 0);
	if (rq->too_big) {
		cb_err e = {0};
		cb_err_set(&e, CB_E_TOOBIG, NULL, "request body exceeds %zu bytes", rq->limit);
		cb_api_problem(req, resp, &e);
		return answer(s, conn, rq, 1);
	}
	if (rq->spool) {
		if (fflush(rq->spool) != 0)
			return MHD_NO;
		rewind(rq->spool);
		req->body_file = rq->spool;
		req->body_len = rq->got;
	} else if (rq->body.len) {
		req->body = cb_arena_strndup(rq->arena, rq->body.p, rq->body.len);
		req->body_len = rq->body.len;
		cb_buf_free(&rq->body);
	}
	cb_api_run(req, resp);
	return answer(s, conn, rq, 0);
}

static void completed(void *cls, struct MHD_Connection *conn, void **req_cls,
		      enum MHD_RequestTerminationCode toe)
{
	(void)conn;
	(void)toe;
	struct server *s = cls;
	struct rq *rq = *req_cls;
	if (!rq)
		return;
	int counted = rq->started && !rq->shed;
	cb_buf_free(&rq->body);
	if (rq->spool)
		fclose(rq->spool);
	cb_arena_free(rq->arena);
	cb_free(rq);
	*req_cls = NULL;
	if (counted) {
		atomic_fetch_sub(&s->inflight, 1);
		cb_api_metrics_inflight_add(-1);
	}
}

int cb_http_serve(cb_app *app, const cb_http_opts *opts, cb_err *err)
{
	struct server s = {.app = app, .opts = opts,
			   .max_inflight = opts->max_inflight ? opts->max_inflight : 256};
	s.rand_prefix = (unsigned)cb_now_ms() ^ ((unsigned)getpid() << 16);
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)opts->port);
	if (inet_pton(AF_INET, opts->host, &sa.sin_addr) != 1)
		return cb_err_set(err, CB_E_INVALID, "listen", "invalid IPv4 address: %s", opts->host);
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	if (opts->threads > 0)
		flags |= MHD_USE_EPOLL | MHD_USE_TURBO;
	else
		flags |= MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL;
	struct MHD_OptionItem ops[] = {
		{MHD_OPTION_SOCK_ADDR, 0, (struct sockaddr *)&sa},
		{MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)completed, &s},
		{MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)uri_log, &s},
		{MHD_OPTION_CONNECTION_LIMIT, opts->max_conns ? opts->max_conns : 1024u, NULL},
		{MHD_OPTION_CONNECTION_TIMEOUT, 120, NULL},
		{MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL},
		/* the pool size only with a pool: MHD warns about 0 */
		{opts->threads > 0 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END,
		 opts->threads > 0 ? opts->threads : 0, NULL},
		{MHD_OPTION_END, 0, NULL},
	};
	struct MHD_Daemon *d = MHD_start_daemon(flags, (uint16_t)opts->port, NULL, NULL, handler, &s,
						MHD_OPTION_ARRAY, ops, MHD_OPTION_END);
	if (!d)
		return cb_err_set(err, CB_E_INTERNAL, "listen", "cannot listen on %s:%d", opts->host,
				  opts->port);
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	int port = info ? info->port : opts->port;
	printf("listening on http://%s:%d\n", opts->host, port);
	fflush(stdout);

	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	int sig = 0;
	sigwait(&set, &sig);
	fprintf(stderr, "{\"event\":\"shutdown\",\"signal\":%d,\"inflight\":%d}\n", sig,
		atomic_load(&s.inflight));
	MHD_quiesce_daemon(d);
	int grace_ms = (opts->shutdown_grace_s > 0 ? opts->shutdown_grace_s : 30) * 1000;
	for (int waited = 0; atomic_load(&s.inflight) > 0 && waited < grace_ms; waited += 5)
		usleep(5000);
	MHD_stop_daemon(d);
	return 0;
}
