//! Fuzzes the configuration reader: any bytes must yield a verdict, never a
//! panic, a stack overflow or a hang.
//!
//! The input is the only file the loader knows, under a one-letter name, so
//! `include "f";` (which the fuzzer finds quickly) includes the input itself
//! and exercises include loops; any other include fails to open.
#![no_main]

use dhcpd::conf::check_config;
use dhcpd::conf::parser::MemLoader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let loader = MemLoader(vec![("f".to_string(), data.to_vec())]);
    let outcome = check_config("f", &loader);
    // The verdict must be consistent whatever the input.
    assert_eq!(outcome.ok(), outcome.config.is_some());
    for d in &outcome.diagnostics {
        let _ = d.render();
    }
});
