//! Two servers' failover links in one process over loopback TCP (127.0.0.1
//! and 127.0.0.2, so each dials from its own address as the partner expects),
//! driven by the real event loop: the pair reaches normal and balances, a
//! stranger's connection is refused, a lost partner leaves the survivor in
//! communications-interrupted, and a restarted partner (from what its
//! "lease file" held) brings the pair back to normal.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::*;
use crate::engine::{Engine, IscEvaluator};
use crate::failover::FailoverState;
use crate::io::event_loop::{EventLoop, Handler, Origin};
use crate::io::syslog::MemoryLog;
use crate::io::{IfaceId, Transmit};
use crate::lease::file::{read_lease_file, ReadOptions};
use crate::lease::write::{append_record, WriteOptions};
use crate::lease::BindingState;

type FoEngine = Engine<IscEvaluator, Vec<Peer>>;

const PRIMARY: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 1);
const SECONDARY: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

fn free_port(ip: Ipv4Addr) -> u16 {
    let l = TcpListener::bind(SocketAddrV4::new(ip, 0)).expect("bind");
    l.local_addr().expect("addr").port()
}

fn conf(primary: bool, ports: (u16, u16)) -> String {
    let (me, peer, port, peer_port) =
        if primary { (PRIMARY, SECONDARY, ports.0, ports.1) } else { (SECONDARY, PRIMARY, ports.1, ports.0) };
    let role = if primary { "primary;\n  mclt 60;\n  split 128;\n  load balance max seconds 3;" } else { "secondary;" };
    format!(
        "authoritative;\nping-check false;\n\
         failover peer \"lo\" {{\n  {role}\n  address {me};\n  port {port};\n  peer address {peer};\n  peer port {peer_port};\n\
         max-response-delay 30;\n  max-unacked-updates 10;\n}}\n\
         subnet 10.9.0.0 netmask 255.255.255.0 {{\n  pool {{\n    failover peer \"lo\";\n    range 10.9.0.10 10.9.0.17;\n  }}\n}}\n"
    )
}

/// One server: engine, links and the records its lease file would hold.
struct Server {
    engine: FoEngine,
    links: FailoverLinks,
    file: Vec<Record>,
    log: Arc<MemoryLog>,
}

impl Server {
    fn new(text: &str, file: Vec<Record>, now: Now) -> Server {
        let loader = crate::conf::parser::MemLoader(vec![("dhcpd.conf".into(), text.as_bytes().to_vec())]);
        let config = crate::conf::check_config("dhcpd.conf", &loader).config.expect("config");
        // The records as the lease file holds them: written and read back.
        let mut bytes = Vec::new();
        let opts = WriteOptions { now: now.wall, ..WriteOptions::default() };
        for r in &file {
            append_record(&mut bytes, r, &opts).expect("writable record");
        }
        let state = read_lease_file("test.leases", &bytes, ReadOptions::at(now.wall)).expect("readable").state();
        let peers = make_peers(&config, &state.failover, now);
        let links = FailoverLinks::new(&config);
        let mut engine = Engine::new(Arc::new(config), IscEvaluator::new(), peers);
        assert!(engine.load_leases(state.leases.values().cloned()).is_empty());
        let _ = engine.start(now.wall);
        Server { engine, links, file, log: Arc::new(MemoryLog::default()) }
    }

    fn state(&self) -> FailoverState {
        self.engine.failover()[0].state().state
    }

    fn logged(&self, text: &str) -> bool {
        self.log.lines().iter().any(|(_, l)| l == text)
    }

    fn backups(&self) -> usize {
        self.engine.leases().filter(|l| l.binding_state == BindingState::Backup).count()
    }
}

/// Both servers in one loop; stops when `done` holds or at the deadline.
struct Both {
    servers: Vec<Option<Server>>,
    done: fn(&[Option<Server>]) -> bool,
    deadline: Instant,
}

