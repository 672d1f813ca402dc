#!/bin/bash
# cluster.sh up|down : 3 namespace nodes mn1..mn3 on bridge mbr0, 10.231.7.0/24
# Run in the directory that holds endprog (outside /tmp: each node has its own /tmp).
NET=10.231.7; N=3; BR=mbr0
if [ "$1" = up ]; then
  ip link add $BR type bridge && ip addr add $NET.254/24 dev $BR && ip link set $BR up
  for i in $(seq 1 $N); do
    ip netns add mn$i
    ip link add mv$i type veth peer name eth0 netns mn$i
    ip link set mv$i master $BR up
    ip -n mn$i addr add $NET.$i/24 dev eth0; ip -n mn$i link set eth0 up; ip -n mn$i link set lo up
    mkdir -p /etc/netns/mn$i
    { echo "127.0.0.1 localhost"; for j in $(seq 1 $N); do echo "$NET.$j mn$j"; done; } > /etc/netns/mn$i/hosts
  done
  : > hostfile; for i in $(seq 1 $N); do echo "mn$i slots=4" >> hostfile; done
  cat > agent.sh <<'EOA'
#!/bin/sh
# rsh agent: agent.sh HOST words...  runs words on node HOST (own hostname, /tmp, /dev/shm)
h=$1; shift
exec ip netns exec "$h" unshare --uts --mount --propagation private sh -c "hostname $h; mount -t tmpfs tmpfs /tmp; mount -t tmpfs tmpfs /dev/shm; exec $*"
EOA
  chmod +x agent.sh
else
  for i in $(seq 1 $N); do for p in $(ip netns pids mn$i 2>/dev/null); do kill -9 $p; done; done
  sleep 0.3
  for i in $(seq 1 $N); do ip link del mv$i 2>/dev/null; ip netns del mn$i 2>/dev/null; rm -rf /etc/netns/mn$i; done
  ip link del $BR 2>/dev/null
fi
