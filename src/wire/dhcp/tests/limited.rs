//! `emit_limited`: ISC's budget, overload and drop rules.

use super::*;

fn opt(code: u8, len: usize) -> RawOption<'static> {
    RawOption::owned(code, vec![code; len])
}

fn packed(r: &Repr<'_>, limits: &Limits) -> (Packed, Vec<u8>) {
    let mut buf = vec![0xee; limits.max_len()];
    let p = r.emit_limited(&mut buf, limits).unwrap();
    buf.truncate(p.len);
    (p, buf)
}

/// Raw `(code, len)` of each option piece in an area, in order.
fn layout(area: &[u8]) -> Vec<(u8, usize)> {
    OptionIter::new(area, Area::Options)
        .map(|o| (o.code, o.data.len()))
        .collect()
}

#[test]
fn option_space_follows_isc() {
    assert_eq!(option_space(0, None, None), 312);
    assert_eq!(option_space(0, Some(&[0x05, 0xdc]), None), 1236); // 1500
    assert_eq!(option_space(0, Some(&[0x02, 0x40]), None), 312); // 576
    assert_eq!(option_space(0, Some(&[0x03, 0xe8]), None), 736); // 1000
    assert_eq!(option_space(0, Some(&[0x01, 0xf4]), None), 312); // 500: below the minimum
    assert_eq!(option_space(0, Some(&[0x20, 0x00]), None), 1236); // 8192: above 1500
    assert_eq!(option_space(1000, Some(&[0x04, 0xb0]), None), 736); // client 1200 is not smaller
    assert_eq!(option_space(1000, Some(&[0x03, 0x20]), None), 536); // client 800 is
    assert_eq!(option_space(0, Some(&[0x04]), None), 312); // one byte: ignored
    assert_eq!(option_space(0, Some(&[0x04, 0xb0, 0x99]), None), 936); // first two bytes count
    assert_eq!(option_space(0, Some(&[0, 0]), None), 312); // 0 = none
    assert_eq!(option_space(0, None, Some(300)), 64);
    assert_eq!(option_space(0, None, Some(548)), 312);
    assert_eq!(option_space(0, None, Some(4000)), 1236);
    assert_eq!(option_space(0, Some(&[0x02, 0x40]), Some(300)), 312);
}

#[test]
fn fits_without_overload_and_pads_to_300() {
    let r = repr_with(vec![opt(53, 1), opt(54, 4), opt(1, 4)]);
    let (p, bytes) = packed(&r, &Limits::new(MIN_OPTION_SPACE));
    assert_eq!(
        p,
        Packed {
            len: 300,
            overload: 0,
            dropped: vec![],
            agent_dropped: false
        }
    );
    assert_eq!(layout(&bytes[HEADER_LEN..]), vec![(53, 1), (54, 4), (1, 4)]);
    assert_eq!(bytes[HEADER_LEN + 15], OPT_END);
    assert!(bytes[HEADER_LEN + 16..].iter().all(|&b| b == 0));
    let mut no_pad = Limits::new(MIN_OPTION_SPACE);
    no_pad.min_len = 0;
    assert_eq!(packed(&r, &no_pad).0.len, HEADER_LEN + 16);
}

