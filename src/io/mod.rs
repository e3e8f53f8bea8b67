/*!
The IO shell: the only code that touches sockets, clocks, signals and the process.

Everything here is thin on purpose. Protocol decisions live in the cores; this module
carries bytes between them and the operating system, the way ISC dhcpd 4.4 does on Linux:

* [`interfaces`] — which interfaces to serve: `getifaddrs`, then ISC's selection rules
  and log lines as a pure function over the list;
* [`packet_socket`] — one `AF_PACKET` socket per interface with ISC's BPF filter: frames in,
  frames out (clients without an address are answered without ARP);
* [`udp`] — the fallback UDP socket for relays and renewing clients;
* [`transmit`] — [`Transmit`], what the cores hand back, and [`reply_destination`], ISC's
  reply addressing as a pure function;
* [`event_loop`] — one thread, one `mio::Poll`, the [`Handler`] trait the engine implements;
* [`omapi`] — the OMAPI listener: connections driving OMAPI sessions, with caps so that
  idle or hostile clients cannot stall the loop;
* [`signals`] — SIGTERM/SIGINT as loop events;
* [`daemon`] — ISC's fork-and-wait daemonising and the pid file;
* [`syslog`] — log lines to syslog and stderr with ISC's ident, facility and levels;
* [`serve`] — the start-up sequence that ties them together (interfaces, sockets, daemon,
  pid file, loop, clean stop), and the `--selftest-echo` test aid built on it.
*/

pub mod daemon;
pub mod event_loop;
pub mod interfaces;
pub mod omapi;
pub mod packet_socket;
pub mod rxstats;
pub mod selftest;
pub mod serve;
pub mod signals;
pub mod syslog;
pub mod transmit;
pub mod udp;

pub use event_loop::{EventLoop, Handler, Origin, Ready, Registrar, SourceId, Sources, Stop};
pub use transmit::{reply_destination, Addressing, Destination, IfaceId, ReplyFacts, ReplyKind, Route, Transmit};
