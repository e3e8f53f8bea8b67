//! The lease file on disk: the only code that opens, appends to, syncs,
//! renames or removes `dhcpd.leases`.
//!
//! It follows ISC's life cycle (`server/db.c`): at startup the file is read
//! ([`LeaseStore::load`]) and then rewritten in full ([`LeaseStore::create`]);
//! while serving, records are appended and made durable
//! ([`commit`](LeaseStore::commit), or [`append`](LeaseStore::append) +
//! [`flush`](LeaseStore::flush) for group commit, paced by a
//! [`Journal`]); about hourly the file is rewritten again
//! ([`rewrite`](LeaseStore::rewrite)) so it does not grow without bound.
//!
//! A rewrite is ISC's, step by step: write `PATH.<unix-time>` (mode 0664,
//! chowned to `-user`/`-group` when given), fsync it, replace `PATH~` by a
//! hard link to the current file, rename the new file over `PATH`, and — one
//! step ISC leaves out — fsync the directory, so the rename itself survives
//! a power cut. The new file stays open for the appends that follow. If any
//! step fails the temporary file is removed and the old file stays in use.
//!
//! Durability contract: a `Seq` is reported durable only after the fsync
//! covering it returned. A failed write is cut back off the file (so the log
//! never holds half a record followed by whole ones); a failed fsync leaves
//! the file's state unknown, so the store refuses further appends until the
//! caller rewrites it, which is what ISC does with `lease_file_is_corrupt`.
//! A crash can still leave a partial last record; the reader drops it with a
//! warning naming the file and line, and the startup rewrite removes it.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, IoSlice, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::file::{read_lease_file, ReadError, ReadOptions};
use super::journal::{Journal, Policy, Seq};
use super::records::{LeaseLog, Record};
use super::write::{self, Rewrite, WriteError, WriteOptions};

/// What the store was doing when an operating-system call failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Opening the lease file to read it.
    Open,
    /// Reading it.
    Read,
    /// Creating the new file of a rewrite.
    Create,
    /// Changing the new file's owner.
    Chown,
    /// Writing records.
    Write,
    /// fsync of the file.
    Sync,
    /// Cutting a failed write back off the file.
    Truncate,
    /// Removing the old backup (`PATH~`).
    Unlink,
    /// Linking the current file to `PATH~`.
    Link,
    /// Renaming the new file over the lease file.
    Rename,
    /// fsync of the directory holding the lease file.
    SyncDir,
}

impl Op {
    fn verb(self) -> &'static str {
        match self {
            Op::Open => "open",
            Op::Read => "read",
            Op::Create => "create",
            Op::Chown => "chown",
            Op::Write => "write",
            Op::Sync => "fsync",
            Op::Truncate => "truncate",
            Op::Unlink => "remove",
            Op::Link => "link",
            Op::Rename => "rename",
            Op::SyncDir => "fsync the directory of",
        }
    }
}

/// Why the store could not do what it was asked.
#[derive(Debug)]
pub enum StoreError {
    /// An operating-system call failed.
    Io {
        /// What was being done.
        op: Op,
        /// The file it was done to.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// The file is unreadable as a lease file (a condition on which ISC exits).
    Parse(ReadError),
    /// A record cannot be written (a time ISC cannot print).
    Format {
        /// The lease file.
        path: PathBuf,
        /// The record and field.
        error: WriteError,
    },
    /// An earlier fsync failed; nothing more is appended until a rewrite.
    NeedsRewrite {
        /// The lease file.
        path: PathBuf,
    },
}

impl StoreError {
    fn io(op: Op, path: &Path, source: io::Error) -> StoreError {
        StoreError::Io { op, path: path.to_path_buf(), source }
    }

