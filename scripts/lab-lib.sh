# lab-lib.sh -- network-namespace lab helpers shared by scripts/demo-lab.sh and
# benches/bench_serve.sh. Source it from bash; it defines functions only.
#
# Why a shared file: both scripts need the same guarantees and they are easy to
# get subtly wrong twice --
#   * everything lives in namespaces the script creates, named PREFIX-NAME with
#     the script's pid in PREFIX, so two runs (or a leftover) never collide;
#   * veth pairs are created inside a lab namespace with the peer sent straight
#     into another lab namespace, so the host's namespace never gains or loses
#     an interface and no lab packet can reach a host link;
#   * every process is started through lab_spawn, its pid recorded, and stopped
#     by that pid (SIGTERM, then SIGKILL after a grace period) -- never by name;
#     whatever else is still running inside a lab namespace (a daemon's helper
#     processes) was started by us too and is stopped by pid the same way;
#   * every wait has a deadline, and lab_watchdog bounds the whole run;
#   * lab_cleanup (run from the caller's EXIT/INT/TERM trap) undoes all of it.

LAB_PREFIX=""
LAB_NAMESPACES=()
LAB_PIDS=()
LAB_WATCHDOG=""
LAB_GRACE=${LAB_GRACE:-3}

# lab_init PREFIX: the namespace name prefix (keep it short: interface names
# are not derived from it, but `ip netns` listings are easier to read).
lab_init() {
    LAB_PREFIX="$1-$$"
}

# lab_require TOOL...: fails with a message naming the first missing tool.
lab_require() {
    local t
    if [ "$(id -u)" != 0 ]; then
        echo "needs root: network namespaces cannot be created otherwise" >&2
        return 1
    fi
    for t in ip "$@"; do
        if ! command -v "$t" >/dev/null 2>&1 && [ ! -x "$t" ]; then
            echo "needs \`$t\`, which is not installed" >&2
            return 1
        fi
    done
}

# lab_ns NAME: creates namespace PREFIX-NAME with its loopback up and sets
# LAB_NS to its full name (a variable, not output: in a $(...) subshell the
# namespace would not be recorded for cleanup).
lab_ns() {
    LAB_NS="$LAB_PREFIX-$1"
    ip netns add "$LAB_NS" || return 1
    LAB_NAMESPACES+=("$LAB_NS")
    ip -n "$LAB_NS" link set lo up
}

# lab_veth NS_A DEV_A NS_B DEV_B: a veth pair, DEV_A in NS_A and DEV_B in
# NS_B, both up. Created inside NS_A so the host namespace is never involved.
lab_veth() {
    ip -n "$1" link add "$2" type veth peer name "$4" netns "$3" || return 1
    ip -n "$1" link set "$2" up && ip -n "$3" link set "$4" up
}

# lab_bridge NS BR: a bridge BR in NS, up.
lab_bridge() {
    ip -n "$1" link add "$2" type bridge || return 1
    # No STP: a port forwards at once instead of after 30 s of listening.
    ip -n "$1" link set "$2" type bridge stp_state 0 forward_delay 0 2>/dev/null || true
    ip -n "$1" link set "$2" up
}

# lab_plug NS DEV BR_NS BR PORT: DEV in NS, cabled to a new port PORT of BR.
lab_plug() {
    lab_veth "$1" "$2" "$3" "$5" || return 1
    ip -n "$3" link set "$5" master "$4"
}

# lab_spawn NS LOG CMD...: runs CMD in NS in the background, stdout and stderr
# to LOG; sets LAB_LAST_PID (`ip netns exec` execs into CMD, so it is CMD's pid).
lab_spawn() {
    local ns=$1 log=$2
    shift 2
    ip netns exec "$ns" "$@" </dev/null >"$log" 2>&1 &
    LAB_LAST_PID=$!
    LAB_PIDS+=("$LAB_LAST_PID")
}

# lab_alive PID: whether PID still runs (a zombie of ours counts as gone).
lab_alive() {
    local st
    kill -0 "$1" 2>/dev/null || return 1
    st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
    [ "$st" != Z ]
}

# lab_stop PID: SIGTERM, up to LAB_GRACE seconds, then SIGKILL; reaps it when
# it is our child.
lab_stop() {
    local pid=$1 i
    lab_alive "$pid" || { wait "$pid" 2>/dev/null; return 0; }
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < LAB_GRACE * 10; i++)); do
        lab_alive "$pid" || break
        sleep 0.1
    done
    lab_alive "$pid" && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}

# lab_wait_for SECONDS CMD...: runs CMD every 0.2 s until it succeeds (status
# 0) or SECONDS pass (status 1).
lab_wait_for() {
    local limit=$1 end
    shift
    end=$((SECONDS + limit))
    while :; do
        "$@" && return 0
        [ "$SECONDS" -ge "$end" ] && return 1
        sleep 0.2
    done
}

# lab_watchdog SECONDS: sends SIGTERM to this script after SECONDS, so a run
# that hangs anywhere still ends (and its trap still cleans up).
lab_watchdog() {
    local me=$$
    (
        trap 'kill "$sp" 2>/dev/null; exit 0' TERM
        sleep "$1" &
        sp=$!
        wait "$sp"
        echo "lab: still running after $1 s: stopping" >&2
        kill -TERM "$me"
    ) &
    LAB_WATCHDOG=$!
}

# lab_cleanup: stops every process we started (recorded pids first, newest
# first; then anything left inside our namespaces, which only we populated),
# deletes our namespaces and the watchdog. Safe to call twice.
lab_cleanup() {
    local i ns pid
    for ((i = ${#LAB_PIDS[@]} - 1; i >= 0; i--)); do
        lab_stop "${LAB_PIDS[i]}"
    done
    LAB_PIDS=()
    for ns in "${LAB_NAMESPACES[@]}"; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do
            lab_stop "$pid"
        done
        ip netns del "$ns" 2>/dev/null
    done
    LAB_NAMESPACES=()
    if [ -n "$LAB_WATCHDOG" ]; then
        kill -TERM "$LAB_WATCHDOG" 2>/dev/null
        wait "$LAB_WATCHDOG" 2>/dev/null
        LAB_WATCHDOG=""
    fi
}

# lab_pid_cpu_ticks PID: utime+stime of PID in clock ticks (/proc/PID/stat
# fields 14 and 15; the command name in field 2 may hold spaces, so split after
# its closing parenthesis).
lab_pid_cpu_ticks() {
    local s
    s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    s=${s##*) }
    # after "(comm) ": field 3 is state, so utime/stime are words 12 and 13
    awk '{ print $12 + $13 }' <<<"$s"
}

# lab_pid_hwm_kb PID: peak resident set size (VmHWM) in kB.
lab_pid_hwm_kb() {
    awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}

# lab_binary_kind BIN: "isc" for ISC's dhcpd, "ours" for dhcpd-rs, "kea" for
# Kea's DHCPv4 server (by its name: kea-dhcp4 prints a bare version number),
# else "unknown" (ISC and ours print their version on stderr).
lab_binary_kind() {
    local v
    case ${1##*/} in kea-dhcp4*) echo kea; return ;; esac
    v=$("$1" --version 2>&1 | head -n 1)
    case $v in
        isc-dhcpd-*) echo isc ;;
        dhcpd-rs-*) echo ours ;;
        *) echo unknown ;;
    esac
}
