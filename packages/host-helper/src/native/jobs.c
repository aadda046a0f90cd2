/*
 * Jobs: programs run to their end for the parent, forked from this small process (a fork of the
 * parent would copy its whole address space). Output is captured, discarded or appended to a
 * file; extra pipes on fd 3, 4, ... deliver a first line, bytes, or stay held until fed.
 */
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "helper.h"

#define MAX_CAPTURE (16 * 1024 * 1024)
#define MAX_TARGETS 64

struct job;

/* A pipe whose bytes the job writes: stdout, stderr, or a first-line fd. */
struct reader {
    struct watch w;
    struct job *job;
    struct buf *into;
    int line; /* read only up to the first newline */
};

/* Bytes to write to a pipe the job reads, then close it. */
struct writer {
    struct watch w;
    struct buf data;
};

struct held {
    int target;
    int fd;
};

struct job {
    char *id;
    pid_t pid;
    int status;
    int reaped;
    int readers;
    struct buf out, err;
    struct buf *lines;
    int line_count;
    struct held held[MAX_TARGETS];
    int held_count;
    struct reader *reader_list[MAX_TARGETS];
    int pty; /* the terminal's master side, for resizes (-1: none) */
    /*
     * A console job's runtime hands the terminal over a console socket and exits; the job then
     * follows the process whose pid the runtime wrote to `pid_file` (see op_console).
     */
    struct watch console; /* the listening socket, then the runtime's connection; fd -1 when done */
    char *console_path;
    char *pid_file;       /* set until the runtime exits */
    int console_pending;  /* no terminal yet */
    int runtime_failed;   /* the runtime ended without leaving a process to follow */
    struct winsize size;
    struct job *next;
};

static struct job *jobs;

/*
 * Exits of children that are no job (yet): a console job's process becomes our child when its
 * runtime exits (we are a subreaper), and may be reaped before the runtime's exit is handled.
 */
#define MAX_UNCLAIMED 64
static struct {
    pid_t pid;
    int status;
} unclaimed[MAX_UNCLAIMED];
static int unclaimed_next;

int jobs_active(void) {
    return jobs != NULL;
}

static struct job *find_job(const char *id) {
    for (struct job *j = jobs; j != NULL; j = j->next) {
        if (strcmp(j->id, id) == 0) return j;
    }
    return NULL;
}

static void unlink_job(struct job *job) {
    for (struct job **p = &jobs; *p != NULL; p = &(*p)->next) {
        if (*p == job) {
            *p = job->next;
            return;
        }
    }
}

static void answer_exit(struct job *job) {
    int st = job->status;
    if (job->runtime_failed) {
        buf_append(&job->err, "", 1);
        const char *stderr_text = job->err.data + job->err.off;
        int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        if (job->console_pending) return answer_error(job->id, EIO, "the runtime exited with %d before it handed over a terminal: %s", code, stderr_text);
        return answer_error(job->id, EIO, "the runtime exited with %d: %s", code, stderr_text);
    }
    struct answer a;
    answer_begin(&a, job->id, "exit");
    answer_add_num(&a, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    answer_add_num(&a, WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    answer_add(&a, job->out.data + job->out.off, buf_pending(&job->out));
    answer_add(&a, job->err.data + job->err.off, buf_pending(&job->err));
    for (int i = 0; i < job->line_count; i++) answer_add(&a, job->lines[i].data, buf_pending(&job->lines[i]));
    answer_send(&a);
}

static void console_close(struct job *job) {
    if (job->console.fd >= 0) {
        watch_remove(&job->console);
        close(job->console.fd);
        job->console.fd = -1;
    }
    if (job->console_path != NULL) unlink(job->console_path);
    free(job->console_path);
    job->console_path = NULL;
}

static void finish(struct job *job) {
    if (!job->reaped || job->readers > 0) return;
    for (int i = 0; i < job->held_count; i++) close(job->held[i].fd);
    if (job->pty >= 0) close(job->pty);
    console_close(job);
    answer_exit(job);
    unlink_job(job);
    buf_free(&job->out);
    buf_free(&job->err);
    for (int i = 0; i < job->line_count; i++) buf_free(&job->lines[i]);
    free(job->lines);
    free(job->pid_file);
    free(job->id);
    free_later(job); /* its console watch may have events later in this loop turn */
}

static void drop_reader(struct reader *r) {
    for (int i = 0; i < MAX_TARGETS; i++) {
        if (r->job->reader_list[i] == r) r->job->reader_list[i] = NULL;
    }
    watch_remove(&r->w);
    close(r->w.fd);
    r->w.fd = -1;
    free_later(r);
    r->job->readers--;
    finish(r->job);
}

static void on_reader(struct watch *w, uint32_t events) {
    (void)events;
    struct reader *r = w->owner;
    char chunk[65536];
    ssize_t n = read(w->fd, chunk, sizeof(chunk));
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0) return drop_reader(r);
    size_t keep = (size_t)n;
    if (r->line) {
        char *nl = memchr(chunk, '\n', (size_t)n);
        if (nl != NULL) keep = (size_t)(nl - chunk);
    }
    size_t room = MAX_CAPTURE - buf_pending(r->into);
    buf_append(r->into, chunk, keep < room ? keep : room);
    if (r->line && keep < (size_t)n) drop_reader(r);
}

static void on_writer(struct watch *w, uint32_t events) {
    (void)events;
    struct writer *wr = w->owner;
    ssize_t n = write(w->fd, wr->data.data + wr->data.off, buf_pending(&wr->data));
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n > 0) buf_consume(&wr->data, (size_t)n);
    if (n < 0 || buf_pending(&wr->data) == 0) {
        watch_remove(w);
        close(w->fd);
        w->fd = -1;
        buf_free(&wr->data);
        free_later(wr);
    }
}

