#!/usr/bin/env bash
# Configures and builds amnl (Release, Ninja) into ${AMNL_BUILD_DIR:-build}.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${AMNL_BUILD_DIR:-build}
jobs=${AMNL_BUILD_JOBS:-$(nproc)}
if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
cmake --build "$build" -j "$jobs"
