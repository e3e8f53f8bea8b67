//! The file layer against a real directory: startup rewrite, commits, group
//! commit, hourly rewrite with `PATH~`, torn tails, and typed errors.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::*;
use crate::lease::records::{ByteOrder, LeaseFileState};
use crate::lease::{BindingState, HardwareAddr, Lease};

/// A scratch directory removed on drop.
pub(crate) struct TempDir(pub PathBuf);

impl TempDir {
    pub(crate) fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "dhcpd-rs-store-{}-{}-{}",
            tag,
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
    pub(crate) fn join(&self, f: &str) -> PathBuf {
        self.0.join(f)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const NOW: i64 = 1_795_417_988;

fn options() -> StoreOptions {
    StoreOptions {
        write: WriteOptions { now: NOW, byte_order: ByteOrder::LittleEndian, ..WriteOptions::default() },
        ..StoreOptions::default()
    }
}

fn lease(n: u32, state: BindingState) -> Lease {
    let mut l = Lease::new(Ipv4Addr::from(0x0a00_0000 + n));
    l.starts = NOW - 60;
    l.ends = NOW + 600;
    l.tstp = l.ends;
    l.cltt = l.starts;
    l.binding_state = state;
    l.next_binding_state = BindingState::Free;
    l.rewind_binding_state = Some(state);
    l.hardware = Some(HardwareAddr { htype: 1, addr: vec![2, 0, 0, 0, (n >> 8) as u8, n as u8] });
    l
}

fn state_of(path: &Path) -> (LeaseFileState, LeaseLog) {
    let log = load(path, ReadOptions::at(NOW)).expect("loads");
    (log.state(), log)
}

#[test]
fn startup_rewrite_then_commits_round_trip() {
    let dir = TempDir::new("roundtrip");
    let path = dir.join("dhcpd.leases");
    let initial = [lease(1, BindingState::Active), lease(2, BindingState::Free)];
    let content = Rewrite { leases: initial.iter().collect(), ..Rewrite::default() };
    let t = Instant::now();
    let (mut store, done) = LeaseStore::create(&path, &content, options(), t).unwrap();
    assert_eq!(done, Rewritten { leases: 2, backup_missing: true });
    let mut later = lease(2, BindingState::Active);
    later.client_hostname = Some(b"two".to_vec());
    let f = store.commit(&Record::Lease(later.clone()), t).unwrap();
    assert_eq!((f.durable, f.records, f.rewrite_due), (Seq(1), 1, false));
    let f = store.commit(&Record::Lease(lease(3, BindingState::Active)), t).unwrap();
    assert_eq!(f.durable, Seq(2));

    let (st, log) = state_of(&path);
    assert!(log.diagnostics.is_empty(), "{:?}", log.diagnostics);
    assert_eq!(st.leases.len(), 3);
    assert_eq!(st.leases[&later.ip], later, "the later record wins");
    assert_eq!(st.leases[&initial[0].ip], initial[0]);
    // The file is ISC's layout: header, then the records as appended.
    let text = std::fs::read(&path).unwrap();
    let mut expect = Vec::new();
    write::rewrite(&mut expect, &content, &options().write).unwrap();
    write::lease(&mut expect, &later, &options().write).unwrap();
    write::lease(&mut expect, &lease(3, BindingState::Active), &options().write).unwrap();
    assert_eq!(String::from_utf8_lossy(&text), String::from_utf8_lossy(&expect));
    // No temporary file is left behind.
    let names: Vec<String> =
        std::fs::read_dir(&dir.0).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names, vec!["dhcpd.leases".to_string()]);
}

#[test]
fn group_commit_covers_many_records_with_one_flush() {
    let dir = TempDir::new("group");
    let path = dir.join("dhcpd.leases");
    let opts = StoreOptions { policy: Policy::group(Duration::from_millis(10)), ..options() };
    let t = Instant::now();
    let (mut store, _) = LeaseStore::create(&path, &Rewrite::default(), opts, t).unwrap();
    let mut seqs = Vec::new();
    for n in 0..100 {
        seqs.push(store.append(&Record::Lease(lease(n, BindingState::Active)), t).unwrap());
    }
    assert_eq!(store.durable(), Seq(0));
    assert_eq!(store.queued(), 100);
    assert_eq!(store.poll(t).unwrap(), None, "neither limit nor deadline reached");
    assert_eq!(store.next_deadline(), Some(t + Duration::from_millis(10)));
    // Nothing queued has reached the file yet.
    assert_eq!(state_of(&path).0.leases.len(), 0);
    let f = store.poll(t + Duration::from_millis(10)).unwrap().expect("deadline passed");
    assert_eq!((f.records, f.durable), (100, *seqs.last().unwrap()));
    assert_eq!(state_of(&path).0.leases.len(), 100);
    // An empty flush is harmless.
    assert_eq!(store.flush(t).unwrap().records, 0);
}

#[test]
fn hourly_rewrite_keeps_the_old_file_as_backup() {
    let dir = TempDir::new("rewrite");
    let path = dir.join("dhcpd.leases");
    let t = Instant::now();
    std::fs::write(&path, b"# previous generation\n").unwrap();
    let (mut store, done) = LeaseStore::create(&path, &Rewrite::default(), options(), t).unwrap();
    assert!(!done.backup_missing);
    assert_eq!(std::fs::read(dir.join("dhcpd.leases~")).unwrap(), b"# previous generation\n");
    let first = lease(7, BindingState::Active);
    let f = store.commit(&Record::Lease(first.clone()), t + Duration::from_secs(3600)).unwrap();
    assert!(!f.rewrite_due);
    let f = store.commit(&Record::Lease(lease(8, BindingState::Active)), t + Duration::from_secs(3601)).unwrap();
    assert!(f.rewrite_due, "ISC rewrites when more than an hour has passed");
    let before = std::fs::read(&path).unwrap();
    let st = state_of(&path).0;
    let done = store.rewrite(&Rewrite::from_state(&st), t + Duration::from_secs(3601)).unwrap();
    assert_eq!(done.leases, 2);
    assert_eq!(std::fs::read(dir.join("dhcpd.leases~")).unwrap(), before, "PATH~ is the previous file");
    assert!(!store.rewrite_due(t + Duration::from_secs(3602)));
    // Appends go to the new file.
    store.commit(&Record::Lease(lease(9, BindingState::Active)), t).unwrap();
    let (st2, log) = state_of(&path);
    assert!(log.diagnostics.is_empty());
    assert_eq!(st2.leases.len(), 3);
    assert_eq!(st2.leases[&first.ip], first);
}

#[test]
fn a_torn_tail_is_dropped_with_file_and_line_and_the_startup_rewrite_removes_it() {
    let dir = TempDir::new("torn");
    let path = dir.join("dhcpd.leases");
    let t = Instant::now();
    let (mut store, _) = LeaseStore::create(&path, &Rewrite::default(), options(), t).unwrap();
    for n in 0..3 {
        store.commit(&Record::Lease(lease(n, BindingState::Active)), t).unwrap();
    }
    drop(store);
    let whole = std::fs::read(&path).unwrap();
    let mut torn = whole.clone();
    let mut extra = Vec::new();
    write::lease(&mut extra, &lease(99, BindingState::Active), &options().write).unwrap();
    torn.extend_from_slice(&extra[..extra.len() / 2]);
    std::fs::write(&path, &torn).unwrap();
    let line = whole.iter().filter(|&&b| b == b'\n').count() + 1;

    let (st, log) = state_of(&path);
    assert_eq!(st.leases.len(), 3, "nothing before the torn record is lost");
    let torn_rec = log.torn.as_ref().expect("torn record reported");
    assert_eq!((torn_rec.line as usize, torn_rec.what.as_str()), (line, "lease 10.0.0.99"));
    let msg = log.diagnostics.iter().map(|d| d.headline()).collect::<Vec<_>>().join("\n");
    assert!(msg.contains(&format!("{} line {}:", path.display(), line)), "{}", msg);

    let (mut store, _) = LeaseStore::create(&path, &Rewrite::from_state(&st), options(), t).unwrap();
    store.commit(&Record::Lease(lease(4, BindingState::Active)), t).unwrap();
    let (st, log) = state_of(&path);
    assert!(log.diagnostics.is_empty() && log.torn.is_none());
    assert_eq!(st.leases.len(), 4);
}

#[test]
fn errors_name_the_operation_and_the_path() {
    let dir = TempDir::new("errors");
    let missing = dir.join("nope.leases");
    let e = load(&missing, ReadOptions::at(NOW)).unwrap_err();
    assert_eq!(e.op(), Some(Op::Open));
    assert_eq!(e.to_string(), format!("cannot open {}: No such file or directory", missing.display()));
    // A directory where the new file should go cannot be created.
    let bad = dir.join("no-such-dir").join("dhcpd.leases");
    let e = LeaseStore::create(&bad, &Rewrite::default(), options(), Instant::now()).unwrap_err();
    assert_eq!(e.op(), Some(Op::Create));
    assert!(e.to_string().contains("no-such-dir/dhcpd.leases."), "{}", e);
    // A time ISC cannot print is refused before anything is written.
    let path = dir.join("dhcpd.leases");
    let (mut store, _) = LeaseStore::create(&path, &Rewrite::default(), options(), Instant::now()).unwrap();
    let mut bad_lease = lease(1, BindingState::Active);
    bad_lease.ends = -5;
    let e = store.commit(&Record::Lease(bad_lease), Instant::now()).unwrap_err();
    assert!(matches!(e, StoreError::Format { .. }), "{}", e);
    assert_eq!(store.durable(), Seq(0));
}

#[test]
fn test_rewrite_leaves_nothing_behind() {
    let dir = TempDir::new("testmode");
    let path = dir.join("dhcpd.leases");
    std::fs::write(&path, b"").unwrap();
    let leases = [lease(1, BindingState::Active)];
    let content = Rewrite { leases: leases.iter().collect(), ..Rewrite::default() };
    let (temp, n) = test_rewrite(&path, &content, &options()).unwrap();
    assert_eq!(n, 1);
    assert!(temp.to_string_lossy().starts_with(&format!("{}.", path.display())));
    assert!(!temp.exists());
    assert_eq!(std::fs::read(&path).unwrap(), b"", "the lease file itself is untouched");
}