#[test]
fn whole_options_overflow_to_file_then_sname() {
    // 308 bytes of room after the cookie; 3 of them are kept for option 52.
    let r = repr_with(vec![
        opt(53, 1),
        opt(43, 200),
        opt(44, 88),
        opt(66, 100),
        opt(67, 50),
        opt(3, 4),
    ]);
    let (p, bytes) = packed(&r, &Limits::new(MIN_OPTION_SPACE));
    assert_eq!(p.overload, OVERLOAD_FILE | OVERLOAD_SNAME);
    assert!(p.dropped.is_empty());
    // 53 (3) + 43 (202) + 44 (90) = 295; 3 (6) ends at 301, 3 + 1 short of 308, so it
    // comes back to the options field after 66 and 67 went to file and sname.
    assert_eq!(
        layout(&bytes[HEADER_LEN..]),
        vec![(53, 1), (43, 200), (44, 88), (3, 4), (52, 1)]
    );
    assert_eq!(bytes[HEADER_LEN + 301 + 2], OVERLOAD_FILE | OVERLOAD_SNAME);
    assert_eq!(bytes[HEADER_LEN + 304], OPT_END);
    assert_eq!(layout(&bytes[108..236]), vec![(66, 100)]);
    assert_eq!(bytes[108 + 102], OPT_END);
    assert_eq!(layout(&bytes[44..108]), vec![(67, 50)]);
    // A reader gets every option back.
    let back = parse(&bytes);
    let mut got: Vec<_> = back.options().to_vec();
    got.sort_by_key(|o| o.code);
    let mut want = r.options().to_vec();
    want.sort_by_key(|o| o.code);
    assert_eq!(got, want);
}

#[test]
fn fields_with_names_are_not_used() {
    let mut r = repr_with(vec![opt(53, 1), opt(43, 300), opt(66, 40)]);
    r.file = Cow::Borrowed(b"pxelinux.0");
    let (p, bytes) = packed(&r, &Limits::new(MIN_OPTION_SPACE));
    assert_eq!(p.overload, OVERLOAD_SNAME);
    assert_eq!(&bytes[108..118], b"pxelinux.0");
    let back = parse(&bytes);
    assert_eq!(&*back.file, b"pxelinux.0");
    assert_eq!(back.option(43).map(<[u8]>::len), Some(300));
    // INFORM replies and NAKs: no overload at all, so 66 is dropped.
    // The 300-byte option needed sname for its last 2 bytes, so it is the one dropped.
    let mut limits = Limits::new(MIN_OPTION_SPACE);
    limits.overload = 0;
    let r = repr_with(vec![opt(53, 1), opt(43, 300), opt(66, 40)]);
    let (p, bytes) = packed(&r, &limits);
    assert_eq!((p.overload, p.dropped.clone()), (0, vec![43]));
    assert_eq!(layout(&bytes[HEADER_LEN..]), vec![(53, 1), (66, 40)]);
    assert!(bytes[44..236].iter().all(|&b| b == 0));
}

#[test]
fn long_option_split_across_fields() {
    // 480 bytes: pieces of 255 and 43 fill the options field to its last 3 bytes, then
    // `file` takes 125 (+ END), then `sname` the last 57 (+ END).
    let r = repr_with(vec![opt(53, 1), opt(120, 480)]);
    let (p, bytes) = packed(&r, &Limits::new(MIN_OPTION_SPACE));
    assert_eq!(p.overload, OVERLOAD_FILE | OVERLOAD_SNAME);
    assert_eq!(
        layout(&bytes[HEADER_LEN..]),
        vec![(53, 1), (120, 255), (120, 43), (52, 1)]
    );
    assert_eq!(p.len, HEADER_LEN + 308, "full options field: no END");
    assert_eq!(layout(&bytes[108..236]), vec![(120, 125)]);
    assert_eq!(layout(&bytes[44..108]), vec![(120, 57)]);
    assert_eq!(bytes[44 + 59], OPT_END);
    assert_eq!(parse(&bytes).option(120), r.option(120));
}

#[test]
fn option_that_fits_nowhere_is_dropped_and_rolled_back() {
    let r = repr_with(vec![opt(53, 1), opt(43, 900), opt(1, 4)]);
    let (p, bytes) = packed(&r, &Limits::new(MIN_OPTION_SPACE));
    assert_eq!(p.dropped, vec![43]);
    assert_eq!(
        p.overload, 0,
        "nothing of 43 was left behind in file or sname"
    );
    assert_eq!(layout(&bytes[HEADER_LEN..]), vec![(53, 1), (1, 4)]);
    assert!(bytes[44..236].iter().all(|&b| b == 0));
    // BOOTP's 64 bytes: 60 after the cookie.
    let r = repr_with(vec![opt(1, 4), opt(12, 40), opt(15, 20)]);
    let mut limits = Limits::new(option_space(0, None, Some(300)));
    limits.overload = 0;
    let (p, _) = packed(&r, &limits);
    assert_eq!(p.dropped, vec![15]);
}

