//! Evaluating data expressions: ISC's `evaluate_data_expression` and
//! `evaluate_option_cache`.
//!
//! A data expression yields a byte string or fails. Lengths and offsets
//! are 64-bit unsigned numbers and cut rather than fail: `substring` past
//! the end is empty, `suffix` longer than the string is the string, and
//! `packet` stops at the end of the request.

use super::context::LookupError;
use super::convert;
use super::expr::{isc_opcode, Evaluator, Opts};
use super::state::{CacheValue, OptionCache};
use super::value::Value;
use crate::conf::ast::{Expression, IntWidth, ValuePart};
use crate::wire::dhcp::CHADDR_LEN;

impl<'e, 'c> Evaluator<'e, 'c> {
    /// ISC `evaluate_data_expression`.
    pub fn data(&mut self, o: Opts<'_, 'c>, e: &'c Expression) -> Option<Vec<u8>> {
        match e {
            Expression::Substring { data, offset, len } => {
                let d = self.data(o, data);
                let off = self.numeric(o, offset);
                let len = self.numeric(o, len);
                let (d, off, len) = (d?, off?, len?);
                if (d.len() as u64) <= off {
                    return Some(Vec::new());
                }
                let rest = &d[off as usize..];
                Some(rest[..rest.len().min(usize::try_from(len).unwrap_or(usize::MAX))].to_vec())
            }
            Expression::Suffix { data, len } => {
                let d = self.data(o, data);
                let len = self.numeric(o, len);
                let (d, len) = (d?, len?);
                let keep = d.len().min(usize::try_from(len).unwrap_or(usize::MAX));
                Some(d[d.len() - keep..].to_vec())
            }
            // ISC's tolower/toupper in the C locale: ASCII only.
            Expression::Lcase(inner) => self.data(o, inner).map(|d| d.to_ascii_lowercase()),
            Expression::Ucase(inner) => self.data(o, inner).map(|d| d.to_ascii_uppercase()),
            Expression::Option(opt) => {
                let cache = o.input?.lookup(opt.space_id, opt.code)?;
                self.nested(|ev| ev.option_cache(o, cache))
            }
            Expression::ConfigOption(opt) => {
                let cache = o.config?.lookup(opt.space_id, opt.code)?;
                self.nested(|ev| ev.option_cache(o, cache))
            }
            Expression::Hardware => self.hardware(),
            Expression::Packet { offset, len } => {
                let Some(p) = self.ctx.packet else {
                    self.error("data: packet: raw packet not available");
                    return None;
                };
                let off = self.numeric(o, offset);
                let len = self.numeric(o, len);
                let (off, len) = (off?, len?);
                let plen = p.raw.len() as u64;
                if off >= plen {
                    return None;
                }
                // ISC adds in unsigned long and may wrap, then fails to
                // allocate the absurd length it computed.
                let take = if off.wrapping_add(len) > plen {
                    plen - off
                } else {
                    len
                };
                if take > plen - off {
                    self.error("data: packet: no buffer memory.");
                    return None;
                }
                Some(p.raw[off as usize..(off + take) as usize].to_vec())
            }
            Expression::Encapsulate(space) => {
                let config = o.config?;
                self.nested(|ev| ev.encapsulate_space(o, config, space))
            }
            Expression::ConstData(d) => Some(d.clone()),
            Expression::HostLookup(name) => self.host_lookup(name),
            Expression::Concat(a, b) => {
                let a = self.data(o, a);
                let b = self.data(o, b);
                let (mut a, b) = (a?, b?);
                a.extend_from_slice(&b);
                Some(a)
            }
            Expression::EncodeInt { width, value } => {
                let n = self.numeric(o, value)?;
                Some(match width {
                    IntWidth::W8 => vec![n as u8],
                    IntWidth::W16 => (n as u16).to_be_bytes().to_vec(),
                    IntWidth::W32 => (n as u32).to_be_bytes().to_vec(),
                })
            }
            Expression::BinaryToAscii {
                base,
                width,
                separator,
                buffer,
            } => {
                let base = self.numeric(o, base);
                let width = self.numeric(o, width);
                let sep = self.data(o, separator);
                let buf = self.data(o, buffer);
                let (base, width, sep, buf) = (base?, width?, sep?, buf?);
                if !matches!(width, 8 | 16 | 32) {
                    self.info(format!("binary_to_ascii: invalid width {}!", width as i64));
                    return None;
                }
                let bytes = (width / 8) as usize;
                if buf.len() % bytes != 0 {
                    self.info(format!(
                        "binary-to-ascii: length of buffer {} not a multiple of width {}!",
                        buf.len(),
                        bytes
                    ));
                    return None;
                }
                // ISC passes the base on as an unsigned int.
                convert::binary_to_ascii(base as u32, bytes, &sep, &buf)
            }
            Expression::Reverse { width, buffer } => {
                let width = self.numeric(o, width);
                let d = self.data(o, buffer);
                let (width, d) = (width?, d?);
                // A zero width makes ISC divide by zero; it fails here.
                let w = usize::try_from(width).ok().filter(|&w| w != 0)?;
                if d.len() % w != 0 {
                    self.info(format!(
                        "reverse: length of buffer {} not a multiple of width {}!",
                        d.len(),
                        width as i64
                    ));
                    return None;
                }
                Some(d.chunks(w).rev().flatten().copied().collect())
            }
            Expression::LeasedAddress => match &self.ctx.lease {
                Some(l) => Some(l.address.octets().to_vec()),
                None => {
                    self.debug(
                        "data: \"leased-address\" configuration directive: there is no lease associated with this client.",
                    );
                    None
                }
            },
            Expression::PickFirstValue(list) => {
                for item in list {
                    if let Some(d) = self.data(o, item) {
                        return Some(d);
                    }
                }
                None
            }
            Expression::HostDeclName => match self.ctx.lease.as_ref().and_then(|l| l.host_name) {
                Some(name) => Some(name.as_bytes().to_vec()),
                None => {
                    self.error("data: host_decl_name: not available");
                    None
                }
            },
            Expression::Null => None,
            Expression::Variable(name) => match self.scopes.value(name) {
                Some(Value::Data(d)) => Some(d.clone()),
                Some(v) => {
                    let t = v.isc_type();
                    self.error(format!("binding type {} in evaluate_data_expression.", t));
                    None
                }
                None => None,
            },
            Expression::Funcall { name, .. } => {
                if let Some(v) = self.evaluate(o, e) {
                    if !matches!(v, Value::Data(_)) {
                        self.error(format!(
                            "{}() returned type {} in evaluate_data_expression.",
                            name,
                            v.isc_type()
                        ));
                    }
                }
                self.error(format!(
                    "Bogus opcode in evaluate_data_expression: {}",
                    isc_opcode(e)
                ));
                None
            }
            Expression::Filename => self.ctx.packet.and_then(|p| c_string(&p.file())),
            Expression::ServerName => self.ctx.packet.and_then(|p| c_string(&p.sname())),
            Expression::Gethostname => self.host.host_name(),
            Expression::V6Relay { relay, option } => {
                let hops = self.numeric(o, relay)?;
                // A DHCPv4 request has no relay layers: only hop 0, the
                // request itself, can be read.
                if hops > 0 {
                    return None;
                }
                self.data(o, option)
            }
            Expression::Function { .. } => {
                self.error("function definition in evaluate_data_expression");
                None
            }
            _ if e.is_numeric() => {
                self.error(format!(
                    "Numeric opcode in evaluate_data_expression: {}",
                    isc_opcode(e)
                ));
                None
            }
            _ => {
                self.error(format!(
                    "Boolean opcode in evaluate_data_expression: {}",
                    isc_opcode(e)
                ));
                None
            }
        }
    }

