;; exit-with.wasm <exit code> <delay ms> [<fd> <text>]...: writes each <text> and a newline to its
;; <fd> (1 stdout, 2 stderr; `1-` or `2-` for the text without a newline) in order, sleeps <delay ms> (poll_oneoff on a relative monotonic
;; clock), then exits with <exit code>. The conformance harness maps its workloads onto it.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 2)
  (data (i32.const 512) "\n")
  ;; scratch: 8 bytes written, 16 argc, 20 argv size, 32 two iovecs; subscription at 64 (tag at 72,
  ;; clock id at 80, timeout at 88, precision at 96, flags at 104), event at 128, count at 256;
  ;; argv pointers at 1024, argv strings at 4096
  ;; the text and its newline (the length at 44: 1, or 0 for none) in one gather write: one write
  ;; is one full line of the CRI log
  (func $print_line (param $fd i32) (param $ptr i32) (param $len i32)
    (i32.store (i32.const 32) (local.get $ptr))
    (i32.store (i32.const 36) (local.get $len))
    (i32.store (i32.const 40) (i32.const 512))
    (drop (call $fd_write (local.get $fd) (i32.const 32) (i32.const 2) (i32.const 8))))
  (func $strlen (param $p i32) (result i32) (local $n i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $n))
  (func $arg (param $i i32) (result i32) (i32.load (i32.add (i32.const 1024) (i32.mul (local.get $i) (i32.const 4)))))
  ;; the decimal number at $p (digits only; stops at the first other byte)
  (func $number (param $p i32) (result i64) (local $n i64) (local $c i32)
    (block $done
      (loop $next
        (local.set $c (i32.load8_u (local.get $p)))
        (br_if $done (i32.or (i32.lt_u (local.get $c) (i32.const 48)) (i32.gt_u (local.get $c) (i32.const 57))))
        (local.set $n (i64.add (i64.mul (local.get $n) (i64.const 10)) (i64.extend_i32_u (i32.sub (local.get $c) (i32.const 48)))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $next)))
    (local.get $n))
  (func (export "_start") (local $argc i32) (local $i i32) (local $text i32) (local $fd i32) (local $delay i64)
    (drop (call $args_sizes_get (i32.const 16) (i32.const 20)))
    (drop (call $args_get (i32.const 1024) (i32.const 4096)))
    (local.set $argc (i32.load (i32.const 16)))
    (if (i32.lt_u (local.get $argc) (i32.const 3)) (then (call $proc_exit (i32.const 2))))
    (local.set $i (i32.const 3))
    (block $printed
      (loop $next
        (br_if $printed (i32.ge_u (i32.add (local.get $i) (i32.const 1)) (local.get $argc)))
        (local.set $fd (i32.wrap_i64 (call $number (call $arg (local.get $i)))))
        (local.set $text (call $arg (i32.add (local.get $i) (i32.const 1))))
        (i32.store (i32.const 44) (i32.ne (i32.load8_u (i32.add (call $arg (local.get $i)) (i32.const 1))) (i32.const 45)))
        (call $print_line (local.get $fd) (local.get $text) (call $strlen (local.get $text)))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $next)))
    (local.set $delay (call $number (call $arg (i32.const 2))))
    (if (i64.ne (local.get $delay) (i64.const 0))
      (then
        (i32.store8 (i32.const 72) (i32.const 0))
        (i32.store (i32.const 80) (i32.const 1))
        (i64.store (i32.const 88) (i64.mul (local.get $delay) (i64.const 1000000)))
        (i64.store (i32.const 96) (i64.const 0))
        (i32.store16 (i32.const 104) (i32.const 0))
        (drop (call $poll_oneoff (i32.const 64) (i32.const 128) (i32.const 1) (i32.const 256)))))
    (call $proc_exit (i32.wrap_i64 (call $number (call $arg (i32.const 1)))))))
