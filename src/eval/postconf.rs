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
use crate::options::SpaceId;

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
    space
        .options
        .iter()
        .find(|o| o.name == name)
        .map(|o| o.code)
}

impl<'c> Startup<'c> {
    /// Runs the global scope's statements (ISC `execute_statements_in_scope`
    /// on the root group). `user_spaces` are the option spaces the
    /// configuration declared (name, code width, length width).
    pub fn run(
        config: &'c Config,
        host: &mut dyn Host,
        user_spaces: Vec<(String, u32, u32)>,
    ) -> Startup<'c> {
        let mut options = OptionState::new();
        let mut bindings = Bindings::new();
        let (log, fatal) = {
            let mut ev = Evaluator::new(Context::default(), host, Scopes::new(&mut bindings));
            ev.user_spaces = user_spaces.clone();
            ev.execute(None, &mut options, &config.groups[Config::ROOT].statements);
            (ev.log, ev.fatal)
        };
        Startup {
            options,
            bindings,
            log,
            fatal,
            user_spaces,
        }
    }

    /// The value of a `server` option as ISC reads it here
    /// (`evaluate_option_cache` with the state as request options and no
    /// configuration options); `None` when it is not set or yields nothing.
    pub fn setting(&mut self, host: &mut dyn Host, name: &str) -> Option<Vec<u8>> {
        let code = server_code(name)?;
        let Startup {
            options,
            bindings,
            log,
            user_spaces,
            ..
        } = self;
        let cache = options.lookup(SpaceId::SERVER, code)?;
        let mut ev = Evaluator::new(Context::default(), host, Scopes::new(bindings));
        ev.user_spaces = user_spaces.clone();
        let v = ev.option_cache(
            Opts {
                input: Some(options),
                config: None,
            },
            cache,
        );
        log.append(&mut ev.log);
        v
    }

    /// Whether the option is stored at all (ISC `lookup_option`).
    pub fn is_set(&self, name: &str) -> bool {
        server_code(name).is_some_and(|c| self.options.lookup(SpaceId::SERVER, c).is_some())
    }

    /// A flag setting (ISC `evaluate_boolean_option_cache`): true when the
    /// value's first byte is 1.
    pub fn flag(&mut self, host: &mut dyn Host, name: &str) -> bool {
        self.setting(host, name)
            .is_some_and(|v| v.first() == Some(&1))
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

/// What ISC's `postconf_initialization` concluded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PostConfOutcome {
    /// Lines logged before the `Config file:` / `Database file:` /
    /// `PID file:` lines.
    pub before_paths: Vec<LogLine>,
    /// Lines logged after them.
    pub after_paths: Vec<LogLine>,
    /// ISC's fatal message, when it stopped.
    pub fatal: Option<String>,
    /// ISC got as far as logging the paths.
    pub reached_paths: bool,
    /// `lease-file-name`, replacing the command line's lease file.
    pub lease_file_name: Option<Vec<u8>>,
    /// `pid-file-name`, replacing the command line's PID file.
    pub pid_file_name: Option<Vec<u8>>,
    /// `dont-use-fsync on`.
    pub dont_use_fsync: bool,
    /// `server-id-check on`.
    pub server_id_check: bool,
    /// `omapi-port`.
    pub omapi_port: Option<u16>,
    /// `omapi-key`, as the key statement spells the name.
    pub omapi_key: Option<String>,
}

/// `ddns-update-style ad-hoc` (ISC `DDNS_UPDATE_STYLE_AD_HOC`).
const DDNS_STYLE_AD_HOC: u8 = 1;

/// ISC `postconf_initialization` (DHCPv4, the packaged build's options):
/// runs the global scope, then reads the server settings in ISC's order,
/// stopping where ISC stops.
pub fn postconf_initialization(
    config: &Config,
    host: &mut dyn Host,
    user_spaces: Vec<(String, u32, u32)>,
) -> PostConfOutcome {
    let mut s = Startup::run(config, host, user_spaces);
    let mut out = PostConfOutcome::default();
    let fatal = postconf_steps(config, host, &mut s, &mut out);
    let rest = std::mem::take(&mut s.log);
    if out.reached_paths {
        out.after_paths.extend(rest);
    } else {
        out.before_paths.extend(rest);
    }
    out.fatal = fatal;
    out
}

