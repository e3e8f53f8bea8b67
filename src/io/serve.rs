/*!
The start-up sequence of a serving dhcpd, from "configuration read" to exit, in ISC's order.

ISC (`server/dhcpd.c` `main`, after the lease file is read): discover interfaces and open a
packet socket on each chosen one, logging `Listening on`/`Sending on` as it goes; open the
fallback socket (`Sending on   Socket/fallback/fallback-net`); write the pid file; stop
logging to stderr unless `-d`; tell the waiting parent all is well and detach; log
`Server starting service.`; serve. We add a clean stop: on SIGTERM/SIGINT the handler
flushes, the pid file is removed, and the exit status is 0 (ISC 4.4.3 as built by Debian
just dies from the signal, leaving its pid file behind).

One difference in order, invisible from outside: ISC forks first thing and does all of this
in the child while the parent waits; we fork after the sockets are open (the process must
still be single-threaded, and is). Either way the parent's exit status is the child's
start-up result and every start-up message reaches the terminal.

The caller brings what comes before (banner, configuration, lease file, the pid-file check)
and a function that makes the [`Handler`] once the interfaces are known: it gets the
interfaces, the registration for its own sockets, and the logger for its start-up lines, and
may fail with ISC's fatal message (a listener that cannot be opened).
*/

use std::net::Ipv4Addr;
use std::path::PathBuf;

use super::daemon::{self, PidFile};
use super::event_loop::{EventLoop, Handler, Interface, Sources, Stop};
use super::interfaces::{self, listening_lines, unsupported_device, Step};
use super::packet_socket::PacketSocket;
use super::signals::{SignalPipe, STOP_SIGNALS};
use super::syslog::{Level, Logger};
use super::udp::{self, FallbackSocket};
use crate::conf::model::Config;
use crate::conf::parser::os_error_text;

/// `ARPHRD_ETHER`: the only link type we build frames for.
const ARPHRD_ETHER: u16 = 1;

/// How to serve, from the command line and the configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServeOptions {
    /// Interfaces named on the command line (empty: every suitable one).
    pub requested: Vec<String>,
    /// The server port (67, `-p`, `DHCPD_PORT`, `local-port`).
    pub server_port: u16,
    /// `local-address`: where the fallback socket is bound (default 0.0.0.0).
    pub local_address: Ipv4Addr,
    /// Fork and detach (no `-f`, `-d`).
    pub daemonize: bool,
    /// Keep logging to stderr once serving (`-d`).
    pub keep_stderr: bool,
    /// The pid file to write and remove; `None` with `--no-pid`.
    pub pid_file: Option<PathBuf>,
    /// `-user`/`-group`: the uid and gid to run as once the pid file is
    /// written (ISC's order: `setgroups`, `setgid`, `setuid`).
    pub run_as: (Option<u32>, Option<u32>),
}

