#!/usr/bin/env bash
# demo-lab.sh -- a DHCP failover pair and real clients in network namespaces,
# told step by step (`make demo`).
#
# Usage (as root):  scripts/demo-lab.sh
#   DHCPD=PATH       the primary's binary (default: our target/release/dhcpd)
#   DHCPD_PEER=PATH  the secondary's (default: ISC's /usr/sbin/dhcpd when it is
#                    installed, so ours runs as a mixed pair with ISC; else DHCPD)
#   SEED=es|zh|ru    which seed pair from conformance/seeds/ (default es)
#   LEASE_TIME=40    lease time in seconds (short, so renewals come quickly)
#   DEMO_TIMEOUT=300 the whole run ends after this many seconds, whatever happens
#   KEEP=1           keep the working directory (configs, logs, lease files)
#
# What it builds, all inside namespaces it creates and deletes (dl-PID-*):
#   br            one bridge, the lab's LAN segment
#   s1, s2        the failover primary and secondary, built from the seed's
#                 two configs with the addresses moved into the lab's subnet
#   c1, c2, c3    dhclient, busybox udhcpc and dhcpcd (those installed)
# then acquires, renews and releases a lease with each client, printing each
# step with the servers' log lines, the lease files and, where the server
# answers OMAPI, omshell's view of the failover state.
#
# Nothing outside the lab's namespaces is touched: the clients run with hook
# scripts of ours (not dhclient-script or dhcpcd's hooks, which would rewrite
# the host's /etc/resolv.conf), dhcpcd's /run and /var/lib/dhcpcd are bind
# mounts of the lab directory in a private mount namespace, and every file
# lives in the lab's working directory.
set -uo pipefail
export LC_ALL=C
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lab-lib.sh
. "$root/scripts/lab-lib.sh"

ISC=/usr/sbin/dhcpd
OURS_DEFAULT=${CARGO_TARGET_DIR:-$root/target}/release/dhcpd
DHCPD=${DHCPD:-$OURS_DEFAULT}
if [ -z "${DHCPD_PEER:-}" ]; then
    if [ -x "$ISC" ]; then DHCPD_PEER=$ISC; else DHCPD_PEER=$DHCPD; fi
fi
SEED=${SEED:-es}
LEASE_TIME=${LEASE_TIME:-40}
DEMO_TIMEOUT=${DEMO_TIMEOUT:-300}
KEEP=${KEEP:-0}
OMAPI_PORT=7911

# -- narrative helpers ---------------------------------------------------------

bold=""; dim=""; off=""
if [ -t 1 ]; then bold=$'\e[1m'; dim=$'\e[2m'; off=$'\e[0m'; fi
step_no=0
step() { step_no=$((step_no + 1)); printf '\n%s== %d. %s ==%s\n' "$bold" "$step_no" "$*" "$off"; }
say() { printf '   %s\n' "$*"; }
fail() { printf '\ndemo: %s\n' "$*" >&2; exit 1; }

# show_new FILE LABEL [FILTER]: prints FILE's lines added since the last call
# for the same FILE, each prefixed with LABEL (FILTER: an extended regex the
# lines must match). Reading by line count keeps the narrative in step order
# instead of interleaving background output.
declare -A shown
show_new() {
    local file=$1 label=$2 filter=${3:-.} from total
    from=${shown[$file]:-0}
    total=$(wc -l <"$file" 2>/dev/null || echo 0)
    [ "$total" -gt "$from" ] || return 0
    tail -n "+$((from + 1))" "$file" | head -n "$((total - from))" | grep -E -- "$filter" | collapse |
        sed "s/^/   $dim| $label |$off /"
    shown[$file]=$total
}

