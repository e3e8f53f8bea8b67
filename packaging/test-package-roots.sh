# Sourced by test-package.sh (uses its $deb, $tmp, $repo, in_ns and check helpers).
#
# Parts 4 and 5: the package's life in throwaway roots, and its maintainer scripts as on
# a host running systemd, both without ever starting, stopping or restarting anything.

# ---- 4. throwaway roots ------------------------------------------------------------------
echo "# installing into throwaway roots (dpkg --root, scripts chrootless)"
# Service tools are recorders: in another root none of them may be called at all.
mkdir -p "$tmp/rec-bin"
for t in systemctl deb-systemd-invoke invoke-rc.d service start-stop-daemon update-rc.d; do
	printf '#!/bin/sh\necho "%s $*" >>%s/svc.log\n' "$t" "$tmp" >"$tmp/rec-bin/$t"
	chmod 755 "$tmp/rec-bin/$t"
done
: >"$tmp/svc.log"

# A stand-in for isc-dhcp-server: its dhcpd, manual page and init script (a conffile).
fake=$tmp/fake-isc
mkdir -p "$fake/DEBIAN" "$fake/usr/sbin" "$fake/usr/share/man/man8" "$fake/etc/init.d"
printf '#!/bin/sh\necho isc-dhcpd-fake >&2\n' >"$fake/usr/sbin/dhcpd"
printf '#!/bin/sh\nexit 0\n' >"$fake/etc/init.d/isc-dhcp-server"
chmod 755 "$fake/usr/sbin/dhcpd" "$fake/etc/init.d/isc-dhcp-server"
echo "ISC's page" | gzip -9n >"$fake/usr/share/man/man8/dhcpd.8.gz"
echo /etc/init.d/isc-dhcp-server >"$fake/DEBIAN/conffiles"
(cd "$fake" && md5sum usr/sbin/dhcpd usr/share/man/man8/dhcpd.8.gz) >"$fake/DEBIAN/md5sums"
cat >"$fake/DEBIAN/control" <<'EOF'
Package: isc-dhcp-server
Version: 4.4.3-P1-2+fake1
Architecture: all
Maintainer: package-test <root@localhost>
Description: stand-in for ISC's package, for dhcpd-rs's package test
EOF
dpkg-deb --root-owner-group --build "$fake" "$tmp/isc-fake.deb" >/dev/null

new_root() {
	R=$(mktemp -d "$tmp/root.XXXXXX")
	mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/var/lib/dpkg/triggers"
	: >"$R/var/lib/dpkg/status"
}
mkdir -p "$tmp/empty"
# dpkg on $R, its output in $tmp/dpkg.log. It runs where /run/systemd/system exists, as
# on a host running systemd that installs into another root (mmdebstrap, image builders),
# so a script that forgot DPKG_ROOT would reach for the (recording) service tools.
dpkg_r() {
	PATH="$tmp/rec-bin:$PATH" in_ns "$tmp/empty" dpkg --root="$R" --force-script-chrootless --force-depends \
		"$@" >"$tmp/dpkg.log" 2>&1
}
step() { # step DESCRIPTION DPKG-ARGS...: a dpkg run that must succeed
	what=$1
	shift
	if dpkg_r "$@"; then ok "$what"; else
		bad "$what"
		sed 's/^/     | /' "$tmp/dpkg.log"
	fi
}
diversions() { dpkg-divert --root="$R" --list | LC_ALL=C sort | xargs; }
status() { dpkg-query --root="$R" -W -f '${db:Status-Status}' "$1" 2>/dev/null || echo not-installed; }
runs() { "$R/usr/sbin/$1" --version 2>&1 | head -1; }
wants=etc/systemd/system/multi-user.target.wants/isc-dhcp-server.service
enabled() { if [ -L "$R/$wants" ]; then readlink "$R/$wants"; else echo no; fi; }
ours_divs="diversion of /usr/sbin/dhcpd to /usr/sbin/dhcpd.isc by dhcpd-rs diversion of\
 /usr/share/man/man8/dhcpd.8.gz to /usr/share/man/man8/dhcpd.isc.8.gz by dhcpd-rs"
unit=/lib/systemd/system/isc-dhcp-server.service

