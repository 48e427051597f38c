;; Attacks: the host's reading of buffer-ABI results. A buffer guest (memory, alloc, dealloc) whose results
;; point outside its linear memory. The host must bounds-check ptr + len (as unbounded integers) against the
;; memory size before reading or allocating anything, and raise a typed error.
;;   echo(ptr, len) -> ptr 0xFFFF0000, len 0x7FFFFFFF: far outside a 1-page memory
;;   huge(ptr, len) -> a valid ptr with len 0xFFFFFFFF: a host that allocates `len` first asks for 4 GiB
;;   wrap(ptr, len) -> ptr 0xFFFFFFF0, len 0x20: ptr + len wraps to 0x10 in 32-bit arithmetic
(module
  (memory (export "memory") 1)
  (global $top (mut i32) (i32.const 1024))
  ;; bump allocator; dealloc does nothing (one call per fresh instance, so nothing to reclaim)
  (func (export "alloc") (param $len i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $top))
    (global.set $top (i32.and (i32.add (i32.add (local.get $p) (local.get $len)) (i32.const 7)) (i32.const -8)))
    (if (i32.gt_u (global.get $top) (i32.mul (memory.size) (i32.const 65536)))
      (then
        (if (i32.eq (memory.grow (i32.add (i32.shr_u (i32.sub (global.get $top)
                                                     (i32.mul (memory.size) (i32.const 65536)))
                                                     (i32.const 16))
                                          (i32.const 1)))
                    (i32.const -1))
          (then (global.set $top (local.get $p)) (return (i32.const 0))))))
    (local.get $p))
  (func (export "dealloc") (param i32 i32))
  (func (export "echo") (param $ptr i32) (param $len i32) (result i64)
    (i64.const 0xFFFF00007FFFFFFF))
  (func (export "huge") (param $ptr i32) (param $len i32) (result i64)
    (i64.or (i64.shl (i64.const 1024) (i64.const 32)) (i64.const 0xFFFFFFFF)))
  (func (export "wrap") (param $ptr i32) (param $len i32) (result i64)
    (i64.const 0xFFFFFFF000000020)))
