//! Tests of the lexer: token classes, positions and line text as ISC
//! reports them, and that no input makes it panic or stall.

use super::*;

fn tokens(src: &str) -> Vec<(Token, String)> {
    let mut lx = Lexer::new(src.as_bytes().into());
    let mut out = Vec::new();
    loop {
        let t = lx.next_token();
        if t == Token::Eof {
            return out;
        }
        out.push((t, lx.value_str()));
    }
}

#[test]
fn classifies_like_isc() {
    let t = tokens("subnet 10.0.0.0 netmask ab g gh 0x1f 12ab 1-2 - \"a\\tb\" ; # c\n}");
    let kinds: Vec<Token> = t.iter().map(|x| x.0).collect();
    assert_eq!(
        kinds,
        vec![
            Token::Kw(Keyword::Subnet),
            Token::Number,
            Token::Punct(b'.'),
            Token::Number,
            Token::Punct(b'.'),
            Token::Number,
            Token::Punct(b'.'),
            Token::Number,
            Token::Kw(Keyword::Netmask),
            Token::NumberOrName,
            Token::NumberOrName,
            Token::Name,
            Token::NumberOrName,
            Token::NumberOrName,
            Token::Name,
            Token::Number,
            Token::String,
            Token::Punct(b';'),
            Token::Punct(b'}'),
        ]
    );
    assert_eq!(t[16].1, "a\tb");
}

#[test]
fn hex_mac_splits_on_colons() {
    let t = tokens("00:1a:2B");
    assert_eq!(t.len(), 5);
    assert_eq!(t[0], (Token::Number, "00".into()));
    assert_eq!(t[2], (Token::NumberOrName, "1a".into()));
    assert_eq!(t[4], (Token::NumberOrName, "2B".into()));
}

#[test]
fn caret_column_counts_read_ahead_once() {
    // ISC's column is one more than the 1-based column for a token whose
    // first character was read ahead by the previous token.
    let mut lx = Lexer::new(Rc::from(&b"  load balance max secs 3;\n"[..]));
    for _ in 0..3 {
        lx.next_token();
    }
    assert_eq!(lx.next_token(), Token::Name);
    let p = lx.position();
    assert_eq!(p.line, 1);
    assert_eq!(p.col, 21);
    assert_eq!(p.text, b"  load balance max secs ".to_vec());
}

#[test]
fn peek_keeps_previous_position() {
    let mut lx = Lexer::new(Rc::from(&b"a\nb"[..]));
    lx.next_token();
    assert_eq!(lx.peek_token(), Token::NumberOrName);
    let p = lx.position();
    assert_eq!(p.line, 1);
    assert_eq!(p.text, b"a".to_vec());
    lx.next_token();
    assert_eq!(lx.position().line, 2);
}

#[test]
fn unterminated_string_warns_and_ends() {
    let mut lx = Lexer::new(Rc::from(&b"\"abc"[..]));
    assert_eq!(lx.next_token(), Token::String);
    assert_eq!(lx.value(), b"abc");
    assert!(lx.has_events());
    assert_eq!(lx.next_token(), Token::Eof);
}

#[test]
fn byte_ff_reads_as_eof_and_long_tokens_are_cut() {
    let mut lx = Lexer::new(Rc::from(&b"a\xffb \xffc"[..]));
    // The 0xFF ends `a` and is swallowed; the one after whitespace is EOF.
    assert_eq!(lx.next_token(), Token::NumberOrName);
    assert_eq!(lx.next_token(), Token::NumberOrName);
    assert_eq!(lx.value(), b"b");
    assert_eq!(lx.next_token(), Token::Eof);
    let long = vec![b'z'; 4000];
    let mut lx = Lexer::new(long.into());
    assert_eq!(lx.next_token(), Token::Name);
    assert_eq!(lx.value().len(), TOKEN_BUFFER - 1);
    assert!(lx.has_events());
}

/// The line buffer and column as ISC keeps them, in the corners the
/// offset-based LineBuffers must get right (values from the lexer that
/// copied every character, as ISC does).
#[test]
fn line_text_and_column_corners() {
    fn run(input: &[u8], n: usize) -> Vec<(Token, u32, u32, Vec<u8>)> {
        let mut lx = Lexer::new(Rc::from(input));
        (0..n)
            .map(|_| {
                let t = lx.next_token();
                let p = lx.position();
                (t, p.line, p.col, p.text)
            })
            .collect()
    }
    // Cut at 80 characters; the column keeps counting.
    let long = format!("a{} b;", "x".repeat(85));
    let r = run(long.as_bytes(), 3);
    assert_eq!(r[1].2, 89);
    assert_eq!(r[2].2, 90);
    assert_eq!(r[2].3, long.as_bytes()[..80].to_vec());
    // A 0xFF is neither copied nor counted.
    let r = run(b"ab\xffcd ef;", 4);
    assert_eq!((r[1].2, r[1].3.as_slice()), (3, &b"abcd "[..]));
    assert_eq!((r[3].2, r[3].3.as_slice()), (9, &b"abcd ef;"[..]));
    // A NUL ends the text shown, not the column.
    let r = run(b"a\0b c;", 4);
    assert_eq!(r[1].0, Token::Punct(0));
    assert_eq!((r[3].2, r[3].3.as_slice()), (6, &b"a"[..]));
    // The newline that ends a token was read: the token shows the new,
    // still empty, line.
    let r = run(b"abc\ndef;", 2);
    assert_eq!((r[0].1, r[0].2, r[0].3.as_slice()), (1, 1, &b""[..]));
    assert_eq!((r[1].1, r[1].2, r[1].3.as_slice()), (2, 2, &b"def;"[..]));
    // Whitespace overflowing the buffer stops the scanner; the line
    // shown is what had been read when it did.
    let ws = format!("x{}y", " ".repeat(1500));
    let mut lx = Lexer::new(Rc::from(ws.as_bytes()));
    lx.next_token();
    assert_eq!(lx.next_token(), Token::Eof);
    let ev = lx.take_events();
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].1, LexEvent::FatalWhitespace);
    assert_eq!(ev[0].0.text, format!("x{}", " ".repeat(79)).into_bytes());
    assert_eq!(lx.position().col, 1);
    assert_eq!(lx.next_token(), Token::Eof);
}

#[test]
fn never_panics_on_garbage() {
    let mut seed = 0x2545f4914f6cdd1du64;
    for round in 0..300 {
        let len = (round * 7) % 400;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (seed >> 24) as u8
            })
            .collect();
        let mut lx = Lexer::new(bytes.clone().into());
        for _ in 0..2000 {
            let _ = lx.peek_token();
            if lx.next_token() == Token::Eof && lx.pos >= bytes.len() {
                break;
            }
            let _ = lx.position();
        }
    }
}
