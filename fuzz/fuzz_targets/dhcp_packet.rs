//! Fuzz target for `wire::dhcp` and `wire::frame`: any bytes must parse or fail cleanly, and
//! what parses must re-emit (plainly and within ISC's size limits) to something that parses
//! the same. Run with `cargo +nightly fuzz run dhcp_packet` from the crate root.
#![no_main]

use dhcpd::wire::dhcp::{Limits, Packet, Repr, MIN_OPTION_SPACE, OPT_AGENT_INFORMATION};
use dhcpd::wire::frame::FrameRepr;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = FrameRepr::parse(data, true);

    let Ok(packet) = Packet::new_checked(data) else { return };
    let Ok(repr) = Repr::parse(&packet) else { return };

    let mut out = vec![0; repr.buffer_len()];
    repr.emit(&mut Packet::new_unchecked(&mut out[..])).expect("plain emit");
    let again = Repr::parse(&Packet::new_checked(&out[..]).expect("view")).expect("re-parse");
    assert_eq!(again, repr);

    let limits = Limits::new(MIN_OPTION_SPACE);
    let mut out = vec![0; limits.max_len()];
    let packed = repr.emit_limited(&mut out, &limits).expect("limited emit");
    let back = Repr::parse(&Packet::new_checked(&out[..packed.len]).expect("view")).expect("re-parse");
    for o in repr.options() {
        let lost = o.data.is_empty()
            || packed.dropped.contains(&o.code)
            || (o.code == OPT_AGENT_INFORMATION && packed.agent_dropped);
        assert_eq!(back.option(o.code), if lost { None } else { Some(&*o.data) });
    }
});
