//! Host and group declarations, the host-only parameters (`hardware`,
//! `fixed-address`), and the two global settings `lease-id-format` and
//! `server-duid`.
//!
//! Hosts and named groups live in ISC's name hashes, whose quirks decide
//! what `dhcpd -t` accepts: a host name may be declared again only after a
//! `deleted;` declaration of it, and a named group declared a second time
//! makes its name unknown instead of taking its place. [`DeclState`] keeps those
//! tables (and the others the declaration families need) while parsing.

use crate::conf::fasthash::FastMap as HashMap;
use crate::conf::name_index::NameIndex;

use super::super::keywords::Keyword as K;
use super::super::lexer::Token;
use super::super::model::{
    FixedAddresses, Group, GroupId, Host, HostIdentifier, LeaseIdFormat, NamedGroup, ScopeKind, ServerDuid,
};
use super::super::parser::{PResult, Parser};
use super::common::atoi;

/// Which keyword declared a class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClassKind {
    /// `class "name" { ... }`
    Class,
    /// `subclass "class" DATA [{ ... }]`
    Subclass,
    /// `vendor-class` (old syntax)
    Vendor,
    /// `user-class` (old syntax)
    User,
}

/// What ISC's group name hash holds for a name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NamedGroupEntry {
    /// A usable group (index into `Config::named_groups`).
    Live(usize),
    /// A deleted or superseded group: hosts may still name it (no error)
    /// but get nothing from it.
    Deleted(usize),
}

/// Lookup tables kept while parsing, standing for ISC's global hashes and
/// lists that decide later declarations' fate.
#[derive(Debug, Default)]
pub struct DeclState {
    /// Host name → index into `Config::hosts` (ISC `host_name_hash`); the
    /// names themselves are read from the hosts.
    pub(crate) host_by_name: NameIndex,
    /// Group name → entry (ISC `group_name_hash`).
    pub(crate) named_group_by_name: HashMap<String, NamedGroupEntry>,
    /// The subnet entered last: the head of ISC's global subnet list, the
    /// only one a new subnet is checked against for overlap.
    pub(crate) last_subnet: Option<usize>,
    /// Addresses already declared by ranges, as sorted disjoint inclusive
    /// intervals (ISC's lease address hash).
    pub(crate) leased: Vec<(u32, u32)>,
    /// `class` declarations findable by name, in declaration order (ISC's
    /// class collection).
    pub(crate) class_collection: Vec<usize>,
    /// (class, data) → subclass (ISC's per-class subclass hash).
    pub(crate) subclass_by_data: HashMap<(usize, Vec<u8>), usize>,
}

