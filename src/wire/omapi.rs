/*! OMAPI messages as ISC dhcpd 4.4 and `omshell` speak them (reference §3).

A connection starts with an 8-byte introduction from each side ([`Intro`]: protocol version 100
and the sender's header size, 24). After that each side sends messages:

```text
 0               1               2               3
+---------------------------------------------------------------+
|  authid: receiver's handle of the signing key, 0 = unsigned   |  not signed
+---------------------------------------------------------------+
|  authlen: signature length                                    |  \
|  op                                                           |   |
|  handle: object handle, 0 = none                              |   | signed
|  id: sender's transaction id                                  |   |
|  rid: id of the message this answers, 0 = none                |   |
+---------------------------------------------------------------+  |
|  (header bytes past 24, if the sender announced a larger      |   | not signed
|   header size: skipped)                                       |   |
+-------------------------------+-------------------------------+   |
| name length (u16) | name | value length (u32) | value | ...   |   | message values
| 0x0000                                                        |   |
| name length (u16) | name | value length (u32) | value | ...   |   | object values
| 0x0000                                                        |  /
+---------------------------------------------------------------+
|  signature (authlen bytes)                                    |
+---------------------------------------------------------------+
```

All integers are big-endian. Values carry no type on the wire: ISC writes integers and handles
as 4 bytes, strings and data as their bytes, and a zero length as a null value; the receiver
decides per attribute how to read them ([`Value`]).

As everywhere in `wire`, there are two levels: [`Packet`] is a view over one message's bytes
(fields read in place, value lists walked lazily), and [`Message`] is its meaning with `parse`,
`buffer_len` and `emit`. Once [`Packet::check_len`] returned `Ok` no accessor panics, and no
function here panics on any input. [`Deframer`] cuts a TCP byte stream into messages with a
resumable walk, so a peer sending one byte at a time costs a constant amount of work per byte,
and a message longer than the caller's limit is refused as soon as its length is known.

Nothing here does IO, keeps time or knows keys: signing is `omapi::auth`'s job, over the bytes
[`Packet::signed_parts`] names.
*/

#[cfg(test)]
pub(crate) mod captures;
mod codes;
mod framer;
mod repr;
#[cfg(test)]
mod tests;

pub use codes::{IscResult, Opcode, RESULT_CLASS_DHCP};
pub use framer::{Deframer, Layout, Scanner};
pub use repr::{EmitError, Message, NamedValue, Value};

use core::fmt;

mod field {
    pub type Field = core::ops::Range<usize>;

    pub const AUTHID: Field = 0..4;
    pub const AUTHLEN: Field = 4..8;
    pub const OP: Field = 8..12;
    pub const HANDLE: Field = 12..16;
    pub const ID: Field = 16..20;
    pub const RID: Field = 20..24;

    pub const INTRO_VERSION: Field = 0..4;
    pub const INTRO_HEADER_SIZE: Field = 4..8;

    pub const NAME_LEN: usize = 2;
    pub const VALUE_LEN: usize = 4;
}

/// The protocol version both sides announce (ISC `OMAPI_PROTOCOL_VERSION`).
pub const PROTOCOL_VERSION: u32 = 100;
/// The header size ISC announces and sends; a peer may announce a larger one.
pub const HEADER_LEN: usize = field::RID.end;
/// Length of the introduction.
pub const INTRO_LEN: usize = field::INTRO_HEADER_SIZE.end;
/// Length of a name's length prefix.
pub const NAME_LEN_LEN: usize = field::NAME_LEN;
/// Length of a value's length prefix.
pub const VALUE_LEN_LEN: usize = field::VALUE_LEN;

/// Why OMAPI bytes could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The buffer ends before the message does.
    Truncated {
        /// Bytes the message needs (at least; more may follow once these are read).
        need: u64,
        /// Bytes the buffer has.
        have: usize,
    },
    /// The header length given to the view is below 24 bytes.
    HeaderTooShort(usize),
    /// The message is longer than the caller allows.
    TooLong {
        /// Bytes the message needs, as far as its length fields tell so far.
        need: u64,
        /// The limit.
        max: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Truncated { need, have } => {
                write!(f, "OMAPI message truncated: need {need} bytes, have {have}")
            }
            Error::HeaderTooShort(len) => {
                write!(f, "OMAPI header size {len} is below {HEADER_LEN}")
            }
            Error::TooLong { need, max } => {
                write!(
                    f,
                    "OMAPI message of at least {need} bytes exceeds the limit of {max}"
                )
            }
        }
    }
}

