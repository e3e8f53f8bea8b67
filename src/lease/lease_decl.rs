//! The `lease A.B.C.D { ... }` block (ISC `parse_lease_declaration`).
//!
//! The statement tests, messages and recovery follow ISC: a problem ISC
//! tolerates is reported and parsing of the block goes on; one where ISC
//! returns 0 drops the lease. ISC also fills in defaults as it finishes a
//! block (a state when none was given, `tstp` from `ends`); we do the same
//! here so the record is the one ISC would enter. At that point ISC's lease
//! has no pool yet, so the "expired if the pool has a failover peer" branch
//! of its default never applies, and we do not pretend otherwise.

use std::net::Ipv4Addr;

use super::file::{atol, Outcome, Reader};
use super::{
    AgentOption, BillingClass, BindingState, BindingValue, EventStatements, HardwareAddr, Lease, HARDWARE_ADDR_MAX,
};
use crate::conf::keywords::Keyword as K;
use crate::conf::lexer::Token;
use crate::conf::parser::PResult;

// ISC's `seenmask` bits, one per statement that may appear once.
const SEEN_STARTS: u32 = 1;
const SEEN_ENDS: u32 = 2;
const SEEN_UID: u32 = 8;
const SEEN_CLASS: u32 = 32;
const SEEN_HARDWARE: u32 = 64;
const SEEN_NEXT: u32 = 128;
const SEEN_BINDING: u32 = 256;
const SEEN_REWIND: u32 = 512;
const SEEN_HOSTNAME: u32 = 1024;
const SEEN_BILLING: u32 = 2048;
const SEEN_DDNS_FWD: u32 = 4096;
const SEEN_DDNS_REV: u32 = 8192;
const SEEN_ON_EXPIRY: u32 = 16384;
const SEEN_ON_RELEASE: u32 = 32768;
const SEEN_TSTP: u32 = 65536;
const SEEN_TSFP: u32 = 131_072;
const SEEN_ATSFP: u32 = 262_144;
const SEEN_CLTT: u32 = 524_288;

/// A lease while its block is being read: ISC's zero values are `None`.
struct Draft {
    lease: Lease,
    binding: Option<BindingState>,
    next: Option<BindingState>,
    rewind: Option<BindingState>,
}

/// What one statement did.
enum Step {
    /// Go on with the block; the value is the statement's seen bit.
    Seen(u32),
    /// The lease is malformed: ISC's `return 0`.
    Drop,
}