/* Writes `data` to `fd` (then closes it) as the pipe takes it. */
static void write_then_close(int fd, const char *data, size_t n) {
    if (n == 0) {
        close(fd);
        return;
    }
    struct writer *wr = xmalloc(sizeof(*wr));
    wr->w.fd = fd;
    wr->w.on_event = on_writer;
    wr->w.owner = wr;
    set_nonblock(fd);
    buf_append(&wr->data, data, n);
    watch_set(&wr->w, EPOLLOUT);
}

static void add_reader(struct job *job, int fd, struct buf *into, int line) {
    struct reader *r = xmalloc(sizeof(*r));
    r->w.fd = fd;
    r->w.on_event = on_reader;
    r->w.owner = r;
    r->job = job;
    r->into = into;
    r->line = line;
    for (int i = 0; i < MAX_TARGETS; i++) {
        if (job->reader_list[i] == NULL) {
            job->reader_list[i] = r;
            break;
        }
    }
    job->readers++;
    set_nonblock(fd);
    watch_set(&r->w, EPOLLIN);
}

/* What a target fd of the child becomes: one end of a pipe we made, or a file it opens. */
struct target {
    int fd;
    int source;       /* -1: open `path` */
    const char *path;
    int flags;
};

struct spawn_plan {
    char **argv;
    char **env; /* KEY=value entries set over ours */
    const char *cwd;
    struct target targets[MAX_TARGETS];
    int target_count;
    int die_with_us;
    int terminal; /* make fd 0 the controlling terminal of a new session */
};

static void child_fail(int report, const char *what) {
    char text[1024];
    int n = snprintf(text, sizeof(text), "%d %s: %s", errno, what, strerror(errno));
    if (write(report, text, (size_t)n) < 0) _exit(126);
    _exit(127);
}

static void run_child(const struct spawn_plan *p, int report) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    if (p->terminal && setsid() < 0) child_fail(report, "setsid");
    /* Every source goes above the targets first, so no dup3 clobbers another's source. */
    int high[MAX_TARGETS];
    for (int i = 0; i < p->target_count; i++) {
        const struct target *t = &p->targets[i];
        int src = t->source;
        if (src < 0 && (src = open(t->path, t->flags | O_CLOEXEC, 0644)) < 0) child_fail(report, t->path);
        if ((high[i] = fcntl(src, F_DUPFD_CLOEXEC, 100)) < 0) child_fail(report, "dup");
    }
    for (int i = 0; i < p->target_count; i++) {
        if (dup3(high[i], p->targets[i].fd, 0) < 0) child_fail(report, "dup3");
    }
    if (p->terminal && ioctl(0, TIOCSCTTY, 0) < 0) child_fail(report, "TIOCSCTTY");
    if (p->cwd != NULL && chdir(p->cwd) < 0) child_fail(report, p->cwd);
    /* A program waiting on a held fd dies with us rather than read an end of file it would take for its go-ahead. */
    if (p->die_with_us && prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) child_fail(report, "prctl");
    for (char **kv = p->env; *kv != NULL; kv++) putenv(*kv);
    execvp(p->argv[0], p->argv);
    child_fail(report, p->argv[0]);
}

