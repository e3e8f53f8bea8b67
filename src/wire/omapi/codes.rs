//! OMAPI operation codes and ISC result codes, as numbers on the wire and ISC's texts.
//!
//! A STATUS message carries an ISC result number in its `result` value; omshell prints
//! `isc_result_totext` of it ("can't open object: not found"). The numbers come from BIND's
//! libisc (`isc/result.h`, class 0) and from ISC DHCP's own class (`includes/omapip/result.h`,
//! `(6 << 16) + n`); the texts are ISC's tables (`omapip/result.c` and libisc), checked against
//! the strings in the Debian 4.4.3-P1 binary. Only the libisc codes the DHCP server can send are
//! named; any other number survives as `Unknown`.

use core::fmt;

/// Base of ISC DHCP's result class (`ISC_RESULTCLASS_DHCP`).
pub const RESULT_CLASS_DHCP: u32 = 6 << 16;

enum_with_unknown! {
    /// A message's operation (`OMAPI_OP_*`).
    pub enum Opcode(u32) {
        /// Look an object up (and maybe create or update it); answered with UPDATE.
        Open = 1,
        /// Send an object's current values again; answered with UPDATE.
        Refresh = 2,
        /// Set values on an object; answered with STATUS (requests) or carrying an object.
        Update = 3,
        /// Not implemented by ISC: answered with STATUS NOTIMPLEMENTED.
        Notify = 4,
        /// The outcome of a request: `result` and optional `message`.
        Status = 5,
        /// Remove an object; answered with STATUS.
        Delete = 6,
    }
}

/// No operation: op 0, which ISC answers by dropping the link like any unknown op.
impl Default for Opcode {
    fn default() -> Self {
        Opcode::Unknown(0)
    }
}

impl fmt::Display for Opcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Opcode::Open => f.write_str("open"),
            Opcode::Refresh => f.write_str("refresh"),
            Opcode::Update => f.write_str("update"),
            Opcode::Notify => f.write_str("notify"),
            Opcode::Status => f.write_str("status"),
            Opcode::Delete => f.write_str("delete"),
            Opcode::Unknown(op) => write!(f, "op {op}"),
        }
    }
}

enum_with_unknown! {
    /// An ISC result code (`ISC_R_*` and `DHCP_R_*`).
    pub enum IscResult(u32) {
        /// `ISC_R_SUCCESS`.
        Success = 0,
        /// `ISC_R_NOMEMORY`.
        NoMemory = 1,
        /// `ISC_R_TIMEDOUT`.
        TimedOut = 2,
        /// `ISC_R_NOPERM`: e.g. setting a read-only lease attribute.
        NoPerm = 6,
        /// `ISC_R_EXISTS`: OPEN with create and exclusive found the object.
        Exists = 18,
        /// `ISC_R_NOSPACE`.
        NoSpace = 19,
        /// `ISC_R_SHUTTINGDOWN`.
        ShuttingDown = 22,
        /// `ISC_R_NOTFOUND`: no such object, handle or attribute.
        NotFound = 23,
        /// `ISC_R_UNEXPECTEDEND`.
        UnexpectedEnd = 24,
        /// `ISC_R_FAILURE`.
        Failure = 25,
        /// `ISC_R_IOERROR`: e.g. the lease file could not be written.
        IoError = 26,
        /// `ISC_R_NOTIMPLEMENTED`: the object type cannot do that.
        NotImplemented = 27,
        /// `ISC_R_NOMORE`.
        NoMore = 29,
        /// `ISC_R_UNEXPECTED`.
        Unexpected = 34,
        /// `ISC_R_NOTCONNECTED`.
        NotConnected = 40,
        /// `DHCP_R_HOSTUNKNOWN`.
        HostUnknown = RESULT_CLASS_DHCP,
        /// `DHCP_R_VERSIONMISMATCH`.
        VersionMismatch = RESULT_CLASS_DHCP + 1,
        /// `DHCP_R_PROTOCOLERROR`.
        ProtocolError = RESULT_CLASS_DHCP + 2,
        /// `DHCP_R_INVALIDARG`: a bad flag or attribute value.
        InvalidArg = RESULT_CLASS_DHCP + 3,
        /// `DHCP_R_NOTYET`.
        NotYet = RESULT_CLASS_DHCP + 4,
        /// `DHCP_R_UNCHANGED`: a set that changes nothing (ignored by updates).
        Unchanged = RESULT_CLASS_DHCP + 5,
        /// `DHCP_R_MULTIPLE`: a lookup key matches several objects.
        Multiple = RESULT_CLASS_DHCP + 6,
        /// `DHCP_R_KEYCONFLICT`: lookup keys name different objects.
        KeyConflict = RESULT_CLASS_DHCP + 7,
        /// `DHCP_R_BADPARSE`: e.g. host `statements` that do not parse.
        BadParse = RESULT_CLASS_DHCP + 8,
        /// `DHCP_R_NOKEYS`: no lookup key, or an unsigned message to a keyed server.
        NoKeys = RESULT_CLASS_DHCP + 9,
        /// `DHCP_R_KEY_UNKNOWN`.
        KeyUnknown = RESULT_CLASS_DHCP + 10,
        /// `DHCP_R_INVALIDKEY`: bad signature, or a key other than the `omapi-key`.
        InvalidKey = RESULT_CLASS_DHCP + 11,
        /// `DHCP_R_INCOMPLETE`.
        Incomplete = RESULT_CLASS_DHCP + 12,
        /// `DHCP_R_UNKNOWNATTRIBUTE`.
        UnknownAttribute = RESULT_CLASS_DHCP + 32,
    }
}