    /// `hardware`: the request's type and address, else the lease's.
    fn hardware(&mut self) -> Option<Vec<u8>> {
        if let Some(p) = self.ctx.packet {
            let hlen = p.hlen();
            if usize::from(hlen) > CHADDR_LEN {
                // ISC's message carries its own newline.
                self.error(format!("data: hardware: invalid hlen ({})\n", hlen));
                return None;
            }
            let mut out = vec![p.htype()];
            out.extend_from_slice(&p.chaddr()[..usize::from(hlen)]);
            return Some(out);
        }
        if let Some(l) = &self.ctx.lease {
            return Some(l.hardware.to_vec());
        }
        self.error("data: hardware: no raw packet or lease is available");
        None
    }

    /// `gethostbyname`: the name's addresses, four bytes each.
    fn host_lookup(&mut self, name: &str) -> Option<Vec<u8>> {
        match self.host.lookup_host(name, self.ctx.now) {
            Ok(addrs) => Some(addrs.iter().flat_map(|a| a.octets()).collect()),
            Err(e) => {
                self.error(LookupError::isc_message(e, name));
                None
            }
        }
    }

    /// ISC `evaluate_option_cache`: the bytes of a stored option.
    pub fn option_cache(&mut self, o: Opts<'_, 'c>, cache: &OptionCache<'c>) -> Option<Vec<u8>> {
        self.cache_value(o, &cache.value)
    }

    fn cache_value(&mut self, o: Opts<'_, 'c>, v: &CacheValue<'c>) -> Option<Vec<u8>> {
        match v {
            CacheValue::Data(d) => Some(d.to_vec()),
            CacheValue::Parts(parts) => {
                // ISC folded the constants and concatenated the look-ups:
                // every part is evaluated, and any failure fails the value.
                let mut out = Some(Vec::new());
                for p in parts.iter() {
                    let piece = match p {
                        ValuePart::Bytes(b) => Some(b.clone()),
                        ValuePart::HostLookup { name, first_only } => {
                            self.host_lookup(name).map(|mut a| {
                                if *first_only {
                                    a.truncate(4);
                                }
                                a
                            })
                        }
                    };
                    out = match (out, piece) {
                        (Some(mut acc), Some(piece)) => {
                            acc.extend_from_slice(&piece);
                            Some(acc)
                        }
                        _ => None,
                    };
                }
                out
            }
            CacheValue::Expr(e) => self.data(o, e),
            CacheValue::Concat { dc, left, right } => {
                let l = self.nested(|ev| ev.cache_value(o, left));
                let r = self.nested(|ev| ev.cache_value(o, right));
                let (mut l, r) = (l?, r?);
                if *dc {
                    return match convert::concat_dclists(&l, &r) {
                        Ok(joined) => Some(joined),
                        Err(msg) => {
                            self.error(msg);
                            self.error("data: concat_dclist failed");
                            None
                        }
                    };
                }
                l.extend_from_slice(&r);
                Some(l)
            }
            CacheValue::Nothing => None,
        }
    }
}

/// A fixed-size header field as C reads it: up to the first NUL, and
/// nothing at all when it starts with one.
fn c_string(field: &[u8]) -> Option<Vec<u8>> {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    (end > 0).then(|| field[..end].to_vec())
}