/* Forks and execs; 0 and the pid, or an errno with `message` set. */
static int spawn_plan_run(const struct spawn_plan *p, pid_t *pid, char *message, size_t size) {
    int report[2];
    if (pipe2(report, O_CLOEXEC) < 0) return snprintf(message, size, "pipe: %s", strerror(errno)), errno;
    *pid = fork();
    if (*pid < 0) {
        int err = errno;
        close(report[0]);
        close(report[1]);
        snprintf(message, size, "fork: %s", strerror(err));
        return err;
    }
    if (*pid == 0) run_child(p, report[1]);
    close(report[1]);
    char text[1024];
    size_t got = 0;
    ssize_t n;
    while ((n = read(report[0], text + got, sizeof(text) - 1 - got)) > 0 || (n < 0 && errno == EINTR)) {
        if (n > 0) got += (size_t)n;
    }
    close(report[0]);
    if (got == 0) return 0;
    text[got] = '\0';
    waitpid(*pid, NULL, 0);
    char *space = strchr(text, ' ');
    snprintf(message, size, "exec %s: %s", p->argv[0], space ? space + 1 : text);
    return atoi(text) ? atoi(text) : EIO;
}

/* Splits a NUL-joined list into a NULL-terminated vector of fresh strings. */
static char **split_list(const struct field *f) {
    size_t count = 1;
    for (uint32_t i = 0; i < f->len; i++) count += f->data[i] == '\0';
    char **v = xmalloc((count + 1) * sizeof(char *));
    if (f->len == 0) return v;
    char *all = field_str(f);
    size_t k = 0;
    for (char *s = all; k < count; s += strlen(s) + 1) v[k++] = s;
    return v;
}

static void free_list(char **v) {
    if (v[0] != NULL) free(v[0]);
    free(v);
}

static struct job *new_job(const char *id) {
    struct job *job = xmalloc(sizeof(*job));
    job->id = strdup(id);
    job->pty = -1;
    job->console.fd = -1;
    return job;
}

static void start_job(struct job *job, pid_t pid) {
    job->pid = pid;
    job->next = jobs;
    jobs = job;
}

/*
 * run ID ARGV ENV CWD STDIN STDOUT STDERR FD3 FD4 ...
 * ARGV and ENV are NUL-joined; CWD empty for ours. STDIN: `n` (/dev/null) or `d` and bytes.
 * STDOUT, STDERR: `n` (/dev/null), `p` (captured, 16 MiB kept) or `f` and a path to append to.
 * FDn: `l` (its first line is captured), `d` and bytes, or `h` (held empty until fed).
 * Answers `exit CODE SIGNAL STDOUT STDERR LINE...` (CODE -1 after a signal) or `error ERRNO TEXT`.
 */
/* A pipe between us and a job: `child` becomes the job's fd `target`. */
struct pipe_end {
    int parent, child, target;
    char kind;                 /* p: capture, l: first line, d: bytes to write, h: held */
    const struct field *data;  /* for d: the spec, its bytes after the tag */
    struct buf *into;          /* for p and l */
};