/// Runs the server: interfaces, sockets, daemon, pid file, the loop, a clean stop.
/// Returns the exit status (in the daemon's parent, this never returns: it exits with the
/// child's start-up status).
pub fn serve<H, F>(opts: &ServeOptions, config: &Config, log: &mut Logger, make_handler: F) -> i32
where
    H: Handler,
    F: FnOnce(&[Interface], &mut Sources<'_>, &Logger) -> Result<H, String>,
{
    if let Ok(name) = std::ffi::CStr::from_bytes_with_nul(b"dhcpd\0") {
        let _ = daemon::set_process_name(name);
    }
    let mut ev = match EventLoop::new(opts.server_port) {
        Ok(ev) => ev,
        Err(e) => return log.fatal(&format!("Can't create the event loop: {}", os_error_text(&e))),
    };

    let entries = match interfaces::scan() {
        Ok(e) => e,
        Err(e) => {
            log.error(&format!("Error getting interfaces; {}", os_error_text(&e)));
            return log.fatal("Can't get list of interfaces.");
        }
    };
    for step in interfaces::select(&opts.requested, &entries, config) {
        match step {
            Step::Log(level, line) => log.log(level, &line),
            Step::Fatal(msg) => return log.fatal(&msg),
            Step::Listen(chosen) => {
                let Some(link) = chosen.link else {
                    return log.fatal(&format!(
                        "Failed to get interface index: No such device ({})",
                        chosen.name
                    ));
                };
                let mac = match link.mac {
                    Some(mac) if link.hatype == ARPHRD_ETHER => mac,
                    _ => return log.fatal(&unsupported_device(link.hatype, &chosen.name)),
                };
                let socket = match PacketSocket::open(link.ifindex, opts.server_port) {
                    Ok(s) => s,
                    Err(e) => return log.fatal(&e.to_string()),
                };
                let network = &config.shared_networks[chosen.shared_network].name;
                for line in listening_lines(&chosen.name, &mac, network) {
                    log.info(&line);
                }
                let iface = Interface::new(chosen.name, mac, chosen.addresses, chosen.shared_network, socket);
                if let Err(e) = ev.add_interface(iface) {
                    return log.fatal(&format!("Can't register I/O handle: {}", os_error_text(&e)));
                }
            }
        }
    }

    let fallback = match FallbackSocket::open(opts.local_address, opts.server_port) {
        Ok(f) => f,
        Err(e) => {
            let lines = e.isc_lines();
            let n = lines.len();
            for l in &lines[..n.saturating_sub(1)] {
                log.error(l);
            }
            return log.fatal(lines.last().map_or("Can't create dhcp socket", |l| l.as_str()));
        }
    };
    if let Err(e) = ev.set_fallback(fallback) {
        return log.fatal(&format!(
            "Can't register I/O handle for \"fallback\": {}",
            os_error_text(&e)
        ));
    }
    log.info(&udp::sending_line());

    let signals = match SignalPipe::install(&STOP_SIGNALS) {
        Ok(s) => s,
        Err(e) => return log.fatal(&format!("Can't install signal handlers: {}", os_error_text(&e))),
    };
    if let Err(e) = ev.set_signals(signals) {
        return log.fatal(&format!("Can't register the signal pipe: {}", os_error_text(&e)));
    }

    let handler = {
        let (interfaces, mut sources) = ev.interfaces_and_sources();
        make_handler(interfaces, &mut sources, log)
    };
    let mut handler = match handler {
        Ok(h) => h,
        Err(msg) => return log.fatal(&msg),
    };

    let detach = if opts.daemonize {
        match daemon::fork_and_wait() {
            Ok(d) => Some(d),
            Err(e) => return log.fatal(&format!("Can't fork daemon: {}", os_error_text(&e))),
        }
    } else {
        None
    };

    let pid_file = opts.pid_file.as_ref().and_then(|path| match PidFile::write(path) {
        Ok(p) => Some(p),
        Err(e) => {
            log.error(&PidFile::error_line(path, &e));
            None
        }
    });

    if let Err(msg) = drop_privileges(opts.run_as) {
        return log.fatal(&msg);
    }

    log.stderr = log.stderr && opts.keep_stderr;
    if let Some(d) = detach {
        if let Err(e) = d.finish() {
            return log.fatal(&format!("write to parent: {}", os_error_text(&e)));
        }
        log.stderr = false;
    }

    log.info("Server starting service.");
    let result = ev.run(&mut handler, log);
    if let Some(p) = pid_file {
        if let Err(e) = p.remove() {
            log.error(&format!("Can't remove PID file: {}", os_error_text(&e)));
        }
    }
    match result {
        Ok(Stop::Signal(_)) | Ok(Stop::Requested) => 0,
        Err(e) => {
            log.log(Level::Error, &format!("dispatch: {}", os_error_text(&e)));
            1
        }
    }
}

/// ISC's `-user`/`-group` (PARANOIA): drop supplementary groups and take
/// the group, then the user. `Err` is ISC's fatal message.
fn drop_privileges((uid, gid): (Option<u32>, Option<u32>)) -> Result<(), String> {
    if let Some(gid) = gid {
        // SAFETY: setgroups with a zero count reads no memory; setgid takes a plain id.
        if unsafe { libc::setgroups(0, std::ptr::null()) } != 0 {
            return Err(format!("setgroups: {}", os_error_text(&std::io::Error::last_os_error())));
        }
        if unsafe { libc::setgid(gid) } != 0 {
            return Err(format!("setgid({gid}): {}", os_error_text(&std::io::Error::last_os_error())));
        }
    }
    if let Some(uid) = uid {
        // SAFETY: setuid takes a plain id.
        if unsafe { libc::setuid(uid) } != 0 {
            return Err(format!("setuid({uid}): {}", os_error_text(&std::io::Error::last_os_error())));
        }
    }
    Ok(())
}
