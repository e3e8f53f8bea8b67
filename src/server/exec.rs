//! `execute(...)` statements: the programs the configuration runs, started
//! without stopping the server.
//!
//! ISC forks, `execvp`s the program and *waits for it* in the middle of
//! packet processing, so a slow script stalls every client. We start the
//! program and go on; finished children are reaped from the event loop
//! (a short timer runs while any is alive). What ISC logs is kept: a
//! non-zero wait status as `execute: PROG exit status N` (the raw status,
//! as ISC prints it: `exit 1` is 256), a program that cannot be started as
//! `Unable to execute PROG: ERR` followed by the status 127 would give.
//!
//! To stay bounded when a flood of commits asks for one program each,
//! at most [`MAX_RUNNING`] run at once; up to [`MAX_QUEUED`] more wait
//! their turn and beyond that the command is dropped with an error line.
//! Children inherit the server's standard streams (in a daemon, /dev/null),
//! as in ISC.

use std::collections::VecDeque;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Programs running at once.
pub const MAX_RUNNING: usize = 32;
/// Programs waiting to start.
pub const MAX_QUEUED: usize = 1024;
/// How often finished children are looked for while any runs.
pub const REAP_INTERVAL: Duration = Duration::from_millis(50);

/// The wait status `execvp` failing gives in ISC (`_exit(127)`).
const EXEC_FAILED_STATUS: i32 = 127 << 8;

/// Running and waiting `execute()` programs.
#[derive(Debug, Default)]
pub struct Commands {
    running: Vec<(String, Child)>,
    queued: VecDeque<Vec<Vec<u8>>>,
}

impl Commands {
    /// Starts `argv` (program first), or queues it; returns lines to log.
    pub fn run(&mut self, argv: Vec<Vec<u8>>) -> Vec<String> {
        if argv.is_empty() {
            return Vec::new();
        }
        if self.running.len() >= MAX_RUNNING {
            if self.queued.len() >= MAX_QUEUED {
                return vec![format!(
                    "execute: {} not run: {} programs already waiting",
                    String::from_utf8_lossy(&argv[0]),
                    MAX_QUEUED
                )];
            }
            self.queued.push_back(argv);
            return Vec::new();
        }
        self.spawn(argv)
    }

    /// Queues `argv` to be started by the next [`reap`](Self::reap) (for
    /// programs asked for before the process detached: a child started
    /// before the fork would belong to the parent that exits).
    pub fn defer(&mut self, argv: Vec<Vec<u8>>) {
        if !argv.is_empty() && self.queued.len() < MAX_QUEUED {
            self.queued.push_back(argv);
        }
    }

    fn spawn(&mut self, argv: Vec<Vec<u8>>) -> Vec<String> {
        let prog = String::from_utf8_lossy(&argv[0]).into_owned();
        let mut cmd = Command::new(OsStr::from_bytes(&argv[0]));
        cmd.args(argv[1..].iter().map(|a| OsStr::from_bytes(a))).stdin(Stdio::null());
        match cmd.spawn() {
            Ok(child) => {
                self.running.push((prog, child));
                Vec::new()
            }
            Err(e) => vec![
                format!("Unable to execute {prog}: {}", crate::conf::parser::os_error_text(&e)),
                format!("execute: {prog} exit status {EXEC_FAILED_STATUS}"),
            ],
        }
    }

    /// Whether anything runs or waits (the loop then wakes every
    /// [`REAP_INTERVAL`]).
    pub fn busy(&self) -> bool {
        !self.running.is_empty() || !self.queued.is_empty()
    }

    /// Reaps finished programs and starts waiting ones; returns lines to log.
    pub fn reap(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        let mut i = 0;
        while i < self.running.len() {
            match self.running[i].1.try_wait() {
                Ok(Some(status)) => {
                    let (prog, _) = self.running.swap_remove(i);
                    let raw = status.into_raw();
                    if raw != 0 {
                        lines.push(format!("execute: {prog} exit status {raw}"));
                    }
                }
                Ok(None) => i += 1,
                Err(e) => {
                    let (prog, _) = self.running.swap_remove(i);
                    lines.push(format!("execute: {prog}: {}", crate::conf::parser::os_error_text(&e)));
                }
            }
        }
        while self.running.len() < MAX_RUNNING {
            let Some(argv) = self.queued.pop_front() else { break };
            lines.extend(self.spawn(argv));
        }
        lines
    }

    /// Waits (bounded) for running programs at shutdown, then leaves the
    /// rest to finish on their own; returns lines to log.
    pub fn finish(&mut self, within: Duration) -> Vec<String> {
        let mut lines = Vec::new();
        if !self.queued.is_empty() {
            lines.push(format!("execute: {} waiting programs not run at shutdown", self.queued.len()));
            self.queued.clear();
        }
        let end = std::time::Instant::now() + within;
        loop {
            lines.extend(self.reap());
            if self.running.is_empty() || std::time::Instant::now() >= end {
                return lines;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(a: &[&str]) -> Vec<Vec<u8>> {
        a.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    /// Reaps until nothing runs or waits (bounded).
    fn settle(c: &mut Commands) -> Vec<String> {
        let end = std::time::Instant::now() + Duration::from_secs(10);
        let mut lines = Vec::new();
        while c.busy() && std::time::Instant::now() < end {
            lines.extend(c.reap());
            std::thread::sleep(Duration::from_millis(5));
        }
        lines
    }

    #[test]
    fn exit_statuses_are_logged_as_isc_prints_them() {
        let mut c = Commands::default();
        assert!(c.run(argv(&["/bin/true"])).is_empty());
        assert!(c.run(argv(&["/bin/sh", "-c", "exit 3"])).is_empty());
        assert!(c.busy());
        let lines = settle(&mut c);
        assert_eq!(lines, vec!["execute: /bin/sh exit status 768".to_string()]);
        assert!(!c.busy());
    }

    #[test]
    fn a_missing_program_is_reported() {
        let mut c = Commands::default();
        let lines = c.run(argv(&["/nonexistent/prog", "x"]));
        assert_eq!(
            lines,
            vec![
                "Unable to execute /nonexistent/prog: No such file or directory".to_string(),
                "execute: /nonexistent/prog exit status 32512".to_string()
            ]
        );
    }

    #[test]
    fn running_programs_are_bounded_and_the_queue_drains() {
        let mut c = Commands::default();
        for _ in 0..MAX_RUNNING + 5 {
            assert!(c.run(argv(&["/bin/true"])).is_empty());
        }
        assert_eq!(c.running.len(), MAX_RUNNING);
        assert_eq!(c.queued.len(), 5);
        assert!(settle(&mut c).is_empty());
        assert!(!c.busy());
    }
}
