//! What every serving case needs: the lab's links, our server (and ISC's)
//! started and stopped by pid, frames sent from inside a namespace, and the
//! lease file read back.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs::File;
use std::net::Ipv4Addr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::PathBuf;
use std::time::Duration;

use dhcpd::lease::file::{read_lease_file, ReadOptions};
use dhcpd::lease::Lease;
use dhcpd::wire::dhcp::{MessageType, OpCode, Packet, RawOption, Repr, Vendor};
use dhcpd::wire::frame::{FrameRepr, PAYLOAD_OFFSET};

use super::netlab::{self, Lab, ProcId};

pub const BIN: &str = env!("CARGO_BIN_EXE_dhcpd");
pub const ISC: &str = "/usr/sbin/dhcpd";
pub const STARTED: &str = "Server starting service.";
/// Upper bound for one step of a case.
pub const STEP: Duration = Duration::from_secs(30);

pub type Outcome = Result<(), String>;

pub fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

pub fn io<T>(r: std::io::Result<T>) -> Result<T, String> {
    r.map_err(|e| e.to_string())
}

pub fn ensure(cond: bool, msg: impl FnOnce() -> String) -> Outcome {
    if cond {
        Ok(())
    } else {
        Err(msg())
    }
}

pub fn hw(mac: &[u8]) -> String {
    mac.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
}

/// One segment: the server namespace `srv` (`s0`, 10.77.0.1/24), a switch
/// namespace with bridge `br0`, and a client namespace `cli` (`c0`).
pub struct Net {
    pub lab: Lab,
    pub srv: String,
    pub sw: String,
    pub cli: String,
}

impl Net {
    pub fn new(name: &str) -> Result<Net, String> {
        let mut lab = io(Lab::new(name))?;
        let srv = io(lab.netns("srv"))?;
        let sw = io(lab.netns("sw"))?;
        let cli = io(lab.netns("cli"))?;
        io(lab.bridge(&sw, "br0"))?;
        io(lab.plug((&srv, "s0"), (&sw, "br0", "ps")))?;
        io(lab.plug((&cli, "c0"), (&sw, "br0", "pc0")))?;
        io(lab.addr(&srv, "s0", "10.77.0.1/24"))?;
        Ok(Net { lab, srv, sw, cli })
    }

    /// Another client port `dev` in the client namespace.
    pub fn client_port(&mut self, dev: &str) -> Outcome {
        let port = format!("p{dev}");
        let (cli, sw) = (self.cli.clone(), self.sw.clone());
        io(self.lab.plug((&cli, dev), (&sw, "br0", &port)))
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.lab.dir().join(name)
    }

    pub fn write(&self, name: &str, text: &str) -> Result<String, String> {
        let p = self.file(name);
        io(std::fs::write(&p, text))?;
        Ok(p.to_string_lossy().into_owned())
    }

    pub fn path(&self, name: &str) -> String {
        self.file(name).to_string_lossy().into_owned()
    }
}

/// Starts `bin` (ours or ISC's) in the foreground with `-d` in `ns` on the
/// given interfaces and waits until it serves.
pub fn start_server(net: &mut Net, bin: &str, ns: &str, conf: &str, leases: &str, ifaces: &[&str]) -> Result<ProcId, String> {
    let pid = net.path(if bin == BIN { "ours.pid" } else { "isc.pid" });
    let mut argv = vec![os(bin), os("-4"), os("-d"), os("-cf"), os(conf), os("-lf"), os(leases), os("-pf"), os(&pid)];
    argv.extend(ifaces.iter().map(|s| os(s)));
    let id = io(net.lab.spawn(ns, &argv, &[]))?;
    let p = net.lab.proc(id);
    let started = p.stderr.wait_line(STEP, |l| l == STARTED || l == "exiting.");
    if started.as_deref() != Some(STARTED) {
        return Err(format!("{bin} did not start; stderr:\n{}", p.stderr.all().join("\n")));
    }
    Ok(id)
}

/// Our server on `s0` of the usual segment.
pub fn start_ours(net: &mut Net, conf: &str, leases: &str) -> Result<ProcId, String> {
    let srv = net.srv.clone();
    start_server(net, BIN, &srv, conf, leases, &["s0"])
}

/// Waits for a line of the server's log.
pub fn wait_log(net: &Net, id: ProcId, what: &str, pred: impl Fn(&str) -> bool) -> Result<String, String> {
    let p = net.lab.proc(id);
    p.stderr.wait_line(STEP, pred).ok_or_else(|| format!("no {what} in the server's log:\n{}", p.stderr.all().join("\n")))
}

/// Stops our server with SIGTERM and checks the clean exit.
pub fn stop_clean(net: &mut Net, id: ProcId) -> Outcome {
    let status = net.lab.stop(id, libc::SIGTERM, STEP).ok_or("the server did not stop on SIGTERM")?;
    ensure(status.code() == Some(0), || format!("exit status {status} after SIGTERM"))
}

