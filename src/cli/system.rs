//! The few operating-system calls the command line makes before serving:
//! making the lease path absolute, looking up `-user`/`-group`, `-chroot`,
//! and the "is another server running" pid-file check.
//!
//! They are separate so that the startup sequence in `mod.rs` reads like
//! ISC's and these are the only places with `unsafe`.

use std::ffi::{CString, OsStr, OsString};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// `realpath(3)`: the absolute, symlink-free path of an existing file.
pub fn realpath(path: &OsStr) -> io::Result<OsString> {
    std::fs::canonicalize(path).map(|p| p.into_os_string())
}

/// Whether the effective user is root (ISC checks before `-user`,
/// `-group` and `-chroot`).
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Size of the scratch buffer for the `getpw*_r`/`getgr*_r` calls; grown
/// on `ERANGE`.
const LOOKUP_BUFFER: usize = 1024;

/// The uid and primary gid of user `name`, `None` if there is no such user.
pub fn lookup_user(name: &OsStr) -> io::Result<Option<(u32, u32)>> {
    let Ok(cname) = CString::new(name.as_bytes()) else {
        return Ok(None);
    };
    let mut buf = vec![0u8; LOOKUP_BUFFER];
    loop {
        // SAFETY: `pwd` is plain old data filled by getpwnam_r; `buf` outlives
        // the call and its length is passed; `result` is written by the call.
        let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        let rc = unsafe {
            libc::getpwnam_r(cname.as_ptr(), &mut pwd, buf.as_mut_ptr().cast(), buf.len(), &mut result)
        };
        match rc {
            0 if result.is_null() => return Ok(None),
            0 => return Ok(Some((pwd.pw_uid, pwd.pw_gid))),
            libc::ERANGE => buf.resize(buf.len() * 2, 0),
            // "Not found" is reported by some libcs as one of these.
            libc::ENOENT | libc::ESRCH | libc::EBADF | libc::EPERM => return Ok(None),
            e => return Err(io::Error::from_raw_os_error(e)),
        }
    }
}

/// The gid of group `name`, `None` if there is no such group.
pub fn lookup_group(name: &OsStr) -> io::Result<Option<u32>> {
    let Ok(cname) = CString::new(name.as_bytes()) else {
        return Ok(None);
    };
    let mut buf = vec![0u8; LOOKUP_BUFFER];
    loop {
        // SAFETY: as in `lookup_user`, with getgrnam_r.
        let mut grp: libc::group = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::group = std::ptr::null_mut();
        let rc = unsafe {
            libc::getgrnam_r(cname.as_ptr(), &mut grp, buf.as_mut_ptr().cast(), buf.len(), &mut result)
        };
        match rc {
            0 if result.is_null() => return Ok(None),
            0 => return Ok(Some(grp.gr_gid)),
            libc::ERANGE => buf.resize(buf.len() * 2, 0),
            libc::ENOENT | libc::ESRCH | libc::EBADF | libc::EPERM => return Ok(None),
            e => return Err(io::Error::from_raw_os_error(e)),
        }
    }
}

/// `chroot(2)` into `dir`.
pub fn chroot(dir: &OsStr) -> io::Result<()> {
    let cdir = CString::new(dir.as_bytes()).map_err(|_| io::Error::from_raw_os_error(libc::ENOENT))?;
    // SAFETY: cdir is a valid NUL-terminated string for the call's duration.
    if unsafe { libc::chroot(cdir.as_ptr()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// `chdir("/")`, done right after the chroot.
pub fn chdir_root() -> io::Result<()> {
    std::env::set_current_dir("/")
}

/// ISC's pid-file check before serving: true when the file exists, holds
/// something, and either reads as pid 0 (`atoi` of garbage) or names a live
/// process other than us.
pub fn pid_file_names_live_server(path: &Path) -> bool {
    let Ok(bytes) = std::fs::read(path) else {
        return false;
    };
    // ISC reads at most 19 bytes.
    let bytes = &bytes[..bytes.len().min(19)];
    if bytes.is_empty() {
        return false;
    }
    let pid = atoi(bytes);
    // SAFETY: getpid has no preconditions; kill with signal 0 only checks
    // whether the process exists and may be signalled.
    pid == 0 || (pid != unsafe { libc::getpid() } && unsafe { libc::kill(pid, 0) } == 0)
}

/// C `atoi`: leading whitespace, optional sign, digits; stops at anything
/// else; wraps like the 32-bit int it returns.
fn atoi(s: &[u8]) -> i32 {
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        i += 1;
    }
    let mut neg = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        neg = s[i] == b'-';
        i += 1;
    }
    let mut v: i64 = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        v = (v * 10 + i64::from(s[i] - b'0')) % (1 << 32);
        i += 1;
    }
    let v = if neg { -v } else { v };
    v as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atoi_like_c() {
        assert_eq!(atoi(b"1234\n"), 1234);
        assert_eq!(atoi(b"  -7x"), -7);
        assert_eq!(atoi(b"garbage"), 0);
    }

    #[test]
    fn root_user_and_group_exist() {
        assert_eq!(lookup_user(OsStr::new("root")).unwrap(), Some((0, 0)));
        assert_eq!(lookup_group(OsStr::new("root")).unwrap(), Some(0));
        assert_eq!(lookup_user(OsStr::new("no-such-user-dhcpd-rs")).unwrap(), None);
        assert_eq!(lookup_group(OsStr::new("no-such-group-dhcpd-rs")).unwrap(), None);
    }

    #[test]
    fn pid_file_check() {
        let dir = std::env::temp_dir().join(format!("dhcpd-rs-pidtest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("p.pid");
        assert!(!pid_file_names_live_server(&f));
        std::fs::write(&f, format!("{}\n", std::process::id())).unwrap();
        assert!(!pid_file_names_live_server(&f), "our own pid is not another server");
        std::fs::write(&f, "1\n").unwrap();
        assert!(pid_file_names_live_server(&f), "pid 1 is always alive");
        std::fs::write(&f, "junk").unwrap();
        assert!(pid_file_names_live_server(&f), "ISC treats an unreadable pid as running");
        std::fs::write(&f, "").unwrap();
        assert!(!pid_file_names_live_server(&f));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
