;; A test-only hostile mixin, written by hand because a Rust guest has one
;; memory and the attack needs several: a component may hold many memories
;; and tables, each under the memory cap on its own. Its `execute` grows
;; them one after another until the host stops it (issue 11, hole 7).
;;
;; This is the core module of a `wharf:mixin@0.1.0` component; the test
;; support crate (tests/support/src/wat_guest.rs) embeds the world from
;; wit/mixin.wit and wraps it with wit-component. Never shipped.
;;
;; `execute` reads the third byte of its step's JSON text:
;;   {"memories": ...}  grows eight memories by 250 MiB each;
;;   {"tables": ...}    grows four memories by 250 MiB, then a table by
;;                      4 Mi elements (32 MiB at 8 bytes each), so only
;;                      memories and tables together pass a 1 GiB cap;
;;   anything else      returns no outputs, as a well-behaved step would.
;; A grow the host refuses traps; a grow that returns -1 traps too, so the
;; attack never passes for a success by failing quietly.
(module
  (memory $m0 (export "memory") 1)
  (memory $m1 0)
  (memory $m2 0)
  (memory $m3 0)
  (memory $m4 0)
  (memory $m5 0)
  (memory $m6 0)
  (memory $m7 0)
  (table $spare 0 funcref)

  ;; Constant strings.
  (data (memory $m0) (i32.const 0x010) "hostile-memory")
  (data (memory $m0) (i32.const 0x020) "0.0.1")
  (data (memory $m0) (i32.const 0x040) "Attacks the memory cap with many memories and a table (tests only)")
  (data (memory $m0) (i32.const 0x100) "Wharf tests")
  (data (memory $m0) (i32.const 0x110) "0.1.0")
  (data (memory $m0) (i32.const 0x120) "{\"type\":\"object\"}")
  ;; mixin-metadata: name, version, description, author, programs (an
  ;; empty list), world-version, each as (pointer, length).
  (data (memory $m0) (i32.const 0x200)
    "\10\00\00\00\0e\00\00\00"
    "\20\00\00\00\05\00\00\00"
    "\40\00\00\00\42\00\00\00"
    "\00\01\00\00\0b\00\00\00"
    "\00\00\00\00\00\00\00\00"
    "\10\01\00\00\05\00\00\00")
  ;; schema's string.
  (data (memory $m0) (i32.const 0x240) "\20\01\00\00\11\00\00\00")
  ;; 0x260: result::ok of an empty list (all zeroes), shared by build,
  ;; lint and execute.

  ;; A bump allocator for the host's arguments: nothing is ever freed, as
  ;; every call gets a fresh instance.
  (global $heap (mut i32) (i32.const 0x400))
  (func (export "cabi_realloc")
    (param $old i32) (param $old_size i32) (param $align i32) (param $size i32)
    (result i32)
    (local $at i32)
    (local.set $at
      (i32.and
        (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
        (i32.sub (i32.const 0) (local.get $align))))
    (global.set $heap (i32.add (local.get $at) (local.get $size)))
    (if (i32.gt_u (global.get $heap)
                  (i32.mul (memory.size $m0) (i32.const 65536)))
      (then
        (if (i32.eq (memory.grow $m0 (i32.const 1)) (i32.const -1))
          (then unreachable))))
    (local.get $at))

  (func (export "wharf:mixin/api@0.1.0#metadata") (result i32)
    (i32.const 0x200))
  (func (export "wharf:mixin/api@0.1.0#schema") (result i32)
    (i32.const 0x240))
  (func (export "wharf:mixin/api@0.1.0#build")
    (param i32 i32 i32 i32 i32) (result i32)
    (i32.const 0x260))
  (func (export "wharf:mixin/api@0.1.0#lint")
    (param i32 i32 i32 i32 i32) (result i32)
    (i32.const 0x260))

  ;; 250 MiB in 64 KiB pages.
  (func $grow_memories (param $count i32)
    (if (i32.ge_u (local.get $count) (i32.const 1)) (then
      (if (i32.eq (memory.grow $m1 (i32.const 4000)) (i32.const -1)) (then unreachable))))
    (if (i32.ge_u (local.get $count) (i32.const 2)) (then
      (if (i32.eq (memory.grow $m2 (i32.const 4000)) (i32.const -1)) (then unreachable))))
    (if (i32.ge_u (local.get $count) (i32.const 3)) (then
      (if (i32.eq (memory.grow $m3 (i32.const 4000)) (i32.const -1)) (then unreachable))))
    (if (i32.ge_u (local.get $count) (i32.const 4)) (then
      (if (i32.eq (memory.grow $m4 (i32.const 4000)) (i32.const -1)) (then unreachable))))
    (if (i32.ge_u (local.get $count) (i32.const 5)) (then
      (if (i32.eq (memory.grow $m5 (i32.const 4000)) (i32.const -1)) (then unreachable))))
    (if (i32.ge_u (local.get $count) (i32.const 6)) (then
      (if (i32.eq (memory.grow $m6 (i32.const 4000)) (i32.const -1)) (then unreachable))))
    (if (i32.ge_u (local.get $count) (i32.const 7)) (then
      (if (i32.eq (memory.grow $m7 (i32.const 4000)) (i32.const -1)) (then unreachable))))
    (if (i32.ge_u (local.get $count) (i32.const 8)) (then
      (if (i32.eq (memory.grow $m0 (i32.const 4000)) (i32.const -1)) (then unreachable)))))

  (func (export "wharf:mixin/api@0.1.0#execute")
    (param $action i32) (param $action_len i32) (param $step i32) (param $step_len i32)
    (result i32)
    (local $mode i32)
    (if (i32.gt_u (local.get $step_len) (i32.const 2))
      (then (local.set $mode (i32.load8_u $m0 offset=2 (local.get $step)))))
    ;; 'm'
    (if (i32.eq (local.get $mode) (i32.const 0x6d))
      (then (call $grow_memories (i32.const 8))))
    ;; 't'
    (if (i32.eq (local.get $mode) (i32.const 0x74))
      (then
        (call $grow_memories (i32.const 4))
        (if (i32.eq (table.grow $spare (ref.null func) (i32.const 4194304)) (i32.const -1))
          (then unreachable))))
    (i32.const 0x260))
)
