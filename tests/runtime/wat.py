"""Inline WAT guests used by the runtime tests (each small enough to read in one glance)."""

ADD = '(module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))'

TYPES = """
(module
  (func (export "i64id") (param i64) (result i64) local.get 0)
  (func (export "f32id") (param f32) (result f32) local.get 0)
  (func (export "f64id") (param f64) (result f64) local.get 0)
  (func (export "pair") (param i32) (result i32 i64) local.get 0 local.get 0 i64.extend_i32_s)
  (func (export "nothing"))
  (func (export "vec") (param v128)))
"""

LOOP = '(module (func (export "spin") (loop br 0)))'

TRAPS = """
(module
  (memory (export "memory") 1)
  (func (export "unreachable") unreachable)
  (func (export "oob") (result i32) i32.const 70000 i32.load)
  (func (export "div") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
  (func $rec (export "recurse") (param i32) (result i32) local.get 0 i32.const 1 i32.add call $rec))
"""

# Grows memory one page at a time until memory.grow fails (-1), then aborts as a guest allocator would.
MEMORY_BOMB = """
(module
  (memory (export "memory") 1)
  (func (export "bomb")
    (loop $l
      (if (i32.eq (memory.grow (i32.const 16)) (i32.const -1)) (then unreachable))
      br $l)))
"""

# Asks for 512 MiB of memory at instantiation.
BIG_MEMORY = '(module (memory (export "memory") 8192) (func (export "f")))'

STATEFUL = """
(module
  (memory (export "memory") 1)
  (global $g (mut i32) (i32.const 0))
  (func (export "bump") (result i32)
    global.get $g i32.const 1 i32.add global.set $g
    i32.const 100 i32.const 100 i32.load i32.const 1 i32.add i32.store
    global.get $g i32.const 100 i32.load i32.add))
"""

HELLO = """
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello from wasm\\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 16))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (i32.store (i32.const 4) (i32.const 5))
    (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))))
"""

EXIT = """
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $exit (i32.const 3)))
  (func (export "exit0") (call $exit (i32.const 0)))
  (func (export "exit7") (call $exit (i32.const 7))))
"""

FLOOD = """
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 1024)) (i32.store (i32.const 4) (i32.const 4096))
    (loop $l (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))) br $l)))
"""

# Copies stdin to stdout (echo), 4 KiB at a time.
CAT = """
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (loop $l
      (i32.store (i32.const 0) (i32.const 1024)) (i32.store (i32.const 4) (i32.const 4096))
      (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
      (if (i32.load (i32.const 8)) (then
        (i32.store (i32.const 4) (i32.load (i32.const 8)))
        (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
        br $l)))))
"""

# Sleeps 30 s through poll_oneoff (one relative monotonic clock subscription), then loops.
SLEEP = """
(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func $sleep (param i64) (result i32)
    (i64.store (i32.const 0) (i64.const 7))
    (i32.store8 (i32.const 8) (i32.const 0))
    (i32.store (i32.const 16) (i32.const 1))
    (i64.store (i32.const 24) (local.get 0))
    (i64.store (i32.const 32) (i64.const 0))
    (i32.store16 (i32.const 40) (i32.const 0))
    (call $poll (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)))
  (func (export "_start") (drop (call $sleep (i64.const 30000000000))))
  (func (export "nap") (result i32) (call $sleep (i64.const 1000000)))
  (func (export "userdata") (result i64) i32.const 64 i64.load))
"""

ENV = """
(module
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $get (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "count") (result i32) (drop (call $sizes (i32.const 0) (i32.const 4))) (i32.load (i32.const 0)))
  (func (export "bytes") (result i32) (drop (call $sizes (i32.const 0) (i32.const 4))) (i32.load (i32.const 4)))
  (func (export "first_char") (result i32)
    (drop (call $get (i32.const 0) (i32.const 256)))
    (i32.load8_u (i32.load (i32.const 0)))))
"""

# Tries path_open on the first preopen (fd 3) with paths placed in data segments; returns the WASI errno.
# read_at(ptr, len) opens read-only and reads one byte; create_at(ptr, len) creates/truncates for writing.
FS_PROBE = """
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 1000) "inside.txt")
  (data (i32.const 1100) "../secret.txt")
  (data (i32.const 1200) "/etc/passwd")
  (data (i32.const 1300) "new.txt")
  (data (i32.const 1400) "link-out")
  (func (export "read_at") (param $p i32) (param $n i32) (result i32)
    (local $err i32)
    (local.set $err (call $open (i32.const 3) (i32.const 1) (local.get $p) (local.get $n)
      (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 0)))
    (if (local.get $err) (then (return (local.get $err))))
    (i32.store (i32.const 16) (i32.const 2000)) (i32.store (i32.const 20) (i32.const 1))
    (call $fd_read (i32.load (i32.const 0)) (i32.const 16) (i32.const 1) (i32.const 24)))
  (func (export "first_byte") (result i32) (i32.load8_u (i32.const 2000)))
  (func (export "create_at") (param $p i32) (param $n i32) (result i32)
    (local $err i32)
    (local.set $err (call $open (i32.const 3) (i32.const 1) (local.get $p) (local.get $n)
      (i32.const 9) (i64.const 64) (i64.const 0) (i32.const 0) (i32.const 0)))
    (if (local.get $err) (then (return (local.get $err))))
    (i32.store (i32.const 16) (i32.const 1000)) (i32.store (i32.const 20) (i32.const 3))
    (call $fd_write (i32.load (i32.const 0)) (i32.const 16) (i32.const 1) (i32.const 24))))
"""

HOST_IMPORT = """
(module
  (import "env" "scale" (func $scale (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "run") (param i32) (result i32) (call $scale (local.get 0))))
"""

RANDOM = """
(module
  (import "wasi_snapshot_preview1" "random_get" (func $r (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "f") (result i32) (call $r (i32.const 0) (i32.const 8))))
"""

SOCKET = """
(module
  (import "wasi_snapshot_preview1" "sock_send" (func $s (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "f")))
"""
