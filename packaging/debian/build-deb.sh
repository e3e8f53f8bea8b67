#!/bin/sh
# Builds the dhcpd-rs .deb from a built dhcpd binary, with dpkg-deb alone (no debhelper,
# no source package): stage the tree, write the control file, pack.
#
#   packaging/debian/build-deb.sh BINARY OUTDIR
#
# BINARY is target/release/dhcpd (make package builds it); the .deb lands in OUTDIR and
# its path is printed on stdout. The version is the binary's own (--version), so a
# package can never carry a version its binary does not. Needs dpkg-dev (dpkg-shlibdeps)
# and binutils (strip). Environment: DEB_MAINTAINER overrides the Maintainer field;
# SOURCE_DATE_EPOCH (default: the last commit's time) fixes every timestamp, so two
# builds of the same binary give the same bytes.
set -eu

usage() {
	echo "usage: $0 BINARY OUTDIR" >&2
	exit 2
}
[ $# -eq 2 ] || usage
bin=$1
outdir=$2
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
pkg=dhcpd-rs

[ -x "$bin" ] || {
	echo "$0: $bin: not an executable (build it first: make build)" >&2
	exit 1
}
# `dhcpd --version` prints dhcpd-rs-VERSION on stderr, as ISC prints isc-dhcpd-VERSION.
version=$("$bin" --version 2>&1 | sed -n 's/^dhcpd-rs-\([0-9][0-9A-Za-z.+~-]*\)$/\1/p')
[ -n "$version" ] || {
	echo "$0: $bin --version does not name a dhcpd-rs version; is it ours?" >&2
	exit 1
}

arch=${DEB_HOST_ARCH:-$(dpkg --print-architecture)}
if [ -z "${DEB_MAINTAINER:-}" ]; then
	name=$(git -C "$repo" config user.name 2>/dev/null || true)
	email=$(git -C "$repo" config user.email 2>/dev/null || true)
	if [ -n "$name" ] && [ -n "$email" ]; then
		DEB_MAINTAINER="$name <$email>"
	else
		DEB_MAINTAINER="dhcpd-rs maintainers <root@localhost>"
	fi
fi
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)
fi
export SOURCE_DATE_EPOCH

umask 022
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# dpkg-shlibdeps wants a debian/control and the files under debian/PACKAGE/.
root=$work/debian/$pkg
mkdir -p "$root/DEBIAN"
printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$pkg" "$pkg" >"$work/debian/control"

# The binary, stripped as Debian ships binaries (the debug info stays in the build tree).
install -D -m 0755 "$bin" "$root/usr/sbin/dhcpd"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/sbin/dhcpd"

install -D -m 0644 "$repo/docs/dhcpd.8" "$root/usr/share/man/man8/dhcpd.8"
gzip -9n "$root/usr/share/man/man8/dhcpd.8"

install -D -m 0644 "$repo/packaging/systemd/isc-dhcp-server.service" \
	"$root/lib/systemd/system/isc-dhcp-server.service"
install -D -m 0644 "$here/isc-dhcp-server.default" "$root/usr/share/dhcpd-rs/isc-dhcp-server.default"

doc=$root/usr/share/doc/$pkg
# The crates linked into the binary and their licenses, from Cargo.lock (cargo tree
# reads the lock file and the local registry cache; no network).
${CARGO:-cargo} tree --manifest-path "$repo/Cargo.toml" -e normal --prefix none -f '{p} {l}' |
	sed -e 's/ (\*)$//' -e 's| (/[^)]*)||' | grep -v '^dhcpd ' | LC_ALL=C sort -u |
	sed 's/^/   /' >"$work/crates"
[ -s "$work/crates" ] || {
	echo "$0: cargo tree listed no crates" >&2
	exit 1
}
awk -v list="$work/crates" '$0 == "@CRATES@" { while ((getline l < list) > 0) print l; next } { print }' \
	"$here/copyright" >"$work/copyright"
install -D -m 0644 "$work/copyright" "$doc/copyright"
install -D -m 0644 "$repo/packaging/README.md" "$doc/README.Debian"
install -D -m 0644 "$repo/packaging/systemd/README.md" "$doc/README.systemd.md"
install -D -m 0644 "$repo/docs/isc-differences.md" "$doc/isc-differences.md"
install -D -m 0644 "$repo/packaging/systemd/hardening.conf" "$doc/examples/hardening.conf"
install -D -m 0644 "$repo/packaging/systemd/dhcpd.service" "$doc/examples/dhcpd.service"

# The lease directory, as isc-dhcp-server ships it (dpkg lets packages share directories).
install -d -m 0755 "$root/var/lib/dhcp"

for script in preinst postinst prerm postrm; do
	install -m 0755 "$here/$script" "$root/DEBIAN/$script"
done

depends=$(cd "$work" && dpkg-shlibdeps -O "debian/$pkg/usr/sbin/dhcpd" | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || {
	echo "$0: dpkg-shlibdeps found no dependencies for the binary" >&2
	exit 1
}
size=$(du -k -s --exclude=DEBIAN "$root" | cut -f1)

sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@MAINTAINER@|$DEB_MAINTAINER|" \
	-e "s|@INSTALLED_SIZE@|$size|" -e "s|@DEPENDS@|$depends|" \
	"$here/control.in" >"$root/DEBIAN/control"
if grep -q '@[A-Z_]*@' "$root/DEBIAN/control"; then
	echo "$0: control.in has a field this script does not fill" >&2
	exit 1
fi

(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z |
	xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums" "$root/DEBIAN/control"

mkdir -p "$outdir"
deb=$outdir/${pkg}_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
