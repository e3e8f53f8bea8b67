#!/usr/bin/env bash
# bench_leases.sh -- the lease file at scale: `dhcpd -T` on a 1,000,000-lease
# file, ours vs ISC's, then the store's commit throughput with fsync.
#
# Usage: bench_leases.sh [OURS [ISC]]   (defaults: target/release/dhcpd, /usr/sbin/dhcpd)
#
# For each layout in LAYOUT (a space-separated list; default `subnets`),
# generates BENCH_DIR/big-LAYOUT-COUNT.leases and .conf (default BENCH_DIR:
# target/bench; LEASES=COUNT, default 1,000,000) once with gen_leases.py,
# then runs each binary as
#     dhcpd -T -cf big-LAYOUT-COUNT.conf -lf big-LAYOUT-COUNT.leases -pf <pid path>
# under /usr/bin/time -v: best of RUNS (default 5) for ours, ISC_RUNS
# (default 1; 0 skips ISC) for ISC. Prints wall time, CPU time and peak RSS,
# the lease counts both report, the ratios, and the machine's load before
# and after (CPU time is the figure that holds on a busy machine). -T only
# reads the lease file and writes a temporary one next to it: nothing serves.
#
# Layouts (gen_leases.py): `subnets` spreads the leases over /24 pools of
# 250; `pools-N` over N equal pools (pools-32: 31,250 leases each, where
# ISC takes about 100 s for a million); `one-pool` puts them all in one
# range, where ISC's start-up is quadratic (hours for a million: use
# LEASES=100000 there).
# Finally runs the lease_commit_bench example (built in release mode next to
# OURS) on the same disk.
set -euo pipefail
export LC_ALL=C
root=$(cd "$(dirname "$0")/.." && pwd)
ours=$(realpath -m "${1:-$root/target/release/dhcpd}")
isc=$(realpath -m "${2:-/usr/sbin/dhcpd}")
dir=$(realpath -m "${BENCH_DIR:-$root/target/bench}")
count=${LEASES:-1000000}
layouts=${LAYOUT:-subnets}
mkdir -p "$dir"
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }
[ -x "$ours" ] || { echo "bench: $ours not built (make build)" >&2; exit 1; }

RUNS=${RUNS:-5}
ISC_RUNS=${ISC_RUNS:-1}

measure() {   # $1 label, $2 binary, $3 runs; prints "label status wall cpu rss count", best of runs
    local label=$1 bin=$2 runs=$3 log=$dir/time-leases-$1.txt status best_wall="" best_cpu="" best_rss="" n=""
    for _ in $(seq "$runs"); do
        set +e
        (cd "$dir" && /usr/bin/time -v "$bin" -T -cf "$conf" -lf "$leases" -pf "$dir/bench.pid") \
            > "$dir/out-leases-$label.txt" 2> "$log"
        status=$?
        set -e
        local wall rss user sys secs cpu
        wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$log")
        rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$log")
        user=$(sed -n 's/.*User time (seconds): //p' "$log")
        sys=$(sed -n 's/.*System time (seconds): //p' "$log")
        n=$(sed -n 's/^Wrote \([0-9]*\) leases to leases file\.$/\1/p' "$log")
        secs=$(awk -v t="$wall" 'BEGIN { n = split(t, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.2f", s }')
        cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
        if [ -z "$best_wall" ] || awk -v a="$secs" -v b="$best_wall" 'BEGIN { exit !(a < b) }'; then best_wall=$secs; fi
        if [ -z "$best_cpu" ] || awk -v a="$cpu" -v b="$best_cpu" 'BEGIN { exit !(a < b) }'; then best_cpu=$cpu; fi
        if [ -z "$best_rss" ] || [ "$rss" -lt "$best_rss" ]; then best_rss=$rss; fi
    done
    echo "$label $status $best_wall $best_cpu $best_rss ${n:-?}"
}

run_layout() {   # $1 layout
    local layout=$1
    conf=$dir/big-$layout-$count.conf
    leases=$dir/big-$layout-$count.leases
    if [ ! -s "$leases" ] || [ ! -s "$conf" ]; then
        python3 "$root/benches/gen_leases.py" "$conf" "$leases" "$count" "$layout"
    fi
    printf '%s\n' "leases: $leases ($(wc -c < "$leases") bytes, $count leases, layout $layout); config: $conf"
    read -r _ os ot oc orss on < <(measure ours "$ours" "$RUNS")
    printf '%-6s exit %-3s wall %7ss  cpu %7ss  peak RSS %8s kB  wrote %s leases  (best of %s)\n' \
        ours "$os" "$ot" "$oc" "$orss" "$on" "$RUNS"
    if [ "$ISC_RUNS" -eq 0 ]; then
        echo "isc: not run (ISC_RUNS=0)"
    elif [ -x "$isc" ]; then
        read -r _ is it ic irss in < <(measure isc "$isc" "$ISC_RUNS")
        printf '%-6s exit %-3s wall %7ss  cpu %7ss  peak RSS %8s kB  wrote %s leases  (best of %s)\n' \
            isc "$is" "$it" "$ic" "$irss" "$in" "$ISC_RUNS"
        awk -v a="$ot" -v b="$it" -v e="$oc" -v f="$ic" -v c="$orss" -v d="$irss" \
            'BEGIN { printf "ISC/ours: wall %.1fx faster, cpu %.1fx less, peak RSS %.3fx of ISC (1/%.1f)\n", (a > 0 ? b / a : 0), (e > 0 ? f / e : 0), (d > 0 ? c / d : 0), (c > 0 ? d / c : 0) }'
        if [ "$os" != "$is" ] || [ "$on" != "$in" ]; then
            echo "note: exit statuses or lease counts differ (ours $os/$on, ISC $is/$in): see $dir/time-leases-*.txt" >&2
        fi
    else
        echo "isc: $isc not installed, no comparison"
    fi
}

echo "load before: $(uptime)"
for layout in $layouts; do
    run_layout "$layout"
done
echo "load after: $(uptime)"

bench=$(dirname "$ours")/examples/lease_commit_bench
if [ -x "$bench" ]; then
    echo "commit throughput (fsync on $(df --output=source "$dir" | tail -1), directory $dir):"
    "$bench" "$dir" "${SINGLE:-2000}" "${GROUPED:-100000}"
else
    echo "bench: $bench not built (cargo build --release --example lease_commit_bench)" >&2
fi
