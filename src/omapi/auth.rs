//! OMAPI message signatures: HMAC keyed with a `key` statement's secret.
//!
//! ISC signs with the keys of `key NAME { algorithm ALG; secret BASE64; }` (all of them can be
//! opened as OMAPI authenticators; with `omapi-key` set only that one is accepted). The
//! algorithms are those ISC's `isclib_make_dst_key` maps to DST: HMAC-MD5, -SHA1, -SHA224,
//! -SHA256, -SHA384 and -SHA512, matched case-insensitively by their fully qualified names
//! (`hmac-md5.SIG-ALG.REG.INT.`). The key is the base64-decoded secret, used as HMAC's key
//! (longer than a block is hashed first, as RFC 2104 and ISC's DST do); the signature is the
//! whole digest (16 bytes for MD5, 32 for SHA-256, ...).
//!
//! What is signed is fixed by ISC's connection code, which feeds every byte it reads or writes
//! to the key's digest between "activate key" and "take signature": a message's header after
//! `authid`, and everything from the end of the header through the object-values terminator
//! ([`Packet::signed_parts`]). Verified against captured omshell and dhcpd messages for MD5 and
//! SHA-256 (tests below).

use core::fmt;

use hmac::{Hmac, Mac};

use crate::conf::model::Key;
use crate::wire::omapi::{Packet, HEADER_LEN};

/// A signing algorithm ISC accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// HMAC-MD5, omshell's default.
    HmacMd5,
    /// HMAC-SHA1.
    HmacSha1,
    /// HMAC-SHA224.
    HmacSha224,
    /// HMAC-SHA256.
    HmacSha256,
    /// HMAC-SHA384.
    HmacSha384,
    /// HMAC-SHA512.
    HmacSha512,
}

impl Algorithm {
    /// Every algorithm, in ISC's order.
    pub const ALL: [Algorithm; 6] = [
        Algorithm::HmacMd5,
        Algorithm::HmacSha1,
        Algorithm::HmacSha224,
        Algorithm::HmacSha256,
        Algorithm::HmacSha384,
        Algorithm::HmacSha512,
    ];

    /// ISC's fully qualified name (`DHCP_HMAC_*_NAME`).
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::HmacMd5 => "HMAC-MD5.SIG-ALG.REG.INT.",
            Algorithm::HmacSha1 => "HMAC-SHA1.SIG-ALG.REG.INT.",
            Algorithm::HmacSha224 => "HMAC-SHA224.SIG-ALG.REG.INT.",
            Algorithm::HmacSha256 => "HMAC-SHA256.SIG-ALG.REG.INT.",
            Algorithm::HmacSha384 => "HMAC-SHA384.SIG-ALG.REG.INT.",
            Algorithm::HmacSha512 => "HMAC-SHA512.SIG-ALG.REG.INT.",
        }
    }

    /// The algorithm a fully qualified name means, compared without regard to case as ISC
    /// does; `None` for a name ISC cannot sign with.
    pub fn from_name(name: &str) -> Option<Algorithm> {
        Algorithm::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name))
    }

    /// Length of a signature (the digest length).
    pub fn signature_len(self) -> usize {
        match self {
            Algorithm::HmacMd5 => 16,
            Algorithm::HmacSha1 => 20,
            Algorithm::HmacSha224 => 28,
            Algorithm::HmacSha256 => 32,
            Algorithm::HmacSha384 => 48,
            Algorithm::HmacSha512 => 64,
        }
    }
}

/// Why a key cannot sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    /// The key's algorithm is not one ISC can sign with. ISC still lets a client open such a
    /// key and then drops the connection at the first message that uses it.
    UnusableAlgorithm {
        /// The key.
        key: String,
        /// Its algorithm as configured.
        algorithm: String,
    },
    /// The message given to sign has no room for this key's signature.
    SignatureSpace {
        /// Bytes the signature needs.
        need: usize,
        /// `authlen` of the message.
        have: usize,
    },
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthError::UnusableAlgorithm { key, algorithm } => {
                write!(
                    f,
                    "key {key}: algorithm {algorithm} cannot sign OMAPI messages"
                )
            }
            AuthError::SignatureSpace { need, have } => {
                write!(
                    f,
                    "OMAPI signature needs {need} bytes, message has room for {have}"
                )
            }
        }
    }
}

impl std::error::Error for AuthError {}

/// One key as OMAPI uses it.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthKey {
    name: String,
    /// The algorithm name as configured (already qualified); sent back to the client.
    algorithm_name: String,
    algorithm: Option<Algorithm>,
    secret: Vec<u8>,
}

