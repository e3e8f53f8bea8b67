//! Operands of expressions (ISC `parse_non_binary`): constants, the
//! built-in functions, `( ... )`, `not`, variables and function calls.
//!
//! Messages and recovery follow ISC function by function: the same missing
//! token gets a different message, and a different skip, depending on
//! which function ISC's code jumps from, and `dhcpd -t` users see that.

use super::super::ast::{ClientStateName, DnsRcode, ExprContext, Expression, IntWidth};
use super::super::keywords::Keyword as K;
use super::super::lexer::Token;
use super::super::parser::{PResult, Parser};
use super::common::atoi;
use super::exec_blocks::isc_crash;

/// The only collection ISC's server knows: `check "default"`.
const DEFAULT_COLLECTION: &str = "default";

/// How one argument of a built-in function is parsed and, when it is
/// missing, which of ISC's messages is printed.
#[derive(Clone, Copy)]
enum Arg {
    /// A data expression; "expecting data expression." when missing.
    Data,
    /// A numeric expression; "expecting numeric expression." when missing.
    Num,
    /// A numeric expression for which ISC says "expecting data expression."
    /// (`binary-to-ascii`, `reverse`, `v6relay`).
    NumSaysData,
}

impl Parser<'_> {
    /// ISC `parse_non_binary`: one operand — a constant, a built-in
    /// function, a parenthesised expression, `not X`, a variable or a call.
    pub(crate) fn non_binary(&mut self, lose: &mut bool, ctx: ExprContext) -> PResult<Option<Expression>> {
        self.enter()?;
        let r = self.non_binary_inner(lose, ctx);
        self.leave();
        r
    }

    fn non_binary_inner(&mut self, lose: &mut bool, ctx: ExprContext) -> PResult<Option<Expression>> {
        // Each construct has its own method so that the frames on the
        // recursive path (parentheses, `not`, arguments) stay small.
        let token = self.peek_token()?;
        if let Some(e) = leaf(token) {
            self.skip_token()?;
            return Ok(Some(e));
        }
        match token {
            Token::Kw(K::Check) => self.check_collection(lose),
            Token::Kw(K::Not) => self.not_expression(lose),
            Token::Punct(b'(') => self.parenthesised(lose, ctx),
            Token::Kw(kw @ (K::Exists | K::Option | K::ConfigOption)) => self.option_reference(lose, kw),
            Token::Kw(
                kw @ (K::Substring
                | K::Suffix
                | K::Lcase
                | K::Ucase
                | K::BinaryToAscii
                | K::Reverse
                | K::Packet
                | K::V6relay),
            ) => self.builtin(lose, kw),
            Token::Kw(K::Concat) => self.concat(lose),
            Token::Kw(K::Pick) => self.pick_first_value(lose),
            Token::Kw(kw @ (K::ExtractInt | K::EncodeInt)) => self.int_conversion(lose, kw == K::EncodeInt),
            Token::String => {
                self.skip_token()?;
                Ok(Some(Expression::ConstData(self.val_bytes())))
            }
            Token::Number if matches!(ctx, ExprContext::Numeric | ExprContext::DataOrNumeric) => {
                self.skip_token()?;
                Ok(Some(Expression::ConstInt(atoi(self.lex.value_cstr()) as u64)))
            }
            // In any other context a number is the first byte of a
            // colon-separated hex string.
            Token::Number | Token::NumberOrName => Ok(self.parse_cshl()?.map(Expression::ConstData)),
            Token::Kw(K::Defined) => self.variable_exists(lose),
            Token::Kw(K::Gethostname) => self.gethostname(lose),
            Token::Kw(K::Gethostbyname) => self.gethostbyname(lose),
            Token::Name => self.variable_or_call(lose),
            _ => Ok(None),
        }
    }

    /// `check "COLLECTION"`.
    fn check_collection(&mut self, lose: &mut bool) -> PResult<Option<Expression>> {
        self.skip_token()?;
        if self.next_token()? != Token::String {
            self.parse_warn("string expected.");
            self.skip_to_semi()?;
            *lose = true;
            return Ok(None);
        }
        let name = self.val();
        if name != DEFAULT_COLLECTION {
            self.parse_warn("unknown collection.");
            *lose = true;
            return Ok(None);
        }
        Ok(Some(Expression::Check(name)))
    }

    /// `not OPERAND`: the operand alone, which must be boolean.
    fn not_expression(&mut self, lose: &mut bool) -> PResult<Option<Expression>> {
        self.skip_token()?;
        let Some(inner) = self.non_binary(lose, ExprContext::Boolean)? else {
            if !*lose {
                self.parse_warn("expression expected");
                self.skip_to_semi()?;
            }
            *lose = true;
            return Ok(None);
        };
        if !inner.is_boolean() {
            *lose = true;
            self.parse_warn("boolean expression expected");
            self.skip_to_semi()?;
            return Ok(None);
        }
        Ok(Some(Expression::Not(Box::new(inner))))
    }

    /// `( EXPR )`, parsed in the caller's context.
    fn parenthesised(&mut self, lose: &mut bool, ctx: ExprContext) -> PResult<Option<Expression>> {
        self.skip_token()?;
        let Some(e) = self.expression(lose, ctx, None)? else {
            if !*lose {
                self.parse_warn("expression expected");
                self.skip_to_semi()?;
            }
            *lose = true;
            return Ok(None);
        };
        if !self.next_token()?.is(b')') {
            *lose = true;
            self.parse_warn("right paren expected");
            self.skip_to_semi()?;
            return Ok(None);
        }
        Ok(Some(e))
    }

    /// `exists NAME`, `option NAME`, `config-option NAME`.
    fn option_reference(&mut self, lose: &mut bool, kw: K) -> PResult<Option<Expression>> {
        self.skip_token()?;
        let Some((option, _known)) = self.parse_option_name(false)? else {
            *lose = true;
            return Ok(None);
        };
        Ok(Some(match kw {
            K::Exists => Expression::Exists(option),
            K::Option => Expression::Option(option),
            _ => Expression::ConfigOption(option),
        }))
    }

    /// The built-in functions with a fixed argument list.
    fn builtin(&mut self, lose: &mut bool, kw: K) -> PResult<Option<Expression>> {
        use Expression as E;
        let b = Box::new;
        Ok(match kw {
            K::Substring => self
                .function(lose, [Arg::Data, Arg::Num, Arg::Num])?
                .map(|[data, offset, len]| E::Substring {
                    data: b(data),
                    offset: b(offset),
                    len: b(len),
                }),
            K::Suffix => self
                .function(lose, [Arg::Data, Arg::Num])?
                .map(|[data, len]| E::Suffix {
                    data: b(data),
                    len: b(len),
                }),
            K::Lcase => self.function(lose, [Arg::Data])?.map(|[d]| E::Lcase(b(d))),
            K::Ucase => self.function(lose, [Arg::Data])?.map(|[d]| E::Ucase(b(d))),
            K::BinaryToAscii => self
                .function(lose, [Arg::NumSaysData, Arg::NumSaysData, Arg::Data, Arg::Data])?
                .map(|[base, width, separator, buffer]| E::BinaryToAscii {
                    base: b(base),
                    width: b(width),
                    separator: b(separator),
                    buffer: b(buffer),
                }),
            K::Reverse => self
                .function(lose, [Arg::NumSaysData, Arg::Data])?
                .map(|[width, buffer]| E::Reverse {
                    width: b(width),
                    buffer: b(buffer),
                }),
            K::Packet => self
                .function(lose, [Arg::Num, Arg::Num])?
                .map(|[offset, len]| E::Packet {
                    offset: b(offset),
                    len: b(len),
                }),
            _ => self
                .function(lose, [Arg::NumSaysData, Arg::Data])?
                .map(|[relay, option]| E::V6Relay {
                    relay: b(relay),
                    option: b(option),
                }),
        })
    }

    /// `defined(NAME)`.
    fn variable_exists(&mut self, lose: &mut bool) -> PResult<Option<Expression>> {
        self.skip_token()?;
        if !self.next_token()?.is(b'(') {
            // ISC frees an expression it has not made yet.
            return Err(isc_crash("defined without a left parenthesis"));
        }
        let t = self.next_token()?;
        if t != Token::Name && t != Token::NumberOrName {
            let v = self.val();
            self.parse_warn(format!("{} can't be a variable name", v));
            self.skip_to_semi()?;
            *lose = true;
            return Ok(None);
        }
        let name = self.val();
        if !self.next_token()?.is(b')') {
            return self.no_rparen(lose);
        }
        Ok(Some(Expression::VariableExists(name)))
    }

    /// `gethostname()`.
    fn gethostname(&mut self, lose: &mut bool) -> PResult<Option<Expression>> {
        self.skip_token()?;
        if !self.next_token()?.is(b'(') {
            return self.no_lparen(lose);
        }
        if !self.next_token()?.is(b')') {
            return self.no_rparen(lose);
        }
        Ok(Some(Expression::Gethostname))
    }

    /// `gethostbyname("NAME")`.
    fn gethostbyname(&mut self, lose: &mut bool) -> PResult<Option<Expression>> {
        self.skip_token()?;
        if !self.next_token()?.is(b'(') {
            // ISC frees an expression it has not made yet.
            return Err(isc_crash("gethostbyname without a left parenthesis"));
        }
        if self.next_token()? != Token::String {
            self.parse_warn("Expecting quoted literal: \"foo.example.com\"");
            self.skip_to_semi()?;
            *lose = true;
            return Ok(None);
        }
        let name = self.val();
        if !self.next_token()?.is(b')') {
            return self.no_rparen(lose);
        }
        Ok(Some(Expression::HostLookup(name)))
    }

    /// `NAME` or `NAME(ARG, ...)`.
    fn variable_or_call(&mut self, lose: &mut bool) -> PResult<Option<Expression>> {
        self.skip_token()?;
        let name = self.val();
        if !self.peek_token()?.is(b'(') {
            return Ok(Some(Expression::Variable(name)));
        }
        self.skip_token()?;
        let mut args = Vec::new();
        let end = loop {
            let Some(arg) = self.expression(lose, ExprContext::Any, None)? else {
                if !*lose {
                    self.parse_warn("expecting expression.");
                    *lose = true;
                }
                self.skip_to_semi()?;
                return Ok(None);
            };
            args.push(arg);
            let t = self.next_token()?;
            if !t.is(b',') {
                break t;
            }
        };
        if !end.is(b')') {
            self.parse_warn("Right parenthesis expected.");
            self.skip_to_semi()?;
            *lose = true;
            return Ok(None);
        }
        Ok(Some(Expression::Funcall { name, args }))
    }

    /// A built-in function with a fixed argument list: the keyword, `(`,
    /// the arguments separated by `,`, and `)`.
    fn function<const N: usize>(&mut self, lose: &mut bool, args: [Arg; N]) -> PResult<Option<[Expression; N]>> {
        self.skip_token()?;
        if !self.next_token()?.is(b'(') {
            self.no_lparen(lose)?;
            return Ok(None);
        }
        let mut parsed = Vec::with_capacity(N);
        for (i, arg) in args.into_iter().enumerate() {
            if i > 0 && !self.next_token()?.is(b',') {
                self.no_comma(lose)?;
                return Ok(None);
            }
            match self.argument(lose, arg)? {
                Some(e) => parsed.push(e),
                None => return Ok(None),
            }
        }
        if !self.next_token()?.is(b')') {
            self.no_rparen(lose)?;
            return Ok(None);
        }
        // One expression per argument was pushed above.
        Ok(parsed.try_into().ok())
    }

    /// One argument of a built-in function; on failure reports ISC's
    /// message for the argument (unless one was reported already).
    fn argument(&mut self, lose: &mut bool, arg: Arg) -> PResult<Option<Expression>> {
        let (e, missing) = match arg {
            Arg::Data => (self.data_expression(lose)?, "expecting data expression."),
            Arg::Num => (self.numeric_expression(lose)?, "expecting numeric expression."),
            Arg::NumSaysData => (self.numeric_expression(lose)?, "expecting data expression."),
        };
        if e.is_none() && !*lose {
            self.parse_warn(missing);
            self.skip_to_semi()?;
            *lose = true;
        }
        Ok(e)
    }

    /// `concat(A, B, ...)`, nested to the left as ISC builds it.
    fn concat(&mut self, lose: &mut bool) -> PResult<Option<Expression>> {
        self.skip_token()?;
        if !self.next_token()?.is(b'(') {
            return self.no_lparen(lose);
        }
        let Some(mut acc) = self.argument(lose, Arg::Data)? else {
            return Ok(None);
        };
        if !self.next_token()?.is(b',') {
            return self.no_comma(lose);
        }
        loop {
            let Some(next) = self.argument(lose, Arg::Data)? else {
                return Ok(None);
            };
            acc = Expression::Concat(Box::new(acc), Box::new(next));
            let t = self.next_token()?;
            if t.is(b',') {
                continue;
            }
            if !t.is(b')') {
                return self.no_rparen(lose);
            }
            return Ok(Some(acc));
        }
    }

    /// `pick-first-value(A, ...)` (also spelled `pick`).
    fn pick_first_value(&mut self, lose: &mut bool) -> PResult<Option<Expression>> {
        self.skip_token()?;
        if !self.next_token()?.is(b'(') {
            return self.no_lparen(lose);
        }
        let mut values = Vec::new();
        loop {
            let Some(v) = self.argument(lose, Arg::Data)? else {
                return Ok(None);
            };
            values.push(v);
            let t = self.next_token()?;
            if !t.is(b',') {
                if !t.is(b')') {
                    return self.no_rparen(lose);
                }
                return Ok(Some(Expression::PickFirstValue(values)));
            }
        }
    }

    /// `extract-int(DATA, WIDTH)` and `encode-int(NUMBER, WIDTH)`.
    fn int_conversion(&mut self, lose: &mut bool, encode: bool) -> PResult<Option<Expression>> {
        self.skip_token()?;
        if !self.next_token()?.is(b'(') {
            return self.no_lparen(lose);
        }
        let operand = if encode {
            // ISC reports a missing number even after another message.
            let e = self.numeric_expression(lose)?;
            if e.is_none() {
                self.parse_warn("expecting numeric expression.");
                self.skip_to_semi()?;
                *lose = true;
            }
            e
        } else {
            self.argument(lose, Arg::Data)?
        };
        let Some(operand) = operand else {
            return Ok(None);
        };
        if !self.next_token()?.is(b',') {
            return self.no_comma(lose);
        }
        if self.next_token()? != Token::Number {
            self.parse_warn("number expected.");
            *lose = true;
            return Ok(None);
        }
        let bits = atoi(self.lex.value_cstr());
        let Some(width) = IntWidth::from_bits(bits) else {
            self.parse_warn(format!("unsupported integer size {}", bits));
            *lose = true;
            self.skip_to_semi()?;
            return Ok(None);
        };
        if !self.next_token()?.is(b')') {
            return self.no_rparen(lose);
        }
        let operand = Box::new(operand);
        Ok(Some(if encode {
            Expression::EncodeInt { width, value: operand }
        } else {
            Expression::ExtractInt { width, data: operand }
        }))
    }

    fn no_lparen(&mut self, lose: &mut bool) -> PResult<Option<Expression>> {
        self.parse_warn("left parenthesis expected.");
        *lose = true;
        Ok(None)
    }

    fn no_comma(&mut self, lose: &mut bool) -> PResult<Option<Expression>> {
        self.parse_warn("comma expected.");
        *lose = true;
        Ok(None)
    }

    fn no_rparen(&mut self, lose: &mut bool) -> PResult<Option<Expression>> {
        self.parse_warn("right parenthesis expected.");
        *lose = true;
        Ok(None)
    }
}

