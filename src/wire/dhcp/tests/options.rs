//! Option rules on parse and plain emit: RFC 3396 joining and splitting, overload, the
//! malformed-option cases ISC rejects or tolerates, and the header checks.

use super::*;

fn opt(code: u8, data: &[u8]) -> RawOption<'static> {
    RawOption::owned(code, data.to_vec())
}

#[test]
fn iterator_skips_pad_and_stops_at_end() {
    let area = [0, 0, 53, 1, 3, 0, 12, 2, b'h', b'i', 255, 12, 1, b'x'];
    let mut it = OptionIter::new(&area, Area::Options);
    assert_eq!(
        it.next(),
        Some(DhcpOption {
            code: 53,
            data: &[3]
        })
    );
    assert_eq!(
        it.next(),
        Some(DhcpOption {
            code: 12,
            data: b"hi"
        })
    );
    assert_eq!(it.next(), None);
    assert_eq!(it.next(), None);
    assert_eq!(it.fault(), None);
    // Without END the area simply runs out; zero-length options are fine.
    let area = [80, 0, 0];
    let got: Vec<_> = OptionIter::new(&area, Area::File).collect();
    assert_eq!(
        got,
        vec![DhcpOption {
            code: 80,
            data: &[]
        }]
    );
}

#[test]
fn iterator_reports_faults() {
    let mut it = OptionIter::new(&[53, 1, 1, 61], Area::Options);
    assert_eq!(it.by_ref().count(), 1);
    assert_eq!(
        it.fault(),
        Some(Error::MalformedOption {
            area: Area::Options,
            code: 61,
            fault: OptionFault::MissingLength
        })
    );
    let mut it = OptionIter::new(&[12, 40, b'a', b'b', b'c'], Area::Sname);
    assert_eq!(it.next(), None);
    assert_eq!(it.next(), None);
    assert_eq!(
        it.fault(),
        Some(Error::MalformedOption {
            area: Area::Sname,
            code: 12,
            fault: OptionFault::Overrun
        })
    );
}

#[test]
fn repeated_codes_join_in_first_seen_position() {
    // RFC 3396: pieces of one option are joined in the order they appear.
    let bytes = raw_packet(&[3, 2, 1, 2, 6, 1, 9, 3, 2, 3, 4, 255]);
    let r = parse(&bytes);
    assert_eq!(r.options(), &[opt(3, &[1, 2, 3, 4]), opt(6, &[9])]);
}

#[test]
fn long_values_split_at_255_on_emit() {
    for len in [0usize, 1, 254, 255, 256, 509, 510, 511, 1000] {
        let value: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let r = repr_with(vec![opt(43, &value), opt(53, &[5])]);
        let mut buf = vec![0; r.buffer_len()];
        r.emit(&mut Packet::new_unchecked(&mut buf[..])).unwrap();
        // Every piece but the last is 255 bytes long; an empty value is one empty piece.
        let pieces: Vec<usize> = Packet::new_unchecked(&buf[..])
            .options()
            .filter(|o| o.code == 43)
            .map(|o| o.data.len())
            .collect();
        let expect: Vec<usize> = if len == 0 {
            vec![0]
        } else {
            value.chunks(255).map(<[u8]>::len).collect()
        };
        assert_eq!(pieces, expect, "len {len}");
        assert_eq!(parse(&buf), r, "len {len}");
    }
}

/// A request whose `file` and `sname` are filled from the given raw areas, with `options`
/// in the options field.
fn overloaded(options: &[u8], file: &[u8], sname: &[u8]) -> Vec<u8> {
    let mut bytes = raw_packet(options);
    bytes[108..108 + file.len()].copy_from_slice(file);
    bytes[44..44 + sname.len()].copy_from_slice(sname);
    bytes
}

#[test]
fn overload_reads_file_then_sname() {
    let bytes = overloaded(
        &[53, 1, 1, 12, 3, b'a', b'b', b'c', 52, 1, 3, 255],
        &[12, 3, b'd', b'e', b'f', 61, 2, 1, 9, 255, 77, 77],
        &[0, 12, 3, b'g', b'h', b'i', 255],
    );
    let r = parse(&bytes);
    assert_eq!(
        r.options(),
        &[opt(53, &[1]), opt(12, b"abcdefghi"), opt(61, &[1, 9])]
    );
    assert!(r.file.is_empty() && r.sname.is_empty());
    // A plain emit writes the joined value back in the options field only.
    let mut buf = vec![0; r.buffer_len()];
    r.emit(&mut Packet::new_unchecked(&mut buf[..])).unwrap();
    assert_eq!(parse(&buf), r);
}

