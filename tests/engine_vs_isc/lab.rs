//! A two-namespace lab: a server namespace running ISC dhcpd on one end
//! of a veth pair, a client namespace on the other end where the test
//! sends crafted frames and reads every frame that comes back.
//!
//! Nothing leaves the namespaces. The only process started is dhcpd,
//! killed by its own PID when the lab is dropped; every wait is bounded.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::net::Ipv4Addr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dhcpd::wire::frame::FrameRepr;

/// Runs `ip ARGS`, panicking with its output on failure.
fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().expect("ip");
    assert!(out.status.success(), "ip {:?}: {}", args, String::from_utf8_lossy(&out.stderr));
}

/// A received frame: addressing and DHCP payload.
#[derive(Clone, Debug)]
pub struct Frame {
    pub repr: FrameRepr,
    pub payload: Vec<u8>,
}

pub struct Lab {
    pub tag: String,
    pub server_if: String,
    pub client_if: String,
    pub server_mac: [u8; 6],
    dir: PathBuf,
    sock: OwnedFd,
    child: Option<Child>,
    log: Arc<Mutex<Vec<String>>>,
    log_seen: usize,
}

fn mac_of(ns: &str, ifname: &str) -> [u8; 6] {
    let out = Command::new("ip").args(["-n", ns, "-o", "link", "show", ifname]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let mac = text.split("link/ether ").nth(1).unwrap().split(' ').next().unwrap().to_string();
    let mut m = [0u8; 6];
    for (i, b) in mac.split(':').enumerate() {
        m[i] = u8::from_str_radix(b, 16).unwrap();
    }
    m
}

/// An AF_PACKET socket bound to `ifname` inside namespace `ns`: a helper
/// thread enters the namespace to open it; the socket stays there.
fn packet_socket(ns: &str, ifname: &str) -> OwnedFd {
    let path = format!("/var/run/netns/{ns}");
    let ifname = std::ffi::CString::new(ifname).unwrap();
    std::thread::scope(|s| {
        s.spawn(|| {
            let f = File::open(&path).unwrap();
            // SAFETY: plain system calls on owned descriptors; this thread
            // alone changes namespace and ends right after.
            unsafe {
                assert_eq!(libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET), 0);
                let fd = libc::socket(libc::AF_PACKET, libc::SOCK_RAW, i32::from((libc::ETH_P_ALL as u16).to_be()));
                assert!(fd >= 0);
                let index = libc::if_nametoindex(ifname.as_ptr());
                assert!(index > 0);
                let mut sll: libc::sockaddr_ll = std::mem::zeroed();
                sll.sll_family = libc::AF_PACKET as u16;
                sll.sll_protocol = (libc::ETH_P_ALL as u16).to_be();
                sll.sll_ifindex = index as i32;
                let r = libc::bind(fd, &sll as *const _ as *const libc::sockaddr, std::mem::size_of::<libc::sockaddr_ll>() as u32);
                assert_eq!(r, 0);
                let tv = libc::timeval { tv_sec: 0, tv_usec: 100_000 };
                libc::setsockopt(fd, libc::SOL_SOCKET, libc::SO_RCVTIMEO, &tv as *const _ as *const libc::c_void, std::mem::size_of::<libc::timeval>() as u32);
                OwnedFd::from_raw_fd(fd)
            }
        })
        .join()
        .unwrap()
    })
}

impl Lab {
    /// Whether the lab can run here: root, `ip` and ISC's dhcpd.
    pub fn available() -> bool {
        // SAFETY: getuid has no preconditions.
        let root = unsafe { libc::getuid() } == 0;
        root && std::path::Path::new("/usr/sbin/dhcpd").exists() && Command::new("ip").arg("-V").output().is_ok()
    }