# collapse: a run of lines that differ only in addresses (a pool's worth of
# binding updates) is shown as its first two lines and a count.
collapse() {
    awk '
        function shape(s) {
            gsub(/[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/, "A", s)
            gsub(/[0-9a-f]+:[0-9a-f:]+/, "M", s)
            return s
        }
        function flush() {
            if (held > 0) printf "... and %d more like that\n", held
            held = 0
        }
        {
            k = shape($0)
            if (k == prev && ++n > 2) { held++; next }
            if (k != prev) { flush(); prev = k; n = 1 }
            print
        }
        END { flush() }'
}

# -- what runs where -----------------------------------------------------------

for bin in "$DHCPD" "$DHCPD_PEER"; do
    [ -x "$bin" ] || fail "no server binary at $bin (make build, or DHCPD=/usr/sbin/dhcpd)"
done
lab_require busybox unshare || exit 1
case $SEED in
    es) seed_net=172.16.1. lab_net=10.199.1. ;;
    zh) seed_net=10.223. lab_net=10.198. ;;
    ru) seed_net=192.168.100. lab_net=10.197.100. ;;
    *) fail "SEED must be es, zh or ru (conformance/seeds/SEED-primary.conf and SEED-secondary.conf)" ;;
esac
seed_primary=$root/conformance/seeds/$SEED-primary.conf
seed_secondary=$root/conformance/seeds/$SEED-secondary.conf

kind_primary=$(lab_binary_kind "$DHCPD")
kind_secondary=$(lab_binary_kind "$DHCPD_PEER")
label_of() { case $1 in isc) echo ISC ;; ours) echo dhcpd-rs ;; *) echo "?" ;; esac; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/dhcpd-demo.XXXXXX")
on_exit() {
    lab_cleanup
    if [ "$KEEP" = 1 ]; then
        echo "demo: configs, logs and lease files kept in $dir"
    else
        rm -rf "$dir"
    fi
}
trap on_exit EXIT
trap 'echo; echo "demo: interrupted, cleaning up"; exit 130' INT
trap 'exit 143' TERM
lab_watchdog "$DEMO_TIMEOUT"
lab_init dl

# -- the pair's configuration --------------------------------------------------

