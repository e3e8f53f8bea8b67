//! Syslog as ISC writes it: ident, pid, facility and levels, read from a private `/dev/log`.

use super::*;

/// Where the listener below writes what it received, one datagram a line.
pub const LISTENER: &str = "__syslog_listener";

/// Inside a private mount namespace with its own `/dev`: binds `/dev/log`, runs the command,
/// and writes `pid N` then every datagram received to OUT. Runs as this test binary
/// re-executed (`LISTENER OUT CMD...`), because only a process of its own can own `/dev`.
pub fn syslog_listener(args: &[std::ffi::OsString]) -> i32 {
    use std::os::unix::net::UnixDatagram;
    let (Some(out), Some(cmd)) = (args.first(), args.get(1)) else {
        return 2;
    };
    let Ok(sock) = UnixDatagram::bind("/dev/log") else {
        return 3;
    };
    let _ = sock.set_read_timeout(Some(Duration::from_millis(200)));
    let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (g, d) = (got.clone(), done.clone());
    // Read while the command runs: a full datagram queue would block its syslog calls.
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 2048];
        loop {
            match sock.recv(&mut buf) {
                Ok(n) => g.lock().unwrap().push(String::from_utf8_lossy(&buf[..n]).into_owned()),
                Err(_) if d.load(std::sync::atomic::Ordering::SeqCst) => return,
                Err(_) => {}
            }
        }
    });
    let Ok(mut child) = std::process::Command::new(cmd)
        .args(&args[2..])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    else {
        return 4;
    };
    let pid = child.id();
    if netlab::wait_for(STEP, || child.try_wait().ok().flatten()).is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let _ = reader.join();
    let mut text = format!("pid {pid}\n");
    for d in got.lock().unwrap().iter() {
        text.push_str(d);
        text.push('\n');
    }
    if std::fs::write(out, text).is_err() {
        return 5;
    }
    0
}

/// Our lines reach syslog as ISC's do: ident = basename of argv[0], the pid, facility daemon,
/// errors at LOG_ERR and information at LOG_INFO, through `/dev/log` in a private `/dev`.
pub fn syslog_ident_pid_and_facility() -> Outcome {
    let mut lab = io(Lab::new("syslog"))?;
    let ns = io(lab.netns("log"))?;
    io(lab.veth((&ns, "a0"), (&ns, "b0")))?;
    let conf = write(&lab, "dhcpd.conf", SUBNET)?;
    let link = lab.dir().join("mydhcpd");
    io(std::os::unix::fs::symlink(BIN, &link))?;
    let out = lab.dir().join("syslog.txt");
    let me = io(std::env::current_exe())?;
    let script = "mount -t tmpfs tmpfs /dev && mknod -m 666 /dev/null c 1 3 && exec \"$@\"";
    let argv = [
        os("unshare"),
        os("-m"),
        os("sh"),
        os("-c"),
        os(script),
        os("sh"),
        me.as_os_str(),
        os(LISTENER),
        out.as_os_str(),
        os("env"),
        os("DHCPD_SELFTEST_OFFER=10.77.0.50"),
        link.as_os_str(),
        os("--selftest-echo"),
        os("-f"),
        os("-cf"),
        os(&conf),
        os("--no-pid"),
    ];
    let run = io(lab.exec(&ns, &argv, STEP))?;
    ensure(run.status.success(), || {
        format!("listener: {} {}", run.status, String::from_utf8_lossy(&run.stderr))
    })?;
    let text = io(std::fs::read_to_string(&out))?;
    let mut lines = text.lines();
    let pid = lines
        .next()
        .and_then(|l| l.strip_prefix("pid "))
        .ok_or("no pid line")?
        .to_string();
    let got: Vec<&str> = lines.collect();
    let tag = format!(" mydhcpd[{pid}]: ");
    // LOG_DAEMON (3 << 3) + LOG_ERR (3) = 27; + LOG_INFO (6) = 30.
    let want = [
        ("<27>", "No subnet declaration for b0 (no IPv4 addresses)."),
        ("<27>", "No subnet declaration for a0 (no IPv4 addresses)."),
        ("<30>", ""),
        ("<27>", "Not configured to listen on any interfaces!"),
        ("<27>", "exiting."),
    ];
    for (pri, msg) in want {
        ensure(
            got.iter()
                .any(|l| l.starts_with(pri) && l.split_once(&tag).map(|(_, m)| m) == Some(msg)),
            || format!("no `{pri}...{tag}{msg}` among:\n{}", got.join("\n")),
        )?;
    }
    Ok(())
}