void op_run(const char *id, const struct frame *f) {
    if (f->count < 8 || f->fields[2].len == 0) return answer_error(id, EINVAL, "run: bad request");
    struct job *job = new_job(id);
    struct spawn_plan plan = {.argv = split_list(&f->fields[2]), .env = split_list(&f->fields[3])};
    char *cwd = f->fields[4].len ? field_str(&f->fields[4]) : NULL;
    plan.cwd = cwd;
    char *paths[MAX_TARGETS] = {NULL};
    struct pipe_end pipes[MAX_TARGETS];
    int n_pipes = 0, line = 0, err = 0;
    for (int i = 8; i < f->count; i++) job->line_count += f->fields[i].len == 1 && f->fields[i].data[0] == 'l';
    job->lines = xmalloc((size_t)(job->line_count + 1) * sizeof(struct buf));
    char message[1200] = "";
    for (int i = 5; i < f->count && i - 5 < MAX_TARGETS; i++) {
        const struct field *spec = &f->fields[i];
        int target = i - 5;
        char kind = spec->len ? spec->data[0] : 'n';
        struct target *t = &plan.targets[plan.target_count++];
        *t = (struct target){.fd = target, .source = -1};
        if (kind == 'n') {
            t->path = "/dev/null";
            t->flags = target == 0 ? O_RDONLY : O_WRONLY;
            continue;
        }
        if (kind == 'f') {
            struct field rest = {spec->data + 1, spec->len - 1};
            t->path = paths[target] = field_str(&rest);
            t->flags = O_WRONLY | O_APPEND | O_CREAT;
            continue;
        }
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) < 0) {
            err = errno;
            snprintf(message, sizeof(message), "pipe: %s", strerror(err));
            break;
        }
        int child_reads = kind == 'd' || kind == 'h';
        struct pipe_end *p = &pipes[n_pipes++];
        *p = (struct pipe_end){.parent = fds[child_reads], .child = fds[!child_reads], .target = target, .kind = kind, .data = spec};
        p->into = kind == 'l' ? &job->lines[line++] : target == 1 ? &job->out : &job->err;
        t->source = p->child;
        plan.die_with_us |= kind == 'h';
    }
    pid_t pid = 0;
    if (err == 0) err = spawn_plan_run(&plan, &pid, message, sizeof(message));
    for (int i = 0; i < n_pipes; i++) close(pipes[i].child);
    if (err != 0) {
        for (int i = 0; i < n_pipes; i++) close(pipes[i].parent);
        answer_error(id, err, "%s", message);
        free(job->lines);
        free(job->id);
        free(job);
    } else {
        start_job(job, pid);
        for (int i = 0; i < n_pipes; i++) {
            struct pipe_end *p = &pipes[i];
            if (p->kind == 'h') job->held[job->held_count++] = (struct held){p->target, p->parent};
            else if (p->kind == 'd') write_then_close(p->parent, p->data->data + 1, p->data->len - 1);
            else add_reader(job, p->parent, p->into, p->kind == 'l');
        }
    }
    for (int i = 0; i < MAX_TARGETS; i++) free(paths[i]);
    free(cwd);
    free_list(plan.argv);
    free_list(plan.env);
}

static int open_terminal(int *master, int *slave, unsigned rows, unsigned cols) {
    struct winsize size = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
    if (openpty(master, slave, NULL, NULL, &size) < 0) return errno;
    fcntl(*master, F_SETFD, FD_CLOEXEC);
    fcntl(*slave, F_SETFD, FD_CLOEXEC);
    /* raw and without echo before the program starts: its first output must not get a second CR */
    struct termios mode;
    if (tcgetattr(*slave, &mode) == 0) {
        cfmakeraw(&mode);
        tcsetattr(*slave, TCSANOW, &mode);
    }
    return 0;
}

/*
 * pty ID ARGV ENV CWD ROWS COLS: runs the program on a new terminal (its controlling terminal,
 * in a session of its own). Answers `stream TOKEN` once it runs (the terminal, see streams.c),
 * then `exit CODE SIGNAL` as `run` does.
 */
void op_pty(const char *id, const struct frame *f) {
    if (f->count < 7 || f->fields[2].len == 0) return answer_error(id, EINVAL, "pty: bad request");
    int master, slave;
    int err = open_terminal(&master, &slave, (unsigned)field_num(&f->fields[5]), (unsigned)field_num(&f->fields[6]));
    if (err != 0) return answer_error(id, err, "openpty: %s", strerror(err));
    struct spawn_plan plan = {.argv = split_list(&f->fields[2]), .env = split_list(&f->fields[3]), .terminal = 1};
    char *cwd = f->fields[4].len ? field_str(&f->fields[4]) : NULL;
    plan.cwd = cwd;
    for (int i = 0; i < 3; i++) plan.targets[plan.target_count++] = (struct target){.fd = i, .source = slave};
    char message[1200];
    pid_t pid;
    err = spawn_plan_run(&plan, &pid, message, sizeof(message));
    close(slave);
    if (err != 0) {
        close(master);
        answer_error(id, err, "%s", message);
    } else {
        struct job *job = new_job(id);
        job->pty = fcntl(master, F_DUPFD_CLOEXEC, 3);
        start_job(job, pid);
        stream_offer(id, master, STREAM_PTY);
    }
    free(cwd);
    free_list(plan.argv);
    free_list(plan.env);
}