impl std::error::Error for Error {}

fn read_u32(bytes: Option<&[u8]>) -> u32 {
    match bytes {
        Some(&[a, b, c, d]) => u32::from_be_bytes([a, b, c, d]),
        _ => 0,
    }
}

fn write_u32(bytes: Option<&mut [u8]>, value: u32) {
    if let Some(bytes) = bytes {
        if bytes.len() == 4 {
            bytes.copy_from_slice(&value.to_be_bytes());
        }
    }
}

/// The introduction each side sends first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Intro {
    /// Protocol version; ISC drops the link unless it is 100.
    pub version: u32,
    /// Size of the sender's message headers; ISC drops the link if it is below 24 and skips
    /// the extra bytes of each header if it is above.
    pub header_size: u32,
}

impl Intro {
    /// What ISC (and we) send: version 100, header size 24.
    pub const OURS: Intro = Intro {
        version: PROTOCOL_VERSION,
        header_size: HEADER_LEN as u32,
    };

    /// Reads an introduction from the first 8 bytes of `buf`.
    pub fn parse(buf: &[u8]) -> Result<Intro, Error> {
        if buf.len() < INTRO_LEN {
            return Err(Error::Truncated {
                need: INTRO_LEN as u64,
                have: buf.len(),
            });
        }
        Ok(Intro {
            version: read_u32(buf.get(field::INTRO_VERSION)),
            header_size: read_u32(buf.get(field::INTRO_HEADER_SIZE)),
        })
    }

    /// The 8 bytes of this introduction.
    pub fn to_bytes(&self) -> [u8; INTRO_LEN] {
        let mut out = [0u8; INTRO_LEN];
        write_u32(out.get_mut(field::INTRO_VERSION), self.version);
        write_u32(out.get_mut(field::INTRO_HEADER_SIZE), self.header_size);
        out
    }
}