    /// The operation that failed, for the IO errors.
    pub fn op(&self) -> Option<Op> {
        match self {
            StoreError::Io { op, .. } => Some(*op),
            _ => None,
        }
    }
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Io { op, path, source } => {
                write!(f, "cannot {} {}: {}", op.verb(), path.display(), crate::conf::parser::os_error_text(source))
            }
            StoreError::Parse(e) => e.fmt(f),
            StoreError::Format { path, error } => write!(f, "{}: {}", path.display(), error),
            StoreError::NeedsRewrite { path } => {
                write!(f, "{}: an earlier fsync failed; the file must be rewritten before more records", path.display())
            }
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::Io { source, .. } => Some(source),
            StoreError::Parse(e) => Some(e),
            StoreError::Format { error, .. } => Some(error),
            StoreError::NeedsRewrite { .. } => None,
        }
    }
}

/// How the store writes.
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// The bytes of each record (date format, id format, header).
    pub write: WriteOptions,
    /// When to flush and rewrite.
    pub policy: Policy,
    /// fsync after writing (`dont-use-fsync` turns it off, as in ISC).
    pub fsync: bool,
    /// Owner for new files (`-user`/`-group` while running as root).
    pub owner: Option<(u32, u32)>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions { write: WriteOptions::default(), policy: Policy::IMMEDIATE, fsync: true, owner: None }
    }
}

/// The outcome of a flush.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flushed {
    /// Every record up to this one is on disk.
    pub durable: Seq,
    /// How many records this flush wrote (0 if nothing was queued).
    pub records: usize,
    /// ISC's hourly rule asks for a rewrite now.
    pub rewrite_due: bool,
}

/// What a rewrite wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rewritten {
    /// Leases written (ISC logs `Wrote N leases to leases file.`).
    pub leases: usize,
    /// There was no file to keep as `PATH~` (ISC logs `PATH is missing -
    /// no lease db to backup.` and goes on).
    pub backup_missing: bool,
}

/// Reads the whole lease file as ISC does at startup.
///
/// A missing or unreadable file is an [`Op::Open`]/[`Op::Read`] error (fatal
/// for ISC); malformed records are reported in the log and skipped.
pub fn load(path: &Path, opts: ReadOptions<'_>) -> Result<LeaseLog, StoreError> {
    let bytes = read_all(path)?;
    read_lease_file(&path.to_string_lossy(), &bytes, opts).map_err(StoreError::Parse)
}

/// The lease file's bytes; failing to open it ([`Op::Open`]) and failing to
/// read it (a directory, an IO error: [`Op::Read`]) are told apart, as ISC's
/// messages differ.
pub fn read_all(path: &Path) -> Result<Vec<u8>, StoreError> {
    use std::io::Read;
    let mut file = File::open(path).map_err(|e| StoreError::io(Op::Open, path, e))?;
    let mut bytes = Vec::new();
    if let Ok(meta) = file.metadata() {
        bytes.reserve_exact(usize::try_from(meta.len()).unwrap_or(0));
    }
    file.read_to_end(&mut bytes).map_err(|e| StoreError::io(Op::Read, path, e))?;
    Ok(bytes)
}

/// The lease file open for reading: streamed once, then read again at
/// chosen places (a rewrite copies blocks from it).
pub struct LeaseSource {
    path: PathBuf,
    file: File,
}

impl LeaseSource {
    /// Opens the lease file ([`Op::Open`] when that fails).
    pub fn open(path: &Path) -> Result<LeaseSource, StoreError> {
        let file = File::open(path).map_err(|e| StoreError::io(Op::Open, path, e))?;
        Ok(LeaseSource { path: path.to_path_buf(), file })
    }

    /// Reads exactly `buf.len()` bytes at `offset`.
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), StoreError> {
        use std::os::unix::fs::FileExt;
        self.file.read_exact_at(buf, offset).map_err(|e| StoreError::io(Op::Read, &self.path, e))
    }

    /// The error for a failed sequential read of this file.
    pub fn read_error(&self, e: io::Error) -> StoreError {
        StoreError::io(Op::Read, &self.path, e)
    }
}

impl io::Read for LeaseSource {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.file.read(buf)
    }
}

