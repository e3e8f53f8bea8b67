//! RFC 3074 load balancing as ISC dhcpd 4.4 applies it.
//!
//! Two cooperating servers split clients by hashing an identifier into one
//! of 256 buckets; the 32-byte hash bucket assignment (HBA) says which
//! buckets the primary serves (bit set) and which the secondary serves
//! (bit clear). Only the primary configures it (`split N` or `hba ...`) and
//! sends it in CONNECT, so both sides use the same bitmap. ISC applies the
//! split to DHCPDISCOVER/BOOTP only, and only while both servers are
//! normal; a client that has waited more than `load balance max seconds`
//! (per its `secs` field) is answered by both. The same hash decides which
//! side a lease "belongs" to when pools are rebalanced (`peer_wants_lease`).
//!
//! Everything here is a pure function of its inputs.

use core::fmt;

/// Bytes in a hash bucket assignment: one bit per bucket.
pub const HBA_LEN: usize = 32;

/// The RFC 3074 mixing table (ISC's `loadb_mx_tbl`), a permutation of 0..=255.
static MIX: [u8; 256] = [
    251, 175, 119, 215, 81, 14, 79, 191, 103, 49, 181, 143, 186, 157, 0, 232, 31, 32, 55, 60, 152,
    58, 17, 237, 174, 70, 160, 144, 220, 90, 57, 223, 59, 3, 18, 140, 111, 166, 203, 196, 134, 243,
    124, 95, 222, 179, 197, 65, 180, 48, 36, 15, 107, 46, 233, 130, 165, 30, 123, 161, 209, 23, 97,
    16, 40, 91, 219, 61, 100, 10, 210, 109, 250, 127, 22, 138, 29, 108, 244, 67, 207, 9, 178, 204,
    74, 98, 126, 249, 167, 116, 34, 77, 193, 200, 121, 5, 20, 113, 71, 35, 128, 13, 182, 94, 25,
    226, 227, 199, 75, 27, 41, 245, 230, 224, 43, 225, 177, 26, 155, 150, 212, 142, 218, 115, 241,
    73, 88, 105, 39, 114, 62, 255, 192, 201, 145, 214, 168, 158, 221, 148, 154, 122, 12, 84, 82,
    163, 44, 139, 228, 236, 205, 242, 217, 11, 187, 146, 159, 64, 86, 239, 195, 42, 106, 198, 118,
    112, 184, 172, 87, 2, 173, 117, 176, 229, 247, 253, 137, 185, 99, 164, 102, 147, 45, 66, 231,
    52, 141, 211, 194, 206, 246, 238, 56, 110, 78, 248, 63, 240, 189, 93, 92, 51, 53, 183, 19, 171,
    72, 50, 33, 104, 101, 69, 8, 252, 83, 120, 76, 135, 85, 54, 202, 125, 188, 213, 96, 235, 136,
    208, 162, 129, 190, 132, 156, 38, 47, 1, 7, 254, 24, 4, 216, 131, 89, 21, 28, 133, 37, 153,
    149, 80, 170, 68, 6, 169, 234, 151,
];

/// The bucket (0..=255) of `key`: start from the key length (mod 256) and
/// mix in the bytes from the last to the first.
pub fn hash(key: &[u8]) -> u8 {
    key.iter()
        .rev()
        .fold(key.len() as u8, |h, &b| MIX[usize::from(h ^ b)])
}

/// The key ISC hashes for a DHCP packet: the whole client-identifier
/// option value (type byte included) when the client sent one, else the
/// first `hlen` bytes of `chaddr` (no hardware type). ISC drops packets
/// with `hlen` > 16 before this point; a longer `hlen` here is clipped to
/// the bytes given.
pub fn packet_key<'a>(client_id: Option<&'a [u8]>, chaddr: &'a [u8], hlen: u8) -> &'a [u8] {
    match client_id {
        Some(id) => id,
        None => chaddr.get(..usize::from(hlen)).unwrap_or(chaddr),
    }
}

