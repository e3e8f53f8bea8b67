//! The parser's shared machinery: token access, ISC's error reporting and
//! recovery, include files, and the state a parse builds up.
//!
//! The grammar itself lives in `parse/`, one file per family of statements,
//! each adding methods to [`Parser`]. They follow ISC's own recursive descent
//! closely on purpose: `dhcpd -t` reports an error at the token where ISC's
//! parser noticed it and then *recovers* (skipping to the next `;` or `}`) and
//! reports further errors, so matching its output means noticing problems at
//! the same moments and recovering the same way. Parse functions therefore
//! mirror ISC's return conventions (a bad statement is reported, skipped and
//! parsing goes on), while conditions ISC treats as fatal travel up as
//! [`Fatal`] through `?`.
//!
//! No IO happens here except through [`SourceLoader`], so tests parse from
//! memory and the fuzz target can run it on arbitrary bytes.

use std::rc::Rc;

use super::diag::{Diagnostic, Severity};
use super::lexer::{LexEvent, Lexer, Token};
use super::model::Config;

/// A condition ISC handles with `log_fatal`: the message, after which the
/// parse stops and `dhcpd` exits with status 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fatal(pub String);

/// Result of a parse step: `Err` only for fatal conditions.
pub type PResult<T> = Result<T, Fatal>;

/// Reads the files the configuration names (the main file and includes).
pub trait SourceLoader {
    /// Returns the bytes of `path` (as written in the config, resolved
    /// against the working directory like ISC does), or the OS error text.
    fn load(&self, path: &str) -> Result<Rc<[u8]>, std::io::Error>;
}

/// Loads from the real filesystem.
pub struct FsLoader;

impl SourceLoader for FsLoader {
    fn load(&self, path: &str) -> Result<Rc<[u8]>, std::io::Error> {
        read_shared(path)
    }
}

/// Reads a whole file straight into a shared buffer of its size, rather
/// than into a vector then copied into an `Rc`: configurations with
/// 100,000 hosts are megabytes, and the copy cost both time and peak
/// memory. Files whose size is unknown or changes while read (pipes,
/// `/proc`) go the ordinary way.
fn read_shared(path: &str) -> Result<Rc<[u8]>, std::io::Error> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let size = file.metadata().ok().and_then(|m| usize::try_from(m.len()).ok()).unwrap_or(0);
    if size > 0 {
        let mut buf: Rc<[u8]> = std::iter::repeat(0u8).take(size).collect();
        if let Some(dst) = Rc::get_mut(&mut buf) {
            match file.read_exact(dst) {
                Ok(()) => {
                    if file.read(&mut [0u8; 1])? == 0 {
                        return Ok(buf);
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {}
                Err(e) => return Err(e),
            }
        }
    }
    std::fs::read(path).map(Rc::from)
}

/// Loads from a fixed set of in-memory files (tests, fuzzing).
pub struct MemLoader(pub Vec<(String, Vec<u8>)>);

impl SourceLoader for MemLoader {
    fn load(&self, path: &str) -> Result<Rc<[u8]>, std::io::Error> {
        self.0
            .iter()
            .find(|(name, _)| name == path)
            .map(|(_, bytes)| Rc::from(bytes.as_slice()))
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
    }
}

/// How deeply includes may nest. ISC has no limit and crashes on a loop;
/// we stop with a fatal error instead.
pub const MAX_INCLUDE_DEPTH: usize = 64;

/// How deeply blocks and expressions may nest before we give up rather than
/// exhaust the stack on hostile input. ISC has no limit.
pub const MAX_NESTING: usize = 200;

/// The parser: the lexer of the file being read, the messages so far, and
/// the configuration being built.
pub struct Parser<'l> {
    /// Lexer of the current file.
    pub(crate) lex: Lexer,
    /// The current file's name as ISC prints it in messages.
    pub(crate) file_name: Rc<str>,
    /// Whether the current file had a parse error (ISC `warnings_occurred`).
    pub(crate) file_had_errors: bool,
    pub(crate) loader: &'l dyn SourceLoader,
    pub(crate) include_depth: usize,
    /// Current nesting depth of blocks/expressions (guards the stack).
    pub(crate) nesting: usize,
    /// Every message so far, in order.
    pub diagnostics: Vec<Diagnostic>,
    /// The configuration being built.
    pub config: Config,
    /// ISC warns once per run that host declarations are global.
    pub(crate) warned_global_host: bool,
    /// Option spaces and definitions: ISC's built-in ones plus those the
    /// configuration has added so far.
    pub(crate) options: crate::options::OptionCatalog,
    /// Lookup tables the declarations keep while parsing (ISC's hashes).
    pub(crate) decl: super::parse::DeclState,
    /// How many diagnostics ISC prints before its `Config file:` /
    /// `Database file:` / `PID file:` lines (set by the post-parse checks
    /// when they get that far).
    pub paths_logged_at: Option<usize>,
    /// A buffer reused for short byte strings (IPv4 addresses) rather than
    /// allocating one each time.
    pub(crate) scratch: Vec<u8>,
}

