/*
 * Pinned namespaces (CRI-O's pinns): new namespaces held by bind mounts on files, so they live
 * without a process, set up inside (hostname, /proc/sys files). Without a user namespace we step
 * into the new namespaces ourselves and back. With one (a new one with its id mappings, or an
 * existing one to join), a child does the work: nobody can step back out of a user namespace,
 * and only we, outside it, may bind-mount its namespaces onto the host's files.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper.h"

#define MAX_SYSCTLS 64

struct pin_request {
    char *pins[4]; /* files to pin new ipc, uts, net and user namespaces on */
    char *hostname, *netns, *userns, *uidmap, *gidmap;
    const struct field *sysctls[MAX_SYSCTLS][2];
    int sysctl_count;
};

static const char *const KINDS[4] = {"ipc", "uts", "net", "user"};
static const int FLAGS[4] = {CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWNET, CLONE_NEWUSER};

static int write_file(const char *path, const char *value, size_t n) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    ssize_t w = write(fd, value, n);
    int err = w == (ssize_t)n ? 0 : w < 0 ? errno : EIO;
    close(fd);
    return err;
}

/* Sets the hostname and the sysctls; 0, or an errno with `what` set. */
static int set_up_inside(const struct pin_request *r, char *what, size_t size) {
    if (r->hostname && r->pins[1] && sethostname(r->hostname, strlen(r->hostname)) < 0) {
        snprintf(what, size, "sethostname %s", r->hostname);
        return errno;
    }
    for (int i = 0; i < r->sysctl_count; i++) {
        char *path = field_str(r->sysctls[i][0]);
        int err = write_file(path, r->sysctls[i][1]->data, r->sysctls[i][1]->len);
        if (err) snprintf(what, size, "cannot write %s", path);
        free(path);
        if (err) return err;
    }
    return 0;
}

static int new_types(const struct pin_request *r) {
    int types = 0;
    for (int k = 0; k < 3; k++) types |= r->pins[k] ? FLAGS[k] : 0;
    return types;
}

static void unpin(const struct pin_request *r, int pinned) {
    for (int k = 0; k < 4; k++) {
        if (pinned & (1 << k)) umount2(r->pins[k], MNT_DETACH);
    }
}

/* Binds the namespaces of `pid` onto the pin files; a bit per pinned kind, or -1 with errno in `err`. */
static int bind_all(const struct pin_request *r, pid_t pid, int *err, char *what, size_t size) {
    int pinned = 0;
    for (int k = 0; k < 4; k++) {
        if (!r->pins[k]) continue;
        char source[64];
        snprintf(source, sizeof(source), "/proc/%d/ns/%s", (int)pid, KINDS[k]);
        if (mount(source, r->pins[k], NULL, MS_BIND, NULL) < 0) {
            *err = errno;
            snprintf(what, size, "bind mount of the %s namespace on %s", KINDS[k], r->pins[k]);
            unpin(r, pinned);
            return -1;
        }
        pinned |= 1 << k;
    }
    return pinned;
}

/* Everything in our own process: no user namespace is involved. */
static int pin_here(const struct pin_request *r, char *what, size_t size) {
    int types = new_types(r), err = 0;
    if (types && unshare(types) < 0) err = errno, snprintf(what, size, "unshare");
    if (!err && r->netns && !(types & CLONE_NEWNET)) {
        types |= CLONE_NEWNET;
        if ((err = enter_ns(r->netns, CLONE_NEWNET)) != 0) snprintf(what, size, "entering %s", r->netns);
    }
    if (!err) err = set_up_inside(r, what, size);
    if (!err) bind_all(r, getpid(), &err, what, size);
    go_home(types);
    return err;
}

static void child_report(int fd, int err, const char *what) {
    char text[600];
    int n = snprintf(text, sizeof(text), "%d %s", err, what);
    if (write(fd, text, (size_t)n) < 0) _exit(2);
}

/*
 * The child: into the user namespace (made new, mapped by us), then the rest, then waits to be
 * killed. `netns` was opened before: as the namespace's root it may not reach the file any more.
 */
static void pin_child(const struct pin_request *r, int netns, int report, int go) {
    char what[512] = "", byte;
    int err = 0;
    if (r->userns) {
        if ((err = enter_ns(r->userns, CLONE_NEWUSER)) != 0) snprintf(what, sizeof(what), "entering %s", r->userns);
    } else if (unshare(CLONE_NEWUSER) < 0) err = errno, snprintf(what, sizeof(what), "unshare of a user namespace");
    if (err) child_report(report, err, what), _exit(1);
    child_report(report, 0, "in");
    if (read(go, &byte, 1) != 1) _exit(1); /* our mappings are written */
    if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) err = errno, snprintf(what, sizeof(what), "becoming root of the user namespace");
    int types = new_types(r);
    if (!err && types && unshare(types) < 0) err = errno, snprintf(what, sizeof(what), "unshare");
    if (!err && netns >= 0 && setns(netns, CLONE_NEWNET) < 0) err = errno, snprintf(what, sizeof(what), "entering %s", r->netns);
    if (!err) err = set_up_inside(r, what, sizeof(what));
    child_report(report, err, err ? what : "ready");
    pause();
    _exit(0);
}