/// The key ISC hashes for a stored lease (`peer_wants_lease`): its uid if it
/// has one, else its hardware address minus the leading htype byte; `None`
/// when neither gives a key (hardware address of one byte or less).
pub fn lease_key<'a>(uid: &'a [u8], hw_addr_with_type: &'a [u8]) -> Option<&'a [u8]> {
    if !uid.is_empty() {
        return Some(uid);
    }
    match hw_addr_with_type.get(1..) {
        Some(mac) if !mac.is_empty() => Some(mac),
        _ => None,
    }
}

/// Why an HBA could not be built; texts are ISC's config errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HbaError {
    /// `split` above 256.
    SplitOutOfRange(u32),
    /// `hba` (or the CONNECT option) not exactly 32 bytes.
    WrongLength(usize),
    /// `hba` text that is not colon-separated hex octets; the 0-based octet.
    BadHex(usize),
}

impl fmt::Display for HbaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HbaError::SplitOutOfRange(_) => {
                f.write_str("split must be between 0 and 256, inclusive")
            }
            HbaError::WrongLength(_) => f.write_str("HBA must be exactly 32 bytes."),
            HbaError::BadHex(i) => write!(f, "hba octet {} is not a hex byte", i + 1),
        }
    }
}

impl std::error::Error for HbaError {}

/// A hash bucket assignment: bit `b` (byte `b / 8`, mask `1 << (b % 8)`) set
/// means the primary serves bucket `b`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Hba([u8; HBA_LEN]);

impl Hba {
    /// `split N`: the primary takes buckets 0..N, filled LSB-first, so
    /// `split 128` is 16 bytes of `ff` then 16 of `00`.
    pub fn from_split(split: u32) -> Result<Hba, HbaError> {
        if split > 256 {
            return Err(HbaError::SplitOutOfRange(split));
        }
        let mut bits = [0u8; HBA_LEN];
        for bucket in 0..split as usize {
            bits[bucket / 8] |= 1 << (bucket % 8);
        }
        Ok(Hba(bits))
    }

    /// `hba` given as bytes (config or the CONNECT option): exactly 32.
    pub fn from_bytes(bytes: &[u8]) -> Result<Hba, HbaError> {
        <[u8; HBA_LEN]>::try_from(bytes)
            .map(Hba)
            .map_err(|_| HbaError::WrongLength(bytes.len()))
    }

    /// `hba` written as colon-separated hex octets (`ff:ff:...:00`), one or
    /// two digits each, exactly 32 of them.
    pub fn parse_hex(text: &str) -> Result<Hba, HbaError> {
        let mut bytes = Vec::with_capacity(HBA_LEN);
        for (i, octet) in text.split(':').enumerate() {
            let ok = (1..=2).contains(&octet.len()) && octet.bytes().all(|b| b.is_ascii_hexdigit());
            let value = u8::from_str_radix(octet, 16).ok().filter(|_| ok);
            bytes.push(value.ok_or(HbaError::BadHex(i))?);
        }
        Hba::from_bytes(&bytes)
    }

    /// The 32 bytes as sent in CONNECT.
    pub fn as_bytes(&self) -> &[u8; HBA_LEN] {
        &self.0
    }

    /// Whether the primary serves `bucket`.
    pub fn bucket_is_primary(&self, bucket: u8) -> bool {
        let byte = self.0[usize::from(bucket >> 3)];
        byte & (1 << (bucket & 7)) != 0
    }
}

impl fmt::Debug for Hba {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Hba(")?;
        for (i, b) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{b:02x}")?;
        }
        f.write_str(")")
    }
}

/// Whether the primary serves the client whose key is `key`.
pub fn bucket_is_primary(hba: &Hba, key: &[u8]) -> bool {
    hba.bucket_is_primary(hash(key))
}

/// The `secs` value ISC compares: with `check-secs-byte-order` on, a value
/// above 255 whose low byte is zero is taken as byte-swapped and swapped back
/// (some clients send `secs` little-endian).
pub fn effective_secs(secs: u16, check_secs_byte_order: bool) -> u16 {
    if check_secs_byte_order && secs > 255 && secs & 0xff == 0 {
        secs.swap_bytes()
    } else {
        secs
    }
}

