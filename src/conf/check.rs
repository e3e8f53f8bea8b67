//! ISC's checks after the whole file is parsed, in ISC's order: the
//! server settings of the global scope (`postconf_initialization`), then
//! the failover sanity check.
//!
//! The checks made *while* parsing (overlapping subnets, ranges outside
//! their subnet, addresses declared twice, pools without ranges, empty
//! shared networks) live with the declarations in `parse/network.rs`,
//! because ISC reports them at the token where it noticed.
//!
//! ISC reads the global settings by executing the global scope's
//! statements with no request; `crate::eval::postconf` does exactly that,
//! so conditional settings, expressions and the lines they log (`data:
//! leased_lease: not available`) come out as ISC's do.

use super::diag::{Diagnostic, Severity};
use super::parser::{Fatal, PResult, Parser};
use crate::eval::postconf::postconf_initialization;
use crate::eval::{LogLine, NoHost, Priority};

impl Parser<'_> {
    /// Runs the checks ISC makes once the configuration is read.
    pub(crate) fn post_parse_checks(&mut self) -> PResult<()> {
        self.postconf_initialization()?;
        self.check_failover()?;
        Ok(())
    }

    /// ISC `postconf_initialization`: runs the global scope and reads the
    /// server settings, stopping on those it cannot accept. ISC logs the
    /// `Config file:` / `Database file:` / `PID file:` lines midway;
    /// [`Parser::paths_logged_at`] records how many messages come before
    /// them. Names in option values are not resolved here (`dhcpd -t` is
    /// pure): a look-up fails as "host unknown".
    fn postconf_initialization(&mut self) -> PResult<()> {
        let spaces = self.user_options.spaces.clone();
        let outcome = postconf_initialization(&self.config, &mut NoHost, spaces);
        self.push_log_lines(outcome.before_paths);
        if outcome.reached_paths {
            self.paths_logged_at = Some(self.diagnostics.len());
        }
        self.push_log_lines(outcome.after_paths);
        let pc = &mut self.config.postconf;
        pc.lease_file_name = outcome.lease_file_name;
        pc.pid_file_name = outcome.pid_file_name;
        pc.dont_use_fsync = outcome.dont_use_fsync;
        pc.server_id_check = outcome.server_id_check;
        match outcome.fatal {
            Some(msg) => Err(Fatal(msg)),
            None => Ok(()),
        }
    }

    fn push_log_lines(&mut self, lines: Vec<LogLine>) {
        for l in lines {
            let severity = if l.priority == Priority::Error { Severity::Error } else { Severity::Info };
            self.diagnostics.push(Diagnostic {
                severity,
                at: None,
                message: String::from_utf8_lossy(&l.text).into_owned(),
            });
        }
    }
}