/// The operands that are a single keyword.
fn leaf(token: Token) -> Option<Expression> {
    use Expression as E;
    let Token::Kw(kw) = token else { return None };
    Some(match kw {
        K::Static => E::Static,
        K::Known => E::Known,
        K::Hardware => E::Hardware,
        K::LeasedAddress => E::LeasedAddress,
        K::ClientState => E::ClientState,
        K::Filename => E::Filename,
        K::ServerName => E::ServerName,
        K::LeaseTime => E::LeaseTime,
        K::Null => E::Null,
        K::HostDeclName => E::HostDeclName,
        _ => {
            return dns_rcode(kw)
                .map(E::DnsRcode)
                .or_else(|| client_state(kw).map(E::ClientStateName))
        }
    })
}

/// The DNS response-code keywords.
fn dns_rcode(kw: K) -> Option<DnsRcode> {
    Some(match kw {
        K::NsFormerr => DnsRcode::FormErr,
        K::NsNoerror => DnsRcode::NoError,
        K::NsNotauth => DnsRcode::NotAuth,
        K::NsNotimp => DnsRcode::NotImp,
        K::NsNotzone => DnsRcode::NotZone,
        K::NsNxdomain => DnsRcode::NxDomain,
        K::NsNxrrset => DnsRcode::NxRrset,
        K::NsRefused => DnsRcode::Refused,
        K::NsServfail => DnsRcode::ServFail,
        K::NsYxdomain => DnsRcode::YxDomain,
        K::NsYxrrset => DnsRcode::YxRrset,
        _ => return None,
    })
}

/// The client-state keywords.
fn client_state(kw: K) -> Option<ClientStateName> {
    Some(match kw {
        K::Booting => ClientStateName::Booting,
        K::Reboot => ClientStateName::Reboot,
        K::Select => ClientStateName::Select,
        K::Request => ClientStateName::Request,
        K::Bound => ClientStateName::Bound,
        K::Renew => ClientStateName::Renew,
        K::Rebind => ClientStateName::Rebind,
        _ => return None,
    })
}