echo "## alone"
new_root
step "install" -i "$deb"
same "/usr/sbin/dhcpd is ours" "dhcpd-rs-$version" "$(runs dhcpd)"
same "diversions in place" "$ours_divs" "$(diversions)"
check "settings file written from the template" cmp "$R/usr/share/dhcpd-rs/isc-dhcp-server.default" \
	"$R/etc/default/isc-dhcp-server"
same "enabled on a first installation alone" "$unit" "$(enabled)"
check "dpkg --verify dhcpd-rs" dpkg --root="$R" --verify dhcpd-rs
check "the installed dhcpd checks a configuration" "$R/usr/sbin/dhcpd" -t -q -cf "$tmp/good.conf"
# The administrator disables it (what systemctl disable does to the symlinks).
DPKG_ROOT=$R DPKG_MAINTSCRIPT_PACKAGE=dhcpd-rs deb-systemd-helper disable isc-dhcp-server.service
echo "# site edit" >>"$R/etc/default/isc-dhcp-server"
step "reinstall (upgrade path)" -i "$deb"
same "an administrator's disable survives the upgrade" no "$(enabled)"
has "the settings file is never overwritten" "# site edit" "$R/etc/default/isc-dhcp-server"
same "diversions kept once" "$ours_divs" "$(diversions)"
step "remove" -r dhcpd-rs
same "remove: binary gone" no "$([ -e "$R/usr/sbin/dhcpd" ] && echo yes || echo no)"
same "remove: diversions gone" "" "$(diversions)"
has "remove: settings file kept until purge" "# site edit" "$R/etc/default/isc-dhcp-server"
step "purge" -P dhcpd-rs
same "purge: settings file deleted (isc-dhcp-server not installed)" no \
	"$([ -e "$R/etc/default/isc-dhcp-server" ] && echo yes || echo no)"

echo "## next to isc-dhcp-server, which was enabled"
new_root
mkdir -p "$R/etc/default" "$R/etc/rc2.d"
echo 'INTERFACESv4="eth9"' >"$R/etc/default/isc-dhcp-server"
step "install isc-dhcp-server" -i "$tmp/isc-fake.deb"
ln -s ../init.d/isc-dhcp-server "$R/etc/rc2.d/S01isc-dhcp-server"
same "before: /usr/sbin/dhcpd is ISC's" isc-dhcpd-fake "$(runs dhcpd)"
step "install dhcpd-rs" -i "$deb"
same "/usr/sbin/dhcpd is ours" "dhcpd-rs-$version" "$(runs dhcpd)"
same "ISC's binary is /usr/sbin/dhcpd.isc" isc-dhcpd-fake "$(runs dhcpd.isc)"
same "ISC's manual page is dhcpd.isc(8)" "ISC's page" "$(gzip -dc "$R/usr/share/man/man8/dhcpd.isc.8.gz")"
same "the settings file is left alone" 'INTERFACESv4="eth9"' "$(cat "$R/etc/default/isc-dhcp-server")"
same "enabled, as ISC's init script was" "$unit" "$(enabled)"
check "dpkg --verify isc-dhcp-server (through the diversions)" dpkg --root="$R" --verify isc-dhcp-server
step "remove dhcpd-rs" -r dhcpd-rs
same "ISC's binary is back" isc-dhcpd-fake "$(runs dhcpd)"
same "no dhcpd.isc left" no "$([ -e "$R/usr/sbin/dhcpd.isc" ] && echo yes || echo no)"
same "ISC's manual page is back" "ISC's page" "$(gzip -dc "$R/usr/share/man/man8/dhcpd.8.gz")"
check "dpkg --verify isc-dhcp-server" dpkg --root="$R" --verify isc-dhcp-server
same "our enablement is gone" no "$(enabled)"
same "ISC's start link untouched" ../init.d/isc-dhcp-server "$(readlink "$R/etc/rc2.d/S01isc-dhcp-server")"
step "purge dhcpd-rs" -P dhcpd-rs
same "the settings file stays with isc-dhcp-server" 'INTERFACESv4="eth9"' "$(cat "$R/etc/default/isc-dhcp-server")"

