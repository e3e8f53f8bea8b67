//! The global scope at start-up, as ISC's `postconf_initialization` runs it.
//!
//! Once the configuration is read, ISC executes the global scope's
//! statements once — no request, no lease, no request options — into a
//! fresh option state and the global variable scope, then reads its own
//! settings (`lease-file-name`, `pid-file-name`, `omapi-port`, ...) from
//! that state by evaluating their option caches with the state itself as
//! the "request options". Whatever the statements log on the way is what
//! `dhcpd -t` prints before its `Config file:` line, e.g. `data:
//! leased_lease: not available` for an `if lease-time ...` at the top level.

use super::context::{Context, Host, LogLine, Priority};
use super::expr::{Evaluator, Opts};
use super::state::OptionState;
use super::value::{Bindings, Scopes};
use crate::conf::model::Config;
use crate::options::table::SPACES;

/// The global scope after it ran.
#[derive(Debug)]
pub struct Startup<'c> {
    /// The option state the global statements built.
    pub options: OptionState<'c>,
    /// The global variables they bound.
    pub bindings: Bindings<'c>,
    /// Lines logged so far, in order.
    pub log: Vec<LogLine>,
    /// The text of a `log(fatal, ...)` that ran: ISC exits with it.
    pub fatal: Option<Vec<u8>>,
    user_spaces: Vec<(String, u32, u32)>,
}

/// The code of a `server`-space option by name.
pub fn server_code(name: &str) -> Option<u32> {
    let space = SPACES.iter().find(|s| s.name == "server")?;
    space.options.iter().find(|o| o.name == name).map(|o| o.code)
}

impl<'c> Startup<'c> {
    /// Runs the global scope's statements (ISC `execute_statements_in_scope`
    /// on the root group). `user_spaces` are the option spaces the
    /// configuration declared (name, code width, length width).
    pub fn run(config: &'c Config, host: &mut dyn Host, user_spaces: Vec<(String, u32, u32)>) -> Startup<'c> {
        let mut options = OptionState::new();
        let mut bindings = Bindings::new();
        let (log, fatal) = {
            let mut ev = Evaluator::new(Context::default(), host, Scopes::new(&mut bindings));
            ev.user_spaces = user_spaces.clone();
            ev.execute(None, &mut options, &config.groups[Config::ROOT].statements);
            (ev.log, ev.fatal)
        };
        Startup { options, bindings, log, fatal, user_spaces }
    }

    /// The value of a `server` option as ISC reads it here
    /// (`evaluate_option_cache` with the state as request options and no
    /// configuration options); `None` when it is not set or yields nothing.
    pub fn setting(&mut self, host: &mut dyn Host, name: &str) -> Option<Vec<u8>> {
        let code = server_code(name)?;
        let Startup { options, bindings, log, user_spaces, .. } = self;
        let cache = options.lookup("server", code)?;
        let mut ev = Evaluator::new(Context::default(), host, Scopes::new(bindings));
        ev.user_spaces = user_spaces.clone();
        let v = ev.option_cache(Opts { input: Some(options), config: None }, cache);
        log.append(&mut ev.log);
        v
    }

    /// Whether the option is stored at all (ISC `lookup_option`).
    pub fn is_set(&self, name: &str) -> bool {
        server_code(name).is_some_and(|c| self.options.lookup("server", c).is_some())
    }

    /// A flag setting (ISC `evaluate_boolean_option_cache`): true when the
    /// value's first byte is 1.
    pub fn flag(&mut self, host: &mut dyn Host, name: &str) -> bool {
        self.setting(host, name).is_some_and(|v| v.first() == Some(&1))
    }

    /// The lines logged so far as `dhcpd -t` writes them; a fatal line is
    /// left to the caller, which prints it last.
    pub fn take_lines(&mut self) -> Vec<(Priority, Vec<u8>)> {
        std::mem::take(&mut self.log)
            .into_iter()
            .filter(|l| l.priority != Priority::Fatal)
            .map(|l| (l.priority, l.text))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_codes_come_from_the_table() {
        assert_eq!(server_code("lease-file-name"), Some(26));
        assert_eq!(server_code("pid-file-name"), Some(27));
        assert_eq!(server_code("no-such-thing"), None);
    }
}
