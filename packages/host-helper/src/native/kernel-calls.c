/* Single system calls for the parent: mounts, device nodes, xattrs, pinned namespaces. */
#include <errno.h>
#include <fcntl.h>
#include <linux/limits.h>
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

/* getxattr ID PATH NAME: of the path itself, never a symlink's target; answers `value DATA`. */
void op_getxattr(const char *id, const struct frame *f) {
    if (f->count < 4) return answer_error(id, EINVAL, "getxattr: bad request");
    char *path = field_str(&f->fields[2]), *name = field_str(&f->fields[3]);
    char *value = xmalloc(XATTR_SIZE_MAX);
    ssize_t n = lgetxattr(path, name, value, XATTR_SIZE_MAX);
    if (n >= 0) {
        struct answer a;
        answer_begin(&a, id, "value");
        answer_add(&a, value, (size_t)n);
        answer_send(&a);
    } else {
        answer_error(id, errno, "%s", strerror(errno));
    }
    free(value);
    free(path);
    free(name);
}

/* listxattr ID PATH: the attribute names of the path itself (never a symlink's target); answers
 * `names NAME...`, one field per name. */
void op_listxattr(const char *id, const struct frame *f) {
    if (f->count < 3) return answer_error(id, EINVAL, "listxattr: bad request");
    char *path = field_str(&f->fields[2]);
    char *names = xmalloc(XATTR_LIST_MAX);
    ssize_t n = llistxattr(path, names, XATTR_LIST_MAX);
    if (n >= 0) {
        struct answer a;
        answer_begin(&a, id, "names");
        for (ssize_t at = 0; at < n;) {
            size_t len = strnlen(names + at, (size_t)(n - at));
            answer_add(&a, names + at, len);
            at += (ssize_t)len + 1;
        }
        answer_send(&a);
    } else {
        answer_error(id, errno, "%s", strerror(errno));
    }
    free(names);
    free(path);
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

void namespaces_init(void) {
    home_ns("ipc");
    home_ns("uts");
    home_ns("net");
}

int enter_ns(const char *path, int type) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    int err = setns(fd, type) == 0 ? 0 : errno;
    close(fd);
    return err;
}

/*
 * idmap ID SOURCE TARGET USERNS RECURSIVE: mounts a copy of the mount tree at SOURCE on TARGET
 * with its ids mapped through the user namespace at USERNS (an idmapped mount: a file of host
 * uid U shows as the namespace's uid for U). RECURSIVE `1` takes the mounts below SOURCE too.
 */
void op_idmap(const char *id, const struct frame *f) {
    if (f->count < 6) return answer_error(id, EINVAL, "idmap: bad request");
    char *source = field_str(&f->fields[2]), *target = field_str(&f->fields[3]), *userns = field_str(&f->fields[4]);
    int recursive = f->fields[5].len == 1 && f->fields[5].data[0] == '1';
    int tree = -1, ns = -1, err = 0;
    const char *step = "";
    tree = (int)open_tree(AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0));
    if (tree < 0) err = errno, step = "open_tree";
    if (!err && (ns = open(userns, O_RDONLY | O_CLOEXEC)) < 0) err = errno, step = "open of the user namespace";
    if (!err) {
        struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)ns};
        if (mount_setattr(tree, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof(attr)) < 0) err = errno, step = "mount_setattr";
    }
    if (!err && move_mount(tree, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0) err = errno, step = "move_mount";
    if (err) answer_error(id, err, "%s: %s", step, strerror(err));
    else answer_ok(id);
    if (tree >= 0) close(tree);
    if (ns >= 0) close(ns);
    free(source);
    free(target);
    free(userns);
}