/// A new lease file being written next to the old one (`PATH.<time>`),
/// which is then either installed over it or removed.
pub struct NewFile {
    target: PathBuf,
    temp: PathBuf,
    out: BufWriter<File>,
    len: u64,
    /// The file is synced before it is installed (or removed).
    fsync: bool,
    /// Bytes handed to the kernel for writing back so far.
    kicked: u64,
}

/// Bytes of a new file after which the kernel is asked to start writing
/// them back (see [`NewFile::write`]).
const WRITEBACK_STEP: u64 = 8 << 20;

impl NewFile {
    /// Creates `PATH.<unix-time>` as ISC does (truncating a leftover of the
    /// same name), owned by `owner` when given; `fsync`: it is synced
    /// before it is installed or removed.
    pub fn create(target: &Path, owner: Option<(u32, u32)>, fsync: bool) -> Result<NewFile, StoreError> {
        let secs = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let mut name = target.as_os_str().to_os_string();
        name.push(format!(".{}", secs));
        let temp = PathBuf::from(name);
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o664)
            .open(&temp)
            .map_err(|e| StoreError::io(Op::Create, &temp, e))?;
        if let Some((uid, gid)) = owner {
            if let Err(e) = std::os::unix::fs::fchown(&file, Some(uid), Some(gid)) {
                let _ = std::fs::remove_file(&temp);
                return Err(StoreError::io(Op::Chown, &temp, e));
            }
        }
        Ok(NewFile {
            target: target.to_path_buf(),
            temp,
            out: BufWriter::with_capacity(1 << 16, file),
            len: 0,
            fsync,
            kicked: 0,
        })
    }

    /// The temporary file's name.
    pub fn temp_path(&self) -> &Path {
        &self.temp
    }

    /// Appends `parts`, one after the other, handing the kernel many at a
    /// time (`writev`) instead of copying them into one buffer first.
    pub fn write_parts(&mut self, parts: &[&[u8]]) -> Result<(), StoreError> {
        /// Pieces per call (Linux's `IOV_MAX`).
        const MAX_PARTS: usize = 1024;
        let total: usize = parts.iter().map(|p| p.len()).sum();
        if total <= self.out.capacity() - self.out.buffer().len() {
            for p in parts {
                self.write(p)?;
            }
            return Ok(());
        }
        self.out.flush().map_err(|e| StoreError::io(Op::Write, &self.temp, e))?;
        let file = self.out.get_mut();
        // The next byte to write: part `i`, from `skip` on.
        let (mut i, mut skip) = (0, 0);
        loop {
            while i < parts.len() && skip == parts[i].len() {
                i += 1;
                skip = 0;
            }
            if i == parts.len() {
                break;
            }
            let iov: Vec<IoSlice<'_>> = std::iter::once(&parts[i][skip..])
                .chain(parts[i + 1..].iter().copied())
                .take(MAX_PARTS)
                .map(IoSlice::new)
                .collect();
            let mut n = match file.write_vectored(&iov) {
                Ok(0) => return Err(StoreError::io(Op::Write, &self.temp, io::ErrorKind::WriteZero.into())),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(StoreError::io(Op::Write, &self.temp, e)),
            };
            while n > 0 {
                let step = n.min(parts[i].len() - skip);
                skip += step;
                n -= step;
                if skip == parts[i].len() && n > 0 {
                    i += 1;
                    skip = 0;
                }
            }
        }
        self.len += total as u64;
        self.kick_writeback();
        Ok(())
    }

    /// Appends bytes to the new file.
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), StoreError> {
        self.out.write_all(bytes).map_err(|e| StoreError::io(Op::Write, &self.temp, e))?;
        self.len += bytes.len() as u64;
        self.kick_writeback();
        Ok(())
    }

    /// Starts writing back what the file holds so far, a step at a time.
    ///
    /// When the file is to be synced, every [`WRITEBACK_STEP`] bytes the
    /// kernel is asked to start writing back what it has so far
    /// (`sync_file_range`, which does not wait): the disk then works while
    /// the rest is produced, and the final fsync of a 300 MB rewrite waits
    /// for the tail only instead of for the whole file.
    fn kick_writeback(&mut self) {
        // Whole pages only: writing into a page under writeback may have
        // to wait for it.
        let in_kernel = (self.len - self.out.buffer().len() as u64) & !0xfff;
        if self.fsync && in_kernel - self.kicked >= WRITEBACK_STEP {
            start_writeback(self.out.get_ref(), self.kicked, in_kernel - self.kicked);
            self.kicked = in_kernel;
        }
    }

    /// Flushes and (when it is to be) syncs the new file; returns it.
    fn finish(mut self) -> Result<(File, u64, PathBuf, PathBuf), StoreError> {
        let fsync = self.fsync;
        if let Err(e) = self.out.flush() {
            let _ = std::fs::remove_file(&self.temp);
            return Err(StoreError::io(Op::Write, &self.temp, e));
        }
        let temp = self.temp.clone();
        let file = match self.out.into_inner() {
            Ok(f) => f,
            Err(e) => {
                let _ = std::fs::remove_file(&temp);
                return Err(StoreError::io(Op::Write, &temp, e.into_error()));
            }
        };
        if fsync {
            if let Err(e) = file.sync_all() {
                let _ = std::fs::remove_file(&temp);
                return Err(StoreError::io(Op::Sync, &temp, e));
            }
        }
        Ok((file, self.len, temp, self.target))
    }

    /// `dhcpd -T`: flush and sync the new file as a real rewrite would, then
    /// remove it. Returns its name.
    pub fn finish_test(self) -> Result<PathBuf, StoreError> {
        let (file, _, temp, _) = self.finish()?;
        drop(file);
        std::fs::remove_file(&temp).map_err(|e| StoreError::io(Op::Unlink, &temp, e))?;
        Ok(temp)
    }

    /// Removes the new file (a rewrite that could not be completed).
    pub fn abandon(self) {
        let temp = self.temp.clone();
        drop(self);
        let _ = std::fs::remove_file(temp);
    }

    /// Installs the new file as the lease file: sync, `PATH~` kept as a hard
    /// link to the old file, rename, sync the directory. Returns the open
    /// file (positioned at its end), its length and whether there was no old
    /// file to keep.
    fn install(self) -> Result<(File, u64, bool), StoreError> {
        let fsync = self.fsync;
        let (file, len, temp, target) = self.finish()?;
        let fail = |e: StoreError| {
            let _ = std::fs::remove_file(&temp);
            e
        };
        let mut backup = target.as_os_str().to_os_string();
        backup.push("~");
        let backup = PathBuf::from(backup);
        match std::fs::remove_file(&backup) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(fail(StoreError::io(Op::Unlink, &backup, e))),
        }
        let mut backup_missing = false;
        match std::fs::hard_link(&target, &backup) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => backup_missing = true,
            Err(e) => return Err(fail(StoreError::io(Op::Link, &target, e))),
        }
        std::fs::rename(&temp, &target).map_err(|e| fail(StoreError::io(Op::Rename, &target, e)))?;
        if fsync {
            sync_dir(&target)?;
        }
        Ok((file, len, backup_missing))
    }
}

