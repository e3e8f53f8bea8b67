//! Compares our `dhcpd -t` verdicts with ISC's recorded ones.
//!
//! A conformance folder holds `*.conf` cases, `verdicts.tsv` (file, ISC exit
//! code, ISC's first error line with the file reduced to its base name) and
//! `oracle-output/NAME.out` (ISC's whole output less banner and footer).
//! Cases are read as ISC reads them: includes relative to the folder, which
//! is the working directory `run-oracle.sh` gives dhcpd.

use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::parser::SourceLoader;
use super::{check_config, ConfigOutcome};

/// Resolves relative paths against a folder, like running dhcpd from there.
pub struct DirLoader(pub PathBuf);

impl SourceLoader for DirLoader {
    fn load(&self, path: &str) -> Result<Rc<[u8]>, std::io::Error> {
        std::fs::read(self.0.join(path)).map(Rc::from)
    }
}

/// ISC's recorded verdict for one case.
#[derive(Clone, Debug)]
pub struct Expected {
    /// The config's file name.
    pub file: String,
    /// ISC's exit status (0 accepted; 1 rejected; 139 crashed).
    pub exit_code: i32,
    /// ISC's first error line (empty when accepted).
    pub first_error: String,
}

/// How one case compared.
#[derive(Clone, Debug)]
pub struct CaseResult {
    /// What ISC did.
    pub expected: Expected,
    /// Our first error line, reduced like the oracle's.
    pub ours: Option<String>,
    /// Accept/reject agrees.
    pub verdict_ok: bool,
    /// First error line identical (or both accepted).
    pub first_error_ok: bool,
}

/// Reads `verdicts.tsv` of a folder.
pub fn read_verdicts(dir: &Path) -> std::io::Result<Vec<Expected>> {
    let text = std::fs::read_to_string(dir.join("verdicts.tsv"))?;
    Ok(text
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut f = l.splitn(3, '\t');
            Expected {
                file: f.next().unwrap_or("").to_string(),
                exit_code: f.next().unwrap_or("0").parse().unwrap_or(1),
                first_error: f.next().unwrap_or("").to_string(),
            }
        })
        .collect())
}

/// Reduces `path/to/file line N: msg` to `file line N: msg` as the oracle does.
pub fn reduce_first_error(line: &str) -> String {
    if let Some(idx) = line.find(" line ") {
        let (path, rest) = line.split_at(idx);
        if !path.contains(' ') && rest[6..].split(':').next().is_some_and(|n| n.chars().all(|c| c.is_ascii_digit())) {
            let base = path.rsplit('/').next().unwrap_or(path);
            return format!("{}{}", base, rest);
        }
    }
    line.to_string()
}

/// Runs one case.
pub fn run_case(dir: &Path, expected: Expected) -> (CaseResult, ConfigOutcome) {
    let outcome = check_config(&expected.file, &DirLoader(dir.to_path_buf()));
    let ours = outcome.first_error().map(|l| reduce_first_error(&l));
    let isc_ok = expected.exit_code == 0;
    let verdict_ok = isc_ok == outcome.ok();
    let first_error_ok = if isc_ok {
        outcome.ok()
    } else {
        ours.as_deref() == Some(expected.first_error.as_str())
    };
    (CaseResult { expected, ours, verdict_ok, first_error_ok }, outcome)
}

/// Runs every case of a folder.
pub fn run_dir(dir: &Path) -> std::io::Result<Vec<CaseResult>> {
    Ok(read_verdicts(dir)?.into_iter().map(|e| run_case(dir, e).0).collect())
}
