/*
 * Unix datagrams, which Node cannot send or receive: sd_notify messages to $NOTIFY_SOCKET, and
 * a bound datagram socket (a stand-in notify socket) whose messages are relayed to the parent.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "helper.h"

/* An AF_UNIX address for PATH; a leading '@' names an abstract socket. 0, or -1 when too long. */
static int unix_address(const char *path, struct sockaddr_un *addr, socklen_t *len) {
    size_t n = strlen(path);
    *addr = (struct sockaddr_un){.sun_family = AF_UNIX};
    if (n == 0 || n >= sizeof(addr->sun_path)) return -1;
    memcpy(addr->sun_path, path, n);
    if (path[0] == '@') addr->sun_path[0] = '\0';
    *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (path[0] == '@' ? 0 : 1));
    return 0;
}

/*
 * notify ID PATH DATA: sends DATA as one datagram to the socket at PATH, with the parent's pid
 * as its credentials (as sd_pid_notify does, so that systemd's NotifyAccess=main accepts it);
 * where that is not allowed, with our own. Answers `ok` or `error ERRNO TEXT`.
 */
void op_notify(const char *id, const struct frame *f) {
    if (f->count < 4) return answer_error(id, EINVAL, "notify: bad request");
    char *path = field_str(&f->fields[2]);
    struct sockaddr_un addr;
    socklen_t len;
    int fd = -1;
    if (unix_address(path, &addr, &len) != 0) {
        answer_error(id, ENAMETOOLONG, "notify socket %s: empty or too long", path);
        goto done;
    }
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        answer_error(id, errno, "socket: %s", strerror(errno));
        goto done;
    }
    struct iovec iov = {.iov_base = (void *)f->fields[3].data, .iov_len = f->fields[3].len};
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(struct ucred))];
    } control = {0};
    struct msghdr msg = {.msg_name = &addr, .msg_namelen = len, .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof(control.buf)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_CREDENTIALS;
    c->cmsg_len = CMSG_LEN(sizeof(struct ucred));
    struct ucred cred = {.pid = parent_pid, .uid = getuid(), .gid = getgid()};
    memcpy(CMSG_DATA(c), &cred, sizeof(cred));
    ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n < 0 && errno == EPERM) {
        msg.msg_control = NULL;
        msg.msg_controllen = 0;
        n = sendmsg(fd, &msg, MSG_NOSIGNAL);
    }
    if (n < 0) answer_error(id, errno, "send to %s: %s", path, strerror(errno));
    else answer_ok(id);
done:
    if (fd >= 0) close(fd);
    free(path);
}

/*
 * datagrams ID PATH: binds a datagram socket at PATH (created; '@' for abstract) and offers it as
 * a stream: each datagram reaches the parent as the sender's pid and the data's length (u32
 * big-endian each), then the data. Answers `stream TOKEN` or `error ERRNO TEXT`.
 */
void op_datagrams(const char *id, const struct frame *f) {
    if (f->count < 3) return answer_error(id, EINVAL, "datagrams: bad request");
    char *path = field_str(&f->fields[2]);
    struct sockaddr_un addr;
    socklen_t len;
    int on = 1;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (unix_address(path, &addr, &len) != 0) answer_error(id, ENAMETOOLONG, "datagram socket %s: empty or too long", path);
    else if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) != 0 || bind(fd, (struct sockaddr *)&addr, len) != 0) answer_error(id, errno, "bind %s: %s", path, strerror(errno));
    else {
        stream_offer(id, fd, STREAM_DATAGRAM);
        fd = -1;
    }
    if (fd >= 0) close(fd);
    free(path);
}

/* Reads one datagram from FD into OUT as pid, length, data (see op_datagrams). Returns recvmsg's result. */
ssize_t datagram_read(int fd, struct buf *out) {
    char data[65536];
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(struct ucred))];
    } control;
    struct iovec iov = {.iov_base = data, .iov_len = sizeof(data)};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof(control.buf)};
    ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
    if (n < 0) return n;
    uint32_t pid = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_CREDENTIALS) continue;
        struct ucred cred;
        memcpy(&cred, CMSG_DATA(c), sizeof(cred));
        pid = (uint32_t)cred.pid;
    }
    uint32_t size = (uint32_t)n;
    unsigned char head[8] = {pid >> 24, (pid >> 16) & 0xff, (pid >> 8) & 0xff, pid & 0xff, size >> 24, (size >> 16) & 0xff, (size >> 8) & 0xff, size & 0xff};
    buf_append(out, head, 8);
    buf_append(out, data, (size_t)n);
    return n;
}
