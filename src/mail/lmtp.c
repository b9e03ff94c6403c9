/* lmtp.c - the LMTP listener (see lmtp.h). */
#include "mail/lmtp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/buf.h"

static struct {
	pthread_mutex_t mu;
	pthread_cond_t idle;
	int listen_fd;
	pthread_t accept_th;
	int started, stopping;
	int conns[CB_LMTP_MAX_CONNS]; /* open connection fds, -1 = free */
	int nconns;
	size_t max_message;
	cb_lmtp_deliver_fn fn;
	void *arg;
} L = {.mu = PTHREAD_MUTEX_INITIALIZER, .idle = PTHREAD_COND_INITIALIZER, .listen_fd = -1};

static void say(int fd, const char *line)
{
	size_t n = strlen(line);
	char buf[600];
	if (n > sizeof buf - 3)
		n = sizeof buf - 3;
	memcpy(buf, line, n);
	memcpy(buf + n, "\r\n", 2);
	n += 2;
	for (size_t off = 0; off < n;) {
		ssize_t w = send(fd, buf + off, n - off, MSG_NOSIGNAL);
		if (w <= 0) {
			if (w < 0 && errno == EINTR)
				continue;
			return;
		}
		off += (size_t)w;
	}
}

/* Strips CRLF / LF; returns the length. */
static size_t chomp(char *s, ssize_t n)
{
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = 0;
	return (size_t)n;
}

static int starts(const char *s, const char *p)
{
	return strncasecmp(s, p, strlen(p)) == 0;
}

/* The address of "RCPT TO:<addr> ..." lower-cased, or NULL. */
static char *rcpt_addr(const char *arg)
{
	while (*arg == ' ')
		arg++;
	const char *b = *arg == '<' ? arg + 1 : arg;
	size_t n = strcspn(b, *arg == '<' ? ">" : " ");
	if (!n || n > 320)
		return NULL;
	char *a = cb_xstrndup(b, n);
	for (char *p = a; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return a;
}

static void rcpt_clear(char **rcpt, int *n)
{
	for (int i = 0; i < *n; i++)
		cb_free(rcpt[i]);
	*n = 0;
}

/* long: the LMTP command loop, one command per branch */
static void session(int fd)
{
	FILE *in = fdopen(dup(fd), "r");
	if (!in)
		return;
	say(fd, "220 casebook LMTP ready");
	char *line = NULL;
	size_t cap = 0;
	int have_from = 0, nrcpt = 0, greeted = 0;
	char *rcpt[CB_LMTP_MAX_RCPT];
	for (;;) {
		ssize_t n = getline(&line, &cap, in);
		if (n <= 0)
			break;
		chomp(line, n);
		if (starts(line, "LHLO")) {
			greeted = 1;
			have_from = 0;
			rcpt_clear(rcpt, &nrcpt);
			say(fd, "250-casebook");
			say(fd, "250-PIPELINING");
			say(fd, "250-ENHANCEDSTATUSCODES");
			say(fd, "250 8BITMIME");
		} else if (starts(line, "MAIL FROM:")) {
			if (!greeted) {
				say(fd, "503 5.5.1 LHLO first");
				continue;
			}
			have_from = 1;
			rcpt_clear(rcpt, &nrcpt);
			say(fd, "250 2.1.0 ok");
		} else if (starts(line, "RCPT TO:")) {
			if (!have_from) {
				say(fd, "503 5.5.1 MAIL first");
				continue;
			}
			char *a = rcpt_addr(line + 8);
			if (!a) {
				say(fd, "501 5.1.3 bad recipient address");
				continue;
			}
			if (nrcpt == CB_LMTP_MAX_RCPT) {
				cb_free(a);
				say(fd, "452 4.5.3 too many recipients");
				continue;
			}
			rcpt[nrcpt++] = a;
			say(fd, "250 2.1.5 ok");
		} else if (!strcasecmp(line, "DATA")) {
			if (!nrcpt) {
				say(fd, "503 5.5.1 RCPT first");
				continue;
			}
			say(fd, "354 go ahead, end with <CRLF>.<CRLF>");
			cb_buf msg = {0};
			int too_big = 0, eof = 1;
			ssize_t m;
			while ((m = getline(&line, &cap, in)) > 0) {
				if ((m == 3 && !memcmp(line, ".\r\n", 3)) || (m == 2 && !memcmp(line, ".\n", 2))) {
					eof = 0;
					break;
				}
				const char *p = line;
				if (line[0] == '.') /* dot-stuffing */
					p++, m--;
				if (!too_big && msg.len + (size_t)m <= L.max_message)
					cb_buf_append(&msg, p, (size_t)m);
				else
					too_big = 1;
			}
			if (eof) {
				cb_buf_free(&msg);
				break;
			}
			char reply[512];
			L.fn(L.arg, too_big ? NULL : msg.p ? msg.p : "", msg.len, (const char *const *)rcpt,
			     nrcpt, reply, sizeof reply);
			cb_buf_free(&msg);
			for (int i = 0; i < nrcpt; i++)
				say(fd, reply);
			have_from = 0;
			rcpt_clear(rcpt, &nrcpt);
		} else if (!strcasecmp(line, "RSET")) {
			have_from = 0;
			rcpt_clear(rcpt, &nrcpt);
			say(fd, "250 2.0.0 ok");
		} else if (!strcasecmp(line, "NOOP")) {
			say(fd, "250 2.0.0 ok");
		} else if (!strcasecmp(line, "QUIT")) {
			say(fd, "221 2.0.0 bye");
			break;
		} else {
			say(fd, "500 5.5.2 unknown command");
		}
	}
	rcpt_clear(rcpt, &nrcpt);
	free(line);
	fclose(in);
}

static void *conn_main(void *p)
{
	int fd = (int)(intptr_t)p;
	session(fd);
	pthread_mutex_lock(&L.mu);
	for (int i = 0; i < CB_LMTP_MAX_CONNS; i++)
		if (L.conns[i] == fd)
			L.conns[i] = -1;
	close(fd);
	L.nconns--;
	pthread_cond_broadcast(&L.idle);
	pthread_mutex_unlock(&L.mu);
	return NULL;
}

static void *accept_main(void *p)
{
	(void)p;
	for (;;) {
		int fd = accept(L.listen_fd, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			pthread_mutex_lock(&L.mu);
			int stop = L.stopping;
			pthread_mutex_unlock(&L.mu);
			if (stop)
				return NULL;
			usleep(100000); /* EMFILE and the like: back off */
			continue;
		}
		struct timeval tv = {.tv_sec = CB_LMTP_IDLE_S};
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		pthread_mutex_lock(&L.mu);
		int slot = -1;
		for (int i = 0; i < CB_LMTP_MAX_CONNS && !L.stopping; i++)
			if (L.conns[i] < 0) {
				slot = i;
				break;
			}
		if (slot < 0) {
			pthread_mutex_unlock(&L.mu);
			say(fd, "421 4.3.2 too many connections, try again later");
			close(fd);
			continue;
		}
		L.conns[slot] = fd;
		L.nconns++;
		pthread_mutex_unlock(&L.mu);
		pthread_t th;
		pthread_attr_t at;
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&th, &at, conn_main, (void *)(intptr_t)fd)) {
			pthread_mutex_lock(&L.mu);
			L.conns[slot] = -1;
			L.nconns--;
			pthread_mutex_unlock(&L.mu);
			say(fd, "421 4.3.0 cannot serve now");
			close(fd);
		}
		pthread_attr_destroy(&at);
	}
}

