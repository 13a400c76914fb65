# The workspace's guest crates: built only for wasm32-wasip2. Sourced by the
# other scripts. Shipped mixins first, then test-only ones.
# shellcheck disable=SC2034
SHIPPED_GUESTS=(exec terraform docker helm3 kubernetes)
TEST_GUESTS=(misbehave future-world legacy-v0-1 runlines hostile-files hostile-image hostile-process)
GUESTS=("${SHIPPED_GUESTS[@]}" "${TEST_GUESTS[@]}")
