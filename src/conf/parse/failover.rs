//! `failover peer NAME { ... }`, `failover peer NAME;` (a shared network
//! naming its peer), `failover peer NAME state { ... }`, the lookup pools use
//! for `failover peer "NAME";`, and the sanity check ISC runs on the peers
//! once the whole configuration is read.
//!
//! This follows ISC's `parse_failover_peer`, `parse_failover_state_declaration`
//! and `parse_failover_state` (server/confpars.c) token for token, because
//! `dhcpd -t` users see its exact messages and its recovery: some mistakes
//! abandon the peer (it is then never declared and every pool naming it
//! fails too), others are reported and the peer is kept.
//!
//! For the declarations helper: a pool inherits the peer of its shared
//! network ([`FailoverConfig::shared_network_peer`]) and names its own with
//! `failover peer "NAME";` — [`Parser::parse_pool_failover_peer`] parses that
//! statement with ISC's messages, or use [`Parser::find_failover_peer`] and
//! [`Parser::note_pool_failover_reference`] directly.
//!
//! [`FailoverConfig::shared_network_peer`]: crate::conf::model_failover::FailoverConfig::shared_network_peer

use super::super::keywords::Keyword as K;
use super::super::lexer::Token;
use super::super::model::{GroupId, ScopeKind};
use super::super::model_failover::{
    FailoverEndpoint, FailoverPeer, FailoverRole, FailoverState, PeerAddress, PeerScope, StateRecord, StateSince,
};
use super::super::parser::{Fatal, PResult, Parser};
use super::common::AddrOrName;
use crate::failover::hash::{Hba, HBA_LEN};

/// What a pool's `failover peer "NAME";` resolved to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolPeerRef {
    /// The statement was malformed; ISC reported it and left the pool's
    /// peer as it was.
    Malformed,
    /// The name matched no declared peer; ISC reported it and the pool now
    /// has no peer.
    NotFound,
    /// The pool now uses this peer (index into `FailoverConfig::peers`).
    Peer(usize),
}

/// Which end of the relationship a statement in the peer body sets.
#[derive(Clone, Copy, PartialEq, Eq)]
enum End {
    Me,
    Partner,
}

/// C's `atoi` as glibc computes it (`(int)strtol(s, 0, 10)`): ISC converts
/// every failover number this way, so `-1` or an overflowing value wraps
/// exactly as in ISC.
pub(crate) fn c_atoi(s: &str) -> i32 {
    let b = s.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']).as_bytes();
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    let mut v: i64 = 0;
    let mut saturated = false;
    for &d in digits.iter().take_while(|d| d.is_ascii_digit()) {
        let digit = i64::from(d - b'0');
        let next = v.checked_mul(10).and_then(|x| {
            if neg {
                x.checked_sub(digit)
            } else {
                x.checked_add(digit)
            }
        });
        match next {
            Some(n) => v = n,
            None => {
                saturated = true;
                break;
            }
        }
    }
    if saturated {
        v = if neg { i64::MIN } else { i64::MAX };
    }
    v as i32
}

