#!/usr/bin/env bash
# A two-namespace lab: our dhcpd serving busybox udhcpc over a bridge, all
# inside network namespaces this script creates and deletes (no traffic
# reaches the host's links). Needs root, iproute2 and busybox.
# Usage: demo/serve-lab.sh PATH/TO/dhcpd
set -euo pipefail
bin=${1:?usage: $0 PATH/TO/dhcpd}
if [ "$(id -u)" != 0 ]; then
    echo "demo: needs root (network namespaces); try: sudo $0 $bin" >&2
    exit 1
fi
p=demo$$
work=$(mktemp -d /tmp/dhcpd-demo.XXXXXX)
server=
cleanup() {
    [ -n "$server" ] && kill -TERM "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
    for ns in ${p}s ${p}c ${p}b; do ip netns del "$ns" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
for ns in ${p}s ${p}c ${p}b; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip -n ${p}b link add br0 type bridge stp_state 0 forward_delay 0
ip -n ${p}b link set br0 up
ip -n ${p}s link add s0 type veth peer name ps netns ${p}b
ip -n ${p}c link add c0 type veth peer name pc netns ${p}b
ip -n ${p}s link set s0 up; ip -n ${p}c link set c0 up
ip -n ${p}b link set ps master br0 up; ip -n ${p}b link set pc master br0 up
ip -n ${p}s addr add 10.77.0.1/24 dev s0
cat > "$work/dhcpd.conf" <<CONF
authoritative;
default-lease-time 600;
subnet 10.77.0.0 netmask 255.255.255.0 {
  range 10.77.0.100 10.77.0.150;
  option routers 10.77.0.1;
  option domain-name-servers 10.77.0.53;
}
CONF
: > "$work/dhcpd.leases"
ip netns exec ${p}s "$bin" -d -cf "$work/dhcpd.conf" -lf "$work/dhcpd.leases" -pf "$work/dhcpd.pid" s0 &
server=$!
for _ in $(seq 50); do [ -s "$work/dhcpd.pid" ] && break; sleep 0.1; done
echo "--- busybox udhcpc in the client namespace"
ip netns exec ${p}c timeout 30 busybox udhcpc -q -f -n -i c0 -s /bin/true -t 5 -T 2
echo "--- the lease file"
cat "$work/dhcpd.leases"
echo "--- SIGTERM"
kill -TERM "$server"; wait "$server" && echo "dhcpd exited 0"; server=
