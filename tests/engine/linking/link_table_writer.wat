;; Writes into the provider's table: at instantiation a function of its own
;; that traps (element segment), at run time a host function (table.set of
;; a ref.func), both called by the provider's dispatch.
(module
  (import "provider" "table" (table 4 funcref))
  (import "host" "add_one" (func $add_one (param i32) (result i32)))
  (func $boom (export "boom") (param i32) (result i32) unreachable)
  (elem (i32.const 0) func $boom)
  (elem declare func $add_one)
  (func (export "put_host") (param i32)
    (table.set 0 (local.get 0) (ref.func $add_one))))
