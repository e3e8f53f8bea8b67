#!/usr/bin/env bash
# bench_serve.sh -- serving throughput of one or two dhcpd binaries, measured
# with perfdhcp in network namespaces (`make bench-serve`).
#
# Usage (as root):  benches/bench_serve.sh [BIN_A [BIN_B ...]]
#   default: our target/release/dhcpd and ISC's /usr/sbin/dhcpd (and Kea's
#   kea-dhcp4, see KEA); one argument is measured against ISC's; the binaries
#   may be the same one; a path ending in kea-dhcp4 is run as Kea
#   COMPARE=0        only the binaries given (default: ours alone), no ISC
#                    or Kea added (e.g. to find our knee with a larger POOL)
#   KEA=auto         single mode: Kea's /usr/sbin/kea-dhcp4 (KEA_BIN) is
#                    measured too when it is installed and no BIN names it
#                    (KEA=0: never; KEA=1: required). Not in failover mode
#                    (Kea's HA is not ISC's failover protocol)
#   MODE=single      one server (default)
#   MODE=failover    a failover pair; each BIN may be PRIMARY,SECONDARY
#                    (e.g. target/release/dhcpd,/usr/sbin/dhcpd for a mixed pair)
#   STEP_SECONDS=10  length of each rate step (SECONDS_PER_RATE is the same)
#   RATES="500 1000" a fixed list of offered rates instead of the ramp, one
#                    try each
#   RATE_START=50    first offered rate (4-way exchanges/s); doubled each step
#   RATE_MAX=100000  the ramp stops there
#   BISECT=3         rates tried to narrow the sustained rate after the ramp
#   REPEATS=3        tries per rate: a rate passes when one try loses < LOSS_PCT
#   LOSS_PCT=1       the loss that ends "sustained"
#   POOL=20000       addresses in the pool (at most 250000). A step never
#                    uses more than 80 % of it: steps are shortened, and the
#                    ramp stops where even 2 s would run the pool dry (raise
#                    POOL for faster servers). ISC's CPU per lease grows with
#                    the pool's size, so compare figures at the same POOL.
#   BENCH_TIMEOUT=1800  the whole run ends after this many seconds (3600
#                    when a third server is measured)
#
# Needs perfdhcp (Debian: `apt-get install kea-admin`, which ships
# /usr/sbin/perfdhcp) and python3. Not run by CI.
#
# What is measured, per binary: perfdhcp relays DORA exchanges to the server
# (it binds port 67 on its own address and sets giaddr to it, as a relay
# agent does) over a veth between two namespaces. The server is ISC's command
# line, `dhcpd -4 -f -d -cf C -lf L -pf P IFACE`, with the lease file in this
# repository's target directory (the same disk as the build, not tmpfs) and
# durable commits on both sides: ISC fsyncs every commit, and
# `dhcp-cache-threshold 0` stops it from answering a returning client without
# writing. `ping-check false`, because ping-check delays each first offer by a
# second in ISC and would measure the timeout, not the server.
# Kea (2.2) gets the same network, pool and lease times in its JSON
# (`kea-dhcp4 -c`, raw sockets on the same interface, authoritative) with the
# memfile lease database, persist true, and its INFO log on stdout: its lease
# file is written but NOT fsync'd (memfile never syncs), so its figures are
# for leases that a crash can lose.
#   sustained   the highest completed-exchange rate with < LOSS_PCT % of the
#               exchanges lost (no ACK within perfdhcp's 1 s drop time); the
#               offered rate is doubled until loss passes it, then bisected
#   saturation  the highest completed rate seen at any offered rate
#   latency     p50/p99 of DISCOVER->OFFER and REQUEST->ACK at the sustained
#               step (perfdhcp -x t timestamps)
#   CPU/lease   server utime+stime (/proc/PID/stat) over the sustained step,
#               divided by the ACKs it sent; both servers in failover mode,
#               until their lease files are quiet after the step
#   partner     failover mode, each step: the addresses whose last record is
#               active in either lease file once both are quiet, and how
#               many of them are active in both (every binding given to a
#               client reached the partner)
#   peak RSS    VmHWM after the sustained step (the larger of a pair)
# Each step starts fresh servers with fresh lease files, so steps do not
# depend on each other. In failover mode each pair is first started once on
# empty lease files until it is normal and the primary's pool split has been
# sent and written on both sides; those two lease files are kept, and every
# step starts the pair from copies of them (so no step pays for the split).
# Two perfdhcp instances then each relay half the rate to one server, with
# client MACs whose load-balancing hash belongs to that server
# (benches/lb_macs.py).
#
# Everything runs in namespaces this script creates and deletes (bs-PID-*);
# every wait and the whole run are bounded; processes are stopped by pid.
set -uo pipefail
export LC_ALL=C
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lab-lib.sh
. "$root/scripts/lab-lib.sh"

