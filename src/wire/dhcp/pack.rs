/*!
Size-limited emit: [`Repr::emit_limited`] fits the option list into a maximum message size the way
ISC 4.4's `cons_options` and `store_options` (`common/options.c`) do, so replies match ISC byte
for byte when the engine hands over the same options in the same order.

What is implemented (facts read from ISC and checked against `dhcpd` 4.4.3 on the wire, see
`testdata/README.md`):

* **Budget.** The options field (cookie included) may use [`option_space`] bytes: from the
  maximum message size M, 312 if M < 576, 1236 if M > 1500, else M − 264 (IP and UDP headers
  and the fixed 236 bytes); 312 when there is no M; for BOOTP without M, 64, or the request's
  own vendor-area size when that is larger.
* **Relay agent options last.** Option 82 entries are taken out of the list, encoded on their
  own, and written after everything else, just before END. The budget grows by their size (up
  to 1236), so echoing them never pushes other options out; when they still do not fit they are
  dropped and [`Packed::agent_dropped`] is set (ISC logs `Unable to store relay agent
  information in reply packet.`).
* **Order and first fit.** Options go in list order. Each one goes whole into the first region
  with room: the options field, then `file`, then `sname` (the latter two only when allowed by
  [`Limits::overload`] and empty in the `Repr`). The options field keeps 3 bytes free for the
  overload option (and one more for END); the last option of the list may use those when
  nothing has overflowed yet (ISC's rule for the last entry of its priority list).
  `file`/`sname` keep one byte for their END.
* **Splitting.** A value longer than 255 bytes, or one that fits no region whole, is split into
  pieces (RFC 3396) filling the rest of the options field, then of `file`, then of `sname`.
  When not even a piece fits anywhere, the option is rolled back, listed in
  [`Packed::dropped`], and the next option is tried.
* **Framing.** When `file` or `sname` was used: option 52 (value 1 file, 2 sname, 3 both)
  follows the options in the options field, and each used field gets END then PAD. Then the
  agent options, then END, but only if the options field is not exactly full (ISC omits END
  then; seen in `isc_offer_overload_frame.hex`). The message is zero-padded to
  [`Limits::min_len`] (300, `BOOTP_MIN_LEN`).
* **Not here, because they are policy:** which options and in what order (ISC's priority list:
  53, 54, 51, 58, 59, 56, 50, 92, then the PRL, subnet mask before routers, ...), removing
  duplicate codes, and the trailing NUL ISC adds to text options for Microsoft clients (append
  it to the value). Empty values are skipped: ISC never sends an option with no data.
*/

use super::repr::{write_option, Repr, Vendor};
use super::{
    Error, Packet, Result, FILE_LEN, FIXED_LEN, HEADER_LEN, MAGIC_COOKIE, OPT_AGENT_INFORMATION,
    OPT_END, OPT_OVERLOAD, OPT_PAD, OVERLOAD_FILE, OVERLOAD_SNAME, SNAME_LEN,
};

/// Options field budget for a 576-byte message (ISC `DHCP_MIN_OPTION_LEN`).
pub const MIN_OPTION_SPACE: usize = 576 - FIXED_LEN - UDP_IP_LEN;
/// Options field budget for a 1500-byte message (ISC `DHCP_MAX_OPTION_LEN`).
pub const MAX_OPTION_SPACE: usize = 1500 - FIXED_LEN - UDP_IP_LEN;
/// IPv4 + UDP headers, which a maximum message size counts.
const UDP_IP_LEN: usize = 28;
/// The BOOTP vendor area (RFC 951).
const BOOTP_OPTION_SPACE: usize = 64;
/// ISC encodes agent options into a buffer of this size first.
const AGENT_SPACE: usize = 1024;

/// The options field budget (cookie included) for a reply, as ISC's `cons_options` computes it.
///
/// `mms` is the maximum message size the server decided on (0 = none). `client_mms` is the raw
/// value of the request's option 57: its first two bytes count when smaller than `mms`.
/// `bootp_request_len` is `Some(length of the request)` for a BOOTP reply. (ISC's `ack_lease`
/// passes as `mms` the client's option 57 when it is exactly two bytes, else the configured
/// `dhcp-max-message-size`; INFORM and NAK replies pass 0.)
pub fn option_space(
    mms: u16,
    client_mms: Option<&[u8]>,
    bootp_request_len: Option<usize>,
) -> usize {
    let mut mms = usize::from(mms);
    if let Some(&[a, b, ..]) = client_mms {
        let client = usize::from(u16::from_be_bytes([a, b]));
        if mms == 0 || client < mms {
            mms = client;
        }
    }
    match (mms, bootp_request_len) {
        (0, Some(len)) if len >= FIXED_LEN + BOOTP_OPTION_SPACE => {
            (len - FIXED_LEN).min(MAX_OPTION_SPACE)
        }
        (0, Some(_)) => BOOTP_OPTION_SPACE,
        (0, None) => MIN_OPTION_SPACE,
        (m, _) if m < 576 => MIN_OPTION_SPACE,
        (m, _) if m > 1500 => MAX_OPTION_SPACE,
        (m, _) => m - FIXED_LEN - UDP_IP_LEN,
    }
}

