//! Tests of the POSIX ERE engine: syntax as glibc reads it, matching,
//! and bounds on what hostile patterns can cost.

use super::*;

fn m(p: &str, t: &str) -> bool {
    Regex::new(p.as_bytes(), false)
        .unwrap()
        .is_match(t.as_bytes())
}

#[test]
fn basics() {
    assert!(m("", "anything"));
    assert!(m("^a$", "a"));
    assert!(!m("^a$", "ab"));
    assert!(m("b", "abc"));
    assert!(m("a|x", "zx"));
    assert!(m("^(ab)+$", "ababab"));
    assert!(!m("^(ab)+$", "abab a"));
    assert!(m("^a{2,3}$", "aaa"));
    assert!(!m("^a{2,3}$", "aaaa"));
    assert!(m("^a{,2}$", ""));
    assert!(m("^colou?r$", "color"));
    assert!(m("a.c", "a\nc"), "dot matches newline without REG_NEWLINE");
}

#[test]
fn brackets_are_posix() {
    assert!(m("a[.]c", "a.c"));
    assert!(!m("a[.]c", "abc"));
    assert!(m("[]x]", "]"));
    assert!(m("[a\\]", "\\"), "backslash is literal in brackets");
    assert!(m("^[[:digit:]]+$", "0123"));
    assert!(!m("^[^[:alpha:]]$", "q"));
    assert!(m("[a-]", "-"));
    assert!(m("[[.-.]]", "-"));
    assert!(m("[[=e=]]", "e"));
    assert!(Regex::new(b"[z-a]", false).is_err());
    assert!(Regex::new(b"[[:nope:]]", false).is_err());
    assert!(Regex::new(b"[abc", false).is_err());
}

#[test]
fn glibc_escapes_and_errors() {
    assert!(m("\\d", "d"), "\\d is a plain d, not a digit class");
    assert!(!m("\\d", "1"));
    assert!(m("\\bfoo\\b", "a foo b"));
    assert!(!m("\\bfoo\\b", "afoob"));
    assert!(m("\\<foo\\>", "foo"));
    assert!(m("^\\w+\\s\\W$", "ab_1 !"));
    assert!(m("^(a)\\1$", "aa"));
    assert!(!m("^(a|b)\\1$", "ab"));
    assert!(m("a)", "a)"), "unmatched ) is literal");
    for bad in [
        "*a", "a(", "a{", "a{2,1}", "(*)", "\\1(a)", "a\\", "^*", "x|+",
    ] {
        assert!(Regex::new(bad.as_bytes(), false).is_err(), "{}", bad);
    }
}

#[test]
fn case_folding() {
    let re = Regex::new(b"^ab[c-d]$", true).unwrap();
    assert!(re.is_match(b"ABD"));
    assert!(Regex::new(b"^[[:upper:]]+$", true)
        .unwrap()
        .is_match(b"abc"));
    assert!(Regex::new(b"^(a)\\1$", true).unwrap().is_match(b"aA"));
    assert!(!Regex::new(b"^a$", false).unwrap().is_match(b"A"));
}

#[test]
fn no_pattern_panics() {
    // Every pattern of up to three bytes from the syntax characters.
    let alphabet = b"a()[]{}*+?|^$.\\-:=,1b";
    let texts: [&[u8]; 3] = [b"", b"a-b", b"(ab]"];
    let mut patterns = vec![Vec::new()];
    for _ in 0..3 {
        let next: Vec<Vec<u8>> = patterns
            .iter()
            .flat_map(|p| alphabet.iter().map(move |&c| [p.as_slice(), &[c]].concat()))
            .collect();
        for p in &next {
            for icase in [false, true] {
                if let Ok(re) = Regex::new(p, icase) {
                    for t in texts {
                        re.is_match(t);
                    }
                }
            }
        }
        patterns = next;
    }
}

#[test]
fn pathological_patterns_stay_bounded() {
    let text = "a".repeat(200);
    assert!(!m("^(a*)*b$", &text));
    assert!(!m("^(a|aa)*c$", &text));
    assert!(!m("^(a*)*\\1b$", &"a".repeat(30)));
}
