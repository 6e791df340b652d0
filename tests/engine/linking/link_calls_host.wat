;; Calls a host function (which may call back into other instances) and
;; reports 1 if the host function returned.
(module
  (import "host" "call_other" (func $call_other))
  (func (export "run") (result i32)
    call $call_other
    i32.const 1))
