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
//! statements with no packet. We read the unconditional ones, which is
//! where these settings are written in practice; a setting inside an `if`
//! at the top level is not evaluated here.

use std::collections::HashMap;

use super::ast::Statement;
use super::parse::option::{OptionOp, OptionValue, ValuePart};
use super::parser::{Fatal, PResult, Parser};

/// ISC's codes (SV_*) in the `server` option space for the settings read here.
mod code {
    pub const LEASE_FILE_NAME: u32 = 26;
    pub const PID_FILE_NAME: u32 = 27;
    pub const OMAPI_KEY: u32 = 36;
    pub const DDNS_UPDATE_STYLE: u32 = 39;
    pub const DONT_USE_FSYNC: u32 = 79;
    pub const SERVER_ID_CHECK: u32 = 86;
}

/// `ddns-update-style ad-hoc`'s value (ISC `DDNS_UPDATE_STYLE_AD_HOC`).
const DDNS_STYLE_AD_HOC: u8 = 1;

impl Parser<'_> {
    /// Runs the checks ISC makes once the configuration is read.
    pub(crate) fn post_parse_checks(&mut self) -> PResult<()> {
        // postconf_initialization first runs the global scope's statements.
        self.check_root_option_values()?;
        self.postconf_initialization()?;
        self.check_failover()?;
        Ok(())
    }

    /// ISC `postconf_initialization`: reads the global server settings,
    /// stopping on those it cannot accept. ISC logs the `Config file:` /
    /// `Database file:` / `PID file:` lines midway; [`Parser::paths_logged_at`]
    /// records how many messages come before them.
    fn postconf_initialization(&mut self) -> PResult<()> {
        let settings = self.global_server_settings();
        let text = |c: u32| settings.get(&c).cloned();
        let flag = |c: u32| settings.get(&c).is_some_and(|v| v.first().is_some_and(|&b| b != 0));
        self.config.postconf.lease_file_name = text(code::LEASE_FILE_NAME);
        self.config.postconf.pid_file_name = text(code::PID_FILE_NAME);
        if let Some(name) = text(code::OMAPI_KEY) {
            let name = String::from_utf8_lossy(&name).into_owned();
            if self.find_key(&name).is_none() {
                return Err(Fatal(format!("OMAPI key {}: not found", name)));
            }
        }
        if settings
            .get(&code::DDNS_UPDATE_STYLE)
            .is_some_and(|v| v.as_slice() == [DDNS_STYLE_AD_HOC])
        {
            return Err(Fatal("ddns-update-style ad_hoc no longer supported".into()));
        }
        self.paths_logged_at = Some(self.diagnostics.len());
        if flag(code::DONT_USE_FSYNC) {
            self.config.postconf.dont_use_fsync = true;
            self.log_error("Not using fsync() to flush lease writes");
        }
        if flag(code::SERVER_ID_CHECK) {
            self.config.postconf.server_id_check = true;
            self.log_info("Setting server-id-check true");
        }
        Ok(())
    }

    /// The constant values of the `server` options set unconditionally in
    /// the global scope, later settings winning, by code.
    fn global_server_settings(&self) -> HashMap<u32, Vec<u8>> {
        let mut out = HashMap::new();
        for st in &self.config.groups[super::model::Config::ROOT].statements {
            let Statement::Option(os) = st else { continue };
            if os.option.space_id != crate::options::SpaceId::SERVER || !matches!(os.op, OptionOp::Supersede | OptionOp::Default) {
                continue;
            }
            let bytes = match &os.value {
                OptionValue::Data(parts) => {
                    let mut v = Vec::new();
                    for p in parts {
                        match p {
                            ValuePart::Bytes(b) => v.extend_from_slice(b),
                            ValuePart::HostLookup { .. } => continue,
                        }
                    }
                    v
                }
                OptionValue::Empty => Vec::new(),
                OptionValue::Expression(_) => continue,
            };
            out.insert(os.option.code, bytes);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use crate::conf::check_config;
    use crate::conf::parser::MemLoader;

    fn check(src: &str) -> crate::conf::ConfigOutcome {
        check_config("t.conf", &MemLoader(vec![("t.conf".into(), src.as_bytes().to_vec())]))
    }

    #[test]
    fn global_settings_are_read_after_parsing() {
        let o = check("lease-file-name \"/var/x.leases\";\ndont-use-fsync on;\nserver-id-check true;\n");
        assert!(o.ok());
        assert_eq!(o.postconf.lease_file_name.as_deref(), Some(&b"/var/x.leases"[..]));
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
        assert_eq!(o.fatal.as_deref(), Some("ddns-update-style ad_hoc no longer supported"));
        assert_eq!(o.paths_at, None);
        let o = check("omapi-key nokey;\n");
        assert_eq!(o.fatal.as_deref(), Some("OMAPI key nokey: not found"));
        let o = check("key k { algorithm hmac-md5; secret \"c2VjcmV0\"; }\nomapi-key k;\n");
        assert!(o.ok());
    }
}
