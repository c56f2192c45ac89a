/* LD_PRELOAD shim for the load generators of the tls-handshake scenario: every TLS
 * connection does a full handshake.
 *
 * wrk keeps the previous session in its SSL object across reconnects (SSL_clear keeps a
 * cleanly closed session), and h2load hands a saved session to SSL_set_session; both then
 * resume, which measures a cache lookup and not a handshake. Dropping the session in both
 * places makes every ClientHello offer nothing to resume, whatever the server's session
 * cache and ticket settings are, so every proxy is measured doing the same work.
 *
 * Built at run time by bench/run.sh: cc -shared -fPIC -o no-resume.so no-resume.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>

typedef struct ssl_st SSL;
typedef struct ssl_session_st SSL_SESSION;

static int (*real_clear)(SSL *);
static int (*real_set_session)(SSL *, SSL_SESSION *);

int SSL_set_session(SSL *ssl, SSL_SESSION *session)
{
    (void)session;
    if (real_set_session == NULL)
        real_set_session = (int (*)(SSL *, SSL_SESSION *))dlsym(RTLD_NEXT, "SSL_set_session");
    return real_set_session(ssl, NULL);
}

int SSL_clear(SSL *ssl)
{
    if (real_clear == NULL)
        real_clear = (int (*)(SSL *))dlsym(RTLD_NEXT, "SSL_clear");
    int ok = real_clear(ssl);
    SSL_set_session(ssl, NULL);
    return ok;
}