step "The failover pair, from conformance/seeds/$SEED-*.conf"
secret=$(head -c 16 /dev/urandom | base64)
# lab_conf SEED_FILE OUT: the seed with its addresses moved into the lab's
# subnet, placeholders filled, and what the lab needs added at the end.
lab_conf() {
    local from=${seed_net//./\\.}
    # (| delimits the secret's substitution: base64 has /)
    sed -E \
        -e "s/(^|[^0-9])$from/\\1$lab_net/g" \
        -e 's|"?your_generated_key"?|"'"$secret"'"|' \
        -e "s/domain-name-servers redos\.test/domain-name-servers ${lab_net}1/" \
        -e 's/ddns-update-style [a-z-]+;/ddns-update-style none;/' \
        -e '/^[[:space:]]*(default|max)-lease-time/d' \
        "$1" >"$2"
    {
        echo
        echo "# Added by the demo lab: short leases so renewals happen during the demo,"
        echo "# no DNS updates (there is no DNS in the lab), OMAPI for omshell."
        echo "default-lease-time $LEASE_TIME;"
        echo "max-lease-time $LEASE_TIME;"
        grep -q '^[[:space:]]*omapi-port' "$2" || echo "omapi-port $OMAPI_PORT;"
    } >>"$2"
}
mkdir -p "$dir/s1" "$dir/s2"
lab_conf "$seed_primary" "$dir/s1/dhcpd.conf"
lab_conf "$seed_secondary" "$dir/s2/dhcpd.conf"
: >"$dir/s1/dhcpd.leases"
: >"$dir/s2/dhcpd.leases"

# The pair's addresses and subnet, read back from the lab configs.
addr_of() { sed -nE "s/^[[:space:]]*$1[[:space:]]+([0-9.]+);.*/\\1/p" "$2" | head -n 1; }
ip_primary=$(addr_of address "$dir/s1/dhcpd.conf")
ip_secondary=$(addr_of "peer address" "$dir/s1/dhcpd.conf")
peer_name=$(sed -nE 's/^[[:space:]]*failover peer "([^"]+)".*/\1/p' "$dir/s1/dhcpd.conf" | head -n 1)
netmask=$(sed -nE "s/^[[:space:]]*subnet[[:space:]]+${lab_net//./\\.}[0-9.]*[[:space:]]+netmask[[:space:]]+([0-9.]+).*/\\1/p" \
    "$dir/s1/dhcpd.conf" | head -n 1)
[ -n "$ip_primary" ] && [ -n "$ip_secondary" ] && [ -n "$peer_name" ] && [ -n "$netmask" ] ||
    fail "could not read the pair's addresses from $dir/s1/dhcpd.conf"
prefix_len() {
    local IFS=. n=0 o
    for o in $1; do
        while [ "$o" -gt 0 ]; do n=$((n + (o & 1))); o=$((o >> 1)); done
    done
    echo "$n"
}
plen=$(prefix_len "$netmask")
omapi_key=$(sed -nE 's/^[[:space:]]*omapi-key[[:space:]]+([A-Za-z0-9_.-]+);.*/\1/p' "$dir/s1/dhcpd.conf" | head -n 1)

say "primary   $ip_primary/$plen  $(label_of "$kind_primary")  $DHCPD"
say "secondary $ip_secondary/$plen  $(label_of "$kind_secondary")  $DHCPD_PEER"
say "failover peer \"$peer_name\"; lease time $LEASE_TIME s; what the lab changed in the primary's seed:"
diff -u "$seed_primary" "$dir/s1/dhcpd.conf" | tail -n +3 | grep -E '^[-+]' | sed 's/^/      /'

for role in s1 s2; do
    bin=$DHCPD; [ "$role" = s2 ] && bin=$DHCPD_PEER
    out=$(cd "$dir/$role" && "$bin" -4 -t -q -cf dhcpd.conf -lf dhcpd.leases -pf dhcpd.pid 2>&1) ||
        { printf '%s\n' "$out" >&2; fail "$bin -t rejects the lab's $role configuration"; }
done
say "both configurations pass \`dhcpd -t\`"

# -- the network ---------------------------------------------------------------

step "The lab network: one bridge, two servers, the clients"
lab_ns br || fail "cannot create network namespaces"
ns_br=$LAB_NS
lab_bridge "$ns_br" br0 || fail "cannot create the bridge"
lab_ns s1 || fail "cannot create network namespaces"
ns_s1=$LAB_NS
lab_ns s2 || fail "cannot create network namespaces"
ns_s2=$LAB_NS
lab_plug "$ns_s1" lan0 "$ns_br" br0 s1 && lab_plug "$ns_s2" lan0 "$ns_br" br0 s2 || fail "cannot cable the servers"
ip -n "$ns_s1" addr add "$ip_primary/$plen" dev lan0
ip -n "$ns_s2" addr add "$ip_secondary/$plen" dev lan0

clients=()
command -v dhclient >/dev/null 2>&1 && clients+=(dhclient)
clients+=(udhcpc)
command -v dhcpcd >/dev/null 2>&1 && clients+=(dhcpcd)
declare -A ns_of name_of
i=0
for c in "${clients[@]}"; do
    i=$((i + 1))
    name_of[$c]=c$i
    lab_ns "c$i" || fail "cannot create network namespaces"
    ns_of[$c]=$LAB_NS
    lab_plug "${ns_of[$c]}" lan0 "$ns_br" br0 "c$i" || fail "cannot cable client c$i"
    mkdir -p "$dir/c$i"
done
say "namespaces: $(printf '%s ' "${LAB_NAMESPACES[@]}")"
say "$ns_s1: lan0 $ip_primary/$plen    $ns_s2: lan0 $ip_secondary/$plen"
for c in "${clients[@]}"; do say "${ns_of[$c]}: lan0, no address yet; client: $c"; done
missing=""
command -v dhclient >/dev/null 2>&1 || missing+=" dhclient (apt-get install isc-dhcp-client)"
command -v dhcpcd >/dev/null 2>&1 || missing+=" dhcpcd (apt-get install dhcpcd-base)"
[ -z "$missing" ] || say "not installed, so not in the lab:$missing"

# -- the servers ---------------------------------------------------------------

step "Starting the pair; they connect on TCP port 647 and exchange state"
lab_spawn "$ns_s1" "$dir/s1/log" "$DHCPD" -4 -f -d -cf "$dir/s1/dhcpd.conf" -lf "$dir/s1/dhcpd.leases" \
    -pf "$dir/s1/dhcpd.pid" lan0
pid_s1=$LAB_LAST_PID
lab_spawn "$ns_s2" "$dir/s2/log" "$DHCPD_PEER" -4 -f -d -cf "$dir/s2/dhcpd.conf" -lf "$dir/s2/dhcpd.leases" \
    -pf "$dir/s2/dhcpd.pid" lan0
pid_s2=$LAB_LAST_PID
L1="primary  "; L2="secondary"
fo_filter='failover|peer|[Uu]pdate|Both|normal|recover|startup|Listening|Sending on|Server starting|[Ee]rror|exiting'
both_normal() {
    grep -q 'Both servers normal' "$dir/s1/log" && grep -q 'Both servers normal' "$dir/s2/log"
}
servers_alive() { lab_alive "$pid_s1" && lab_alive "$pid_s2"; }
# require_servers: stops the demo, with the server's last words, when either
# server has exited (no point waiting for clients of a dead server).
require_servers() {
    servers_alive && return 0
    for role in s1 s2; do
        local pid=$pid_s1; [ "$role" = s2 ] && pid=$pid_s2
        lab_alive "$pid" && continue
        printf '\ndemo: the %s exited; its last lines:\n' "$([ "$role" = s1 ] && echo primary || echo secondary)" >&2
        tail -n 5 "$dir/$role/log" | sed 's/^/      /' >&2
    done
    exit 1
}
# dead: true once a server is gone (the waits below also end then).
dead() { ! kill -0 "$pid_s1" 2>/dev/null || ! kill -0 "$pid_s2" 2>/dev/null; }
lab_wait_for 60 bash -c "grep -q 'Both servers normal' '$dir/s1/log' && grep -q 'Both servers normal' '$dir/s2/log' ||
    ! kill -0 $pid_s1 2>/dev/null || ! kill -0 $pid_s2 2>/dev/null"
show_new "$dir/s1/log" "$L1" "$fo_filter"
show_new "$dir/s2/log" "$L2" "$fo_filter"
servers_alive || fail "a server exited (its log is above)"
both_normal || fail "the pair did not reach normal within 60 s"
say "both servers are in normal state: each answers the clients its load-balancing hash gives it"

# omshell_state NS: omshell's view of the failover-state object, the states
# named. Only when omshell is installed and the server answers OMAPI.
state_name() {
    case $((16#${1//:/})) in
        1) echo startup ;; 2) echo normal ;; 3) echo communications-interrupted ;; 4) echo partner-down ;;
        5) echo potential-conflict ;; 6) echo recover ;; 7) echo paused ;; 8) echo shutdown ;;
        9) echo recover-done ;; 10) echo resolution-interrupted ;; 11) echo conflict-done ;;
        254) echo recover-wait ;; *) echo "state $1" ;;
    esac
}
omshell_state() {
    local ns=$1 out secret_line=""
    command -v omshell >/dev/null 2>&1 || { say "(omshell is not installed: it comes with isc-dhcp-server)"; return 0; }
    [ -n "$omapi_key" ] && secret_line="key $omapi_key $secret"
    out=$(printf 'server 127.0.0.1\nport %s\n%s\nconnect\nnew failover-state\nset name = "%s"\nopen\n' \
        "$OMAPI_PORT" "$secret_line" "$peer_name" | timeout 10 ip netns exec "$ns" omshell 2>&1)
    if ! grep -q 'local-state' <<<"$out"; then
        say "(omshell: no answer from OMAPI on port $OMAPI_PORT: $(grep -v '^>' <<<"$out" | tr -s '\n' ' ' | head -c 120))"
        return 0
    fi
    local ls ps
    ls=$(sed -nE 's/^local-state = ([0-9a-f:]+).*/\1/p' <<<"$out")
    ps=$(sed -nE 's/^partner-state = ([0-9a-f:]+).*/\1/p' <<<"$out")
    say "omshell> open failover-state \"$peer_name\": local-state $(state_name "$ls"), partner-state $(state_name "$ps"),"
    # omshell prints integers as colon-separated hex bytes
    say "         $(sed -nE 's/^(mclt|load-balance-max-secs|max-outstanding-updates|hierarchy) = ([0-9a-f:]+)$/\1 \2/p' <<<"$out" |
        while read -r k v; do
            v=$((16#${v//:/}))
            [ "$k" = hierarchy ] && { [ "$v" = 0 ] && v=primary || v=secondary; }
            printf '%s %s, ' "$k" "$v"
        done | sed 's/, $//')"
}
say "asking each server over OMAPI (omshell, port $OMAPI_PORT):"
omshell_state "$ns_s1"
omshell_state "$ns_s2"

# -- the clients ---------------------------------------------------------------

# make_hook NAME SETS_ADDRESS: the client's event script. It appends one line
# per event to NAME's events file (EVENT ADDRESS SERVER LEASE_SECONDS) and,
# when SETS_ADDRESS is "hook" (dhclient and udhcpc leave that to their script;
# dhcpcd does it itself), applies the lease to the interface, which is inside
# the client's namespace.
make_hook() {
    local name=$1 sets=$2
    cat >"$dir/$name/hook.sh" <<EOF
#!/bin/sh
# dhclient and dhcpcd set \$reason; udhcpc passes the event as \$1.
ev="\${reason:-\$1}"
addr="\${new_ip_address:-\${ip:-}}"
srv="\${new_dhcp_server_identifier:-\${serverid:-}}"
lease="\${new_dhcp_lease_time:-\${lease:-}}"
mask="\${new_subnet_mask:-\${mask:-$plen}}"
case "\$ev" in
    PREINIT) ip link set "\$interface" up ;;
    BOUND|RENEW|REBIND|REBOOT|bound|renew)
        [ "$sets" != hook ] || ip addr replace "\$addr/\$mask" dev "\$interface" ;;
    RELEASE|EXPIRE|STOP|deconfig) [ "$sets" != hook ] || ip -4 addr flush dev "\$interface" ;;
