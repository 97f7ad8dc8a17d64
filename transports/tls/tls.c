// SPDX-License-Identifier: Apache-2.0
/*
 * tls://host:port?options: TLS (GnuTLS) over a TCP stream; the TCP side is
 * the tcp transport's (its parse, connect, listen and TCP_NODELAY).
 *
 * Options, a query string (a value holding '&' or '%' %-escapes it):
 *   ca=FILE    PEM CA certificates. A client's: the server's certificate
 *              must chain to one and carry the expected name; there is
 *              no unverified connection (an address to connect to
 *              without ca is refused: url_check). A server's: clients
 *              must present a certificate that chains to one.
 *   cert=FILE, key=FILE  this side's PEM certificate chain and its key
 *              (unencrypted); a server's are required, a client's are
 *              sent when the server asks.
 *   name=NAME  a client's: the name the server's certificate must carry
 *              (default: host; an IP address is matched against the
 *              certificate's IP addresses).
 *
 * Credentials are loaded once per process for each role and set of files,
 * and shared by every connection made with them. No descriptors pass.
 */
#include "tcp.h"
#include "transport.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vaccel/remote.h>

#define TAG "tls"

/* The largest plaintext of one record: sendv fills records up to it. */
#define TLS_RECORD 16384
/* The largest credential file read (a CA bundle is a few hundred KiB). */
#define TLS_FILE_MAX (16u << 20)

/* ---- the address ------------------------------------------------------- */

#define TLS_OPT_SIZE(k) sizeof(((struct url_tls *)0)->k)

/* The query string's keys, by the field of struct url_tls each fills. */
static const struct tls_opt {
	const char *key;
	size_t off, size;
} tls_opts[] = {
    {"ca", offsetof(struct url_tls, ca), TLS_OPT_SIZE(ca)},
    {"cert", offsetof(struct url_tls, cert), TLS_OPT_SIZE(cert)},
    {"key", offsetof(struct url_tls, key), TLS_OPT_SIZE(key)},
    {"name", offsetof(struct url_tls, name), TLS_OPT_SIZE(name)},
};
#define TLS_NR_OPTS (sizeof(tls_opts) / sizeof(tls_opts[0]))

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode the %-escaped value v[0..n) into out (size bytes with its NUL).
 * 0, or -1 with a reason in err. */
static int opt_value(const struct tls_opt *o, const char *v, size_t n,
		     char *out, char *err, size_t errlen)
{
	size_t len = 0;
	if (!n) {
		snprintf(err, errlen, "option '%s' is empty", o->key);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		char ch = v[i];
		if (ch == '%') {
			int hi = i + 2 < n ? hex_digit(v[i + 1]) : -1;
			int lo = i + 2 < n ? hex_digit(v[i + 2]) : -1;
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				snprintf(err, errlen,
					 "option '%s': bad %%-escape (%%XX, "
					 "not %%00)",
					 o->key);
				return -1;
			}
			ch = (char)(hi << 4 | lo);
			i += 2;
		}
		if (len + 1 >= o->size) {
			snprintf(err, errlen,
				 "option '%s' is longer than %zu bytes", o->key,
				 o->size - 1);
			return -1;
		}
		out[len++] = ch;
	}
	out[len] = '\0';
	return 0;
}

/* The query string q (after '?') into u->tls. 0, or -1 with a reason. */
static int parse_query(const char *q, struct url_tls *o, char *err,
		       size_t errlen)
{
	bool seen[TLS_NR_OPTS] = {false};
	for (;;) {
		size_t n = strcspn(q, "&");
		const char *eq = memchr(q, '=', n);
		size_t kl = eq ? (size_t)(eq - q) : n;
		const struct tls_opt *opt = NULL;
		for (size_t i = 0; i < TLS_NR_OPTS; i++)
			if (strlen(tls_opts[i].key) == kl &&
			    memcmp(tls_opts[i].key, q, kl) == 0)
				opt = &tls_opts[i];
		if (!opt) {
			snprintf(err, errlen,
				 "unknown option '%.*s' (use ca, cert, key, "
				 "name)",
				 kl > 32 ? 32 : (int)kl, q);
			return -1;
		}
		if (!eq) {
			snprintf(err, errlen,
				 "option '%s' needs a value (%s=...)", opt->key,
				 opt->key);
			return -1;
		}
		size_t idx = (size_t)(opt - tls_opts);
		if (seen[idx]) {
			snprintf(err, errlen, "option '%s' given twice",
				 opt->key);
			return -1;
		}
		seen[idx] = true;
		if (opt_value(opt, eq + 1, n - kl - 1, (char *)o + opt->off,
			      err, errlen))
			return -1;
		if (!q[n])
			return 0;
		q += n + 1;
	}
}

