//! The seed pairs (`conformance/seeds/*.conf`) made runnable, with every
//! change spelled out: the failover declarations, addresses and ports stay
//! exactly as written (each server's address goes on its namespace's link,
//! so nothing needs mapping); only placeholders and what ISC itself refuses
//! are touched.

use std::path::Path;

/// One seed pair.
pub struct Seed {
    /// Short name (`es`, `ja`...).
    pub name: &'static str,
    /// The relationship's name.
    pub relationship: &'static str,
    /// The primary's configuration, runnable.
    pub primary: String,
    /// The secondary's configuration, runnable.
    pub secondary: String,
    /// The primary's `address`, with the prefix length of its subnet.
    pub primary_cidr: &'static str,
    /// The secondary's `address`, with the prefix length of its subnet.
    pub secondary_cidr: &'static str,
    /// Every TCP port the pair uses (listen and dial targets).
    pub ports: &'static [u16],
    /// Addresses in the relationship's pools.
    pub pool_size: usize,
    /// What was changed and why.
    pub changes: &'static str,
}

fn read(dir: &Path, f: &str) -> String {
    std::fs::read_to_string(dir.join(f)).unwrap_or_else(|e| panic!("seed {f}: {e}"))
}

/// `text` with `from` (which must be there) replaced by `to`.
pub fn must_replace(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "seed text changed: `{from}` not found");
    text.replace(from, to)
}

/// A valid HMAC-MD5 secret for the Russian seeds' `your_generated_key`.
pub const OMAPI_SECRET: &str = "bm90LWEtcmVhbC1zZWNyZXQtMTIzNDU2Nzg5MA==";

/// Every seed pair.
pub fn all() -> Vec<Seed> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/seeds");
    let ja_master = must_replace(
        &read(&dir, "ja-master.conf"),
        "option domain-name-servers ***.***.***.***;",
        "option domain-name-servers 172.18.100.254;",
    );
    let ja = |f: &str| must_replace(&read(&dir, f), "include \"ja-master.conf\";", &ja_master);
    let ru = |f: &str| {
        let t = must_replace(&read(&dir, f), "secret your_generated_key;", &format!("secret {OMAPI_SECRET};"));
        must_replace(&t, "option domain-name-servers redos.test;", "option domain-name-servers 192.168.100.1;")
    };
    vec![
        Seed {
            name: "es",
            relationship: "dhcp-failover",
            primary: read(&dir, "es-primary.conf"),
            secondary: read(&dir, "es-secondary.conf"),
            primary_cidr: "172.16.1.100/24",
            secondary_cidr: "172.16.1.200/24",
            ports: &[647],
            pool_size: 11,
            changes: "none",
        },
        Seed {
            name: "fr",
            relationship: "GSB",
            primary: read(&dir, "fr-primary.conf"),
            secondary: read(&dir, "fr-secondary.conf"),
            primary_cidr: "192.168.150.1/24",
            secondary_cidr: "192.168.150.2/24",
            ports: &[647, 847],
            pool_size: 51,
            changes: "none",
        },
        Seed {
            name: "ja",
            relationship: "failover-partner",
            primary: ja("ja-primary.conf"),
            // ISC refuses the secondary as written ("secondary may not define
            // load balance settings."): its `split 128;` goes; `peer port 209`
            // (nothing listens there) stays.
            secondary: must_replace(&ja("ja-secondary.conf"), "\tsplit 128;\n", ""),
            primary_cidr: "172.18.100.51/24",
            secondary_cidr: "172.18.100.52/24",
            ports: &[520, 209],
            pool_size: 10,
            changes: "`***.***.***.***` -> 172.18.100.254; include inlined; secondary's `split 128;` removed (ISC refuses it)",
        },
        Seed {
            name: "ru",
            relationship: "failover-dhcp",
            primary: ru("ru-primary.conf"),
            secondary: ru("ru-secondary.conf"),
            primary_cidr: "192.168.100.31/24",
            secondary_cidr: "192.168.100.32/24",
            ports: &[647],
            pool_size: 2,
            changes: "`your_generated_key` -> a base64 secret; DNS server `redos.test` -> 192.168.100.1 (no lookups)",
        },
        Seed {
            name: "zh",
            relationship: "oob",
            primary: read(&dir, "zh-primary.conf"),
            secondary: read(&dir, "zh-secondary.conf"),
            primary_cidr: "10.223.0.244/20",
            secondary_cidr: "10.223.0.245/20",
            ports: &[647],
            pool_size: 16 * 230,
            changes: "none",
        },
    ]
}

/// The French pair's bootstrap configurations (`fr-*-partner-down.conf`:
/// the same servers with `failover peer "GSB" state { my state
/// partner-down; }`): (primary, secondary).
pub fn fr_partner_down() -> (String, String) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/seeds");
    (read(&dir, "fr-primary-partner-down.conf"), read(&dir, "fr-secondary-partner-down.conf"))
}