impl Handler for Both {
    fn handle_packet(&mut self, _: Now, _: IfaceId, _: Origin, _: &[u8]) -> Vec<Transmit> {
        Vec::new()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.servers
            .iter()
            .flatten()
            .filter_map(|s| s.links.poll_timeout(&s.engine))
            .chain(std::iter::once(self.deadline))
            .min()
    }

    fn handle_timeout(&mut self, now: Now) -> Vec<Transmit> {
        for s in self.servers.iter_mut().flatten() {
            s.links.handle_timeout(now, &mut s.engine, &*s.log);
        }
        Vec::new()
    }

    fn handle_ready(&mut self, now: Now, source: SourceId, ready: Ready, _: &mut Sources<'_>) -> Vec<Transmit> {
        for s in self.servers.iter_mut().flatten() {
            if s.links.owns(source) {
                s.links.handle_ready(now, source, ready, &mut s.engine, &*s.log);
            }
        }
        Vec::new()
    }

    fn end_of_turn(&mut self, now: Now) -> Vec<Transmit> {
        for s in self.servers.iter_mut().flatten() {
            let work = s.links.take_durable_work();
            s.file.extend(work);
            s.links.release_after_fsync(now, &mut s.engine, &*s.log);
        }
        Vec::new()
    }

    fn wants_stop(&self) -> bool {
        (self.done)(&self.servers) || Instant::now() >= self.deadline
    }
}

fn start(ev: &mut EventLoop, s: &mut Server) {
    let now = Now::read();
    s.links.register(&mut ev.sources(), now, &*s.log).expect("register");
    s.links.start(now, &mut s.engine, &*s.log);
}

fn run(ev: &mut EventLoop, both: &mut Both, secs: u64) {
    both.deadline = Instant::now() + Duration::from_secs(secs);
    ev.run(both, &MemoryLog::default()).expect("loop");
}

fn state_is(servers: &[Option<Server>], i: usize, st: FailoverState) -> bool {
    servers[i].as_ref().is_some_and(|s| s.state() == st)
}

/// Both normal, and each has heard the other say so.
fn both_normal(servers: &[Option<Server>]) -> bool {
    servers.iter().all(|s| {
        s.as_ref().is_some_and(|s| {
            s.state() == FailoverState::Normal && s.engine.failover()[0].partner_state().state == FailoverState::Normal
        })
    })
}

#[test]
fn a_pair_over_loopback_reaches_normal_survives_a_loss_and_recovers() {
    let ports = (free_port(PRIMARY), free_port(SECONDARY));
    let now = Now::read();
    let mut ev = EventLoop::new(0).expect("loop");
    let mut primary = Server::new(&conf(true, ports), Vec::new(), now);
    let mut secondary = Server::new(&conf(false, ports), Vec::new(), now);
    start(&mut ev, &mut primary);
    start(&mut ev, &mut secondary);
    // A connection from an address no relationship names.
    let stranger = endpoint::dial(Some(Ipv4Addr::new(127, 0, 0, 3)), SocketAddrV4::new(PRIMARY, ports.0)).expect("dial");
    let mut both = Both {
        servers: vec![Some(primary), Some(secondary)],
        done: |s| both_normal(s) && s.iter().flatten().all(|s| s.backups() == 4),
        deadline: Instant::now(),
    };
    run(&mut ev, &mut both, 30);
    drop(stranger);
    {
        let [Some(p), Some(s)] = &both.servers[..] else { panic!("servers") };
        assert_eq!((p.state(), s.state()), (FailoverState::Normal, FailoverState::Normal), "{:#?}", p.log.lines());
        assert!(p.logged("failover peer lo: Both servers normal"));
        assert!(p.logged("failover: listener: no matching state"), "{:#?}", p.log.lines());
        assert_eq!((p.backups(), s.backups()), (4, 4));
        // Durable: the secondary's file holds its normal state and the gifts.
        let normal = s.file.iter().any(|r| {
            matches!(r, Record::FailoverState(f) if f.me.is_some_and(|m| m.state == FailoverState::Normal))
        });
        assert!(normal);
        assert!(s.file.iter().any(|r| matches!(r, Record::Lease(l) if l.binding_state == BindingState::Backup)));
    }

    // The secondary goes away: its sockets close with it.
    let mut gone = both.servers[1].take().expect("secondary");
    gone.links.close_all();
    let file = std::mem::take(&mut gone.file);
    drop(gone);
    both.done = |s| state_is(s, 0, FailoverState::CommunicationsInterrupted);
    run(&mut ev, &mut both, 10);
    assert!(state_is(&both.servers, 0, FailoverState::CommunicationsInterrupted));

    // It comes back from its lease file; both return to normal.
    let mut back = Server::new(&conf(false, ports), file, Now::read());
    assert_eq!(back.backups(), 4, "the balanced pool survived in the file");
    start(&mut ev, &mut back);
    both.servers[1] = Some(back);
    both.done = both_normal;
    run(&mut ev, &mut both, 30);
    let [Some(p), Some(s)] = &both.servers[..] else { panic!("servers") };
    assert_eq!((p.state(), s.state()), (FailoverState::Normal, FailoverState::Normal), "{:#?}", s.log.lines());
    assert!(s.logged("failover peer lo: I move from normal to startup"));
    assert!(p.logged("failover peer lo: I move from communications-interrupted to normal"));
}

