;; Attacks: the capability check. The module imports a host function nobody grants (env.launch_missiles) and
;; a WASI socket call that is never granted (sock_send), and `run` calls both. The host must refuse to
;; instantiate it (WasmCapabilityError / ManifestError naming the import) before any guest code runs.
(module
  (import "env" "launch_missiles" (func $launch (param i32) (result i32)))
  ;; sock_send(fd, si_data: *ciovec, si_data_len, si_flags, ret so_datalen: *size) -> errno
  (import "wasi_snapshot_preview1" "sock_send" (func $sock_send (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "exfiltrated secrets")
  (func (export "run") (result i32)
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 19))
    (i32.add
      (call $launch (i32.const 42))
      (call $sock_send (i32.const 3) (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 8)))))
