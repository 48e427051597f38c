"""A WAT guest for the workspace quota of plain calls (tests/reliability/test_workspace_quota_calls.py).

Every export works on the preopen at fd 3 and returns a WASI errno (0: success). One-letter names ``a``..``h``
are at 16 + index; ``make_entries`` names its entries ``n00000``, ``n00001``, ... at 64; data written comes from
a 64 KiB buffer at 65536.
"""

from __future__ import annotations

WASI = "wasi_snapshot_preview1"
O_CREAT, O_EXCL, O_TRUNC = 1, 4, 8
FILES, DIRS, SYMLINKS, LINKS = 0, 1, 2, 3
A, B, C = 0, 1, 2

QUOTA_GUEST = f"""(module
  (import "{WASI}" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "{WASI}" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "{WASI}" "fd_pwrite" (func $pwrite (param i32 i32 i32 i64 i32) (result i32)))
  (import "{WASI}" "fd_close" (func $close (param i32) (result i32)))
  (import "{WASI}" "path_create_directory" (func $mkdir (param i32 i32 i32) (result i32)))
  (import "{WASI}" "path_symlink" (func $symlink (param i32 i32 i32 i32 i32) (result i32)))
  (import "{WASI}" "path_link" (func $link (param i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "{WASI}" "fd_allocate" (func $allocate (param i32 i64 i64) (result i32)))
  (import "{WASI}" "fd_filestat_set_size" (func $set_size (param i32 i64) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 16) "abcdefgh")
  (func $open_at (param $path i32) (param $len i32) (param $oflags i32) (result i32)
    (call $open (i32.const 3) (i32.const 0) (local.get $path) (local.get $len) (local.get $oflags)
      (i64.const 0x1fffffff) (i64.const 0x1fffffff) (i32.const 0) (i32.const 12)))
  ;; open name with oflags, then write len bytes chunks times; the first failing errno, else 0
  (func $write_file (export "write_file") (param $name i32) (param $oflags i32) (param $chunks i32) (param $len i32)
    (result i32)
    (local $err i32) (local $i i32)
    (local.set $err (call $open_at (i32.add (i32.const 16) (local.get $name)) (i32.const 1) (local.get $oflags)))
    (if (local.get $err) (then (return (local.get $err))))
    (i32.store (i32.const 0) (i32.const 65536)) (i32.store (i32.const 4) (local.get $len))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $chunks)))
      (local.set $err (call $write (i32.load (i32.const 12)) (i32.const 0) (i32.const 1) (i32.const 8)))
      (br_if $done (local.get $err))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (drop (call $close (i32.load (i32.const 12))))
    (local.get $err))
  (func $pwrite_file (export "pwrite_file") (param $name i32) (param $len i32) (param $offset i64) (result i32)
    (local $err i32)
    (local.set $err (call $open_at (i32.add (i32.const 16) (local.get $name)) (i32.const 1) (i32.const 1)))
    (if (local.get $err) (then (return (local.get $err))))
    (i32.store (i32.const 0) (i32.const 65536)) (i32.store (i32.const 4) (local.get $len))
    (local.set $err (call $pwrite (i32.load (i32.const 12)) (i32.const 0) (i32.const 1) (local.get $offset)
      (i32.const 8)))
    (drop (call $close (i32.load (i32.const 12))))
    (local.get $err))
  (func $number (param $i i32)
    (local $p i32)
    (i32.store8 (i32.const 64) (i32.const 110))
    (local.set $p (i32.const 69))
    (loop $digit
      (i32.store8 (local.get $p) (i32.add (i32.const 48) (i32.rem_u (local.get $i) (i32.const 10))))
      (local.set $i (i32.div_u (local.get $i) (i32.const 10)))
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (br_if $digit (i32.ge_u (local.get $p) (i32.const 65)))))
  (func $make (param $kind i32) (result i32)
    (local $err i32)
    (if (i32.eqz (local.get $kind)) (then
      (local.set $err (call $open_at (i32.const 64) (i32.const 6) (i32.const {O_CREAT | O_EXCL})))
      (if (i32.eqz (local.get $err)) (then (drop (call $close (i32.load (i32.const 12))))))
      (return (local.get $err))))
    (if (i32.eq (local.get $kind) (i32.const 1)) (then
      (return (call $mkdir (i32.const 3) (i32.const 64) (i32.const 6)))))
    (if (i32.eq (local.get $kind) (i32.const 2)) (then
      (return (call $symlink (i32.const 16) (i32.const 1) (i32.const 3) (i32.const 64) (i32.const 6)))))
    (call $link (i32.const 3) (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 3) (i32.const 64)
      (i32.const 6)))
  ;; make count entries of kind (0 files, 1 directories, 2 symlinks to "a", 3 hard links to "a");
  ;; returns created * 100 + the errno that stopped it (0 if none did)
  (func (export "make_entries") (param $count i32) (param $kind i32) (result i32)
    (local $i i32) (local $err i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
      (call $number (local.get $i))
      (local.set $err (call $make (local.get $kind)))
      (br_if $done (local.get $err))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (i32.add (i32.mul (local.get $i) (i32.const 100)) (local.get $err)))
  ;; reserve (fd_allocate) or grow (ftruncate: fd_filestat_set_size) "a" to size without writing a byte
  (func (export "grow") (param $ftruncate i32) (param $size i64) (result i32)
    (local $err i32)
    (local.set $err (call $open_at (i32.const 16) (i32.const 1) (i32.const 1)))
    (if (local.get $err) (then (return (local.get $err))))
    (if (local.get $ftruncate)
      (then (local.set $err (call $set_size (i32.load (i32.const 12)) (local.get $size))))
      (else (local.set $err (call $allocate (i32.load (i32.const 12)) (i64.const 0) (local.get $size)))))
    (drop (call $close (i32.load (i32.const 12))))
    (local.get $err))
  ;; a hostile guest: one byte at offset 1 GiB of "a" (a sparse file), then rewrites "a" with O_TRUNC, hoping the
  ;; truncation gives back room for the whole 1 GiB
  (func (export "sparse_then_rewrite") (param $chunks i32) (param $len i32) (result i32)
    (local $err i32)
    (local.set $err (call $pwrite_file (i32.const 0) (i32.const 1) (i64.const 0x40000000)))
    (if (local.get $err) (then (return (local.get $err))))
    (call $write_file (i32.const 0) (i32.const {O_CREAT | O_TRUNC}) (local.get $chunks) (local.get $len)))
  ;; a hostile guest: writes 64 KiB to "h" forever, ignoring every error (EDQUOT included)
  (func (export "flood") (result i32)
    (drop (call $open_at (i32.const 23) (i32.const 1) (i32.const 1)))
    (i32.store (i32.const 0) (i32.const 65536)) (i32.store (i32.const 4) (i32.const 65536))
    (loop $again
      (drop (call $write (i32.load (i32.const 12)) (i32.const 0) (i32.const 1) (i32.const 8)))
      (br $again))
    (i32.const 0))
)"""
