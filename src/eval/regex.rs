//! POSIX extended regular expressions, as ISC's `~=` and `~~` use them.
//!
//! ISC hands the pattern to the C library's `regcomp` with `REG_EXTENDED
//! | REG_NOSUB` (plus `REG_ICASE` for `~~`) and only asks whether
//! `regexec` finds a match anywhere. The `regex` crate is not a fit: its
//! syntax is Perl's (a backslash escapes inside brackets, `.` skips
//! newlines, `\d` is a digit class, no back-references), so the same
//! pattern could mean something else. This is a small engine for glibc's
//! reading of POSIX EREs in the C locale:
//!
//! * `|`, `( )` (an unmatched `)` is literal), `*` `+` `?` `{n}` `{n,}`
//!   `{n,m}` `{,m}`; a repetition with nothing before it is an error.
//! * `^` and `$` are anchors anywhere; `.` matches any byte, newline too.
//! * Brackets: `]` first is literal, `^` negates, ranges by byte value,
//!   `[:class:]`, `[=c=]`, `[.c.]`; a backslash is literal inside them.
//! * glibc's escapes: `\1`-`\9` back-references, `\w \W \s \S \b \B \< \>
//!   \` \'`; any other escaped character is itself.
//!
//! Only "is there a match" is computed, so leftmost-longest versus
//! leftmost-first does not matter. Matching is a backtracking search over a
//! compiled program, memoised on (instruction, position) when there are no
//! back-references, so it takes time proportional to pattern × text.
//! With back-references a step budget bounds it; exhausting the budget
//! counts as no match.

/// Why a pattern does not compile (`regcomp` fails; ISC then says false).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadPattern;

#[derive(Clone, Debug)]
enum Inst {
    Set(Box<[bool; 256]>),
    Split(usize, usize),
    Jmp(usize),
    Save(usize),
    Assert(Anchor),
    Backref(usize),
    /// Remembers where an unbounded repetition's iteration starts.
    Mark(usize),
    /// Fails an iteration that consumed nothing (it would loop forever).
    Progress(usize),
    Match,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Anchor {
    Bol,
    Eol,
    WordBoundary,
    NotWordBoundary,
    WordStart,
    WordEnd,
}

#[derive(Clone, Debug)]
enum Node {
    Set(Box<[bool; 256]>),
    Assert(Anchor),
    Backref(usize),
    Group(usize, Box<Node>),
    Concat(Vec<Node>),
    Alt(Vec<Node>),
    Repeat(Box<Node>, u32, Option<u32>),
    Empty,
}

/// glibc's `RE_DUP_MAX`.
const DUP_MAX: u32 = 0x7fff;
/// Largest program we build (glibc would run out of memory somewhere too).
const MAX_PROGRAM: usize = 20_000;
/// Steps allowed when back-references rule out memoisation.
const STEP_BUDGET: usize = 1_000_000;

/// A compiled pattern.
#[derive(Clone, Debug)]
pub struct Regex {
    prog: Vec<Inst>,
    icase: bool,
    backrefs: bool,
    /// Capture groups (slots `2n` and `2n + 1` hold group n's ends).
    groups: usize,
    /// Progress marks, in the slots after the captures.
    marks: usize,
}

impl Regex {
    fn mark_slot(&self, mark: usize) -> usize {
        2 * (self.groups + 1) + mark
    }
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn class_set(name: &[u8]) -> Option<[bool; 256]> {
    let f: fn(u8) -> bool = match name {
        b"alpha" => |b| b.is_ascii_alphabetic(),
        b"digit" => |b| b.is_ascii_digit(),
        b"alnum" => |b| b.is_ascii_alphanumeric(),
        b"upper" => |b| b.is_ascii_uppercase(),
        b"lower" => |b| b.is_ascii_lowercase(),
        b"space" => |b| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'),
        b"blank" => |b| b == b' ' || b == b'\t',
        b"punct" => |b| b.is_ascii_punctuation(),
        b"print" => |b| (0x20..0x7f).contains(&b),
        b"graph" => |b| b.is_ascii_graphic(),
        b"cntrl" => |b| b < 0x20 || b == 0x7f,
        b"xdigit" => |b| b.is_ascii_hexdigit(),
        _ => return None,
    };
    let mut s = [false; 256];
    for (i, slot) in s.iter_mut().enumerate() {
        *slot = f(i as u8);
    }
    Some(s)
}

struct Parser<'p> {
    p: &'p [u8],
    i: usize,
    icase: bool,
    groups: usize,
    closed: Vec<usize>,
    backrefs: bool,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.p.get(self.i).copied()
    }

