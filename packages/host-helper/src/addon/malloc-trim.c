/*
 * A Node addon with two functions for glibc's allocator in Node's own process: trim(), glibc's
 * malloc_trim(0), and limitArenas(count), mallopt(M_ARENA_MAX, count).
 *
 * glibc keeps the pages of freed blocks in its heaps: only free space at the top of the main
 * heap goes back to the kernel by itself, and after a burst of buffers (an image pull) most of
 * the free space lies between blocks still in use. malloc_trim(0) returns every free page of
 * every arena. It must run inside the process whose heap it trims, which is why this is an
 * addon and not a request to the helper process.
 */
#include <malloc.h>
#include <node_api.h>
#include <stdint.h>

static napi_value trim(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value released;
  if (napi_get_boolean(env, malloc_trim(0) == 1, &released) != napi_ok) return NULL;
  return released;
}

/*
 * Every thread that calls malloc gets an arena of its own, up to 8 per core: libuv's thread pool
 * and V8's workers each keep one, with pages that malloc_trim gives back only in part. A limit
 * applies to arenas made after it; the caller checks the count (a positive integer).
 */
static napi_value limit_arenas(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t count;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &count) != napi_ok) {
    napi_throw_type_error(env, NULL, "limitArenas: expected the number of arenas");
    return NULL;
  }
  napi_value set;
  if (napi_get_boolean(env, mallopt(M_ARENA_MAX, count) == 1, &set) != napi_ok) return NULL;
  return set;
}

static int export_function(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value fn;
  return napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn) == napi_ok &&
         napi_set_named_property(env, exports, name, fn) == napi_ok;
}

NAPI_MODULE_INIT() {
  if (!export_function(env, exports, "trim", trim) || !export_function(env, exports, "limitArenas", limit_arenas)) return NULL;
  return exports;
}