impl<'l> Parser<'l> {
    /// Creates a parser over the given main file contents.
    pub fn new(file_name: &str, input: Rc<[u8]>, loader: &'l dyn SourceLoader) -> Self {
        Parser {
            lex: Lexer::new(input),
            file_name: Rc::from(file_name),
            file_had_errors: false,
            loader,
            include_depth: 0,
            nesting: 0,
            diagnostics: Vec::new(),
            config: Config::default(),
            warned_global_host: false,
            options: crate::options::OptionCatalog::isc(),
            decl: Default::default(),
            paths_logged_at: None,
            scratch: Vec::new(),
        }
    }

    // ----- tokens -------------------------------------------------------

    /// Consumes the next token (ISC `next_token`).
    pub(crate) fn next_token(&mut self) -> PResult<Token> {
        let t = self.lex.next_token();
        self.drain_lexer_events()?;
        Ok(t)
    }

    /// Looks at the next token (ISC `peek_token`).
    pub(crate) fn peek_token(&mut self) -> PResult<Token> {
        let t = self.lex.peek_token();
        self.drain_lexer_events()?;
        Ok(t)
    }

    /// Consumes the next token, whitespace included (ISC `next_raw_token`).
    pub(crate) fn next_raw_token(&mut self) -> PResult<Token> {
        let t = self.lex.next_raw_token();
        self.drain_lexer_events()?;
        Ok(t)
    }

    /// Looks at the next token, whitespace included (ISC `peek_raw_token`).
    pub(crate) fn peek_raw_token(&mut self) -> PResult<Token> {
        let t = self.lex.peek_raw_token();
        self.drain_lexer_events()?;
        Ok(t)
    }

    /// Consumes a token already examined with `peek_token` (ISC `skip_token`).
    pub(crate) fn skip_token(&mut self) -> PResult<()> {
        self.next_token().map(|_| ())
    }

    /// The text of the last token read or peeked.
    pub(crate) fn val(&self) -> String {
        self.lex.value_str()
    }

    /// The raw bytes of the last token read or peeked.
    pub(crate) fn val_bytes(&self) -> Vec<u8> {
        self.lex.value().to_vec()
    }

    #[inline]
    fn drain_lexer_events(&mut self) -> PResult<()> {
        if !self.lex.has_events() {
            return Ok(());
        }
        self.report_lexer_events()
    }

    #[cold]
    fn report_lexer_events(&mut self) -> PResult<()> {
        for (pos, ev) in self.lex.take_events() {
            match ev {
                LexEvent::Warn(msg) => {
                    self.file_had_errors = true;
                    self.diagnostics.push(Diagnostic {
                        severity: Severity::Error,
                        at: Some((self.file_name.to_string(), pos)),
                        message: msg,
                    });
                }
                LexEvent::FatalWhitespace => {
                    self.file_had_errors = true;
                    self.diagnostics.push(Diagnostic {
                        severity: Severity::Error,
                        at: Some((self.file_name.to_string(), pos)),
                        message: "whitespace too long, buffer overflow.".into(),
                    });
                    return Err(Fatal("Exiting".into()));
                }
            }
        }
        Ok(())
    }

    // ----- messages -----------------------------------------------------

    /// Reports a parse error at the current token (ISC `parse_warn`); the
    /// file is then bad and `-t` fails, but parsing continues.
    pub(crate) fn parse_warn(&mut self, message: impl Into<String>) {
        self.file_had_errors = true;
        self.diagnostics.push(Diagnostic {
            severity: Severity::Error,
            at: Some((self.file_name.to_string(), self.lex.position())),
            message: message.into(),
        });
    }

