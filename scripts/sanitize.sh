#!/usr/bin/env bash
# Builds the libraries and their unit tests with AddressSanitizer + UndefinedBehaviorSanitizer
# (build-sanitize/) and runs them. Any report fails the run. Usage: scripts/sanitize.sh [gtest args]
# The torch-based worker suite is included; libtorch itself is not instrumented.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
build=${AMNL_SANITIZE_BUILD_DIR:-build-sanitize}
if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAMNL_SANITIZE=address,undefined
fi
# AMNL_SANITIZE_TARGETS="test_common test_cmapss test_orchestrator" skips the torch-heavy worker suite.
# shellcheck disable=SC2086
cmake --build "$build" -j "${AMNL_BUILD_JOBS:-$(nproc)}" --target ${AMNL_SANITIZE_TARGETS:-test_common test_cmapss test_orchestrator test_worker}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cd "$build"
# Each suite's binary in one process: a sanitizer report aborts it (abort_on_error) and fails the run.
status=0
for t in ${AMNL_SANITIZE_TARGETS:-test_common test_cmapss test_orchestrator test_worker}; do
  echo "== $t (ASan + UBSan)"
  "./tests/$t" "$@" || status=1
done
exit "$status"
