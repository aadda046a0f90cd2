/*
 * Streams: byte streams between the parent and an fd only we can open (a terminal's master side,
 * a TCP connection made inside a pod's network namespace, conmon's SEQPACKET attach socket).
 * Node cannot take an fd from another process, so the parent connects to our listening socket
 * (abstract, named at start-up), sends the 16-byte token we answered with, and we relay.
 * Only the parent's pid may connect; an offer not claimed within 30 seconds is dropped.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "helper.h"

#define TOKEN_SIZE 16
#define OFFER_TTL_SECONDS 30
#define RELAY_BUFFER (256 * 1024)
#define PACKET_MAX 8192 /* what conmon reads from an attach client at once */

/* An fd waiting for the parent to connect (or, while `connecting`, for its TCP connect to finish). */
struct offer {
    struct watch w; /* only while connecting */
    char *id;
    unsigned char token[TOKEN_SIZE];
    int kind;
    int connecting;
    time_t expires;
    struct offer *next;
};

/* A connection from the parent that has not sent its whole token yet. */
struct greeter {
    struct watch w;
    unsigned char token[TOKEN_SIZE];
    size_t got;
    time_t expires;
    struct greeter *next;
};

/* `target` is our fd, `peer` the parent's connection. */
struct relay {
    struct watch target, peer;
    int kind;
    struct buf to_peer, to_target;
    int target_eof, peer_eof, peer_shut, target_shut;
    struct relay *next;
};

static struct watch listener;
static char name[108];
static struct offer *offers;
static struct greeter *greeters;
static struct relay *relays;

const char *streams_name(void) {
    return name;
}

int streams_waiting(void) {
    return offers != NULL || greeters != NULL;
}

static void close_watch(struct watch *w) {
    if (w->fd < 0) return;
    watch_remove(w);
    close(w->fd);
    w->fd = -1;
}

static void relay_close(struct relay *r) {
    for (struct relay **p = &relays; *p != NULL; p = &(*p)->next) {
        if (*p == r) {
            *p = r->next;
            break;
        }
    }
    close_watch(&r->target);
    /* what the parent sent that we will not relay is read first: closing over unread data would reset its end */
    char sink[65536];
    while (r->peer.fd >= 0 && read(r->peer.fd, sink, sizeof(sink)) > 0) {
    }
    close_watch(&r->peer);
    buf_free(&r->to_peer);
    buf_free(&r->to_target);
    free_later(r);
}

/* What each side waits for now; closes the relay once it is over. */
static void relay_update(struct relay *r) {
    if (r->target_eof && buf_pending(&r->to_peer) == 0 && !r->peer_shut) {
        shutdown(r->peer.fd, SHUT_WR);
        r->peer_shut = 1;
    }
    /* a datagram socket only receives: the parent closing its end is the end */
    if (r->peer_eof && r->kind == STREAM_DATAGRAM) return relay_close(r);
    if (r->peer_eof && buf_pending(&r->to_target) == 0 && !r->target_shut && r->kind != STREAM_PTY) {
        shutdown(r->target.fd, SHUT_WR);
        r->target_shut = 1;
    }
    /* A terminal or an attach session is over when the program's side is; a TCP stream when both are. */
    int over = r->peer_shut && (r->kind != STREAM_PLAIN || r->target_shut);
    if (over) return relay_close(r);
    size_t room_to_target = r->kind == STREAM_SEQPACKET ? (buf_pending(&r->to_target) == 0) : buf_pending(&r->to_target) < RELAY_BUFFER;
    size_t room_to_peer = buf_pending(&r->to_peer) + 65536 + 5 <= RELAY_BUFFER;
    watch_set(&r->target, (!r->target_eof && room_to_peer ? EPOLLIN : 0) | (buf_pending(&r->to_target) ? EPOLLOUT : 0));
    watch_set(&r->peer, (!r->peer_eof && room_to_target ? EPOLLIN : 0) | (buf_pending(&r->to_peer) ? EPOLLOUT : 0));
}

static int again(ssize_t n) {
    return n < 0 && (errno == EAGAIN || errno == EINTR);
}

