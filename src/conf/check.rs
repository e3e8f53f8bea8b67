//! ISC's checks after the whole file is parsed, in ISC's order (the
//! `postconf`/failover sanity stage of `dhcpd -t`).
//!
//! UNFINISHED: no checks yet.

use super::parser::{PResult, Parser};

impl Parser<'_> {
    /// Runs the checks ISC makes once the configuration is read.
    pub(crate) fn post_parse_checks(&mut self) -> PResult<()> {
        // postconf_initialization runs the global scope's statements first.
        self.check_root_option_values()?;
        // ISC runs the failover sanity check after postconf_initialization.
        self.check_failover()?;
        Ok(())
    }
}