target=${CARGO_TARGET_DIR:-$root/target}
MODE=${MODE:-single}
STEP_SECONDS=${STEP_SECONDS:-${SECONDS_PER_RATE:-10}}
read -r -a FIXED_RATES <<<"${RATES:-}"
RATE_START=${RATE_START:-50}
RATE_MAX=${RATE_MAX:-100000}
BISECT=${BISECT:-3}
REPEATS=${REPEATS:-3}
LOSS_PCT=${LOSS_PCT:-1}
POOL=${POOL:-20000}
KEA=${KEA:-auto}
KEA_BIN=${KEA_BIN:-/usr/sbin/kea-dhcp4}
COMPARE=${COMPARE:-1}
if [ "$#" -ge 2 ]; then
    specs=("$@")
elif [ "$COMPARE" = 0 ]; then
    specs=("${1:-$target/release/dhcpd}")
    KEA=0
else
    specs=("${1:-$target/release/dhcpd}" /usr/sbin/dhcpd)
fi
if [ "$MODE" = single ] && [ "$KEA" != 0 ] && ! printf '%s\n' "${specs[@]}" | grep -q 'kea-dhcp4'; then
    if [ -x "$KEA_BIN" ]; then
        specs+=("$KEA_BIN")
    elif [ "$KEA" = 1 ]; then
        echo "bench-serve: KEA=1 but there is no $KEA_BIN (apt-get install kea-dhcp4-server)" >&2
        exit 1
    else
        echo "bench-serve: kea-dhcp4 is not installed: Kea SKIPPED (apt-get install kea-dhcp4-server to add it)" >&2
    fi
fi
BENCH_TIMEOUT=${BENCH_TIMEOUT:-$([ "${#specs[@]}" -gt 2 ] && echo 3600 || echo 1800)}

die() { echo "bench-serve: $*" >&2; exit 1; }
case $MODE in single | failover) ;; *) die "MODE must be single or failover" ;; esac
lab_require perfdhcp python3 || die "see the usage at the top of $0"
[ "$POOL" -ge 1000 ] && [ "$POOL" -le 250000 ] || die "POOL must be between 1000 and 250000"

dir=$target/bench-serve
rm -rf "$dir"
mkdir -p "$dir"
hz=$(getconf CLK_TCK)

trap lab_cleanup EXIT
trap 'echo; echo "bench-serve: interrupted"; exit 130' INT
trap 'exit 143' TERM
lab_watchdog "$BENCH_TIMEOUT"
lab_init bs

# -- the lab -------------------------------------------------------------------
# 10.200.0.0/14: servers 10.200.0.1 (and .0.3), perfdhcp .0.2 (and .0.4);
# the pool is POOL addresses from 10.200.1.0 on.
NET=10.200
MASK=255.252.0.0
pool_end() {
    local n=$((200 * 65536 + 256 + POOL - 1))
    echo "10.$((n >> 16)).$(((n >> 8) & 255)).$((n & 255))"
}
if [ "$MODE" = single ]; then
    lab_ns srv || die "cannot create namespaces"; ns_s1=$LAB_NS
    lab_ns gen || die "cannot create namespaces"; ns_g1=$LAB_NS
    lab_veth "$ns_s1" s0 "$ns_g1" g0 || die "cannot create the veth pair"
    ip -n "$ns_s1" addr add "$NET.0.1/14" dev s0
    ip -n "$ns_g1" addr add "$NET.0.2/14" dev g0
    dev_s1=s0
