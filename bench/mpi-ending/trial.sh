#!/bin/bash
# trial.sh LABEL R0MODE CODE WMODE FAULT  (FAULT: none | crash | poweroff | part15 | partabort | permpart)
# WATCH_LEFT=1: report how long after mpirun the last process left the nodes (else: what is left 1 s later)
# prints one result line: label | rc | s from rank 0's end to mpirun exit | leftovers | output lines
B=$(cd "$(dirname "$0")" && pwd); L=$1 R0=$2 C=$3 W=$4 F=$5
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
D=$B/run.$$.$RANDOM; rm -rf $D; mkdir -p $D
now() { date +%s.%N; }
$B/agent.sh mn1 mpirun --enable-recovery --hostfile $B/hostfile --map-by node -np 6 \
  --mca plm_rsh_agent $B/agent.sh --mca plm_rsh_no_tree_spawn 1 --mca routed direct --mca pml ob1 \
  --mca btl tcp,self --mca btl_tcp_if_include 10.231.7.0/24 --mca oob_tcp_if_include 10.231.7.0/24 \
  --bind-to none $B/endprog $R0 $C $W $D > $D/out 2>&1 &
mp=$!
for i in $(seq 200); do [ -f $D/ready ] && break; sleep 0.1; done
[ -f $D/ready ] || { echo "$L | no ready"; }
sleep 1.5   # heartbeats flow
case $F in
  crash) for p in $(ip netns pids mn3); do kill -9 $p; done; echo mn3 > $D/skip; sleep 1 ;;
  part15) bridge link set dev mv3 state 0; sleep 15; bridge link set dev mv3 state 3; echo mn3 > $D/skip ;;
  permpart) bridge link set dev mv3 state 0; sleep 2; for p in $(ip netns pids mn3); do [ "$(cat /proc/$p/comm)" = orted ] || kill -9 $p; done; echo mn3 > $D/skip ;;
  poweroff) bridge link set dev mv3 state 0; for p in $(ip netns pids mn3); do kill -9 $p; done; echo mn3 > $D/skip; sleep 1 ;;
  partabort) bridge link set dev mv3 state 0; echo mn3 > $D/skip; (sleep 15; bridge link set dev mv3 state 3) & ;;
esac
touch $D/go
for i in $(seq 100); do [ -f $D/r0end ] && break; sleep 0.1; done
rc=hang; dt=">20"
for i in $(seq 200); do
  if ! kill -0 $mp 2>/dev/null; then wait $mp; rc=$?; dt=$(echo "$(now) - $(cat $D/r0end 2>/dev/null || echo 0)" | bc); break; fi
  sleep 0.1
done
if [ -n "$WATCH_LEFT" ]; then
  gone=">30"; t0=$(now)
  for i in $(seq 300); do [ -z "$(for n in mn1 mn2 mn3; do ip netns pids $n; done)" ] && { gone=$(echo "$(now) - $t0" | bc); break; }; sleep 0.1; done
  left="(all gone ${gone}s after mpirun)"
else
  sleep 1; left=""
fi
[ -n "$WATCH_LEFT" ] || for n in mn1 mn2 mn3; do for p in $(ip netns pids $n); do left="$left $n:$(cat /proc/$p/comm 2>/dev/null)"; done; done
if [ "$rc" = hang ]; then kill -TERM $mp; sleep 5; kill -0 $mp 2>/dev/null && { kill -KILL $mp; rc="hang(TERM fails)"; } || { wait $mp; rc="hang(TERM->$?)"; }; fi
[ "$F" = partabort ] && wait   # the heal
if [ "$F" = permpart ]; then bridge link set dev mv3 state 3; sleep 20; l2=""; for n in mn1 mn2 mn3; do for p in $(ip netns pids $n); do l2="$l2 $n:$(cat /proc/$p/comm 2>/dev/null)"; done; done; left="$left; 20s after heal:${l2:- none}"; fi
bridge link set dev mv3 state 3
for n in mn1 mn2 mn3; do for p in $(ip netns pids $n); do kill -9 $p 2>/dev/null; done; done
sleep 0.5
lines=$(grep -vc '^$' $D/out); ban=$(grep -c 'MPI_ABORT was invoked' $D/out)
printf '%s | rc %s | %ss | left:%s | out %s lines, abort banner %s\n' "$L" "$rc" "$dt" "${left:- none}" "$lines" "$ban"
mkdir -p $B/out; cp $D/out $B/out/$L 2>/dev/null; rm -rf $D