/// The lease file's final state: the last record of each address.
pub fn leases_on_disk(path: &str) -> Result<BTreeMap<Ipv4Addr, Lease>, String> {
    let bytes = io(std::fs::read(path))?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    let log = read_lease_file(path, &bytes, ReadOptions::at(now)).map_err(|e| format!("{path}: {e}"))?;
    Ok(log.state().leases)
}

/// A BOOTP/DHCP request from `mac` as a client without an address sends it.
pub fn request(mac: [u8; 6], xid: u32, kind: Option<MessageType>, flags: u16, opts: Vec<(u8, Vec<u8>)>) -> Vec<u8> {
    let mut chaddr = [0u8; 16];
    chaddr[..6].copy_from_slice(&mac);
    let mut list = Vec::new();
    if let Some(k) = kind {
        list.push(RawOption::owned(53, vec![u8::from(k)]));
    }
    list.extend(opts.into_iter().map(|(c, v)| RawOption::owned(c, v)));
    let repr = Repr {
        op: OpCode::Request,
        htype: 1,
        hlen: 6,
        hops: 0,
        xid,
        secs: 0,
        flags,
        ciaddr: Ipv4Addr::UNSPECIFIED,
        yiaddr: Ipv4Addr::UNSPECIFIED,
        siaddr: Ipv4Addr::UNSPECIFIED,
        giaddr: Ipv4Addr::UNSPECIFIED,
        chaddr,
        sname: Default::default(),
        file: Default::default(),
        vendor: if kind.is_some() { Vendor::Options(list) } else { Vendor::Options(Vec::new()) },
    };
    let mut buf = vec![0u8; repr.buffer_len().max(300)];
    repr.emit(&mut Packet::new_unchecked(&mut buf[..])).expect("request fits");
    buf
}

/// `payload` in an Ethernet/IPv4/UDP broadcast frame from `mac`, 0.0.0.0:68
/// to 255.255.255.255:67.
pub fn broadcast_frame(mac: [u8; 6], payload: &[u8]) -> Vec<u8> {
    let repr = FrameRepr::isc_reply(mac, [0xff; 6], (Ipv4Addr::UNSPECIFIED, 68), (Ipv4Addr::BROADCAST, 67), payload.len());
    let mut frame = vec![0u8; repr.buffer_len()];
    frame[PAYLOAD_OFFSET..].copy_from_slice(payload);
    repr.emit(&mut frame).expect("frame fits");
    frame
}

/// Sends raw frames on `dev` from inside namespace `ns` (a thread enters
/// it), `gap` apart. Returns how many were sent.
pub fn send_frames(ns: &str, dev: &str, frames: Vec<Vec<u8>>, gap: Duration) -> Result<usize, String> {
    let ns_file = io(File::open(format!("/run/netns/{ns}")))?;
    let dev = std::ffi::CString::new(dev).map_err(|e| e.to_string())?;
    let t = std::thread::spawn(move || -> Result<usize, String> {
        // SAFETY: setns moves only this thread, which ends with the sending.
        if unsafe { libc::setns(ns_file.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
            return Err(format!("setns: {}", std::io::Error::last_os_error()));
        }
        // SAFETY: plain socket creation; the fd is owned below.
        let fd = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW | libc::SOCK_CLOEXEC, 0) };
        if fd < 0 {
            return Err(format!("socket: {}", std::io::Error::last_os_error()));
        }
        // SAFETY: fd is fresh and ours.
        let sock = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: dev is a NUL-terminated name.
        let ifindex = unsafe { libc::if_nametoindex(dev.as_ptr()) };
        if ifindex == 0 {
            return Err("no such interface".into());
        }
        let mut sent = 0;
        for f in frames {
            // SAFETY: zeroed sockaddr_ll is valid; the fields set below are all it needs.
            let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
            sll.sll_family = libc::AF_PACKET as u16;
            sll.sll_ifindex = ifindex as i32;
            sll.sll_halen = 6;
            if f.len() >= 6 {
                sll.sll_addr[..6].copy_from_slice(&f[..6]);
            }
            // SAFETY: the buffer and address are live and sized as passed.
            let n = unsafe {
                libc::sendto(
                    sock.as_raw_fd(),
                    f.as_ptr().cast(),
                    f.len(),
                    0,
                    (&sll as *const libc::sockaddr_ll).cast(),
                    std::mem::size_of::<libc::sockaddr_ll>() as u32,
                )
            };
            if n >= 0 {
                sent += 1;
            }
            if !gap.is_zero() {
                std::thread::sleep(gap);
            }
        }
        Ok(sent)
    });
    t.join().map_err(|_| "sender thread panicked".to_string())?
}

/// The DHCP message of a captured frame, if it is one.
pub fn dhcp_of(f: &netlab::Frame) -> Option<(FrameRepr, Repr<'static>)> {
    let (repr, payload) = FrameRepr::parse(&f.bytes, false).ok()?;
    let msg = Repr::parse(&Packet::new_checked(payload).ok()?).ok()?.into_owned();
    Some((repr, msg))
}

/// Resident memory of `pid` in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