/// Never prints the secret.
impl fmt::Debug for AuthKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthKey")
            .field("name", &self.name)
            .field("algorithm", &self.algorithm_name)
            .finish_non_exhaustive()
    }
}

impl AuthKey {
    /// A key from its name, qualified algorithm name and decoded secret.
    pub fn new(name: &str, algorithm_name: &str, secret: &[u8]) -> AuthKey {
        AuthKey {
            name: name.to_string(),
            algorithm_name: algorithm_name.to_string(),
            algorithm: Algorithm::from_name(algorithm_name),
            secret: secret.to_vec(),
        }
    }

    /// The key of a `key` statement.
    pub fn from_config(key: &Key) -> AuthKey {
        AuthKey::new(&key.name, &key.algorithm, &key.secret)
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The algorithm name as configured (what ISC sends back in the authenticator object).
    pub fn algorithm_name(&self) -> &str {
        &self.algorithm_name
    }

    /// The algorithm, or why this key cannot sign.
    pub fn algorithm(&self) -> Result<Algorithm, AuthError> {
        self.algorithm.ok_or_else(|| AuthError::UnusableAlgorithm {
            key: self.name.clone(),
            algorithm: self.algorithm_name.clone(),
        })
    }

    /// The signature over `parts`, concatenated.
    pub fn sign(&self, parts: &[&[u8]]) -> Result<Vec<u8>, AuthError> {
        Ok(match self.algorithm()? {
            Algorithm::HmacMd5 => mac::<Hmac<md5::Md5>>(&self.secret, parts),
            Algorithm::HmacSha1 => mac::<Hmac<sha1::Sha1>>(&self.secret, parts),
            Algorithm::HmacSha224 => mac::<Hmac<sha2::Sha224>>(&self.secret, parts),
            Algorithm::HmacSha256 => mac::<Hmac<sha2::Sha256>>(&self.secret, parts),
            Algorithm::HmacSha384 => mac::<Hmac<sha2::Sha384>>(&self.secret, parts),
            Algorithm::HmacSha512 => mac::<Hmac<sha2::Sha512>>(&self.secret, parts),
        })
    }

    /// True when `signature` is this key's signature over `parts` (compared in constant
    /// time; a signature of the wrong length never matches).
    pub fn verify(&self, parts: &[&[u8]], signature: &[u8]) -> Result<bool, AuthError> {
        Ok(match self.algorithm()? {
            Algorithm::HmacMd5 => check::<Hmac<md5::Md5>>(&self.secret, parts, signature),
            Algorithm::HmacSha1 => check::<Hmac<sha1::Sha1>>(&self.secret, parts, signature),
            Algorithm::HmacSha224 => check::<Hmac<sha2::Sha224>>(&self.secret, parts, signature),
            Algorithm::HmacSha256 => check::<Hmac<sha2::Sha256>>(&self.secret, parts, signature),
            Algorithm::HmacSha384 => check::<Hmac<sha2::Sha384>>(&self.secret, parts, signature),
            Algorithm::HmacSha512 => check::<Hmac<sha2::Sha512>>(&self.secret, parts, signature),
        })
    }

    /// Verifies a received message (any header size).
    pub fn verify_packet<T: AsRef<[u8]>>(&self, packet: &Packet<T>) -> Result<bool, AuthError> {
        self.verify(&packet.signed_parts(), packet.signature())
    }

    /// Fills in the signature of an emitted message (24-byte header) whose `authlen` is this
    /// key's signature length.
    pub fn sign_message(&self, message: &mut [u8]) -> Result<(), AuthError> {
        let need = self.algorithm()?.signature_len();
        let mut packet = Packet::new_unchecked(&mut *message, HEADER_LEN);
        let have = packet.authlen() as usize;
        if have != need || packet.check_len().is_err() {
            return Err(AuthError::SignatureSpace { need, have });
        }
        let sig = self.sign(&packet.signed_parts())?;
        packet.signature_mut().copy_from_slice(&sig);
        Ok(())
    }
}

fn mac<M: Mac + hmac::digest::KeyInit>(secret: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    // HMAC accepts keys of any length, so this cannot fail; an empty result would simply
    // never verify.
    let Ok(mut m) = <M as hmac::digest::KeyInit>::new_from_slice(secret) else {
        return Vec::new();
    };
    for part in parts {
        m.update(part);
    }
    m.finalize().into_bytes().to_vec()
}

fn check<M: Mac + hmac::digest::KeyInit>(secret: &[u8], parts: &[&[u8]], sig: &[u8]) -> bool {
    let Ok(mut m) = <M as hmac::digest::KeyInit>::new_from_slice(secret) else {
        return false;
    };
    for part in parts {
        m.update(part);
    }
    m.verify_slice(sig).is_ok()
}

/// The keys a client may open as authenticators, looked up as ISC's key hash does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyRing {
    keys: Vec<AuthKey>,
}

