;; Writes a greeting to stdout, then its arguments (after the first) and its environment, one per
;; line, then a line to stderr; exits 0.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 64) "hello from wasm\n")
  (data (i32.const 96) "arg: ")
  (data (i32.const 112) "env: ")
  (data (i32.const 128) "\n")
  (data (i32.const 144) "to stderr\n")
  ;; scratch: 0 iovec, 8 bytes written, 16 argc, 20 argv size, 24 envc, 28 env size;
  ;; argv pointers at 1024, argv strings at 4096; env pointers at 32768, env strings at 40960
  (func $print (param $fd i32) (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func $strlen (param $p i32) (result i32) (local $n i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $n))
  (func $print_list (param $prefix i32) (param $count i32) (param $ptrs i32) (param $from i32) (local $i i32) (local $s i32)
    (local.set $i (local.get $from))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
        (local.set $s (i32.load (i32.add (local.get $ptrs) (i32.mul (local.get $i) (i32.const 4)))))
        (call $print (i32.const 1) (local.get $prefix) (i32.const 5))
        (call $print (i32.const 1) (local.get $s) (call $strlen (local.get $s)))
        (call $print (i32.const 1) (i32.const 128) (i32.const 1))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))
  (func (export "_start")
    (call $print (i32.const 1) (i32.const 64) (i32.const 16))
    (drop (call $args_sizes_get (i32.const 16) (i32.const 20)))
    (drop (call $args_get (i32.const 1024) (i32.const 4096)))
    (call $print_list (i32.const 96) (i32.load (i32.const 16)) (i32.const 1024) (i32.const 1))
    (drop (call $environ_sizes_get (i32.const 24) (i32.const 28)))
    (drop (call $environ_get (i32.const 32768) (i32.const 40960)))
    (call $print_list (i32.const 112) (i32.load (i32.const 24)) (i32.const 32768) (i32.const 0))
    (call $print (i32.const 2) (i32.const 144) (i32.const 10))))