else
    lab_ns br || die "cannot create namespaces"; ns_br=$LAB_NS
    lab_bridge "$ns_br" br0 || die "cannot create the bridge"
    for n in s1 s2 g1 g2; do
        lab_ns "$n" || die "cannot create namespaces"
        eval "ns_$n=\$LAB_NS"
        lab_plug "$LAB_NS" lan0 "$ns_br" br0 "$n" || die "cannot cable $n"
    done
    ip -n "$ns_s1" addr add "$NET.0.1/14" dev lan0
    ip -n "$ns_g1" addr add "$NET.0.2/14" dev lan0
    ip -n "$ns_s2" addr add "$NET.0.3/14" dev lan0
    ip -n "$ns_g2" addr add "$NET.0.4/14" dev lan0
    dev_s1=lan0
    # clients for each server, many more than any step uses (perfdhcp draws
    # from the list at random)
    python3 "$root/benches/lb_macs.py" 200000 primary 128 1 >"$dir/macs-primary" || die "lb_macs.py failed"
    python3 "$root/benches/lb_macs.py" 200000 secondary 128 2 >"$dir/macs-secondary" || die "lb_macs.py failed"
fi

common_conf() {
    cat <<EOF
# bench_serve.sh: durable commits, no ping-check (see the script's header)
authoritative;
ping-check false;
dhcp-cache-threshold 0;
default-lease-time 7200;
max-lease-time 7200;
EOF
}
{
    common_conf
    echo "subnet $NET.0.0 netmask $MASK { range $NET.1.0 $(pool_end); }"
} >"$dir/single.conf"
failover_conf() { # ROLE: primary or secondary
    local me=$NET.0.1 peer=$NET.0.3 extra="  mclt 3600;
  split 128;"
    [ "$1" = secondary ] && { me=$NET.0.3; peer=$NET.0.1; extra=""; }
    cat <<EOF
failover peer "bench" {
  $1;
  address $me;
  port 647;
  peer address $peer;
  peer port 647;
  max-response-delay 60;
  max-unacked-updates 10;
$extra
  load balance max seconds 3;
}
EOF
    common_conf
    echo "subnet $NET.0.0 netmask $MASK { pool { failover peer \"bench\"; range $NET.1.0 $(pool_end); } }"
}
failover_conf primary >"$dir/primary.conf"
failover_conf secondary >"$dir/secondary.conf"

# kea_conf WORKDIR: Kea's equivalent of single.conf (see the header): the same
# subnet, pool and lease times; memfile leases (persisted, never synced); no
# lease file cleanup during a step.
kea_conf() {
    cat <<EOF
{ "Dhcp4": {
    "interfaces-config": { "interfaces": [ "$dev_s1" ], "dhcp-socket-type": "raw" },
    "lease-database": { "type": "memfile", "persist": true, "name": "$1/dhcpd.leases", "lfc-interval": 0 },
    "authoritative": true,
    "valid-lifetime": 7200,
    "max-valid-lifetime": 7200,
    "subnet4": [ { "id": 1, "subnet": "$NET.0.0/14", "pools": [ { "pool": "$NET.1.0 - $(pool_end)" } ] } ],
    "loggers": [ { "name": "kea-dhcp4", "output_options": [ { "output": "stdout" } ], "severity": "INFO" } ]
} }
EOF
}

# -- servers -------------------------------------------------------------------

# start_server NS BIN CONF WORKDIR [LEASES]: starts BIN on a copy of LEASES
# (default: an empty lease file); sets SERVER_PID. Ready when it logs ISC's
# "Server starting service." (or still runs after 3 s without saying it);
# fails when it exits.
start_server() {
    local ns=$1 bin=$2 conf=$3 w=$4
    rm -rf "$w"
    mkdir -p "$w"
    if [ -n "${5:-}" ]; then cp "$5" "$w/dhcpd.leases"; else : >"$w/dhcpd.leases"; fi
    local ready="Server starting service"
    if [ "$(lab_binary_kind "$bin")" = kea ]; then
        # Kea makes its own lease file (a CSV with a header line).
        rm -f "$w/dhcpd.leases"
        kea_conf "$w" >"$w/kea.json"
        ready="DHCP4_STARTED"
        lab_spawn "$ns" "$w/log" env KEA_PIDFILE_DIR="$w" KEA_LOCKFILE_DIR="$w" "$bin" -c "$w/kea.json"
    else
        lab_spawn "$ns" "$w/log" "$bin" -4 -f -d -cf "$conf" -lf "$w/dhcpd.leases" -pf "$w/dhcpd.pid" "$dev_s1"
    fi
    SERVER_PID=$LAB_LAST_PID
    local end=$((SECONDS + 30)) since=$SECONDS
    while [ "$SECONDS" -lt "$end" ]; do
        grep -qs "$ready" "$w/log" && return 0
        lab_alive "$SERVER_PID" || break
        [ $((SECONDS - since)) -ge 3 ] && return 0
        sleep 0.1
    done
    if ! lab_alive "$SERVER_PID"; then
        wait "$SERVER_PID" 2>/dev/null
        echo "bench-serve: $bin exited at start:" >&2
        grep -v -E '^(Config file|Database file|PID file|$)' "$w/log" | tail -n 3 | sed 's/^/    /' >&2
        return 1
    fi
    return 0
}

