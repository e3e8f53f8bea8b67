//! ISC's stderr logging as the command line sees it.
//!
//! ISC writes every log line straight to stderr (one `write` per line,
//! formatted into a 1024-byte buffer, so longer messages are cut at 1023
//! bytes) until `-q` switches that off, and ends every fatal error with the
//! same footer. Keeping this in one place lets the startup code read like
//! ISC's and lets tests capture the output in memory.

use std::io::Write;

use crate::conf::diag::FATAL_FOOTER;

/// ISC formats each message into a buffer of this many bytes, NUL included.
const MESSAGE_BUFFER: usize = 1024;

/// Where log lines go, and whether they go anywhere (ISC `log_perror`).
pub struct Log<'w> {
    out: &'w mut dyn Write,
    /// False after `-q` has taken effect: ISC lines are dropped.
    pub enabled: bool,
}

impl<'w> Log<'w> {
    /// Logs to `out`, enabled.
    pub fn new(out: &'w mut dyn Write) -> Self {
        Log { out, enabled: true }
    }

    /// Logs one line (ISC `log_info`/`log_error`/`log_debug`).
    pub fn line(&mut self, msg: &[u8]) {
        if self.enabled {
            self.write_line(msg);
        }
    }

    /// Writes one line even under `-q`: for our own messages about missing
    /// features, which must never fail silently.
    pub fn always(&mut self, msg: &[u8]) {
        self.write_line(msg);
    }

    fn write_line(&mut self, msg: &[u8]) {
        let msg = &msg[..msg.len().min(MESSAGE_BUFFER - 1)];
        // Like ISC, a failing stderr is not a reason to change course.
        let _ = self.out.write_all(msg);
        let _ = self.out.write_all(b"\n");
    }

    /// Logs a fatal message and ISC's footer (ISC `log_fatal`); returns the
    /// exit status, 1.
    pub fn fatal(&mut self, msg: &[u8]) -> i32 {
        self.line(msg);
        self.line(b"");
        for l in FATAL_FOOTER {
            self.line(l.as_bytes());
        }
        self.line(b"");
        self.line(b"exiting.");
        let _ = self.out.flush();
        1
    }

    /// Flushes the sink.
    pub fn flush(&mut self) {
        let _ = self.out.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fatal_layout_is_iscs() {
        let mut buf = Vec::new();
        assert_eq!(Log::new(&mut buf).fatal(b"boom"), 1);
        let text = String::from_utf8(buf).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 9);
        assert_eq!(lines[0], "boom");
        assert_eq!(lines[1], "");
        assert_eq!(lines[2], FATAL_FOOTER[0]);
        assert_eq!(lines[7], "");
        assert_eq!(lines[8], "exiting.");
    }

    #[test]
    fn long_lines_are_cut_like_isc() {
        let mut buf = Vec::new();
        Log::new(&mut buf).line(&[b'a'; 2000]);
        assert_eq!(buf.len(), 1024);
    }

    #[test]
    fn quiet_drops_isc_lines_but_not_ours() {
        let mut buf = Vec::new();
        let mut log = Log::new(&mut buf);
        log.enabled = false;
        log.line(b"isc");
        log.fatal(b"fatal");
        log.always(b"ours");
        assert_eq!(buf, b"ours\n");
    }
}
