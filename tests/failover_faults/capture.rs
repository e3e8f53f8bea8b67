//! What the captures saw, as timed events: the DHCP messages on each server's client link, and
//! the BNDUPD/BNDACK exchanges on each server's failover link.
//!
//! Each server's two interfaces are captured in its own namespace, so a frame's direction says
//! who did what: a DHCPACK or DHCPNAK *sent* on a server's client link is that server's answer
//! (whether or not its process still lives to remember it); a DHCPRELEASE *received* there was
//! addressed to it. On the failover link, a BNDUPD received and the BNDACK the same server sent
//! back with the same transaction id are one exchange, timed when the BNDACK left: by then the
//! receiver had stored the update (durability before the acknowledgement).
//!
//! Times are seconds since the run's origin (`t0`), on the wall clock, so they compare with the
//! lease times the servers put in their messages and files.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use dhcpd::wire::dhcp::{MessageType as DhcpType, Packet};
use dhcpd::wire::failover::{Deframer, Message, MessageType};
use dhcpd::wire::frame::FrameRepr;

use super::netlab::Frame;

/// `sll_pkttype` of a frame the namespace sent.
const OUTGOING: u8 = 4;

/// The run's time origin: a monotonic instant and the wall-clock time it stands for.
#[derive(Clone, Copy, Debug)]
pub struct Origin {
    mono: Instant,
    wall: f64,
}

impl Origin {
    /// Now.
    pub fn now() -> Origin {
        let wall = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64());
        Origin { mono: Instant::now(), wall }
    }

    /// Seconds since the origin.
    pub fn secs(&self, at: Instant) -> f64 {
        at.saturating_duration_since(self.mono).as_secs_f64()
    }

    /// A wall-clock Unix time as seconds since the origin.
    pub fn wall_secs(&self, unix: f64) -> f64 {
        unix - self.wall
    }

    /// Seconds since the origin, now.
    pub fn elapsed(&self) -> f64 {
        self.secs(Instant::now())
    }
}

/// What a DHCP event was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DhcpKind {
    /// The server bound (or renewed) `addr` for `lease` seconds.
    Ack { lease: u32 },
    /// The server refused the client's request.
    Nak,
    /// The client gave `addr` back.
    Release,
    /// The client refused `addr` (in use).
    Decline,
    /// The client asked (DHCPREQUEST; `addr` is ciaddr or the requested address).
    Request,
}

/// One DHCP message that matters to bindings.
#[derive(Clone, Debug)]
pub struct DhcpEvent {
    /// Seconds since the origin.
    pub at: f64,
    /// The server whose link carried it (sender of an ACK/NAK, addressee of a RELEASE).
    pub side: usize,
    /// Which message.
    pub kind: DhcpKind,
    /// The client's hardware address.
    pub client: [u8; 6],
    /// The address concerned (yiaddr, ciaddr, or the requested address of a DECLINE).
    pub addr: Ipv4Addr,
    /// The transaction id.
    pub xid: u32,
}

fn option(p: &Packet<&[u8]>, code: u8) -> Option<Vec<u8>> {
    p.options().find(|o| o.code == code).map(|o| o.data.to_vec())
}

/// The binding-relevant DHCP messages among `frames` captured on server `side`'s client link.
pub fn dhcp_events(frames: &[Frame], side: usize, origin: &Origin) -> Vec<DhcpEvent> {
    let mut out = Vec::new();
    for f in frames {
        let Ok((repr, payload)) = FrameRepr::parse(&f.bytes, false) else { continue };
        let Ok(p) = Packet::new_checked(payload) else { continue };
        let Some(kind) = option(&p, dhcpd::wire::dhcp::OPT_MESSAGE_TYPE).and_then(|v| v.first().copied()) else {
            continue;
        };
        let kind = DhcpType::from(kind);
        let mut client = [0u8; 6];
        let hw = p.chaddr();
        if hw.len() < 6 {
            continue;
        }
        client.copy_from_slice(&hw[..6]);
        let sent = f.pkttype == OUTGOING;
        let ev = match kind {
            DhcpType::Ack if sent && repr.src_port == 67 && !p.yiaddr().is_unspecified() => {
                let lease =
                    option(&p, 51).and_then(|v| <[u8; 4]>::try_from(v.as_slice()).ok()).map_or(0, u32::from_be_bytes);
                Some((DhcpKind::Ack { lease }, p.yiaddr()))
            }
            DhcpType::Nak if sent && repr.src_port == 67 => Some((DhcpKind::Nak, Ipv4Addr::UNSPECIFIED)),
            DhcpType::Release if !sent && repr.dst_port == 67 => Some((DhcpKind::Release, p.ciaddr())),
            DhcpType::Decline if !sent && repr.dst_port == 67 => {
                let req = option(&p, 50).and_then(|v| <[u8; 4]>::try_from(v.as_slice()).ok()).map(Ipv4Addr::from);
                req.map(|a| (DhcpKind::Decline, a))
            }
            DhcpType::Request if !sent && repr.dst_port == 67 => {
                let req = option(&p, 50).and_then(|v| <[u8; 4]>::try_from(v.as_slice()).ok()).map(Ipv4Addr::from);
                Some((DhcpKind::Request, req.unwrap_or(p.ciaddr())))
            }
            _ => None,
        };
        if let Some((kind, addr)) = ev {
            out.push(DhcpEvent { at: origin.secs(f.at), side, kind, client, addr, xid: p.xid() });
        }
    }
    out
}