static int tls_parse(const char *rest, struct url *u, char *err, size_t errlen)
{
	const char *q = strchr(rest, '?');
	size_t n = q ? (size_t)(q - rest) : strlen(rest);
	/* [host]:port with the longest host tcp takes */
	char hostport[sizeof(u->host) + sizeof(u->port) + 3];
	if (n >= sizeof(hostport)) {
		snprintf(err, errlen, "host name too long");
		return -1;
	}
	memcpy(hostport, rest, n);
	hostport[n] = '\0';
	if (tcp_parse(hostport, u, err, errlen))
		return -1;
	if (q && parse_query(q + 1, &u->tls, err, errlen))
		return -1;
	if (!u->tls.cert[0] != !u->tls.key[0]) {
		snprintf(err, errlen, "cert= and key= go together");
		return -1;
	}
	if (!u->tls.ca[0] && !u->tls.cert[0]) {
		snprintf(err, errlen,
			 "no credentials: a client needs ca=FILE, a server "
			 "cert=FILE&key=FILE");
		return -1;
	}
	return 0;
}

static int tls_check(const struct url *u, bool server, char *err, size_t errlen)
{
	if (server && !u->tls.cert[0]) {
		snprintf(err, errlen,
			 "to listen, tls needs cert=FILE&key=FILE (this "
			 "server's certificate and key)");
		return -1;
	}
	if (server && u->tls.name[0]) {
		snprintf(err, errlen,
			 "name= is a client's option (the name the server's "
			 "certificate must carry)");
		return -1;
	}
	if (!server && !u->tls.ca[0]) {
		snprintf(err, errlen,
			 "to connect, tls needs ca=FILE (the CA certificates "
			 "that verify the server); it never connects "
			 "unverified");
		return -1;
	}
	return 0;
}

/* ---- credentials ------------------------------------------------------- */

/* One role's credentials from one set of files, shared by the
 * connections made with them; kept until the module unloads. */
struct tls_creds {
	struct tls_creds *next;
	bool server;
	/* the files they came from ("": none); owned */
	char *ca, *cert, *key;
	gnutls_certificate_credentials_t x509;
	/* connections using x509 (under creds_lock) */
	unsigned int refs;
};

static pthread_mutex_t creds_lock = PTHREAD_MUTEX_INITIALIZER;
/* every set loaded, newest first */
static struct tls_creds *creds;
/* the module is unloading: a set is freed when its last connection
 * closes */
static bool creds_unloading;

static void creds_free(struct tls_creds *cr)
{
	if (cr->x509)
		gnutls_certificate_free_credentials(cr->x509);
	free(cr->ca);
	free(cr->cert);
	free(cr->key);
	free(cr);
}

/* Read the PEM file `path` (`what` names the option in messages) into d
 * (gnutls_free it). 0 or -errno, said. */
static int load_file(const char *what, const char *path, gnutls_datum_t *d)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;
	struct stat st;
	if (fd < 0) {
		r = -errno;
		goto said;
	}
	if (fstat(fd, &st)) {
		r = -errno;
		goto close_fd;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > TLS_FILE_MAX) {
		r = S_ISREG(st.st_mode) ? -EFBIG : -EINVAL;
		vaccel_log(
		    VACCEL_LOG_ERROR, TAG, "%s file '%s': %s", what, path,
		    r == -EFBIG ? "larger than 16 MiB" : "not a regular file");
		close(fd);
		return r;
	}
	d->size = (unsigned int)st.st_size;
	d->data = gnutls_malloc(d->size + 1);
	if (!d->data) {
		r = -ENOMEM;
		goto close_fd;
	}
	for (size_t got = 0; got < d->size;) {
		ssize_t n = read(fd, d->data + got, d->size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			goto free_data;
		}
		got += (size_t)n;
	}
	d->data[d->size] = '\0';
	close(fd);
	return 0;
free_data:
	gnutls_free(d->data);
	d->data = NULL;
close_fd:
	close(fd);
said:
	vaccel_log(VACCEL_LOG_ERROR, TAG, "%s file '%s': %s", what, path,
		   strerror(-r));
	return r;
}

/* Wipe and free what load_file read. */
static void drop_file(gnutls_datum_t *d)
{
	if (d->data) {
		gnutls_memset(d->data, 0, d->size);
		gnutls_free(d->data);
	}
	d->data = NULL;
}

