/* mhd_echo.c - minimal libmicrohttpd benchmark server for Casebook.
 *
 *   GET  /hello  -> fixed ~60-byte JSON
 *   POST /echo   -> request body echoed back (application/json)
 *
 * Flags (all optional):
 *   -p PORT     listen port on 127.0.0.1 (default 8081)
 *   -t N        MHD_OPTION_THREAD_POOL_SIZE (default 2; 1 = single polling thread)
 *   -T          add MHD_USE_TURBO
 *   -r          reuse one static MHD_Response for GET (default: one per request)
 *   -c          MHD_RESPMEM_MUST_COPY for GET body (default: MHD_RESPMEM_PERSISTENT)
 *   -n          set TCP_NODELAY=1 on every accepted socket (MHD_OPTION_NOTIFY_CONNECTION)
 *   -k          clear TCP_NODELAY (=0) on every accepted socket (Nagle on; for experiments)
 *   -s          no MHD_USE_EPOLL (use poll) instead of epoll
 *
 * Build: cc -O2 -std=c11 -o mhd_echo mhd_echo.c $(pkg-config --cflags --libs libmicrohttpd)
 */
#define _POSIX_C_SOURCE 200809L
#include <microhttpd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char HELLO[] =
  "{\"ok\":true,\"service\":\"casebook\",\"version\":\"0.0.0-bench\"}\n";

static int opt_reuse = 0, opt_copy = 0, opt_nodelay = -1, opt_twophase = 0;
static struct MHD_Response *static_hello;

struct post_ctx { char *buf; size_t len, cap; };

static void
notify_conn (void *cls, struct MHD_Connection *c, void **socket_context,
             enum MHD_ConnectionNotificationCode toe)
{
  (void) cls; (void) socket_context;
  if (toe != MHD_CONNECTION_NOTIFY_STARTED || opt_nodelay < 0)
    return;
  const union MHD_ConnectionInfo *ci =
    MHD_get_connection_info (c, MHD_CONNECTION_INFO_CONNECTION_FD);
  if (ci != NULL) {
    int v = opt_nodelay;
    setsockopt (ci->connect_fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v);
  }
}

static enum MHD_Result
reply (struct MHD_Connection *c, unsigned code, struct MHD_Response *r)
{
  enum MHD_Result ret = MHD_queue_response (c, code, r);
  MHD_destroy_response (r);
  return ret;
}