echo "## next to isc-dhcp-server, which was disabled"
new_root
mkdir -p "$R/etc/rc2.d"
step "install isc-dhcp-server" -i "$tmp/isc-fake.deb"
ln -s ../init.d/isc-dhcp-server "$R/etc/rc2.d/K01isc-dhcp-server"
step "install dhcpd-rs" -i "$deb"
same "stays disabled, as ISC's init script was" no "$(enabled)"
check "settings file written (isc-dhcp-server's postinst had not)" test -e "$R/etc/default/isc-dhcp-server"

echo "## dhcpd-rs first, isc-dhcp-server after"
new_root
step "install dhcpd-rs" -i "$deb"
step "install isc-dhcp-server" -i "$tmp/isc-fake.deb"
same "/usr/sbin/dhcpd stays ours" "dhcpd-rs-$version" "$(runs dhcpd)"
same "ISC's lands as /usr/sbin/dhcpd.isc" isc-dhcpd-fake "$(runs dhcpd.isc)"
step "remove isc-dhcp-server" -r isc-dhcp-server
same "isc-dhcp-server left its conffiles" config-files "$(status isc-dhcp-server)"
same "/usr/sbin/dhcpd still ours" "dhcpd-rs-$version" "$(runs dhcpd)"
same "dhcpd.isc gone with ISC" no "$([ -e "$R/usr/sbin/dhcpd.isc" ] && echo yes || echo no)"
step "purge dhcpd-rs" -P dhcpd-rs
check "settings file kept while isc-dhcp-server's conffiles remain" test -e "$R/etc/default/isc-dhcp-server"

same "no service tool was called in any root" "" "$(cat "$tmp/svc.log")"

# ---- 5. the scripts as on a host running systemd ------------------------------------------
echo "# maintainer scripts with systemd running (private mount namespace, systemctl recorded)"
mkdir -p "$tmp/host-bin" "$tmp/pol-101" "$tmp/pol-0"
# systemctl and deb-systemd-helper are recorders; deb-systemd-invoke is the real one,
# so policy-rc.d is asked exactly as on a real host.
for t in systemctl deb-systemd-helper; do
	printf '#!/bin/sh\necho "%s $*" >>%s/host.log\n' "$t" "$tmp" >"$tmp/host-bin/$t"
	chmod 755 "$tmp/host-bin/$t"
done
printf '#!/bin/sh\nexit 101\n' >"$tmp/pol-101/policy-rc.d"
printf '#!/bin/sh\nexit 0\n' >"$tmp/pol-0/policy-rc.d"
chmod 755 "$tmp/pol-101/policy-rc.d" "$tmp/pol-0/policy-rc.d"
script() { # script POLICY_DIR NAME ARGS...: one maintainer script; the calls it made
	pol=$1
	name=$2
	shift 2
	: >"$tmp/host.log"
	# The settings file exists (in the namespace's private /etc/default), as on a host
	# where the package is installed. postrm is not run here: it edits the diversions in
	# the host's dpkg database.
	in_ns "$pol" env PATH="$tmp/host-bin:$PATH" DPKG_MAINTSCRIPT_PACKAGE=dhcpd-rs \
		sh -c 'echo INTERFACESv4=eth0 >/etc/default/isc-dhcp-server && exec "$@"' sh \
		"$tmp/ctl/$name" "$@" >"$tmp/out" 2>&1 || echo "$name $* failed" >>"$tmp/host.log"
	grep -v '^deb-systemd-helper' "$tmp/host.log" | xargs
}
same "policy-rc.d 101: upgrade restarts nothing" "systemctl --system daemon-reload" \
	"$(script "$tmp/pol-101" postinst configure 0.0.1)"
same "policy-rc.d 101: removal stops nothing" "" "$(script "$tmp/pol-101" prerm remove)"
same "policy-rc.d 0: upgrade restarts only a running service (try-restart)" \
	"systemctl --system daemon-reload systemctl try-restart isc-dhcp-server.service" \
	"$(script "$tmp/pol-0" postinst configure 0.0.1)"
same "policy-rc.d 0: first installation never starts (try-restart only)" \
	"systemctl --system daemon-reload systemctl try-restart isc-dhcp-server.service" \
	"$(script "$tmp/pol-0" postinst configure)"
same "policy-rc.d 0: removal stops the service" "systemctl stop isc-dhcp-server.service" \
	"$(script "$tmp/pol-0" prerm remove)"
