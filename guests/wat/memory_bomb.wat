(module
  (memory (export "memory") 1)
  (func (export "bomb")
    (loop $l
      (if (i32.eq (memory.grow (i32.const 16)) (i32.const -1)) (then unreachable))
      br $l)))
