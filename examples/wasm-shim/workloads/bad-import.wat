;; Imports a function no WASI runtime provides: instantiation fails.
(module
  (import "env" "not_provided" (func $missing))
  (memory (export "memory") 1)
  (func (export "_start") (call $missing)))
