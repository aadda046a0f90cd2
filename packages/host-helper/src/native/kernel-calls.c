/* Single system calls for the parent: mounts, device nodes, xattrs, pinned namespaces. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "helper.h"

/* A field as a string, or NULL when empty (mount(2) takes NULL for "none"). */
static char *optional(const struct field *f) {
    return f->len ? field_str(f) : NULL;
}

/* mount ID SOURCE TARGET FSTYPE FLAGS DATA: answers `ok` or `error ERRNO TEXT`. */
void op_mount(const char *id, const struct frame *f) {
    if (f->count < 7) return answer_error(id, EINVAL, "mount: bad request");
    char *source = optional(&f->fields[2]), *target = field_str(&f->fields[3]);
    char *fstype = optional(&f->fields[4]), *data = optional(&f->fields[6]);
    if (mount(source, target, fstype, (unsigned long)field_num(&f->fields[5]), data) == 0) answer_ok(id);
    else answer_error(id, errno, "%s", strerror(errno));
    free(source);
    free(target);
    free(fstype);
    free(data);
}

/* umount ID TARGET FLAGS */
void op_umount(const char *id, const struct frame *f) {
    if (f->count < 4) return answer_error(id, EINVAL, "umount: bad request");
    char *target = field_str(&f->fields[2]);
    if (umount2(target, (int)field_num(&f->fields[3])) == 0) answer_ok(id);
    else answer_error(id, errno, "%s", strerror(errno));
    free(target);
}

/* mknod ID PATH MODE MAJOR MINOR: MODE holds the file type bits; it is applied exactly (no umask). */
void op_mknod(const char *id, const struct frame *f) {
    if (f->count < 6) return answer_error(id, EINVAL, "mknod: bad request");
    char *path = field_str(&f->fields[2]);
    mode_t old = umask(0);
    int r = mknod(path, (mode_t)field_num(&f->fields[3]), makedev((unsigned)field_num(&f->fields[4]), (unsigned)field_num(&f->fields[5])));
    int err = errno;
    umask(old);
    if (r == 0) answer_ok(id);
    else answer_error(id, err, "%s", strerror(err));
    free(path);
}

/* setxattr ID PATH NAME VALUE: on the path itself, never a symlink's target. */
void op_setxattr(const char *id, const struct frame *f) {
    if (f->count < 5) return answer_error(id, EINVAL, "setxattr: bad request");
    char *path = field_str(&f->fields[2]), *name = field_str(&f->fields[3]);
    if (lsetxattr(path, name, f->fields[4].data, f->fields[4].len, 0) == 0) answer_ok(id);
    else answer_error(id, errno, "%s", strerror(errno));
    free(path);
    free(name);
}

static int write_file(const char *path, const char *value, size_t n) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    ssize_t w = write(fd, value, n);
    int err = w == (ssize_t)n ? 0 : w < 0 ? errno : EIO;
    close(fd);
    return err;
}

static int bind_namespace(const char *kind, const char *pin) {
    char self[64];
    snprintf(self, sizeof(self), "/proc/self/ns/%s", kind);
    return mount(self, pin, NULL, MS_BIND, NULL) == 0 ? 0 : errno;
}

/* Our own namespaces, opened once: we step into others and must always come back. */
static int home_ns(const char *kind) {
    static int ipc = -1, uts = -1, net = -1;
    int *slot = strcmp(kind, "ipc") == 0 ? &ipc : strcmp(kind, "uts") == 0 ? &uts : &net;
    if (*slot < 0) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/self/ns/%s", kind);
        if ((*slot = open(path, O_RDONLY | O_CLOEXEC)) < 0) die("%s: %s", path, strerror(errno));
    }
    return *slot;
}

void go_home(int types) {
    if ((types & CLONE_NEWIPC) && setns(home_ns("ipc"), CLONE_NEWIPC) < 0) die("back to our IPC namespace: %s", strerror(errno));
    if ((types & CLONE_NEWUTS) && setns(home_ns("uts"), CLONE_NEWUTS) < 0) die("back to our UTS namespace: %s", strerror(errno));
    if ((types & CLONE_NEWNET) && setns(home_ns("net"), CLONE_NEWNET) < 0) die("back to our network namespace: %s", strerror(errno));
}

int enter_netns(const char *path) {
    home_ns("net");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    int err = setns(fd, CLONE_NEWNET) == 0 ? 0 : errno;
    close(fd);
    return err;
}

/*
 * pin ID IPC UTS NET HOSTNAME NETNS [SYSCTL-PATH VALUE]...: makes a new IPC, UTS and network
 * namespace for each pin path given and bind-mounts it onto that file, so it lives without a
 * process (CRI-O's pinns). Inside them (inside NETNS instead of a new network namespace when
 * given), sets the hostname and writes each /proc/sys file. We step into the namespaces
 * ourselves and back: no process is started.
 */
void op_pin(const char *id, const struct frame *f) {
    if (f->count < 7 || (f->count - 7) % 2 != 0) return answer_error(id, EINVAL, "pin: bad request");
    const char *kinds[3] = {"ipc", "uts", "net"};
    const int flags[3] = {CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWNET};
    char *pins[3];
    int types = 0;
    for (int k = 0; k < 3; k++) {
        pins[k] = optional(&f->fields[2 + k]);
        if (pins[k]) types |= flags[k];
        home_ns(kinds[k]);
    }
    char *hostname = optional(&f->fields[5]), *netns = optional(&f->fields[6]);
    int err = 0, pinned = 0;
    char what[512] = "";
    if (types && unshare(types) < 0) err = errno, snprintf(what, sizeof(what), "unshare");
    if (!err && netns && !(types & CLONE_NEWNET)) {
        types |= CLONE_NEWNET;
        if ((err = enter_netns(netns)) != 0) snprintf(what, sizeof(what), "entering %s", netns);
    }
    if (!err && hostname && pins[1] && sethostname(hostname, strlen(hostname)) < 0) err = errno, snprintf(what, sizeof(what), "sethostname %s", hostname);
    for (int i = 7; !err && i + 1 < f->count; i += 2) {
        char *path = field_str(&f->fields[i]);
        if ((err = write_file(path, f->fields[i + 1].data, f->fields[i + 1].len)) != 0) snprintf(what, sizeof(what), "cannot write %s", path);
        free(path);
    }
    for (int k = 0; k < 3 && !err; k++) {
        if (!pins[k]) continue;
        if ((err = bind_namespace(kinds[k], pins[k])) != 0) snprintf(what, sizeof(what), "bind mount of the %s namespace on %s", kinds[k], pins[k]);
        else pinned |= 1 << k;
    }
    go_home(types);
    for (int k = 0; k < 3; k++) {
        if (err && (pinned & (1 << k))) umount2(pins[k], MNT_DETACH);
        free(pins[k]);
    }
    if (err) answer_error(id, err, "%s: %s", what, strerror(err));
    else answer_ok(id);
    free(hostname);
    free(netns);
}
