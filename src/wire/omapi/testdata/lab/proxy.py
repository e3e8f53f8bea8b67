# Tiny logging TCP proxy: listen on LPORT, forward to 127.0.0.1:RPORT, log every chunk
# as "conn dir hex" lines (c2s / s2c) in arrival order. Exits after IDLE seconds without a connection.
import socket, select, sys, time
lport, rport, logpath = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
idle = float(sys.argv[4]) if len(sys.argv) > 4 else 60
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", lport)); ls.listen(8)
log = open(logpath, "a", buffering=1)
conn = 0
deadline = time.time() + idle
while time.time() < deadline:
    r, _, _ = select.select([ls], [], [], 0.5)
    if not r: continue
    c, _ = ls.accept(); conn += 1
    s = socket.create_connection(("127.0.0.1", rport), timeout=5)
    peers = {c: (s, "c2s"), s: (c, "s2c")}
    end = time.time() + 30
    while peers and time.time() < end:
        rr, _, _ = select.select(list(peers), [], [], 0.5)
        for x in rr:
            try: d = x.recv(65536)
            except OSError: d = b""
            other, tag = peers[x]
            if not d:
                for y in list(peers): y.close()
                peers = {}
                log.write(f"{conn} close {tag}\n")
                break
            log.write(f"{conn} {tag} {d.hex()}\n")
            other.sendall(d)
    for y in list(peers): y.close()
    deadline = time.time() + idle
