;; Grows its memory one 64 KiB page at a time up to 256 MiB, touching every 4 KiB of each new page
;; so the kernel has to back it; prints "grew 256 MiB" if nothing stopped it.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "grew 256 MiB\n")
  (func (export "_start") (local $page i32) (local $at i32)
    (loop $grow
      (local.set $page (memory.grow (i32.const 1)))
      (if (i32.eq (local.get $page) (i32.const -1)) (then (call $proc_exit (i32.const 1))))
      (local.set $at (i32.mul (local.get $page) (i32.const 65536)))
      (loop $touch
        (i32.store (local.get $at) (local.get $page))
        (local.set $at (i32.add (local.get $at) (i32.const 4096)))
        (br_if $touch (i32.rem_u (local.get $at) (i32.const 65536))))
      (br_if $grow (i32.lt_u (local.get $page) (i32.const 4096))))
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 13))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
