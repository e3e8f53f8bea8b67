#!/usr/bin/env python3
"""lb_macs.py -- MAC addresses that a failover pair's load balancing gives to one
server, for benches/bench_serve.sh's failover variant.

Usage: lb_macs.py COUNT primary|secondary [SPLIT [SEED]]

A relay forwards each client's DISCOVER to both servers of a pair and the
load-balancing hash (RFC 3074, over the client identifier or, without one,
the chaddr) picks the one that answers. perfdhcp can relay to one server
only, so the bench runs one perfdhcp per server and gives each a list of
client MACs (perfdhcp -M) whose hash falls in that server's buckets: every
client is then answered by the server it is sent to, with load balancing on
as in production. perfdhcp sends a client identifier, hardware type 1 and
the MAC (checked against ISC's "load balance to peer" log lines: this hash
over those seven bytes predicted all of them; over the bare chaddr, half), so
that is what is hashed. Buckets 0..SPLIT-1 are the primary's (`split 128;`).

The mixing table is RFC 3074's (section 6), a table of facts.
"""
import random
import sys

MIX = bytes([
    251, 175, 119, 215, 81, 14, 79, 191, 103, 49, 181, 143, 186, 157, 0, 232,
    31, 32, 55, 60, 152, 58, 17, 237, 174, 70, 160, 144, 220, 90, 57, 223,
    59, 3, 18, 140, 111, 166, 203, 196, 134, 243, 124, 95, 222, 179, 197, 65,
    180, 48, 36, 15, 107, 46, 233, 130, 165, 30, 123, 161, 209, 23, 97, 16,
    40, 91, 219, 61, 100, 10, 210, 109, 250, 127, 22, 138, 29, 108, 244, 67,
    207, 9, 178, 204, 74, 98, 126, 249, 167, 116, 34, 77, 193, 200, 121, 5,
    20, 113, 71, 35, 128, 13, 182, 94, 25, 226, 227, 199, 75, 27, 41, 245,
    230, 224, 43, 225, 177, 26, 155, 150, 212, 142, 218, 115, 241, 73, 88, 105,
    39, 114, 62, 255, 192, 201, 145, 214, 168, 158, 221, 148, 154, 122, 12, 84,
    82, 163, 44, 139, 228, 236, 205, 242, 217, 11, 187, 146, 159, 64, 86, 239,
    195, 42, 106, 198, 118, 112, 184, 172, 87, 2, 173, 117, 176, 229, 247, 253,
    137, 185, 99, 164, 102, 147, 45, 66, 231, 52, 141, 211, 194, 206, 246, 238,
    56, 110, 78, 248, 63, 240, 189, 93, 92, 51, 53, 183, 19, 171, 72, 50,
    33, 104, 101, 69, 8, 252, 83, 120, 76, 135, 85, 54, 202, 125, 188, 213,
    96, 235, 136, 208, 162, 129, 190, 132, 156, 38, 47, 1, 7, 254, 24, 4,
    216, 131, 89, 21, 28, 133, 37, 153, 149, 80, 170, 68, 6, 169, 234, 151,
])
assert len(MIX) == 256 and len(set(MIX)) == 256


def bucket(key: bytes) -> int:
    """RFC 3074's hash: start from the key's length, mix from the last byte."""
    h = len(key)
    for b in reversed(key):
        h = MIX[h ^ b]
    return h


def main() -> int:
    if len(sys.argv) < 3 or sys.argv[2] not in ("primary", "secondary"):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    count = int(sys.argv[1])
    primary = sys.argv[2] == "primary"
    split = int(sys.argv[3]) if len(sys.argv) > 3 else 128
    rng = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 1)
    seen = set()
    out = []
    # Bounded: each draw lands in the wanted half with probability split/256.
    for _ in range(count * 64):
        if len(out) == count:
            break
        # locally administered, unicast
        mac = bytes([0x02, 0x42]) + rng.getrandbits(32).to_bytes(4, "big")
        if mac in seen or (bucket(b"\x01" + mac) < split) != primary:
            continue
        seen.add(mac)
        out.append(":".join(f"{b:02x}" for b in mac))
    if len(out) < count:
        print(f"lb_macs: found only {len(out)} of {count}", file=sys.stderr)
        return 1
    sys.stdout.write("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
