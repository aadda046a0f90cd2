/* Start-up, the event loop and the control channel to the parent. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "helper.h"

pid_t parent_pid;
static int epoll_fd;
static struct watch control_in, control_out, child_signals;
static struct buf input, output;
static int input_open = 1;
static void **graveyard;
static size_t graveyard_len, graveyard_cap;

void free_later(void *p) {
    if (graveyard_len == graveyard_cap) {
        graveyard_cap = graveyard_cap ? graveyard_cap * 2 : 16;
        graveyard = realloc(graveyard, graveyard_cap * sizeof(void *));
        if (graveyard == NULL) die("out of memory");
    }
    graveyard[graveyard_len++] = p;
}

void *xmalloc(size_t n) {
    void *p = calloc(1, n ? n : 1);
    if (p == NULL) die("out of memory");
    return p;
}

void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("shimkit-helper: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

int set_nonblock(int fd) {
    int flags = fcntl(fd, F_GETFL);
    return flags < 0 ? -1 : fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

/*
 * Watches `w` for `events`. With none it leaves the loop: epoll reports a hang-up even to a
 * watch that asked for nothing, which would wake the loop for ever.
 */
void watch_set(struct watch *w, uint32_t events) {
    if (events == 0) return watch_remove(w);
    struct epoll_event ev = {.events = events, .data.ptr = w};
    if (epoll_ctl(epoll_fd, EPOLL_CTL_MOD, w->fd, &ev) == 0) return;
    if (errno != ENOENT || epoll_ctl(epoll_fd, EPOLL_CTL_ADD, w->fd, &ev) != 0) die("epoll_ctl fd %d: %s", w->fd, strerror(errno));
}

void watch_remove(struct watch *w) {
    epoll_ctl(epoll_fd, EPOLL_CTL_DEL, w->fd, NULL);
}

static void flush_output(void) {
    while (buf_pending(&output) > 0) {
        ssize_t n = write(control_out.fd, output.data + output.off, buf_pending(&output));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) break;
        if (n < 0) exit(0); /* the parent is gone: nobody reads answers any more */
        buf_consume(&output, (size_t)n);
    }
    watch_set(&control_out, buf_pending(&output) > 0 ? EPOLLOUT : 0);
}

void answer_send(struct answer *a) {
    uint32_t size = (uint32_t)buf_pending(&a->body);
    unsigned char u[4] = {size & 0xff, (size >> 8) & 0xff, (size >> 16) & 0xff, (size >> 24) & 0xff};
    buf_append(&output, u, 4);
    buf_append(&output, a->body.data + a->body.off, size);
    buf_free(&a->body);
    flush_output();
}

static void on_control_out(struct watch *w, uint32_t events) {
    (void)w;
    (void)events;
    flush_output();
}

struct operation {
    const char *name;
    void (*run)(const char *id, const struct frame *f);
};

static const struct operation operations[] = {
    {"run", op_run},         {"pty", op_pty},       {"feed", op_feed},   {"kill", op_kill},
    {"resize", op_resize},   {"mount", op_mount},   {"umount", op_umount}, {"mknod", op_mknod},
    {"setxattr", op_setxattr}, {"getxattr", op_getxattr}, {"listxattr", op_listxattr}, {"pin", op_pin},     {"idmap", op_idmap},     {"connect", op_connect}, {"seqpacket", op_seqpacket},
    {"notify", op_notify},   {"datagrams", op_datagrams}, {"console", op_console},
};

static void dispatch(const struct frame *f) {
    if (f->count < 2) return;
    char *op = field_str(&f->fields[0]);
    char *id = field_str(&f->fields[1]);
    size_t i;
    for (i = 0; i < sizeof(operations) / sizeof(operations[0]); i++) {
        if (strcmp(op, operations[i].name) == 0) break;
    }
    if (i == sizeof(operations) / sizeof(operations[0])) answer_error(id, EINVAL, "unknown operation %s", op);
    else operations[i].run(id, f);
    free(op);
    free(id);
}

static void on_control_in(struct watch *w, uint32_t events) {
    (void)events;
    char chunk[65536];
    ssize_t n = read(w->fd, chunk, sizeof(chunk));
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0) {
        /* The parent closed us (or died): nobody will feed what waits, nor read a stream. */
        input_open = 0;
        watch_remove(w);
        jobs_input_closed();
        streams_close_all();
        return;
    }
    buf_append(&input, chunk, (size_t)n);
    struct frame f;
    long size;
    while ((size = frame_parse(&input, &f)) > 0) {
        dispatch(&f);
        buf_consume(&input, (size_t)size);
    }
    if (size < 0) die("malformed request frame");
}

static void on_child_signal(struct watch *w, uint32_t events) {
    (void)events;
    struct signalfd_siginfo info;
    while (read(w->fd, &info, sizeof(info)) == sizeof(info)) {
    }
    jobs_reap();
}

/* Moves the control pipes off 0 and 1 (close-on-exec) so no job inherits them by accident. */
static void take_control_fds(void) {
    control_in.fd = fcntl(0, F_DUPFD_CLOEXEC, 3);
    control_out.fd = fcntl(1, F_DUPFD_CLOEXEC, 3);
    if (control_in.fd < 0 || control_out.fd < 0) die("no control pipes on stdin and stdout: %s", strerror(errno));
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0) die("/dev/null: %s", strerror(errno));
    close(null);
    set_nonblock(control_in.fd);
    set_nonblock(control_out.fd);
    control_in.on_event = on_control_in;
    control_out.on_event = on_control_out;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        puts("shimkit-helper 1");
        return 0;
    }
    parent_pid = getppid();
    take_control_fds();
    signal(SIGPIPE, SIG_IGN);
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    child_signals.fd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    child_signals.on_event = on_child_signal;
    epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd < 0 || child_signals.fd < 0) die("epoll/signalfd: %s", strerror(errno));
    watch_set(&control_in, EPOLLIN);
    watch_set(&control_out, 0);
    watch_set(&child_signals, EPOLLIN);
    streams_init();
    namespaces_init();

    struct answer hello;
    answer_begin(&hello, "0", "hello");
    answer_add_str(&hello, streams_name());
    answer_send(&hello);

    while (input_open || jobs_active() || buf_pending(&output) > 0) {
        struct epoll_event events[64];
        int n = epoll_wait(epoll_fd, events, 64, streams_waiting() ? 1000 : -1);
        if (n < 0 && errno != EINTR) die("epoll_wait: %s", strerror(errno));
        for (int i = 0; i < n; i++) {
            struct watch *w = events[i].data.ptr;
            if (w->fd < 0) continue; /* closed earlier in this turn */
            w->on_event(w, events[i].events);
        }
        streams_expire();
        while (graveyard_len > 0) free(graveyard[--graveyard_len]);
    }
    return 0;
}
