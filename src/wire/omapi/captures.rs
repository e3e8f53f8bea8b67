//! Reading the OMAPI capture logs in `testdata/` (format in `testdata/README.md`), for the
//! wire tests here and the session tests in `omapi`.

use super::{Deframer, Intro, INTRO_LEN};

/// omshell against an unkeyed ISC dhcpd: failover-state, lease, host, control.
pub const OMSHELL_NOKEY: &str = include_str!("testdata/omshell_nokey.log");
/// omshell against a keyed ISC dhcpd (HMAC-MD5 `omkey`), right and wrong keys.
pub const OMSHELL_KEY: &str = include_str!("testdata/omshell_key.log");
/// omshell signing with HMAC-SHA256 against an unkeyed ISC dhcpd.
pub const OMSHELL_SHA256: &str = include_str!("testdata/omshell_sha256.log");
/// Hand-made edge cases against an unkeyed ISC dhcpd.
pub const RAW_NOKEY: &str = include_str!("testdata/raw_nokey.log");
/// Hand-made edge cases against a keyed ISC dhcpd.
pub const RAW_KEY: &str = include_str!("testdata/raw_key.log");

/// Every capture, with its name.
pub const ALL: [(&str, &str); 5] = [
    ("omshell_nokey", OMSHELL_NOKEY),
    ("omshell_key", OMSHELL_KEY),
    ("omshell_sha256", OMSHELL_SHA256),
    ("raw_nokey", RAW_NOKEY),
    ("raw_key", RAW_KEY),
];

/// One thing that happened on a captured connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Bytes from the client.
    ToServer(Vec<u8>),
    /// Bytes from the server.
    ToClient(Vec<u8>),
    /// The client hung up.
    ClientClosed,
    /// The server dropped the connection.
    ServerClosed,
}

/// The events of each connection, in connection order.
pub fn connections(log: &str) -> Vec<Vec<Event>> {
    let mut conns: Vec<Vec<Event>> = Vec::new();
    for line in log.lines().filter(|l| !l.trim().is_empty()) {
        let mut parts = line.split_whitespace();
        let conn: usize = parts.next().unwrap().parse().unwrap();
        let kind = parts.next().unwrap();
        let arg = parts.next().unwrap();
        while conns.len() < conn {
            conns.push(Vec::new());
        }
        let event = match (kind, arg) {
            ("c2s", hex) => Event::ToServer(crate::wire::testutil::hex(hex)),
            ("s2c", hex) => Event::ToClient(crate::wire::testutil::hex(hex)),
            ("close", "c2s") => Event::ClientClosed,
            ("close", "s2c") => Event::ServerClosed,
            other => panic!("bad capture line {other:?}"),
        };
        conns[conn - 1].push(event);
    }
    conns
}

/// All bytes one side sent on a connection.
pub fn stream(events: &[Event], to_server: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for e in events {
        match (e, to_server) {
            (Event::ToServer(b), true) | (Event::ToClient(b), false) => out.extend_from_slice(b),
            _ => {}
        }
    }
    out
}

/// Splits one side's stream into its introduction and complete messages (bytes of an
/// unfinished last message are dropped).
pub fn split(stream: &[u8]) -> (Intro, Vec<Vec<u8>>) {
    let intro = Intro::parse(stream).unwrap();
    let mut d = Deframer::new(intro.header_size as usize, 1 << 20);
    d.push(&stream[INTRO_LEN..]);
    let mut out = Vec::new();
    while let Ok(Some(p)) = d.next_message() {
        out.push(p.as_ref().to_vec());
    }
    (intro, out)
}
