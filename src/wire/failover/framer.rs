//! Cutting a failover TCP byte stream into messages.
//!
//! ISC reads two bytes, checks the length is 12..=2048 and, if not, logs
//! `message length wait: unexpected error` and closes the connection; else
//! it waits for the rest of the message. [`frame_len`] is that rule as a
//! function of the bytes received so far, and [`Deframer`] keeps the bytes
//! between reads. A bad length is final: the link is dead, so the deframer
//! keeps answering with the same error. No IO happens here.

use super::{Error, Packet, MAX_MESSAGE_LEN, MIN_MESSAGE_LEN};

/// Length of the complete message at the start of `buf`, `Ok(None)` if more
/// bytes are needed, or `Err(BadLength)` as soon as the length field is bad.
pub fn frame_len(buf: &[u8]) -> Result<Option<usize>, Error> {
    let Some(prefix) = buf.get(..2) else {
        return Ok(None);
    };
    let len = u16::from_be_bytes([prefix[0], prefix[1]]);
    if !(MIN_MESSAGE_LEN..=MAX_MESSAGE_LEN).contains(&len) {
        return Err(Error::BadLength(len));
    }
    let len = usize::from(len);
    Ok((buf.len() >= len).then_some(len))
}

/// Accumulates stream bytes and hands out whole messages, without copying
/// them out of its buffer.
#[derive(Debug, Clone, Default)]
pub struct Deframer {
    buf: Vec<u8>,
    /// Bytes at the front of `buf` already handed out.
    start: usize,
    /// Set once a bad length was seen; the stream can no longer be framed.
    failed: Option<Error>,
}

impl Deframer {
    /// An empty deframer for a new connection.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends bytes read from the socket. Ignored once the link has failed.
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

    /// The next complete message (exactly its `length` bytes), `Ok(None)`
    /// when more bytes are needed, or the error that killed the link.
    /// Only the length is checked here; [`super::Message::parse`] does the rest.
    pub fn next_message(&mut self) -> Result<Option<Packet<&[u8]>>, Error> {
        if let Some(err) = self.failed {
            return Err(err);
        }
        let pending = self.buf.get(self.start..).unwrap_or(&[]);
        match frame_len(pending) {
            Err(err) => {
                self.failed = Some(err);
                Err(err)
            }
            Ok(None) => Ok(None),
            Ok(Some(len)) => {
                let range = self.start..self.start + len;
                self.start = range.end;
                Ok(self.buf.get(range).map(Packet::new_unchecked))
            }
        }
    }

    /// Bytes received but not yet handed out as a message.
    pub fn pending(&self) -> usize {
        self.buf.len().saturating_sub(self.start)
    }

    /// The error that ended the stream, if any.
    pub fn failure(&self) -> Option<Error> {
        self.failed
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::wire::failover::{Message, MessageType};

    fn contact(xid: u8) -> [u8; 12] {
        [0, 12, 11, 12, 0, 0, 0, 1, 0, 0, 0, xid]
    }

    #[test]
    fn frame_len_waits_then_cuts() {
        assert_eq!(frame_len(&[]), Ok(None));
        assert_eq!(frame_len(&[0]), Ok(None));
        assert_eq!(frame_len(&[0, 12, 11]), Ok(None));
        assert_eq!(frame_len(&contact(1)), Ok(Some(12)));
        assert_eq!(frame_len(&[0, 11]), Err(Error::BadLength(11)));
        assert_eq!(frame_len(&[0x08, 0x01]), Err(Error::BadLength(2049)));
        assert_eq!(frame_len(&[0x08, 0x00]), Ok(None));
    }

    #[test]
    fn byte_at_a_time_yields_each_message_once() {
        let mut stream = Vec::new();
        for xid in 0..5 {
            stream.extend_from_slice(&contact(xid));
        }
        let state = Message::state(7, 9, crate::wire::failover::ServerState::Normal, false, 3);
        stream.extend_from_slice(&state.to_vec().unwrap());
        let mut d = Deframer::new();
        let mut got = Vec::new();
        for b in &stream {
            d.push(&[*b]);
            while let Some(p) = d.next_message().unwrap() {
                got.push(p.as_ref().to_vec());
            }
        }
        let got: Vec<_> = got
            .iter()
            .map(|b| Message::parse(&Packet::new_unchecked(&b[..])).unwrap())
            .collect();
        assert_eq!(got.len(), 6);
        for (i, m) in got.iter().take(5).enumerate() {
            assert_eq!((m.kind, m.xid), (MessageType::Contact, i as u32));
        }
        assert_eq!(got[5], state);
        assert_eq!(d.pending(), 0);
    }

    #[test]
    fn several_messages_in_one_read() {
        let mut d = Deframer::new();
        let mut chunk = contact(1).to_vec();
        chunk.extend_from_slice(&contact(2));
        chunk.extend_from_slice(&contact(3)[..5]);
        d.push(&chunk);
        assert_eq!(d.next_message().unwrap().unwrap().xid(), 1);
        assert_eq!(d.next_message().unwrap().unwrap().xid(), 2);
        assert!(d.next_message().unwrap().is_none());
        assert_eq!(d.pending(), 5);
        d.push(&contact(3)[5..]);
        assert_eq!(d.next_message().unwrap().unwrap().as_ref(), &contact(3));
    }

    #[test]
    fn bad_length_kills_the_stream() {
        let mut d = Deframer::new();
        d.push(&contact(1));
        d.push(&[0x00, 0x05, 1, 2, 3]);
        assert!(d.next_message().unwrap().is_some());
        assert_eq!(d.next_message().unwrap_err(), Error::BadLength(5));
        d.push(&contact(2));
        assert_eq!(d.next_message().unwrap_err(), Error::BadLength(5));
        assert_eq!(d.failure(), Some(Error::BadLength(5)));
        assert_eq!(
            Error::BadLength(5).link_log_line(),
            "message length wait: unexpected error"
        );
    }
}