    fn single(&self, b: u8) -> Node {
        let mut s = [false; 256];
        s[usize::from(b)] = true;
        Node::Set(Box::new(self.fold(s)))
    }

    /// With REG_ICASE a set matches both cases of its letters.
    fn fold(&self, mut s: [bool; 256]) -> [bool; 256] {
        if self.icase {
            for b in 0..=255u8 {
                if s[usize::from(b)] {
                    s[usize::from(b.to_ascii_lowercase())] = true;
                    s[usize::from(b.to_ascii_uppercase())] = true;
                }
            }
        }
        s
    }

    fn alternation(&mut self, depth: usize) -> Result<Node, BadPattern> {
        let mut alts = vec![self.branch(depth)?];
        while self.peek() == Some(b'|') {
            self.i += 1;
            alts.push(self.branch(depth)?);
        }
        Ok(if alts.len() == 1 {
            alts.pop().unwrap_or(Node::Empty)
        } else {
            Node::Alt(alts)
        })
    }

    fn branch(&mut self, depth: usize) -> Result<Node, BadPattern> {
        let mut items = Vec::new();
        loop {
            match self.peek() {
                None | Some(b'|') => break,
                Some(b')') if depth > 0 => break,
                _ => {}
            }
            let atom = self.atom(depth)?;
            let is_anchor = matches!(atom, Node::Assert(_));
            let atom = if is_anchor { atom } else { self.repeats(atom)? };
            items.push(atom);
        }
        Ok(match items.len() {
            0 => Node::Empty,
            1 => items.pop().unwrap_or(Node::Empty),
            _ => Node::Concat(items),
        })
    }

    fn repeats(&mut self, mut atom: Node) -> Result<Node, BadPattern> {
        loop {
            let (min, max) = match self.peek() {
                Some(b'*') => (0, None),
                Some(b'+') => (1, None),
                Some(b'?') => (0, Some(1)),
                Some(b'{') => {
                    self.i += 1;
                    let (min, max) = self.interval()?;
                    atom = Node::Repeat(Box::new(atom), min, max);
                    continue;
                }
                _ => return Ok(atom),
            };
            self.i += 1;
            atom = Node::Repeat(Box::new(atom), min, max);
        }
    }

    fn number(&mut self) -> Option<u32> {
        let start = self.i;
        let mut n: u32 = 0;
        while let Some(d) = self.peek().filter(u8::is_ascii_digit) {
            n = n.saturating_mul(10).saturating_add(u32::from(d - b'0'));
            self.i += 1;
        }
        (self.i > start).then_some(n)
    }

    fn interval(&mut self) -> Result<(u32, Option<u32>), BadPattern> {
        let min = self.number();
        let (min, max) = if self.peek() == Some(b',') {
            self.i += 1;
            (min.unwrap_or(0), self.number())
        } else {
            let m = min.ok_or(BadPattern)?;
            (m, Some(m))
        };
        if self.peek() != Some(b'}') {
            return Err(BadPattern);
        }
        self.i += 1;
        if min > DUP_MAX || max.is_some_and(|m| m > DUP_MAX || m < min) {
            return Err(BadPattern);
        }
        Ok((min, max))
    }

