//! The named enumerations that `N<name>.` format atoms refer to.
//!
//! ISC registers these with `add_enumeration` at start-up (server/dhcpd.c)
//! and finds them by exact name; a value is found by its exact,
//! case-sensitive name (`find_enumeration_value` uses `strcmp`). The width
//! is the size of the value on the wire and in option data. These are the
//! enumerations `dhcpd -4` registers: the server's own and the three of the
//! DHCPv6 spaces (which dhcpd.conf may set options of, see
//! [`super::table`]).

/// A named set of values for `N<name>.` atoms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enumeration {
    /// The name used in format strings, e.g. `ddns-styles`.
    pub name: &'static str,
    /// Bytes per value on the wire.
    pub width: u8,
    /// `(name, value)` pairs in ISC's order.
    pub values: &'static [(&'static str, u32)],
}

impl Enumeration {
    /// The value of `name`, matched case-sensitively like ISC.
    pub fn value_of(&self, name: &str) -> Option<u32> {
        self.values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
    }

    /// The first name ISC would print for `value`.
    pub fn name_of(&self, value: u32) -> Option<&'static str> {
        self.values
            .iter()
            .find(|(_, v)| *v == value)
            .map(|(n, _)| *n)
    }
}

/// `ddns-update-style` (server/stables.c `ddns_styles`).
pub static DDNS_STYLES: Enumeration = Enumeration {
    name: "ddns-styles",
    width: 1,
    values: &[("none", 0), ("ad-hoc", 1), ("interim", 2), ("standard", 3)],
};

/// `log-facility`: ISC lists the `LOG_*` facilities the platform defines;
/// these are Linux/glibc's values.
pub static SYSLOG_FACILITIES: Enumeration = Enumeration {
    name: "syslog-facilities",
    width: 1,
    values: &[
        ("kern", 0),
        ("user", 8),
        ("mail", 16),
        ("daemon", 24),
        ("auth", 32),
        ("syslog", 40),
        ("lpr", 48),
        ("news", 56),
        ("uucp", 64),
        ("cron", 72),
        ("authpriv", 80),
        ("ftp", 88),
        ("local0", 128),
        ("local1", 136),
        ("local2", 144),
        ("local3", 152),
        ("local4", 160),
        ("local5", 168),
        ("local6", 176),
        ("local7", 184),
    ],
};

/// `prefix-length-mode` (ISC's name has underscores, unlike every other).
pub static PREFIX_LENGTH_MODES: Enumeration = Enumeration {
    name: "prefix_length_modes",
    width: 1,
    values: &[
        ("ignore", 0),
        ("prefer", 1),
        ("exact", 2),
        ("minimum", 3),
        ("maximum", 4),
    ],
};

/// DHCPv6 DUID types (common/tables.c `dhcpv6_duid_types`); registered
/// by ISC though no built-in format names it.
pub static DUID_TYPES: Enumeration = Enumeration {
    name: "duid-types",
    width: 2,
    values: &[("duid-llt", 1), ("duid-en", 2), ("duid-ll", 3), ("duid-uuid", 4)],
};

/// DHCPv6 status codes (`dhcp6.status-code`).
pub static STATUS_CODES: Enumeration = Enumeration {
    name: "status-codes",
    width: 2,
    values: &[
        ("success", 0),
        ("UnspecFail", 1),
        ("NoAddrsAvail", 2),
        ("NoBinding", 3),
        ("NotOnLink", 4),
        ("UseMulticast", 5),
        ("NoPrefixAvail", 6),
        ("UnknownQueryType", 7),
        ("MalformedQuery", 8),
        ("NotConfigured", 9),
        ("NotAllowed", 10),
        ("QueryTerminated", 11),
    ],
};

/// DHCPv6 message types (`dhcp6.reconf-msg`).
pub static DHCPV6_MESSAGES: Enumeration = Enumeration {
    name: "dhcpv6-messages",
    width: 1,
    values: &[
        ("SOLICIT", 1),
        ("ADVERTISE", 2),
        ("REQUEST", 3),
        ("CONFIRM", 4),
        ("RENEW", 5),
        ("REBIND", 6),
        ("REPLY", 7),
        ("RELEASE", 8),
        ("DECLINE", 9),
        ("RECONFIGURE", 10),
        ("INFORMATION-REQUEST", 11),
        ("RELAY-FORW", 12),
        ("RELAY-REPL", 13),
        ("LEASEQUERY", 14),
        ("LEASEQUERY-REPLY", 15),
        ("LEASEQUERY-DONE", 16),
        ("LEASEQUERY-DATA", 17),
        ("RECONFIGURE-REQUEST", 18),
        ("RECONFIGURE-REPLY", 19),
        ("DHCPV4-QUERY", 20),
        ("DHCPV4-RESPONSE", 21),
    ],
};

/// Every enumeration a built-in format string can name.
pub static ENUMERATIONS: &[&Enumeration] = &[
    &DDNS_STYLES,
    &SYSLOG_FACILITIES,
    &PREFIX_LENGTH_MODES,
    &DUID_TYPES,
    &STATUS_CODES,
    &DHCPV6_MESSAGES,
];

/// Finds an enumeration by its exact name (ISC compares with `memcmp`).
pub fn find(name: &str) -> Option<&'static Enumeration> {
    ENUMERATIONS.iter().copied().find(|e| e.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_case_sensitive() {
        assert_eq!(DDNS_STYLES.value_of("interim"), Some(2));
        assert_eq!(DDNS_STYLES.value_of("Interim"), None);
        assert_eq!(DDNS_STYLES.name_of(3), Some("standard"));
        assert_eq!(find("ddns-styles"), Some(&DDNS_STYLES));
        assert_eq!(find("DDNS-styles"), None);
        assert_eq!(find("prefix-length-modes"), None);
    }

    #[test]
    fn names_and_values_are_unique_and_fit_the_width() {
        for e in ENUMERATIONS {
            for (i, (n, v)) in e.values.iter().enumerate() {
                assert!(
                    u64::from(*v) < 1u64 << (8 * u32::from(e.width)),
                    "{} {n}",
                    e.name
                );
                for (m, w) in &e.values[i + 1..] {
                    assert!(n != m && v != w, "{}: {n}/{m}", e.name);
                }
            }
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn syslog_facilities_match_the_c_library() {
        let libc_values = [
            ("kern", libc::LOG_KERN),
            ("user", libc::LOG_USER),
            ("mail", libc::LOG_MAIL),
            ("daemon", libc::LOG_DAEMON),
            ("auth", libc::LOG_AUTH),
            ("syslog", libc::LOG_SYSLOG),
            ("lpr", libc::LOG_LPR),
            ("news", libc::LOG_NEWS),
            ("uucp", libc::LOG_UUCP),
            ("cron", libc::LOG_CRON),
            ("authpriv", libc::LOG_AUTHPRIV),
            ("ftp", libc::LOG_FTP),
            ("local0", libc::LOG_LOCAL0),
            ("local1", libc::LOG_LOCAL1),
            ("local2", libc::LOG_LOCAL2),
            ("local3", libc::LOG_LOCAL3),
            ("local4", libc::LOG_LOCAL4),
            ("local5", libc::LOG_LOCAL5),
            ("local6", libc::LOG_LOCAL6),
            ("local7", libc::LOG_LOCAL7),
        ];
        assert_eq!(SYSLOG_FACILITIES.values.len(), libc_values.len());
        for (name, value) in libc_values {
            assert_eq!(
                SYSLOG_FACILITIES.value_of(name),
                Some(value as u32),
                "{name}"
            );
        }
    }
}