impl KeyRing {
    /// A ring of the given keys (a later key of the same name replaces an earlier one).
    pub fn new(keys: impl IntoIterator<Item = AuthKey>) -> KeyRing {
        let mut ring = KeyRing::default();
        for key in keys {
            ring.keys
                .retain(|k| !k.name.eq_ignore_ascii_case(&key.name));
            ring.keys.push(key);
        }
        ring
    }

    /// Every `key` statement of a configuration.
    pub fn from_config(keys: &[Key]) -> KeyRing {
        KeyRing::new(keys.iter().map(AuthKey::from_config))
    }

    /// The key called `name`, any case (ISC's key hash compares names without case).
    pub fn get(&self, name: &str) -> Option<&AuthKey> {
        self.keys.iter().find(|k| k.name.eq_ignore_ascii_case(name))
    }

    /// The key an authenticator OPEN names: `name` without case, then `algorithm` compared
    /// without case to the key's configured algorithm name (ISC `omapi_auth_key_lookup`).
    pub fn lookup(&self, name: &[u8], algorithm: &[u8]) -> Option<&AuthKey> {
        self.keys.iter().find(|k| {
            k.name.as_bytes().eq_ignore_ascii_case(name)
                && k.algorithm_name.as_bytes().eq_ignore_ascii_case(algorithm)
        })
    }

    /// True when the ring has no keys.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::wire::omapi::captures::{self, connections, split, stream};
    use crate::wire::omapi::{Message, NamedValue, Opcode, Value};

    /// `dGhpcyBpcyBhIHRlc3Qga2V5IQ==`, the lab's `omkey` (HMAC-MD5).
    fn omkey() -> AuthKey {
        AuthKey::new("omkey", "hmac-md5.SIG-ALG.REG.INT.", b"this is a test key!")
    }

    /// `c2hhMjU2IHRlc3Qgc2VjcmV0IGtleSBieXRlcw==`, the lab's `shakey` (HMAC-SHA256).
    fn shakey() -> AuthKey {
        AuthKey::new(
            "shakey",
            "hmac-sha256.SIG-ALG.REG.INT.",
            b"sha256 test secret key bytes",
        )
    }

    /// Every signed message of a capture, checked in both directions with `key`.
    fn check_capture(log: &str, key: &AuthKey, sig_len: usize) -> usize {
        let mut checked = 0;
        for conn in connections(log) {
            for to_server in [true, false] {
                let s = stream(&conn, to_server);
                if s.len() < 8 {
                    continue;
                }
                let (intro, msgs) = split(&s);
                for m in msgs {
                    let p = Packet::new_checked(&m[..], intro.header_size as usize).unwrap();
                    if p.authlen() as usize != sig_len {
                        continue;
                    }
                    assert!(key.verify_packet(&p).unwrap(), "{m:02x?}");
                    // Re-signing the emitted message gives ISC's bytes.
                    let mut again = Message::parse(&p).unwrap().to_vec().unwrap();
                    let n = again.len();
                    again[n - sig_len..].fill(0);
                    key.sign_message(&mut again).unwrap();
                    assert_eq!(again, m);
                    checked += 1;
                }
            }
        }
        checked
    }

    /// The lines of a capture for the given connections only.
    fn only(log: &str, conns: &[&str]) -> String {
        log.lines()
            .filter(|l| conns.contains(&l.split(' ').next().unwrap_or("")))
            .map(|l| format!("{l}\n"))
            .collect()
    }

    #[test]
    fn md5_signatures_match_isc_and_omshell() {
        // Connection 2 of the SHA-256 capture signs with omkey: 2 requests, 2 replies.
        assert_eq!(
            check_capture(&only(captures::OMSHELL_SHA256, &["2"]), &omkey(), 16),
            4
        );
        // The keyed server with the right key: 6 requests and their 6 signed replies.
        assert_eq!(
            check_capture(&only(captures::OMSHELL_KEY, &["1", "2"]), &omkey(), 16),
            12
        );
    }

    #[test]
    fn sha256_signatures_match_isc_and_omshell() {
        let log = only(captures::OMSHELL_SHA256, &["1"]);
        assert_eq!(check_capture(&log, &shakey(), 32), 2);
    }