static int load_ca(gnutls_certificate_credentials_t x509, const char *path)
{
	gnutls_datum_t d = {0};
	int r = load_file("ca", path, &d);
	if (r)
		return r;
	int n = gnutls_certificate_set_x509_trust_mem(x509, &d,
						      GNUTLS_X509_FMT_PEM);
	drop_file(&d);
	if (n <= 0) {
		vaccel_log(VACCEL_LOG_ERROR, TAG, "ca file '%s': %s", path,
			   n < 0 ? gnutls_strerror(n)
				 : "no PEM certificate in it");
		return -EINVAL;
	}
	return 0;
}

static int load_pair(gnutls_certificate_credentials_t x509, const char *cert,
		     const char *key)
{
	gnutls_datum_t cd = {0}, kd = {0};
	gnutls_x509_crt_t *list = NULL;
	gnutls_x509_privkey_t pk = NULL;
	unsigned int nr = 0;
	int r = load_file("cert", cert, &cd);
	if (r)
		return r;
	r = load_file("key", key, &kd);
	if (r)
		goto drop_cert;
	/* each file on its own first, so that a message names the bad one */
	int g = gnutls_x509_crt_list_import2(&list, &nr, &cd,
					     GNUTLS_X509_FMT_PEM, 0);
	if (g < 0 || !nr) {
		vaccel_log(VACCEL_LOG_ERROR, TAG, "cert file '%s': %s", cert,
			   g < 0 ? gnutls_strerror(g)
				 : "no PEM certificate in it");
		r = -EINVAL;
		goto drop_key;
	}
	for (unsigned int i = 0; i < nr; i++)
		gnutls_x509_crt_deinit(list[i]);
	gnutls_free(list);
	g = gnutls_x509_privkey_init(&pk);
	if (g == 0)
		g = gnutls_x509_privkey_import2(pk, &kd, GNUTLS_X509_FMT_PEM,
						NULL, 0);
	if (pk)
		gnutls_x509_privkey_deinit(pk);
	if (g < 0) {
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "key file '%s': %s (want an unencrypted PEM "
			   "private key)",
			   key, gnutls_strerror(g));
		r = -EINVAL;
		goto drop_key;
	}
	g = gnutls_certificate_set_x509_key_mem2(x509, &cd, &kd,
						 GNUTLS_X509_FMT_PEM, NULL, 0);
	if (g < 0) {
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "cert file '%s' with key file '%s': %s", cert, key,
			   gnutls_strerror(g));
		r = -EINVAL;
	}
drop_key:
	drop_file(&kd);
drop_cert:
	drop_file(&cd);
	return r;
}

/* Load u's credentials for a server or a client. 0 or -errno, said. */
static int creds_load(const struct url *u, bool server, struct tls_creds **out)
{
	struct tls_creds *cr = calloc(1, sizeof(*cr));
	int r = -ENOMEM;
	if (!cr)
		return r;
	cr->server = server;
	cr->ca = strdup(u->tls.ca);
	cr->cert = strdup(u->tls.cert);
	cr->key = strdup(u->tls.key);
	if (!cr->ca || !cr->cert || !cr->key)
		goto free_creds;
	int g = gnutls_certificate_allocate_credentials(&cr->x509);
	if (g < 0) {
		cr->x509 = NULL;
		goto free_creds;
	}
	if (cr->ca[0]) {
		r = load_ca(cr->x509, cr->ca);
		if (r)
			goto free_creds;
	}
	if (cr->cert[0]) {
		r = load_pair(cr->x509, cr->cert, cr->key);
		if (r)
			goto free_creds;
	}
	*out = cr;
	return 0;
free_creds:
	creds_free(cr);
	return r;
}

static void creds_lock_take(void)
{
	pthread_mutex_lock(&creds_lock);
}

static void creds_lock_give(void)
{
	pthread_mutex_unlock(&creds_lock);
}

/* A forked child (the rpc plugin's closes its parent's connections)
 * must not find the lock held by a thread it does not have. */
static void creds_atfork(void)
{
	pthread_atfork(creds_lock_take, creds_lock_give, creds_lock_give);
}

/* u's credentials for the role, loaded on first use, with a reference
 * for the caller (creds_put). 0 or -errno, said. */
