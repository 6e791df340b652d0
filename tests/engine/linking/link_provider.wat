;; Exports one of every kind for other instances to import: a memory, a
;; funcref table it calls through, a mutable global, and functions.
(module
  (type $unary (func (param i32) (result i32)))
  (memory (export "memory") 1 4)
  (table (export "table") 4 funcref)
  (global (export "counter") (mut i32) (i32.const 0))
  (global (export "fixed") i32 (i32.const 7))
  (func (export "double") (param i32) (result i32)
    local.get 0 i32.const 2 i32.mul)
  (func (export "store") (param i32 i32)
    local.get 0 local.get 1 i32.store)
  (func (export "load") (param i32) (result i32)
    local.get 0 i32.load)
  (func (export "counter_value") (result i32) global.get 0)
  ;; call_indirect through the exported table: the slots are filled by others.
  (func $dispatch (export "dispatch") (param i32 i32) (result i32)
    local.get 1 local.get 0 call_indirect (type $unary))
  (func (export "grow") (param i32) (result i32)
    local.get 0 memory.grow)
  ;; The store keeps a C compiler from replacing the loop by its result.
  (func (export "spin") (param i32) (result i32)
    (local i32)
    (loop $l
      (i32.store (i32.and (i32.shl (local.get 1) (i32.const 2)) (i32.const 0xffc)) (local.get 1))
      local.get 1 i32.const 1 i32.add local.set 1
      local.get 1 local.get 0 i32.lt_u br_if $l)
    local.get 1))
