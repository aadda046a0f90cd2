;; cat.wasm <dir> <file> <new-file>: finds the preopened directory named <dir>, writes <file>
;; (relative to it) to stdout, then tries to create <new-file> there and prints "create: <errno>"
;; (0 when it could, 76 ENOTCAPABLE in a read-only directory). Exits 3 when <dir> is not preopened,
;; 4 when <file> cannot be opened.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $fd_prestat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_dir_name" (func $fd_prestat_dir_name (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 2)
  (data (i32.const 64) "create: ")
  (data (i32.const 80) "\n")
  ;; scratch: 0 iovec, 8 count, 16 prestat, 24 opened fd, 32 two digits; argv pointers at 1024,
  ;; strings at 4096; directory name at 8192; read buffer at 65536
  (func $print (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func $strlen (param $p i32) (result i32) (local $n i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $n))
  (func $arg (param $i i32) (result i32) (i32.load (i32.add (i32.const 1024) (i32.mul (local.get $i) (i32.const 4)))))
  (func $same (param $a i32) (param $b i32) (param $len i32) (result i32) (local $i i32)
    (block $differ
      (loop $next
        (if (i32.ge_u (local.get $i) (local.get $len)) (then (return (i32.const 1))))
        (br_if $differ (i32.ne (i32.load8_u (i32.add (local.get $a) (local.get $i))) (i32.load8_u (i32.add (local.get $b) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.const 0))
  (func $find_dir (param $name i32) (result i32) (local $fd i32) (local $len i32)
    (local.set $fd (i32.const 3))
    (loop $next
      (if (i32.ne (call $fd_prestat_get (local.get $fd) (i32.const 16)) (i32.const 0)) (then (call $proc_exit (i32.const 3))))
      (local.set $len (i32.load (i32.const 20)))
      (drop (call $fd_prestat_dir_name (local.get $fd) (i32.const 8192) (local.get $len)))
      (if (i32.and (i32.eq (local.get $len) (call $strlen (local.get $name))) (call $same (local.get $name) (i32.const 8192) (local.get $len)))
        (then (return (local.get $fd))))
      (local.set $fd (i32.add (local.get $fd) (i32.const 1)))
      (br $next))
    (unreachable))
  (func (export "_start") (local $dir i32) (local $file i32) (local $errno i32)
    (drop (call $args_get (i32.const 1024) (i32.const 4096)))
    (local.set $dir (call $find_dir (call $arg (i32.const 1))))
    ;; open <file>: rights fd_read
    (if (i32.ne (call $path_open (local.get $dir) (i32.const 0) (call $arg (i32.const 2)) (call $strlen (call $arg (i32.const 2))) (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 24)) (i32.const 0))
      (then (call $proc_exit (i32.const 4))))
    (local.set $file (i32.load (i32.const 24)))
    (block $eof
      (loop $copy
        (i32.store (i32.const 0) (i32.const 65536))
        (i32.store (i32.const 4) (i32.const 32768))
        (drop (call $fd_read (local.get $file) (i32.const 0) (i32.const 1) (i32.const 8)))
        (br_if $eof (i32.eqz (i32.load (i32.const 8))))
        (call $print (i32.const 65536) (i32.load (i32.const 8)))
        (br $copy)))
    (drop (call $fd_close (local.get $file)))
    ;; create <new-file>: O_CREAT, rights fd_write
    (local.set $errno (call $path_open (local.get $dir) (i32.const 0) (call $arg (i32.const 3)) (call $strlen (call $arg (i32.const 3))) (i32.const 1) (i64.const 64) (i64.const 0) (i32.const 0) (i32.const 24)))
    (call $print (i32.const 64) (i32.const 8))
    (i32.store8 (i32.const 32) (i32.add (i32.const 48) (i32.div_u (local.get $errno) (i32.const 10))))
    (i32.store8 (i32.const 33) (i32.add (i32.const 48) (i32.rem_u (local.get $errno) (i32.const 10))))
    (call $print (i32.const 32) (i32.const 2))
    (call $print (i32.const 80) (i32.const 1))))
