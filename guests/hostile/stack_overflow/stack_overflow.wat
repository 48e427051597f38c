;; Attacks: the host's native stack. `run` recurses without bound through a non-tail call (each frame keeps
;; work to do after the call returns, so no engine can turn it into a loop). The engine must stop it with a
;; stack_overflow trap (WasmTrapError, trap_code "stack_overflow") instead of crashing the host process.
(module
  (func $descend (param $depth i64) (result i64)
    (i64.add
      (call $descend (i64.add (local.get $depth) (i64.const 1)))
      (local.get $depth)))
  (func (export "run") (result i32)
    (i32.wrap_i64 (call $descend (i64.const 0)))))
