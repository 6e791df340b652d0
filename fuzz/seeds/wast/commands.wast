;; Every command kind the reader hands on: text, binary and quoted modules,
;; registrations, invocations and the assertion forms.
(module $m
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (global (export "g") i32 (i32.const 7)))
(register "m" $m)
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 3))
(assert_trap (invoke "div" (i32.const 1) (i32.const 0)) "integer divide by zero")
(assert_return (get "g") (i32.const 7))
(module binary "\00asm" "\01\00\00\00")
(module quote "(func (result f32) (f32.const nan:0x200000))")
(assert_malformed (module quote "(func (i32.const 0x))") "unknown operator")
(assert_invalid (module (func (result i32) (f32.const 0))) "type mismatch")
(assert_exhaustion (invoke "add" (i32.const 0) (i32.const 0)) "call stack exhausted")
(assert_unlinkable (module (import "m" "missing" (func))) "unknown import")
(assert_return (invoke $m "add" (i32.const -1) (i32.const 1)) (either (i32.const 0) (i32.const 1)))
