//! Failover messages read back from captured frames: TCP segments of each
//! connection are put back in sequence order per direction and cut into
//! messages with the crate's deframer, so the test can say who sent what on
//! the wire (not only what the logs claim).

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddrV4};

use dhcpd::wire::failover::{Deframer, Message, MessageType};

use super::netlab::Frame;

/// One direction of one TCP connection.
pub type Flow = (SocketAddrV4, SocketAddrV4);

/// A TCP segment: flow, flags, sequence number, payload.
struct Segment {
    flow: Flow,
    /// SYN (with or without ACK).
    syn: bool,
    ack: bool,
    seq: u32,
    payload: Vec<u8>,
}

fn segment(f: &Frame) -> Option<Segment> {
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
    let syn = tcp.get(13)? & 0x02 != 0;
    let ack = tcp.get(13)? & 0x10 != 0;
    Some(Segment {
        flow: (SocketAddrV4::new(src, sport), SocketAddrV4::new(dst, dport)),
        syn,
        ack,
        seq,
        payload: tcp.get(off..)?.to_vec(),
    })
}

/// Connection attempts seen (SYN without ACK, retransmissions included): (from, to).
pub fn syns(frames: &[Frame]) -> Vec<Flow> {
    frames
        .iter()
        .filter_map(segment)
        .filter(|s| s.syn && !s.ack)
        .map(|s| s.flow)
        .collect()
}

/// A message seen on the wire.
#[derive(Clone, Debug)]
pub struct Seen {
    /// The direction it travelled.
    pub flow: Flow,
    /// Its type.
    pub kind: MessageType,
    /// For BNDUPD: the binding status code.
    pub binding: Option<u8>,
}

/// Every failover message in the frames, per direction in stream order
/// (directions listed in the order their first byte was seen).
pub fn messages(frames: &[Frame], port_of_interest: &[u16]) -> Vec<Seen> {
    // Per flow: the initial sequence number and data by relative offset.
    let mut isn: BTreeMap<Flow, u32> = BTreeMap::new();
    let mut data: Vec<(Flow, BTreeMap<u32, Vec<u8>>)> = Vec::new();
    for s in frames.iter().filter_map(segment) {
        if !port_of_interest.contains(&s.flow.0.port()) && !port_of_interest.contains(&s.flow.1.port()) {
            continue;
        }
        if s.syn {
            isn.insert(s.flow, s.seq.wrapping_add(1));
            continue;
        }
        if s.payload.is_empty() {
            continue;
        }
        let pos = match data.iter().position(|(f, _)| *f == s.flow) {
            Some(p) => p,
            None => {
                data.push((s.flow, BTreeMap::new()));
                data.len() - 1
            }
        };
        data[pos].1.entry(s.seq).or_insert(s.payload);
    }
    let mut out = Vec::new();
    for (flow, segs) in data {
        let Some(&start) = isn.get(&flow) else { continue };
        let mut stream = Vec::new();
        let mut ordered: Vec<(u32, Vec<u8>)> = segs.into_iter().map(|(seq, p)| (seq.wrapping_sub(start), p)).collect();
        ordered.sort_by_key(|(off, _)| *off);
        for (off, p) in ordered {
            let off = off as usize;
            if off > stream.len() {
                break; // a gap: the capture missed a segment
            }
            let skip = stream.len() - off;
            if skip < p.len() {
                stream.extend_from_slice(&p[skip..]);
            }
        }
        let mut d = Deframer::new();
        d.push(&stream);
        while let Ok(Some(pkt)) = d.next_message() {
            let kind = pkt.msg_type();
            let binding = Message::parse(&pkt).ok().and_then(|m| m.options.binding_status.map(u8::from));
            out.push(Seen { flow, kind, binding });
        }
    }
    out
}