impl Reader<'_> {
    /// After `lease`: the whole block. Returns the outcome, whether the
    /// file ended inside the block (where ISC keeps what it read), and the
    /// address (for messages).
    pub(super) fn lease_declaration(&mut self) -> PResult<(Outcome<Lease>, bool, String)> {
        let addr = self.p.parse_numeric_aggregate(4, Some(b'.'), 10, 8)?;
        let Some(addr) = addr else {
            return Ok((Outcome::Bad, false, "(no address)".into()));
        };
        let ip = match addr.as_slice() {
            [a, b, c, d] => Ipv4Addr::new(*a, *b, *c, *d),
            // Only at end of file: ISC's aggregate stops short there.
            _ => Ipv4Addr::UNSPECIFIED,
        };
        let ip_text = ip.to_string();
        if !self.lbrace()? {
            return Ok((Outcome::Bad, false, ip_text));
        }
        let mut d = Draft { lease: Lease::new(ip), binding: None, next: None, rewind: None };
        let mut seen: u32 = 0;
        loop {
            let t = self.p.next_token()?;
            if t.is(b'}') {
                break;
            }
            if t == Token::Eof {
                self.p.parse_warn("unexpected end of file");
                return Ok((Outcome::Bad, true, ip_text));
            }
            // ISC copies the keyword into a 32-byte buffer for one message.
            let mut tbuf = self.p.lex.value_cstr().to_vec();
            tbuf.truncate(31);
            let bit = match self.lease_statement(t, &mut d, seen)? {
                Step::Seen(bit) => bit,
                Step::Drop => return Ok((Outcome::Bad, false, ip_text)),
            };
            if seen & bit != 0 {
                self.p.parse_warn(format!(
                    "Too many {} parameters in lease {}\n",
                    String::from_utf8_lossy(&tbuf),
                    ip_text
                ));
            } else {
                seen |= bit;
            }
        }
        let mut lease = d.lease;
        if seen & SEEN_BINDING == 0 {
            let state = if lease.ends > self.now || lease.on_expiry.is_some() || lease.on_release.is_some() {
                BindingState::Active
            } else {
                BindingState::Free
            };
            lease.binding_state = state;
            lease.next_binding_state = if state == BindingState::Active { BindingState::Free } else { state };
            lease.rewind_binding_state = Some(state);
        } else {
            // A `binding` statement that failed leaves ISC's state 0, which
            // its writer prints as `abandoned`.
            lease.binding_state = d.binding.unwrap_or(BindingState::Abandoned);
            lease.next_binding_state = d.next.unwrap_or(lease.binding_state);
            lease.rewind_binding_state = d.rewind;
        }
        if seen & SEEN_TSTP == 0 {
            lease.tstp = lease.ends;
        }
        Ok((Outcome::Done(lease), false, ip_text))
    }

    /// One statement inside the block, its keyword `t` already read.
    fn lease_statement(&mut self, t: Token, d: &mut Draft, seen: u32) -> PResult<Step> {
        let Token::Kw(kw) = t else {
            return self.lease_other_statement(d);
        };
        Ok(match kw {
            K::Starts | K::Ends | K::Tstp | K::Tsfp | K::Atsfp | K::Cltt => {
                let v = self.p.parse_date()?;
                let l = &mut d.lease;
                let (slot, bit) = match kw {
                    K::Starts => (&mut l.starts, SEEN_STARTS),
                    K::Ends => (&mut l.ends, SEEN_ENDS),
                    K::Tstp => (&mut l.tstp, SEEN_TSTP),
                    K::Tsfp => (&mut l.tsfp, SEEN_TSFP),
                    K::Atsfp => (&mut l.atsfp, SEEN_ATSFP),
                    _ => (&mut l.cltt, SEEN_CLTT),
                };
                *slot = v;
                Step::Seen(bit)
            }
            K::Timestamp => {
                // ISC parses the date, then exits with "Impossible error".
                self.p.parse_date()?;
                self.p.parse_warn("timestamp is not a lease field.");
                Step::Drop
            }
            K::Uid => self.lease_uid(d)?,
            K::Class => {
                let t = self.p.next_token()?;
                if !t.is_identifier() {
                    if !t.is(b';') {
                        self.p.skip_to_rbrace(1)?;
                    }
                    return Ok(Step::Drop);
                }
                self.p.parse_semi()?;
                Step::Seen(SEEN_CLASS)
            }
            K::Hardware => {
                let before = self.p.diagnostics.len();
                if let Some(hw) = self.p.parse_hardware_param()? {
                    // ISC leaves the old address when the new one is too long.
                    let too_long =
                        self.p.diagnostics[before..].iter().any(|m| m.message == "hardware address too long");
                    if !too_long && hw.addr.len() <= HARDWARE_ADDR_MAX {
                        d.lease.hardware = Some(HardwareAddr { htype: hw.htype, addr: hw.addr });
                    }
                }
                Step::Seen(SEEN_HARDWARE)
            }
            K::Reserved => {
                d.lease.reserved = true;
                self.p.parse_semi()?;
                Step::Seen(0)
            }
            K::DynamicBootp => {
                d.lease.bootp = true;
                self.p.parse_semi()?;
                Step::Seen(0)
            }
            K::Abandoned => {
                d.binding = Some(BindingState::Abandoned);
                d.next = Some(BindingState::Abandoned);
                self.p.parse_semi()?;
                Step::Seen(SEEN_BINDING)
            }
            K::Next | K::Rewind | K::Binding => self.lease_binding_state(kw, d, seen)?,
            K::ClientHostname => {
                if self.p.peek_token()? == Token::String {
                    let Some(mut s) = self.p.parse_string()? else {
                        return Ok(Step::Drop);
                    };
                    // ISC keeps a C string.
                    if let Some(n) = s.iter().position(|&b| b == 0) {
                        s.truncate(n);
                    }
                    d.lease.client_hostname = Some(s);
                } else {
                    match self.p.parse_host_name()? {
                        Some(name) => {
                            d.lease.client_hostname = Some(name.into_bytes());
                            self.p.parse_semi()?;
                        }
                        None => {
                            self.p.parse_warn("expecting a hostname.");
                            self.p.skip_to_semi()?;
                            return Ok(Step::Drop);
                        }
                    }
                }
                Step::Seen(SEEN_HOSTNAME)
            }
            K::Billing => {
                self.lease_billing(d)?;
                Step::Seen(SEEN_BILLING)
            }
            K::On => self.lease_on(d)?,
            K::Option | K::Supersede => self.lease_agent_option(d)?,
            K::Set => {
                let t = self.p.next_token()?;
                if t != Token::Name && t != Token::NumberOrName {
                    let v = self.p.val();
                    self.p.parse_warn(format!("{} can't be a variable name", v));
                    self.p.skip_to_semi()?;
                    return Ok(Step::Drop);
                }
                let name = self.p.val();
                self.lease_set(d, name, true, 0)?
            }
            _ => self.lease_other_statement(d)?,
        })
    }

    /// A statement that starts with no lease keyword: ISC's old bare
    /// `ddns-fwd-name "..."` / `ddns-rev-name "..."` (no `=`), or an error.
    fn lease_other_statement(&mut self, d: &mut Draft) -> PResult<Step> {
        let name = self.p.val();
        if name.eq_ignore_ascii_case("ddns-fwd-name") {
            return self.lease_set(d, name, false, SEEN_DDNS_FWD);
        }
        if name.eq_ignore_ascii_case("ddns-rev-name") {
            return self.lease_set(d, name, false, SEEN_DDNS_REV);
        }
        self.p.parse_warn("Unexpected configuration directive.");
        self.p.skip_to_semi()?;
        Ok(Step::Drop)
    }

    /// `uid "..." ;` or `uid xx:xx:... ;`.
    fn lease_uid(&mut self, d: &mut Draft) -> PResult<Step> {
        if self.p.peek_token()? == Token::String {
            self.p.skip_token()?;
            // ISC keeps `uid ""` as an empty identifier (its hash code
            // then complains; nothing writes it back).
            d.lease.uid = Some(self.p.val_bytes());
        } else {
            let Some(v) = self.p.parse_numeric_aggregate(0, Some(b':'), 16, 8)? else {
                return Ok(Step::Drop);
            };
            if v.is_empty() {
                d.lease.uid = None;
                self.p.parse_warn("zero-length uid");
                self.p.parse_semi()?;
                return Ok(Step::Seen(0));
            }
            d.lease.uid = Some(v);
        }
        self.p.parse_semi()?;
        Ok(Step::Seen(SEEN_UID))
    }

    /// `[next|rewind] binding state S ;` with the keyword `kw` read.
    fn lease_binding_state(&mut self, kw: K, d: &mut Draft, seen: u32) -> PResult<Step> {
        let bit = match kw {
            K::Next => SEEN_NEXT,
            K::Rewind => SEEN_REWIND,
            _ => SEEN_BINDING,
        };
        if kw != K::Binding && self.p.next_token()? != Token::Kw(K::Binding) {
            self.p.parse_warn("expecting 'binding'");
            self.p.skip_to_semi()?;
            return Ok(Step::Seen(bit));
        }
        if self.p.next_token()? != Token::Kw(K::State) {
            self.p.parse_warn("expecting 'state'");
            self.p.skip_to_semi()?;
            return Ok(Step::Seen(bit));
        }
        let state = match self.p.next_token()? {
            Token::Kw(K::Abandoned) => BindingState::Abandoned,
            Token::Kw(K::Free) => BindingState::Free,
            Token::Kw(K::Active) => BindingState::Active,
            Token::Kw(K::Expired) => BindingState::Expired,
            Token::Kw(K::Released) => BindingState::Released,
            Token::Kw(K::Reset) => BindingState::Reset,
            Token::Kw(K::Backup) => BindingState::Backup,
            // Older servers wrote these as states; they are flags now.
            Token::Kw(K::Reserved) => {
                d.lease.reserved = true;
                BindingState::Active
            }
            Token::Kw(K::Bootp) => {
                d.lease.bootp = true;
                BindingState::Active
            }
            _ => {
                let v = self.p.val();
                self.p.parse_warn(format!("{}: expecting a binding state.", v));
                self.p.skip_to_semi()?;
                return Ok(Step::Drop);
            }
        };
        match bit {
            SEEN_BINDING => {
                d.binding = Some(state);
                if seen & SEEN_NEXT == 0 {
                    d.next = Some(state);
                }
                if seen & SEEN_REWIND == 0 {
                    d.rewind = Some(state);
                }
            }
            SEEN_NEXT => d.next = Some(state),
            _ => d.rewind = Some(state),
        }
        self.p.parse_semi()?;
        Ok(Step::Seen(bit))
    }

    /// `billing class "C" ;` or `billing subclass "C" HASH ;`.
    fn lease_billing(&mut self, d: &mut Draft) -> PResult<()> {
        let t = self.p.next_token()?;
        if t == Token::Kw(K::Class) {
            let t = self.p.next_token()?;
            if t != Token::String {
                self.p.parse_warn("expecting string");
                if !t.is(b';') {
                    self.p.skip_to_semi()?;
                }
                return Ok(());
            }
            let name = String::from_utf8_lossy(self.p.lex.value_cstr()).into_owned();
            d.lease.billing_class = None;
            if self.class_known(&name) {
                d.lease.billing_class = Some(BillingClass::Class(name));
            } else {
                self.p.parse_warn(format!("unknown class {}", name));
            }
            self.p.parse_semi()?;
        } else if t == Token::Kw(K::Subclass) {
            d.lease.billing_class = None;
            if let Outcome::Done(c) = self.class_declaration(true)? {
                if let super::records::ClassName::Subclass { parent, hash } = c.name {
                    d.lease.billing_class = Some(BillingClass::Subclass { parent, hash });
                }
            }
        } else {
            self.p.parse_warn("expecting \"class\"");
            if !t.is(b';') {
                self.p.skip_to_semi()?;
            }
        }
        Ok(())
    }

    /// `on EVENT [or EVENT...] { statements }` (ISC `parse_on_statement`);
    /// the statements are kept as text.
    fn lease_on(&mut self, d: &mut Draft) -> PResult<Step> {
        let (mut expiry, mut release) = (false, false);
        let mut t;
        loop {
            match self.p.next_token()? {
                Token::Kw(K::Expiry) => expiry = true,
                Token::Kw(K::Release) => release = true,
                Token::Kw(K::Commit) | Token::Kw(K::Transmission) => {}
                _ => {
                    self.p.parse_warn("expecting a lease event type");
                    self.p.skip_to_semi()?;
                    self.p.skip_to_rbrace(1)?;
                    return Ok(Step::Drop);
                }
            }
            t = self.p.next_token()?;
            if t != Token::Kw(K::Or) {
                break;
            }
        }
        if t.is(b';') {
            // No statements: nothing to keep.
            return Ok(Step::Seen(0));
        }
        if !t.is(b'{') {
            self.p.parse_warn("left brace expected.");
            self.p.skip_to_semi()?;
            self.p.skip_to_rbrace(1)?;
            return Ok(Step::Drop);
        }
        let Some(block) = self.capture_block()? else {
            return Ok(Step::Drop);
        };
        let mut bit = 0;
        if block.nonempty {
            let body = EventStatements { text: block.text };
            if expiry {
                bit |= SEEN_ON_EXPIRY;
                d.lease.on_expiry = Some(body.clone());
            }
            if release {
                bit |= SEEN_ON_RELEASE;
                d.lease.on_release = Some(body);
            }
        }
        Ok(Step::Seen(bit))
    }

    /// `option agent.NAME VALUE ;` — the value is kept as text.
    fn lease_agent_option(&mut self, d: &mut Draft) -> PResult<Step> {
        let t = self.p.next_token()?;
        if !t.is_identifier() {
            self.p.parse_warn("expecting identifier after option keyword.");
            if !t.is(b';') {
                self.p.skip_to_semi()?;
            }
            return Ok(Step::Seen(0));
        }
        let mut universe = "dhcp".to_string();
        let mut name = self.p.val();
        if self.p.peek_token()?.is(b'.') {
            self.p.skip_token()?;
            let t = self.p.next_token()?;
            if !t.is_identifier() {
                self.p.parse_warn("expecting identifier after '.'");
                if !t.is(b';') {
                    self.p.skip_to_semi()?;
                }
                return Ok(Step::Seen(0));
            }
            universe = name;
            name = self.p.val();
        }
        let start = self.p.lex.offset();
        loop {
            let t = self.p.next_token()?;
            if t.is(b';') {
                break;
            }
            if t == Token::Eof {
                return Ok(Step::Drop);
            }
            if t.is(b'{') || t.is(b'}') {
                self.p.parse_warn("semicolon expected.");
                if t.is(b'{') {
                    self.p.skip_to_rbrace(2)?;
                }
                return Ok(Step::Drop);
            }
        }
        if !universe.eq_ignore_ascii_case("agent") {
            self.p.parse_warn("agent option expected.");
            return Ok(Step::Seen(0));
        }
        let end = self.p.lex.offset().saturating_sub(1);
        let value = self.input_slice(start, end);
        let value = trim_ascii(&value).to_vec();
        d.lease.agent_options.push(AgentOption { name, value_text: value });
        Ok(Step::Seen(0))
    }

    /// The rest of `set NAME = VALUE ;` (or the bare ddns form, without
    /// `=`), ISC's `special_set`.
    fn lease_set(&mut self, d: &mut Draft, name: String, equal: bool, bit: u32) -> PResult<Step> {
        if equal && !self.p.next_token()?.is(b'=') {
            self.p.parse_warn("expecting '=' in set statement.");
            self.p.skip_to_semi()?;
            return Ok(Step::Drop);
        }
        let Some(value) = self.binding_value()? else {
            return Ok(Step::Drop);
        };
        d.lease.set_binding(&name, value);
        self.p.parse_semi()?;
        Ok(Step::Seen(bit))
    }

    /// The right side of a binding (ISC `parse_binding_value`).
    fn binding_value(&mut self) -> PResult<Option<BindingValue>> {
        let t = self.p.peek_token()?;
        if t == Token::String {
            self.p.skip_token()?;
            return Ok(Some(BindingValue::Data(self.p.val_bytes())));
        }
        if t == Token::NumberOrName {
            return Ok(match self.p.parse_numeric_aggregate(0, Some(b':'), 16, 8)? {
                Some(v) => Some(BindingValue::Data(v)),
                None => {
                    self.p.skip_to_semi()?;
                    None
                }
            });
        }
        if t.is(b'%') {
            self.p.skip_token()?;
            let t = self.p.next_token()?;
            if t != Token::Number {
                self.p.parse_warn("expecting decimal number.");
                if !t.is(b';') {
                    self.p.skip_to_semi()?;
                }
                return Ok(None);
            }
            return Ok(Some(BindingValue::Numeric(atol(self.p.lex.value_cstr()))));
        }
        if t == Token::Name {
            self.p.next_token()?;
            let v = self.p.lex.value_cstr().to_ascii_lowercase();
            return Ok(match v.as_slice() {
                b"true" => Some(BindingValue::Boolean(true)),
                b"false" => Some(BindingValue::Boolean(false)),
                _ => {
                    self.p.parse_warn("expecting true or false");
                    self.p.skip_to_semi()?;
                    None
                }
            });
        }
        self.p.parse_warn("expecting a constant value.");
        if !t.is(b';') {
            self.p.skip_to_semi()?;
        }
        Ok(None)
    }
}

fn trim_ascii(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(s.len());
    let end = s.iter().rposition(|b| !b.is_ascii_whitespace()).map_or(start, |e| e + 1);
    &s[start..end.max(start)]
}
