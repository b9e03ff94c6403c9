/* server.h - the HTTP server (libmicrohttpd). Only http/ includes it. */
#ifndef CB_SERVER_H
#define CB_SERVER_H
#include <stddef.h>

#include "app/app.h"

typedef struct {
	const char *host;      /* "127.0.0.1" */
	int port;              /* 0 picks a free port */
	int threads;           /* >0: epoll thread pool of that size; 0: thread per connection */
	size_t max_body;       /* request body limit in bytes (413 above) */
	unsigned max_conns;    /* connection limit; above it connections are refused */
	unsigned max_inflight; /* requests admitted at once; above it 503 + Retry-After
				* without dispatching (never CB_R_NOSHED routes:
				* /healthz, /metrics) */
	int quiet;             /* no per-request log lines */
	int shutdown_grace_s;  /* how long in-flight requests get on SIGTERM */
	const char *trusted_proxy; /* a reverse proxy's address: its requests' client is the
				    * last X-Forwarded-For entry (NULL: none trusted) */
} cb_http_opts;

/* Serves until SIGTERM or SIGINT (which the caller must have blocked in every
 * thread before starting any), then stops accepting, lets in-flight requests
 * finish and returns. Prints "listening on http://HOST:PORT" to stdout once
 * the socket is bound. */
int cb_http_serve(cb_app *app, const cb_http_opts *opts, cb_err *err);

#endif
