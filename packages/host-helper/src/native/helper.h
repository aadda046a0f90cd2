/*
 * shimkit-helper: the system calls Node cannot make, for one Node process.
 *
 * The parent talks to it over stdin (requests) and stdout (answers) in frames: a little-endian
 * u32 length, then fields, each a little-endian u32 length and its bytes. A request's fields are
 * the operation, a request id, then the operation's arguments; an answer's are the request id,
 * its kind, then the values. The TypeScript client (src/host-helper.ts) documents each operation.
 */
#ifndef SHIMKIT_HELPER_H
#define SHIMKIT_HELPER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MAX_FIELDS 256

/* A growable byte buffer; `off` bytes at the front are already consumed. */
struct buf {
    char *data;
    size_t len;
    size_t off;
    size_t cap;
};

void buf_append(struct buf *b, const void *data, size_t n);
void buf_consume(struct buf *b, size_t n);
size_t buf_pending(const struct buf *b);
void buf_free(struct buf *b);

/* One field of a frame: not NUL-terminated in the frame; `str` copies it with a NUL. */
struct field {
    const char *data;
    uint32_t len;
};

struct frame {
    struct field fields[MAX_FIELDS];
    int count;
};

/* Parses the first complete frame of `b`; returns its total size, 0 if incomplete, -1 if malformed. */
long frame_parse(const struct buf *b, struct frame *f);
char *field_str(const struct field *f);
long long field_num(const struct field *f);

/* Answers: written to the parent as one frame. */
struct answer {
    struct buf body;
};
void answer_begin(struct answer *a, const char *id, const char *kind);
void answer_add(struct answer *a, const void *data, size_t n);
void answer_add_str(struct answer *a, const char *s);
void answer_add_num(struct answer *a, long long n);
void answer_send(struct answer *a);
void answer_error(const char *id, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void answer_ok(const char *id);

/* The event loop: each watched fd carries one of these as its epoll data. */
struct watch;
typedef void (*watch_fn)(struct watch *w, uint32_t events);
struct watch {
    int fd;
    watch_fn on_event;
    void *owner;
};
void watch_set(struct watch *w, uint32_t events);
void watch_remove(struct watch *w);
/* Frees `p` once the events of this loop turn are handled (another watch may still point at it). */
void free_later(void *p);

/* Operations (each answers its request itself, now or later). */
void op_run(const char *id, const struct frame *f);
void op_pty(const char *id, const struct frame *f);
void op_feed(const char *id, const struct frame *f);
void op_kill(const char *id, const struct frame *f);
void op_resize(const char *id, const struct frame *f);
void op_mount(const char *id, const struct frame *f);
void op_umount(const char *id, const struct frame *f);
void op_mknod(const char *id, const struct frame *f);
void op_setxattr(const char *id, const struct frame *f);
void op_getxattr(const char *id, const struct frame *f);
void op_listxattr(const char *id, const struct frame *f);
void op_pin(const char *id, const struct frame *f);
void op_connect(const char *id, const struct frame *f);
void op_seqpacket(const char *id, const struct frame *f);
void op_idmap(const char *id, const struct frame *f);
void op_notify(const char *id, const struct frame *f);
void op_datagrams(const char *id, const struct frame *f);
void op_console(const char *id, const struct frame *f);

/* Jobs (jobs.c). */
void jobs_reap(void);
void jobs_input_closed(void);
int jobs_active(void);
int job_kill(const char *id, int sig);

/* Streams (streams.c). */
void streams_init(void);
const char *streams_name(void);
int stream_offer(const char *id, int fd, int kind);
int stream_cancel(const char *id);
void streams_expire(void);
int streams_waiting(void);
void streams_close_all(void);

/* Namespaces (kernel-calls.c): enter one by path (0 or an errno); go back to ours (CLONE_NEW* bits). */
void namespaces_init(void);
int enter_ns(const char *path, int type);
void go_home(int types);

enum stream_kind { STREAM_PLAIN, STREAM_SEQPACKET, STREAM_PTY, STREAM_DATAGRAM };

/* Console sockets (console.c): a listening socket at PATH; the terminal fd of one message (-1 and errno). */
int console_listen(const char *path);
int console_receive(int conn);

/* Datagrams (datagrams.c): one datagram of FD appended to OUT as pid, length, data. */
ssize_t datagram_read(int fd, struct buf *out);

/* Small helpers (main.c). */
void *xmalloc(size_t n);
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
int set_nonblock(int fd);
extern pid_t parent_pid;

#endif