/// How much room a reply has and where options may overflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Options field budget, cookie included, before agent options; see [`option_space`].
    /// Taken as at least 64 and at most [`MAX_OPTION_SPACE`].
    pub option_space: usize,
    /// Fields that may carry options: [`OVERLOAD_FILE`] | [`OVERLOAD_SNAME`]. ISC allows both
    /// for OFFER/ACK/BOOTP replies (each only if empty) and neither for INFORM replies and NAKs.
    pub overload: u8,
    /// Zero-pad the message to at least this many bytes (ISC: 300).
    pub min_len: usize,
    /// Whether the last list entry gets ISC's last-entry allowance (see the module doc). ISC
    /// grants it only when the last code of its priority list has a value; set this to false
    /// when the engine's list ends before ISC's priority list would.
    pub last_is_final: bool,
}

impl Limits {
    /// ISC's defaults for an OFFER or ACK with the given budget: both fields may overflow,
    /// padding to 300, last-entry allowance on.
    pub fn new(option_space: usize) -> Limits {
        Limits {
            option_space,
            overload: OVERLOAD_FILE | OVERLOAD_SNAME,
            min_len: super::BOOTP_MIN_LEN,
            last_is_final: true,
        }
    }

    /// The largest message these limits can produce: a buffer this long always suffices.
    pub fn max_len(&self) -> usize {
        (FIXED_LEN + MAX_OPTION_SPACE).max(self.min_len)
    }
}

/// What [`Repr::emit_limited`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Packed {
    /// Bytes of the message, padding included.
    pub len: usize,
    /// Value of the overload option written (0 = none).
    pub overload: u8,
    /// Codes of options left out for lack of room, in list order.
    pub dropped: Vec<u8>,
    /// True when relay agent options were present but did not fit.
    pub agent_dropped: bool,
}

/// One place options can be written: the options field, `file` or `sname`.
struct Region {
    bytes: Vec<u8>,
    pos: usize,
}

impl Region {
    fn new(cap: usize) -> Region {
        Region {
            bytes: vec![0; cap],
            pos: 0,
        }
    }

    fn cap(&self) -> usize {
        self.bytes.len()
    }

    fn put(&mut self, code: u8, piece: &[u8]) {
        self.pos += write_option(&mut self.bytes[self.pos..], code, piece);
    }
}

/// ISC's placement rules over three regions (an absent region has capacity 0).
struct Packer {
    main: Region,
    file: Region,
    sname: Region,
}

impl Packer {
    /// Places one option; false when it fit nowhere and was rolled back.
    fn place(&mut self, code: u8, data: &[u8], last: bool) -> bool {
        let saved = (self.main.pos, self.file.pos, self.sname.pos);
        let mut rest = data;
        let mut split = data.len() > 255;
        while !rest.is_empty() {
            let len = rest.len();
            let overflowed = self.file.pos != 0 || self.sname.pos != 0;
            let (m, f, s) = (&self.main, &self.file, &self.sname);
            // Whole fits first: the options field keeps 3 bytes for option 52 and 1 for END,
            // except for the last option before any overflow; file and sname keep 1 for END.
            let (region, room) = if !split
                && ((!overflowed && last && m.pos + 2 + len < m.cap()) || m.pos + 5 + len < m.cap())
            {
                (&mut self.main, len)
            } else if !split && f.cap() > 0 && f.pos + 3 + len < f.cap() {
                (&mut self.file, len)
            } else if !split && s.cap() > 0 && s.pos + 3 + len < s.cap() {
                (&mut self.sname, len)
            } else {
                split = true;
                if m.pos + 6 < m.cap() {
                    let room = m.cap() - m.pos - 5;
                    (&mut self.main, room)
                } else if f.cap() > 0 && f.pos + 4 < f.cap() {
                    let room = f.cap() - f.pos - 3;
                    (&mut self.file, room)
                } else if s.cap() > 0 && s.pos + 4 < s.cap() {
                    let room = s.cap() - s.pos - 3;
                    (&mut self.sname, room)
                } else {
                    (self.main.pos, self.file.pos, self.sname.pos) = saved;
                    return false;
                }
            };
            let n = room.min(len).min(255);
            region.put(code, &rest[..n]);
            rest = &rest[n..];
        }
        true
    }
}

/// Closes a used overflow field: END after its options; the rest is already PAD (zero).
fn close_field(region: &mut Region) -> Option<&[u8]> {
    if region.pos == 0 {
        return None;
    }
    region.bytes[region.pos] = OPT_END;
    Some(&region.bytes)
}