esac
echo "\$ev \$addr \$srv \$lease" >> "$dir/$name/events"
EOF
    chmod +x "$dir/$name/hook.sh"
    : >"$dir/$name/events"
}

# start_client CLIENT: starts it in the foreground mode, logging to its dir.
start_client() {
    local c=$1 n=${name_of[$1]} d="$dir/${name_of[$1]}"
    if [ "$c" = dhcpcd ]; then make_hook "$n" client; else make_hook "$n" hook; fi
    case $c in
        dhclient)
            printf 'send host-name "%s";\nrequest subnet-mask, broadcast-address, routers, domain-name-servers;\n' \
                "$n" >"$d/dhclient.conf"
            lab_spawn "${ns_of[$c]}" "$d/log" dhclient -4 -d -v -cf "$d/dhclient.conf" -sf "$d/hook.sh" \
                -lf "$d/dhclient.leases" -pf "$d/dhclient.pid" lan0 ;;
        udhcpc)
            lab_spawn "${ns_of[$c]}" "$d/log" busybox udhcpc -f -i lan0 -s "$d/hook.sh" -x "hostname:$n" \
                -t 10 -T 2 -A 5 ;;
        dhcpcd)
            mkdir -p "$d/run" "$d/db"
            printf 'hostname %s\nnoipv4ll\nnoarp\noption subnet_mask, routers, domain_name_servers\n' "$n" >"$d/dhcpcd.conf"
            # /run and /var/lib/dhcpcd become the lab's own directories, in a
            # mount namespace private to this dhcpcd and its control commands.
            cat >"$d/private.sh" <<EOF
