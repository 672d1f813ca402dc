#!/usr/bin/env bash
# Installs every Debian 12 package amnl needs to build, test and run. Idempotent; run as root
# (or with sudo available). Skips apt entirely when everything is already there.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libtorch-dev
  libopenblas0-openmp          # Debian's libtorch links generic libblas.so.3: reference BLAS is ~12x slower
  libopenmpi-dev openmpi-bin
  libboost-dev nlohmann-json3-dev libspdlog-dev libcli11-dev libgtest-dev
  python3
  python3-torch                # tests: PyTorch reads amnl's models (examples/pytorch); bench: the reference
  gnuplot-nox                  # report plots (PNG)
  chromium                     # tests: headless screenshots of report.html and the live page
  prometheus                   # tests: promtool check metrics
  curl                         # tests: the live status server
  clang-14 libfuzzer-14-dev    # bench/fuzz.sh, sanitizer builds
  slurm-wlm munge              # tests against a real single-node Slurm
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Make sure the generic BLAS resolves to OpenBLAS (the reference BLAS may win on some images).
blas=/usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3
if [ -e "$blas" ] && command -v update-alternatives >/dev/null; then
  current=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 || true)
  if [ "$current" != "$(readlink -f "$blas")" ]; then
    $SUDO update-alternatives --set libblas.so.3-x86_64-linux-gnu "$blas"
  fi
fi
echo "install-deps: all packages present"
