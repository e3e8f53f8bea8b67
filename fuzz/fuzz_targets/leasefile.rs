//! Fuzzes the lease file reader and writer: any bytes must be read without
//! a panic or a hang, and whatever is accepted must survive being written
//! and read again (after one rewrite, which fills in ISC's defaults,
//! nothing changes any more).
#![no_main]

use dhcpd::lease::file::{read_lease_file, ReadOptions};
use dhcpd::lease::records::LeaseLog;
use dhcpd::lease::write::{append_record, WriteOptions};
use libfuzzer_sys::fuzz_target;

const NOW: i64 = 1_795_417_988;

fn emit(log: &LeaseLog) -> Option<Vec<u8>> {
    let opts = WriteOptions { now: NOW, ..WriteOptions::default() };
    let mut out = Vec::new();
    for e in &log.entries {
        append_record(&mut out, &e.record, &opts).ok()?;
    }
    Some(out)
}

fuzz_target!(|data: &[u8]| {
    let Ok(log) = read_lease_file("f", data, ReadOptions::at(NOW)) else {
        return;
    };
    for d in &log.diagnostics {
        let _ = d.render();
    }
    let _ = log.state();
    let Some(first) = emit(&log) else {
        return;
    };
    let second = emit(&read_lease_file("f", &first, ReadOptions::at(NOW)).unwrap()).unwrap();
    let third = emit(&read_lease_file("f", &second, ReadOptions::at(NOW)).unwrap()).unwrap();
    assert_eq!(second, third);
});
