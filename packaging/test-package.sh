#!/bin/sh
# Tests the dhcpd-rs .deb without touching the host: what `make package-test` runs.
#
#   packaging/test-package.sh DEB
#
# 1. Inspects the package (dpkg-deb -I/-c): control fields, the exact file list, modes,
#    md5sums, the shipped unit and manual page against the repository's.
# 2. Checks the unit files with systemd-analyze verify.
# 3. Runs the unit's commands as systemd would, in a private mount namespace where
#    /usr/sbin/dhcpd is ours (for the self-test) or a recorder of its arguments (for the
#    start), so no server ever runs: the self-test verdicts and messages, and the daemon's
#    command line from /etc/default/isc-dhcp-server's variables.
# 4. Installs, upgrades, removes and purges it with dpkg --root into throwaway roots
#    (maintainer scripts run chrootless, with DPKG_ROOT set), alone and next to a stand-in
#    isc-dhcp-server package: diversions, enablement, the settings file. systemctl,
#    invoke-rc.d and friends are recorders there, and must never be called.
# 5. Runs the postinst and prerm as on a real host running systemd, in a private mount
#    namespace with systemctl recorded: with policy-rc.d saying 101 nothing is
#    restarted or stopped; with 0, only try-restart (never start) and stop.
# Finally it checks that the host's /usr/sbin/dhcpd and diversions are as they were.
# Needs root (dpkg --root, unshare, mount), dpkg-dev, systemd-analyze (optional).
set -eu

[ $# -eq 1 ] || {
	echo "usage: $0 DEB" >&2
	exit 2
}
deb=$(realpath "$1")
repo=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" != 0 ]; then
	echo "package-test: needs root (dpkg --root, mount namespaces); run it as root or under sudo" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() {
	pass=$((pass + 1))
	echo "ok   $*"
}
bad() {
	fail=$((fail + 1))
	echo "FAIL $*"
}
check() { # check DESCRIPTION COMMAND...
	what=$1
	shift
	if "$@" >"$tmp/out" 2>&1; then ok "$what"; else
		bad "$what"
		sed 's/^/     | /' "$tmp/out"
	fi
}
same() { # same DESCRIPTION EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: expected [$2], got [$3]"; fi
}
has() { # has DESCRIPTION NEEDLE FILE
	if grep -qF -- "$2" "$3"; then ok "$1"; else
		bad "$1: no [$2] in:"
		sed 's/^/     | /' "$3"
	fi
}
hasnt() { # hasnt DESCRIPTION REGEX FILE
	if grep -qE -- "$2" "$3"; then
		bad "$1: [$2] in:"
		sed 's/^/     | /' "$3"
	else ok "$1"; fi
}

host_dhcpd_before=$(md5sum /usr/sbin/dhcpd 2>/dev/null || echo absent)
host_diversions_before=$(dpkg-divert --list | LC_ALL=C sort)

# ---- 1. the package itself --------------------------------------------------------------
echo "# inspecting $deb"
field() { dpkg-deb -f "$deb" "$1"; }
version=$(dpkg-deb -x "$deb" "$tmp/x" && "$tmp/x/usr/sbin/dhcpd" --version 2>&1 | sed -n 's/^dhcpd-rs-//p')
same "Package" dhcpd-rs "$(field Package)"
same "Version is the binary's own" "$version" "$(field Version)"
same "Architecture" "$(dpkg --print-architecture)" "$(field Architecture)"
same "Section" net "$(field Section)"
same "Suggests" "isc-dhcp-server, isc-dhcp-common" "$(field Suggests)"
case "$(field Depends)" in
libc6\ \(\>=*) ok "Depends on libc6 with a version (dpkg-shlibdeps)" ;;
*) bad "Depends: [$(field Depends)]" ;;
esac
for f in Conflicts Replaces Provides Breaks Pre-Depends; do
	same "no $f (we divert instead)" "" "$(field "$f")"
done
size=$(du -k -s "$tmp/x" | cut -f1)
same "Installed-Size is the tree's" "$size" "$(field Installed-Size)"

