//! Finding where an OMAPI message ends in a TCP byte stream.
//!
//! An OMAPI message has no length prefix: its end is known only by walking the header, two
//! name/value lists and the signature, as ISC's reader does one field at a time. [`Scanner`]
//! is that walk made resumable: it remembers how far it got, so feeding a message one byte at
//! a time costs constant work per byte, and it refuses a message as soon as a length field
//! makes it longer than the caller's limit (ISC has no limit and would try to allocate what a
//! 4-byte value length asks for). [`Deframer`] keeps the bytes between reads and hands out
//! whole messages as [`Packet`] views. No IO happens here.

use core::ops::Range;

use super::{field, Error, Packet, HEADER_LEN, NAME_LEN_LEN, VALUE_LEN_LEN};

/// Where the parts of one complete message lie, as offsets from its first byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The message-level values, including their terminator.
    pub message_values: Range<usize>,
    /// The object values, including their terminator.
    pub object_values: Range<usize>,
    /// The signature (`authlen` bytes; empty when unsigned).
    pub signature: Range<usize>,
}

impl Layout {
    /// Total length of the message.
    pub fn len(&self) -> usize {
        self.signature.end
    }

    /// Always false: a message has at least a header and two terminators.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Phase {
    #[default]
    Header,
    MessageValues,
    ObjectValues,
    Signature,
}

/// A resumable walk over one message (see the module doc).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scanner {
    phase: Phase,
    /// Offset of the next field to read.
    pos: usize,
    /// Start of the object values, once the message values' terminator was read.
    objects_at: usize,
    /// Start of the signature, once the object values' terminator was read.
    signature_at: usize,
    /// Bytes the message needs before the walk can go on.
    need: u64,
}

impl Scanner {
    /// A walk at the start of a message.
    pub fn new() -> Scanner {
        Scanner::default()
    }

    /// Bytes the message is known to need so far (at least the next field's end).
    pub fn need(&self) -> u64 {
        self.need
    }

    /// True once any part of the message was walked past.
    pub fn started(&self) -> bool {
        self.pos > 0
    }

    /// Walks on over `buf`, which holds the message from its first byte (and perhaps bytes of
    /// later messages). `Ok(Some(layout))` once the message is complete, `Ok(None)` when more
    /// bytes are needed, `Err(TooLong)` when the message would exceed `max_len` bytes.
    pub fn advance(
        &mut self,
        buf: &[u8],
        header_len: usize,
        max_len: usize,
    ) -> Result<Option<Layout>, Error> {
        if header_len < HEADER_LEN {
            return Err(Error::HeaderTooShort(header_len));
        }
        loop {
            match self.phase {
                Phase::Header => {
                    // Header, the signature and two terminators are the least a message needs.
                    let authlen = buf
                        .get(field::AUTHLEN)
                        .map_or(0, |b| super::read_u32(Some(b)));
                    self.require(
                        header_len as u64 + 2 * NAME_LEN_LEN as u64 + u64::from(authlen),
                        max_len,
                    )?;
                    if buf.len() < header_len {
                        self.need = header_len as u64;
                        return Ok(None);
                    }
                    self.pos = header_len;
                    self.phase = Phase::MessageValues;
                }
                Phase::MessageValues | Phase::ObjectValues => {
                    let p = self.pos;
                    let Some(&[a, b]) = buf.get(p..p + NAME_LEN_LEN) else {
                        self.need = (p + NAME_LEN_LEN) as u64;
                        return Ok(None);
                    };
                    let nlen = usize::from(u16::from_be_bytes([a, b]));
                    if nlen == 0 {
                        self.pos = p + NAME_LEN_LEN;
                        if self.phase == Phase::MessageValues {
                            self.objects_at = self.pos;
                            self.phase = Phase::ObjectValues;
                        } else {
                            self.signature_at = self.pos;
                            self.phase = Phase::Signature;
                        }
                        continue;
                    }
                    let vlen_at = p + NAME_LEN_LEN + nlen;
                    self.require((vlen_at + VALUE_LEN_LEN + NAME_LEN_LEN) as u64, max_len)?;
                    let Some(&[a, b, c, d]) = buf.get(vlen_at..vlen_at + VALUE_LEN_LEN) else {
                        self.need = (vlen_at + VALUE_LEN_LEN) as u64;
                        return Ok(None);
                    };
                    let vlen = u64::from(u32::from_be_bytes([a, b, c, d]));
                    let next = (vlen_at + VALUE_LEN_LEN) as u64 + vlen;
                    // The terminator of this list must still fit.
                    self.require(next + NAME_LEN_LEN as u64, max_len)?;
                    self.pos = usize::try_from(next).map_err(|_| Error::TooLong {
                        need: next,
                        max: max_len,
                    })?;
                }
                Phase::Signature => {
                    let authlen = super::read_u32(buf.get(field::AUTHLEN));
                    let end = self.signature_at as u64 + u64::from(authlen);
                    self.require(end, max_len)?;
                    let end = usize::try_from(end).map_err(|_| Error::TooLong {
                        need: end,
                        max: max_len,
                    })?;
                    if buf.len() < end {
                        self.need = end as u64;
                        return Ok(None);
                    }
                    self.need = end as u64;
                    return Ok(Some(Layout {
                        message_values: header_len..self.objects_at,
                        object_values: self.objects_at..self.signature_at,
                        signature: self.signature_at..end,
                    }));
                }
            }
        }
    }