static void on_target(struct watch *w, uint32_t events) {
    struct relay *r = w->owner;
    if ((events & EPOLLOUT) && buf_pending(&r->to_target) > 0) {
        ssize_t n = r->kind == STREAM_SEQPACKET
            ? send(w->fd, r->to_target.data + r->to_target.off, buf_pending(&r->to_target), MSG_NOSIGNAL)
            : write(w->fd, r->to_target.data + r->to_target.off, buf_pending(&r->to_target));
        if (n < 0 && !again(n)) return relay_close(r);
        if (n > 0) buf_consume(&r->to_target, r->kind == STREAM_SEQPACKET ? buf_pending(&r->to_target) : (size_t)n);
    }
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR) && r->kind == STREAM_DATAGRAM) {
        ssize_t n = datagram_read(w->fd, &r->to_peer);
        if (n < 0 && !again(n)) return relay_close(r);
    } else if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        char chunk[65536];
        ssize_t n = read(w->fd, chunk, sizeof(chunk));
        if (again(n)) return relay_update(r);
        /* a terminal's master side reads EIO once the program's side is closed */
        if (n == 0 || (n < 0 && r->kind == STREAM_PTY && errno == EIO)) r->target_eof = 1;
        else if (n < 0) return relay_close(r);
        else if (r->kind == STREAM_SEQPACKET) {
            /* conmon's packet: a stream byte, then data; to the parent: the byte, a u32 BE length, the data */
            uint32_t len = (uint32_t)n - 1;
            unsigned char head[5] = {(unsigned char)chunk[0], len >> 24, (len >> 16) & 0xff, (len >> 8) & 0xff, len & 0xff};
            buf_append(&r->to_peer, head, 5);
            buf_append(&r->to_peer, chunk + 1, len);
        } else buf_append(&r->to_peer, chunk, (size_t)n);
    }
    relay_update(r);
}

static void on_peer(struct watch *w, uint32_t events) {
    struct relay *r = w->owner;
    if ((events & EPOLLOUT) && buf_pending(&r->to_peer) > 0) {
        ssize_t n = send(w->fd, r->to_peer.data + r->to_peer.off, buf_pending(&r->to_peer), MSG_NOSIGNAL);
        if (n < 0 && !again(n)) return relay_close(r);
        if (n > 0) buf_consume(&r->to_peer, (size_t)n);
    }
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        char chunk[65536];
        size_t want = r->kind == STREAM_SEQPACKET ? PACKET_MAX : sizeof(chunk);
        ssize_t n = read(w->fd, chunk, want);
        if (again(n)) return relay_update(r);
        if (n < 0) return relay_close(r);
        if (n == 0) r->peer_eof = 1;
        else buf_append(&r->to_target, chunk, (size_t)n);
    }
    relay_update(r);
}

static void relay_start(int target, int peer, int kind) {
    struct relay *r = xmalloc(sizeof(*r));
    r->kind = kind;
    r->target = (struct watch){.fd = target, .on_event = on_target, .owner = r};
    r->peer = (struct watch){.fd = peer, .on_event = on_peer, .owner = r};
    set_nonblock(target);
    set_nonblock(peer);
    r->next = relays;
    relays = r;
    relay_update(r);
}

static void offer_remove(struct offer *o) {
    for (struct offer **p = &offers; *p != NULL; p = &(*p)->next) {
        if (*p == o) {
            *p = o->next;
            break;
        }
    }
    if (o->connecting) watch_remove(&o->w);
    free(o->id);
    free_later(o);
}

static void offer_announce(struct offer *o) {
    o->connecting = 0;
    watch_remove(&o->w);
    o->expires = time(NULL) + OFFER_TTL_SECONDS;
    struct answer a;
    answer_begin(&a, o->id, "stream");
    answer_add(&a, o->token, TOKEN_SIZE);
    answer_send(&a);
}