dpkg-deb -c "$deb" | awk '{ print $1, $2, $6 }' | LC_ALL=C sort >"$tmp/contents"
cat >"$tmp/expected" <<'EOF'
-rw-r--r-- root/root ./lib/systemd/system/isc-dhcp-server.service
-rw-r--r-- root/root ./usr/share/dhcpd-rs/isc-dhcp-server.default
-rw-r--r-- root/root ./usr/share/doc/dhcpd-rs/README.Debian
-rw-r--r-- root/root ./usr/share/doc/dhcpd-rs/README.systemd.md
-rw-r--r-- root/root ./usr/share/doc/dhcpd-rs/copyright
-rw-r--r-- root/root ./usr/share/doc/dhcpd-rs/examples/dhcpd.service
-rw-r--r-- root/root ./usr/share/doc/dhcpd-rs/examples/hardening.conf
-rw-r--r-- root/root ./usr/share/doc/dhcpd-rs/isc-differences.md
-rw-r--r-- root/root ./usr/share/man/man8/dhcpd.8.gz
-rwxr-xr-x root/root ./usr/sbin/dhcpd
EOF
grep -v '^d' "$tmp/contents" | diff "$tmp/expected" - >"$tmp/out" && ok "file list, owners and modes" ||
	{
		bad "file list, owners and modes"
		sed 's/^/     | /' "$tmp/out"
	}
has "ships /var/lib/dhcp/" "drwxr-xr-x root/root ./var/lib/dhcp/" "$tmp/contents"
hasnt "only root-owned entries" "^[^ ]+ [^r]" "$tmp/contents"

dpkg-deb -e "$deb" "$tmp/ctl"
same "control members" "control md5sums postinst postrm preinst prerm" "$(ls "$tmp/ctl" | xargs)"
check "md5sums match the files" sh -c "cd '$tmp/x' && md5sum --quiet -c '$tmp/ctl/md5sums'"
check "maintainer scripts parse (sh -n)" sh -c "for s in preinst postinst prerm postrm; do sh -n '$tmp/ctl/'\$s || exit 1; done"
check "the unit is the repository's" cmp "$repo/packaging/systemd/isc-dhcp-server.service" \
	"$tmp/x/lib/systemd/system/isc-dhcp-server.service"
check "the manual page is docs/dhcpd.8" sh -c "gzip -dc '$tmp/x/usr/share/man/man8/dhcpd.8.gz' | cmp - '$repo/docs/dhcpd.8'"
check "the manual page renders without warnings" sh -c \
	"test -z \"\$(gzip -dc '$tmp/x/usr/share/man/man8/dhcpd.8.gz' | groff -man -Tutf8 -ww -z 2>&1)\""
check "the binary is stripped" sh -c "! readelf -S '$tmp/x/usr/sbin/dhcpd' | grep -q debug_info"
check "copyright lists the linked crates" grep -q '^   nom v' "$tmp/x/usr/share/doc/dhcpd-rs/copyright"

# ---- namespaces: a private mount namespace where /usr/sbin has our files on top ---------
# in_ns SBIN_DIR COMMAND: /run and /etc/default are private tmpfs, /run/systemd/system
# exists (as on a host running systemd), and SBIN_DIR's files shadow /usr/sbin's.
in_ns() {
	sbin=$1
	shift
	unshare --mount --propagation private -- sh -c '
		set -e
		mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/system
		mount -t tmpfs tmpfs /etc/default
		mount -t overlay overlay -o "lowerdir=$0:/usr/sbin" /usr/sbin
		exec "$@"' "$sbin" "$@"
}
mkdir -p "$tmp/sbin-real" "$tmp/sbin-rec"
cp "$tmp/x/usr/sbin/dhcpd" "$tmp/sbin-real/dhcpd"
# The recorder stands in for dhcpd where a real one would start serving.
printf '#!/bin/sh\necho "$*" >>%s/argv\n' "$tmp" >"$tmp/sbin-rec/dhcpd"
chmod 755 "$tmp/sbin-rec/dhcpd"

# ---- 2. unit files ---------------------------------------------------------------------
if command -v systemd-analyze >/dev/null 2>&1; then
	mkdir -p "$tmp/units/isc-dhcp-server.service.d" "$tmp/units/dhcpd.service.d"
	cp "$repo/packaging/systemd/isc-dhcp-server.service" "$repo/packaging/systemd/dhcpd.service" "$tmp/units/"
	cp "$repo/packaging/systemd/hardening.conf" "$tmp/units/isc-dhcp-server.service.d/"
	cp "$repo/packaging/systemd/hardening.conf" "$tmp/units/dhcpd.service.d/"
	for u in isc-dhcp-server.service dhcpd.service; do
		in_ns "$tmp/sbin-real" systemd-analyze verify --man=no "$tmp/units/$u" >"$tmp/out" 2>&1 || true
		if [ -s "$tmp/out" ]; then
			bad "systemd-analyze verify $u (with hardening.conf): warnings"
			sed 's/^/     | /' "$tmp/out"
		else ok "systemd-analyze verify $u (with hardening.conf)"; fi
	done