/// One BNDUPD received by a server, and what it answered.
#[derive(Clone, Debug)]
pub struct Exchange {
    /// The server that received the update.
    pub receiver: usize,
    /// When the update arrived (seconds since the origin).
    pub received: f64,
    /// When the receiver's BNDACK left, and whether it accepted the update (no reject
    /// reason); `None` when no BNDACK was seen.
    pub answered: Option<(f64, bool)>,
    /// The reject reason's text, when refused.
    pub reject: Option<String>,
    /// assigned-IP-address.
    pub addr: Ipv4Addr,
    /// binding-status code (`dhcpd::wire::failover::BindingState`).
    pub state: u8,
    /// The hardware address in client-hardware-address (after its type byte).
    pub client: Option<[u8; 6]>,
    /// lease-expiry-time, converted to seconds since the origin.
    pub ends: Option<f64>,
    /// client-last-transaction-time, seconds since the origin.
    pub cltt: Option<f64>,
}

impl Exchange {
    /// The receiver stored the update (a positive BNDACK left), and when.
    pub fn applied_at(&self) -> Option<f64> {
        self.answered.and_then(|(t, ok)| ok.then_some(t))
    }
}

/// A TCP segment of the failover link.
struct Segment {
    flow: (SocketAddrV4, SocketAddrV4),
    syn: bool,
    seq: u32,
    payload: Vec<u8>,
    at: f64,
    sent: bool,
}

fn segment(f: &Frame, origin: &Origin) -> Option<Segment> {
    let b = &f.bytes;
    if b.get(12..14)? != [0x08, 0x00] {
        return None;
    }
    let ip = b.get(14..)?;
    let ihl = usize::from(ip.first()? & 0x0f) * 4;
    if *ip.get(9)? != 6 {
        return None;
    }
    let total = usize::from(u16::from_be_bytes([*ip.get(2)?, *ip.get(3)?]));
    let src = Ipv4Addr::new(ip[12], ip[13], ip[14], ip[15]);
    let dst = Ipv4Addr::new(ip[16], ip[17], ip[18], ip[19]);
    let tcp = ip.get(ihl..total)?;
    let sport = u16::from_be_bytes([*tcp.first()?, *tcp.get(1)?]);
    let dport = u16::from_be_bytes([*tcp.get(2)?, *tcp.get(3)?]);
    let seq = u32::from_be_bytes(tcp.get(4..8)?.try_into().ok()?);
    let off = usize::from(tcp.get(12)? >> 4) * 4;
    Some(Segment {
        flow: (SocketAddrV4::new(src, sport), SocketAddrV4::new(dst, dport)),
        syn: tcp.get(13)? & 0x02 != 0,
        seq,
        payload: tcp.get(off..)?.to_vec(),
        at: origin.secs(f.at),
        sent: f.pkttype == OUTGOING,
    })
}

/// A failover message with the time its last byte was first seen.
struct Timed {
    at: f64,
    kind: MessageType,
    xid: u32,
    addr: Option<Ipv4Addr>,
    state: Option<u8>,
    client: Option<[u8; 6]>,
    ends: Option<u32>,
    cltt: Option<u32>,
    reject: Option<String>,
}

