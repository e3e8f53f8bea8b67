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
        // postconf_initialization first runs the global scope's statements.
        self.check_root_option_values()?;
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
        let spaces = self
            .options
            .spaces()
            .map(|(_, sp)| {
                (
                    sp.name.clone(),
                    sp.code_width.bytes() as u32,
                    sp.length_width.bytes() as u32,
                )
            })
            .collect();
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
        pc.omapi_port = outcome.omapi_port;
        pc.omapi_key = outcome.omapi_key;
        match outcome.fatal {
            Some(msg) => Err(Fatal(msg)),
            None => Ok(()),
        }
    }

    fn push_log_lines(&mut self, lines: Vec<LogLine>) {
        for l in lines {
            let severity = if l.priority == Priority::Error {
                Severity::Error
            } else {
                Severity::Info
            };
            self.diagnostics.push(Diagnostic {
                severity,
                at: None,
                message: String::from_utf8_lossy(&l.text).into_owned(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::conf::check_config;
    use crate::conf::parser::MemLoader;

    fn check(src: &str) -> crate::conf::ConfigOutcome {
        check_config(
            "t.conf",
            &MemLoader(vec![("t.conf".into(), src.as_bytes().to_vec())]),
        )
    }

    #[test]
    fn global_settings_are_read_after_parsing() {
        let o = check(
            "lease-file-name \"/var/x.leases\";\ndont-use-fsync on;\nserver-id-check true;\n",
        );
        assert!(o.ok());
        assert_eq!(
            o.postconf.lease_file_name.as_deref(),
            Some(&b"/var/x.leases"[..])
        );
        assert!(o.postconf.dont_use_fsync && o.postconf.server_id_check);
        // The path lines come before the two notes.
        assert_eq!(o.paths_at, Some(0));
        let lines: Vec<String> = o.diagnostics.iter().map(|d| d.headline()).collect();
        assert_eq!(
            lines,
            vec![
                "Not using fsync() to flush lease writes",
                "Setting server-id-check true"
            ]
        );
    }

    #[test]
    fn settings_isc_refuses_stop_before_the_path_lines() {
        let o = check("ddns-update-style ad-hoc;\n");
        assert_eq!(
            o.fatal.as_deref(),
            Some("ddns-update-style ad_hoc no longer supported")
        );
        assert_eq!(o.paths_at, None);
        let o = check("omapi-key nokey;\n");
        assert_eq!(o.fatal.as_deref(), Some("OMAPI key nokey: not found"));
        let o = check("key k { algorithm hmac-md5; secret \"c2VjcmV0\"; }\nomapi-key k;\n");
        assert!(o.ok());
    }
}
