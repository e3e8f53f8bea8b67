//! Host declarations and the parameters only a host takes: `hardware`,
//! `fixed-address`, `uid`, `host-identifier`, `group NAME`, and the
//! `dynamic;`/`deleted;` flags (ISC `parse_host_declaration`, `enter_host`).
//!
//! Hosts live in ISC's host name hash: a host name may be declared again
//! only after a `deleted;` declaration of it. Once a host is complete ISC
//! also looks in its statements for `option dhcp-client-identifier`, which
//! it files the host under like a `uid`.

use super::super::ast::{Expression, OptionOp, OptionStatement, OptionValue, Statement, ValuePart};
use super::super::keywords::Keyword as K;
use super::super::lexer::Token;
use super::super::model::{FixedAddresses, GroupId, Host, HostIdentifier, ScopeKind};
use super::super::parser::{PResult, Parser};
use super::common::atoi;
use super::decl::NamedGroupEntry;

impl Parser<'_> {
    /// `host NAME { ... }` (ISC `parse_host_declaration`).
    pub(crate) fn parse_host_declaration(&mut self, group: GroupId) -> PResult<()> {
        let Some(name) = self.parse_host_name()? else {
            self.parse_warn("expecting a name for host declaration.");
            self.skip_to_semi()?;
            return Ok(());
        };
        // The name is looked up once the body is read; start fetching its
        // slot now so the body's parsing hides the cache miss.
        self.decl.host_by_name.prefetch(name.as_bytes());
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
        if idx + 1 != self.config.hosts.len() {
            return Ok(());
        }
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
        self.host_client_identifier(idx);
        let hosts = &self.config.hosts;
        self.decl.host_by_name.insert(hosts[idx].name.as_bytes(), idx, |i| hosts[i].name.as_bytes());
        Ok(())
    }

    /// ISC `enter_host` files a host under an unconditional `option
    /// dhcp-client-identifier` found in its scope, unless it has a `uid`
    /// already (then it warns). The scope searched is the host's own, or
    /// its named group's when ISC gave the host that scope outright (the
    /// host set nothing itself).
    fn host_client_identifier(&mut self, idx: usize) {
        let host = &self.config.hosts[idx];
        let own = host.group;
        let scope = match host.named_group.map(|ng| self.config.named_groups[ng].group) {
            Some(ng)
                if self.config.groups[own].statements.is_empty()
                    && self.authoritative(own) == self.authoritative(ng) =>
            {
                ng
            }
            _ => own,
        };
        if self.config.groups[scope].statements.is_empty() {
            return;
        }
        let statements = self.config.groups[scope].statements.clone();
        let mut found = None;
        self.find_uid_statements(&statements, false, &mut found);
        let Some(cid) = found else { return };
        let host = &mut self.config.hosts[idx];
        match &host.uid {
            Some(uid) if !uid.is_empty() && !cid.is_empty() => {
                let msg = format!(
                    "Warning, host declaration '{}' already has uid '{}', ignoring dhcp-client-identifier '{}'",
                    host.name,
                    hex_or_string(uid, 255),
                    hex_or_string(&cid, 255)
                );
                self.log_error(msg);
            }
            _ => host.uid = Some(cid),
        }
    }

    /// ISC `find_uid_statement` over `executable_statement_foreach`: the
    /// value of the first unconditional `dhcp-client-identifier` setting,
    /// complaining about conditional or further ones.
    fn find_uid_statements(&mut self, statements: &[Statement], conditional: bool, found: &mut Option<Vec<u8>>) {
        for st in statements {
            match st {
                Statement::Option(os) if is_client_identifier(os) => {
                    if conditional {
                        self.log_error("dhcp client identifier may not be specified conditionally.");
                    } else if found.is_none() {
                        *found = Some(constant_value(&os.value));
                    } else {
                        self.log_error("only one dhcp client identifier may be specified");
                    }
                }
                Statement::If(i) => {
                    self.find_uid_statements(&i.then, true, found);
                    self.find_uid_statements(&i.otherwise, true, found);
                }
                Statement::On(on) => self.find_uid_statements(&on.body, true, found),
                Statement::Switch(sw) => self.find_uid_statements(&sw.body, true, found),
                _ => {}
            }
        }
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
        self.config.hosts[host].host_identifier = Some(Box::new(HostIdentifier { option, relays, value }));
        Ok(true)
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
        Ok(Some(if v6 {
            FixedAddresses::V6(v6s)
        } else {
            FixedAddresses::V4(v4)
        }))
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

/// `option dhcp-client-identifier` (or `supersede`) in the DHCP space.
fn is_client_identifier(os: &OptionStatement) -> bool {
    os.op == OptionOp::Supersede && os.option.space == "dhcp" && os.option.code == 61
}

/// The bytes a constant option value evaluates to with no packet; values
/// that need a packet or a lookup count as empty.
fn constant_value(value: &OptionValue) -> Vec<u8> {
    match value {
        OptionValue::Data(parts) => parts
            .iter()
            .flat_map(|p| match p {
                ValuePart::Bytes(b) => b.clone(),
                ValuePart::HostLookup { .. } => Vec::new(),
            })
            .collect(),
        OptionValue::Expression(e) => constant_data(e).unwrap_or_default(),
        OptionValue::Empty => Vec::new(),
    }
}

/// A data expression made only of constants and `concat`, evaluated.
fn constant_data(e: &Expression) -> Option<Vec<u8>> {
    match e {
        Expression::ConstData(b) => Some(b.clone()),
        Expression::Concat(a, b) => {
            let mut v = constant_data(a)?;
            v.extend(constant_data(b)?);
            Some(v)
        }
        _ => None,
    }
}
