//! Reading `dhcpd.conf` exactly as ISC dhcpd 4.4 does.
//!
//! [`check_config`] is what `dhcpd -t` runs: it parses the file (and its
//! includes), performs ISC's checks after parsing, and returns the
//! configuration together with every message ISC would print. The server
//! uses the same entry point, so `-t` and a real start can never disagree.
//!
//! Layers: [`lexer`] (ISC-compatible tokens and positions) → `parse`
//! (recursive descent mirroring ISC's recovery) → [`model`] (typed scopes and
//! declarations) → [`diag`] (ISC-exact messages).

pub mod ast;
pub mod conformance;
mod check;
pub mod diag;
pub mod fasthash;
pub mod keywords;
pub mod lexer;
pub mod model;
pub mod model_failover;
pub mod name_index;
pub(crate) mod parse;
pub mod parser;

use diag::{Diagnostic, Severity};
use model::{Config, ScopeKind};
use parser::{Fatal, Parser, SourceLoader};

/// The result of reading a configuration.
#[derive(Debug)]
pub struct ConfigOutcome {
    /// The configuration, present when reading succeeded.
    pub config: Option<Config>,
    /// Every message, in the order ISC prints them.
    pub diagnostics: Vec<Diagnostic>,
    /// When reading failed: the fatal line ISC prints last before its
    /// footer (`Configuration file errors encountered -- exiting`, or
    /// e.g. `Can't open x: No such file or directory`).
    pub fatal: Option<String>,
    /// How many of [`diagnostics`](Self::diagnostics) ISC prints before its
    /// `Config file:` / `Database file:` / `PID file:` lines, which it logs
    /// midway through its post-parse stage (`postconf_initialization`);
    /// `None` when it stops before reaching them (any parse error).
    pub paths_at: Option<usize>,
    /// The global settings the post-parse stage read (`lease-file-name`
    /// and `pid-file-name` replace the command line's paths in those
    /// lines); default when it was not reached.
    pub postconf: model::PostConf,
}

impl ConfigOutcome {
    /// True when `dhcpd -t` would exit 0.
    pub fn ok(&self) -> bool {
        self.fatal.is_none()
    }

    /// The first line ISC reports as an error (`FILE line N: MSG` or the
    /// fatal message), as the conformance verdicts record it.
    pub fn first_error(&self) -> Option<String> {
        self.diagnostics
            .iter()
            .find(|d| d.at.is_some() && d.severity == Severity::Error)
            .map(|d| d.headline())
            // Without a positioned error, the first line ISC printed (e.g.
            // the failover check's `ERROR: ...` before its fatal line).
            .or_else(|| self.fatal.as_ref().and(self.diagnostics.first()).map(|d| d.headline()))
            .or_else(|| self.fatal.clone())
    }
}

/// Reads and checks the configuration at `path` (as given on the command
/// line; includes are resolved by `loader` like ISC, relative to the
/// working directory).
pub fn check_config(path: &str, loader: &dyn SourceLoader) -> ConfigOutcome {
    let bytes = match loader.load(path) {
        Ok(b) => b,
        Err(e) => {
            return ConfigOutcome {
                config: None,
                diagnostics: Vec::new(),
                fatal: Some(format!("Can't open {}: {}", path, parser::os_error_text(&e))),
                paths_at: None,
                postconf: model::PostConf::default(),
            }
        }
    };
    let mut p = Parser::new(path, bytes, loader);
    let result = p.parse_conf_file(Config::ROOT, ScopeKind::Root);
    let mut paths_at = None;
    let fatal = match result {
        Err(Fatal(msg)) => Some(msg),
        Ok(()) if p.file_had_errors => Some("Configuration file errors encountered -- exiting".to_string()),
        Ok(()) => {
            let r = p.post_parse_checks();
            // The post-parse stage notes where ISC logs the paths (it may
            // stop before: `ddns-update-style ad-hoc`, an unknown OMAPI key).
            paths_at = p.paths_logged_at;
            match r {
                Err(Fatal(msg)) => Some(msg),
                Ok(()) => None,
            }
        }
    };
    let postconf = p.config.postconf.clone();
    ConfigOutcome {
        config: if fatal.is_none() { Some(p.config) } else { None },
        diagnostics: p.diagnostics,
        fatal,
        paths_at,
        postconf,
    }
}