/// Asks the kernel to start writing `len` bytes of `file` from `offset` back
/// to disk, without waiting. Only a hint: the fsync that follows is what
/// makes them durable and reports errors, so a failure here is ignored.
fn start_writeback(file: &File, offset: u64, len: u64) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let (Ok(offset), Ok(len)) = (i64::try_from(offset), i64::try_from(len)) else {
            return;
        };
        // SAFETY: the descriptor is open for the duration of the call; the
        // call reads no memory of ours.
        unsafe {
            libc::sync_file_range(file.as_raw_fd(), offset, len, libc::SYNC_FILE_RANGE_WRITE);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (file, offset, len);
}

/// fsync of the directory holding `path`, which makes a rename in it durable.
fn sync_dir(path: &Path) -> Result<(), StoreError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| StoreError::io(Op::SyncDir, dir, e))
}

/// Writes a rewrite's records into `file` in ISC's order, in chunks so a
/// million leases never sit in memory as text.
fn write_content(file: &mut NewFile, content: &Rewrite<'_>, opts: &WriteOptions) -> Result<usize, StoreError> {
    const CHUNK: usize = 1 << 16;
    let mut buf = Vec::with_capacity(CHUNK + 4096);
    let target = file.target.clone();
    let fmt = |error| StoreError::Format { path: target.clone(), error };
    macro_rules! spill {
        () => {
            if buf.len() >= CHUNK {
                file.write(&buf)?;
                buf.clear();
            }
        };
    }
    write::header(&mut buf, opts);
    for c in &content.classes {
        write::class(&mut buf, c);
        spill!();
    }
    for g in &content.groups {
        write::group(&mut buf, g);
        spill!();
    }
    for h in content.hosts.iter().filter(|h| !h.dynamic).chain(content.hosts.iter().filter(|h| h.dynamic)) {
        write::host(&mut buf, h);
        spill!();
    }
    for f in &content.failover {
        write::failover_state(&mut buf, f, opts).map_err(fmt)?;
        spill!();
    }
    for l in &content.leases {
        write::lease(&mut buf, l, opts).map_err(fmt)?;
        spill!();
    }
    if let Some(duid) = content.server_duid {
        write::server_duid(&mut buf, duid, opts);
    }
    file.write(&buf)?;
    Ok(content.leases.len())
}