else
	echo "skip systemd-analyze verify: systemd-analyze is not installed"
fi

# ---- 3. the unit's commands, as systemd runs them ----------------------------------------
# systemd joins "\"-continued lines, turns "$$" into "$", and its single quotes group
# words as sh's do; the "-" prefix only means "failure is not fatal".
unit_cmds() { # unit_cmds KEY: each KEY= value of the unit, ready for sh's eval
	sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$repo/packaging/systemd/isc-dhcp-server.service" |
		sed -n "s/^$1=-\{0,1\}//p" | sed 's/\$\$/$/g'
}
run_unit() { # run_unit KEY SBIN_DIR [VAR=value...]: the unit's KEY commands with that env
	key=$1
	sbin=$2
	shift 2
	unit_cmds "$key" >"$tmp/cmds"
	in_ns "$sbin" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DHCPDv4_CONF=/etc/dhcp/dhcpd.conf "$@" \
		sh -c 'while IFS= read -r c; do eval "$c" || exit $?; done <"$0"' "$tmp/cmds"
}
same "the unit runs one self-test step and one touch before starting" 2 "$(unit_cmds ExecStartPre | wc -l)"
printf 'subnet 192.0.2.0 netmask 255.255.255.0 { range 192.0.2.10 192.0.2.20; }\n' >"$tmp/good.conf"
printf 'subnet 192.0.2.0 netmask 255.255.255.0 { range 192.0.2.10 192.0.2.20 }\n' >"$tmp/bad.conf"
unit_cmds ExecStartPre | head -1 >"$tmp/selftest"
selftest() { # selftest CONF: the unit's self-test step, with our dhcpd
	in_ns "$tmp/sbin-real" env -i PATH=/usr/bin:/bin DHCPDv4_CONF="$1" sh -c 'eval "$(cat "$0")"' "$tmp/selftest"
}
if selftest "$tmp/good.conf" >"$tmp/out" 2>&1; then ok "self-test passes a good configuration"; else
	bad "self-test passes a good configuration"
	sed 's/^/     | /' "$tmp/out"
fi
same "self-test is silent on success (dhcpd -t -q)" "" "$(cat "$tmp/out")"
if selftest "$tmp/bad.conf" >"$tmp/out" 2>&1; then bad "self-test fails a bad configuration"; else
	ok "self-test fails a bad configuration"
fi
has "self-test failure says what to fix, as the init script does" "dhcpd self-test failed. Please fix $tmp/bad.conf." "$tmp/out"
has "self-test failure shows dhcpd's error" "bad.conf line 1: semicolon expected." "$tmp/out"

start_argv() { # start_argv VAR=value...: the daemon's arguments under that environment
	rm -f "$tmp/argv"
	run_unit ExecStart "$tmp/sbin-rec" "$@" >/dev/null 2>&1 || true
	cat "$tmp/argv" 2>/dev/null || echo "(dhcpd not run)"
}
same "start: init script's command line, INTERFACESv4 as words" "-4 -q -cf /etc/dhcp/dhcpd.conf eth0 eth1" \
	"$(start_argv INTERFACESv4='eth0 eth1')"
same "start: DHCPDv4_CONF from the settings file" "-4 -q -cf /srv/d.conf eth0" \
	"$(start_argv DHCPDv4_CONF=/srv/d.conf INTERFACESv4=eth0)"
same "start: the old INTERFACES when INTERFACESv4 is empty" "-4 -q -cf /etc/dhcp/dhcpd.conf eth2" \
	"$(start_argv INTERFACESv4= INTERFACES=eth2)"
same "start: INTERFACESv4 wins over INTERFACES" "-4 -q -cf /etc/dhcp/dhcpd.conf eth0" \
	"$(start_argv INTERFACESv4=eth0 INTERFACES=eth2)"
same "start: no interfaces named" "-4 -q -cf /etc/dhcp/dhcpd.conf" "$(start_argv INTERFACESv4=)"

. "$repo/packaging/test-package-roots.sh"

# ---- the host ----------------------------------------------------------------------------
same "host /usr/sbin/dhcpd untouched" "$host_dhcpd_before" "$(md5sum /usr/sbin/dhcpd 2>/dev/null || echo absent)"
same "host diversions untouched" "$host_diversions_before" "$(dpkg-divert --list | LC_ALL=C sort)"

echo "package-test: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
