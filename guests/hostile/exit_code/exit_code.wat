;; Attacks: error handling. A json-stdio command that writes a one-line message to stderr, nothing to stdout,
;; and exits with status 3 (outside the 1/2 codes of docs/guests.md). The host must report a WasmExitError
;; with exit_code 3 and the captured stderr, and must not treat the empty stdout as a result.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "exit_code: refusing on purpose, exiting with status 3\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 54))
    (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $proc_exit (i32.const 3))))