int cb_lmtp_start(const char *host, int port, size_t max_message, cb_lmtp_deliver_fn fn,
		  void *arg, int *bound, cb_err *err)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	char ps[16];
	snprintf(ps, sizeof ps, "%d", port);
	if (getaddrinfo(host, ps, &hints, &res) || !res)
		return cb_err_set(err, CB_E_INVALID, "lmtp", "cannot resolve %s", host);
	int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) || listen(fd, 64)) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return cb_err_set(err, CB_E_INTERNAL, "lmtp", "cannot listen on %s:%d: %s", host, port,
				  strerror(e));
	}
	freeaddrinfo(res);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	*bound = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						: ((struct sockaddr_in *)&ss)->sin_port);
	pthread_mutex_lock(&L.mu);
	L.listen_fd = fd;
	L.fn = fn;
	L.arg = arg;
	L.max_message = max_message;
	L.stopping = 0;
	L.nconns = 0;
	for (int i = 0; i < CB_LMTP_MAX_CONNS; i++)
		L.conns[i] = -1;
	int rc = pthread_create(&L.accept_th, NULL, accept_main, NULL);
	L.started = rc == 0;
	pthread_mutex_unlock(&L.mu);
	if (rc) {
		close(fd);
		return cb_err_set(err, CB_E_INTERNAL, "lmtp", "cannot start the LMTP thread");
	}
	return 0;
}

void cb_lmtp_stop(void)
{
	pthread_mutex_lock(&L.mu);
	if (!L.started) {
		pthread_mutex_unlock(&L.mu);
		return;
	}
	L.stopping = 1;
	shutdown(L.listen_fd, SHUT_RDWR); /* wakes accept() */
	pthread_mutex_unlock(&L.mu);
	pthread_join(L.accept_th, NULL);
	pthread_mutex_lock(&L.mu);
	close(L.listen_fd);
	L.listen_fd = -1;
	/* a delivery in progress finishes; idle readers are woken */
	for (int i = 0; i < CB_LMTP_MAX_CONNS; i++)
		if (L.conns[i] >= 0)
			shutdown(L.conns[i], SHUT_RD);
	while (L.nconns > 0)
		pthread_cond_wait(&L.idle, &L.mu);
	L.started = 0;
	pthread_mutex_unlock(&L.mu);
}
