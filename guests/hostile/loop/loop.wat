;; Attacks: CPU time. `run` spins forever and never returns; only the host's fuel budget or its epoch
;; deadline can stop it (expect WasmFuelExhaustedError or WasmTimeoutError, whichever comes first).
(module
  (func (export "run") (result i32)
    (loop $forever
      (br $forever))
    (i32.const 0)))
