//! A network-namespace lab for integration tests: namespaces, a bridge, veth pairs,
//! commands and background processes inside them, packet capture, and a teardown that
//! runs even when the test panics.
//!
//! Everything the lab creates lives inside namespaces it creates: veth pairs are made in one
//! lab namespace with their peer put straight into another, so the host's own network
//! namespace never gains or loses an interface and no traffic can reach the host's links.
//! Namespace names carry the test process's pid and a counter, so tests running in parallel,
//! or a leftover from a killed run, never collide.
//!
//! Every wait has a deadline. Processes are started with their pid recorded and stopped
//! by that pid only (SIGTERM, then SIGKILL after a grace period), never by name. The test
//! process becomes a child subreaper, so a daemon that detaches from the process the lab
//! started is re-parented to the test and can still be reaped.
//!
//! Needs root and `ip` (iproute2); [`prerequisites`] says what is missing so the caller can
//! skip loudly instead of passing silently.
#![allow(dead_code)]

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a process gets to exit after SIGTERM before it is killed.
pub const GRACE: Duration = Duration::from_secs(3);

static SEQUENCE: AtomicUsize = AtomicUsize::new(0);

/// Finds `tool` on `PATH` (and in the sbin directories a non-login root shell may lack).
pub fn which(tool: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let extra = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from);
    std::env::split_paths(&path)
        .chain(extra)
        .map(|d| d.join(tool))
        .find(|p| p.is_file())
}

/// Why the lab cannot run here, or `None` when it can: root, `ip`, and the given tools.
pub fn prerequisites(tools: &[&str]) -> Option<String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Some("not running as root (network namespaces need it)".into());
    }
    for t in std::iter::once(&"ip").chain(tools) {
        if which(t).is_none() {
            return Some(format!("`{t}` is not installed"));
        }
    }
    None
}