/// One direction of one connection: its initial sequence number and its data by offset.
struct Stream {
    isn: u32,
    /// Relative offset -> (payload, first time seen).
    data: BTreeMap<u32, (Vec<u8>, f64)>,
}

fn messages_of(stream: &Stream) -> Vec<Timed> {
    // Rebuild the byte stream; remember when each stretch became available.
    let mut bytes = Vec::new();
    let mut marks: Vec<(usize, f64)> = Vec::new();
    for (off, (p, at)) in &stream.data {
        let off = *off as usize;
        if off > bytes.len() {
            break; // a gap: the capture missed a segment
        }
        let skip = bytes.len() - off;
        if skip < p.len() {
            bytes.extend_from_slice(&p[skip..]);
            marks.push((bytes.len(), *at));
        }
    }
    // A stretch is usable from the latest time of anything before it (a retransmission can be
    // seen after a later segment).
    let mut latest = f64::MIN;
    for m in &mut marks {
        latest = latest.max(m.1);
        m.1 = latest;
    }
    let mut d = Deframer::new();
    d.push(&bytes);
    let mut out = Vec::new();
    let mut consumed = 0usize;
    while let Ok(Some(pkt)) = d.next_message() {
        consumed += pkt.as_ref().len();
        let at = marks.iter().find(|(end, _)| *end >= consumed).map_or(f64::MAX, |m| m.1);
        let Ok(m) = Message::parse(&pkt) else { continue };
        let o = &m.options;
        let client = o.chaddr.and_then(|c| c.get(1..7)).and_then(|c| <[u8; 6]>::try_from(c).ok());
        out.push(Timed {
            at,
            kind: m.kind,
            xid: m.xid,
            addr: o.assigned_addr,
            state: o.binding_status.map(u8::from),
            client,
            ends: o.lease_expiry,
            cltt: o.cltt,
            reject: o.reject_reason.map(|r| r.to_string()),
        });
    }
    out
}

/// The BNDUPD exchanges received by server `side`, from the capture of its failover link.
pub fn exchanges(frames: &[Frame], side: usize, port: u16, origin: &Origin) -> Vec<Exchange> {
    // Per direction, one stream per connection (a new SYN starts a new one).
    let mut streams: Vec<((SocketAddrV4, SocketAddrV4), bool, Stream)> = Vec::new();
    for s in frames.iter().filter_map(|f| segment(f, origin)) {
        if s.flow.0.port() != port && s.flow.1.port() != port {
            continue;
        }
        if s.syn {
            streams.push((s.flow, s.sent, Stream { isn: s.seq.wrapping_add(1), data: BTreeMap::new() }));
            continue;
        }
        if s.payload.is_empty() {
            continue;
        }
        let Some((_, _, st)) = streams.iter_mut().rev().find(|(f, _, _)| *f == s.flow) else { continue };
        let off = s.seq.wrapping_sub(st.isn);
        st.data.entry(off).or_insert((s.payload, s.at));
    }
    let mut out = Vec::new();
    // The answers to a received stream are on the reverse flow of the same connection: the
    // sent stream with that 4-tuple whose SYN was seen nearest to it.
    for (i, (flow, sent, st)) in streams.iter().enumerate() {
        if *sent {
            continue;
        }
        let reverse = (flow.1, flow.0);
        let Some((_, (_, _, back))) =
            streams.iter().enumerate().filter(|(_, (f, s, _))| *s && *f == reverse).min_by_key(|(j, _)| j.abs_diff(i))
        else {
            continue;
        };
        let acks: Vec<Timed> = messages_of(back).into_iter().filter(|m| m.kind == MessageType::BndAck).collect();
        for m in messages_of(st).into_iter().filter(|m| m.kind == MessageType::BndUpd) {
            let (Some(addr), Some(state)) = (m.addr, m.state) else { continue };
            let ack = acks.iter().find(|a| a.xid == m.xid && a.at >= m.at);
            out.push(Exchange {
                receiver: side,
                received: m.at,
                answered: ack.map(|a| (a.at, a.reject.is_none())),
                reject: ack.and_then(|a| a.reject.clone()),
                addr,
                state,
                client: m.client,
                ends: m.ends.filter(|&e| e != 0).map(|e| origin.wall_secs(f64::from(e))),
                cltt: m.cltt.filter(|&c| c != 0).map(|c| origin.wall_secs(f64::from(c))),
            });
        }
    }
    out.sort_by(|a, b| a.received.total_cmp(&b.received));
    out
}
