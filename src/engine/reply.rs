//! Which options a reply carries, in which order, and the reply's bytes
//! (ISC `cons_options` and `store_options`'s policy half; the packing
//! itself is [`Repr::emit_limited`]).
//!
//! The order is ISC's priority list: message type, server identifier,
//! lease time, T1, T2, message, requested address, associated IP; then,
//! when the client sent a parameter request list, subnet selection (if
//! configured), the client identifier (with `echo-client-id`), the list in
//! the client's order, the FQDN option if the client sent one and the
//! subnet mask last (DISCOVER and REQUEST only); without a list, subnet
//! mask, routers, name servers, host name, FQDN, every configured option
//! in storage order, the encapsulating options and vendor options.
//! Duplicates keep their first place; the subnet mask is moved before the
//! routers (RFC 2132 §3.3). Relay agent information is echoed last.

use std::borrow::Cow;
use std::net::Ipv4Addr;

use crate::options::SpaceId;
use crate::wire::dhcp::{option_space, Limits, MessageType, OpCode, RawOption, Repr, Vendor, FILE_LEN, SNAME_LEN};

use super::eval::{EvalContext, ScopeEvaluator};
use super::request::{code, Request};

/// ISC `PRIORITY_COUNT`.
const PRIORITY_COUNT: usize = 300;

/// The fixed fields of a reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// `htype`.
    pub htype: u8,
    /// `hlen`.
    pub hlen: u8,
    /// `chaddr`.
    pub chaddr: [u8; 16],
    /// `hops`.
    pub hops: u8,
    /// `xid`.
    pub xid: u32,
    /// `secs`.
    pub secs: u16,
    /// `flags`.
    pub flags: u16,
    /// `ciaddr`.
    pub ciaddr: Ipv4Addr,
    /// `yiaddr`.
    pub yiaddr: Ipv4Addr,
    /// `siaddr`.
    pub siaddr: Ipv4Addr,
    /// `giaddr`.
    pub giaddr: Ipv4Addr,
}

impl Header {
    /// The request's fields echoed, addresses other than ciaddr and giaddr
    /// cleared.
    pub fn echo(req: &Request<'_>) -> Header {
        Header {
            htype: req.repr.htype,
            hlen: req.repr.hlen,
            chaddr: req.repr.chaddr,
            hops: req.repr.hops,
            xid: req.repr.xid,
            secs: req.repr.secs,
            flags: req.repr.flags,
            ciaddr: req.repr.ciaddr,
            yiaddr: Ipv4Addr::UNSPECIFIED,
            siaddr: Ipv4Addr::UNSPECIFIED,
            giaddr: req.repr.giaddr,
        }
    }
}

/// How a reply is packed (ISC `cons_options` arguments).
#[derive(Clone, Copy, Debug)]
pub struct Packing<'a> {
    /// The maximum message size decided on (0 = none).
    pub mms: u16,
    /// Fields options may overflow into (1 file, 2 sname).
    pub overload: u8,
    /// NUL-terminate text options (the client did).
    pub terminate: bool,
    /// A BOOTP reply.
    pub bootp: bool,
    /// The parameter request list in force (the scope's or the client's).
    pub prl: Option<&'a [u8]>,
    /// `echo-client-id` is on.
    pub echo_client_id: bool,
    /// Relay agent information to echo.
    pub agent: Option<&'a [u8]>,
    /// `file` contents (the boot file name), possibly empty.
    pub file: &'a [u8],
    /// `sname` contents (the server name), possibly empty.
    pub sname: &'a [u8],
}

/// ISC's priority list for a reply (before duplicates are removed).
pub fn priority_list(prl: Option<&[u8]>, state_codes: &[u32], has_subnet_selection: bool, p: &Packing<'_>, req: &Request<'_>) -> Vec<u32> {
    let mut list: Vec<u32> = vec![53, 54, 51, 58, 59, 56, 50, 92];
    match prl.filter(|l| !l.is_empty()) {
        Some(prl) => {
            if has_subnet_selection {
                list.push(u32::from(code::SUBNET_SELECTION));
            }
            if p.echo_client_id {
                list.push(u32::from(code::CLIENT_IDENTIFIER));
            }
            let room = PRIORITY_COUNT - list.len();
            for &c in prl.iter().take(room) {
                if c != code::AGENT {
                    list.push(u32::from(c));
                }
            }
            if list.len() < PRIORITY_COUNT && req.option(code::FQDN).is_some() {
                list.push(u32::from(code::FQDN));
            }
            if list.len() < PRIORITY_COUNT
                && matches!(req.message_type, Some(MessageType::Discover | MessageType::Request))
            {
                list.push(u32::from(code::SUBNET_MASK));
            }
        }
        None => {
            list.extend([1, 3, 6, 12, 81]);
            for &c in state_codes {
                if list.len() < PRIORITY_COUNT && c != u32::from(code::AGENT) {
                    list.push(c);
                }
            }
            // Options carrying encapsulated spaces: NetWare/IP, FQDN, and
            // the vendor-identifying ones, then vendor options.
            for c in [63, 81, 124, 125, 43] {
                if list.len() < PRIORITY_COUNT {
                    list.push(c);
                }
            }
        }
    }
    list
}

