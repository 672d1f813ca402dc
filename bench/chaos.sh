#!/usr/bin/env bash
# The long chaos run (issue 9): a 3-dataset x 4-seed tiny experiment under
# `mpirun --enable-recovery -np 5` while a seeded random schedule SIGKILLs, SIGSTOP/SIGCONTs and
# preempts ranks (and now and then the coordinator) for a bounded time, rerunning the same
# command until the run completes. Ends with every job done exactly once, every result equal to
# training it alone, and a line with the faults injected and survived.
# Usage: bench/chaos.sh [seed] [seconds of faults]   (defaults: 1, 180)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh >/dev/null
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export AMNL_CHAOS_FULL=1 AMNL_CHAOS_SEED="${1:-1}" AMNL_CHAOS_SECONDS="${2:-180}"
"${AMNL_BUILD_DIR:-build}/tests/test_integration" --gtest_filter='ChaosTest.*' | grep -E '^chaos:|OK|FAILED|Failure' 