    fn atom(&mut self, depth: usize) -> Result<Node, BadPattern> {
        let c = self.peek().ok_or(BadPattern)?;
        self.i += 1;
        Ok(match c {
            b'*' | b'+' | b'?' | b'{' => return Err(BadPattern),
            b'^' => Node::Assert(Anchor::Bol),
            b'$' => Node::Assert(Anchor::Eol),
            b'.' => Node::Set(Box::new([true; 256])),
            b'(' => {
                self.groups += 1;
                let n = self.groups;
                let inner = self.alternation(depth + 1)?;
                if self.peek() != Some(b')') {
                    return Err(BadPattern);
                }
                self.i += 1;
                self.closed.push(n);
                Node::Group(n, Box::new(inner))
            }
            b'[' => self.bracket()?,
            b'\\' => {
                let e = self.peek().ok_or(BadPattern)?;
                self.i += 1;
                match e {
                    b'1'..=b'9' => {
                        let n = usize::from(e - b'0');
                        if !self.closed.contains(&n) {
                            return Err(BadPattern);
                        }
                        self.backrefs = true;
                        Node::Backref(n)
                    }
                    b'w' | b'W' => {
                        let mut s = [false; 256];
                        for (i, slot) in s.iter_mut().enumerate() {
                            *slot = is_word(i as u8) == (e == b'w');
                        }
                        Node::Set(Box::new(s))
                    }
                    b's' | b'S' => {
                        let sp = class_set(b"space").ok_or(BadPattern)?;
                        let s = if e == b's' { sp } else { sp.map(|b| !b) };
                        Node::Set(Box::new(s))
                    }
                    b'b' => Node::Assert(Anchor::WordBoundary),
                    b'B' => Node::Assert(Anchor::NotWordBoundary),
                    b'<' => Node::Assert(Anchor::WordStart),
                    b'>' => Node::Assert(Anchor::WordEnd),
                    // No REG_NEWLINE: the buffer's ends are the line's.
                    b'`' => Node::Assert(Anchor::Bol),
                    b'\'' => Node::Assert(Anchor::Eol),
                    other => self.single(other),
                }
            }
            other => self.single(other),
        })
    }

    /// One bracket element's character: a plain byte or `[.c.]`.
    fn bracket_char(&mut self) -> Result<u8, BadPattern> {
        if self.p.get(self.i..self.i + 2) == Some(b"[.") {
            let c = *self.p.get(self.i + 2).ok_or(BadPattern)?;
            if self.p.get(self.i + 3..self.i + 5) != Some(b".]") {
                return Err(BadPattern);
            }
            self.i += 5;
            return Ok(c);
        }
        let c = self.peek().ok_or(BadPattern)?;
        self.i += 1;
        Ok(c)
    }

    fn bracket(&mut self) -> Result<Node, BadPattern> {
        let mut set = [false; 256];
        let negate = self.peek() == Some(b'^');
        if negate {
            self.i += 1;
        }
        let mut first = true;
        loop {
            let c = self.peek().ok_or(BadPattern)?;
            if c == b']' && !first {
                self.i += 1;
                break;
            }
            first = false;
            if self.p.get(self.i..self.i + 2) == Some(b"[:")
                || self.p.get(self.i..self.i + 2) == Some(b"[=")
            {
                let kind = self.p[self.i + 1];
                let close = [kind, b']'];
                let start = self.i + 2;
                let end = self.p[start..]
                    .windows(2)
                    .position(|w| w == close)
                    .ok_or(BadPattern)?
                    + start;
                let name = &self.p[start..end];
                self.i = end + 2;
                if kind == b':' {
                    let cls = class_set(name).ok_or(BadPattern)?;
                    for (slot, hit) in set.iter_mut().zip(cls) {
                        *slot |= hit;
                    }
                } else {
                    // An equivalence class is its one character in the C locale.
                    let [ch] = name else { return Err(BadPattern) };
                    set[usize::from(*ch)] = true;
                }
                continue;
            }
            let lo = self.bracket_char()?;
            if self.peek() == Some(b'-') && self.p.get(self.i + 1).is_some_and(|&n| n != b']') {
                self.i += 1;
                let hi = self.bracket_char()?;
                if hi < lo {
                    return Err(BadPattern);
                }
                for b in lo..=hi {
                    set[usize::from(b)] = true;
                }
            } else {
                set[usize::from(lo)] = true;
            }
        }
        let mut set = self.fold(set);
        if negate {
            set = set.map(|b| !b);
        }
        Ok(Node::Set(Box::new(set)))
    }
}