impl Repr<'_> {
    /// Writes the message into `buf` within `limits`, the way ISC builds a reply (see the
    /// module doc), and returns its length and what was left out. `buf` needs at most
    /// [`Limits::max_len`] bytes. A raw BOOTP vendor area is copied as is (its first
    /// [`MAX_OPTION_SPACE`] bytes, all a 1500-byte MTU can carry), then padded.
    /// The list may not hold PAD, END or option 52.
    pub fn emit_limited(&self, buf: &mut [u8], limits: &Limits) -> Result<Packed> {
        self.check_emit(&[OPT_PAD, OPT_END, OPT_OVERLOAD])?;
        let list = match &self.vendor {
            Vendor::Raw(raw) => {
                // ISC copies into an options buffer of MAX_OPTION_SPACE bytes; more than that
                // cannot come from a 1500-byte MTU, and is cut rather than overrun.
                let raw = &raw[..raw.len().min(MAX_OPTION_SPACE)];
                let len = (FIXED_LEN + raw.len()).max(limits.min_len);
                let mut packet = prepare(buf, len)?;
                self.emit_header(&mut packet);
                packet.vendor_area_mut()[..raw.len()].copy_from_slice(raw);
                return Ok(Packed {
                    len,
                    overload: 0,
                    dropped: Vec::new(),
                    agent_dropped: false,
                });
            }
            Vendor::Options(list) => list,
        };

        // Agent options are encoded alone first; their size extends the budget.
        let mut agent = Packer {
            main: Region::new(AGENT_SPACE),
            file: Region::new(0),
            sname: Region::new(0),
        };
        let agents: Vec<_> = list
            .iter()
            .filter(|o| o.code == OPT_AGENT_INFORMATION)
            .collect();
        let mut agent_dropped = false;
        for (i, o) in agents.iter().enumerate() {
            agent_dropped |= !agent.place(o.code, &o.data, i + 1 == agents.len());
        }
        let agent_size = agent.main.pos;
        let space = limits
            .option_space
            .clamp(BOOTP_OPTION_SPACE, MAX_OPTION_SPACE);
        let total = (space + agent_size).min(MAX_OPTION_SPACE);
        let main_space = if total > agent_size {
            total - agent_size
        } else {
            total
        };

        let field = |bit: u8, empty: bool, cap: usize| {
            Region::new(if limits.overload & bit != 0 && empty {
                cap
            } else {
                0
            })
        };
        let mut packer = Packer {
            main: Region::new(main_space.saturating_sub(MAGIC_COOKIE.len())),
            file: field(OVERLOAD_FILE, self.file.is_empty(), FILE_LEN),
            sname: field(OVERLOAD_SNAME, self.sname.is_empty(), SNAME_LEN),
        };
        let others: Vec<_> = list
            .iter()
            .filter(|o| o.code != OPT_AGENT_INFORMATION)
            .collect();
        let mut dropped = Vec::new();
        for (i, o) in others.iter().enumerate() {
            let last = limits.last_is_final && i + 1 == others.len();
            if !packer.place(o.code, &o.data, last) {
                dropped.push(o.code);
            }
        }

        // Assemble the options field: cookie, options, 52, agent options, END if room.
        let mut opts = packer.main.bytes[..packer.main.pos].to_vec();
        let overload = (u8::from(packer.file.pos != 0) * OVERLOAD_FILE)
            | (u8::from(packer.sname.pos != 0) * OVERLOAD_SNAME);
        if overload != 0 {
            // The placement rules always leave these 3 bytes.
            opts.extend_from_slice(&[OPT_OVERLOAD, 1, overload]);
        }
        let used = MAGIC_COOKIE.len() + opts.len();
        if agent_size > 0 {
            if total.saturating_sub(used) >= agent_size {
                opts.extend_from_slice(&agent.main.bytes[..agent_size]);
            } else {
                agent_dropped = true;
            }
        }
        if MAGIC_COOKIE.len() + opts.len() < total {
            opts.push(OPT_END);
        }

        let len = (HEADER_LEN + opts.len()).max(limits.min_len);
        let mut packet = prepare(buf, len)?;
        self.emit_header(&mut packet);
        packet.set_magic_cookie();
        packet.options_area_mut()[..opts.len()].copy_from_slice(&opts);
        if let Some(file) = close_field(&mut packer.file) {
            packet.set_file(file);
        }
        if let Some(sname) = close_field(&mut packer.sname) {
            packet.set_sname(sname);
        }
        Ok(Packed {
            len,
            overload,
            dropped,
            agent_dropped,
        })
    }
}

/// Checks `buf` holds `len` bytes, zeroes them and views them as a packet.
fn prepare(buf: &mut [u8], len: usize) -> Result<Packet<&mut [u8]>> {
    let have = buf.len();
    let bytes = buf
        .get_mut(..len)
        .ok_or(Error::BufferTooSmall { need: len, have })?;
    bytes.fill(0);
    Ok(Packet::new_unchecked(bytes))
}
