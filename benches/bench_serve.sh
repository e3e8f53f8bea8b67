#!/usr/bin/env bash
# Serving throughput, ours against ISC dhcpd, with perfdhcp (Kea's load
# generator) in network namespaces this script creates and deletes:
#
#   [srv: s0 10.77.0.1/16] ---- veth ---- [gen: g0 10.77.0.2/16] perfdhcp
#
# perfdhcp acts as a relay (giaddr = 10.77.0.2, source port 67), so replies
# go back through each server's UDP socket. Both servers get the same
# configuration (a /16 pool, ping-check off), an empty lease file on the
# same disk, fsync on, and run in the foreground without -d (log lines to
# syslog only, as a deployed server).
#
# For each server and each rate in RATES: perfdhcp runs DORA exchanges at
# that rate for SECONDS, then we read what it sent and got back, its delays,
# and the server's CPU time (utime+stime from /proc) and peak RSS (VmHWM).
#
# Usage: benches/bench_serve.sh PATH/TO/OUR/dhcpd   (root; perfdhcp, ip)
# Env: RATES="500 1000 2000 4000" SECONDS_PER_RATE=20 WORK=/tmp/dir
set -euo pipefail
ours=${1:?usage: $0 PATH/TO/OUR/dhcpd}
isc=/usr/sbin/dhcpd
rates=${RATES:-"500 1000 2000 4000"}
secs=${SECONDS_PER_RATE:-20}
[ "$(id -u)" = 0 ] || { echo "bench: needs root (network namespaces)" >&2; exit 1; }
command -v perfdhcp >/dev/null || { echo "bench: perfdhcp not installed (kea-admin)" >&2; exit 1; }
p=bs$$
work=${WORK:-$(mktemp -d /tmp/dhcpd-bench.XXXXXX)}
mkdir -p "$work"
server=
cleanup() {
    if [ -n "$server" ]; then kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
    ip netns del ${p}s 2>/dev/null || true
    ip netns del ${p}g 2>/dev/null || true
}
trap cleanup EXIT
ip netns add ${p}s; ip netns add ${p}g
ip -n ${p}s link set lo up; ip -n ${p}g link set lo up
ip -n ${p}s link add s0 type veth peer name g0 netns ${p}g
ip -n ${p}s link set s0 up; ip -n ${p}g link set g0 up
ip -n ${p}s addr add 10.77.0.1/16 dev s0
ip -n ${p}g addr add 10.77.0.2/16 dev g0

cat > "$work/dhcpd.conf" <<'CONF'
authoritative;
ping-check false;
default-lease-time 3600;
max-lease-time 3600;
subnet 10.77.0.0 netmask 255.255.0.0 {
  range 10.77.1.0 10.77.254.254;
  option routers 10.77.0.1;
  option domain-name-servers 10.77.0.53;
}
CONF

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hwm_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }

printf '%-5s %6s %8s %8s %8s %7s %9s %9s %10s %8s\n' server rate sent recvd acks lost% avg_ms max_ms cpu_ms/ack rss_MB
for name in isc ours; do
    bin=$isc; [ $name = ours ] && bin=$ours
    for rate in $rates; do
        : > "$work/$name.leases"
        rm -f "$work/$name.leases~"
        ip netns exec ${p}s "$bin" -4 -f -cf "$work/dhcpd.conf" -lf "$work/$name.leases" --no-pid s0 2> "$work/$name.err" &
        server=$!
        sleep 1.5
        kill -0 "$server" || { echo "bench: $name did not start:"; cat "$work/$name.err"; exit 1; }
        t0=$(cpu_ticks "$server")
        ip netns exec ${p}g perfdhcp -4 -r "$rate" -p "$secs" -R 60000 -l 10.77.0.2 10.77.0.1 > "$work/$name-$rate.out" 2>&1 || true
        sleep 1
        t1=$(cpu_ticks "$server")
        rss=$(hwm_kib "$server")
        kill -TERM "$server"; wait "$server" 2>/dev/null || true; server=
        acks=$(grep -c '^lease ' "$work/$name.leases" || true)
        out="$work/$name-$rate.out"
        # perfdhcp prints the DISCOVER-OFFER and REQUEST-ACK exchanges in turn.
        sent=$(awk '/sent packets:/ {s+=$3} END {print s+0}' "$out")
        recvd=$(awk '/received packets:/ {s+=$3} END {print s+0}' "$out")
        drops=$(awk '/drops:/ {s+=$2} END {print s+0}' "$out")
        avg=$(awk '/avg delay:/ {print $3; exit}' "$out")
        ravg=$(awk '/avg delay:/ {n++; if (n==2) print $3}' "$out")
        max=$(awk '/max delay:/ {if ($3>m) m=$3} END {print m+0}' "$out")
        hz=$(getconf CLK_TCK)
        cpu=$(awk -v a="$t0" -v b="$t1" -v n="$acks" -v hz="$hz" 'BEGIN {if (n>0) printf "%.3f", (b-a)*1000/hz/n; else print "-"}')
        lost=$(awk -v s="$sent" -v d="$drops" 'BEGIN {if (s>0) printf "%.2f", 100*d/s; else print "-"}')
        printf '%-5s %6s %8s %8s %8s %7s %9s %9s %10s %8.1f\n' $name "$rate" "$sent" "$recvd" "$acks" "$lost" "${avg:-?}/${ravg:-?}" "$max" "$cpu" "$(echo "$rss/1024" | bc -l)"
    done
done
echo "(raw perfdhcp output in $work)"
