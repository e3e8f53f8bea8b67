# Raw OMAPI client: sends hand-made messages (edge cases) through the logging proxy.
import socket, struct, sys, time, hmac, hashlib, base64
PORT=7912
KEY=base64.b64decode("dGhpcyBpcyBhIHRlc3Qga2V5IQ==")
def nv(pairs):
    b=b""
    for n,v in pairs:
        b+=struct.pack(">H",len(n))+n+struct.pack(">I",len(v))+v
    return b+b"\0\0"
def msg(op,h=0,id_=100,rid=0,mv=(),ov=(),authid=0,key=None,authlen=None,extra=b""):
    al = (16 if key else 0) if authlen is None else authlen
    body=struct.pack(">5I",al,op,h,id_,rid)+extra+nv(mv)+nv(ov)
    sig=hmac.new(key,body,hashlib.md5).digest() if key else b""
    return struct.pack(">I",authid)+body+sig
def u32(x): return struct.pack(">I",x)
def session(parts, intro=struct.pack(">II",100,24), wait=0.6):
    s=socket.create_connection(("127.0.0.1",PORT),timeout=3)
    s.sendall(intro); time.sleep(0.2)
    for p in parts:
        s.sendall(p); time.sleep(0.3)
    time.sleep(wait)
    s.settimeout(0.5)
    try:
        while s.recv(4096): pass
    except OSError: pass
    s.close(); time.sleep(0.3)
FO=[(b"name",b"fo-test")]
T=lambda t:[(b"type",t)]
AUTH=msg(1,id_=1,mv=T(b"authenticator"),ov=[(b"name",b"omkey"),(b"algorithm",b"hmac-md5.SIG-ALG.REG.INT.")])
mode=sys.argv[1]
if mode=="nokey":
    session([], intro=struct.pack(">II",99,24))                       # 1 bad version
    session([], intro=struct.pack(">II",100,16))                      # 2 short header
    session([msg(1,rid=5,mv=T(b"failover-state"),ov=FO)])             # 3 rid set
    session([msg(4,id_=7)])                                            # 4 notify
    session([msg(9,id_=8)])                                            # 5 unknown op
    session([msg(5,id_=9,mv=[(b"result",u32(0))])])                    # 6 status op
    session([msg(2,h=1,id_=10), msg(2,h=999,id_=11)])                  # 7 refresh
    session([msg(3,h=0,id_=12,ov=[(b"local-state",u32(1))]), msg(3,h=1,id_=13)])  # 8 update errors
    session([msg(1,id_=14,mv=[(b"op",u32(1))]+T(b"failover-state"),ov=FO)])        # 9 'op' as message value
    session([msg(1,id_=15,mv=[(b"create",b"\0\1")]+T(b"failover-state"),ov=FO)])   # 10 bad create flag
    session([msg(1,id_=16,mv=[(b"create",u32(1))]+T(b"failover-state"),ov=[(b"name",b"new")])])  # 11 create fo
    session([msg(1,id_=17,mv=T(b"failover-state"),ov=FO,extra=b"XXXX")], intro=struct.pack(">II",100,28))  # 12 big header
    session([msg(1,id_=18,mv=T(b"failover-state")+[(b"type",b"host")],ov=[(b"name",b"fo-test"),(b"name",b"")])])  # 13 duplicate names
    session([msg(1,id_=19,mv=[(b"create",u32(1))], ov=FO)])           # 14 create without type
    session([msg(1,id_=20,mv=T(b"host"))])                             # 15 host lookup with no keys
    session([msg(1,id_=21,mv=T(b"lease"),ov=[(b"ip-address",b"\x0a\x63\x00\x3c"),(b"hardware-address",b"\x00\x11\x22\x33\x44\x55")])])  # 16 key conflict
    session([msg(6,h=1,id_=22)])                                       # 17 delete failover-state
    session([msg(3,h=1,id_=23,ov=[(b"bogus",u32(1))])])                # 18 update unknown attr
    session([msg(1,id_=24,mv=T(b"failover-state"),ov=FO)[:30]])       # 19 truncated then close
else:
    session([AUTH, msg(1,id_=2,authid=1,authlen=0,mv=T(b"failover-state"),ov=FO)])  # 1 authid without signature
    session([AUTH, msg(1,id_=3,authid=7,key=KEY,mv=T(b"failover-state"),ov=FO)])    # 2 unknown authid
    session([AUTH, msg(1,id_=4,authid=1,key=KEY,authlen=8,mv=T(b"failover-state"),ov=FO)[:-8]])  # 3 short signature
    session([AUTH, msg(1,id_=5,authid=1,key=KEY,mv=[(b"update",u32(1))]+T(b"authenticator"),ov=[(b"name",b"omkey"),(b"algorithm",b"hmac-md5.SIG-ALG.REG.INT.")])])  # 4 update authenticator
    session([msg(2,h=1,id_=6)])                                        # 5 unsigned refresh
    session([AUTH, msg(1,id_=7,authid=1,key=KEY,mv=T(b"failover-state"),ov=FO,extra=b"ABCD")], intro=struct.pack(">II",100,28))  # 6 big header signed (extra not covered)
    session([AUTH, msg(3,h=1,id_=8,authid=1,key=KEY,ov=[(b"name",b"x")])])  # 7 update the key object
    session([msg(1,id_=9,mv=T(b"authenticator"),ov=[(b"name",b"OMKEY"),(b"algorithm",b"HMAC-MD5.SIG-ALG.REG.INT.")])])  # 8 case-insensitive key