#[test]
fn overload_bits_select_fields() {
    let file = [66, 2, b'f', b'1', 255];
    let sname = [67, 2, b's', b'1', 255];
    // 1 = file only: sname stays a name.
    let bytes = overloaded(&[52, 1, 1, 255], &file, &sname);
    let r = parse(&bytes);
    assert_eq!(r.options(), &[opt(66, b"f1")]);
    assert_eq!(&*r.sname, &sname[..]);
    // 2 = sname only: file stays a name.
    let bytes = overloaded(&[52, 1, 2, 255], &file, &sname);
    let r = parse(&bytes);
    assert_eq!(r.options(), &[opt(67, b"s1")]);
    assert_eq!(&*r.file, &file[..]);
    // 0, or an empty 52, changes nothing.
    for opts in [&[52, 1, 0, 255][..], &[52, 0, 255]] {
        let bytes = overloaded(opts, &file, &sname);
        let r = parse(&bytes);
        assert!(r.options().is_empty());
        assert_eq!((&*r.file, &*r.sname), (&file[..], &sname[..]));
    }
    // Only the options field's 52 counts: one in `file` is not followed.
    let bytes = overloaded(&[52, 1, 1, 255], &[52, 1, 2, 255], &sname);
    let r = parse(&bytes);
    assert!(r.options().is_empty());
    assert_eq!(&*r.sname, &sname[..]);
}

#[test]
fn malformed_options_reject_client_packets() {
    let cases: [(&[u8], u8, OptionFault); 3] = [
        (
            &[53, 1, 1, 12, 40, b'a', b'b', b'c'],
            12,
            OptionFault::Overrun,
        ),
        (&[53, 1, 1, 61], 61, OptionFault::MissingLength),
        (&[53, 1], 53, OptionFault::Overrun),
    ];
    for (opts, code, fault) in cases {
        let bytes = raw_packet(opts);
        let err = Repr::parse(&Packet::new_checked(&bytes[..]).unwrap()).unwrap_err();
        assert_eq!(
            err,
            Error::MalformedOption {
                area: Area::Options,
                code,
                fault
            }
        );
    }
}

#[test]
fn malformed_tail_tolerated_after_offer_ack_nak() {
    // ISC's workaround for a broken server: keep what came before the fault.
    for (t, ok) in [
        (2u8, true),
        (5, true),
        (6, true),
        (1, false),
        (3, false),
        (8, false),
    ] {
        let bytes = raw_packet(&[53, 1, t, 15, 3, b'a', b'b', b'c', 12, 200, b'x']);
        let result = Repr::parse(&Packet::new_checked(&bytes[..]).unwrap());
        match ok {
            true => assert_eq!(result.unwrap().options(), &[opt(53, &[t]), opt(15, b"abc")]),
            false => assert!(matches!(
                result,
                Err(Error::MalformedOption { code: 12, .. })
            )),
        }
    }
    // The workaround does not extend to `file`.
    let bytes = overloaded(&[53, 1, 5, 52, 1, 1, 255], &[12, 200], &[]);
    assert_eq!(
        Repr::parse(&Packet::new_checked(&bytes[..]).unwrap()),
        Err(Error::MalformedOption {
            area: Area::File,
            code: 12,
            fault: OptionFault::Overrun
        })
    );
}

#[test]
fn header_checks() {
    let bytes = dhclient_discover();
    assert_eq!(
        Packet::new_checked(&bytes[..235]).unwrap_err(),
        Error::Truncated { len: 235 }
    );
    Packet::new_checked(&bytes[..236]).unwrap();
    let mut bogus = bytes.clone();
    bogus[2] = 17;
    assert_eq!(
        Packet::new_checked(&bogus[..]).unwrap_err(),
        Error::BadHlen(17)
    );
    // A view made without checks is still refused by the parser.
    assert_eq!(
        Repr::parse(&Packet::new_unchecked(&bogus[..])).unwrap_err(),
        Error::BadHlen(17)
    );
    bogus[2] = 16;
    assert_eq!(parse(&bogus).hardware_address().len(), 16);
}