stop_server() {
    lab_stop "$1"
    local i keep=()
    for i in "${LAB_PIDS[@]}"; do [ "$i" = "$1" ] || keep+=("$i"); done
    LAB_PIDS=("${keep[@]}")
}

# settle FILE...: waits (at most 60 s) until the files stop growing for 2 s:
# the primary's initial pool split is sent and written on both sides.
settle() {
    local last="" now i
    for ((i = 0; i < 300; i++)); do
        now=$(stat -c %s "$@" | tr '\n' ' ')
        if [ "$now" = "$last" ]; then
            sleep 2
            [ "$(stat -c %s "$@" | tr '\n' ' ')" = "$now" ] && return 0
        fi
        last=$now
        sleep 0.2
    done
    return 1
}

# start_pair SPEC WORKDIR SNAPSHOT: starts the failover pair SPEC
# (PRIMARY,SECONDARY) on copies of SNAPSHOT/{s1,s2}.leases when they exist,
# else on empty lease files; returns once both are normal and their lease
# files are quiet; sets PAIR_PIDS.
start_pair() {
    local spec=$1 w=$2 snap=$3 l1="" l2=""
    if [ -s "$snap/s1.leases" ]; then l1=$snap/s1.leases l2=$snap/s2.leases; fi
    PAIR_PIDS=()
    start_server "$ns_s1" "${spec%%,*}" "$dir/primary.conf" "$w/s1" "$l1" || return 1
    PAIR_PIDS=("$SERVER_PID")
    start_server "$ns_s2" "${spec#*,}" "$dir/secondary.conf" "$w/s2" "$l2" || { stop_server "${PAIR_PIDS[0]}"; return 1; }
    PAIR_PIDS+=("$SERVER_PID")
    # A server that does not listen on its failover port makes no link, and
    # the pair would never be normal: say so instead of waiting for it.
    local ns
    for ns in "$ns_s1" "$ns_s2"; do
        if ! lab_wait_for 5 bash -c "[ -n \"\$(ip netns exec $ns ss -Hltn 'sport = :647')\" ]"; then
            echo "bench-serve: the $([ "$ns" = "$ns_s1" ] && echo primary || echo secondary) does not listen on its" \
                "failover port (647): it makes no failover link, so the pair cannot be measured" >&2
            stop_server "${PAIR_PIDS[1]}"; stop_server "${PAIR_PIDS[0]}"
            return 1
        fi
    done
    if ! lab_wait_for 120 bash -c "grep -q 'Both servers normal' '$w/s1/log' && grep -q 'Both servers normal' '$w/s2/log'"; then
        echo "bench-serve: the pair did not reach normal within 120 s (logs in $w)" >&2
        stop_server "${PAIR_PIDS[1]}"; stop_server "${PAIR_PIDS[0]}"
        return 1
    fi
    settle "$w/s1/dhcpd.leases" "$w/s2/dhcpd.leases" || echo "bench-serve: lease files still growing after 60 s" >&2
}

