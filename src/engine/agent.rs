//! Relay agent information (option 82) stashed with a lease, in the text
//! form ISC writes to the lease file (`option agent.circuit-id ...;`,
//! printed by `pretty_print_option` with quotes and commas).

use crate::lease::AgentOption;
use crate::options::table::SPACES;
use crate::options::SpaceId;

/// The sub-options of an option 82 value, in order; a truncated tail is
/// dropped.
pub fn suboptions(agent: &[u8]) -> Vec<(u8, &[u8])> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + 2 <= agent.len() {
        let (code, len) = (agent[at], usize::from(agent[at + 1]));
        let Some(v) = agent.get(at + 2..at + 2 + len) else { break };
        out.push((code, v));
        at += 2 + len;
    }
    out
}

/// ISC `pretty_escape` inside quotes: octal for unprintable bytes (a
/// trailing NUL is dropped), a backslash before shell metacharacters.
fn escape(data: &[u8]) -> String {
    let mut s = String::new();
    for (i, &b) in data.iter().enumerate() {
        if !(0x20..0x7f).contains(&b) {
            if !(i + 1 == data.len() && b == 0) {
                s.push_str(&format!("\\{b:03o}"));
            }
        } else if matches!(b, b'"' | b'\'' | b'$' | b'`' | b'\\' | b'|' | b'&') {
            s.push('\\');
            s.push(b as char);
        } else {
            s.push(b as char);
        }
    }
    s
}

/// One sub-option value as `pretty_print_option` prints it for the
/// format letters agent sub-options use.
fn pretty(format: &str, data: &[u8]) -> String {
    match format {
        "I" if data.len() == 4 => format!("{}.{}.{}.{}", data[0], data[1], data[2], data[3]),
        "L" if data.len() == 4 => u32::from_be_bytes([data[0], data[1], data[2], data[3]]).to_string(),
        _ => {
            let k = data.iter().position(|&b| !(0x20..0x7f).contains(&b)).unwrap_or(data.len());
            if k == data.len() || (k + 1 == data.len() && data[k] == 0) {
                format!("\"{}\"", escape(data))
            } else {
                data.iter().map(|b| format!("{b:x}")).collect::<Vec<_>>().join(":")
            }
        }
    }
}

/// The lease-file records for an option 82 value.
pub fn to_records(agent: &[u8]) -> Vec<AgentOption> {
    let space = &SPACES[SpaceId::AGENT.index()];
    suboptions(agent)
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(code, v)| {
            let def = space.options.iter().find(|o| o.code == u32::from(code));
            let (name, format) = match def {
                Some(d) => (d.name.to_string(), d.format),
                None => (format!("unknown-{code}"), "X"),
            };
            AgentOption { name, value_text: pretty(format, v).into_bytes() }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn circuit_and_remote_ids_print_like_isc() {
        let agent = [1, 4, b'e', b't', b'h', b'0', 2, 3, 0, 0x1b, 0xff, 5, 4, 10, 0, 0, 1];
        let r = to_records(&agent);
        assert_eq!(r[0].name, "circuit-id");
        assert_eq!(r[0].value_text, b"\"eth0\"");
        assert_eq!(r[1].name, "remote-id");
        assert_eq!(r[1].value_text, b"0:1b:ff");
        assert_eq!(r[2].name, "link-selection");
        assert_eq!(r[2].value_text, b"10.0.0.1");
    }

    #[test]
    fn quotes_are_escaped() {
        assert_eq!(pretty("X", b"a\"b"), "\"a\\\"b\"");
        assert_eq!(pretty("X", b"ab\0"), "\"ab\"");
    }

    #[test]
    fn truncated_tail_is_dropped() {
        assert_eq!(suboptions(&[1, 1, 7, 2, 9]).len(), 1);
    }
}
