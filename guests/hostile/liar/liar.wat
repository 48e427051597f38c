;; Attacks: the host's trust in guest output. A json-stdio command that exits 0 with well-formed JSON that
;; breaks its own manifest's output_schema ("answer" must be a number; no other properties). The host must
;; validate the output and refuse it, never passing it on to the model.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "{\"answer\": \"forty-two\", \"extra\": true}\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 39))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
