import sys, struct
def msgs(buf, st):
    out=[]; i=0
    if not st[1]:
        if len(buf)<8: return out, buf
        out.append(("intro", buf[:8].hex())); st[1]=True; st[2]=struct.unpack('>I',buf[4:8])[0]; buf=buf[8:]
    hs=st[2]
    while True:
        if len(buf)<hs: break
        authid,authlen,op,h,id_,rid = struct.unpack(">6I", buf[:24]); p=hs
        lists=[]; ok=True
        for _ in range(2):
            vals=[]
            while True:
                if len(buf)<p+2: ok=False; break
                nl=struct.unpack(">H",buf[p:p+2])[0]; p+=2
                if nl==0: break
                name=buf[p:p+nl]; p+=nl
                if len(buf)<p+4: ok=False; break
                vl=struct.unpack(">I",buf[p:p+4])[0]; p+=4
                if len(buf)<p+vl: ok=False; break
                vals.append((name.decode(), buf[p:p+vl].hex())); p+=vl
            if not ok: break
            lists.append(vals)
        if not ok or len(buf)<p+authlen: break
        sig=buf[p:p+authlen].hex(); p+=authlen
        out.append((f"authid={authid} authlen={authlen} op={op} h={h} id={id_:#x} rid={rid:#x} len={p}", lists, sig))
        buf=buf[p:]
    return out, buf
conns={}
for line in open(sys.argv[1]):
    parts=line.split()
    if parts[1]=="close": print(parts[0],"close",parts[2]); continue
    c,d,hx=parts; key=(c,d)
    st=conns.setdefault(key,[b"",False,24])
    st[0]+=bytes.fromhex(hx)
    m,rest=msgs(st[0],st)
    for x in m:
        print(c,d,*x)
    st[0]=rest
for k,st in conns.items():
    if st[0]: print(k, 'leftover', st[0].hex())