static struct MHD_Response *
make_hello (enum MHD_ResponseMemoryMode mode)
{
  struct MHD_Response *r =
    MHD_create_response_from_buffer (sizeof HELLO - 1, (void *) HELLO, mode);
  MHD_add_response_header (r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
  return r;
}

static enum MHD_Result
handler (void *cls, struct MHD_Connection *c, const char *url,
         const char *method, const char *version, const char *upload_data,
         size_t *upload_data_size, void **con_cls)
{
  (void) cls; (void) version;
  if (0 == strcmp (method, "GET")) {
    if (opt_twophase && *con_cls == NULL) {
      /* first call: headers only; answer on the next call */
      *con_cls = &opt_twophase;
      return MHD_YES;
    }
    if (opt_twophase) *con_cls = NULL;
    if (0 != strcmp (url, "/hello"))
      return reply (c, 404, MHD_create_response_from_buffer (0, "", MHD_RESPMEM_PERSISTENT));
    if (opt_reuse)
      return MHD_queue_response (c, MHD_HTTP_OK, static_hello);
    return reply (c, MHD_HTTP_OK,
                  make_hello (opt_copy ? MHD_RESPMEM_MUST_COPY : MHD_RESPMEM_PERSISTENT));
  }
  if (0 == strcmp (method, "POST") && 0 == strcmp (url, "/echo")) {
    struct post_ctx *p = *con_cls;
    if (p == NULL) {
      p = calloc (1, sizeof *p);
      if (p == NULL) return MHD_NO;
      *con_cls = p;
      return MHD_YES;
    }
    if (*upload_data_size != 0) {
      size_t n = *upload_data_size;
      if (p->len + n > 1 << 20) return MHD_NO;
      if (p->len + n > p->cap) {
        size_t cap = p->cap ? p->cap : 512;
        while (cap < p->len + n) cap *= 2;
        char *nb = realloc (p->buf, cap);
        if (nb == NULL) return MHD_NO;
        p->buf = nb; p->cap = cap;
      }
      memcpy (p->buf + p->len, upload_data, n);
      p->len += n;
      *upload_data_size = 0;
      return MHD_YES;
    }
    /* body complete: hand the buffer to MHD (freed by MHD) */
    struct MHD_Response *r =
      MHD_create_response_from_buffer (p->len, p->buf ? p->buf : "",
                                       p->buf ? MHD_RESPMEM_MUST_FREE
                                              : MHD_RESPMEM_PERSISTENT);
    p->buf = NULL;
    MHD_add_response_header (r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    return reply (c, MHD_HTTP_OK, r);
  }
  return reply (c, 405, MHD_create_response_from_buffer (0, "", MHD_RESPMEM_PERSISTENT));
}

static void
completed (void *cls, struct MHD_Connection *c, void **con_cls,
           enum MHD_RequestTerminationCode toe)
{
  (void) cls; (void) c; (void) toe;
  struct post_ctx *p = *con_cls;
  if (p && (void *) p != (void *) &opt_twophase) { free (p->buf); free (p); }
  *con_cls = NULL;
}

static volatile sig_atomic_t stop;
static void on_sig (int s) { (void) s; stop = 1; }

int
main (int argc, char **argv)
{
  int port = 8081, threads = 2, turbo = 0, use_epoll = 1, ch;
  while ((ch = getopt (argc, argv, "p:t:Trcnks2")) != -1) {
    switch (ch) {
    case 'p': port = atoi (optarg); break;
    case 't': threads = atoi (optarg); break;
    case 'T': turbo = 1; break;
    case 'r': opt_reuse = 1; break;
    case 'c': opt_copy = 1; break;
    case 'n': opt_nodelay = 1; break;
    case 'k': opt_nodelay = 0; break;
    case 's': use_epoll = 0; break;
    case '2': opt_twophase = 1; break;
    default:
      fprintf (stderr, "usage: %s [-p port] [-t threads] [-T] [-r] [-c] [-n|-k] [-s]\n", argv[0]);
      return 2;
    }
  }
  signal (SIGPIPE, SIG_IGN);
  signal (SIGINT, on_sig);
  signal (SIGTERM, on_sig);

  if (opt_reuse)
    static_hello = make_hello (opt_copy ? MHD_RESPMEM_MUST_COPY : MHD_RESPMEM_PERSISTENT);

  struct sockaddr_in sa;
  memset (&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons ((uint16_t) port);
  sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);

  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
  flags |= use_epoll ? MHD_USE_EPOLL : MHD_USE_POLL;
  if (turbo) flags |= MHD_USE_TURBO;

  struct MHD_OptionItem ops[] = {
    { MHD_OPTION_SOCK_ADDR, 0, &sa },
    { MHD_OPTION_CONNECTION_TIMEOUT, 30, NULL },
    { MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL },
    { MHD_OPTION_NOTIFY_COMPLETED, (intptr_t) &completed, NULL },
    { MHD_OPTION_NOTIFY_CONNECTION, (intptr_t) &notify_conn, NULL },
    /* a pool of 1 draws a warning: no pool = the one polling thread */
    { threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END,
      threads > 1 ? threads : 0, NULL },
    { MHD_OPTION_END, 0, NULL }
  };
  struct MHD_Daemon *d = MHD_start_daemon (
    flags, (uint16_t) port, NULL, NULL, &handler, NULL,
    MHD_OPTION_ARRAY, ops, MHD_OPTION_END);
  if (d == NULL) {
    fprintf (stderr, "MHD_start_daemon failed on port %d\n", port);
    return 1;
  }
  fprintf (stderr, "mhd_echo: port %d threads %d turbo %d reuse %d copy %d nodelay %d epoll %d\n",
           port, threads, turbo, opt_reuse, opt_copy, opt_nodelay, use_epoll);
  while (!stop)
    pause ();
  MHD_stop_daemon (d);
  if (static_hello) MHD_destroy_response (static_hello);
  return 0;
}