#[test]
fn nothing_leaves_before_the_release() {
    let ports = (free_port(PRIMARY), free_port(SECONDARY));
    let now = Now::read();
    let mut ev = EventLoop::new(0).expect("loop");
    let mut primary = Server::new(&conf(true, ports), Vec::new(), now);
    // A partner stand-in: a plain listener at the secondary's address.
    let partner = TcpListener::bind(SocketAddrV4::new(SECONDARY, ports.1)).expect("bind");
    partner.set_nonblocking(true).expect("nonblocking");
    start(&mut ev, &mut primary);
    let work = primary.links.take_durable_work();
    assert!(
        work.iter().any(|r| matches!(r, Record::FailoverState(f) if f.peer == "lo")),
        "entering startup is recorded"
    );
    // Run the loop without releasing: the dial completes and CONNECT is
    // queued, but held.
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut conn = None;
    while Instant::now() < deadline && conn.is_none() {
        let now = Now::read();
        primary.links.handle_timeout(now, &mut primary.engine, &*primary.log);
        if let Ok((c, from)) = partner.accept() {
            assert_eq!(from, SocketAddr::V4(SocketAddrV4::new(PRIMARY, from.port())), "dialled from `address`");
            conn = Some(c);
        }
        std::thread::sleep(Duration::from_millis(10));
        // Feed readiness by hand: every source of ours gets a writable poke.
        for id in primary.links.conns.iter().map(|c| c.source).collect::<Vec<_>>() {
            let ready = Ready { readable: false, writable: true, closed: false };
            primary.links.handle_ready(now, id, ready, &mut primary.engine, &*primary.log);
        }
    }
    let mut conn = conn.expect("the primary dialled the partner");
    conn.set_read_timeout(Some(Duration::from_millis(300))).expect("timeout");
    let mut buf = [0u8; 512];
    use std::io::Read;
    assert!(conn.read(&mut buf).is_err(), "CONNECT was sent before the release");
    assert!(primary.links.awaits_commit(), "the held CONNECT asks the server for a commit");
    primary.links.take_durable_work();
    primary.links.release_after_fsync(Now::read(), &mut primary.engine, &*primary.log);
    conn.set_read_timeout(Some(Duration::from_secs(3))).expect("timeout");
    let n = conn.read(&mut buf).expect("CONNECT after the release");
    assert!(n >= 12);
    assert_eq!(buf[2], 5, "message type CONNECT");
}