/// Polls `f` every 20 ms until it returns `Some` or `timeout` passes.
pub fn wait_for<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let end = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() >= end {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Lines a process wrote, collected by a reader thread.
#[derive(Clone, Default)]
pub struct Lines(Arc<Mutex<Vec<String>>>);

impl Lines {
    /// Everything so far.
    pub fn all(&self) -> Vec<String> {
        self.0.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Waits until some line satisfies `pred`; returns it.
    pub fn wait_line(&self, timeout: Duration, pred: impl Fn(&str) -> bool) -> Option<String> {
        wait_for(timeout, || self.all().into_iter().find(|l| pred(l)))
    }

    fn collect(self, stream: impl Read + Send + 'static) -> JoinHandle<()> {
        std::thread::spawn(move || {
            for line in BufReader::new(stream).split(b'\n').map_while(Result::ok) {
                if let Ok(mut l) = self.0.lock() {
                    l.push(String::from_utf8_lossy(&line).into_owned());
                }
            }
        })
    }
}

/// A process the lab started.
pub struct Proc {
    /// Its pid (the command itself: `ip netns exec` execs into it).
    pub pid: u32,
    /// What it wrote on stdout.
    pub stdout: Lines,
    /// What it wrote on stderr.
    pub stderr: Lines,
    child: Option<Child>,
    readers: Vec<JoinHandle<()>>,
}

/// Handle of a process in the lab.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ProcId(usize);

/// The lab: its namespaces, processes and scratch directory, all removed on drop.
pub struct Lab {
    prefix: String,
    namespaces: Vec<String>,
    procs: HashMap<ProcId, Proc>,
    /// Pids of daemons that detached from a lab process (reparented to us).
    adopted: Vec<u32>,
    next_proc: usize,
    dir: PathBuf,
}

fn check(out: Output, what: &str) -> io::Result<Output> {
    if out.status.success() {
        Ok(out)
    } else {
        Err(io::Error::other(format!(
            "{what}: {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

/// Runs a command with a deadline; on timeout it is killed and an error returned.
pub fn run_bounded(cmd: &mut Command, timeout: Duration) -> io::Result<Output> {
    run_bounded_input(cmd, None, timeout)
}

/// [`run_bounded`] with `input` written to the command's stdin (then closed), for tools
/// driven by a script on stdin (`omshell`).
pub fn run_bounded_input(cmd: &mut Command, input: Option<&[u8]>, timeout: Duration) -> io::Result<Output> {
    let stdin = if input.is_some() { Stdio::piped() } else { Stdio::null() };
    let mut child = cmd
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let writer = match (input, child.stdin.take()) {
        (Some(bytes), Some(mut pipe)) => {
            let bytes = bytes.to_vec();
            Some(std::thread::spawn(move || {
                use std::io::Write;
                let _ = pipe.write_all(&bytes);
            }))
        }
        _ => None,
    };
    let out = Lines::default();
    let err = Lines::default();
    let r1 = out.clone().collect(child.stdout.take().expect("piped"));
    let r2 = err.clone().collect(child.stderr.take().expect("piped"));
    let status = wait_child(&mut child, timeout);
    let status = match status {
        Some(s) => s,
        None => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("{cmd:?} still running after {timeout:?}"),
            ));
        }
    };
    let _ = r1.join();
    let _ = r2.join();
    if let Some(w) = writer {
        let _ = w.join();
    }
    let join = |l: Lines| {
        l.all()
            .iter()
            .map(|s| format!("{s}\n"))
            .collect::<String>()
            .into_bytes()
    };
    Ok(Output {
        status,
        stdout: join(out),
        stderr: join(err),
    })
}

fn wait_child(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    wait_for(timeout, || child.try_wait().ok().flatten())
}

/// Waits for a pid that is not a `Child` of ours (a reparented daemon) to exit and reaps it.
fn reap_pid(pid: u32, timeout: Duration) -> bool {
    wait_for(timeout, || {
        let mut status = 0;
        // SAFETY: waitpid on a specific pid with WNOHANG only inspects that process.
        let r = unsafe { libc::waitpid(pid as i32, &mut status, libc::WNOHANG) };
        // Reaped, or not our child any more (then it is gone when kill(0) fails).
        if r == pid as i32 || (r < 0 && !alive(pid)) {
            Some(())
        } else {
            None
        }
    })
    .is_some()
}

/// Whether `pid` exists (and is not a zombie waiting for us).
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat.rsplit(')').next().unwrap_or("").trim_start().starts_with('Z'),
        Err(_) => false,
    }
}

fn signal(pid: u32, sig: libc::c_int) {
    // SAFETY: kill with a specific positive pid only signals that process.
    if pid > 1 {
        unsafe { libc::kill(pid as i32, sig) };
    }
}

impl Lab {
    /// A new, empty lab for the test named `test` (used in its scratch directory's name).
    pub fn new(test: &str) -> io::Result<Lab> {
        let n = SEQUENCE.fetch_add(1, Ordering::SeqCst);
        let prefix = format!("nl{}x{}", std::process::id(), n);
        let dir = std::env::temp_dir().join(format!("netlab-{prefix}-{test}"));
        std::fs::create_dir_all(&dir)?;
        // SAFETY: marks this process as a subreaper; affects only who adopts orphans.
        unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
        Ok(Lab {
            prefix,
            namespaces: Vec::new(),
            procs: HashMap::new(),
            adopted: Vec::new(),
            next_proc: 0,
            dir,
        })
    }

    /// The lab's scratch directory (removed on drop).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Creates namespace `name` (the real name is prefixed; returned) with loopback up.
    pub fn netns(&mut self, name: &str) -> io::Result<String> {
        let full = format!("{}{}", self.prefix, name);
        check(
            run_bounded(
                Command::new("ip").args(["netns", "add", &full]),
                Duration::from_secs(10),
            )?,
            "ip netns add",
        )?;
        self.namespaces.push(full.clone());
        self.ip(&full, &["link", "set", "lo", "up"])?;
        Ok(full)
    }

    /// Runs `ip -n NS ARGS...`.
    pub fn ip(&self, ns: &str, args: &[&str]) -> io::Result<Output> {
        let mut cmd = Command::new("ip");
        cmd.arg("-n").arg(ns).args(args);
        check(
            run_bounded(&mut cmd, Duration::from_secs(10))?,
            &format!("ip -n {ns} {}", args.join(" ")),
        )
    }

    /// A bridge `br` in `ns`, up, without STP delays.
    pub fn bridge(&self, ns: &str, br: &str) -> io::Result<()> {
        self.ip(
            ns,
            &[
                "link",
                "add",
                br,
                "type",
                "bridge",
                "stp_state",
                "0",
                "forward_delay",
                "0",
            ],
        )?;
        self.ip(ns, &["link", "set", br, "up"]).map(|_| ())
    }

    /// A veth pair: `a` in namespace `ns_a`, `b` in `ns_b`, both up.
    pub fn veth(&self, (ns_a, a): (&str, &str), (ns_b, b): (&str, &str)) -> io::Result<()> {
        self.ip(
            ns_a,
            &["link", "add", a, "type", "veth", "peer", "name", b, "netns", ns_b],
        )?;
        self.ip(ns_a, &["link", "set", a, "up"])?;
        self.ip(ns_b, &["link", "set", b, "up"]).map(|_| ())
    }

    /// A veth from `dev` in `ns` to a new port `port` of bridge `br` in `br_ns`.
    pub fn plug(&self, (ns, dev): (&str, &str), (br_ns, br, port): (&str, &str, &str)) -> io::Result<()> {
        self.veth((ns, dev), (br_ns, port))?;
        self.ip(br_ns, &["link", "set", port, "master", br]).map(|_| ())
    }

    /// Adds an address (`10.0.0.1/24`) to `dev` in `ns`.
    pub fn addr(&self, ns: &str, dev: &str, cidr: &str) -> io::Result<()> {
        self.ip(ns, &["addr", "add", cidr, "dev", dev]).map(|_| ())
    }

    /// The hardware address of `dev` in `ns`.
    pub fn mac(&self, ns: &str, dev: &str) -> io::Result<[u8; 6]> {
        let out = self.ip(ns, &["-o", "link", "show", "dev", dev])?;
        let text = String::from_utf8_lossy(&out.stdout);
        let word = text.split_whitespace().skip_while(|w| *w != "link/ether").nth(1);
        let bytes: Vec<u8> = word
            .unwrap_or("")
            .split(':')
            .filter_map(|h| u8::from_str_radix(h, 16).ok())
            .collect();
        bytes
            .try_into()
            .map_err(|_| io::Error::other(format!("no MAC for {dev} in {ns}: {text}")))
    }

    /// Runs a command inside `ns` to completion, with a deadline.
    pub fn exec(&self, ns: &str, argv: &[&OsStr], timeout: Duration) -> io::Result<Output> {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", ns]).args(argv);
        run_bounded(&mut cmd, timeout)
    }

    /// Runs a command inside `ns` with `input` on its stdin, to completion, with a deadline.
    pub fn exec_input(&self, ns: &str, argv: &[&OsStr], input: &[u8], timeout: Duration) -> io::Result<Output> {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", ns]).args(argv);
        run_bounded_input(&mut cmd, Some(input), timeout)
    }

    /// Starts a command inside `ns` in the background with `env` added; stdout and stderr are
    /// collected line by line.
    pub fn spawn(&mut self, ns: &str, argv: &[&OsStr], env: &[(&str, &str)]) -> io::Result<ProcId> {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", ns]).args(argv).envs(env.iter().copied());
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let stdout = Lines::default();
        let stderr = Lines::default();
        let readers = vec![
            stdout.clone().collect(child.stdout.take().expect("piped")),
            stderr.clone().collect(child.stderr.take().expect("piped")),
        ];
        let id = ProcId(self.next_proc);
        self.next_proc += 1;
        self.procs.insert(
            id,
            Proc {
                pid: child.id(),
                stdout,
                stderr,
                child: Some(child),
                readers,
            },
        );
        Ok(id)
    }

    /// A process started with [`spawn`](Self::spawn).
    pub fn proc(&self, id: ProcId) -> &Proc {
        &self.procs[&id]
    }

    /// Waits (bounded) for a process to exit on its own; its status, or `None` on timeout.
    pub fn wait(&mut self, id: ProcId, timeout: Duration) -> Option<ExitStatus> {
        let p = self.procs.get_mut(&id)?;
        let status = wait_child(p.child.as_mut()?, timeout)?;
        p.child = None;
        for r in p.readers.drain(..) {
            let _ = r.join();
        }
        Some(status)
    }

    /// Sends `sig` to the process and waits (bounded) for it to exit; SIGKILL after the
    /// timeout. Returns the status if it exited on its own terms within `timeout`.
    pub fn stop(&mut self, id: ProcId, sig: libc::c_int, timeout: Duration) -> Option<ExitStatus> {
        let pid = self.procs.get(&id)?.pid;
        self.procs.get(&id)?.child.as_ref()?;
        signal(pid, sig);
        match self.wait(id, timeout) {
            Some(s) => Some(s),
            None => {
                signal(pid, libc::SIGKILL);
                let _ = self.wait(id, GRACE);
                None
            }
        }
    }

    /// Takes charge of a daemon that detached from a lab process: it will be stopped on drop.
    pub fn adopt(&mut self, pid: u32) {
        self.adopted.push(pid);
    }

    /// Stops an adopted daemon with `sig`; true if it exited within `timeout` (else it is
    /// killed).
    pub fn stop_adopted(&mut self, pid: u32, sig: libc::c_int, timeout: Duration) -> bool {
        if !self.adopted.contains(&pid) {
            return false;
        }
        signal(pid, sig);
        let ok = reap_pid(pid, timeout);
        if !ok {
            signal(pid, libc::SIGKILL);
            reap_pid(pid, GRACE);
        }
        self.adopted.retain(|&p| p != pid);
        ok
    }

    /// Starts capturing frames on `dev` in `ns`.
    pub fn capture(&self, ns: &str, dev: &str) -> io::Result<Capture> {
        Capture::start(ns, dev)
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let ids: Vec<ProcId> = self.procs.keys().copied().collect();
        for id in ids {
            let _ = self.stop(id, libc::SIGTERM, GRACE);
        }
        for pid in std::mem::take(&mut self.adopted) {
            signal(pid, libc::SIGTERM);
            if !reap_pid(pid, GRACE) {
                signal(pid, libc::SIGKILL);
                reap_pid(pid, GRACE);
            }
        }
        // Deleting a namespace destroys the veths and bridges in it.
        for ns in self.namespaces.drain(..).rev() {
            if let Err(e) = run_bounded(Command::new("ip").args(["netns", "del", &ns]), Duration::from_secs(10)) {
                eprintln!("netlab: could not delete namespace {ns}: {e}");
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One captured frame.
#[derive(Clone, Debug)]
pub struct Frame {
    /// `sll_pkttype`: 4 (`PACKET_OUTGOING`) for frames the namespace sent.
    pub pkttype: u8,
    /// The Ethernet frame.
    pub bytes: Vec<u8>,
    /// When the capture read it.
    pub at: Instant,
}

/// Frames seen on one interface of a namespace, read by a thread that entered it.
pub struct Capture {
    frames: Arc<Mutex<Vec<Frame>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Capture {
    fn start(ns: &str, dev: &str) -> io::Result<Capture> {
        let ns_file = File::open(format!("/run/netns/{ns}"))?;
        let dev = std::ffi::CString::new(dev).map_err(io::Error::other)?;
        let frames = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, rx) = std::sync::mpsc::channel::<io::Result<()>>();
        let (f2, s2) = (frames.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            // SAFETY: setns moves only this thread into the namespace; the thread ends with the
            // capture, so no other code ever runs in it there.
            let fd = unsafe {
                if libc::setns(ns_file.as_raw_fd(), libc::CLONE_NEWNET) != 0 {
                    let _ = tx.send(Err(io::Error::last_os_error()));
                    return;
                }
                libc::socket(
                    libc::AF_PACKET,
                    libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                    (libc::ETH_P_ALL as u16).to_be() as i32,
                )
            };
            if fd < 0 {
                let _ = tx.send(Err(io::Error::last_os_error()));
                return;
            }
            // SAFETY: fd is ours; closed when this thread ends.
            let sock = unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) };
            let ifindex = unsafe { libc::if_nametoindex(dev.as_ptr()) };
            let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
            sll.sll_family = libc::AF_PACKET as u16;
            sll.sll_protocol = (libc::ETH_P_ALL as u16).to_be();
            sll.sll_ifindex = ifindex as i32;
            let tv = libc::timeval {
                tv_sec: 0,
                tv_usec: 100_000,
            };
            // SAFETY: plain setsockopt/bind with correctly sized arguments.
            let ok = ifindex != 0
                && unsafe {
                    libc::setsockopt(
                        fd,
                        libc::SOL_SOCKET,
                        libc::SO_RCVTIMEO,
                        (&tv as *const libc::timeval).cast(),
                        std::mem::size_of::<libc::timeval>() as u32,
                    ) == 0
                        && libc::bind(
                            fd,
                            (&sll as *const libc::sockaddr_ll).cast(),
                            std::mem::size_of::<libc::sockaddr_ll>() as u32,
                        ) == 0
                };
            if !ok {
                let _ = tx.send(Err(io::Error::last_os_error()));
                return;
            }
            let _ = tx.send(Ok(()));
            let mut buf = vec![0u8; 65536];
            while !s2.load(Ordering::Relaxed) {
                let mut from: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
                let mut len = std::mem::size_of::<libc::sockaddr_ll>() as u32;
                // SAFETY: buffers are live and sized as passed.
                let n = unsafe {
                    libc::recvfrom(
                        sock.as_raw_fd(),
                        buf.as_mut_ptr().cast(),
                        buf.len(),
                        0,
                        (&mut from as *mut libc::sockaddr_ll).cast(),
                        &mut len,
                    )
                };
                if n > 0 {
                    if let Ok(mut f) = f2.lock() {
                        f.push(Frame {
                            pkttype: from.sll_pkttype,
                            bytes: buf[..n as usize].to_vec(),
                            at: Instant::now(),
                        });
                    }
                }
            }
        });
        match rx.recv_timeout(Duration::from_secs(10)) {
            Ok(Ok(())) => Ok(Capture {
                frames,
                stop,
                thread: Some(thread),
            }),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "capture thread did not start")),
        }
    }

    /// The frames so far.
    pub fn frames(&self) -> Vec<Frame> {
        self.frames.lock().map(|f| f.clone()).unwrap_or_default()
    }

    /// Waits until a frame satisfies `pred`; returns it.
    pub fn wait_frame(&self, timeout: Duration, pred: impl Fn(&Frame) -> bool) -> Option<Frame> {
        wait_for(timeout, || self.frames().into_iter().find(|f| pred(f)))
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