# make_snapshot LABEL SPEC: the pair's lease files once it has split the pool.
make_snapshot() {
    local snap="$dir/${1//:/-}/snapshot" t0=$SECONDS
    mkdir -p "$snap"
    echo "  starting the pair on empty lease files until the pool split is written"
    start_pair "$2" "$snap/run" "$snap" || return 1
    stop_server "${PAIR_PIDS[1]}"
    stop_server "${PAIR_PIDS[0]}"
    cp "$snap/run/s1/dhcpd.leases" "$snap/s1.leases"
    cp "$snap/run/s2/dhcpd.leases" "$snap/s2.leases"
    echo "  pool split written in $((SECONDS - t0)) s; each step starts the pair from these lease files"
}

# -- perfdhcp ------------------------------------------------------------------

# perf_stats FILE: "DISC_SENT ACK_RCVD OFFER_P50 OFFER_P99 ACK_P50 ACK_P99"
# (milliseconds) from perfdhcp's final report and its -x t timestamps.
perf_stats() {
    awk '
        /^\*\*\*Statistics for: DISCOVER-OFFER/ { sec = "do" }
        /^\*\*\*Statistics for: REQUEST-ACK/ { sec = "ra" }
        /^\*\*\*Timestamps for packets: DISCOVER-OFFER/ { ts = "do"; next }
        /^\*\*\*Timestamps for packets: REQUEST-ACK/ { ts = "ra"; next }
        /^\*\*\*/ { ts = "" }
        /^sent packets:/ && sec == "do" && dsent == "" { dsent = $3 }
        /^received packets:/ && sec == "ra" && arcvd == "" { arcvd = $3 }
        ts != "" && /^sent \/ received:/ { print ts, ($6 - $4) * 1000 }
        END { print "totals", dsent + 0, arcvd + 0 }' "$1" >"$1.parsed"
    local totals p
    totals=$(awk '$1 == "totals" { print $2, $3 }' "$1.parsed")
    p=$(for k in do ra; do
        awk -v k="$k" '$1 == k { print $2 }' "$1.parsed" | sort -g |
            awk '{ v[NR] = $1 } END {
                if (NR == 0) { printf "- - "; exit }
                i50 = int(NR * 0.50); if (i50 < 1) i50 = 1
                i99 = int(NR * 0.99 + 0.999); if (i99 > NR) i99 = NR
                printf "%.2f %.2f ", v[i50], v[i99] }'
    done)
    echo "$totals $p"
}

# run_perf NS LOCAL SERVER RATE SECONDS OUT [MACFILE]
run_perf() {
    local args=(-4 -r "$4" -p "$5" -W 1000000 -l "$2" -x t)
    if [ -n "${7:-}" ]; then args+=(-M "$7"); else args+=(-R 1000000); fi
    timeout $(($5 + 30)) ip netns exec "$1" perfdhcp "${args[@]}" "$3" >"$6" 2>&1
    local rc=$?
    [ "$rc" = 0 ] || [ "$rc" = 3 ] || { echo "bench-serve: perfdhcp failed ($rc): $(tail -n 2 "$6")" >&2; return 1; }
}

# active_bindings FILE: the addresses whose last record in FILE is active, sorted.
active_bindings() {
    awk '/^lease / { ip = $2 } /^  binding state / { st[ip] = $3 }
        END { for (i in st) if (st[i] == "active;") print i }' "$1" | sort
}

