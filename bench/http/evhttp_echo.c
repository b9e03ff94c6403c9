/* evhttp_echo.c - minimal libevent evhttp benchmark server for Casebook.
 *
 *   GET  /hello  -> fixed ~60-byte JSON
 *   POST /echo   -> request body echoed back (application/json)
 *
 * Flags:
 *   -p PORT   listen port on 127.0.0.1 (default 8082)
 *   -t N      N threads, each with its own event_base + evhttp + listener
 *             bound with SO_REUSEPORT (default 2)
 *   -1        single event base / single thread (ignores -t)
 *   -n        set TCP_NODELAY on the connection socket (per request)
 *
 * Build: cc -O2 -std=c11 -o evhttp_echo evhttp_echo.c \
 *          $(pkg-config --cflags --libs libevent libevent_pthreads) -lpthread
 */
#define _POSIX_C_SOURCE 200809L
#include <event2/event.h>
#include <event2/http.h>
#include <event2/buffer.h>
#include <event2/listener.h>
#include <event2/bufferevent.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char HELLO[] =
  "{\"ok\":true,\"service\":\"casebook\",\"version\":\"0.0.0-bench\"}\n";

static int opt_nodelay = 0, port = 8082;

struct worker {
  pthread_t tid;
  struct event_base *base;
  struct evhttp *http;
  struct evconnlistener *lev;
};

static void
on_request (struct evhttp_request *req, void *arg)
{
  (void) arg;
  if (opt_nodelay) {
    /* evhttp has no accept hook: set it on every request (one syscall) */
    int one = 1;
    struct bufferevent *bev =
      evhttp_connection_get_bufferevent (evhttp_request_get_connection (req));
    setsockopt (bufferevent_getfd (bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  const char *uri = evhttp_request_get_uri (req);
  enum evhttp_cmd_type cmd = evhttp_request_get_command (req);
  struct evkeyvalq *oh = evhttp_request_get_output_headers (req);
  struct evbuffer *out = evhttp_request_get_output_buffer (req);

  if (cmd == EVHTTP_REQ_GET && 0 == strcmp (uri, "/hello")) {
    evhttp_add_header (oh, "Content-Type", "application/json");
    evbuffer_add_reference (out, HELLO, sizeof HELLO - 1, NULL, NULL);
    evhttp_send_reply (req, 200, "OK", NULL);
    return;
  }
  if (cmd == EVHTTP_REQ_POST && 0 == strcmp (uri, "/echo")) {
    evhttp_add_header (oh, "Content-Type", "application/json");
    /* move (not copy) the body chain into the reply */
    evbuffer_add_buffer (out, evhttp_request_get_input_buffer (req));
    evhttp_send_reply (req, 200, "OK", NULL);
    return;
  }
  evhttp_send_error (req, 404, NULL);
}

static int
setup (struct worker *w, int reuseport)
{
  struct sockaddr_in sa;
  memset (&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons ((uint16_t) port);
  sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  w->base = event_base_new ();
  w->http = evhttp_new (w->base);
  if (!w->base || !w->http) return -1;
  evhttp_set_allowed_methods (w->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
  evhttp_set_max_body_size (w->http, 1 << 20);
  evhttp_set_timeout (w->http, 30);
  evhttp_set_gencb (w->http, on_request, w);
  unsigned f = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC;
  if (reuseport) f |= LEV_OPT_REUSEABLE_PORT;
  w->lev = evconnlistener_new_bind (w->base, NULL, NULL, f, 1024,
                                    (struct sockaddr *) &sa, sizeof sa);
  if (w->lev == NULL) return -1;
  return evhttp_bind_listener (w->http, w->lev) ? 0 : -1;
}

static void *
run (void *arg)
{
  struct worker *w = arg;
  event_base_dispatch (w->base);
  return NULL;
}

int
main (int argc, char **argv)
{
  int threads = 2, single = 0, ch;
  while ((ch = getopt (argc, argv, "p:t:1n")) != -1) {
    switch (ch) {
    case 'p': port = atoi (optarg); break;
    case 't': threads = atoi (optarg); break;
    case '1': single = 1; break;
    case 'n': opt_nodelay = 1; break;
    default:
      fprintf (stderr, "usage: %s [-p port] [-t threads] [-1] [-n]\n", argv[0]);
      return 2;
    }
  }
  if (single || threads < 1) threads = 1;
  signal (SIGPIPE, SIG_IGN);
  struct worker *ws = calloc ((size_t) threads, sizeof *ws);
  for (int i = 0; i < threads; i++)
    if (setup (&ws[i], threads > 1) != 0) {
      fprintf (stderr, "evhttp_echo: cannot listen on port %d\n", port);
      return 1;
    }
  fprintf (stderr, "evhttp_echo: port %d threads %d nodelay %d\n", port, threads, opt_nodelay);
  for (int i = 1; i < threads; i++)
    pthread_create (&ws[i].tid, NULL, run, &ws[i]);
  run (&ws[0]); /* until killed */
  return 0;
}