impl Parser<'_> {
    /// Reports a construct this parser does not handle yet and skips it.
    pub(crate) fn unfinished(&mut self, what: &str) -> PResult<()> {
        self.parse_warn(format!("{} is not supported yet.", what));
        self.skip_to_semi()
    }

    /// The current token's text as ISC's C code sees it (cut at a NUL).
    pub(crate) fn c_text(&self) -> String {
        String::from_utf8_lossy(self.lex.value_cstr()).into_owned()
    }

    /// Expects `{` (ISC `parse_lbrace`): reports and skips if missing.
    pub(crate) fn parse_lbrace(&mut self) -> PResult<bool> {
        if !self.next_token()?.is(b'{') {
            self.parse_warn("expecting left brace.");
            self.skip_to_semi()?;
            return Ok(false);
        }
        Ok(true)
    }

    /// A new scope inside `parent` (ISC `clone_group`): it inherits by
    /// reference, and knows nothing of the parent's subnet or shared network.
    pub(crate) fn clone_group(&mut self, parent: GroupId, kind: ScopeKind) -> GroupId {
        self.config.add_group(Group::new(kind, Some(parent)))
    }

    /// `host NAME { ... }` (ISC `parse_host_declaration`).
    pub(crate) fn parse_host_declaration(&mut self, group: GroupId) -> PResult<()> {
        let Some(name) = self.parse_host_name()? else {
            self.parse_warn("expecting a name for host declaration.");
            self.skip_to_semi()?;
            return Ok(());
        };
        let hgroup = self.clone_group(group, ScopeKind::Host);
        if !self.parse_lbrace()? {
            return Ok(());
        }
        let idx = self.config.hosts.len();
        self.config.hosts.push(Host {
            name,
            group: hgroup,
            hardware: None,
            fixed_addresses: None,
            fixed_prefixes6: Vec::new(),
            uid: None,
            host_identifier: None,
            named_group: None,
            dynamic: false,
            deleted: false,
        });
        self.enter()?;
        let mut declaration = false;
        let mut deleted = false;
        loop {
            let t = self.peek_token()?;
            match t {
                Token::Punct(b'}') => {
                    self.skip_token()?;
                    break;
                }
                Token::Eof => {
                    self.skip_token()?;
                    self.parse_warn("unexpected end of file");
                    break;
                }
                Token::Kw(K::Dynamic) | Token::Kw(K::Deleted) => {
                    if t == Token::Kw(K::Dynamic) {
                        self.config.hosts[idx].dynamic = true;
                    } else {
                        deleted = true;
                    }
                    self.skip_token()?;
                    if !self.parse_semi()? {
                        break;
                    }
                }
                Token::Kw(K::Group) => {
                    if !self.parse_host_group_reference(idx)? {
                        break;
                    }
                }
                Token::Kw(K::Uid) => {
                    if !self.parse_host_uid(idx)? {
                        break;
                    }
                }
                Token::Kw(K::HostIdentifier) => {
                    if !self.parse_host_identifier(idx)? {
                        break;
                    }
                }
                _ => {
                    declaration = self.parse_statement(hgroup, ScopeKind::Host, Some(idx), declaration)?;
                }
            }
        }
        self.leave();
        // Nothing else can declare a host while this one is open, so it is
        // still the last one; it stays in place unless it is not kept.
        debug_assert_eq!(idx + 1, self.config.hosts.len());
        let hosts = &self.config.hosts;
        let existing = self.decl.host_by_name.get(hosts[idx].name.as_bytes(), |i| hosts[i].name.as_bytes());
        if deleted {
            self.config.hosts.truncate(idx);
            if let Some(old) = existing {
                // Configuration hosts are static: ISC keeps the name taken,
                // flagged deleted, so a later declaration may replace it.
                self.config.hosts[old].deleted = true;
            }
            return Ok(());
        }
        if let Some(old) = existing {
            if !self.config.hosts[old].deleted {
                let message = format!("host {}: already exists", self.config.hosts[idx].name);
                self.config.hosts.truncate(idx);
                self.parse_warn(message);
                return Ok(());
            }
        }
        let hosts = &self.config.hosts;
        self.decl.host_by_name.insert(hosts[idx].name.as_bytes(), idx, |i| hosts[i].name.as_bytes());
        Ok(())
    }

    /// `group NAME;` inside a host. Returns false when the host's body ends.
    fn parse_host_group_reference(&mut self, host: usize) -> PResult<bool> {
        self.skip_token()?;
        let t = self.next_token()?;
        if t != Token::String && !t.is_identifier() {
            self.parse_warn("expecting string or identifier.");
            self.skip_to_rbrace(1)?;
            return Ok(false);
        }
        let name = self.c_text();
        match self.decl.named_group_by_name.get(&name).copied() {
            None => {
                let host_name = self.config.hosts[host].name.clone();
                self.parse_warn(format!("unknown group {} in host {}", name, host_name));
            }
            Some(NamedGroupEntry::Live(g)) => self.config.hosts[host].named_group = Some(g),
            Some(NamedGroupEntry::Deleted(_)) => self.config.hosts[host].named_group = None,
        }
        self.parse_semi()
    }

    /// `uid STRING|HEX;` inside a host. Returns false when the host's body ends.
    fn parse_host_uid(&mut self, host: usize) -> PResult<bool> {
        self.skip_token()?;
        if let Some(old) = self.config.hosts[host].uid.as_ref().filter(|u| !u.is_empty()) {
            let shown = hex_or_string(old, 255);
            let name = self.config.hosts[host].name.clone();
            self.parse_warn(format!("Host '{}' already has a uid '{}'", name, shown));
            self.skip_to_rbrace(1)?;
            return Ok(false);
        }
        let uid = if self.peek_token()? == Token::String {
            self.skip_token()?;
            self.val_bytes()
        } else {
            match self.parse_numeric_aggregate(0, Some(b':'), 16, 8)? {
                Some(bytes) => bytes,
                None => {
                    self.parse_warn("expecting hex list.");
                    self.skip_to_semi()?;
                    Vec::new()
                }
            }
        };
        self.config.hosts[host].uid = Some(uid);
        self.parse_semi()
    }

    /// `host-identifier option NAME DATA;` or `host-identifier v6relopt N
    /// NAME DATA;`. Returns false when the host's body ends.
    fn parse_host_identifier(&mut self, host: usize) -> PResult<bool> {
        if self.config.hosts[host].host_identifier.is_some() {
            self.parse_warn("only one host-identifier allowed per host");
            self.skip_to_rbrace(1)?;
            return Ok(false);
        }
        self.skip_token()?;
        let mut relays = 0u32;
        match self.next_token()? {
            Token::Kw(K::V6relopt) => {
                if self.next_token()? != Token::Number {
                    self.parse_warn("host-identifier v6relopt must have a number");
                    self.skip_to_rbrace(1)?;
                    return Ok(false);
                }
                let n = atoi(self.lex.value_cstr()) as i32;
                if n < 0 {
                    self.parse_warn("host-identifier v6relopt must have a number >= 0");
                    self.skip_to_rbrace(1)?;
                    return Ok(false);
                }
                // ISC goes straight on to the option name here: the
                // `option` keyword is not expected after the number.
                relays = n as u32;
            }
            Token::Kw(K::Option) => {}
            _ => {
                self.parse_warn("host-identifier must be an option or v6relopt");
                self.skip_to_rbrace(1)?;
                return Ok(false);
            }
        }
        let Some((option, known)) = self.parse_option_name(true)? else {
            return Ok(false);
        };
        if !known {
            self.parse_warn(format!("unknown option {}.{}", option.space, option.name));
            self.skip_to_rbrace(1)?;
            return Ok(false);
        }
        let Some(value) = self.parse_option_data(&option, true)? else {
            self.skip_to_rbrace(1)?;
            return Ok(false);
        };
        if !self.parse_semi()? {
            self.skip_to_rbrace(1)?;
            return Ok(false);
        }
        let option = format!("{}.{}", option.space, option.name);
        self.config.hosts[host].host_identifier = Some(HostIdentifier { option, relays, value });
        Ok(true)
    }

    /// `group [NAME] { ... }` (ISC `parse_group_declaration`).
    pub(crate) fn parse_group_declaration(&mut self, group: GroupId) -> PResult<()> {
        let g = self.clone_group(group, ScopeKind::Group);
        let t = self.peek_token()?;
        let mut name = None;
        if t.is_identifier() || t == Token::String {
            self.skip_token()?;
            name = Some(self.c_text());
        }
        if !self.parse_lbrace()? {
            return Ok(());
        }
        self.enter()?;
        let (mut deleted, mut dynamic, mut is_static) = (false, false, false);
        let mut declaration = false;
        loop {
            let t = self.peek_token()?;
            if t.is(b'}') {
                self.skip_token()?;
                break;
            }
            if t == Token::Eof {
                self.skip_token()?;
                self.parse_warn("unexpected end of file");
                break;
            }
            // ISC notes these flags and then, unlike hosts, parses the
            // following token as a statement too (so `group { deleted; }`
            // reports the closing brace).
            match t {
                Token::Kw(K::Deleted) => deleted = true,
                Token::Kw(K::Dynamic) => dynamic = true,
                Token::Kw(K::Static) => is_static = true,
                _ => {}
            }
            if matches!(t, Token::Kw(K::Deleted) | Token::Kw(K::Dynamic) | Token::Kw(K::Static)) {
                self.skip_token()?;
                self.parse_semi()?;
            }
            declaration = self.parse_statement(g, ScopeKind::Group, None, declaration)?;
        }
        self.leave();
        if let Some(name) = name {
            if deleted {
                self.delete_named_group(&name);
            } else {
                self.supersede_named_group(NamedGroup { name, group: g, dynamic, r#static: is_static });
            }
        }
        Ok(())
    }

    /// ISC `delete_group` on the group currently registered under `name`.
    fn delete_named_group(&mut self, name: &str) {
        let Some(NamedGroupEntry::Live(old) | NamedGroupEntry::Deleted(old)) =
            self.decl.named_group_by_name.get(name).copied()
        else {
            return;
        };
        let g = &self.config.named_groups[old];
        if g.dynamic && !g.r#static {
            self.decl.named_group_by_name.remove(name);
        } else {
            self.decl.named_group_by_name.insert(name.to_string(), NamedGroupEntry::Deleted(old));
        }
    }

    /// Registers a named group as ISC's `supersede_group` does. Declaring
    /// a name again does not replace the group: the name becomes unknown,
    /// and a third declaration takes it (checked against `dhcpd -t`: hosts
    /// naming the group fail after every second declaration). A name left
    /// by a `deleted;` declaration is simply taken.
    fn supersede_named_group(&mut self, mut group: NamedGroup) {
        let name = group.name.clone();
        let existing = self.decl.named_group_by_name.get(&name).copied();
        let register = match existing {
            None => true,
            Some(NamedGroupEntry::Live(old)) => {
                if !self.config.named_groups[old].dynamic {
                    group.r#static = true;
                }
                self.decl.named_group_by_name.remove(&name);
                false
            }
            Some(NamedGroupEntry::Deleted(old)) => {
                if !self.config.named_groups[old].dynamic {
                    group.r#static = true;
                }
                self.decl.named_group_by_name.remove(&name);
                true
            }
        };
        let idx = self.config.named_groups.len();
        self.config.named_groups.push(group);
        if register {
            self.decl.named_group_by_name.insert(name, NamedGroupEntry::Live(idx));
        }
    }

    /// `hardware TYPE ADDR;` inside (or wrongly outside) a host.
    pub(crate) fn parse_host_hardware(&mut self, host: Option<usize>) -> PResult<()> {
        if let Some(h) = host {
            if self.config.hosts[h].hardware.is_some() {
                let name = self.config.hosts[h].name.clone();
                // ISC stops here without skipping: the rest of the
                // statement is then read as statements of their own.
                self.parse_warn(format!("Host {} hardware address already configured.", name));
                return Ok(());
            }
        }
        let hw = self.parse_hardware_param()?;
        match host {
            Some(h) => self.config.hosts[h].hardware = hw,
            None => self.parse_warn("hardware address parameter not allowed here."),
        }
        Ok(())
    }

    /// `fixed-address A, B, ...;` (or `fixed-address6`) inside a host
    /// (ISC `parse_fixed_addr_param` and its caller).
    pub(crate) fn parse_host_fixed_address(&mut self, host: Option<usize>, v6: bool) -> PResult<()> {
        let Some(addrs) = self.parse_fixed_addr_param(v6)? else {
            return Ok(());
        };
        match host {
            Some(h) if self.config.hosts[h].fixed_addresses.is_some() => {
                self.parse_warn("Only one fixed address declaration per host.");
            }
            Some(h) => self.config.hosts[h].fixed_addresses = Some(addrs),
            None => self.parse_warn("fixed-address parameter not allowed here."),
        }
        Ok(())
    }

    /// A comma-separated address list and its `;`; `None` when reported.
    fn parse_fixed_addr_param(&mut self, v6: bool) -> PResult<Option<FixedAddresses>> {
        // Hosts nearly always have one address: room for one, not the four
        // a first push would reserve (80 bytes a host on 100,000 hosts).
        let mut v4 = Vec::with_capacity(1);
        let mut v6s = Vec::new();
        loop {
            if v6 {
                match self.parse_ip6_addr()? {
                    Some(a) => v6s.push(a),
                    None => return Ok(None),
                }
            } else {
                match self.parse_ip_addr_or_hostname()? {
                    Some(a) => v4.push(a),
                    None => return Ok(None),
                }
            }
            if !self.peek_token()?.is(b',') {
                break;
            }
            self.skip_token()?;
        }
        if !self.parse_semi()? {
            return Ok(None);
        }
        Ok(Some(if v6 { FixedAddresses::V6(v6s) } else { FixedAddresses::V4(v4) }))
    }

    /// `lease-id-format octal|hex;` after its keyword (ISC `parse_lease_id_format`).
    pub(crate) fn parse_lease_id_format(&mut self, _group: GroupId) -> PResult<()> {
        let format = match self.next_token()? {
            Token::Kw(K::Octal) => LeaseIdFormat::Octal,
            Token::Kw(K::Hex) => LeaseIdFormat::Hex,
            _ => {
                self.parse_warn("lease-id-format is invalid:  it must be octal or hex.");
                return self.skip_to_semi();
            }
        };
        self.config.lease_id_format = Some(format);
        // ISC logs this at debug level, which `dhcpd -t` prints.
        self.log_info(format!("lease_id_format is: {}", if format == LeaseIdFormat::Octal { "octal" } else { "hex" }));
        if !self.next_token()?.is(b';') {
            // ISC shares this text with the lease file reader.
            self.parse_warn("corrupt lease file; expecting a semicolon");
            self.skip_to_semi()?;
        }
        Ok(())
    }

    /// `server-duid llt|ll|en|NUMBER ...;` (ISC `parse_server_duid_conf`),
    /// starting at the keyword.
    pub(crate) fn parse_server_duid_conf(&mut self) -> PResult<()> {
        self.skip_token()?;
        let duid = match self.next_token()? {
            Token::Kw(K::En) => {
                if self.next_token()? != Token::Number {
                    self.parse_warn("enterprise number expected");
                    return self.skip_to_semi();
                }
                let enterprise = atoi(self.lex.value_cstr()) as u32;
                if self.next_token()? != Token::String {
                    self.parse_warn("identifier expected");
                    return self.skip_to_semi();
                }
                let mut v = 2u16.to_be_bytes().to_vec();
                v.extend(enterprise.to_be_bytes());
                v.extend(self.val_bytes());
                ServerDuid::Value(v)
            }
            t @ (Token::Kw(K::Ll) | Token::Kw(K::Llt)) => {
                let llt = t == Token::Kw(K::Llt);
                if self.peek_token()?.is(b';') {
                    if llt {
                        ServerDuid::Llt
                    } else {
                        ServerDuid::Ll
                    }
                } else {
                    let htype: u16 = match self.next_token()? {
                        Token::Kw(K::Ethernet) => 1,
                        Token::Kw(K::Ring) => 6,
                        Token::Kw(K::Fddi) => 8,
                        _ => {
                            self.parse_warn("hardware type expected");
                            return self.skip_to_semi();
                        }
                    };
                    let mut time = None;
                    if llt {
                        if self.next_token()? != Token::Number {
                            self.parse_warn("timestamp expected");
                            return self.skip_to_semi();
                        }
                        time = Some(atoi(self.lex.value_cstr()) as u32);
                    }
                    let Some(addr) = self.parse_cshl()? else {
                        return Ok(());
                    };
                    let mut v = (if llt { 1u16 } else { 3u16 }).to_be_bytes().to_vec();
                    v.extend(htype.to_be_bytes());
                    if let Some(time) = time {
                        v.extend(time.to_be_bytes());
                    }
                    v.extend(addr);
                    ServerDuid::Value(v)
                }
            }
            Token::Number => {
                let kind = atoi(self.lex.value_cstr()) as u16;
                if self.next_token()? != Token::String {
                    self.parse_warn("identifier expected");
                    return self.skip_to_semi();
                }
                let mut v = kind.to_be_bytes().to_vec();
                v.extend(self.val_bytes());
                ServerDuid::Value(v)
            }
            _ => {
                self.parse_warn("DUID type of LLT, EN, or LL expected");
                return self.skip_to_semi();
            }
        };
        self.config.server_duid = Some(duid);
        if !self.next_token()?.is(b';') {
            self.parse_warn("semicolon expected");
            self.skip_to_semi()?;
        }
        Ok(())
    }
}

/// ISC's `print_hex_or_string` into a buffer of `limit` bytes: quoted text
/// when every byte shown is printable ASCII, else colon-separated hex (empty
/// when that would not fit).
pub(crate) fn hex_or_string(data: &[u8], limit: usize) -> String {
    let shown = limit.saturating_sub(3);
    if data.iter().take(shown).all(|&b| (0x20..0x7f).contains(&b)) {
        let n = data.len().min(shown);
        return format!("\"{}\"", String::from_utf8_lossy(&data[..n]));
    }
    if data.is_empty() || data.len() * 3 > limit {
        return String::new();
    }
    data.iter().map(|b| format!("{:02x}", b)).collect::<Vec<_>>().join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_or_string_picks_like_isc() {
        assert_eq!(hex_or_string(b"abc", 255), "\"abc\"");
        assert_eq!(hex_or_string(&[1, 0xab], 255), "01:ab");
        assert_eq!(hex_or_string(&[0u8; 100], 255), "");
    }
}