#[test]
fn no_cookie_is_bootp_with_raw_vendor_area() {
    let mut bytes = dhclient_discover();
    bytes[236..240].copy_from_slice(&[1, 2, 3, 4]);
    assert_eq!(
        Packet::new_checked(&bytes[..]).unwrap().check_magic(),
        Err(Error::BadMagic)
    );
    let r = parse(&bytes);
    assert_eq!(r.vendor, Vendor::Raw(Cow::Borrowed(&bytes[236..])));
    assert_eq!(r.message_type(), None);
    // Shorter than 240: no options either, whatever the bytes.
    for n in 236..240 {
        let whole = dhclient_discover();
        let r = parse(&whole[..n]);
        assert_eq!(
            r.vendor,
            Vendor::Raw(Cow::Owned(dhclient_discover()[236..n].to_vec()))
        );
    }
    // Emitting gives the same bytes back, and ISC pads the copy to 300.
    let short = &bytes[..260];
    let r = parse(short);
    let mut out = vec![0xee; r.buffer_len()];
    r.emit(&mut Packet::new_unchecked(&mut out[..])).unwrap();
    assert_eq!(out, short);
    let mut out = vec![0xee; 400];
    let packed = r
        .emit_limited(&mut out, &Limits::new(MIN_OPTION_SPACE))
        .unwrap();
    assert_eq!(packed.len, 300);
    assert_eq!(&out[..260], short);
    assert!(out[260..300].iter().all(|&b| b == 0));
    // Larger than a 1500-byte MTU allows (found by the fuzz target): cut to fit.
    let mut jumbo = dhclient_discover();
    jumbo[236..240].fill(0);
    jumbo.resize(1478, 0x41);
    let r = parse(&jumbo);
    let limits = Limits::new(MIN_OPTION_SPACE);
    let mut out = vec![0; limits.max_len()];
    let packed = r.emit_limited(&mut out, &limits).unwrap();
    assert_eq!(packed.len, FIXED_LEN + MAX_OPTION_SPACE);
    assert_eq!(out[..], jumbo[..packed.len]);
}

#[test]
fn emit_refuses_what_it_cannot_write() {
    let r = repr_with(vec![opt(53, &[2])]);
    let mut small = vec![0; r.buffer_len() - 1];
    assert_eq!(
        r.emit(&mut Packet::new_unchecked(&mut small[..])),
        Err(Error::BufferTooSmall {
            need: 244,
            have: 243
        })
    );
    let mut buf = vec![0; 1500];
    let mut bad = r.clone();
    bad.sname = Cow::Owned(vec![b'x'; 65]);
    assert_eq!(
        bad.emit(&mut Packet::new_unchecked(&mut buf[..])),
        Err(Error::FieldTooLong {
            area: Area::Sname,
            len: 65
        })
    );
    let mut bad = r.clone();
    bad.file = Cow::Owned(vec![b'x'; 129]);
    assert_eq!(
        bad.emit(&mut Packet::new_unchecked(&mut buf[..])),
        Err(Error::FieldTooLong {
            area: Area::File,
            len: 129
        })
    );
    let mut bad = r.clone();
    bad.hlen = 20;
    assert_eq!(
        bad.emit(&mut Packet::new_unchecked(&mut buf[..])),
        Err(Error::BadHlen(20))
    );
    for code in [OPT_PAD, OPT_END] {
        let bad = repr_with(vec![opt(code, &[1])]);
        assert_eq!(
            bad.emit(&mut Packet::new_unchecked(&mut buf[..])),
            Err(Error::FramingOption(code))
        );
    }
    // 52 may be written by hand in a plain emit, but not given to the limited one.
    let manual = repr_with(vec![opt(OPT_OVERLOAD, &[1])]);
    manual
        .emit(&mut Packet::new_unchecked(&mut buf[..]))
        .unwrap();
    assert_eq!(
        manual.emit_limited(&mut buf, &Limits::new(MIN_OPTION_SPACE)),
        Err(Error::FramingOption(52))
    );
}

#[test]
fn names_keep_their_bytes() {
    let mut r = repr_with(vec![opt(53, &[5])]);
    r.sname = Cow::Borrowed(b"boot-server");
    r.file = Cow::Borrowed(b"pxelinux.0");
    let mut buf = vec![0; r.buffer_len()];
    r.emit(&mut Packet::new_unchecked(&mut buf[..])).unwrap();
    let p = Packet::new_checked(&buf[..]).unwrap();
    assert!(p.sname().starts_with(b"boot-server\0"));
    assert!(p.file().starts_with(b"pxelinux.0\0"));
    assert_eq!(parse(&buf), r);
    assert_eq!(parse(&buf).into_owned(), r);
}
