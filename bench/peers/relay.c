/* The least work any proxy can do per request: a byte relay that parses nothing.
 *
 * Each accepted connection gets its own upstream connection. By default two threads serve
 * it, one per direction, each a blocking read followed by a write of what it read: a request
 * and its answer cost four syscalls and two thread wake-ups, with no event loop, no timer
 * and no header work. With "spin" one thread serves both directions and never sleeps: it
 * polls each socket with a non-blocking read in turn, so no wake-up is left on the relay's
 * side either, at the cost of its whole core.
 *
 * The harness runs it as the peer `relay` (bench/peers/relay.sh) on the proxy's core. At low
 * concurrency what it keeps of the direct rate is the ceiling of every proxy on that layout,
 * since each of them does at least this much. With many connections its threads cost more
 * than an event loop, and it is no floor there.
 *
 * Built at run time by bench/peers/relay.sh: cc -O2 -pthread -o relay relay.c
 * Usage: relay LISTEN_PORT UPSTREAM_PORT [spin] (both on 127.0.0.1)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct pair {
    int from;
    int to;
    int *pending; /* directions still running; the last one closes both sockets */
    pthread_mutex_t *lock;
};

/* Writes all N bytes; 0 when the socket failed first. */
static int write_all(int to, const char *buf, ssize_t n)
{
    for (ssize_t off = 0; off < n;) {
        ssize_t w = write(to, buf + off, (size_t)(n - off));
        if (w <= 0)
            return 0;
        off += w;
    }
    return 1;
}

static void *pump(void *arg)
{
    struct pair *p = arg;
    char buf[65536];
    ssize_t n;
    while ((n = read(p->from, buf, sizeof buf)) > 0 && write_all(p->to, buf, n)) {
    }
    shutdown(p->to, SHUT_WR);
    pthread_mutex_lock(p->lock);
    int last = --*p->pending == 0;
    pthread_mutex_unlock(p->lock);
    if (last) {
        close(p->from);
        close(p->to);
        free(p->pending);
        free(p->lock);
    }
    free(p);
    return NULL;
}

/* Moves what one socket holds to the other without waiting: 1 moved, 0 nothing there,
 * -1 the connection is over. */
static int move_ready(int from, int to, char *buf)
{
    ssize_t n = recv(from, buf, 65536, MSG_DONTWAIT);
    if (n == 0)
        return -1;
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    return write_all(to, buf, n) ? 1 : -1;
}

static void *spin(void *arg)
{
    struct pair *p = arg;
    char buf[65536];
    while (move_ready(p->from, p->to, buf) >= 0 && move_ready(p->to, p->from, buf) >= 0) {
    }
    close(p->from);
    close(p->to);
    free(p);
    return NULL;
}

static void spawn(void *(*run)(void *), struct pair *p)
{
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    if (pthread_create(&t, &attr, run, p) != 0) {
        perror("pthread_create");
        exit(1);
    }
    pthread_attr_destroy(&attr);
}

static void start(int from, int to, int *pending, pthread_mutex_t *lock)
{
    struct pair *p = malloc(sizeof *p);
    *p = (struct pair){ from, to, pending, lock };
    spawn(pump, p);
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4 || (argc == 4 && strcmp(argv[3], "spin") != 0)) {
        fprintf(stderr, "usage: relay LISTEN_PORT UPSTREAM_PORT [spin]\n");
        return 2;
    }
    int spinning = argc == 4;
    /* A client that resets its connection must end that connection's threads, not the relay. */
    signal(SIGPIPE, SIG_IGN);
    int upstream_port = atoi(argv[2]);
    int one = 1;
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 1024) != 0) {
        perror("listen");
        return 1;
    }
    for (;;) {
        int c = accept(ls, NULL, NULL);
        if (c < 0)
            continue;
        int u = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in ua = { .sin_family = AF_INET, .sin_port = htons((uint16_t)upstream_port) };
        ua.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(u, (struct sockaddr *)&ua, sizeof ua) != 0) {
            close(u);
            close(c);
            continue;
        }
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        setsockopt(u, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (spinning) {
            struct pair *p = malloc(sizeof *p);
            *p = (struct pair){ c, u, NULL, NULL };
            spawn(spin, p);
            continue;
        }
        int *pending = malloc(sizeof *pending);
        *pending = 2;
        pthread_mutex_t *lock = malloc(sizeof *lock);
        pthread_mutex_init(lock, NULL);
        start(c, u, pending, lock);
        start(u, c, pending, lock);
    }
}