static void on_console(struct watch *w, uint32_t events) {
    (void)events;
    struct job *job = w->owner;
    if (job->console_path != NULL) {
        /* the listening socket: take the runtime's connection and listen no more */
        int conn = accept4(w->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (conn < 0 && (errno == EAGAIN || errno == EINTR)) return;
        console_close(job);
        if (conn < 0) return;
        job->console.fd = conn;
        return watch_set(&job->console, EPOLLIN);
    }
    int master = console_receive(w->fd);
    if (master < 0 && (errno == EAGAIN || errno == EINTR)) return;
    console_close(job);
    if (master < 0) return; /* the runtime fails without a terminal: its exit says why */
    ioctl(master, TIOCSWINSZ, &job->size);
    job->pty = fcntl(master, F_DUPFD_CLOEXEC, 3);
    job->console_pending = 0;
    stream_offer(job->id, master, STREAM_PTY);
}

/*
 * console ID ARGV ENV CWD SOCKET PIDFILE ROWS COLS: runs an OCI runtime that makes the terminal
 * itself and hands it over a console socket, then exits (`runc exec --detach --console-socket
 * SOCKET --pid-file PIDFILE`). We listen on SOCKET, answer `stream TOKEN` with the terminal
 * (ROWS x COLS), and once the runtime has exited, follow the process in PIDFILE: it becomes our
 * child (we are a subreaper), and its end is the job's `exit CODE SIGNAL`. A runtime that fails
 * before it hands over a terminal is answered `error` with its stderr. Unlike `pty`, no terminal
 * of ours is between the runtime's and the reader: the runtime's output settings hold from the
 * first byte.
 */
void op_console(const char *id, const struct frame *f) {
    if (f->count < 9 || f->fields[2].len == 0 || f->fields[5].len == 0 || f->fields[6].len == 0) return answer_error(id, EINVAL, "console: bad request");
    static int subreaper;
    if (!subreaper && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) return answer_error(id, errno, "console: PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
    subreaper = 1;
    struct job *job = new_job(id);
    job->console_path = field_str(&f->fields[5]);
    job->console.fd = console_listen(job->console_path);
    if (job->console.fd < 0) {
        answer_error(id, errno, "console socket %s: %s", job->console_path, strerror(errno));
        free(job->console_path);
        free(job->id);
        free(job);
        return;
    }
    job->console.on_event = on_console;
    job->console.owner = job;
    job->pid_file = field_str(&f->fields[6]);
    job->console_pending = 1;
    job->size = (struct winsize){.ws_row = (unsigned short)field_num(&f->fields[7]), .ws_col = (unsigned short)field_num(&f->fields[8])};
    struct spawn_plan plan = {.argv = split_list(&f->fields[2]), .env = split_list(&f->fields[3])};
    char *cwd = f->fields[4].len ? field_str(&f->fields[4]) : NULL;
    plan.cwd = cwd;
    int out[2] = {-1, -1}, err_pipe[2] = {-1, -1};
    char message[1200] = "";
    int err = 0;
    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err_pipe, O_CLOEXEC) < 0) {
        err = errno;
        snprintf(message, sizeof(message), "pipe: %s", strerror(err));
    }
    plan.targets[plan.target_count++] = (struct target){.fd = 0, .source = -1, .path = "/dev/null", .flags = O_RDONLY};
    plan.targets[plan.target_count++] = (struct target){.fd = 1, .source = out[1]};
    plan.targets[plan.target_count++] = (struct target){.fd = 2, .source = err_pipe[1]};
    pid_t pid = 0;
    if (err == 0) err = spawn_plan_run(&plan, &pid, message, sizeof(message));
    if (out[1] >= 0) close(out[1]);
    if (err_pipe[1] >= 0) close(err_pipe[1]);
    if (err != 0) {
        if (out[0] >= 0) close(out[0]);
        if (err_pipe[0] >= 0) close(err_pipe[0]);
        console_close(job);
        answer_error(id, err, "%s", message);
        free(job->pid_file);
        free(job->id);
        free(job);
    } else {
        start_job(job, pid);
        add_reader(job, out[0], &job->out, 0);
        add_reader(job, err_pipe[0], &job->err, 0);
        watch_set(&job->console, EPOLLIN);
    }
    free(cwd);
    free_list(plan.argv);
    free_list(plan.env);
}

/* resize ID ROWS COLS: sets the size of a pty job's terminal (its program gets SIGWINCH). */
void op_resize(const char *id, const struct frame *f) {
    if (f->count < 5) return answer_error(id, EINVAL, "resize: bad request");
    char *target = field_str(&f->fields[2]);
    struct job *job = find_job(target);
    free(target);
    if (job == NULL || job->pty < 0) return answer_error(id, ESRCH, "resize: no such terminal job");
    struct winsize size = {.ws_row = (unsigned short)field_num(&f->fields[3]), .ws_col = (unsigned short)field_num(&f->fields[4])};
    if (ioctl(job->pty, TIOCSWINSZ, &size) < 0) return answer_error(id, errno, "resize: %s", strerror(errno));
    answer_ok(id);
}

