;; http_fetch: the smallest guest of the network grant (docs/guests.md, "Network by grant").
;; A WASI command: reads one request frame from stdin, hands it to the host (lcw_http.request), copies the
;; response frame back (lcw_http.response) and writes it to stdout. Without Capabilities(http=...) it does not
;; load: lcw_http is linked only with a grant.
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "lcw_http" "request" (func $request (param i32 i32) (result i32)))
  (import "lcw_http" "response" (func $response (param i32 i32) (result i32)))
  (memory (export "memory") 64)  ;; 4 MiB: request frames at 64 KiB, responses from 1 MiB
  (func (export "_start") (local $len i32) (local $got i32) (local $n i32)
    ;; read all of stdin into [65536, 1 MiB)
    (block $done
      (loop $more
        (i32.store (i32.const 0) (i32.add (i32.const 65536) (local.get $len)))
        (i32.store (i32.const 4) (i32.sub (i32.const 983040) (local.get $len)))
        (br_if $done (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
        (local.set $got (i32.load (i32.const 8)))
        (br_if $done (i32.eqz (local.get $got)))
        (local.set $len (i32.add (local.get $len) (local.get $got)))
        (br $more)))
    (local.set $n (call $request (i32.const 65536) (local.get $len)))
    ;; a negative result is a refusal of the frame itself (bad range, too large): trap
    (if (i32.lt_s (local.get $n) (i32.const 0))
      (then (unreachable)))
    (local.set $n (call $response (i32.const 1048576) (i32.const 3145728)))
    (i32.store (i32.const 16) (i32.const 1048576))
    (i32.store (i32.const 20) (local.get $n))
    (drop (call $write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24)))))
