#!/bin/bash
# Records what ISC dhcpd 4.4 does to a lease file at startup, for the cases
# in startup/: for each NAME.conf + NAME.leases it runs
#     dhcpd -4 -T -cf NAME.conf -lf COPY-OF-NAME.leases
# (which only reads files and writes a temporary lease file) with a small
# LD_PRELOAD shim that copies the temporary file aside before dhcpd unlinks
# it, and keeps
#     NAME.isc-rewrite   the complete file ISC wrote after its startup pass
#     NAME.isc-out       what it printed after the banner and paths (the
#                        temporary file's name replaced by TEMP)
# Needs /usr/sbin/dhcpd and a C compiler. Nothing serves; no network.
set -eu
here=$(dirname "$(realpath "$0")")/startup
work=$(mktemp -d /tmp/capture-startup.XXXXXX)
trap 'rm -rf "$work"' EXIT
cat > "$work/keep.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int unlink(const char *p) {
    int (*real)(const char *) = (int (*)(const char *))dlsym(RTLD_NEXT, "unlink");
    const char *keep = getenv("KEEP_TO");
    if (keep && strstr(p, ".leases.")) {
        FILE *in = fopen(p, "rb"), *out = fopen(keep, "wb");
        char buf[65536]; size_t n;
        while (in && out && (n = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, n, out);
        if (in) fclose(in);
        if (out) fclose(out);
    }
    return real(p);
}
C
cc -shared -fPIC -o "$work/keep.so" "$work/keep.c" -ldl
for conf in "$here"/*.conf; do
    name=$(basename "$conf" .conf)
    cp "$here/$name.leases" "$work/$name.leases"
    LD_PRELOAD="$work/keep.so" KEEP_TO="$here/$name.isc-rewrite" \
        /usr/sbin/dhcpd -4 -T -cf "$conf" -lf "$work/$name.leases" -pf "$work/pid" 2> "$work/err" || true
    sed -e '1,7d' -e "s|$work/$name.leases\.[0-9]*|TEMP|" -e "s|$work/||g" "$work/err" > "$here/$name.isc-out"
    echo "$name: $(tail -2 "$here/$name.isc-out" | head -1)"
done
