//! SIGTERM and SIGINT as readable events for the event loop (the self-pipe trick).
//!
//! A signal handler may do almost nothing safely; this one writes the signal number as one
//! byte to a non-blocking pipe whose read end is registered with mio, so a stop request is
//! handled in the loop like any other event, between two packets, never in the middle of
//! one. A pipe rather than `signalfd`: signalfd needs the signals blocked, and a blocked
//! mask is inherited by every program the server starts (`execute` statements).

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicI32, Ordering};

use mio::event::Source;
use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};

/// The write end the handler uses; -1 when no [`SignalPipe`] is installed.
static WRITE_END: AtomicI32 = AtomicI32::new(-1);

extern "C" fn on_signal(sig: libc::c_int) {
    // SAFETY: only async-signal-safe calls (write, errno access); errno is restored so the
    // interrupted code does not see ours.
    unsafe {
        let saved = *libc::__errno_location();
        let fd = WRITE_END.load(Ordering::Relaxed);
        if fd >= 0 {
            let byte = sig as u8;
            libc::write(fd, (&byte as *const u8).cast(), 1);
        }
        *libc::__errno_location() = saved;
    }
}

/// The signals that stop the server.
pub const STOP_SIGNALS: [libc::c_int; 2] = [libc::SIGTERM, libc::SIGINT];

/// Installed handlers for some signals, and the pipe they write to. One per process;
/// dropping it restores the default actions.
#[derive(Debug)]
pub struct SignalPipe {
    read: OwnedFd,
    write: OwnedFd,
    signals: Vec<libc::c_int>,
}

impl SignalPipe {
    /// Installs handlers for `signals`.
    pub fn install(signals: &[libc::c_int]) -> io::Result<SignalPipe> {
        let mut fds = [0 as libc::c_int; 2];
        // SAFETY: `fds` has room for both descriptors.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fresh descriptors owned by nobody else.
        let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        if WRITE_END
            .compare_exchange(-1, write.as_raw_fd(), Ordering::SeqCst, Ordering::SeqCst)
            .is_err()
        {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "signal pipe already installed",
            ));
        }
        let mut pipe = SignalPipe {
            read,
            write,
            signals: Vec::new(),
        };
        for &sig in signals {
            // SAFETY: sigaction with a handler that only does async-signal-safe work;
            // SA_RESTART so plain blocking calls elsewhere are not cut short.
            unsafe {
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = on_signal as *const () as libc::sighandler_t;
                sa.sa_flags = libc::SA_RESTART;
                libc::sigemptyset(&mut sa.sa_mask);
                if libc::sigaction(sig, &sa, std::ptr::null_mut()) != 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            pipe.signals.push(sig);
        }
        Ok(pipe)
    }

    /// The signals delivered since the last call, oldest first.
    pub fn drain(&self) -> Vec<libc::c_int> {
        let mut got = Vec::new();
        let mut buf = [0u8; 64];
        loop {
            // SAFETY: reads into a local buffer of the given size.
            let n = unsafe { libc::read(self.read.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if n <= 0 {
                if n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return got;
            }
            got.extend(buf[..n as usize].iter().map(|&b| libc::c_int::from(b)));
        }
    }
}

impl Drop for SignalPipe {
    fn drop(&mut self) {
        for &sig in &self.signals {
            // SAFETY: restoring the default action is always allowed.
            unsafe { libc::signal(sig, libc::SIG_DFL) };
        }
        let _ = WRITE_END.compare_exchange(self.write.as_raw_fd(), -1, Ordering::SeqCst, Ordering::SeqCst);
    }
}

impl Source for SignalPipe {
    fn register(&mut self, registry: &Registry, token: Token, interests: Interest) -> io::Result<()> {
        SourceFd(&self.read.as_raw_fd()).register(registry, token, interests)
    }

    fn reregister(&mut self, registry: &Registry, token: Token, interests: Interest) -> io::Result<()> {
        SourceFd(&self.read.as_raw_fd()).reregister(registry, token, interests)
    }

    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        SourceFd(&self.read.as_raw_fd()).deregister(registry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signal_becomes_a_byte() {
        // SIGUSR2: nothing else in the test process uses it, and its default would kill us,
        // so this also proves the handler is in place.
        let pipe = SignalPipe::install(&[libc::SIGUSR2]).unwrap();
        assert!(SignalPipe::install(&[libc::SIGUSR2]).is_err(), "one per process");
        assert_eq!(pipe.drain(), Vec::<libc::c_int>::new());
        // SAFETY: raise delivers to this thread; the handler is installed.
        unsafe { libc::raise(libc::SIGUSR2) };
        unsafe { libc::raise(libc::SIGUSR2) };
        assert_eq!(pipe.drain(), vec![libc::SIGUSR2, libc::SIGUSR2]);
        drop(pipe);
        assert_eq!(WRITE_END.load(Ordering::SeqCst), -1);
    }
}
