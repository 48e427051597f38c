;; A core module for the echo world (wit/echo.wit) whose results lie: values outside their WIT type, pointers
;; outside memory, invalid UTF-8, and lists 50,000 times longer than the input (zeroed memory lifts as valid
;; values of every element type, so only their number is hostile).
(module
  (memory (export "memory") 1024)
  (data (i32.const 64) "\ff\fe\fd")
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 1024)
  ;; scalars: a u8 past 255, a bool of 2, a char in the surrogate range, an enum case that does not exist,
  ;; flags bits past the declared flags
  (func (export "echo-u8") (param i32) (result i32) i32.const 300)
  (func (export "echo-bool") (param i32) (result i32) i32.const 2)
  (func (export "echo-char") (param i32) (result i32) i32.const 0xD800)
  (func (export "echo-color") (param i32) (result i32) i32.const 7)
  (func (export "echo-perms") (param i32) (result i32) i32.const 0xFF)
  (func $id32 (param i32) (result i32) local.get 0)
  (func $id64 (param i64) (result i64) local.get 0)
  (export "echo-s8" (func $id32)) (export "echo-u16" (func $id32)) (export "echo-s16" (func $id32))
  (export "echo-u32" (func $id32)) (export "echo-s32" (func $id32))
  (export "echo-u64" (func $id64)) (export "echo-s64" (func $id64))
  (func (export "echo-f32") (param f32) (result f32) local.get 0)
  (func (export "echo-f64") (param f64) (result f64) local.get 0)
  ;; a string of invalid UTF-8
  (func (export "echo-string") (param i32 i32) (result i32)
    (i32.store (i32.const 0) (i32.const 64)) (i32.store (i32.const 4) (i32.const 3)) (i32.const 0))
  ;; a list that reaches past the end of memory
  (func (export "echo-chars") (param i32 i32) (result i32)
    (i32.store (i32.const 0) (i32.const 0xFFFF0000)) (i32.store (i32.const 4) (i32.const 0x7FFFFFFF)) (i32.const 0))
  ;; lists 50,000 times longer than the input
  (func $flood (param i32 i32) (result i32)
    (i32.store (i32.const 0) (i32.const 4096))
    (i32.store (i32.const 4) (i32.mul (local.get 1) (i32.const 50000)))
    (i32.const 0))
  (export "echo-bytes" (func $flood)) (export "echo-f64s" (func $flood)) (export "echo-strings" (func $flood))
  (export "echo-shapes" (func $flood)) (export "echo-items" (func $flood)) (export "echo-nested" (func $flood)))