/// Compiles a node; `marks` counts the progress slots handed out.
fn emit(node: &Node, prog: &mut Vec<Inst>, marks: &mut usize) -> Result<(), BadPattern> {
    if prog.len() > MAX_PROGRAM {
        return Err(BadPattern);
    }
    match node {
        Node::Empty => {}
        Node::Set(s) => prog.push(Inst::Set(s.clone())),
        Node::Assert(a) => prog.push(Inst::Assert(*a)),
        Node::Backref(n) => prog.push(Inst::Backref(*n)),
        Node::Group(n, inner) => {
            prog.push(Inst::Save(2 * n));
            emit(inner, prog, marks)?;
            prog.push(Inst::Save(2 * n + 1));
        }
        Node::Concat(items) => {
            for i in items {
                emit(i, prog, marks)?;
            }
        }
        Node::Alt(alts) => {
            let mut jumps = Vec::new();
            for (k, a) in alts.iter().enumerate() {
                if k + 1 < alts.len() {
                    let split = prog.len();
                    prog.push(Inst::Split(split + 1, 0));
                    emit(a, prog, marks)?;
                    jumps.push(prog.len());
                    prog.push(Inst::Jmp(0));
                    let next = prog.len();
                    prog[split] = Inst::Split(split + 1, next);
                } else {
                    emit(a, prog, marks)?;
                }
            }
            let end = prog.len();
            for j in jumps {
                prog[j] = Inst::Jmp(end);
            }
        }
        Node::Repeat(inner, min, max) => {
            for _ in 0..*min {
                emit(inner, prog, marks)?;
            }
            match max {
                None => {
                    let split = prog.len();
                    let mark = *marks;
                    *marks += 1;
                    prog.push(Inst::Split(split + 1, 0));
                    prog.push(Inst::Mark(mark));
                    emit(inner, prog, marks)?;
                    prog.push(Inst::Progress(mark));
                    prog.push(Inst::Jmp(split));
                    let end = prog.len();
                    prog[split] = Inst::Split(split + 1, end);
                }
                Some(max) => {
                    let mut splits = Vec::new();
                    for _ in *min..*max {
                        splits.push(prog.len());
                        prog.push(Inst::Split(0, 0));
                        emit(inner, prog, marks)?;
                    }
                    let end = prog.len();
                    for s in splits {
                        prog[s] = Inst::Split(s + 1, end);
                    }
                }
            }
        }
    }
    Ok(())
}

impl Regex {
    /// Compiles a pattern as `regcomp(REG_EXTENDED | REG_NOSUB [| REG_ICASE])`.
    pub fn new(pattern: &[u8], icase: bool) -> Result<Regex, BadPattern> {
        let mut p = Parser {
            p: pattern,
            i: 0,
            icase,
            groups: 0,
            closed: Vec::new(),
            backrefs: false,
        };
        let mut node = p.alternation(0)?;
        // An unmatched `)` is an ordinary character; carry on after it.
        while p.i < pattern.len() {
            p.i += 1;
            let rest = p.alternation(0)?;
            node = Node::Concat(vec![node, p.single(b')'), rest]);
        }
        let mut prog = Vec::new();
        let mut marks = 0;
        emit(&node, &mut prog, &mut marks)?;
        prog.push(Inst::Match);
        Ok(Regex {
            prog,
            icase,
            backrefs: p.backrefs,
            groups: p.groups,
            marks,
        })
    }

