;; Attacks: host memory and disk through captured output. A json-stdio command that writes the start of a
;; JSON string to stdout and then 64 KiB chunks of "A" forever. The host must stop it at its stdout cap
;; (WasmOutputLimitError, stream "stdout") without buffering more than the cap.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 16) "{\"flood\": \"")
  (func (export "_start")
    ;; iovec at 0: the 11-byte prefix at 16
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 11))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    ;; then 64 KiB of 'A' at 65536, forever (a refused write is ignored: keep flooding)
    (memory.fill (i32.const 65536) (i32.const 0x41) (i32.const 65536))
    (i32.store (i32.const 0) (i32.const 65536))
    (i32.store (i32.const 4) (i32.const 65536))
    (loop $flood
      (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
      (br $flood))))
