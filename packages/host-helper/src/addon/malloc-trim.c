/*
 * A Node addon with one function, trim(): glibc's malloc_trim(0) in Node's own process.
 *
 * glibc keeps the pages of freed blocks in its heaps: only free space at the top of the main
 * heap goes back to the kernel by itself, and after a burst of buffers (an image pull) most of
 * the free space lies between blocks still in use. malloc_trim(0) returns every free page of
 * every arena. It must run inside the process whose heap it trims, which is why this is an
 * addon and not a request to the helper process.
 */
#include <malloc.h>
#include <node_api.h>

static napi_value trim(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value released;
  if (napi_get_boolean(env, malloc_trim(0) == 1, &released) != napi_ok) return NULL;
  return released;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "trim", NAPI_AUTO_LENGTH, trim, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "trim", fn) != napi_ok) return NULL;
  return exports;
}