# step LABEL SPEC RATE: one rate step with fresh servers. Sets STEP_RESULT to
# "OFFERED ACHIEVED LOSS% OP50 OP99 AP50 AP99 CPU_US_PER_LEASE RSS_KB" (a
# variable, not output: in a $(...) subshell the servers' pids would not be
# recorded in this shell for cleanup).
step() {
    local label=$1 spec=$2 rate=$3 secs=$STEP_SECONDS w="$dir/${1//:/-}/r$3-t${TRY:-1}"
    # never run the pool dry: at most 80 % of it per step, and at least 2 s
    local cap=$((POOL * 8 / 10 / rate))
    if [ "$cap" -lt 2 ]; then
        echo "  (stopping at $rate/s: even a 2 s step would use more than 80 % of the $POOL-address pool; raise POOL)"
        return 2
    fi
    [ "$cap" -lt "$secs" ] && secs=$cap
    mkdir -p "$w"
    local pids=() bin_p bin_s
    if [ "$MODE" = single ]; then
        start_server "$ns_s1" "$spec" "$dir/single.conf" "$w/s1" || return 1
        pids=("$SERVER_PID")
    else
        start_pair "$spec" "$w" "$dir/${label//:/-}/snapshot" || return 1
        pids=("${PAIR_PIDS[@]}")
    fi
    local c0=0 c1=0 p rss=0 r
    for p in "${pids[@]}"; do c0=$((c0 + $(lab_pid_cpu_ticks "$p"))); done
    if [ "$MODE" = single ]; then
        run_perf "$ns_g1" "$NET.0.2" "$NET.0.1" "$rate" "$secs" "$w/perf1.out" || { stop_server "${pids[0]}"; return 1; }
        read -r dsent ack o50 o99 a50 a99 < <(perf_stats "$w/perf1.out")
    else
        local half=$(((rate + 1) / 2))
        run_perf "$ns_g1" "$NET.0.2" "$NET.0.1" "$half" "$secs" "$w/perf1.out" "$dir/macs-primary" &
        local j1=$!
        run_perf "$ns_g2" "$NET.0.4" "$NET.0.3" "$half" "$secs" "$w/perf2.out" "$dir/macs-secondary" &
        local j2=$!
        wait "$j1"; r=$?
        wait "$j2" || r=1
        [ "$r" = 0 ] || { stop_server "${pids[1]}"; stop_server "${pids[0]}"; return 1; }
        # latency percentiles over both streams
        cat "$w/perf1.out" "$w/perf2.out" >"$w/perf.out"
        local d1 a1 d2 a2
        read -r d1 a1 _ < <(perf_stats "$w/perf1.out")
        read -r d2 a2 _ < <(perf_stats "$w/perf2.out")
        read -r _ _ o50 o99 a50 a99 < <(perf_stats "$w/perf.out")
        dsent=$((d1 + d2)) ack=$((a1 + a2))
    fi
    PARTNER="" PARTNER_SHORT="-"
    if [ "$MODE" = failover ]; then
        # Every binding a client was given must reach the partner (BNDUPD,
        # written there, BNDACK): once the lease files are quiet, the bindings
        # active in either file must be active in both. The CPU is read after
        # that, so it includes the pair's last updates.
        settle "$w/s1/dhcpd.leases" "$w/s2/dhcpd.leases" || echo "  (lease files still growing after 60 s)"
        local b1 b2 both
        b1=$(active_bindings "$w/s1/dhcpd.leases" | tee "$w/active1" | wc -l)
        b2=$(active_bindings "$w/s2/dhcpd.leases" | tee "$w/active2" | wc -l)
        both=$(comm -12 "$w/active1" "$w/active2" | wc -l)
        PARTNER_SHORT="$both/$(sort -u "$w/active1" "$w/active2" | wc -l)"
        PARTNER="$both of $(sort -u "$w/active1" "$w/active2" | wc -l) bindings active in both lease files (primary $b1, secondary $b2)"
    fi
    for p in "${pids[@]}"; do
        c1=$((c1 + $(lab_pid_cpu_ticks "$p")))
        r=$(lab_pid_hwm_kb "$p")
        [ "${r:-0}" -gt "$rss" ] && rss=$r
    done
    for ((r = ${#pids[@]} - 1; r >= 0; r--)); do stop_server "${pids[r]}"; done
    STEP_RESULT=$(awk -v o="$rate" -v s="$secs" -v d="$dsent" -v a="$ack" -v t=$((c1 - c0)) -v hz="$hz" -v rss="$rss" \
        -v o50="$o50" -v o99="$o99" -v a50="$a50" -v a99="$a99" 'BEGIN {
            loss = d > 0 ? 100 * (d - a) / d : 100
            cpu = a > 0 ? t * 1e6 / hz / a : 0
            printf "%d %.1f %.2f %s %s %s %s %.0f %d\n", o, a / s, loss, o50, o99, a50, a99, cpu, rss }')
}

# -- the ramp ------------------------------------------------------------------
# Each binary has its own ramp (double until a rate fails, bisect, then one
# step past the knee), but their steps are interleaved -- A at its next rate,
# then B at its next, and so on -- so that both see the machine as it is over
# the same minutes: on a shared machine the load drifts, and measuring A's
# whole ramp before B's would put the drift into the ratios.

declare -A SPEC PHASE NEXT GOOD BAD BEST SAT NBIS IDX

# try LABEL RATE TRIES: up to TRIES steps at RATE, stopping at the first that
# loses less than LOSS_PCT (one stall elsewhere, such as another process's
# fsync, can sink a single step). Records the pass or fail, the best passing
# step and the saturation rate. Status 2: the pool is too small for RATE.
try() {
    local label=$1 rate=$2 k passed=0 o a l o50 o99 a50 a99 cpu rss
    for ((k = 0; k < $3; k++)); do
        TRY=$((k + 1))
        step "$label" "${SPEC[$label]}" "$rate" || return $?
        read -r o a l o50 o99 a50 a99 cpu rss <<<"$STEP_RESULT"
        printf '  %-14s %7s/s %7s/s %6s%%  %8s/%-8s  %8s/%-8s %7sus %7skB\n' \
            "$label" "$o" "$a" "$l" "$o50" "$o99" "$a50" "$a99" "$cpu" "$rss"
        [ -n "$PARTNER" ] && echo "  $(printf '%-14s' '')   $PARTNER"
        awk -v a="$a" -v s="${SAT[$label]}" 'BEGIN { exit !(a > s) }' && SAT[$label]=$a
        if awk -v l="$l" -v m="$LOSS_PCT" 'BEGIN { exit !(l < m) }'; then
            passed=1
            if [ -z "${BEST[$label]}" ] || awk -v a="$a" -v b="${BEST[$label]%% *}" 'BEGIN { exit !(a > b) }'; then
                BEST[$label]="$a $o50 $o99 $a50 $a99 $cpu $rss $PARTNER_SHORT"
            fi
            break
        fi
    done
    if [ "$passed" = 1 ]; then GOOD[$label]=$rate; else BAD[$label]=$rate; fi
}

# advance LABEL: after a step, the label's next phase and rate.
advance() {
    local l=$1 g=${GOOD[$1]} b=${BAD[$1]} mid
    case ${PHASE[$l]} in
        fixed)
            IDX[$l]=$((IDX[$l] + 1))
            if [ "${IDX[$l]}" -lt "${#FIXED_RATES[@]}" ]; then NEXT[$l]=${FIXED_RATES[IDX[$l]]}; else PHASE[$l]=done; fi
            return ;;
        ramp)
            if [ -z "$b" ]; then
                NEXT[$l]=$((NEXT[$l] * 2))
                [ "${NEXT[$l]}" -le "$RATE_MAX" ] || PHASE[$l]=done
                return
            fi
            PHASE[$l]=bisect ;;
        sat) PHASE[$l]=done; return ;;
    esac
    if [ "${PHASE[$l]}" = bisect ]; then
        if [ -n "$g" ] && [ "${NBIS[$l]}" -lt "$BISECT" ]; then
            mid=$(((g + b) / 2))
            if [ "$mid" -gt "$g" ] && [ "$mid" -lt "$b" ]; then
                NBIS[$l]=$((NBIS[$l] + 1))
                NEXT[$l]=$mid
                return
            fi
        fi
        # one step well past the knee, for the saturation rate
        PHASE[$l]=sat
        NEXT[$l]=$((b * 2))
    fi
}

