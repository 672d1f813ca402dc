#!/usr/bin/env bash
# Builds the libFuzzer targets of bench/fuzz with clang (ASan + UBSan, into build-fuzz/) and runs
# each for a bounded time on its kept seed corpus (bench/fuzz/corpus/<target>/).
#   bench/fuzz.sh [seconds-per-target] [target...]      e.g. bench/fuzz.sh 60 fuzz_ledger
# New inputs go to build-fuzz/corpus/<target>/ (never into the committed seeds); crashers to
# build-fuzz/crashes/<target>/. Exits 1 when any target found a crash, leak, hang or OOM.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_cmapss fuzz_experiment fuzz_ledger fuzz_messages fuzz_manifest)
build=${AMNL_FUZZ_BUILD_DIR:-build-fuzz}
cxx=${AMNL_FUZZ_CXX:-clang++-14}

if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$cxx" \
    -DAMNL_FUZZ=ON -DAMNL_SANITIZE=fuzzer-no-link,address,undefined
fi
cmake --build "$build" -j "${AMNL_BUILD_JOBS:-2}" --target "${targets[@]}"

status=0
for t in "${targets[@]}"; do
  seeds=bench/fuzz/corpus/$t
  work=$build/corpus/$t
  crashes=$build/crashes/$t
  mkdir -p "$work" "$crashes"
  echo "== $t: ${seconds}s"
  # -timeout: one input taking > 10 s is a hang; -rss_limit_mb / -malloc_limit_mb: memory
  # growth without bound is a bug. -max_len 64 KiB covers every real record and small files.
  if ! UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ASAN_OPTIONS=detect_leaks=1 \
      nice "$build/bench/fuzz/$t" "$work" "$seeds" -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2048 -malloc_limit_mb=1024 -max_len=65536 -print_final_stats=1 \
      -artifact_prefix="$crashes/" 2>&1 | tee "$build/$t.log" | grep -E "^#[0-9]+.*(DONE|pulse)|ERROR|SUMMARY|stat::|Test unit written"; then
    :
  fi
  if grep -qE "ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer)|runtime error:" "$build/$t.log"; then
    echo "!! $t: crasher in $crashes (log $build/$t.log)"
    status=1
  fi
done
exit $status
