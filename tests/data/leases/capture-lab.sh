#!/bin/bash
# Captures real dhcpd.leases files written by ISC dhcpd 4.4 in a failover pair,
# for use as test fixtures. Everything runs in network namespaces this script
# creates (a bridge namespace, two servers, two clients) and removes again;
# nothing touches the host's interfaces. Needs root, /usr/sbin/dhcpd and
# /usr/sbin/dhclient (Debian isc-dhcp-server / isc-dhcp-client).
#
# Usage: capture-lab.sh OUTDIR
# Writes OUTDIR/lab-primary.leases, lab-secondary.leases and the servers' logs.
set -u
OUT=$(realpath "${1:?usage: capture-lab.sh OUTDIR}")
HERE=$(dirname "$(realpath "$0")")
WORK=$(mktemp -d /tmp/leaselab.XXXXXX)
P=ltlab
PIDS=()

cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
    sleep 0.5
    for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
    for ns in br srv1 srv2 cl1 cl2; do ip netns del "$P-$ns" 2>/dev/null; done
}
trap cleanup EXIT

for ns in br srv1 srv2 cl1 cl2; do ip netns add "$P-$ns"; done
ip -n "$P-br" link add br0 type bridge
ip -n "$P-br" link set br0 up
i=0
for ns in srv1 srv2 cl1 cl2; do
    i=$((i + 1))
    ip link add "v$i" netns "$P-$ns" type veth peer name "b$i" netns "$P-br"
    ip -n "$P-br" link set "b$i" master br0 up
    ip -n "$P-$ns" link set lo up
    ip -n "$P-$ns" link set "v$i" address "02:00:00:00:00:0$i" up
done
ip -n "$P-srv1" addr add 10.77.0.1/24 dev v1
ip -n "$P-srv2" addr add 10.77.0.2/24 dev v2

: > "$WORK/primary.leases"
: > "$WORK/secondary.leases"
start_server() { # NAME NS IFACE
    ip netns exec "$2" /usr/sbin/dhcpd -4 -f -d -cf "$HERE/lab-$1.conf" -lf "$WORK/$1.leases" \
        -pf "$WORK/$1.pid" "$3" > "$WORK/$1.log" 2>&1 &
    PIDS+=($!)
}
start_server primary "$P-srv1" v1
start_server secondary "$P-srv2" v2

for _ in $(seq 60); do
    grep -q "Both servers normal" "$WORK/primary.log" && break
    sleep 1
done

client() { # N HOSTNAME: get a lease and keep it (dhclient stays in the foreground)
    cat > "$WORK/cl$1.conf" <<EOF
send host-name "$2";
send dhcp-client-identifier "\\001lab-client-$1";
send vendor-class-identifier "lab-vendor $1";
EOF
    ip netns exec "$P-cl$1" /usr/sbin/dhclient -4 -d -1 -sf /bin/true -cf "$WORK/cl$1.conf" \
        -lf "$WORK/cl$1.leases" -pf "$WORK/cl$1.pid" "v$(($1 + 2))" > "$WORK/cl$1.log" 2>&1 &
    PIDS+=($!)
}
client 1 lab1
client 2 lab2
for _ in $(seq 30); do
    [ -s "$WORK/cl1.leases" ] && [ -s "$WORK/cl2.leases" ] && break
    sleep 1
done
sleep 3
# Client 2 releases its lease (DHCPRELEASE), client 1 keeps renewing.
ip netns exec "$P-cl2" /usr/sbin/dhclient -4 -r -sf /bin/true -cf "$WORK/cl2.conf" \
    -lf "$WORK/cl2.leases" -pf "$WORK/cl2.pid" v4 >> "$WORK/cl2.log" 2>&1
sleep 5
# The secondary goes away: the primary moves to communications-interrupted.
kill "${PIDS[1]}"
for _ in $(seq 60); do
    grep -q "communications-interrupted" "$WORK/primary.log" && break
    sleep 1
done
sleep 2

mkdir -p "$OUT"
cp "$WORK/primary.leases" "$OUT/lab-primary.leases"
cp "$WORK/secondary.leases" "$OUT/lab-secondary.leases"
cp "$WORK/primary.log" "$OUT/lab-primary.log"
cp "$WORK/secondary.log" "$OUT/lab-secondary.log"
rm -rf "$WORK"
