"""Inline WAT guests used by the runtime tests (each small enough to read in one glance).

Guests the demo also runs live in ``guests/wat/`` and are loaded from there.
"""

from pathlib import Path

_GUESTS = Path(__file__).resolve().parents[2] / "guests" / "wat"


def _load(name: str) -> str:
    return (_GUESTS / f"{name}.wat").read_text()


TYPES = """
(module
  (func (export "i64id") (param i64) (result i64) local.get 0)
  (func (export "f32id") (param f32) (result f32) local.get 0)
  (func (export "f64id") (param f64) (result f64) local.get 0)
  (func (export "pair") (param i32) (result i32 i64) local.get 0 local.get 0 i64.extend_i32_s)
  (func (export "nothing"))
  (func (export "vec") (param v128)))
"""


TRAPS = """
(module
  (memory (export "memory") 1)
  (func (export "unreachable") unreachable)
  (func (export "oob") (result i32) i32.const 70000 i32.load)
  (func (export "div") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
  (func $rec (export "recurse") (param i32) (result i32) local.get 0 i32.const 1 i32.add call $rec))
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


EXIT = """
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $exit (i32.const 3)))
  (func (export "exit0") (call $exit (i32.const 0)))
  (func (export "exit7") (call $exit (i32.const 7))))
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

ADD = _load("add")
LOOP = _load("spin")
MEMORY_BOMB = _load("memory_bomb")
SLEEP = _load("sleep")
CAT = _load("cat")
FLOOD = _load("flood")
FS_PROBE = _load("fs_probe")
HELLO = _load("hello")
