;; One of each command `wasmlet wast` understands; every one passes.
;; (wabt 1.0.32 reads assert_uninstantiable as `assert_trap (module ...)`,
;; which is how the spec suite writes it.)
(module $M
  (import "spectest" "print_i32" (func $print (param i32)))
  (import "spectest" "global_i32" (global $g i32))
  (import "spectest" "memory" (memory 1))
  (global $counter (export "counter") (mut i32) (i32.const 7))
  (func (export "add") (param i32 i32) (result i32) (call $print (local.get 0)) (i32.add (local.get 0) (local.get 1)))
  (func (export "spectest-global") (result i32) (global.get $g))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "nan") (result f32) (f32.div (f32.const 0) (f32.const 0)))
  (func (export "nan-payload") (result f64) (f64.const nan:0x8000000000001))
  (func (export "splat") (param i32) (result v128) (i32x4.splat (local.get 0)))
  (func (export "halves") (result v128) (v128.const f32x4 0.5 nan -0 1))
  (func (export "id-extern") (param externref) (result externref) (local.get 0))
  (func (export "null-func") (result funcref) (ref.null func))
  (func $loop (export "recurse") (call $loop))
  (func (export "bump") (global.set $counter (i32.add (global.get $counter) (i32.const 1)))))

(assert_return (invoke "add" (i32.const 2) (i32.const 3)) (i32.const 5))
(assert_return (invoke $M "spectest-global") (i32.const 666))
(assert_return (invoke "nan") (f32.const nan:canonical))
(assert_return (invoke "nan-payload") (f64.const nan:arithmetic))
(assert_return (invoke "splat" (i32.const 3)) (v128.const i32x4 3 3 3 3))
(assert_return (invoke "splat" (i32.const 0x01010101)) (v128.const i8x16 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1))
(assert_return (invoke "halves") (v128.const f32x4 0.5 nan:canonical -0 1))
(assert_return (invoke "id-extern" (ref.null extern)) (ref.null extern))
(assert_return (invoke "null-func") (ref.null func))
(assert_trap (invoke "div" (i32.const 1) (i32.const 0)) "integer divide by zero")
(assert_trap (invoke "div" (i32.const 0x80000000) (i32.const -1)) "integer overflow")
(assert_exhaustion (invoke "recurse") "call stack exhausted")
(invoke "bump")
(get "counter")
(assert_return (get $M "counter") (i32.const 8))

(register "m" $M)
(module
  (import "m" "add" (func $add (param i32 i32) (result i32)))
  (import "m" "counter" (global (mut i32)))
  (func (export "add3") (param i32) (result i32) (call $add (local.get 0) (i32.const 3)))
  (func (export "read-counter") (result i32) (global.get 0)))
(assert_return (invoke "add3" (i32.const 4)) (i32.const 7))
(assert_return (invoke "read-counter") (i32.const 8))

(module $B binary "\00asm" "\01\00\00\00" "\07\01\00")  ;; an empty export section
;; A top-level quoted module (wabt 1.0.32's parser aborted on it: wasmlet
;; takes quoted and binary modules out of the script before wabt reads it).
(module $Q quote "(func (export \"seven\") (result i32)" " (i32.const 7))")
(assert_return (invoke $Q "seven") (i32.const 7))

(assert_invalid (module (func (result i32) (i64.const 1))) "type mismatch")
(assert_malformed (module binary "\00asm" "\02\00\00\00") "unknown binary version")
(assert_malformed (module quote "(func (i32.bogus))") "unknown operator")
(assert_unlinkable (module (import "m" "missing" (func))) "unknown import")
(assert_unlinkable (module (import "spectest" "memory" (memory 3))) "incompatible import type")
(assert_trap (module (func $trap unreachable) (start $trap)) "unreachable")
(assert_trap (module (memory 1) (data (i32.const 70000) "x")) "out of bounds memory access")
