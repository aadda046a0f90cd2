/*
 * A Node addon with two functions for glibc's allocator in Node's own process: trim(), glibc's
 * malloc_trim(0), and setOption(name, value), glibc's mallopt().
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
#include <string.h>

static napi_value trim(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value released;
  if (napi_get_boolean(env, malloc_trim(0) == 1, &released) != napi_ok) return NULL;
  return released;
}

/*
 * setOption(name, value): mallopt() for the options shimkit sets, by name. Every thread that
 * calls malloc gets an arena of its own (arenaMax caps them); glibc raises its mmap threshold
 * to the size of the largest mmapped block freed, up to 32 MiB, after which large buffers
 * come from the heaps and stay resident when freed between live ones (setting mmapThreshold or
 * trimThreshold stops that). The caller checks the value.
 */
static napi_value set_option(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  char name[32];
  int32_t value;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 2 || napi_get_value_string_utf8(env, argv[0], name, sizeof name, NULL) != napi_ok || napi_get_value_int32(env, argv[1], &value) != napi_ok) {
    napi_throw_type_error(env, NULL, "setOption: expected an option's name and a number");
    return NULL;
  }
  int option;
  if (strcmp(name, "arenaMax") == 0) option = M_ARENA_MAX;
  else if (strcmp(name, "mmapThreshold") == 0) option = M_MMAP_THRESHOLD;
  else if (strcmp(name, "trimThreshold") == 0) option = M_TRIM_THRESHOLD;
  else {
    napi_throw_type_error(env, NULL, "setOption: unknown option");
    return NULL;
  }
  napi_value set;
  if (napi_get_boolean(env, mallopt(option, value) == 1, &set) != napi_ok) return NULL;
  return set;
}

static int export_function(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value fn;
  return napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn) == napi_ok &&
         napi_set_named_property(env, exports, name, fn) == napi_ok;
}

NAPI_MODULE_INIT() {
  if (!export_function(env, exports, "trim", trim) || !export_function(env, exports, "setOption", set_option)) return NULL;
  return exports;
}