static int creds_get(const struct url *u, bool server, struct tls_creds **out)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	int r = 0;
	pthread_once(&once, creds_atfork);
	pthread_mutex_lock(&creds_lock);
	struct tls_creds *cr = creds;
	for (; cr; cr = cr->next)
		if (cr->server == server && strcmp(cr->ca, u->tls.ca) == 0 &&
		    strcmp(cr->cert, u->tls.cert) == 0 &&
		    strcmp(cr->key, u->tls.key) == 0)
			break;
	if (!cr) {
		r = creds_load(u, server, &cr);
		if (r)
			goto unlock;
		cr->next = creds;
		creds = cr;
	}
	cr->refs++;
	*out = cr;
unlock:
	pthread_mutex_unlock(&creds_lock);
	return r;
}

static void creds_put(struct tls_creds *cr)
{
	pthread_mutex_lock(&creds_lock);
	if (--cr->refs == 0 && creds_unloading) {
		struct tls_creds **p = &creds;
		while (*p != cr)
			p = &(*p)->next;
		*p = cr->next;
		creds_free(cr);
	}
	pthread_mutex_unlock(&creds_lock);
}

/* The rpc plugin is unloaded (dlclose) when libvaccel is cleaned up, and
 * may be loaded again: what no connection holds is freed now, the rest
 * when its last connection closes. */
__attribute__((destructor)) static void creds_unload(void)
{
	pthread_mutex_lock(&creds_lock);
	creds_unloading = true;
	for (struct tls_creds **p = &creds; *p;) {
		struct tls_creds *cr = *p;
		if (cr->refs) {
			p = &cr->next;
			continue;
		}
		*p = cr->next;
		creds_free(cr);
	}
	pthread_mutex_unlock(&creds_lock);
}

/* ---- the connection ---------------------------------------------------- */

struct tls_conn {
	gnutls_session_t s;
	/* a reference */
	struct tls_creds *cr;
	bool server;
	/* who the peer is, for messages: the client's host:port, the
	 * server's peer address */
	char peer[sizeof(((struct url *)0)->host) + 8];
	/* the name the server's certificate must carry (the client's
	 * side; GnuTLS keeps the pointer) */
	char name[TLS_OPT_SIZE(name)];
};

static void conn_free(struct tls_conn *t)
{
	if (t->s)
		gnutls_deinit(t->s);
	if (t->cr)
		creds_put(t->cr);
	free(t);
}

/* Say why c failed at `what` (handshake, receiving, sending). */
static void say(const struct tls_conn *t, const char *what, const char *why)
{
	/* the client's side is a program's one view of the failure; the
	 * agent's goes on serving */
	vaccel_log(t->server ? VACCEL_LOG_WARN : VACCEL_LOG_ERROR, TAG,
		   "%s: %s: %s", t->peer, what, why);
}

/* A GnuTLS failure r of `what` (handshake, receiving, sending) as -errno;
 * said where it is more than the peer going away or a timeout. */
static int tls_error(struct tls_conn *t, int r, const char *what)
{
	switch (r) {
	case GNUTLS_E_AGAIN:
	case GNUTLS_E_TIMEDOUT:
		return -ETIMEDOUT;
	case GNUTLS_E_PREMATURE_TERMINATION:
	case GNUTLS_E_UNEXPECTED_PACKET_LENGTH:
	case GNUTLS_E_PULL_ERROR:
		return -ECONNRESET;
	case GNUTLS_E_PUSH_ERROR:
		return -EPIPE;
	case GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR: {
		gnutls_datum_t out = {0};
		unsigned int st = gnutls_session_get_verify_cert_status(t->s);
		if (gnutls_certificate_verification_status_print(
			st, GNUTLS_CRT_X509, &out, 0) < 0)
			out.data = NULL;
		char why[512];
		snprintf(why, sizeof(why),
			 "the peer's certificate is refused: %s",
			 out.data ? (const char *)out.data : "not trusted");
		say(t, what, why);
		gnutls_free(out.data);
		return -EACCES;
	}
	case GNUTLS_E_CERTIFICATE_REQUIRED:
	case GNUTLS_E_NO_CERTIFICATE_FOUND:
		say(t, what,
		    "the peer sent no certificate, and one is required (ca=)");
		return -EACCES;
	case GNUTLS_E_FATAL_ALERT_RECEIVED: {
		const char *alert =
		    gnutls_alert_get_name(gnutls_alert_get(t->s));
		char why[160];
		snprintf(why, sizeof(why),
			 "the peer refused the connection: %s%s",
			 alert ? alert : "an alert",
			 t->server ? ""
				   : " (if the server requires a client "
				     "certificate: cert=, key=)");
		say(t, what, why);
		return strcmp(what, "handshake") == 0 ? -ECONNREFUSED
						      : -ECONNRESET;
	}
	default:
		say(t, what, gnutls_strerror(r));
		return -EPROTO;
	}
}