    fn require(&mut self, need: u64, max_len: usize) -> Result<(), Error> {
        self.need = self.need.max(need);
        if need > max_len as u64 {
            return Err(Error::TooLong { need, max: max_len });
        }
        Ok(())
    }
}

/// Accumulates stream bytes and hands out whole messages without copying them.
#[derive(Debug, Clone)]
pub struct Deframer {
    buf: Vec<u8>,
    /// Bytes at the front of `buf` already handed out.
    start: usize,
    scanner: Scanner,
    header_len: usize,
    max_len: usize,
    /// Set once a message was refused; the stream cannot be framed past it.
    failed: Option<Error>,
}

impl Deframer {
    /// A deframer for messages with `header_len`-byte headers (the peer's announced size),
    /// refusing any message longer than `max_len`.
    pub fn new(header_len: usize, max_len: usize) -> Deframer {
        Deframer {
            buf: Vec::new(),
            start: 0,
            scanner: Scanner::new(),
            header_len,
            max_len,
            failed: None,
        }
    }

    /// Appends bytes read from the socket. Ignored once the stream has failed.
    pub fn push(&mut self, data: &[u8]) {
        if self.failed.is_some() {
            return;
        }
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(data);
    }

    /// The next complete message, `Ok(None)` when more bytes are needed, or the error that
    /// ended the stream (given again on every later call).
    pub fn next_message(&mut self) -> Result<Option<Packet<&[u8]>>, Error> {
        if let Some(err) = self.failed {
            return Err(err);
        }
        let pending = self.buf.get(self.start..).unwrap_or(&[]);
        match self.scanner.advance(pending, self.header_len, self.max_len) {
            Err(err) => {
                self.failed = Some(err);
                Err(err)
            }
            Ok(None) => Ok(None),
            Ok(Some(layout)) => {
                let range = self.start..self.start + layout.len();
                self.start = range.end;
                self.scanner = Scanner::new();
                let header_len = self.header_len;
                Ok(self
                    .buf
                    .get(range)
                    .map(|b| Packet::new_unchecked(b, header_len)))
            }
        }
    }

    /// Bytes received but not yet handed out as a message.
    pub fn pending(&self) -> usize {
        self.buf.len().saturating_sub(self.start)
    }

    /// True when bytes of an unfinished message are held.
    pub fn in_message(&self) -> bool {
        self.pending() > 0
    }

    /// The error that ended the stream, if any.
    pub fn failure(&self) -> Option<Error> {
        self.failed
    }
}

#[cfg(test)]
mod test {
    use super::*;

    /// An unsigned message with one message value and one object value.
    fn sample(id: u8) -> Vec<u8> {
        let mut m = vec![
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, id, 0, 0, 0, 0,
        ];
        m.extend_from_slice(&[
            0, 4, b't', b'y', b'p', b'e', 0, 0, 0, 4, b'h', b'o', b's', b't',
        ]);
        m.extend_from_slice(&[0, 0]);
        m.extend_from_slice(&[0, 1, b'n', 0, 0, 0, 0]);
        m.extend_from_slice(&[0, 0]);
        m
    }