#!/bin/sh
mount --bind "$d/run" /run && mount --bind "$d/db" /var/lib/dhcpcd && exec "\$@"
EOF
            chmod +x "$d/private.sh"
            lab_spawn "${ns_of[$c]}" "$d/log" unshare -m --propagation private "$d/private.sh" \
                dhcpcd -4 -B -f "$d/dhcpcd.conf" -c "$d/hook.sh" lan0 ;;
    esac
    eval "pid_$n=$LAB_LAST_PID"
}

# client_ctl CLIENT ACTION: renew or release.
client_ctl() {
    local c=$1 n=${name_of[$1]} d="$dir/${name_of[$1]}" pid
    pid=$(eval echo "\$pid_$n")
    case $c:$2 in
        udhcpc:renew) kill -USR1 "$pid" ;;
        udhcpc:release) kill -USR2 "$pid" ;;
        dhcpcd:renew) timeout 10 ip netns exec "${ns_of[$c]}" unshare -m --propagation private "$d/private.sh" \
            dhcpcd -4 -N -f "$d/dhcpcd.conf" lan0 >>"$d/log" 2>&1 ;;
        dhcpcd:release) timeout 10 ip netns exec "${ns_of[$c]}" unshare -m --propagation private "$d/private.sh" \
            dhcpcd -4 -k -f "$d/dhcpcd.conf" lan0 >>"$d/log" 2>&1 ;;
        dhclient:release) timeout 15 ip netns exec "${ns_of[$c]}" dhclient -4 -r -v -cf "$d/dhclient.conf" \
            -sf "$d/hook.sh" -lf "$d/dhclient.leases" -pf "$d/dhclient.pid" lan0 >>"$d/log" 2>&1 ;;
        dhclient:renew) : ;; # dhclient has no renew command: it renews by itself at T1
    esac
}

