;; A second instance with its own memory, for the Store-wide memory limit.
(module
  (memory (export "memory") 1)
  (func (export "grow") (param i32) (result i32)
    local.get 0 memory.grow))