/* Reads one report of the child: its errno, and its text into `what`. */
static int read_report(int fd, char *what, size_t size) {
    char text[600];
    ssize_t n = read(fd, text, sizeof(text) - 1);
    if (n <= 0) {
        snprintf(what, size, "the namespace child died");
        return EIO;
    }
    text[n] = '\0';
    char *space = strchr(text, ' ');
    snprintf(what, size, "%s", space ? space + 1 : "");
    return atoi(text);
}

static int write_map(pid_t pid, const char *kind, const char *map, char *what, size_t size) {
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, kind);
    int err = write_file(path, map, strlen(map));
    if (err) snprintf(what, size, "writing %s \"%s\"", kind, map);
    return err;
}

static int pin_in_userns(const struct pin_request *r, char *what, size_t size) {
    int report[2], go[2];
    int netns = r->netns && !r->pins[2] ? open(r->netns, O_RDONLY | O_CLOEXEC) : -1;
    if (r->netns && !r->pins[2] && netns < 0) return snprintf(what, size, "entering %s", r->netns), errno;
    int err = 0;
    if (pipe2(report, O_CLOEXEC) < 0) err = errno;
    else if (pipe2(go, O_CLOEXEC) < 0) err = errno, close(report[0]), close(report[1]);
    pid_t pid = err ? -1 : fork();
    if (!err && pid < 0) err = errno, close(report[0]), close(report[1]), close(go[0]), close(go[1]);
    if (err) {
        if (netns >= 0) close(netns);
        snprintf(what, size, "starting the namespace child");
        return err;
    }
    if (pid == 0) {
        close(report[0]);
        close(go[1]);
        pin_child(r, netns, report[1], go[0]);
    }
    if (netns >= 0) close(netns);
    close(report[1]);
    close(go[0]);
    err = read_report(report[0], what, size);
    if (!err && !r->userns) {
        err = write_map(pid, "uid_map", r->uidmap ? r->uidmap : "", what, size);
        if (!err) err = write_map(pid, "gid_map", r->gidmap ? r->gidmap : "", what, size);
    }
    if (!err && write(go[1], "g", 1) != 1) err = EIO, snprintf(what, size, "the namespace child died");
    if (!err) err = read_report(report[0], what, size);
    if (!err) bind_all(r, pid, &err, what, size);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(report[0]);
    close(go[1]);
    return err;
}

/*
 * pin ID [KEY VALUE]...: keys `ipc`, `uts`, `net`, `user` (a file to pin a new namespace of that
 * kind on), `hostname`, `netns` (an existing network namespace to enter for net.* sysctls),
 * `userns` (an existing user namespace the new ones belong to), `uidmap` and `gidmap` (of a new
 * user namespace, /proc/PID/uid_map's format), `sysctl` (a /proc/sys path) followed by its value.
 * Answers `ok`, or `error ERRNO TEXT` with nothing left pinned.
 */
void op_pin(const char *id, const struct frame *f) {
    struct pin_request r = {0};
    char **slots[] = {&r.pins[0], &r.pins[1], &r.pins[2], &r.pins[3], &r.hostname, &r.netns, &r.userns, &r.uidmap, &r.gidmap};
    const char *keys[] = {"ipc", "uts", "net", "user", "hostname", "netns", "userns", "uidmap", "gidmap"};
    int bad = 0;
    for (int i = 2; i < f->count && !bad; i += 2) {
        char *key = field_str(&f->fields[i]);
        int sysctl = strcmp(key, "sysctl") == 0;
        if (i + 1 + sysctl >= f->count || (sysctl && r.sysctl_count == MAX_SYSCTLS)) bad = 1;
        else if (sysctl) {
            r.sysctls[r.sysctl_count][0] = &f->fields[i + 1];
            r.sysctls[r.sysctl_count++][1] = &f->fields[i + 2];
            i++;
        } else {
            size_t k = 0;
            while (k < sizeof(keys) / sizeof(keys[0]) && strcmp(key, keys[k]) != 0) k++;
            if (k == sizeof(keys) / sizeof(keys[0]) || *slots[k]) bad = 1;
            else *slots[k] = field_str(&f->fields[i + 1]);
        }
        free(key);
    }
    char what[512] = "";
    int err = 0;
    if (bad) err = EINVAL, snprintf(what, sizeof(what), "pin: bad request");
    else if (r.pins[3] || r.userns) err = pin_in_userns(&r, what, sizeof(what));
    else err = pin_here(&r, what, sizeof(what));
    if (err) answer_error(id, err, "%s: %s", what, strerror(err));
    else answer_ok(id);
    for (size_t k = 0; k < sizeof(slots) / sizeof(slots[0]); k++) free(*slots[k]);
}
