//! `dhcpd` without `-t`/`-T`: serve, in ISC's start-up order (`main` in
//! `server/dhcpd.c` after the configuration is read):
//!
//! 1. the pid-file check (`There's already a DHCP server running.`);
//! 2. the global settings (`local-port`, `remote-port`, `local-address`,
//!    `limited-broadcast-address`, `log-facility`) and `-s`;
//! 3. the lease file: read, expired leases expired, the file rewritten
//!    (`Wrote N leases to leases file.`);
//! 4. interfaces and sockets (`Listening on`/`Sending on`), the ICMP
//!    socket, the OMAPI listener (`omapi-port`), failover start-up (`I
//!    move from X to startup`);
//! 5. the pid file, `-user`/`-group`, detaching unless `-f`/`-d`,
//!    `Server starting service.`, and the loop until SIGTERM/SIGINT, which
//!    flush the lease file, remove the pid file and exit 0.
//!
//! From step 3 on, lines go to syslog (ident = the program's name, facility
//! `log-facility` or daemon) and to stderr unless `-q`; once serving, to
//! stderr only with `-d`, as ISC.

use std::ffi::{OsStr, OsString};
use std::net::{Ipv4Addr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::error::CliError;
use super::lease_test::DeclCounts;
use super::log::Log;
use super::system;
use super::Options;
use crate::conf::model::Config;
use crate::engine::Priority;
use crate::io::omapi::{startup_error, OmapiServer};
use crate::io::serve::{serve, ServeOptions};
use crate::io::syslog::{Level, Logger, DEFAULT_FACILITY};
use crate::io::transmit::Addressing;
use crate::server::ping::Pinger;
use crate::server::startup::{self, StartupError};
use crate::server::{Ports, Server, Settings};
use crate::time::Now;

/// Where the lease and pid files are (after `lease-file-name`/`pid-file-name`).
pub struct Files<'a> {
    /// The lease file.
    pub leases: &'a OsStr,
    /// The pid file.
    pub pid: &'a OsStr,
}

/// `-s ADDR`: an address, or a name to look up (ISC: `gethostbyname`).
fn broadcast_flag(server: &OsStr) -> Result<Ipv4Addr, CliError> {
    let text = server.to_string_lossy();
    if let Ok(a) = text.parse::<Ipv4Addr>() {
        return Ok(a);
    }
    let found = (text.as_ref(), 0u16).to_socket_addrs().ok().and_then(|mut it| {
        it.find_map(|a| match a {
            std::net::SocketAddr::V4(v4) => Some(*v4.ip()),
            std::net::SocketAddr::V6(_) => None,
        })
    });
    found.ok_or_else(|| CliError::Fatal(format!("{text}: host unknown.")))
}

/// A relative path as an absolute one: the server changes to `/` when it
/// detaches, and rewrites the lease file long after.
fn absolute(p: &OsStr) -> PathBuf {
    let path = Path::new(p);
    if path.is_absolute() {
        return path.to_path_buf();
    }
    std::env::current_dir().map(|d| d.join(path)).unwrap_or_else(|_| path.to_path_buf())
}