static struct offer *offer_new(const char *id, int fd, int kind) {
    struct offer *o = xmalloc(sizeof(*o));
    o->w = (struct watch){.fd = fd, .owner = o};
    o->id = strdup(id);
    o->kind = kind;
    if (getrandom(o->token, TOKEN_SIZE, 0) != TOKEN_SIZE) die("getrandom: %s", strerror(errno));
    o->next = offers;
    offers = o;
    return o;
}

int stream_offer(const char *id, int fd, int kind) {
    offer_announce(offer_new(id, fd, kind));
    return 0;
}

int stream_cancel(const char *id) {
    for (struct offer *o = offers; o != NULL; o = o->next) {
        if (strcmp(o->id, id) != 0) continue;
        close(o->w.fd);
        o->w.fd = -1;
        offer_remove(o);
        return 0;
    }
    return -1;
}

static void greeter_remove(struct greeter *g, int close_fd) {
    for (struct greeter **p = &greeters; *p != NULL; p = &(*p)->next) {
        if (*p == g) {
            *p = g->next;
            break;
        }
    }
    watch_remove(&g->w);
    if (close_fd) close(g->w.fd);
    g->w.fd = -1;
    free_later(g);
}

static void on_greeter(struct watch *w, uint32_t events) {
    (void)events;
    struct greeter *g = w->owner;
    ssize_t n = read(w->fd, g->token + g->got, TOKEN_SIZE - g->got);
    if (again(n)) return;
    if (n <= 0) return greeter_remove(g, 1);
    g->got += (size_t)n;
    if (g->got < TOKEN_SIZE) return;
    for (struct offer *o = offers; o != NULL; o = o->next) {
        if (o->connecting || memcmp(o->token, g->token, TOKEN_SIZE) != 0) continue;
        int peer = g->w.fd, target = o->w.fd, kind = o->kind;
        greeter_remove(g, 0);
        offer_remove(o);
        relay_start(target, peer, kind);
        return;
    }
    greeter_remove(g, 1);
}

static void on_listener(struct watch *w, uint32_t events) {
    (void)events;
    int fd;
    while ((fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
        struct ucred cred;
        socklen_t len = sizeof(cred);
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.pid != parent_pid) {
            close(fd);
            continue;
        }
        struct greeter *g = xmalloc(sizeof(*g));
        g->w = (struct watch){.fd = fd, .on_event = on_greeter, .owner = g};
        g->expires = time(NULL) + OFFER_TTL_SECONDS;
        g->next = greeters;
        greeters = g;
        watch_set(&g->w, EPOLLIN);
    }
}

void streams_init(void) {
    unsigned char random[8];
    if (getrandom(random, sizeof(random), 0) != sizeof(random)) die("getrandom: %s", strerror(errno));
    int n = snprintf(name, sizeof(name), "shimkit-helper/%d/", (int)getpid());
    for (size_t i = 0; i < sizeof(random); i++) n += snprintf(name + n, sizeof(name) - (size_t)n, "%02x", random[i]);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    memcpy(addr.sun_path + 1, name, strlen(name));
    listener.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    /* the whole sun_path, NUL-padded: how Node names an abstract socket it connects to */
    socklen_t size = sizeof(addr);
    if (listener.fd < 0 || bind(listener.fd, (struct sockaddr *)&addr, size) < 0 || listen(listener.fd, 128) < 0) die("stream listener: %s", strerror(errno));
    listener.on_event = on_listener;
    watch_set(&listener, EPOLLIN);
}

void streams_expire(void) {
    time_t now = time(NULL);
    for (struct offer *o = offers, *next; o != NULL; o = next) {
        next = o->next;
        if (o->connecting || o->expires > now) continue;
        close(o->w.fd);
        o->w.fd = -1;
        offer_remove(o);
    }
    for (struct greeter *g = greeters, *next; g != NULL; g = next) {
        next = g->next;
        if (g->expires <= now) greeter_remove(g, 1);
    }
}

void streams_close_all(void) {
    close_watch(&listener);
    while (offers != NULL) stream_cancel(offers->id);
    while (greeters != NULL) greeter_remove(greeters, 1);
    while (relays != NULL) relay_close(relays);
}