impl Parser<'_> {
    /// The declared peer named `name` (ISC `find_failover_peer`).
    ///
    /// Pools call this when they read `failover peer "NAME";`: ISC resolves
    /// the name at that moment, so only peers declared *earlier* in the
    /// file are found.
    pub(crate) fn find_failover_peer(&self, name: &str) -> Option<usize> {
        self.config.failover.find(name)
    }

    /// Counts a pool's explicit `failover peer "NAME";` for the check that
    /// every peer is named by some pool.
    pub(crate) fn note_pool_failover_reference(&mut self, peer: usize) {
        if let Some(p) = self.config.failover.peers.get_mut(peer) {
            p.pool_count += 1;
        }
    }

    /// Inside a pool, after the `failover` keyword: `peer "NAME";` (ISC's
    /// FAILOVER case of `parse_pool_statement`). Reports what ISC reports
    /// and counts the reference.
    pub(crate) fn parse_pool_failover_peer(&mut self) -> PResult<PoolPeerRef> {
        if self.next_token()? != Token::Kw(K::Peer) {
            self.parse_warn("expecting 'peer'.");
            self.skip_to_semi()?;
            return Ok(PoolPeerRef::Malformed);
        }
        if self.next_token()? != Token::String {
            self.parse_warn("expecting string.");
            self.skip_to_semi()?;
            return Ok(PoolPeerRef::Malformed);
        }
        let name = self.c_val();
        let found = match self.find_failover_peer(&name) {
            Some(idx) => {
                self.note_pool_failover_reference(idx);
                PoolPeerRef::Peer(idx)
            }
            None => {
                self.parse_warn(format!("failover peer {}: not found", name));
                PoolPeerRef::NotFound
            }
        };
        self.parse_semi()?;
        Ok(found)
    }

    /// The current token's text up to any NUL, as ISC's C strings see it.
    fn c_val(&self) -> String {
        String::from_utf8_lossy(self.lex.value_cstr()).into_owned()
    }

    /// After `failover` in a statement position (ISC `parse_failover_peer`):
    /// a peer declaration, a shared network's reference to one, or a state
    /// record for one.
    pub(crate) fn parse_failover_peer(&mut self, group: GroupId, kind: ScopeKind) -> PResult<()> {
        if self.next_token()? != Token::Kw(K::Peer) {
            self.parse_warn("expecting \"peer\"");
            return self.skip_to_semi();
        }
        let t = self.next_token()?;
        if !(t.is_identifier() || t == Token::String) {
            self.parse_warn("expecting failover peer name.");
            return self.skip_to_semi();
        }
        let name = self.c_val();
        let existing = self.find_failover_peer(&name);

        let t = self.next_token()?;
        if t.is(b';') {
            if kind != ScopeKind::SharedNetwork {
                self.parse_warn("failover peer reference not in shared-network declaration");
            } else {
                match existing {
                    None => self.parse_warn(format!("reference to unknown failover peer {}", name)),
                    Some(idx) => {
                        if let Some(sn) = self.config.groups[group].shared_network {
                            self.config.failover.set_shared_network_peer(sn, idx);
                        }
                    }
                }
            }
            return Ok(());
        }
        if t == Token::Kw(K::State) {
            match existing {
                None => self.parse_warn(format!("state declaration for unknown failover peer {}", name)),
                Some(idx) => self.parse_failover_state_declaration(Some(idx))?,
            }
            return Ok(());
        }
        if !t.is(b'{') {
            // ISC reports this, skips the statement and then reads what
            // follows as the peer's body anyway.
            self.parse_warn("expecting left brace");
            self.skip_to_semi()?;
        }
        if existing.is_some() {
            self.parse_warn(format!("redeclaration of failover peer {}", name));
            return self.skip_to_rbrace(1);
        }

        let scope = if kind == ScopeKind::SharedNetwork {
            PeerScope::SharedNetwork(self.config.groups[group].shared_network)
        } else {
            PeerScope::Root
        };
        let mut peer = FailoverPeer::new(name, scope, group);
        if !self.parse_failover_peer_body(&mut peer)? {
            return Ok(());
        }

        if peer.partner.address.is_none() {
            self.parse_warn("peer address may not be omitted");
        }
        if peer.role == FailoverRole::Primary {
            if peer.hba.is_none() {
                self.parse_warn("primary failover server must have hba or split.");
            } else if peer.mclt == 0 {
                self.parse_warn("primary failover server must have mclt.");
            }
        }
        peer.apply_defaults();
        self.config.failover.peers.push(peer);
        let idx = self.config.failover.peers.len() - 1;
        if let PeerScope::SharedNetwork(Some(sn)) = scope {
            self.config.failover.set_shared_network_peer(sn, idx);
        }
        Ok(())
    }

    /// The statements between the braces of a peer declaration. Returns
    /// false when ISC abandons the declaration (the peer is then not
    /// declared at all).
    fn parse_failover_peer_body(&mut self, peer: &mut FailoverPeer) -> PResult<bool> {
        loop {
            let mut end = End::Me;
            let mut token = self.next_token()?;
            while token == Token::Kw(K::Peer) {
                end = End::Partner;
                token = self.next_token()?;
            }
            match token {
                Token::Punct(b'}') => {}
                Token::Kw(K::Primary) => {
                    peer.role = FailoverRole::Primary;
                    peer.role_given = true;
                }
                Token::Kw(K::Secondary) => {
                    peer.role = FailoverRole::Secondary;
                    peer.role_given = true;
                    if peer.hba.is_some() {
                        self.parse_warn("secondary may not define load balance settings.");
                    }
                }
                Token::Kw(K::Address) => match self.parse_failover_address()? {
                    Some(addr) => endpoint(peer, end).address = Some(addr),
                    None => {
                        self.skip_to_rbrace(1)?;
                        return Ok(false);
                    }
                },
                Token::Kw(K::Port) => {
                    token = self.next_token()?;
                    if token != Token::Number {
                        self.parse_warn("expecting number");
                        self.skip_to_rbrace(1)?;
                    }
                    endpoint(peer, end).port = c_atoi(&self.val());
                }
                Token::Kw(
                    kw @ (K::MaxLeaseMisbalance
                    | K::MaxLeaseOwnership
                    | K::MaxBalance
                    | K::MinBalance
                    | K::AutoPartnerDown
                    | K::MaxResponseDelay
                    | K::MaxUnackedUpdates
                    | K::Mclt),
                ) => {
                    if self.next_token()? != Token::Number {
                        self.parse_warn("expecting number.");
                        self.skip_to_rbrace(1)?;
                        return Ok(false);
                    }
                    let v = c_atoi(&self.val()) as u32;
                    match kw {
                        K::MaxLeaseMisbalance => peer.max_lease_misbalance = v,
                        K::MaxLeaseOwnership => peer.max_lease_ownership = v,
                        K::MaxBalance => peer.max_balance = v,
                        K::MinBalance => peer.min_balance = v,
                        K::AutoPartnerDown => peer.auto_partner_down = v,
                        K::MaxResponseDelay => endpoint(peer, end).max_response_delay = v,
                        K::MaxUnackedUpdates => endpoint(peer, end).max_unacked_updates = v,
                        _ => peer.mclt = v,
                    }
                }
                Token::Kw(K::Hba) => {
                    if peer.role == FailoverRole::Secondary {
                        self.parse_warn("secondary may not define load balance settings.");
                    }
                    // ISC reads exactly 32 colon-separated hex bytes, so a
                    // successful read always has the right length.
                    let Some(bytes) = self.parse_numeric_aggregate(HBA_LEN, Some(b':'), 16, 8)? else {
                        self.skip_to_rbrace(1)?;
                        return Ok(false);
                    };
                    // A read cut short by end of file still counts in ISC
                    // (the rest of its buffer is left as it was).
                    let mut hba = [0u8; HBA_LEN];
                    for (dst, src) in hba.iter_mut().zip(bytes.iter()) {
                        *dst = *src;
                    }
                    peer.hba = Hba::from_bytes(&hba).ok();
                    peer.split = None;
                }
                Token::Kw(K::Split) => {
                    token = self.next_token()?;
                    if peer.role == FailoverRole::Secondary {
                        self.parse_warn("secondary may not define load balance settings.");
                    }
                    if token != Token::Number {
                        self.parse_warn("expecting number");
                        self.skip_to_rbrace(1)?;
                        return Ok(false);
                    }
                    let split = c_atoi(&self.val()) as u32;
                    match Hba::from_split(split) {
                        Ok(hba) => {
                            peer.hba = Some(hba);
                            peer.split = Some(split);
                        }
                        Err(_) => self.parse_warn("split must be between 0 and 256, inclusive"),
                    }
                }
                Token::Kw(K::Load) => {
                    token = self.parse_load_balance_max_seconds(peer)?;
                }
                _ => {
                    self.parse_warn("invalid statement in peer declaration");
                    self.skip_to_rbrace(1)?;
                    return Ok(false);
                }
            }
            if token.is(b'}') {
                return Ok(true);
            }
            if !self.parse_semi()? {
                self.skip_to_rbrace(1)?;
                return Ok(false);
            }
        }
    }

    /// `load balance max seconds N` after `load`. Returns the last token
    /// read, which decides (as in ISC) whether a `;` is expected next.
    fn parse_load_balance_max_seconds(&mut self, peer: &mut FailoverPeer) -> PResult<Token> {
        // ISC's keyword is `seconds`, but its message says 'secs'.
        let steps = [
            (Token::Kw(K::Balance), "expecting 'balance'"),
            (Token::Kw(K::Max), "expecting 'max'"),
            (Token::Kw(K::Seconds), "expecting 'secs'"),
            (Token::Number, "expecting number"),
        ];
        let mut token = Token::Kw(K::Load);
        for (want, message) in steps {
            token = self.next_token()?;
            if token != want {
                self.parse_warn(message);
                self.skip_to_rbrace(1)?;
                return Ok(token);
            }
        }
        peer.load_balance_max_secs = c_atoi(&self.val());
        Ok(token)
    }

    /// `address` / `peer address` value: an IPv4 address or a host name
    /// (ISC `parse_ip_addr_or_hostname` with `uniform` off). `None` after
    /// ISC has reported the problem.
    fn parse_failover_address(&mut self) -> PResult<Option<PeerAddress>> {
        Ok(self.parse_ip_addr_or_hostname()?.map(|a| match a {
            AddrOrName::Addr(ip) => PeerAddress::Ip(ip),
            AddrOrName::Name(name) => PeerAddress::Hostname(name),
        }))
    }

    /// After `failover peer NAME state` (config) or `failover` (lease file,
    /// `peer` is `None`): the `{ my state ...; partner state ...; mclt N; }`
    /// record (ISC `parse_failover_state_declaration`).
    pub(crate) fn parse_failover_state_declaration(&mut self, peer: Option<usize>) -> PResult<()> {
        let idx = match peer {
            Some(idx) => idx,
            None => {
                if self.next_token()? != Token::Kw(K::Peer) {
                    self.parse_warn("expecting \"peer\"");
                    return self.skip_to_semi();
                }
                let t = self.next_token()?;
                if !(t.is_identifier() || t == Token::String) {
                    self.parse_warn("expecting failover peer name.");
                    return self.skip_to_semi();
                }
                let name = self.c_val();
                let Some(idx) = self.find_failover_peer(&name) else {
                    self.parse_warn(format!("unknown failover peer: {}", name));
                    return self.skip_to_semi();
                };
                let t = self.next_token()?;
                if t != Token::Kw(K::State) {
                    self.parse_warn("expecting 'state'");
                    if !t.is(b';') {
                        self.skip_to_semi()?;
                    }
                    return Ok(());
                }
                idx
            }
        };
        let t = self.next_token()?;
        if !t.is(b'{') {
            self.parse_warn("expecting left brace");
            if !t.is(b';') {
                self.skip_to_semi()?;
            }
            return Ok(());
        }
        loop {
            let t = self.next_token()?;
            match t {
                Token::Punct(b'}') => return Ok(()),
                Token::Kw(kw @ (K::My | K::Partner)) => {
                    if self.next_token()? != Token::Kw(K::State) {
                        self.parse_warn("expecting 'state'");
                        return self.skip_to_rbrace(1);
                    }
                    if let Some(record) = self.parse_failover_state()? {
                        let p = &mut self.config.failover.peers[idx];
                        if kw == K::My {
                            p.me.state = record;
                        } else {
                            p.partner.state = record;
                        }
                    }
                }
                Token::Kw(K::Mclt) => {
                    if self.config.failover.peers[idx].role == FailoverRole::Primary {
                        self.parse_warn("mclt not valid for primary");
                        return self.skip_to_rbrace(1);
                    }
                    if self.next_token()? != Token::Number {
                        self.parse_warn("expecting a number.");
                        return self.skip_to_rbrace(1);
                    }
                    self.config.failover.peers[idx].mclt = c_atoi(&self.val()) as u32;
                    self.parse_semi()?;
                }
                _ => {
                    self.parse_warn("expecting state setting.");
                    return self.skip_to_rbrace(1);
                }
            }
        }
    }

    /// `S;` or `S at DATE;` after `my state` / `partner state` (ISC
    /// `parse_failover_state`). `None` when nothing is to be recorded:
    /// after an error, or when the date reads as 0 (ISC's failure value,
    /// which `epoch 0` also yields).
    fn parse_failover_state(&mut self) -> PResult<Option<StateRecord>> {
        use FailoverState as S;
        let state = match self.next_token()? {
            Token::Kw(K::UnknownState) => S::Unknown,
            Token::Kw(K::PartnerDown) => S::PartnerDown,
            Token::Kw(K::Normal) => S::Normal,
            Token::Kw(K::CommunicationsInterrupted) => S::CommunicationsInterrupted,
            Token::Kw(K::ConflictDone) => S::ConflictDone,
            Token::Kw(K::ResolutionInterrupted) => S::ResolutionInterrupted,
            Token::Kw(K::PotentialConflict) => S::PotentialConflict,
            Token::Kw(K::Recover) => S::Recover,
            Token::Kw(K::RecoverWait) => S::RecoverWait,
            Token::Kw(K::RecoverDone) => S::RecoverDone,
            Token::Kw(K::Shutdown) => S::Shutdown,
            Token::Kw(K::Paused) => S::Paused,
            Token::Kw(K::Startup) => S::Startup,
            _ => {
                self.parse_warn("unknown failover state");
                self.skip_to_semi()?;
                return Ok(None);
            }
        };
        let t = self.next_token()?;
        if t.is(b';') {
            return Ok(Some(StateRecord {
                state,
                since: StateSince::WhenRead,
            }));
        }
        if t != Token::Kw(K::At) {
            self.parse_warn("expecting \"at\"");
            self.skip_to_semi()?;
            return Ok(None);
        }
        let when = self.parse_date()?;
        if when == 0 {
            return Ok(None);
        }
        Ok(Some(StateRecord {
            state,
            since: StateSince::At(when),
        }))
    }

    /// ISC's checks on the peers once the configuration has been read
    /// (`dhcp_failover_sanity_check`, run after `postconf_initialization`):
    /// every peer must be named by a pool, and a peer without `load balance
    /// max seconds` earns a warning. ISC walks its peer list newest first
    /// and prints both lines per peer in that order.
    pub(crate) fn check_failover(&mut self) -> PResult<()> {
        let mut failures = 0;
        for i in (0..self.config.failover.peers.len()).rev() {
            let (name, unreferenced, no_balance) = {
                let p = &self.config.failover.peers[i];
                (p.name.clone(), p.pool_count == 0, p.load_balance_max_secs == 0)
            };
            if unreferenced {
                self.log_error(format!(
                    "ERROR: Failover peer, {}, has no referring pools. You must refer to each peer in at least one pool declaration.",
                    name
                ));
                failures += 1;
            }
            if no_balance {
                self.log_info(format!(
                    "WARNING: load balancing will be disabled for failover peer, {}, because its load balance max secs is 0",
                    name
                ));
            }
        }
        if failures > 0 {
            return Err(Fatal("Failover configuration sanity check failed".into()));
        }
        Ok(())
    }
}

/// The endpoint a body statement sets: ours, or the partner's after `peer`.
fn endpoint(peer: &mut FailoverPeer, end: End) -> &mut FailoverEndpoint {
    match end {
        End::Me => &mut peer.me,
        End::Partner => &mut peer.partner,
    }
}

#[cfg(test)]
#[path = "failover_tests.rs"]
mod tests;