# measure_all: runs every label's ramp, interleaved; writes one result line
# per label, "LABEL SUSTAINED OP50 OP99 AP50 AP99 CPU RSS SATURATION", to fd 3.
measure_all() {
    local l round pending rc
    for l in "${labels[@]}"; do
        PHASE[$l]=ramp NEXT[$l]=$RATE_START GOOD[$l]="" BAD[$l]="" BEST[$l]="" SAT[$l]=0 NBIS[$l]=0 IDX[$l]=0
        if [ "${#FIXED_RATES[@]}" -gt 0 ]; then PHASE[$l]=fixed NEXT[$l]=${FIXED_RATES[0]}; fi
        if [ "$MODE" = failover ]; then
            printf '%s: %s\n' "$l" "${SPEC[$l]}"
            make_snapshot "$l" "${SPEC[$l]}" || PHASE[$l]=done
        fi
    done
    echo
    printf '  %-14s %8s %9s %7s  %17s  %17s %9s %9s\n' binary offered completed lost \
        "OFFER p50/p99 ms" "ACK p50/p99 ms" "CPU/lease" "peak RSS"
    for ((round = 0; round < 40; round++)); do
        pending=0
        for l in "${labels[@]}"; do
            [ "${PHASE[$l]}" = done ] && continue
            pending=1
            case ${PHASE[$l]} in
                sat | fixed) try "$l" "${NEXT[$l]}" 1 ;;
                *) try "$l" "${NEXT[$l]}" "$REPEATS" ;;
            esac
            rc=$?
            case $rc in
                0) advance "$l" ;;
                2) PHASE[$l]=done ;;
                *) echo "  $l: step failed (see above)"; PHASE[$l]=done ;;
            esac
        done
        [ "$pending" = 1 ] || break
    done
    for l in "${labels[@]}"; do
        echo "$l ${BEST[$l]:-0 - - - - 0 0 -} ${SAT[$l]}" >&3
    done
}