/// ISC `store_options`' first pass: drop later duplicates and move the
/// subnet mask before the routers.
pub fn dedupe(list: &mut Vec<u32>) {
    let mut i = 0;
    while i < list.len() {
        let c = list[i];
        let mut j = i + 1;
        while j < list.len() {
            if list[j] == c {
                list.remove(j);
            } else {
                j += 1;
            }
        }
        if list[i] == u32::from(code::SUBNET_MASK) {
            if let Some(r) = list[..i].iter().rposition(|&x| x == u32::from(code::ROUTERS)) {
                list[r] = u32::from(code::SUBNET_MASK);
                list[i] = u32::from(code::ROUTERS);
            }
        }
        i += 1;
    }
}

/// The options of a reply with their values, in order, and whether the
/// last one is the last of ISC's priority list (it may then use the room
/// ISC keeps for the overload option).
pub fn cons_options<E: ScopeEvaluator>(
    eval: &mut E,
    cx: &EvalContext<'_>,
    state: &E::State<'_>,
    req: &Request<'_>,
    p: &Packing<'_>,
) -> (Vec<RawOption<'static>>, bool) {
    let codes = eval.option_codes(state, SpaceId::DHCP);
    let has_118 = eval.has_option(state, SpaceId::DHCP, u32::from(code::SUBNET_SELECTION));
    let mut list = priority_list(p.prl, &codes, has_118, p, req);
    dedupe(&mut list);
    let mut out = Vec::new();
    let mut last_is_final = false;
    let n = list.len();
    for (i, &c) in list.iter().enumerate() {
        let Ok(c8) = u8::try_from(c) else { continue };
        if matches!(c8, 0 | 52 | 255) || c8 == code::AGENT {
            continue;
        }
        let Some(mut v) = eval.reply_option(cx, state, c8).filter(|v| !v.is_empty()) else { continue };
        if p.terminate && eval.has_text(state, c8) {
            v.push(0);
        }
        out.push(RawOption::owned(c8, v));
        last_is_final = i + 1 == n;
    }
    (out, last_is_final)
}

/// Packs a reply: header, options (agent information appended) and ISC's
/// size rules. Never fails: fields that are too long are cut as ISC cuts
/// them.
pub fn emit(h: &Header, mut options: Vec<RawOption<'static>>, last_is_final: bool, p: &Packing<'_>, req: &Request<'_>) -> Vec<u8> {
    if let Some(a) = p.agent.filter(|a| !a.is_empty()) {
        options.push(RawOption::owned(code::AGENT, a.to_vec()));
    }
    let repr = Repr {
        op: OpCode::Reply,
        htype: h.htype,
        hlen: h.hlen,
        hops: h.hops,
        xid: h.xid,
        secs: h.secs,
        flags: h.flags,
        ciaddr: h.ciaddr,
        yiaddr: h.yiaddr,
        siaddr: h.siaddr,
        giaddr: h.giaddr,
        chaddr: h.chaddr,
        sname: Cow::Borrowed(&p.sname[..p.sname.len().min(SNAME_LEN)]),
        file: Cow::Borrowed(&p.file[..p.file.len().min(FILE_LEN)]),
        vendor: Vendor::Options(options),
    };
    let space = option_space(p.mms, req.option(code::MAX_MESSAGE_SIZE), p.bootp.then_some(req.raw.len()));
    let limits = Limits { option_space: space, overload: p.overload, min_len: crate::wire::dhcp::BOOTP_MIN_LEN, last_is_final };
    let mut buf = vec![0u8; limits.max_len()];
    match repr.emit_limited(&mut buf, &limits) {
        Ok(packed) => buf.truncate(packed.len),
        // The inputs are checked above; an error would be a bug in the
        // packer, and an empty reply is dropped by the caller.
        Err(_) => buf.clear(),
    }
    buf
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_keep_first_place_and_mask_precedes_routers() {
        let mut l = vec![53, 54, 3, 6, 3, 1, 15];
        dedupe(&mut l);
        assert_eq!(l, vec![53, 54, 1, 6, 3, 15]);
    }
}