/// `dhcpd -T`'s rewrite: the complete file is written to `PATH.<time>`,
/// synced, and removed again. Returns the temporary name and the lease count.
pub fn test_rewrite(
    path: &Path,
    content: &Rewrite<'_>,
    options: &StoreOptions,
) -> Result<(PathBuf, usize), StoreError> {
    let mut file = NewFile::create(path, options.owner, options.fsync)?;
    match write_content(&mut file, content, &options.write) {
        Ok(n) => Ok((file.finish_test()?, n)),
        Err(e) => {
            file.abandon();
            Err(e)
        }
    }
}

/// The open lease file, appended to through a [`Journal`].
pub struct LeaseStore {
    path: PathBuf,
    file: File,
    /// Length of the file up to the last complete write.
    len: u64,
    journal: Journal,
    options: StoreOptions,
    needs_rewrite: bool,
    scratch: Vec<u8>,
}

impl std::fmt::Debug for LeaseStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LeaseStore").field("path", &self.path).field("len", &self.len).finish_non_exhaustive()
    }
}

impl LeaseStore {
    /// Startup: writes `content` as the new lease file (ISC's rewrite after
    /// reading) and opens it for appending.
    pub fn create(
        path: &Path,
        content: &Rewrite<'_>,
        options: StoreOptions,
        now: Instant,
    ) -> Result<(LeaseStore, Rewritten), StoreError> {
        let (file, len, leases, backup_missing) = Self::write_new(path, content, &options)?;
        let store = LeaseStore {
            path: path.to_path_buf(),
            file,
            len,
            journal: Journal::new(options.policy, now),
            options,
            needs_rewrite: false,
            scratch: Vec::with_capacity(512),
        };
        Ok((store, Rewritten { leases, backup_missing }))
    }

    fn write_new(
        path: &Path,
        content: &Rewrite<'_>,
        options: &StoreOptions,
    ) -> Result<(File, u64, usize, bool), StoreError> {
        let mut new = NewFile::create(path, options.owner, options.fsync)?;
        let leases = match write_content(&mut new, content, &options.write) {
            Ok(n) => n,
            Err(e) => {
                new.abandon();
                return Err(e);
            }
        };
        let (mut file, len, backup_missing) = new.install()?;
        file.seek(SeekFrom::Start(len)).map_err(|e| StoreError::io(Op::Write, path, e))?;
        Ok((file, len, leases, backup_missing))
    }

    /// The lease file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The options in force.
    pub fn options(&self) -> &StoreOptions {
        &self.options
    }