/// One server's load-balancing settings for a failover relationship.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadBalance {
    /// The HBA in use (the primary's own; the secondary's from CONNECT).
    pub hba: Option<Hba>,
    /// `load balance max seconds`; 0 turns load balancing off.
    pub max_secs: u32,
    /// Whether this server is the primary.
    pub primary: bool,
    /// The global `check-secs-byte-order` flag.
    pub check_secs_byte_order: bool,
}

impl LoadBalance {
    /// ISC's `load_balance_mine`: should this server answer a DISCOVER with
    /// this `secs` (host order) and hash key? Both answer when balancing is
    /// off or the client has waited longer than `max_secs`; with no HBA
    /// neither claims the client.
    pub fn is_mine(&self, secs: u16, key: &[u8]) -> bool {
        let secs = effective_secs(secs, self.check_secs_byte_order);
        if self.max_secs == 0 || self.max_secs < u32::from(secs) {
            return true;
        }
        match &self.hba {
            None => false,
            Some(hba) => bucket_is_primary(hba, key) == self.primary,
        }
    }

    /// ISC's `peer_wants_lease`: does the lease with this key hash to the
    /// *other* server? False without an HBA or a key.
    pub fn peer_wants(&self, key: Option<&[u8]>) -> bool {
        match (&self.hba, key) {
            (Some(hba), Some(key)) => bucket_is_primary(hba, key) != self.primary,
            _ => false,
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn table_is_a_permutation() {
        let mut seen = [false; 256];
        for &v in MIX.iter() {
            assert!(!seen[usize::from(v)], "{v} twice");
            seen[usize::from(v)] = true;
        }
    }

    #[test]
    fn reference_vectors() {
        assert_eq!(hash(&[0x01, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x01]), 99);
        assert_eq!(hash(&[0x01, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x04]), 236);
        assert_eq!(hash(&[0x3a, 0x05, 0xf8, 0x0d, 0x0c, 0xc2]), 15);
        assert_eq!(hash(&[0x00, 0x11, 0x22, 0x33, 0x44, 0x55]), 135);
        assert_eq!(hash(&[0; 6]), 254);
        assert_eq!(hash(&[]), 0);
    }

    #[test]
    fn split_128_gives_the_seen_owners() {
        let hba = Hba::from_split(128).unwrap();
        assert!(bucket_is_primary(
            &hba,
            &[0x01, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x01]
        ));
        assert!(!bucket_is_primary(
            &hba,
            &[0x01, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x04]
        ));
    }

    #[test]
    fn split_fills_lsb_first() {
        let bytes = |n| *Hba::from_split(n).unwrap().as_bytes();
        assert_eq!(bytes(0), [0; 32]);
        assert_eq!(bytes(1)[..2], [0x01, 0x00]);
        assert_eq!(bytes(9)[..3], [0xff, 0x01, 0x00]);
        assert_eq!(bytes(256), [0xff; 32]);
        let mut half = [0u8; 32];
        half[..16].fill(0xff);
        assert_eq!(bytes(128), half);
        assert_eq!(Hba::from_split(257), Err(HbaError::SplitOutOfRange(257)));
        for n in 0..=256u32 {
            let hba = Hba::from_split(n).unwrap();
            assert!(
                (0..=255u8).all(|b| hba.bucket_is_primary(b) == (u32::from(b) < n)),
                "split {n}"
            );
        }
    }

    #[test]
    fn hba_from_bytes_and_text() {
        let mut want = [0u8; 32];
        want[0] = 0xf0;
        want[31] = 0x01;
        let text: Vec<String> = want.iter().map(|b| format!("{b:x}")).collect();
        assert_eq!(Hba::parse_hex(&text.join(":")).unwrap().as_bytes(), &want);
        assert_eq!(Hba::from_bytes(&want).unwrap().as_bytes(), &want);
        assert_eq!(Hba::from_bytes(&want[..31]), Err(HbaError::WrongLength(31)));
        assert_eq!(Hba::parse_hex("ff:ff"), Err(HbaError::WrongLength(2)));
        assert_eq!(Hba::parse_hex("ff:xy"), Err(HbaError::BadHex(1)));
        assert_eq!(Hba::parse_hex("ff:+f"), Err(HbaError::BadHex(1)));
        assert_eq!(Hba::parse_hex("100"), Err(HbaError::BadHex(0)));
        assert_eq!(
            HbaError::WrongLength(2).to_string(),
            "HBA must be exactly 32 bytes."
        );
        assert!(Hba::from_bytes(&want).unwrap().bucket_is_primary(4));
        assert!(!Hba::from_bytes(&want).unwrap().bucket_is_primary(3));
        assert!(Hba::from_bytes(&want).unwrap().bucket_is_primary(248));
    }

    #[test]
    fn keys() {
        let chaddr = [
            0x3a, 0x05, 0xf8, 0x0d, 0x0c, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ];
        assert_eq!(packet_key(None, &chaddr, 6), &chaddr[..6]);
        assert_eq!(packet_key(Some(&[1, 2]), &chaddr, 6), &[1, 2]);
        assert_eq!(packet_key(Some(&[]), &chaddr, 6), &[] as &[u8]);
        assert_eq!(packet_key(None, &chaddr, 200), &chaddr[..]);
        assert_eq!(lease_key(&[9], &[1, 2, 3]), Some(&[9][..]));
        assert_eq!(lease_key(&[], &[1, 2, 3]), Some(&[2, 3][..]));
        assert_eq!(lease_key(&[], &[1]), None);
        assert_eq!(lease_key(&[], &[]), None);
    }

    #[test]
    fn secs_byte_order() {
        assert_eq!(effective_secs(256, true), 1);
        assert_eq!(effective_secs(256, false), 256);
        assert_eq!(effective_secs(255, true), 255);
        assert_eq!(effective_secs(257, true), 257);
        assert_eq!(effective_secs(0x0600, true), 6);
    }

    fn lb(primary: bool, check: bool) -> LoadBalance {
        LoadBalance {
            hba: Some(Hba::from_split(256).unwrap()),
            max_secs: 5,
            primary,
            check_secs_byte_order: check,
        }
    }

    /// The cases of ISC's `server/tests/load_bal_unittest.c`: hlen 1,
    /// chaddr 14, an all-primary HBA, max seconds 5.
    #[test]
    fn isc_unit_test_cases() {
        let key = packet_key(None, &[14], 1);
        for (secs, primary, secondary) in [
            (0, true, false),
            (2, true, false),
            (6, true, true),
            (257, true, true),
        ] {
            assert_eq!(lb(true, false).is_mine(secs, key), primary, "secs {secs}");
            assert_eq!(
                lb(false, false).is_mine(secs, key),
                secondary,
                "secs {secs}"
            );
        }
        for (secs, primary, secondary) in [(256, true, false), (256 * 6, true, true)] {
            assert_eq!(lb(true, true).is_mine(secs, key), primary, "secs {secs}");
            assert_eq!(lb(false, true).is_mine(secs, key), secondary, "secs {secs}");
        }
    }

    #[test]
    fn off_or_without_hba() {
        let mut cfg = lb(false, false);
        cfg.max_secs = 0;
        assert!(cfg.is_mine(0, &[14]));
        cfg.max_secs = 5;
        cfg.hba = None;
        assert!(!cfg.is_mine(0, &[14]));
        assert!(cfg.is_mine(6, &[14]));
        assert!(!cfg.peer_wants(Some(&[14])));
    }

    #[test]
    fn peer_wants_is_the_other_side() {
        let half = Hba::from_split(128).unwrap();
        let ours = [0x01, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x01]; // bucket 99: primary's
        let theirs = [0x01, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x04]; // bucket 236: secondary's
        let primary = LoadBalance {
            hba: Some(half),
            max_secs: 3,
            primary: true,
            check_secs_byte_order: false,
        };
        let secondary = LoadBalance {
            primary: false,
            ..primary
        };
        assert!(!primary.peer_wants(Some(&ours)));
        assert!(primary.peer_wants(Some(&theirs)));
        assert!(secondary.peer_wants(Some(&ours)));
        assert!(!secondary.peer_wants(Some(&theirs)));
        assert!(!primary.peer_wants(None));
        assert!(primary.is_mine(0, &ours) && !primary.is_mine(0, &theirs));
        assert!(!secondary.is_mine(0, &ours) && secondary.is_mine(0, &theirs));
    }
}
