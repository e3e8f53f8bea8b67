/*!
Becoming a daemon the way ISC dhcpd does, and its pid file.

ISC (`server/dhcpd.c` `main`) forks unless `-f`, `-d`, `-t`, `-T` or `-play` is given, but
the parent does not return to the shell at once: it blocks on a pipe until the child reports
how its start went, one status byte, and `_exit`s with that byte (1 if the pipe closes
without one, i.e. the child died on a fatal error, whose message the child has already
printed on the still-shared stderr). So `dhcpd; echo $?` and init scripts see a real
success or failure. Once the child is serving it writes the byte, calls `setsid`, puts
stdin/stdout/stderr on `/dev/null` and changes to `/`.

Pid file rules: before serving, a pid file naming a live process (or unreadable as a
number) stops the start with `There's already a DHCP server running.`; after the sockets
are up the (child's) pid is written as `%d\n`, mode 0644; a failure to write it is logged
(`Can't create PID file F: ERR.`) and the server carries on; the file is removed on a
graceful stop. `--no-pid` skips all of it.

[`fork_and_wait`] must run while the process has a single thread: a forked child only has
the thread that called `fork`, and locks held by the others would stay locked forever.
It checks and refuses otherwise.
*/

use std::ffi::CStr;
use std::fs::OpenOptions;
use std::io::{self, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// ISC's message when the pid file names a live server.
pub const ALREADY_RUNNING: &str = "There's already a DHCP server running.";

/// The child's half of the start-up pipe: the parent is waiting on the other end.
#[derive(Debug)]
pub struct Detach {
    pipe: OwnedFd,
}

/// How many threads this process has (from `/proc/self/status`).
pub fn thread_count() -> io::Result<usize> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no Threads: line in /proc/self/status"))
}

/// Forks. The parent never returns: it waits for the child's status byte and exits with it.
/// The child gets the [`Detach`] it must [`finish`](Detach::finish) once it serves; if it
/// exits first, the parent exits 1.
pub fn fork_and_wait() -> io::Result<Detach> {
    let threads = thread_count()?;
    if threads != 1 {
        return Err(io::Error::other(format!(
            "cannot fork a daemon from a process with {threads} threads"
        )));
    }
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both descriptors are fresh and owned by nobody else.
    let (read_end, write_end) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // SAFETY: the process is single-threaded (checked above), so the child is a complete copy.
    match unsafe { libc::fork() } {
        -1 => Err(io::Error::last_os_error()),
        0 => {
            drop(read_end);
            Ok(Detach { pipe: write_end })
        }
        _child => {
            drop(write_end);
            let status = wait_for_status(&read_end);
            // SAFETY: _exit ends the parent without running anything else; the child owns
            // all the state now.
            unsafe { libc::_exit(status) }
        }
    }
}

/// The parent's side: the byte the child wrote, or 1 if it closed the pipe first.
fn wait_for_status(pipe: &OwnedFd) -> libc::c_int {
    let mut byte = 0u8;
    loop {
        // SAFETY: reads at most one byte into `byte`.
        let n = unsafe { libc::read(pipe.as_raw_fd(), (&mut byte as *mut u8).cast(), 1) };
        if n == 1 {
            return libc::c_int::from(byte);
        }
        if n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
            continue;
        }
        return 1;
    }
}

impl Detach {
    /// Tells the parent the start succeeded (status 0), then detaches: new session, standard
    /// descriptors on `/dev/null`, working directory `/`. Log lines go to syslog only after this.
    pub fn finish(self) -> io::Result<()> {
        self.report(0)?;
        // SAFETY: setsid has no preconditions; failing (already a group leader) is harmless,
        // as ISC ignores it too.
        unsafe { libc::setsid() };
        let null = OpenOptions::new().read(true).write(true).open("/dev/null")?;
        for fd in 0..3 {
            // SAFETY: dup2 onto the standard descriptors; `null` stays open during the calls.
            if unsafe { libc::dup2(null.as_raw_fd(), fd) } < 0 {
                return Err(io::Error::last_os_error());
            }
        }
        std::env::set_current_dir("/")
    }

    /// Tells the parent to exit with `status` without detaching (a start that failed after
    /// the fork and wants the shell to see a specific status).
    pub fn report(self, status: u8) -> io::Result<()> {
        let mut f = std::fs::File::from(self.pipe);
        f.write_all(&[status])
    }
}

/// Sets the name the kernel shows for this process (`comm`, as `ps` and `pgrep` read it).
pub fn set_process_name(name: &CStr) -> io::Result<()> {
    // SAFETY: PR_SET_NAME reads a NUL-terminated string of up to 16 bytes; longer is cut.
    if unsafe { libc::prctl(libc::PR_SET_NAME, name.as_ptr() as libc::c_ulong, 0, 0, 0) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// ISC's check before serving: the pid file names a live process other than us, or holds
/// something that does not read as a pid.
pub fn already_running(path: &Path) -> bool {
    crate::cli::system::pid_file_names_live_server(path)
}

/// A pid file this process wrote; [`remove`](Self::remove) it on a graceful stop.
#[derive(Debug)]
pub struct PidFile {
    path: PathBuf,
}

impl PidFile {
    /// Writes this process's pid to `path` (`%d\n`, created with mode 0644, truncated).
    pub fn write(path: &Path) -> io::Result<PidFile> {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o644)
            .open(path)?;
        f.write_all(format!("{}\n", std::process::id()).as_bytes())?;
        Ok(PidFile {
            path: path.to_path_buf(),
        })
    }

    /// ISC's line when writing fails.
    pub fn error_line(path: &Path, err: &io::Error) -> String {
        format!(
            "Can't create PID file {}: {}.",
            path.display(),
            crate::conf::parser::os_error_text(err)
        )
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Removes the file (graceful stop). A file already gone is fine.
    pub fn remove(self) -> io::Result<()> {
        match std::fs::remove_file(&self.path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pid_file_write_check_remove() {
        let dir = std::env::temp_dir().join(format!("dhcpd-rs-daemon-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("dhcpd.pid");
        std::fs::write(&path, "garbage that is long enough to be truncated away\n").unwrap();
        let pf = PidFile::write(&path).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!("{}\n", std::process::id())
        );
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        // 0644 less whatever the umask takes away; never more.
        assert_eq!(mode & !0o644, 0);
        // Our own pid is not "another server".
        assert!(!already_running(&path));
        pf.remove().unwrap();
        assert!(!path.exists());
        let missing = dir.join("no/such/dir/x.pid");
        let err = PidFile::write(&missing).unwrap_err();
        assert_eq!(
            PidFile::error_line(&missing, &err),
            format!(
                "Can't create PID file {}: No such file or directory.",
                missing.display()
            )
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn status_byte_or_one() {
        let mut fds = [0 as libc::c_int; 2];
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        Detach { pipe: w }.report(7).unwrap();
        assert_eq!(wait_for_status(&r), 7);
        // The writer is gone now: EOF reads as failure.
        assert_eq!(wait_for_status(&r), 1);
    }

    #[test]
    fn forking_with_threads_is_refused() {
        // The test harness runs tests on threads, so this process has more than one.
        let keep = std::thread::spawn(|| std::thread::sleep(std::time::Duration::from_millis(200)));
        assert!(thread_count().unwrap() > 1);
        let err = fork_and_wait().unwrap_err();
        assert!(err.to_string().contains("threads"), "{err}");
        keep.join().unwrap();
    }
}
