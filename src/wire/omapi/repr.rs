//! [`Message`]: the meaning of one OMAPI message, with typed values for sending.
//!
//! On the wire a value is only a length and bytes. ISC's sender knows a type for each value
//! (integer, string, data, object reference) and writes it accordingly; its receiver stores
//! everything as data and converts when an attribute is used (`omapi_get_int_value` accepts
//! exactly 4 bytes). [`Value`] keeps the sender's view for emitting and gives the receiver's
//! conversions; parsing yields [`Value::Data`] or [`Value::Null`] only.

use core::fmt;

use super::{field, Error, Opcode, Packet, HEADER_LEN, NAME_LEN_LEN, VALUE_LEN_LEN};

/// One attribute value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Value {
    /// A zero-length value: ISC's name/null pair, which deletes or means "absent".
    Null,
    /// An integer, sent as 4 big-endian bytes (ISC `omapi_datatype_int`, booleans too).
    Int(u32),
    /// A string or opaque data, sent as its bytes (ISC `string`/`data`).
    Data(Vec<u8>),
    /// A reference to an object, sent as its 4-byte handle (ISC `omapi_datatype_object`).
    Handle(u32),
}

impl Value {
    /// A string value.
    pub fn string(s: &str) -> Value {
        Value::Data(s.as_bytes().to_vec())
    }

    /// The value as received from raw bytes: empty means null.
    pub fn from_wire(bytes: &[u8]) -> Value {
        if bytes.is_empty() {
            Value::Null
        } else {
            Value::Data(bytes.to_vec())
        }
    }

    /// Length of the value's bytes on the wire (without the length prefix).
    pub fn wire_len(&self) -> usize {
        match self {
            Value::Null => 0,
            Value::Int(_) | Value::Handle(_) => 4,
            Value::Data(d) => d.len(),
        }
    }

    /// Appends the value's bytes (without the length prefix).
    fn write_to(&self, out: &mut [u8]) {
        match self {
            Value::Null => {}
            Value::Int(v) | Value::Handle(v) => out.copy_from_slice(&v.to_be_bytes()),
            Value::Data(d) => out.copy_from_slice(d),
        }
    }

    /// The value as an integer the way ISC reads one: integers and handles as they are,
    /// data only if exactly 4 bytes long (big-endian).
    pub fn as_u32(&self) -> Option<u32> {
        match self {
            Value::Int(v) | Value::Handle(v) => Some(*v),
            Value::Data(d) => match d.as_slice() {
                &[a, b, c, e] => Some(u32::from_be_bytes([a, b, c, e])),
                _ => None,
            },
            Value::Null => None,
        }
    }

    /// The value's bytes as they go on the wire.
    pub fn to_wire(&self) -> Vec<u8> {
        let mut out = vec![0u8; self.wire_len()];
        self.write_to(&mut out);
        out
    }

    /// True for [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

/// A name and its value, as one entry of a message's value lists.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NamedValue {
    /// The attribute name (ISC names are ASCII, but any bytes are carried).
    pub name: Vec<u8>,
    /// The value.
    pub value: Value,
}

impl NamedValue {
    /// An entry from a name and a value.
    pub fn new(name: impl Into<Vec<u8>>, value: Value) -> NamedValue {
        NamedValue {
            name: name.into(),
            value,
        }
    }

    fn wire_len(&self) -> usize {
        NAME_LEN_LEN + self.name.len() + VALUE_LEN_LEN + self.value.wire_len()
    }
}

/// Why a [`Message`] could not be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmitError {
    /// A name is empty (it would read as a terminator) or longer than 65535 bytes.
    BadName {
        /// Its length.
        len: usize,
    },
    /// A value or the signature is longer than a 32-bit length can say.
    ValueTooLong {
        /// Its length.
        len: usize,
    },
    /// The output buffer is shorter than [`Message::buffer_len`].
    BufferTooSmall {
        /// Bytes needed.
        need: usize,
        /// Bytes available.
        have: usize,
    },
}

impl fmt::Display for EmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmitError::BadName { len } => write!(f, "OMAPI name of {len} bytes cannot be sent"),
            EmitError::ValueTooLong { len } => {
                write!(f, "OMAPI value of {len} bytes exceeds a 32-bit length")
            }
            EmitError::BufferTooSmall { need, have } => {
                write!(f, "OMAPI emit needs {need} bytes, buffer has {have}")
            }
        }
    }
}

impl std::error::Error for EmitError {}

/// One OMAPI message. `authlen` is the signature's length; the signature of a message being
/// built is filled in after emitting (see `omapi::auth`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message {
    /// Handle of the signing key on the receiver's side, 0 if unsigned.
    pub authid: u32,
    /// Operation.
    pub op: Opcode,
    /// Object handle, 0 for none.
    pub handle: u32,
    /// The sender's transaction id.
    pub id: u32,
    /// The id of the message this one answers, 0 for none.
    pub rid: u32,
    /// Message-level values (`type`, `create`, `result`, `message`, ...), in order.
    pub message_values: Vec<NamedValue>,
    /// The object's values, in order.
    pub object_values: Vec<NamedValue>,
    /// The signature (empty when unsigned).
    pub signature: Vec<u8>,
}