printf 'serving benchmark (%s): perfdhcp relaying DORA over a veth; durable lease files in %s;\n' "$MODE" "$dir"
if [ "${#FIXED_RATES[@]}" -gt 0 ]; then
    how="fixed rates ${FIXED_RATES[*]}, one try each"
else
    how="ramp from $RATE_START/s, best of $REPEATS tries per rate"
fi
printf 'pool %d addresses, %d s steps (shorter when the pool would run dry), loss limit %s %%, %s;\n' \
    "$POOL" "$STEP_SECONDS" "$LOSS_PCT" "$how"
printf '%s cores, load %s; fsync of a 300-byte append here: %s ms\n' "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" \
    "$(python3 -c '
import os, sys, time
p = sys.argv[1] + "/fsync.probe"
f = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
t = time.monotonic()
for _ in range(100):
    os.write(f, b"x" * 300)
    os.fsync(f)
print("%.2f" % ((time.monotonic() - t) * 10))
os.close(f)
os.unlink(p)' "$dir")"
exec 3>"$dir/results"
labels=()
i=0
for spec in "${specs[@]}"; do
    i=$((i + 1))
    kinds=""
    for b in ${spec//,/ }; do
        [ -x "$b" ] || die "no binary at $b"
        kinds+="$(lab_binary_kind "$b")+"
    done
    kinds=${kinds%+}
    [ "$MODE" = failover ] && [ "${spec#*,}" = "$spec" ] && { spec="$spec,$spec"; kinds="$kinds+$kinds"; }
    label="$i:$kinds"
    labels+=("$label")
    SPEC[$label]=$spec
    printf '%s = %s\n' "$label" "$spec"
done
measure_all
exec 3>&-

echo
partner_head=""
[ "$MODE" = failover ] && partner_head="in both files"
printf '%-16s %11s %11s %17s %17s %10s %10s  %s\n' binary "sustained" "saturation" "OFFER p50/p99" "ACK p50/p99" "CPU/lease" \
    "peak RSS" "$partner_head"
while read -r label sus o50 o99 a50 a99 cpu rss partner sat; do
    [ "$MODE" = failover ] || partner=""
    printf '%-16s %9s/s %9s/s %8s/%-5s ms %8s/%-5s ms %8sus %8skB  %s\n' "$label" "$sus" "$sat" "$o50" "$o99" "$a50" "$a99" \
        "$cpu" "$rss" "$partner"
done <"$dir/results"
# the first binary against each of the others
{
    read -r la sa _ _ _ _ ca ra _ xa
    while read -r lb sb _ _ _ _ cb rb _ xb; do
        awk -v la="$la" -v lb="$lb" -v sa="$sa" -v sb="$sb" -v ca="$ca" -v cb="$cb" -v ra="$ra" -v rb="$rb" \
            -v xa="$xa" -v xb="$xb" 'function r(x, y) { return (x > 0 && y > 0) ? sprintf("%.2fx", x / y) : "n/a" } BEGIN {
            printf "%s / %s: sustained %s, saturation %s, CPU per lease %s, peak RSS %s\n",
                la, lb, r(sa, sb), r(xa, xb), r(ca, cb), r(ra, rb) }'
    done
} <"$dir/results"
if printf '%s\n' "${specs[@]}" | grep -q 'kea-dhcp4'; then
    echo "(Kea: memfile lease database, written but never fsync'd: its leases are not durable at the ACK)"
fi
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "(per-step perfdhcp output and server logs: $dir)"
