//! Messages about a configuration, rendered exactly as ISC dhcpd prints them.
//!
//! ISC writes a parse error as three lines — `FILE line N: MESSAGE`, the
//! source line as far as the lexer had read it, and a caret under the token —
//! and other problems as a single line. `dhcpd -t` users and scripts read
//! these, so the text is part of the interface. This module only formats; the
//! parser decides what to say and where.

use super::lexer::Position;

/// How serious a message is; anything but `Info` makes `-t` fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// Informational line (ISC `log_info`), never fails the run.
    Info,
    /// A problem ISC reports and keeps going; a parse error marks the file bad.
    Error,
}

/// One message, already in ISC's words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Importance of the message.
    pub severity: Severity,
    /// For parse errors: the file name as ISC names it, line, column and line text.
    pub at: Option<(String, Position)>,
    /// The message text without the `FILE line N:` prefix.
    pub message: String,
}

impl Diagnostic {
    /// The message as the lines ISC writes to stderr (without newlines).
    pub fn render(&self) -> Vec<Vec<u8>> {
        match &self.at {
            None => vec![self.message.clone().into_bytes()],
            Some((file, pos)) => {
                let mut out = Vec::with_capacity(3);
                out.push(format!("{} line {}: {}", file, pos.line, self.message).into_bytes());
                out.push(pos.text.clone());
                let mut caret = Vec::new();
                if pos.col < 81 {
                    caret = caret_padding(&pos.text, pos.col);
                }
                caret.push(b'^');
                out.push(caret);
                out
            }
        }
    }

    /// The first line of the message (`FILE line N: MESSAGE` or the message).
    pub fn headline(&self) -> String {
        match &self.at {
            None => self.message.clone(),
            Some((file, pos)) => format!("{} line {}: {}", file, pos.line, self.message),
        }
    }
}

/// Spaces up to ISC's caret column: one per character before the token, and a
/// TAB pads to the next multiple of eight, capped at ISC's 255-byte buffer.
fn caret_padding(text: &[u8], col: u32) -> Vec<u8> {
    const CAP: usize = 255;
    // ISC compares against `lexchar - 1` as unsigned; a zero column means
    // "no limit" there.
    let limit = if col == 0 { usize::MAX } else { (col - 1) as usize };
    let mut out: Vec<u8> = Vec::new();
    for &ch in text.iter().take_while(|&&b| b != 0).take(limit) {
        if out.len() < CAP {
            out.push(b' ');
        }
        if ch == b'\t' {
            while out.len() < CAP && out.len() & 7 != 0 {
                out.push(b' ');
            }
        }
    }
    out
}

/// The footer ISC prints after a fatal error, between the message and `exiting.`.
pub const FATAL_FOOTER: [&str; 5] = [
    "If you think you have received this message due to a bug rather",
    "than a configuration issue please read the section on submitting",
    "bugs on either our web page at www.isc.org or in the README file",
    "before submitting a bug.  These pages explain the proper",
    "process and the information we find helpful for debugging.",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_caret_with_tabs() {
        let d = Diagnostic {
            severity: Severity::Error,
            at: Some((
                "x.conf".into(),
                Position { line: 3, col: 4, text: b"\tab cd".to_vec() },
            )),
            message: "semicolon expected.".into(),
        };
        let lines = d.render();
        assert_eq!(lines[0], b"x.conf line 3: semicolon expected.".to_vec());
        assert_eq!(lines[1], b"\tab cd".to_vec());
        assert_eq!(lines[2], b"          ^".to_vec());
    }

    #[test]
    fn far_columns_get_a_bare_caret() {
        let d = Diagnostic {
            severity: Severity::Error,
            at: Some(("f".into(), Position { line: 1, col: 90, text: vec![b'a'; 80] })),
            message: "m".into(),
        };
        assert_eq!(d.render()[2], b"^".to_vec());
    }
}
