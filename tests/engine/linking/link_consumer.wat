;; Imports the provider's items: reads and writes its memory and global,
;; fills its table with a host function and a function of its own (active
;; element segment), and calls its exported function.
(module
  (type $unary (func (param i32) (result i32)))
  (import "provider" "memory" (memory 1))
  (import "provider" "table" (table 4 funcref))
  (import "provider" "counter" (global $counter (mut i32)))
  (import "provider" "double" (func $double (param i32) (result i32)))
  (import "host" "add_one" (func $add_one (param i32) (result i32)))
  (func $negate (param i32) (result i32)
    i32.const 0 local.get 0 i32.sub)
  (elem (i32.const 1) func $add_one $negate $double)
  (func (export "read") (param i32) (result i32)
    local.get 0 i32.load)
  (func (export "write") (param i32 i32)
    local.get 0 local.get 1 i32.store)
  (func (export "bump") (result i32)
    global.get $counter i32.const 1 i32.add global.set $counter
    global.get $counter)
  (func (export "quadruple") (param i32) (result i32)
    local.get 0 call $double call $double))