/* Whether name is an IP address (no SNI for those). */
static bool is_ip(const char *name)
{
	struct in6_addr a;
	return inet_pton(AF_INET, name, &a) == 1 ||
	       inet_pton(AF_INET6, name, &a) == 1;
}

static void peer_of(struct tls_conn *t, int fd, const struct url *u)
{
	struct sockaddr_storage sa;
	socklen_t sl = sizeof(sa);
	char addr[INET6_ADDRSTRLEN] = "?";
	if (!t->server) {
		snprintf(t->peer, sizeof(t->peer), "%s:%s", u->host, u->port);
		return;
	}
	if (getpeername(fd, (struct sockaddr *)&sa, &sl) == 0) {
		if (sa.ss_family == AF_INET)
			inet_ntop(AF_INET,
				  &((struct sockaddr_in *)&sa)->sin_addr, addr,
				  sizeof(addr));
		else if (sa.ss_family == AF_INET6)
			inet_ntop(AF_INET6,
				  &((struct sockaddr_in6 *)&sa)->sin6_addr,
				  addr, sizeof(addr));
	}
	snprintf(t->peer, sizeof(t->peer), "client %s", addr);
}

static int tls_connect(const struct url *u, int timeout_ms)
{
	char err[256];
	if (tls_check(u, false, err, sizeof(err))) {
		vaccel_log(VACCEL_LOG_ERROR, TAG, "%s:%s: %s", u->host, u->port,
			   err);
		return -EINVAL;
	}
	return tcp_connect(u, timeout_ms);
}

static int tls_listen(const struct url *u, unsigned int mode)
{
	char err[256];
	struct tls_creds *cr;
	if (tls_check(u, true, err, sizeof(err))) {
		vaccel_log(VACCEL_LOG_ERROR, TAG, "%s:%s: %s", u->host, u->port,
			   err);
		return -EINVAL;
	}
	/* bad files stop the server now, not its first client */
	int r = creds_get(u, true, &cr);
	if (r)
		return r;
	creds_put(cr);
	return tcp_listen(u, mode);
}

static int tls_open(struct tconn *c, const struct url *u, bool server)
{
	struct tls_conn *t = calloc(1, sizeof(*t));
	int r = -ENOMEM, g;
	if (!t)
		goto close_fd;
	t->server = server;
	peer_of(t, c->fd, u);
	if (!server && !u->tls.ca[0]) {
		say(t, "connecting", "no ca= to verify the server by");
		r = -EINVAL;
		goto free_conn;
	}
	r = creds_get(u, server, &t->cr);
	if (r)
		goto free_conn;
	/* no resumption: a session ticket would only be state to keep */
	g = gnutls_init(&t->s, (server ? GNUTLS_SERVER : GNUTLS_CLIENT) |
				   GNUTLS_NO_SIGNAL | GNUTLS_NO_TICKETS);
	if (g < 0) {
		t->s = NULL;
		r = -ENOMEM;
		goto free_conn;
	}
	g = gnutls_set_default_priority(t->s);
	if (g == 0)
		g = gnutls_credentials_set(t->s, GNUTLS_CRD_CERTIFICATE,
					   t->cr->x509);
	if (g == 0 && server && u->tls.ca[0]) {
		gnutls_certificate_server_set_request(t->s,
						      GNUTLS_CERT_REQUIRE);
		/* CA names left out of the request: a client then sends the
		 * certificate it was given whoever signed it, and a wrong one
		 * is refused for what it is, not taken for a missing one */
		gnutls_certificate_send_x509_rdn_sequence(t->s, 1);
		gnutls_session_set_verify_cert(t->s, NULL, 0);
	}
	if (g == 0 && !server) {
		snprintf(t->name, sizeof(t->name), "%s",
			 u->tls.name[0] ? u->tls.name : u->host);
		if (!is_ip(t->name))
			g = gnutls_server_name_set(t->s, GNUTLS_NAME_DNS,
						   t->name, strlen(t->name));
		gnutls_session_set_verify_cert(t->s, t->name, 0);
	}
	if (g < 0) {
		r = tls_error(t, g, "setting up");
		goto free_conn;
	}
	gnutls_transport_set_int(t->s, c->fd);
	sock_set_timeouts(c->fd, c->recv_ms, c->send_ms);
	/* the whole handshake within the receive timeout, not each read */
	gnutls_handshake_set_timeout(
	    t->s, c->recv_ms > 0 ? (unsigned int)c->recv_ms : 0);
	do
		g = gnutls_handshake(t->s);
	while (g == GNUTLS_E_INTERRUPTED ||
	       g == GNUTLS_E_WARNING_ALERT_RECEIVED);
	if (g < 0) {
		r = tls_error(t, g, "handshake");
		/* the reason, to the peer, where TLS has one for it */
		if (r != -ETIMEDOUT && r != -ECONNRESET && r != -EPIPE)
			gnutls_alert_send_appropriate(t->s, g);
		goto free_conn;
	}
	c->priv = t;
	return 0;
free_conn:
	conn_free(t);
close_fd:
	close(c->fd);
	c->fd = -1;
	return r;
}

