//! A drop-in replacement for ISC dhcpd 4.4 (DHCPv4).
//!
//! The crate is split into pure cores that never touch the operating system
//! (configuration parsing, wire codecs, the lease engine, the failover state
//! machine) and a thin IO shell (the event loop) that owns sockets, files,
//! clocks and signals. Cores take time as an argument so every protocol rule
//! is testable deterministically.
//!
//! * [`conf`] — reads `dhcpd.conf` exactly as ISC's `dhcpd -t` does,
//!   including its error messages, line numbers and carets.
//! * [`eval`] — runs dhcpd.conf statements and expressions as ISC does.
//! * [`options`] — the one DHCP option table (ISC's names, codes, formats).
//! * [`wire`] — checked views and `Repr`s over DHCP and failover bytes.
//! * [`cli`] — the `dhcpd` command line, flag for flag and message for
//!   message as ISC's.
//! * [`failover`] — ISC's failover protocol: a sans-IO peer per relationship
//!   and the lease rules it applies, tested against a simulated pair.
//! * [`engine`] — DHCPv4 packet handling as ISC does it: (packet,
//!   configuration, leases, time) in, (reply, lease changes, log lines) out.
//! * [`time`] — [`time::Now`], the clock values the shell reads and the cores receive.
//! * [`io`] — the IO shell: interfaces, raw and UDP sockets, the event loop,
//!   signals, daemonising, syslog.
//! * [`omapi`] — the OMAPI session and signatures behind `omapi-port`, without sockets.
//! * [`server`] — the serving process: engine outcomes to the lease file, the wire and the log; the failover links.

pub mod cli;
pub mod conf;
pub mod engine;
pub mod eval;
pub mod failover;
pub mod io;
pub mod lease;
pub mod omapi;
pub mod server;
pub mod options;
pub mod time;
pub mod wire;