    /// Whether the pattern matches somewhere in `text` (`regexec` == 0).
    pub fn is_match(&self, text: &[u8]) -> bool {
        let mut m = Matcher {
            re: self,
            text,
            seen: if self.backrefs {
                Vec::new()
            } else {
                vec![0; (self.prog.len() * (text.len() + 1)).div_ceil(64)]
            },
            steps: 0,
        };
        (0..=text.len()).any(|start| m.run(start))
    }
}

/// A backtracking point: try `pc` at `at`, or put a slot back.
enum Backtrack {
    Try(usize, usize),
    Restore(usize, Option<usize>),
}

struct Matcher<'r> {
    re: &'r Regex,
    text: &'r [u8],
    /// One bit per (instruction, position) already explored.
    seen: Vec<u64>,
    steps: usize,
}

impl Matcher<'_> {
    fn word_at(&self, i: usize) -> bool {
        self.text.get(i).is_some_and(|&b| is_word(b))
    }

    fn holds(&self, a: Anchor, at: usize) -> bool {
        let before = at > 0 && self.word_at(at - 1);
        let after = self.word_at(at);
        match a {
            Anchor::Bol => at == 0,
            Anchor::Eol => at == self.text.len(),
            Anchor::WordBoundary => before != after,
            Anchor::NotWordBoundary => before == after,
            Anchor::WordStart => !before && after,
            Anchor::WordEnd => before && !after,
        }
    }

    /// Whether the program matches starting at `start`. Iterative, so a
    /// long text cannot exhaust the stack.
    fn run(&mut self, start: usize) -> bool {
        let mut slots: Vec<Option<usize>> = vec![None; self.re.mark_slot(self.re.marks)];
        let mut stack = vec![Backtrack::Try(0, start)];
        while let Some(b) = stack.pop() {
            let (mut pc, mut at) = match b {
                Backtrack::Try(pc, at) => (pc, at),
                Backtrack::Restore(slot, old) => {
                    slots[slot] = old;
                    continue;
                }
            };
            loop {
                if self.re.backrefs {
                    self.steps += 1;
                    if self.steps > STEP_BUDGET {
                        return false;
                    }
                } else {
                    let key = pc * (self.text.len() + 1) + at;
                    let (word, bit) = (key / 64, 1u64 << (key % 64));
                    if self.seen[word] & bit != 0 {
                        break;
                    }
                    self.seen[word] |= bit;
                }
                match &self.re.prog[pc] {
                    Inst::Match => return true,
                    Inst::Set(s) => match self.text.get(at) {
                        Some(&c) if s[usize::from(c)] => {
                            pc += 1;
                            at += 1;
                        }
                        _ => break,
                    },
                    Inst::Jmp(t) => pc = *t,
                    Inst::Split(a, b) => {
                        stack.push(Backtrack::Try(*b, at));
                        pc = *a;
                    }
                    inst @ (Inst::Save(n) | Inst::Mark(n)) => {
                        let slot = if matches!(inst, Inst::Save(_)) {
                            *n
                        } else {
                            self.re.mark_slot(*n)
                        };
                        stack.push(Backtrack::Restore(slot, slots[slot]));
                        slots[slot] = Some(at);
                        pc += 1;
                    }
                    Inst::Progress(mark) => {
                        if slots[self.re.mark_slot(*mark)] == Some(at) {
                            break;
                        }
                        pc += 1;
                    }
                    Inst::Assert(a) => {
                        if !self.holds(*a, at) {
                            break;
                        }
                        pc += 1;
                    }
                    Inst::Backref(n) => {
                        let (Some(s), Some(e)) = (slots[2 * n], slots[2 * n + 1]) else {
                            break;
                        };
                        let Some(sub) = self.text.get(s..e) else {
                            break;
                        };
                        let Some(here) = self.text.get(at..at + sub.len()) else {
                            break;
                        };
                        let same = if self.re.icase {
                            here.eq_ignore_ascii_case(sub)
                        } else {
                            here == sub
                        };
                        if !same {
                            break;
                        }
                        at += sub.len();
                        pc += 1;
                    }
                }
            }
        }
        false
    }
}

#[cfg(test)]
#[path = "regex_tests.rs"]
mod tests;