    /// Queues a record for the next flush; returns its `Seq`. It is not
    /// durable until a flush covers it.
    pub fn append(&mut self, record: &Record, now: Instant) -> Result<Seq, StoreError> {
        if self.needs_rewrite {
            return Err(StoreError::NeedsRewrite { path: self.path.clone() });
        }
        self.scratch.clear();
        write::append_record(&mut self.scratch, record, &self.options.write)
            .map_err(|error| StoreError::Format { path: self.path.clone(), error })?;
        Ok(self.journal.push(&self.scratch, now))
    }

    /// Appends one record and returns once it is on disk (ISC's
    /// `write_lease` + `commit_leases`), together with anything queued before it.
    pub fn commit(&mut self, record: &Record, now: Instant) -> Result<Flushed, StoreError> {
        self.append(record, now)?;
        self.flush(now)
    }

    /// Writes and syncs everything queued, as one write and one fsync.
    pub fn flush(&mut self, now: Instant) -> Result<Flushed, StoreError> {
        if self.needs_rewrite {
            return Err(StoreError::NeedsRewrite { path: self.path.clone() });
        }
        let Some(batch) = self.journal.take_batch() else {
            return Ok(Flushed { durable: self.journal.durable(), records: 0, rewrite_due: false });
        };
        if let Err(e) = self.file.write_all(&batch.bytes) {
            self.journal.failed(batch);
            self.cut_back();
            return Err(StoreError::io(Op::Write, &self.path, e));
        }
        if self.options.fsync {
            if let Err(e) = self.file.sync_data() {
                // After a failed fsync the kernel may have dropped the dirty
                // pages: what the file holds is unknown until it is rewritten.
                self.journal.failed(batch);
                self.journal.discard_queued();
                self.needs_rewrite = true;
                return Err(StoreError::io(Op::Sync, &self.path, e));
            }
        }
        self.len += batch.bytes.len() as u64;
        let records = batch.records;
        let rewrite_due = self.journal.flushed(batch, now);
        Ok(Flushed { durable: self.journal.durable(), records, rewrite_due })
    }

    /// Removes a partly written batch so the next one does not follow half a
    /// record; if even that fails, the file needs a rewrite.
    fn cut_back(&mut self) {
        let ok = self.file.set_len(self.len).is_ok() && self.file.seek(SeekFrom::Start(self.len)).is_ok();
        if !ok {
            self.journal.discard_queued();
            self.needs_rewrite = true;
        }
    }

    /// Flushes if the journal's policy says it is time.
    pub fn poll(&mut self, now: Instant) -> Result<Option<Flushed>, StoreError> {
        if self.journal.should_flush(now) {
            self.flush(now).map(Some)
        } else {
            Ok(None)
        }
    }

    /// When [`poll`](Self::poll) should next be called.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.journal.next_deadline()
    }

    /// Every record up to this `Seq` is durable.
    pub fn durable(&self) -> Seq {
        self.journal.durable()
    }

    /// Records queued but not yet flushed.
    pub fn queued(&self) -> usize {
        self.journal.queued()
    }

    /// ISC's hourly rule: something was appended and the last rewrite is
    /// over an hour old.
    pub fn rewrite_due(&self, now: Instant) -> bool {
        self.journal.rewrite_due(now) || self.needs_rewrite
    }

    /// The store refuses appends until [`rewrite`](Self::rewrite) succeeds.
    pub fn needs_rewrite(&self) -> bool {
        self.needs_rewrite
    }

    /// Replaces the file by `content` (the complete current state). Records
    /// still queued are written after it, to the new file, at the next flush.
    /// On failure the old file stays in use.
    pub fn rewrite(&mut self, content: &Rewrite<'_>, now: Instant) -> Result<Rewritten, StoreError> {
        let (file, len, leases, backup_missing) = Self::write_new(&self.path, content, &self.options)?;
        self.file = file;
        self.len = len;
        self.needs_rewrite = false;
        self.journal.rewritten(now);
        Ok(Rewritten { leases, backup_missing })
    }
}

#[cfg(test)]
#[path = "tests/store.rs"]
mod tests;
