#!/usr/bin/env bash
# bench_parse.sh -- time `dhcpd -t` on a big generated config, ours vs ISC's.
#
# Usage: bench_parse.sh [OURS [ISC]]   (defaults: target/release/dhcpd, /usr/sbin/dhcpd)
#
# Generates target/bench/big.conf (1,000 subnets, 100,000 hosts) once with
# gen_big_conf.py, then runs each binary as
#     dhcpd -t -cf big.conf -lf <empty lease file> -pf <pid path>
# under /usr/bin/time -v and prints exit status, wall time, peak RSS and the
# ours/ISC ratios. Only -t is ever run: nothing serves.
set -euo pipefail
export LC_ALL=C
root=$(cd "$(dirname "$0")/.." && pwd)
ours=$(realpath -m "${1:-$root/target/release/dhcpd}")
isc=$(realpath -m "${2:-/usr/sbin/dhcpd}")
dir=$root/target/bench
mkdir -p "$dir"
conf=$dir/big.conf
if [ ! -s "$conf" ]; then
    python3 "$root/benches/gen_big_conf.py" "$conf"
fi
: > "$dir/empty.leases"
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }

RUNS=${RUNS:-5}

measure() {   # $1 = label, $2 = binary; prints "label status wall_s cpu_s rss_kb", best of RUNS
    local label=$1 bin=$2 log=$dir/time-$1.txt status best_wall="" best_cpu="" best_rss=""
    for _ in $(seq "$RUNS"); do
        set +e
        (cd "$dir" && /usr/bin/time -v "$bin" -t -cf big.conf -lf "$dir/empty.leases" -pf "$dir/bench.pid") \
            > "$dir/out-$label.txt" 2> "$log"
        status=$?
        set -e
        local wall rss user sys secs cpu
        wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$log")
        rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$log")
        user=$(sed -n 's/.*User time (seconds): //p' "$log")
        sys=$(sed -n 's/.*System time (seconds): //p' "$log")
        # h:mm:ss or m:ss(.xx) -> seconds
        secs=$(awk -v t="$wall" 'BEGIN { n = split(t, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.2f", s }')
        cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
        if [ -z "$best_wall" ] || awk -v a="$secs" -v b="$best_wall" 'BEGIN { exit !(a < b) }'; then best_wall=$secs; fi
        if [ -z "$best_cpu" ] || awk -v a="$cpu" -v b="$best_cpu" 'BEGIN { exit !(a < b) }'; then best_cpu=$cpu; fi
        if [ -z "$best_rss" ] || [ "$rss" -lt "$best_rss" ]; then best_rss=$rss; fi
    done
    echo "$label $status $best_wall $best_cpu $best_rss"
}

printf '%s\n' "config: $conf ($(wc -c < "$conf") bytes)"
[ -x "$ours" ] || { echo "bench: $ours not built (make build)" >&2; exit 1; }
read -r _ os ot oc orss < <(measure ours "$ours")
printf '%-6s exit %-3s wall %6ss  cpu %6ss  peak RSS %8s kB  (best of %s)\n' ours "$os" "$ot" "$oc" "$orss" "$RUNS"
if [ -x "$isc" ]; then
    read -r _ is it ic irss < <(measure isc "$isc")
    printf '%-6s exit %-3s wall %6ss  cpu %6ss  peak RSS %8s kB  (best of %s)\n' isc "$is" "$it" "$ic" "$irss" "$RUNS"
    awk -v a="$ot" -v b="$it" -v e="$oc" -v f="$ic" -v c="$orss" -v d="$irss" \
        'BEGIN { printf "ISC/ours: wall %.1fx faster, cpu %.1fx less, peak RSS %.2fx of ISC\n", (a > 0 ? b / a : 0), (e > 0 ? f / e : 0), (d > 0 ? c / d : 0) }'
    if [ "$os" != "$is" ]; then
        echo "note: exit statuses differ (ours $os, ISC $is): see $dir/out-ours.txt" >&2
    fi
else
    echo "isc: $isc not installed, no comparison"
fi