/// Serves until stopped; returns the exit status.
pub fn run(o: &Options, prog: &OsStr, files: Files<'_>, config: Config, log: &mut Log) -> Result<i32, CliError> {
    if !o.no_pid && system::pid_file_names_live_server(Path::new(files.pid)) {
        return Err(CliError::AlreadyRunning);
    }
    let settings = Settings::from_config(&config).map_err(CliError::Fatal)?;
    let cli_broadcast = o.server.as_deref().map(broadcast_flag).transpose()?;
    let ports = Ports::resolve(o.port, cli_broadcast, &settings);
    let run_as = (
        o.user.as_deref().and_then(|u| system::lookup_user(u).ok().flatten()).map(|(uid, _)| uid),
        o.group.as_deref().and_then(|g| system::lookup_group(g).ok().flatten()),
    );
    let owner = match run_as {
        (None, None) => None,
        // SAFETY: getuid/getgid have no preconditions.
        (uid, gid) => Some((uid.unwrap_or_else(|| unsafe { libc::getuid() }), gid.unwrap_or_else(|| unsafe { libc::getgid() }))),
    };
    log.flush();

    let mut logger = Logger::open(prog, settings.log_facility.unwrap_or(DEFAULT_FACILITY), !o.quiet);
    let lease_path = absolute(files.leases);
    let now = Now::read();
    let config = Arc::new(config);
    let loaded = startup::load(Arc::clone(&config), &lease_path, now, &mut |l| {
        let level = match l.priority {
            Priority::Error => Level::Error,
            Priority::Info => Level::Info,
            Priority::Debug => Level::Debug,
        };
        logger.log(level, &l.text);
    })
    .map_err(|e| match e {
        StartupError::Open { path, error } => CliError::LeaseDatabase { path: path.into_os_string(), error },
        StartupError::Read { path, error } => CliError::LeaseRead { path: path.into_os_string(), error },
        StartupError::Fatal(msg) => CliError::LeaseFile(msg),
    })?;
    for line in DeclCounts::of(&config, &loaded.carried).lines() {
        logger.info(&line);
    }
    let mut options = startup::store_options(&config, now.wall);
    options.owner = owner;
    let (store, written) = startup::create_store(&lease_path, &loaded, options, now)
        .map_err(|e| CliError::Fatal(format!("Can't create new lease file: {e}")))?;
    logger.info(&format!("Wrote {written} leases to leases file."));

    // What the configuration asks for that this version does not do yet:
    // said once, at start-up, rather than silently ignored.
    if settings.ddns_update_style.is_some() {
        logger.error("ddns-update-style: DNS updates are not available yet in dhcpd-rs; none will be made.");
    }
    for p in &config.failover.peers {
        logger.error(&format!(
            "failover peer {}: the failover link is not available yet in dhcpd-rs; serving as ISC does while the peer is unreachable.",
            p.name
        ));
    }

    let opts = ServeOptions {
        requested: o.interfaces.iter().map(|i| i.to_string_lossy().into_owned()).collect(),
        server_port: ports.server,
        local_address: settings.local_address.unwrap_or(Ipv4Addr::UNSPECIFIED),
        daemonize: !o.foreground,
        keep_stderr: o.debug,
        pid_file: (!o.no_pid).then(|| absolute(files.pid)),
        run_as,
    };
    let addressing = Addressing { server_port: ports.server, client_port: ports.client, limited_broadcast: ports.limited_broadcast };
    let handler_log = Logger { stderr: !o.quiet && o.debug, syslog: true };
    let mut engine = Some(loaded.engine);
    let carried = loaded.carried;
    let startup_commands = loaded.commands;
    let mut store = Some(store);
    let status = serve(&opts, &config, &mut logger, |ifaces, sources, log| {
        let mut engine = engine.take().expect("the handler is made once");
        for (i, iface) in ifaces.iter().enumerate() {
            engine.set_interface(i, &iface.name, &iface.addresses);
        }
        let (mut pinger, err) = Pinger::open();
        if let Some(e) = err {
            log.error(&format!("unable to create icmp socket: {}", crate::conf::parser::os_error_text(&e)));
        }
        if let Err(e) = pinger.register(sources) {
            log.error(&format!("Can't register icmp handle: {}", crate::conf::parser::os_error_text(&e)));
            pinger = Pinger::disabled();
        }
        let now = Now::read();
        let store = store.take().expect("the handler is made once");
        let mut server = Server::new(engine, store, carried, addressing, pinger, Box::new(handler_log), now);
        if let Some(mut om) = OmapiServer::new(&config) {
            om.seed(now.wall as u64 ^ (u64::from(now.wall_micros) << 20) ^ u64::from(std::process::id()));
            om.register(sources).map_err(|e| startup_error(&e))?;
            server.set_omapi(om);
        }
        server.start_failover(now, log);
        server.run_commands(startup_commands);
        Ok(server)
    });
    Ok(status)
}

/// The program name syslog lines carry (ISC: the basename of `argv[0]`).
pub fn program(argv0: Option<&OsString>) -> OsString {
    argv0.cloned().unwrap_or_else(|| OsString::from("dhcpd"))
}
