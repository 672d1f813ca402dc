#!/usr/bin/env bash
# The orchestrator's layering (orchestrator/README.md) as a test: every source file lives in a
# layer folder, and includes only its own layer, the layers beneath it and common/. Prints every
# include against the grain and fails if there is one.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root/orchestrator"
declare -A allowed=(
  [protocol]="protocol"
  [rundir]="protocol rundir"
  [policy]="protocol rundir policy"
  [ranks]="protocol rundir policy ranks"
  [report]="protocol rundir report"
  [status]="protocol rundir policy status"
  [mpi]="protocol rundir policy ranks report status mpi"
)
bad=0
for f in *.h *.cc; do
  [[ -e $f ]] || continue
  [[ $f == orchestrator_commands.* ]] && continue
  echo "orchestrator/$f: not in a layer folder"; bad=1
done
for layer in "${!allowed[@]}"; do
  for f in "$layer"/*.h "$layer"/*.cc; do
    [[ -e $f ]] || continue
    while read -r inc; do
      [[ " ${allowed[$layer]} " == *" $inc "* ]] && continue
      echo "orchestrator/$f includes orchestrator/$inc/: $layer may include only ${allowed[$layer]}"; bad=1
    done < <(grep -o '#include "orchestrator/[a-z_]*/' "$f" | sed 's|#include "orchestrator/||; s|/$||')
    if [[ $layer != mpi ]] && grep -q '#include <mpi.h>' "$f"; then
      echo "orchestrator/$f includes <mpi.h>: only mpi/ may"; bad=1
    fi
  done
done
for d in */; do
  d=${d%/}
  [[ -n ${allowed[$d]:-} ]] || { echo "orchestrator/$d/: a folder the layering does not know"; bad=1; }
done
[[ $bad == 0 ]] && echo "layering: every include runs with the grain"
exit $bad