# last_event NAME REGEX: the newest events line matching REGEX.
last_event() { grep -E "$2" "$dir/$1/events" 2>/dev/null | tail -n 1; }
count_events() { grep -c -E "$2" "$dir/$1/events" 2>/dev/null; }

who_served() {
    case $1 in
        "$ip_primary") echo "the primary" ;;
        "$ip_secondary") echo "the secondary" ;;
        *) echo "server $1" ;;
    esac
}
dhcp_filter='DHCP|BNDUPD|BNDACK|balanc|pool|lease'

# lease_block FILE IP: the newest lease block for IP in a lease file.
lease_block() {
    awk -v ip="$2" '
        $1 == "lease" && $2 == ip { grab = 1; block = "" }
        grab { block = block $0 "\n" }
        grab && /^}/ { grab = 0; last = block }
        END { printf "%s", last }' "$1"
}
show_leases() {
    local ip=$1
    for role in s1 s2; do
        local label=primary; [ "$role" = s2 ] && label=secondary
        local b
        b=$(lease_block "$dir/$role/dhcpd.leases" "$ip")
        if [ -n "$b" ] && [ "${2:-}" = short ]; then
            say "$label's lease file: $ip $(sed -nE 's/^[[:space:]]*(binding state [a-z-]+);/\1/p' <<<"$b")"
        elif [ -n "$b" ]; then
            say "$label's lease file, newest entry for $ip:"
            grep -E 'lease|starts|ends|tstp|tsfp|cltt|binding state|hardware|client-hostname|^}' <<<"$b" |
                sed 's/^/      /'
        else
            say "$label's lease file: no entry for $ip yet"
        fi
    done
}

both_files_active() {
    lease_block "$dir/s1/dhcpd.leases" "$1" | grep -q 'binding state active' &&
        lease_block "$dir/s2/dhcpd.leases" "$1" | grep -q 'binding state active'
}