    /// Logs an error line without a position (ISC `log_error`).
    pub(crate) fn log_error(&mut self, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic {
            severity: Severity::Error,
            at: None,
            message: message.into(),
        });
    }

    /// Logs an informational line (ISC `log_info`).
    pub(crate) fn log_info(&mut self, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic {
            severity: Severity::Info,
            at: None,
            message: message.into(),
        });
    }

    // ----- recovery -----------------------------------------------------

    /// Skips to just past the next `;` at this level, or past the `}` that
    /// closes a block opened while skipping (ISC `skip_to_semi`).
    pub(crate) fn skip_to_semi(&mut self) -> PResult<()> {
        self.skip_to_rbrace(0)
    }

    /// Skips past `braces` closing braces; a `;` ends the skip when no brace
    /// is open. Like ISC, a `}` met with no brace open is consumed too.
    pub(crate) fn skip_to_rbrace(&mut self, mut braces: u32) -> PResult<()> {
        loop {
            let t = self.peek_token()?;
            if t.is(b'}') {
                braces = braces.saturating_sub(1);
                if braces == 0 {
                    self.skip_token()?;
                    return Ok(());
                }
            } else if t.is(b'{') {
                braces += 1;
            } else if (t.is(b';') && braces == 0) || t.is(b'\n') {
                self.skip_token()?;
                return Ok(());
            }
            if self.next_token()? == Token::Eof {
                return Ok(());
            }
        }
    }

    /// Expects a `;` (ISC `parse_semi`): reports and skips if missing.
    pub(crate) fn parse_semi(&mut self) -> PResult<bool> {
        if !self.next_token()?.is(b';') {
            self.parse_warn("semicolon expected.");
            self.skip_to_semi()?;
            return Ok(false);
        }
        Ok(true)
    }

    /// Enters one level of nesting; fatal past [`MAX_NESTING`] so hostile
    /// input cannot overflow the stack. Pair with [`Parser::leave`].
    pub(crate) fn enter(&mut self) -> PResult<()> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            self.parse_warn("nesting too deep.");
            return Err(Fatal("Configuration file errors encountered -- exiting".into()));
        }
        Ok(())
    }

    /// Leaves one level of nesting.
    pub(crate) fn leave(&mut self) {
        self.nesting = self.nesting.saturating_sub(1);
    }

    // ----- files --------------------------------------------------------

    /// Parses an included file with its own lexer, then resumes the current
    /// one (ISC `read_conf_file`). Returns whether it parsed without errors.
    pub(crate) fn with_included_file<F>(&mut self, path: &str, body: F) -> PResult<bool>
    where
        F: FnOnce(&mut Self) -> PResult<()>,
    {
        let bytes = match self.loader.load(path) {
            Ok(b) => b,
            Err(e) => return Err(Fatal(format!("Can't open {}: {}", path, os_error_text(&e)))),
        };
        if self.include_depth >= MAX_INCLUDE_DEPTH {
            return Err(Fatal(format!(
                "{}: includes nested more than {} deep (include loop?)",
                path, MAX_INCLUDE_DEPTH
            )));
        }
        let saved_lex = std::mem::replace(&mut self.lex, Lexer::new(bytes));
        let saved_name = std::mem::replace(&mut self.file_name, Rc::from(path));
        let saved_errors = std::mem::replace(&mut self.file_had_errors, false);
        self.include_depth += 1;
        let result = body(self);
        self.include_depth -= 1;
        let had_errors = self.file_had_errors;
        self.lex = saved_lex;
        self.file_name = saved_name;
        self.file_had_errors = saved_errors;
        result.map(|()| !had_errors)
    }
}

/// The text `strerror` gives for an IO error, as ISC's `%m` prints it.
pub fn os_error_text(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(code) => {
            // SAFETY: strerror returns a pointer to a static or thread-local
            // NUL-terminated string; we copy it out immediately.
            let ptr = unsafe { libc::strerror(code) };
            if ptr.is_null() {
                return e.to_string();
            }
            unsafe { std::ffi::CStr::from_ptr(ptr) }.to_string_lossy().into_owned()
        }
        None => match e.kind() {
            std::io::ErrorKind::NotFound => "No such file or directory".into(),
            std::io::ErrorKind::PermissionDenied => "Permission denied".into(),
            _ => e.to_string(),
        },
    }
}