/// A view over one OMAPI message whose sender announced `header_len`-byte headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
    header_len: usize,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps a buffer without checking it; accessors still never panic (a field outside the
    /// buffer reads as zero, a list that runs off the end stops early).
    pub const fn new_unchecked(buffer: T, header_len: usize) -> Packet<T> {
        Packet { buffer, header_len }
    }

    /// Wraps a buffer after [`check_len`](Self::check_len).
    pub fn new_checked(buffer: T, header_len: usize) -> Result<Packet<T>, Error> {
        let packet = Self::new_unchecked(buffer, header_len);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks that the buffer holds one whole message: the header, both value lists with
    /// their terminators, and `authlen` bytes of signature. Bytes past the end are allowed.
    pub fn check_len(&self) -> Result<(), Error> {
        self.layout().map(|_| ())
    }

    /// Where the value lists and the signature lie (walks the whole message).
    pub fn layout(&self) -> Result<Layout, Error> {
        if self.header_len < HEADER_LEN {
            return Err(Error::HeaderTooShort(self.header_len));
        }
        let buf = self.buffer.as_ref();
        match Scanner::new().advance(buf, self.header_len, usize::MAX)? {
            Some(layout) => Ok(layout),
            None => Err(Error::Truncated {
                need: buf.len() as u64 + 1,
                have: buf.len(),
            }),
        }
    }

    /// The header length this view was made with.
    pub fn header_len(&self) -> usize {
        self.header_len
    }

    /// Gives back the buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Handle of the signing key on the receiver's side (0 = unsigned).
    pub fn authid(&self) -> u32 {
        read_u32(self.buffer.as_ref().get(field::AUTHID))
    }

    /// Length of the signature.
    pub fn authlen(&self) -> u32 {
        read_u32(self.buffer.as_ref().get(field::AUTHLEN))
    }

    /// Operation.
    pub fn op(&self) -> Opcode {
        Opcode::from(read_u32(self.buffer.as_ref().get(field::OP)))
    }

    /// Object handle (0 = none).
    pub fn handle(&self) -> u32 {
        read_u32(self.buffer.as_ref().get(field::HANDLE))
    }

    /// The sender's transaction id.
    pub fn id(&self) -> u32 {
        read_u32(self.buffer.as_ref().get(field::ID))
    }

    /// The id of the message this one answers (0 = none).
    pub fn rid(&self) -> u32 {
        read_u32(self.buffer.as_ref().get(field::RID))
    }

    /// The message-level name/value pairs (empty if the message is malformed).
    pub fn message_values(&self) -> ValueIter<'_> {
        let buf = self.buffer.as_ref();
        let range = self.layout().map(|l| l.message_values).unwrap_or(0..0);
        ValueIter {
            rest: buf.get(range).unwrap_or(&[]),
        }
    }

    /// The object's name/value pairs (empty if the message is malformed).
    pub fn object_values(&self) -> ValueIter<'_> {
        let buf = self.buffer.as_ref();
        let range = self.layout().map(|l| l.object_values).unwrap_or(0..0);
        ValueIter {
            rest: buf.get(range).unwrap_or(&[]),
        }
    }

    /// The signature (empty if unsigned or malformed).
    pub fn signature(&self) -> &[u8] {
        let buf = self.buffer.as_ref();
        let range = self.layout().map(|l| l.signature).unwrap_or(0..0);
        buf.get(range).unwrap_or(&[])
    }

    /// The bytes ISC's signature covers, in order: the header after `authid` (authlen, op,
    /// handle, id, rid) and everything from the end of the header through the object-values
    /// terminator. Extra header bytes of a larger announced header are skipped unsigned
    /// (ISC reads them with no buffer, which bypasses its signing context).
    pub fn signed_parts(&self) -> [&[u8]; 2] {
        let buf = self.buffer.as_ref();
        let Ok(layout) = self.layout() else {
            return [&[], &[]];
        };
        let head = buf.get(field::AUTHID.end..HEADER_LEN).unwrap_or(&[]);
        let body = buf
            .get(self.header_len..layout.signature.start)
            .unwrap_or(&[]);
        [head, body]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Sets the authid.
    pub fn set_authid(&mut self, value: u32) {
        write_u32(self.buffer.as_mut().get_mut(field::AUTHID), value);
    }

    /// Sets the signature length.
    pub fn set_authlen(&mut self, value: u32) {
        write_u32(self.buffer.as_mut().get_mut(field::AUTHLEN), value);
    }

    /// Sets the operation.
    pub fn set_op(&mut self, value: Opcode) {
        write_u32(self.buffer.as_mut().get_mut(field::OP), value.into());
    }

    /// Sets the object handle.
    pub fn set_handle(&mut self, value: u32) {
        write_u32(self.buffer.as_mut().get_mut(field::HANDLE), value);
    }

    /// Sets the transaction id.
    pub fn set_id(&mut self, value: u32) {
        write_u32(self.buffer.as_mut().get_mut(field::ID), value);
    }

    /// Sets the id of the answered message.
    pub fn set_rid(&mut self, value: u32) {
        write_u32(self.buffer.as_mut().get_mut(field::RID), value);
    }

    /// The signature bytes, for the signer to fill (empty if the message is malformed).
    pub fn signature_mut(&mut self) -> &mut [u8] {
        let range = self.layout().map(|l| l.signature).unwrap_or(0..0);
        self.buffer.as_mut().get_mut(range).unwrap_or(&mut [])
    }
}

impl<T: AsRef<[u8]>> AsRef<[u8]> for Packet<T> {
    fn as_ref(&self) -> &[u8] {
        self.buffer.as_ref()
    }
}

/// Walks one name/value list (without its terminator); stops at the first malformed entry.
#[derive(Debug, Clone)]
pub struct ValueIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for ValueIter<'a> {
    /// A name and its raw value bytes (empty for a null value).
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let (name, value, rest) = split_entry(self.rest)?;
        self.rest = rest;
        Some((name, value))
    }
}

/// Splits one name/value entry off the front of `buf`: `None` at a terminator or on a
/// malformed entry.
fn split_entry(buf: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let nlen = match buf.get(..NAME_LEN_LEN)? {
        &[a, b] => usize::from(u16::from_be_bytes([a, b])),
        _ => return None,
    };
    if nlen == 0 {
        return None;
    }
    let name_end = NAME_LEN_LEN + nlen;
    let name = buf.get(NAME_LEN_LEN..name_end)?;
    let vlen = match buf.get(name_end..name_end + VALUE_LEN_LEN)? {
        &[a, b, c, d] => u32::from_be_bytes([a, b, c, d]) as usize,
        _ => return None,
    };
    let value_start = name_end + VALUE_LEN_LEN;
    let value = buf.get(value_start..value_start.checked_add(vlen)?)?;
    Some((name, value, buf.get(value_start + vlen..)?))
}