    /// Namespaces `es<tag>` / `ec<tag>` joined by a veth pair; the server
    /// end has 10.0.0.1/24 and a route to 10.1.0.0/24 (a relay's network);
    /// the client end holds the relay address 10.1.0.1/24.
    pub fn new(tag: &str) -> Lab {
        let (sn, cn) = (format!("es{tag}"), format!("ec{tag}"));
        let (si, ci) = (format!("vs{tag}"), format!("vc{tag}"));
        let _ = Command::new("ip").args(["netns", "del", &sn]).output();
        let _ = Command::new("ip").args(["netns", "del", &cn]).output();
        ip(&["netns", "add", &sn]);
        ip(&["netns", "add", &cn]);
        ip(&["link", "add", &si, "type", "veth", "peer", "name", &ci]);
        ip(&["link", "set", &si, "netns", &sn]);
        ip(&["link", "set", &ci, "netns", &cn]);
        ip(&["-n", &sn, "addr", "add", "10.0.0.1/24", "dev", &si]);
        ip(&["-n", &sn, "link", "set", &si, "up"]);
        ip(&["-n", &sn, "link", "set", "lo", "up"]);
        ip(&["-n", &sn, "route", "add", "10.1.0.0/24", "dev", &si]);
        ip(&["-n", &cn, "addr", "add", "10.1.0.1/24", "dev", &ci]);
        ip(&["-n", &cn, "link", "set", &ci, "up"]);
        ip(&["-n", &cn, "link", "set", "lo", "up"]);
        let dir = std::env::temp_dir().join(format!("engine-vs-isc-{tag}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let sock = packet_socket(&cn, &ci);
        let server_mac = mac_of(&sn, &si);
        Lab { tag: tag.into(), server_if: si, client_if: ci, server_mac, dir, sock, child: None, log: Default::default(), log_seen: 0 }
    }

    fn server_ns(&self) -> String {
        format!("es{}", self.tag)
    }

    /// Gives the client end an address (a bound client answers ARP).
    pub fn add_client_address(&self, a: Ipv4Addr) {
        ip(&["-n", &format!("ec{}", self.tag), "addr", "add", &format!("{a}/32"), "dev", &self.client_if]);
    }

    /// Starts ISC dhcpd on `conf` with `leases` as its lease file and
    /// waits (at most 10 s) until it serves.
    pub fn start_isc_with_leases(&mut self, conf: &str, leases: &str) {
        let cf = self.dir.join("dhcpd.conf");
        let lf = self.dir.join("dhcpd.leases");
        std::fs::write(&cf, conf).unwrap();
        std::fs::write(&lf, leases).unwrap();
        let mut child = Command::new("ip")
            .args(["netns", "exec", &self.server_ns(), "/usr/sbin/dhcpd", "-4", "-f", "-d", "-cf"])
            .arg(&cf)
            .arg("-lf")
            .arg(&lf)
            .arg("-pf")
            .arg(self.dir.join("dhcpd.pid"))
            .arg(&self.server_if)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start dhcpd");
        let stderr = child.stderr.take().unwrap();
        let log = Arc::clone(&self.log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                log.lock().unwrap().push(line);
            }
        });
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.log.lock().unwrap().iter().any(|l| l == "Server starting service.") {
                self.log_seen = self.log.lock().unwrap().len();
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("dhcpd did not start: {:?}", self.log.lock().unwrap());
    }

    /// ISC's log lines since the last call (waits briefly for stragglers).
    pub fn new_log(&mut self) -> Vec<String> {
        std::thread::sleep(Duration::from_millis(150));
        let log = self.log.lock().unwrap();
        let out = log[self.log_seen..].to_vec();
        self.log_seen = log.len();
        out
    }

    /// Sends a frame from the client end.
    pub fn send(&self, frame: &[u8]) {
        // SAFETY: sending a byte buffer on an owned, bound socket.
        let n = unsafe { libc::send(self.sock.as_raw_fd(), frame.as_ptr() as *const libc::c_void, frame.len(), 0) };
        assert_eq!(n as usize, frame.len());
    }

    /// Frames to UDP port 67 or 68 arriving at the client end within
    /// `wait`, stopping at the first one when `first` is set.
    pub fn receive(&self, wait: Duration, first: bool) -> Vec<Frame> {
        let deadline = Instant::now() + wait;
        let mut got = Vec::new();
        let mut buf = vec![0u8; 2048];
        while Instant::now() < deadline {
            let mut from: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
            let mut len = std::mem::size_of::<libc::sockaddr_ll>() as u32;
            // SAFETY: receiving into an owned buffer of the given size.
            let n = unsafe {
                libc::recvfrom(
                    self.sock.as_raw_fd(),
                    buf.as_mut_ptr() as *mut libc::c_void,
                    buf.len(),
                    0,
                    &mut from as *mut _ as *mut libc::sockaddr,
                    &mut len,
                )
            };
            if n <= 0 || from.sll_pkttype == libc::PACKET_OUTGOING {
                continue;
            }
            if let Ok((repr, payload)) = FrameRepr::parse(&buf[..n as usize], false) {
                if repr.dst_port == 68 || repr.dst_port == 67 {
                    got.push(Frame { repr, payload: payload.to_vec() });
                    if first {
                        break;
                    }
                }
            }
        }
        got
    }

    /// The lease file as ISC wrote it so far.
    pub fn lease_file(&self) -> Vec<u8> {
        std::fs::read(self.dir.join("dhcpd.leases")).unwrap_or_default()
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = Command::new("ip").args(["netns", "del", &self.server_ns()]).output();
        let _ = Command::new("ip").args(["netns", "del", &format!("ec{}", self.tag)]).output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
