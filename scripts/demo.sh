#!/usr/bin/env bash
# The main job: installs, builds, generates a synthetic data set and prepares its windows.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
bin=${AMNL_BUILD_DIR:-build}/app/amnl
demo=${AMNL_DEMO_DIR:-demo-run}
mkdir -p "$demo"
"$bin" synth --out "$demo/data" --dataset-name SYN1 --units 60 --seed 1 --conditions 1
"$bin" synth --out "$demo/data" --dataset-name SYN6 --units 60 --seed 2 --conditions 6 --fault-modes 2
"$bin" data inspect --data-dir "$demo/data" --dataset SYN1
"$bin" data inspect --data-dir "$demo/data" --dataset SYN6
echo "demo: data in $demo/data"