/// ISC's texts for its DHCP result class, indexed by `code - RESULT_CLASS_DHCP`.
const DHCP_TEXTS: [&str; 33] = [
    "host unknown",
    "protocol version mismatch",
    "protocol error",
    "invalid argument",
    "data not yet available",
    "object unchanged",
    "more than one object matches key",
    "key conflict",
    "parse error(s) occurred",
    "no key specified",
    "zone TSIG key not known",
    "invalid TSIG key",
    "operation in progress",
    "DNS format error",
    "DNS server failed",
    "no such domain",
    "not implemented",
    "refused",
    "domain already exists",
    "RRset already exists",
    "no such RRset",
    "not authorized",
    "not a zone",
    "bad DNS signature",
    "bad DNS key",
    "clock skew too great",
    "no root zone",
    "destination address required",
    "cross-zone update",
    "no TSIG signature",
    "not equal",
    "connection reset by peer",
    "unknown attribute",
];

/// libisc's texts for codes 0..=40, in order.
const ISC_TEXTS: [&str; 41] = [
    "success",
    "out of memory",
    "timed out",
    "no available threads",
    "address not available",
    "address in use",
    "permission denied",
    "no pending connections",
    "network unreachable",
    "host unreachable",
    "network down",
    "host down",
    "connection refused",
    "not enough free resources",
    "end of file",
    "socket already bound",
    "reload",
    "lock busy",
    "already exists",
    "ran out of space",
    "operation canceled",
    "socket is not bound",
    "shutting down",
    "not found",
    "unexpected end of input",
    "failure",
    "I/O error",
    "not implemented",
    "unbalanced parentheses",
    "no more",
    "invalid file",
    "bad base64 encoding",
    "unexpected token",
    "quota reached",
    "unexpected error",
    "already running",
    "ignore",
    "address mask not contiguous",
    "file not found",
    "file already exists",
    "socket is not connected",
];

impl IscResult {
    /// ISC's `isc_result_totext`, or ISC's fallback for a number it has no text for.
    pub fn text(self) -> &'static str {
        let code = u32::from(self);
        let table = if code >= RESULT_CLASS_DHCP {
            DHCP_TEXTS.get((code - RESULT_CLASS_DHCP) as usize)
        } else {
            ISC_TEXTS.get(code as usize)
        };
        table.copied().unwrap_or("(result code text not available)")
    }

    /// True for `Success`.
    pub fn is_success(self) -> bool {
        self == IscResult::Success
    }
}

impl fmt::Display for IscResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text())
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn numbers_seen_on_the_wire() {
        // reference §3.3 and the captures: 0x17 not found, 0x60009 no keys, 0x6000b invalid key.
        assert_eq!(u32::from(IscResult::NotFound), 0x17);
        assert_eq!(u32::from(IscResult::NoKeys), 0x0006_0009);
        assert_eq!(u32::from(IscResult::InvalidKey), 0x0006_000b);
        assert_eq!(u32::from(IscResult::InvalidArg), 0x0006_0003);
        assert_eq!(u32::from(IscResult::KeyConflict), 0x0006_0007);
        assert_eq!(u32::from(IscResult::NotImplemented), 0x1b);
        assert_eq!(IscResult::from(0x0006_0020), IscResult::UnknownAttribute);
        assert_eq!(IscResult::from(62), IscResult::Unknown(62));
        assert_eq!(u32::from(IscResult::Unknown(62)), 62);
    }

    #[test]
    fn texts_are_iscs() {
        // The texts omshell prints after "can't open object: " in the captures.
        assert_eq!(IscResult::NotFound.text(), "not found");
        assert_eq!(IscResult::NotImplemented.text(), "not implemented");
        assert_eq!(IscResult::NoKeys.text(), "no key specified");
        assert_eq!(IscResult::InvalidKey.text(), "invalid TSIG key");
        assert_eq!(IscResult::InvalidArg.text(), "invalid argument");
        assert_eq!(IscResult::UnknownAttribute.text(), "unknown attribute");
        assert_eq!(IscResult::Unexpected.text(), "unexpected error");
        assert_eq!(IscResult::NotConnected.text(), "socket is not connected");
        assert_eq!(
            IscResult::Unknown(RESULT_CLASS_DHCP + 40).text(),
            "(result code text not available)"
        );
    }

    #[test]
    fn opcodes_round_trip() {
        for raw in 0..10u32 {
            assert_eq!(u32::from(Opcode::from(raw)), raw);
        }
        assert_eq!(Opcode::from(5), Opcode::Status);
        assert_eq!(Opcode::Delete.to_string(), "delete");
    }
}
