#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper.h"

void buf_append(struct buf *b, const void *data, size_t n) {
    if (b->off > 0 && b->len + n > b->cap) {
        memmove(b->data, b->data + b->off, b->len - b->off);
        b->len -= b->off;
        b->off = 0;
    }
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n) cap *= 2;
        b->data = realloc(b->data, cap);
        if (b->data == NULL) die("out of memory");
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, n);
    b->len += n;
}

void buf_consume(struct buf *b, size_t n) {
    b->off += n;
    if (b->off >= b->len) b->off = b->len = 0;
}

size_t buf_pending(const struct buf *b) {
    return b->len - b->off;
}

void buf_free(struct buf *b) {
    free(b->data);
    memset(b, 0, sizeof(*b));
}

static uint32_t read_u32(const char *p) {
    const unsigned char *u = (const unsigned char *)p;
    return (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
}

static void put_u32(struct buf *b, uint32_t v) {
    unsigned char u[4] = {v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >> 24) & 0xff};
    buf_append(b, u, 4);
}

long frame_parse(const struct buf *b, struct frame *f) {
    size_t avail = buf_pending(b);
    const char *p = b->data + b->off;
    if (avail < 4) return 0;
    uint32_t size = read_u32(p);
    if (avail < 4 + (size_t)size) return 0;
    const char *end = p + 4 + size;
    const char *q = p + 4;
    f->count = 0;
    while (q < end) {
        if (end - q < 4 || f->count == MAX_FIELDS) return -1;
        uint32_t n = read_u32(q);
        q += 4;
        if ((size_t)(end - q) < n) return -1;
        f->fields[f->count].data = q;
        f->fields[f->count].len = n;
        f->count++;
        q += n;
    }
    return 4 + (long)size;
}

char *field_str(const struct field *f) {
    char *s = xmalloc(f->len + 1);
    memcpy(s, f->data, f->len);
    s[f->len] = '\0';
    return s;
}

long long field_num(const struct field *f) {
    char text[32];
    size_t n = f->len < sizeof(text) - 1 ? f->len : sizeof(text) - 1;
    memcpy(text, f->data, n);
    text[n] = '\0';
    return strtoll(text, NULL, 10);
}

void answer_begin(struct answer *a, const char *id, const char *kind) {
    memset(a, 0, sizeof(*a));
    answer_add_str(a, id);
    answer_add_str(a, kind);
}

void answer_add(struct answer *a, const void *data, size_t n) {
    put_u32(&a->body, (uint32_t)n);
    buf_append(&a->body, data, n);
}

void answer_add_str(struct answer *a, const char *s) {
    answer_add(a, s, strlen(s));
}

void answer_add_num(struct answer *a, long long n) {
    char text[32];
    snprintf(text, sizeof(text), "%lld", n);
    answer_add_str(a, text);
}

void answer_ok(const char *id) {
    struct answer a;
    answer_begin(&a, id, "ok");
    answer_send(&a);
}

void answer_error(const char *id, int err, const char *fmt, ...) {
    char text[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    struct answer a;
    answer_begin(&a, id, "error");
    answer_add_num(&a, err);
    answer_add_str(&a, text);
    answer_send(&a);
}
