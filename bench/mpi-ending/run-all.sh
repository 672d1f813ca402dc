#!/bin/bash
# The runs of bench/RESULTS-notes.md "Ending a multi-node Open MPI job" (about 40 min; root).
# Builds 3 namespace nodes, runs every trial, prints one line each, removes the nodes.
set -u
cd "$(dirname "$0")"
mpicc -O1 -o endprog endprog.c
./cluster.sh up; trap './cluster.sh down' EXIT
t() { ./trial.sh "$@"; }
for c in 1 75; do t d-clean-fin-exit$c finalize $c finalize none; done
for c in 0 1 75; do t d-clean-abort$c-idle abort $c idle none; t d-clean-abort$c-fin abort $c finalize none; done
for r in 1 2 3; do t a-crash-fin0-r$r finalize 0 finalize crash; done
for r in 1 2 3; do for c in 0 1 75; do t b-crash-abort$c-idle-r$r abort $c idle crash; t b-crash-abort$c-gone-r$r abort $c exit crash; done; done
for r in 1 2 3; do for c in 0 75; do t c-crash-exit$c-wexit-r$r exit $c exit crash; done; done
for r in 1 2; do t e-part15-abort75-idle-r$r abort 75 idle part15; t e-partabort75-idle-r$r abort 75 idle partabort; done
for r in 1 2; do
  for m in "abort 75 exit" "abort 75 idle" "finalize 0 finalize" "termparent 75 finalize"; do set -- $m; t h-poweroff-$1$2-$3-r$r $1 $2 $3 poweroff; done
  t f-crash-termparent75-fin-r$r termparent 75 finalize crash
  t f-clean-termparent75-fin-r$r termparent 75 finalize none
  t f-crash-termparentfin75-idle-r$r termparentfin 75 idle crash
done
for m in "finalize 0 finalize" "abort 75 idle" "abort 75 exit" "termparent 75 finalize"; do set -- $m; t g-permpart-$1$2-$3 $1 $2 $3 permpart; done
for r in 1 2; do for f in poweroff crash; do t i-$f-killparent75-gone-r$r killparent 75 exit $f; done; t i-poweroff-termkillparent75-gone-r$r termkillparent 75 exit poweroff; done
t i-clean-killparent75-gone killparent 75 exit none; t i-permpart-killparent75-gone killparent 75 exit permpart
for r in 1 2; do for f in none crash poweroff; do WATCH_LEFT=1 t j-$f-killparent75-gone-r$r killparent 75 exit $f; done; done
WATCH_LEFT=1 t j-poweroff-killparent75-idle killparent 75 idle poweroff