/* Send p[0..n) as records; *sent counts what GnuTLS took. 0 or -errno. */
static int send_all(struct tconn *c, const uint8_t *p, size_t n, uint64_t *sent)
{
	struct tls_conn *t = c->priv;
	while (n) {
		ssize_t w = gnutls_record_send(t->s, p, n);
		if (w == GNUTLS_E_INTERRUPTED)
			continue;
		if (w < 0)
			return tls_error(t, (int)w, "sending");
		p += w;
		n -= (size_t)w;
		*sent += (uint64_t)w;
	}
	return 0;
}

static int tls_sendv(struct tconn *c, struct iovec *iov, int n, uint64_t *sent,
		     int pass_fd)
{
	(void)pass_fd;
	/* Small segments (a frame's header and meta) are gathered into
	 * full records; a segment met with nothing gathered goes out as it
	 * is, a record at a time. */
	uint8_t stage[TLS_RECORD];
	size_t staged = 0;
	uint64_t out = 0;
	int r = 0;
	for (int i = 0; i < n && !r; i++) {
		const uint8_t *p = iov[i].iov_base;
		size_t len = iov[i].iov_len;
		while (len && !r) {
			if (!staged && len >= TLS_RECORD) {
				size_t m = len - len % TLS_RECORD;
				r = send_all(c, p, m, &out);
				p += m;
				len -= m;
				continue;
			}
			size_t m = TLS_RECORD - staged < len
				       ? TLS_RECORD - staged
				       : len;
			memcpy(stage + staged, p, m);
			staged += m;
			p += m;
			len -= m;
			if (staged == TLS_RECORD) {
				r = send_all(c, stage, staged, &out);
				staged = 0;
			}
		}
	}
	if (!r && staged)
		r = send_all(c, stage, staged, &out);
	if (sent)
		*sent = out;
	return r;
}

static int tls_recv(struct tconn *c, void *dst, uint64_t n)
{
	struct tls_conn *t = c->priv;
	uint8_t scratch[4096];
	uint8_t *p = dst;
	while (n) {
		size_t want = n > SSIZE_MAX ? SSIZE_MAX : (size_t)n;
		if (!dst && want > sizeof(scratch))
			want = sizeof(scratch);
		ssize_t got = gnutls_record_recv(t->s, dst ? p : scratch, want);
		if (got == GNUTLS_E_INTERRUPTED)
			continue;
		if (got == 0)
			return -ECONNRESET;
		if (got < 0)
			return tls_error(t, (int)got, "receiving");
		if (dst)
			p += got;
		n -= (uint64_t)got;
	}
	return 0;
}

static bool tls_ready(struct tconn *c)
{
	struct tls_conn *t = c->priv;
	/* GnuTLS reads a record at a time: what it holds is decrypted data
	 * the descriptor no longer shows */
	return gnutls_record_check_pending(t->s) > 0;
}

static int tls_wait(struct tconn *c, int timeout_ms)
{
	if (tls_ready(c))
		return 1;
	return sock_wait_readable(c->fd, timeout_ms);
}

static void tls_close(struct tconn *c)
{
	/* no close_notify: close never writes to the peer */
	if (c->priv)
		conn_free(c->priv);
	c->priv = NULL;
	close(c->fd);
}

const struct transport transport_tls = {
    .scheme = "tls",
    .parse = tls_parse,
    .connect = tls_connect,
    .listen = tls_listen,
    .accepted = tcp_accepted,
    .pollable = true,
    .open = tls_open,
    .sendv = tls_sendv,
    .recv = tls_recv,
    .ready = tls_ready,
    .wait = tls_wait,
    .close = tls_close,
    .check = tls_check,
};