    #[test]
    fn wrong_secret_and_tampering_fail() {
        let conns = connections(captures::OMSHELL_KEY);
        let (_, msgs) = split(&stream(&conns[0], true));
        let m = &msgs[1];
        let p = Packet::new_checked(&m[..], HEADER_LEN).unwrap();
        assert!(omkey().verify_packet(&p).unwrap());
        let wrong = AuthKey::new(
            "omkey",
            "hmac-md5.SIG-ALG.REG.INT.",
            b"wrong test key secret!",
        );
        assert!(!wrong.verify_packet(&p).unwrap());
        // authid is not covered; every other byte is.
        for i in 0..m.len() {
            let mut t = m.clone();
            t[i] ^= 0x40;
            let Ok(p) = Packet::new_checked(&t[..], HEADER_LEN) else {
                continue;
            };
            assert_eq!(omkey().verify_packet(&p).unwrap(), i < 4, "byte {i}");
        }
        // A short signature never matches, even if it is a prefix of the right one.
        let full = omkey().sign(&p.signed_parts()).unwrap();
        assert!(!omkey().verify(&p.signed_parts(), &full[..8]).unwrap());
    }

    #[test]
    fn every_algorithm_signs_with_its_length() {
        let msg = Message {
            op: Opcode::Open,
            id: 1,
            message_values: vec![NamedValue::new("type", Value::string("control"))],
            ..Message::default()
        };
        for alg in Algorithm::ALL {
            let key = AuthKey::new("k", &alg.name().to_ascii_lowercase(), b"secret");
            assert_eq!(key.algorithm(), Ok(alg));
            let mut m = Message {
                authid: 1,
                signature: vec![0; alg.signature_len()],
                ..msg.clone()
            }
            .to_vec()
            .unwrap();
            key.sign_message(&mut m).unwrap();
            let p = Packet::new_checked(&m[..], HEADER_LEN).unwrap();
            assert!(key.verify_packet(&p).unwrap());
            assert_ne!(p.signature(), vec![0; alg.signature_len()]);
        }
    }

    /// RFC 2202 / RFC 4231 test case 2 ("Jefe"), which also pins the key handling.
    #[test]
    fn rfc_vectors() {
        let data: &[&[u8]] = &[b"what do ya want ", b"for nothing?"];
        let hex = |alg: &str| {
            let key = AuthKey::new("jefe", alg, b"Jefe");
            key.sign(data)
                .unwrap()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        };
        assert_eq!(
            hex("HMAC-MD5.SIG-ALG.REG.INT."),
            "750c783e6ab0b503eaa86e310a5db738"
        );
        assert_eq!(
            hex("hmac-sha1.sig-alg.reg.int."),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        );
        assert_eq!(
            hex("HMAC-SHA256.SIG-ALG.REG.INT."),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn unusable_algorithm_is_reported() {
        let key = AuthKey::new("odd", "hmac-md4.SIG-ALG.REG.INT.", b"x");
        let err = key.sign(&[b"x"]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "key odd: algorithm hmac-md4.SIG-ALG.REG.INT. cannot sign OMAPI messages"
        );
        assert!(key.verify(&[b"x"], &[0; 16]).is_err());
        assert!(!format!("{key:?}").contains("secret: "));
    }

    #[test]
    fn sign_message_needs_the_right_authlen() {
        let mut m = Message::status(1, 2, 0, None).to_vec().unwrap();
        assert_eq!(
            omkey().sign_message(&mut m),
            Err(AuthError::SignatureSpace { need: 16, have: 0 })
        );
    }

    #[test]
    fn ring_lookup_is_case_insensitive_and_last_wins() {
        let ring = KeyRing::new([
            AuthKey::new("omkey", "hmac-md5.SIG-ALG.REG.INT.", b"old"),
            shakey(),
            omkey(),
        ]);
        let k = ring.lookup(b"OMKEY", b"HMAC-MD5.SIG-ALG.REG.INT.").unwrap();
        assert_eq!(k, &omkey());
        assert!(ring
            .lookup(b"omkey", b"hmac-sha256.SIG-ALG.REG.INT.")
            .is_none());
        assert!(ring.lookup(b"omke", b"hmac-md5.SIG-ALG.REG.INT.").is_none());
        assert_eq!(ring.get("ShaKey").unwrap().name(), "shakey");
        assert!(!ring.is_empty());
        let conf = [Key {
            name: "k".into(),
            algorithm: "hmac-md5.SIG-ALG.REG.INT.".into(),
            secret: vec![1, 2],
        }];
        assert_eq!(
            KeyRing::from_config(&conf)
                .get("k")
                .unwrap()
                .algorithm_name(),
            conf[0].algorithm
        );
    }
}