/// The steps after the global scope ran; the fatal message if ISC stops.
fn postconf_steps(
    config: &Config,
    host: &mut dyn Host,
    s: &mut Startup<'_>,
    out: &mut PostConfOutcome,
) -> Option<String> {
    if let Some(text) = s.fatal.take() {
        // `log(fatal, ...)`: the line itself is the fatal message.
        s.log.retain(|l| l.priority != Priority::Fatal);
        return Some(String::from_utf8_lossy(&text).into_owned());
    }
    out.lease_file_name = s.setting(host, "lease-file-name");
    out.pid_file_name = s.setting(host, "pid-file-name");
    // Settings whose value must have a fixed length; a `= expression` can
    // give any length, and ISC refuses it.
    let sized =
        |s: &mut Startup<'_>, host: &mut dyn Host, name: &str, len: usize, msg: &str| match s
            .setting(host, name)
        {
            Some(v) if v.len() != len => Some(msg.to_string()),
            _ => None,
        };
    match s.setting(host, "omapi-port").as_deref() {
        Some(&[hi, lo]) => out.omapi_port = Some(u16::from_be_bytes([hi, lo])),
        Some(_) => return Some("invalid omapi port data length".into()),
        None => {}
    }
    if let Some(name) = s.setting(host, "omapi-key") {
        let name = String::from_utf8_lossy(&name).into_owned();
        // ISC finds the key in its key hash, which ignores case.
        match config.keys.iter().find(|k| k.name.eq_ignore_ascii_case(&name)) {
            Some(key) => out.omapi_key = Some(key.name.clone()),
            None => return Some(format!("OMAPI key {}: not found", name)),
        }
    }
    for (name, len, msg) in [
        ("local-port", 2, "invalid local port data length"),
        ("remote-port", 2, "invalid remote port data length"),
        (
            "limited-broadcast-address",
            4,
            "invalid broadcast address data length",
        ),
        ("local-address", 4, "invalid local address data length"),
    ] {
        if let Some(m) = sized(s, host, name, len, msg) {
            return Some(m);
        }
    }
    if let Some(style) = s.setting(host, "ddns-update-style") {
        if style.len() != 1 {
            return Some("invalid dns update type".into());
        }
        if style[0] == DDNS_STYLE_AD_HOC {
            return Some("ddns-update-style ad_hoc no longer supported".into());
        }
    }
    s.setting(host, "ddns-local-address4");
    s.setting(host, "ddns-local-address6");
    // ISC `get_conflict_mask`: the later flags are read only while
    // conflict detection is on (its default).
    let detect =
        !s.is_set("update-conflict-detection") || s.flag(host, "update-conflict-detection");
    if detect {
        for name in [
            "ddns-dual-stack-mixed-mode",
            "ddns-guard-id-must-match",
            "ddns-other-guard-is-dynamic",
        ] {
            if s.is_set(name) {
                s.flag(host, name);
            }
        }
    }
    out.before_paths = std::mem::take(&mut s.log);
    out.reached_paths = true;
    if let Some(m) = sized(s, host, "log-facility", 1, "invalid log facility") {
        return Some(m);
    }
    if let Some(m) = sized(s, host, "delayed-ack", 2, "invalid max delayed ACK count ") {
        return Some(m);
    }
    if let Some(m) = sized(
        s,
        host,
        "max-ack-delay",
        4,
        "invalid max ack delay configuration",
    ) {
        return Some(m);
    }
    if s.flag(host, "dont-use-fsync") {
        out.dont_use_fsync = true;
        s.log.push(LogLine::new(
            Priority::Error,
            "Not using fsync() to flush lease writes",
        ));
    }
    if s.flag(host, "server-id-check") {
        out.server_id_check = true;
        s.log
            .push(LogLine::new(Priority::Info, "Setting server-id-check true"));
    }
    if let Some(m) = sized(
        s,
        host,
        "abandon-lease-time",
        4,
        "invalid abandon-lease-time",
    ) {
        return Some(m);
    }
    s.flag(host, "check-secs-byte-order");
    None
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