impl Message {
    /// Reads a message from a view (which is checked first).
    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>) -> Result<Message, Error> {
        packet.check_len()?;
        let list = |iter: super::ValueIter<'_>| {
            iter.map(|(name, value)| NamedValue::new(name, Value::from_wire(value)))
                .collect()
        };
        Ok(Message {
            authid: packet.authid(),
            op: packet.op(),
            handle: packet.handle(),
            id: packet.id(),
            rid: packet.rid(),
            message_values: list(packet.message_values()),
            object_values: list(packet.object_values()),
            signature: packet.signature().to_vec(),
        })
    }

    /// Length of the emitted message (with a 24-byte header, as ISC sends).
    pub fn buffer_len(&self) -> usize {
        let list = |l: &[NamedValue]| l.iter().map(NamedValue::wire_len).sum::<usize>();
        HEADER_LEN
            + list(&self.message_values)
            + NAME_LEN_LEN
            + list(&self.object_values)
            + NAME_LEN_LEN
            + self.signature.len()
    }

    fn check(&self) -> Result<(), EmitError> {
        for nv in self.message_values.iter().chain(&self.object_values) {
            if nv.name.is_empty() || nv.name.len() > usize::from(u16::MAX) {
                return Err(EmitError::BadName { len: nv.name.len() });
            }
            if u32::try_from(nv.value.wire_len()).is_err() {
                return Err(EmitError::ValueTooLong {
                    len: nv.value.wire_len(),
                });
            }
        }
        if u32::try_from(self.signature.len()).is_err() {
            return Err(EmitError::ValueTooLong {
                len: self.signature.len(),
            });
        }
        Ok(())
    }

    /// Writes the message into the start of `buf`, which must hold `buffer_len()` bytes.
    pub fn emit(&self, buf: &mut [u8]) -> Result<(), EmitError> {
        self.check()?;
        let need = self.buffer_len();
        let have = buf.len();
        let Some(out) = buf.get_mut(..need) else {
            return Err(EmitError::BufferTooSmall { need, have });
        };
        {
            let mut packet = Packet::new_unchecked(&mut *out, HEADER_LEN);
            packet.set_authid(self.authid);
            packet.set_authlen(self.signature.len() as u32);
            packet.set_op(self.op);
            packet.set_handle(self.handle);
            packet.set_id(self.id);
            packet.set_rid(self.rid);
        }
        let mut rest = &mut out[field::RID.end..];
        for list in [&self.message_values, &self.object_values] {
            for nv in list.iter() {
                let (entry, tail) = core::mem::take(&mut rest).split_at_mut(nv.wire_len());
                let (nlen, entry) = entry.split_at_mut(NAME_LEN_LEN);
                nlen.copy_from_slice(&(nv.name.len() as u16).to_be_bytes());
                let (name, entry) = entry.split_at_mut(nv.name.len());
                name.copy_from_slice(&nv.name);
                let (vlen, value) = entry.split_at_mut(VALUE_LEN_LEN);
                vlen.copy_from_slice(&(nv.value.wire_len() as u32).to_be_bytes());
                nv.value.write_to(value);
                rest = tail;
            }
            let (term, tail) = core::mem::take(&mut rest).split_at_mut(NAME_LEN_LEN);
            term.fill(0);
            rest = tail;
        }
        rest.copy_from_slice(&self.signature);
        Ok(())
    }

    /// Emits into a new vector of exactly `buffer_len()` bytes.
    pub fn to_vec(&self) -> Result<Vec<u8>, EmitError> {
        let mut buf = vec![0u8; self.buffer_len()];
        self.emit(&mut buf)?;
        Ok(buf)
    }

    /// The first message value called `name` (ISC keeps the last one of a repeated name;
    /// the session applies that rule, this is for reading single values).
    pub fn message_value(&self, name: &str) -> Option<&Value> {
        find(&self.message_values, name)
    }

    /// The first object value called `name`.
    pub fn object_value(&self, name: &str) -> Option<&Value> {
        find(&self.object_values, name)
    }

    /// A STATUS message as ISC's `omapi_protocol_send_status` builds it: message values
    /// `result` and, if given, `message`; no object values.
    pub fn status(id: u32, rid: u32, result: u32, text: Option<&str>) -> Message {
        let mut values = vec![NamedValue::new("result", Value::Int(result))];
        if let Some(text) = text {
            values.push(NamedValue::new("message", Value::string(text)));
        }
        Message {
            op: Opcode::Status,
            id,
            rid,
            message_values: values,
            ..Message::default()
        }
    }
}

fn find<'a>(list: &'a [NamedValue], name: &str) -> Option<&'a Value> {
    list.iter()
        .find(|nv| nv.name == name.as_bytes())
        .map(|nv| &nv.value)
}