#[test]
fn last_option_may_use_the_overload_reserve() {
    // After 53 (3 bytes), 43 (202) and 44 (94) 9 bytes are left: a last 4-byte option needs
    // 6, which fits only with the last-entry allowance (2 + 4 < 9, not 5 + 4 < 9).
    let r = repr_with(vec![opt(53, 1), opt(43, 200), opt(44, 92), opt(1, 4)]);
    let (p, bytes) = packed(&r, &Limits::new(MIN_OPTION_SPACE));
    assert_eq!(p.overload, 0);
    assert_eq!(
        layout(&bytes[HEADER_LEN..]),
        vec![(53, 1), (43, 200), (44, 92), (1, 4)]
    );
    let mut limits = Limits::new(MIN_OPTION_SPACE);
    limits.last_is_final = false;
    let (p, bytes) = packed(&r, &limits);
    assert_eq!(p.overload, OVERLOAD_FILE);
    assert_eq!(layout(&bytes[108..236]), vec![(1, 4)]);
}

#[test]
fn agent_options_extend_the_budget_and_go_last() {
    let agent = RawOption::owned(OPT_AGENT_INFORMATION, vec![1, 4, b'p', b'o', b'r', b't']);
    // Options filling the 308-byte field to 3 bytes short, plus 8 bytes of agent options
    // that fit because the budget grew by their size.
    let r = repr_with(vec![
        agent.clone(),
        opt(53, 1),
        opt(43, 200),
        opt(44, 92),
        opt(1, 4),
    ]);
    let (p, bytes) = packed(&r, &Limits::new(MIN_OPTION_SPACE));
    assert_eq!(
        (p.overload, p.agent_dropped, p.dropped.clone()),
        (0, false, vec![])
    );
    assert_eq!(
        layout(&bytes[HEADER_LEN..]),
        vec![(53, 1), (43, 200), (44, 92), (1, 4), (82, 6)]
    );
    assert_eq!(p.len, HEADER_LEN + 305 + 8 + 1);
    // Too large to encode in ISC's 1024-byte agent buffer: left out and reported.
    let huge = RawOption::owned(OPT_AGENT_INFORMATION, vec![7; 1100]);
    let r = repr_with(vec![opt(53, 1), huge]);
    let (p, bytes) = packed(&r, &Limits::new(MIN_OPTION_SPACE));
    assert!(p.agent_dropped);
    assert_eq!(layout(&bytes[HEADER_LEN..]), vec![(53, 1)]);
    // Large but encodable: split in 255-byte pieces, still after everything else.
    let big = RawOption::owned(OPT_AGENT_INFORMATION, vec![7; 600]);
    let r = repr_with(vec![big, opt(53, 1)]);
    let (p, bytes) = packed(&r, &Limits::new(MIN_OPTION_SPACE));
    assert!(!p.agent_dropped);
    assert_eq!(
        layout(&bytes[HEADER_LEN..]),
        vec![(53, 1), (82, 255), (82, 255), (82, 90)]
    );
}

#[test]
fn empty_values_are_not_sent() {
    let r = repr_with(vec![opt(53, 1), opt(80, 0), opt(1, 4)]);
    let (p, bytes) = packed(&r, &Limits::new(MIN_OPTION_SPACE));
    assert!(p.dropped.is_empty());
    assert_eq!(layout(&bytes[HEADER_LEN..]), vec![(53, 1), (1, 4)]);
}

#[test]
fn buffer_too_small_is_an_error() {
    let r = repr_with(vec![opt(53, 1)]);
    let mut buf = vec![0; 299];
    assert_eq!(
        r.emit_limited(&mut buf, &Limits::new(MIN_OPTION_SPACE)),
        Err(Error::BufferTooSmall {
            need: 300,
            have: 299
        })
    );
}