    #[test]
    fn scanner_finds_the_layout() {
        let m = sample(1);
        let layout = Scanner::new().advance(&m, 24, 1000).unwrap().unwrap();
        assert_eq!(layout.message_values, 24..40);
        assert_eq!(layout.object_values, 40..49);
        assert_eq!(layout.signature, 49..49);
        assert_eq!(layout.len(), m.len());
        for cut in 0..m.len() {
            assert_eq!(
                Scanner::new().advance(&m[..cut], 24, 1000),
                Ok(None),
                "cut {cut}"
            );
        }
    }

    #[test]
    fn byte_at_a_time_yields_each_message_once() {
        let mut stream = Vec::new();
        for id in 0..4 {
            stream.extend_from_slice(&sample(id));
        }
        let mut d = Deframer::new(24, 1000);
        let mut got = Vec::new();
        for b in &stream {
            d.push(&[*b]);
            while let Some(p) = d.next_message().unwrap() {
                got.push(p.id());
            }
        }
        assert_eq!(got, vec![0, 1, 2, 3]);
        assert_eq!(d.pending(), 0);
        assert!(!d.in_message());
    }

    #[test]
    fn several_messages_in_one_read() {
        let mut d = Deframer::new(24, 1000);
        let mut chunk = sample(1);
        chunk.extend_from_slice(&sample(2));
        chunk.extend_from_slice(&sample(3)[..30]);
        d.push(&chunk);
        assert_eq!(d.next_message().unwrap().unwrap().id(), 1);
        assert_eq!(d.next_message().unwrap().unwrap().id(), 2);
        assert!(d.next_message().unwrap().is_none());
        assert_eq!(d.pending(), 30);
        assert!(d.in_message());
        d.push(&sample(3)[30..]);
        assert_eq!(d.next_message().unwrap().unwrap().as_ref(), &sample(3)[..]);
    }

    #[test]
    fn larger_header_is_skipped() {
        let m = sample(7);
        let mut big = m[..24].to_vec();
        big.extend_from_slice(b"XXXX");
        big.extend_from_slice(&m[24..]);
        let mut d = Deframer::new(28, 1000);
        d.push(&big);
        let p = d.next_message().unwrap().unwrap();
        assert_eq!(p.id(), 7);
        assert_eq!(p.message_values().count(), 1);
        assert_eq!(p.object_values().next(), Some((&b"n"[..], &b""[..])));
    }

    #[test]
    fn huge_value_length_is_refused_before_its_bytes_arrive() {
        let mut m = sample(1)[..24].to_vec();
        m.extend_from_slice(&[0, 4, b't', b'y', b'p', b'e', 0xff, 0xff, 0xff, 0xf0]);
        let mut d = Deframer::new(24, 65536);
        d.push(&m);
        let err = d.next_message().unwrap_err();
        assert!(matches!(err, Error::TooLong { max: 65536, .. }), "{err:?}");
        d.push(&[0; 100]);
        assert_eq!(d.next_message().unwrap_err(), err);
        assert_eq!(d.failure(), Some(err));
    }

    #[test]
    fn huge_authlen_is_refused_from_the_header() {
        let mut m = sample(1);
        m[4..8].copy_from_slice(&0x7fff_ffffu32.to_be_bytes());
        let mut d = Deframer::new(24, 4096);
        d.push(&m[..24]);
        assert!(matches!(d.next_message(), Err(Error::TooLong { .. })));
    }

    #[test]
    fn limit_is_inclusive() {
        let m = sample(1);
        assert!(Scanner::new().advance(&m, 24, m.len()).unwrap().is_some());
        assert!(matches!(
            Scanner::new().advance(&m, 24, m.len() - 1),
            Err(Error::TooLong { .. })
        ));
    }

    #[test]
    fn header_below_24_is_refused() {
        assert_eq!(
            Scanner::new().advance(&sample(1), 16, 1000),
            Err(Error::HeaderTooShort(16))
        );
    }
}
