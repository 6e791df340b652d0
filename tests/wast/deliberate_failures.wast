;; Deliberate failures: `wasmlet wast` must report each with its line.
(module
  (func (export "one") (result i32) (i32.const 1))
  (func (export "trap") unreachable))

(assert_return (invoke "one") (i32.const 1))
(assert_return (invoke "one") (i32.const 2))
(assert_trap (invoke "one") "unreachable")
(assert_return (invoke "trap"))
(assert_invalid (module (func (result i32) (i32.const 1))) "type mismatch")
(assert_trap (invoke "trap") "integer overflow")
(assert_return (invoke "missing"))