declare -A addr_of_client
for c in "${clients[@]}"; do
    n=${name_of[$c]}
    step "Client $n ($c) acquires a lease"
    start_client "$c"
    require_servers
    if lab_wait_for 40 bash -c "grep -qE '^(BOUND|REBOOT|bound) ' '$dir/$n/events' ||
        ! kill -0 $pid_s1 2>/dev/null || ! kill -0 $pid_s2 2>/dev/null" && ! dead; then
        read -r _ a s l < <(last_event "$n" '^(BOUND|REBOOT|bound) ')
        addr_of_client[$c]=$a
        say "$c is bound to $a for $l s, offered and acknowledged by $(who_served "$s") ($s)"
    else
        say "$c got no lease within 40 s; its last words:"
        tail -n 5 "$dir/$n/log" | sed 's/^/      /'
    fi
    # The binding update reaches the peer's file a moment later (later still
    # while the primary is sending the pool's initial split).
    [ -n "${addr_of_client[$c]:-}" ] && lab_wait_for 5 both_files_active "${addr_of_client[$c]}"
    show_new "$dir/s1/log" "$L1" "$dhcp_filter"
    show_new "$dir/s2/log" "$L2" "$dhcp_filter"
    [ -n "${addr_of_client[$c]:-}" ] && show_leases "${addr_of_client[$c]}"
done

step "The clients renew (unicast DHCPREQUEST to the server that granted the lease)"
say "udhcpc renews on SIGUSR1, dhcpcd on \`dhcpcd -N\`; dhclient has no such command and"
say "renews by itself at T1, half the $LEASE_TIME s lease, so the wait below is at most one lease"
declare -A renewed_before
for c in "${clients[@]}"; do
    n=${name_of[$c]}
    [ -n "${addr_of_client[$c]:-}" ] || continue
    renewed_before[$c]=$(count_events "$n" '^(RENEW|renew|BOUND|bound|REBIND) ')
    client_ctl "$c" renew
done
for c in "${clients[@]}"; do
    n=${name_of[$c]}
    [ -n "${addr_of_client[$c]:-}" ] || continue
    require_servers
    if lab_wait_for $((LEASE_TIME + 5)) bash -c \
        "[ \$(grep -c -E '^(RENEW|renew|BOUND|bound|REBIND) ' '$dir/$n/events') -gt ${renewed_before[$c]} ] ||
        ! kill -0 $pid_s1 2>/dev/null || ! kill -0 $pid_s2 2>/dev/null" && ! dead; then
        read -r e a s l < <(last_event "$n" '^(RENEW|renew|BOUND|bound|REBIND) ')
        say "$n ($c): $e $a, $l s more, from $(who_served "$s")"
    else
        say "$n ($c): no renewal seen within $((LEASE_TIME + 5)) s"
    fi
done
sleep 1
show_new "$dir/s1/log" "$L1" "$dhcp_filter"
show_new "$dir/s2/log" "$L2" "$dhcp_filter"
say "the failover state after the renewals:"
omshell_state "$ns_s1"

step "The clients release their leases"
require_servers
for c in "${clients[@]}"; do
    n=${name_of[$c]}
    [ -n "${addr_of_client[$c]:-}" ] || continue
    client_ctl "$c" release
    say "$n ($c) sent DHCPRELEASE for ${addr_of_client[$c]}"
done
sleep 2
show_new "$dir/s1/log" "$L1" "$dhcp_filter"
show_new "$dir/s2/log" "$L2" "$dhcp_filter"
for c in "${clients[@]}"; do
    [ -n "${addr_of_client[$c]:-}" ] && show_leases "${addr_of_client[$c]}" short
done
say "(with a failover peer a released lease goes back to the server that may allocate it:"
say " \"free\" is the primary's, \"backup\" the secondary's)"

step "Done"
servers_alive && say "both servers still running; stopping everything and deleting the namespaces" ||
    say "a server stopped during the demo: see its lines above"
say "(KEEP=1 keeps the configs, logs and lease files; DHCPD=... DHCPD_PEER=... SEED=es|zh|ru choose the pair)"