/* feed ID FD DATA: writes DATA to the job's held fd FD, then closes it. No answer. */
void op_feed(const char *id, const struct frame *f) {
    (void)id;
    if (f->count < 5) return;
    char *target = field_str(&f->fields[2]);
    struct job *job = find_job(target);
    free(target);
    if (job == NULL) return;
    int fd = (int)field_num(&f->fields[3]);
    for (int i = 0; i < job->held_count; i++) {
        if (job->held[i].target != fd) continue;
        write_then_close(job->held[i].fd, f->fields[4].data, f->fields[4].len);
        job->held[i] = job->held[--job->held_count];
        return;
    }
}

/* Signals a job's process and stops waiting for its output (a killed runtime may have handed its stdio on). */
int job_kill(const char *id, int sig) {
    struct job *job = find_job(id);
    if (job == NULL) return -1;
    if (!job->reaped) kill(job->pid, sig);
    job->readers += 1; /* the reader drops below must not finish the job under us */
    for (int i = 0; i < MAX_TARGETS; i++) {
        if (job->reader_list[i] != NULL) drop_reader(job->reader_list[i]);
    }
    job->readers -= 1;
    finish(job);
    return 0;
}

/* kill ID TARGET SIGNAL: signals a job, or ends a stream offered for TARGET. No answer. */
void op_kill(const char *id, const struct frame *f) {
    (void)id;
    if (f->count < 4) return;
    char *target = field_str(&f->fields[2]);
    if (job_kill(target, (int)field_num(&f->fields[3])) < 0) stream_cancel(target);
    free(target);
}

static struct job *job_of_pid(pid_t pid) {
    for (struct job *j = jobs; j != NULL; j = j->next) {
        if (j->pid == pid && !j->reaped) return j;
    }
    return NULL;
}

static void remember_exit(pid_t pid, int status) {
    unclaimed[unclaimed_next].pid = pid;
    unclaimed[unclaimed_next].status = status;
    unclaimed_next = (unclaimed_next + 1) % MAX_UNCLAIMED;
}

static int claim_exit(pid_t pid, int *status) {
    for (int i = 0; i < MAX_UNCLAIMED; i++) {
        if (unclaimed[i].pid != pid) continue;
        unclaimed[i].pid = 0;
        *status = unclaimed[i].status;
        return 1;
    }
    return 0;
}

static pid_t read_pid_file(const char *path) {
    char text[32] = "";
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, text, sizeof(text) - 1);
    close(fd);
    if (n <= 0) return 0;
    text[n] = '\0';
    long pid = strtol(text, NULL, 10);
    return pid > 0 ? (pid_t)pid : 0;
}

/* A console job's runtime ended: the job goes on with the process it started, if it did. */
static void runtime_exited(struct job *job, int status) {
    pid_t pid = WIFEXITED(status) && WEXITSTATUS(status) == 0 && !job->console_pending ? read_pid_file(job->pid_file) : 0;
    free(job->pid_file);
    job->pid_file = NULL;
    console_close(job);
    if (pid <= 0) {
        job->status = status;
        job->reaped = 1;
        job->runtime_failed = 1;
        return finish(job);
    }
    job->pid = pid;
    if (claim_exit(pid, &job->status)) {
        job->reaped = 1;
        finish(job);
    }
}

void jobs_reap(void) {
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        struct job *j = job_of_pid(pid);
        if (j == NULL) {
            remember_exit(pid, status);
        } else if (j->pid_file != NULL) {
            runtime_exited(j, status);
        } else {
            j->status = status;
            j->reaped = 1;
            finish(j);
        }
    }
}

void jobs_input_closed(void) {
    struct job *j = jobs;
    while (j != NULL) {
        struct job *next = j->next;
        console_close(j); /* a runtime still to hand over a terminal finds nobody and fails */
        if (j->held_count > 0) job_kill(j->id, SIGKILL);
        else if (j->pty >= 0) {
            /* with the relay's end, the terminal is hung up: its session gets SIGHUP */
            close(j->pty);
            j->pty = -1;
        }
        j = next;
    }
}
