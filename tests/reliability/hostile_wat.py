"""Hostile guests for tests/reliability/test_hostile_more.py, in WAT (each small enough to read at a glance)."""

from __future__ import annotations

#: Paths the filesystem attacker uses (the data segment below holds them at these offsets).
FS_PATHS = {
    "inside": "inside.txt",
    "abs_target": "/etc/passwd",
    "abs_link": "abs",
    "up_target": "../outside",
    "up_link": "up",
    "up_secret": "up/secret.txt",
    "dotdot_secret": "../outside/secret.txt",
    "moved_out": "../moved.txt",
    "stolen": "stolen",
    "planted_secret": "escape/secret.txt",
    "loop_a": "loop-a",
    "loop_b": "loop-b",
    "flip": "flip",
    "flip_secret": "flip/secret.txt",
    "deep_dots": "./a/../../outside/secret.txt",
}


def _layout() -> tuple[dict[str, tuple[int, int]], str]:
    offsets: dict[str, tuple[int, int]] = {}
    data = []
    pos = 4096
    for key, text in FS_PATHS.items():
        raw = text.encode()
        offsets[key] = (pos, len(raw))
        data.append(f'  (data (i32.const {pos}) "{text}")')
        pos += len(raw) + 16
    return offsets, "\n".join(data)


FS_OFFSETS, _DATA = _layout()

#: A WASI guest with one export per path operation on the preopen (fd 3), each returning the WASI errno;
#: ``read`` copies up to 256 bytes of the file to stdout. Paths are (offset, length) pairs from FS_OFFSETS.
FS_ATTACKER = f"""(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_symlink" (func $symlink (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_rename" (func $rename (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_link" (func $link (param i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_unlink_file" (func $unlink (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_create_directory" (func $mkdir (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_remove_directory" (func $rmdir (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
{_DATA}
  (func $read (export "read") (param $p i32) (param $n i32) (result i32)
    (local $err i32) (local $fd i32)
    (local.set $err (call $open (i32.const 3) (i32.const 1) (local.get $p) (local.get $n)
      (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 0)))
    (if (local.get $err) (then (return (local.get $err))))
    (local.set $fd (i32.load (i32.const 0)))
    (i32.store (i32.const 16) (i32.const 8192)) (i32.store (i32.const 20) (i32.const 256))
    (local.set $err (call $fd_read (local.get $fd) (i32.const 16) (i32.const 1) (i32.const 24)))
    (drop (call $fd_close (local.get $fd)))
    (if (local.get $err) (then (return (local.get $err))))
    (i32.store (i32.const 20) (i32.load (i32.const 24)))
    (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 28)))
    (i32.const 0))
  (func (export "symlink") (param $t i32) (param $tn i32) (param $l i32) (param $ln i32) (result i32)
    (call $symlink (local.get $t) (local.get $tn) (i32.const 3) (local.get $l) (local.get $ln)))
  (func (export "rename") (param $a i32) (param $an i32) (param $b i32) (param $bn i32) (result i32)
    (call $rename (i32.const 3) (local.get $a) (local.get $an) (i32.const 3) (local.get $b) (local.get $bn)))
  (func (export "link") (param $a i32) (param $an i32) (param $b i32) (param $bn i32) (result i32)
    (call $link (i32.const 3) (i32.const 1) (local.get $a) (local.get $an) (i32.const 3) (local.get $b)
      (local.get $bn)))
  (func (export "unlink") (param $p i32) (param $n i32) (result i32)
    (call $unlink (i32.const 3) (local.get $p) (local.get $n)))
  ;; Flip `flip` between a directory and a symlink to ../outside until the deadline stops the guest.
  (func (export "flipper") (param $d i32) (param $dn i32) (param $t i32) (param $tn i32)
    (loop $l
      (drop (call $mkdir (i32.const 3) (local.get $d) (local.get $dn)))
      (drop (call $rmdir (i32.const 3) (local.get $d) (local.get $dn)))
      (drop (call $symlink (local.get $t) (local.get $tn) (i32.const 3) (local.get $d) (local.get $dn)))
      (drop (call $unlink (i32.const 3) (local.get $d) (local.get $dn)))
      (br $l)))
  ;; Try to read `flip/secret.txt` until the deadline; anything read goes to stdout.
  (func (export "reader") (param $p i32) (param $n i32)
    (loop $l (drop (call $read (local.get $p) (local.get $n))) (br $l))))
"""


#: fd_write with ``count`` iovecs that each claim the whole 1 MiB memory: the host must copy at most the room
#: left under the stdout cap, not ``count`` MiB. Returns the errno.
def iovec_flood(count: int) -> str:
    return f"""(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 16)
  (func (export "_start") (drop (call $flood)))
  (func $flood (export "flood") (result i32) (local $i i32)
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $i) (i32.const {count})))
      (i32.store (i32.mul (local.get $i) (i32.const 8)) (i32.const 0))
      (i32.store (i32.add (i32.mul (local.get $i) (i32.const 8)) (i32.const 4)) (i32.const 1048576))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (call $w (i32.const 1) (i32.const 0) (i32.const {count}) (i32.const 1048000))))"""


#: poll_oneoff with ``nsubs`` subscriptions read from zeroed memory (clock subscriptions with timeout 0).
def poll_flood(nsubs: int, pages: int = 256) -> str:
    return f"""(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $p (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") {pages})
  (func (export "poll") (result i32)
    (call $p (i32.const 0) (i32.const 0) (i32.const {nsubs}) (i32.const 0))))"""


#: A buffer-ABI guest whose ``alloc`` hands out a pointer near the top of the 32-bit space.
WILD_ALLOC = """(module
  (memory (export "memory") 1)
  (func (export "alloc") (param i32) (result i32) i32.const -16)
  (func (export "dealloc") (param i32 i32))
  (func (export "echo") (param i32 i32) (result i64)
    (i64.or (i64.shl (i64.extend_i32_u (local.get 0)) (i64.const 32)) (i64.extend_i32_u (local.get 1)))))"""


#: A buffer-ABI guest returning a fixed JSON text (for output that lies about its schema).
def buffer_json(text: str) -> str:
    raw = text.encode()
    escaped = "".join(f"\\{b:02x}" for b in raw)
    return f"""(module
  (memory (export "memory") 1)
  (data (i32.const 1024) "{escaped}")
  (global $top (mut i32) (i32.const 32768))
  (func (export "alloc") (param $n i32) (result i32)
    (local $p i32) (local.set $p (global.get $top))
    (global.set $top (i32.add (global.get $top) (local.get $n))) (local.get $p))
  (func (export "dealloc") (param i32 i32))
  (func (export "answer") (param i32 i32) (result i64)
    (i64.or (i64.shl (i64.const 1024) (i64.const 32)) (i64.const {len(raw)}))))"""


#: A WASI command writing fixed bytes to stdout (for json-stdio output that lies).
def printer(payload: bytes) -> str:
    escaped = "".join(f"\\{b:02x}" for b in payload)
    pages = len(payload) // 65536 + 2
    return f"""(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") {pages})
  (data (i32.const 64) "{escaped}")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 64)) (i32.store (i32.const 4) (i32.const {len(payload)}))
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"""


#: A guest handing a host function a pointer/length pair far outside its memory.
HOST_WILD = """(module
  (import "env" "peek" (func $peek (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "run") (result i32) (call $peek (i32.const -16) (i32.const 0x7fffffff))))"""