static void on_connected(struct watch *w, uint32_t events) {
    (void)events;
    struct offer *o = w->owner;
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(w->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
    if (err == 0) return offer_announce(o);
    answer_error(o->id, err, "%s", strerror(err));
    watch_remove(w);
    o->connecting = 0;
    close(w->fd);
    w->fd = -1;
    offer_remove(o);
}

/*
 * connect ID NETNS HOST PORT: a TCP connection to HOST:PORT made inside the network namespace at
 * NETNS (ours when empty). Answers `stream TOKEN` once connected, or `error ERRNO TEXT`.
 */
void op_connect(const char *id, const struct frame *f) {
    if (f->count < 5) return answer_error(id, EINVAL, "connect: bad request");
    char *netns = f->fields[2].len ? field_str(&f->fields[2]) : NULL, *host = field_str(&f->fields[3]);
    struct sockaddr_storage addr = {0};
    socklen_t size;
    int port = (int)field_num(&f->fields[4]);
    int family = strchr(host, ':') ? AF_INET6 : AF_INET;
    int ok = family == AF_INET6 ? inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)&addr)->sin6_addr)
                                : inet_pton(AF_INET, host, &((struct sockaddr_in *)&addr)->sin_addr);
    if (family == AF_INET6) {
        ((struct sockaddr_in6 *)&addr)->sin6_family = AF_INET6;
        ((struct sockaddr_in6 *)&addr)->sin6_port = htons((uint16_t)port);
        size = sizeof(struct sockaddr_in6);
    } else {
        ((struct sockaddr_in *)&addr)->sin_family = AF_INET;
        ((struct sockaddr_in *)&addr)->sin_port = htons((uint16_t)port);
        size = sizeof(struct sockaddr_in);
    }
    int fd = -1, err = 0;
    if (ok != 1 || port <= 0 || port > 65535) err = EINVAL;
    else if (netns != NULL && (err = enter_ns(netns, CLONE_NEWNET)) != 0) {
        go_home(CLONE_NEWNET);
        answer_error(id, err, "entering %s: %s", netns, strerror(err));
        goto out;
    }
    if (!err) {
        fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) err = errno;
    }
    if (netns != NULL) go_home(CLONE_NEWNET);
    if (err == EINVAL) {
        answer_error(id, err, "bad address %s port %d", host, port);
    } else if (err) {
        answer_error(id, err, "socket: %s", strerror(err));
    } else if (connect(fd, (struct sockaddr *)&addr, size) == 0) {
        stream_offer(id, fd, STREAM_PLAIN);
    } else if (errno == EINPROGRESS) {
        struct offer *o = offer_new(id, fd, STREAM_PLAIN);
        o->connecting = 1;
        o->w.on_event = on_connected;
        watch_set(&o->w, EPOLLOUT);
    } else {
        answer_error(id, errno, "%s", strerror(errno));
        close(fd);
    }
out:
    free(netns);
    free(host);
}

/*
 * seqpacket ID PATH: connects to the SOCK_SEQPACKET socket at PATH (any length). Each packet
 * that comes, a stream byte then data, reaches the parent as the byte, a u32 big-endian length
 * and the data; what the parent sends goes out in packets of at most 8 KiB; its end of input
 * shuts down our sending side. Answers `stream TOKEN` or `error ERRNO TEXT`.
 */
void op_seqpacket(const char *id, const struct frame *f) {
    if (f->count < 3 || f->fields[2].len == 0) return answer_error(id, EINVAL, "seqpacket: bad request");
    char *path = field_str(&f->fields[2]);
    char *slash = strrchr(path, '/');
    int dir = -1;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    /* a long path is reached through its directory's fd */
    if (strlen(path) >= sizeof(addr.sun_path) && slash != NULL) {
        *slash = '\0';
        dir = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        *slash = '/';
        snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/%s", dir, slash + 1);
    } else snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0) stream_offer(id, fd, STREAM_SEQPACKET);
    else {
        answer_error(id, errno, "connect to %s: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
    }
    if (dir >= 0) close(dir);
    free(path);
}
