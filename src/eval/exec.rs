//! Running executable statements: ISC's `execute_statements` and
//! `execute_statements_in_scope`.
//!
//! Statements run in order until the list ends, a `break` ends it (only
//! the innermost list: a `break` inside an `if` inside a `switch` does
//! not leave the switch), a function's `return` produced a value, or a
//! `log(fatal, ...)` ran (ISC exits; [`Evaluator::fatal`] holds the line).
//! Option statements store option caches in the output state; `on`
//! registers lease-event statements; `add` and `execute` are recorded as
//! [`Effect`]s for the server to act on. Nothing here does IO.
//!
//! Two ISC details decide what configurations do:
//!
//! * `set NAME = EXPR` drops the variable's old value *before* evaluating
//!   EXPR, so `set x = concat(x, "a")` leaves `x` without a value.
//! * `define NAME = EXPR` (not a function definition) binds a function
//!   with no usable body; using the variable logs a type error.

use super::context::{LogLine, Priority};
use super::expr::{Effect, Evaluator, Opts};
use super::state::{OptionCache, OptionState};
use super::value::{Function, Value};
use crate::conf::ast::{Binding, Expression, LogPriority, Statement};
use crate::conf::model::{Config, GroupId};

impl<'e, 'c> Evaluator<'e, 'c> {
    /// ISC `execute_statements` with no function result: runs `stmts`
    /// reading `input` (the request's options) and storing option
    /// settings in `out`. Returns false when a `switch` or nested list
    /// failed or a fatal log line stopped everything.
    pub fn execute(
        &mut self,
        input: Option<&OptionState<'c>>,
        out: &mut OptionState<'c>,
        stmts: &'c [Statement],
    ) -> bool {
        self.exec_list(input, out, None, stmts)
    }

    /// ISC `execute_statements_in_scope`: the statements of `group` and
    /// of every enclosing scope, outermost first, stopping before
    /// `limit` and the scopes enclosing it (they were run already).
    pub fn execute_in_scope(
        &mut self,
        input: Option<&OptionState<'c>>,
        out: &mut OptionState<'c>,
        config: &'c Config,
        group: GroupId,
        limit: Option<GroupId>,
    ) {
        let mut chain = Vec::new();
        let mut g = Some(group);
        while let Some(id) = g {
            if limit.is_some_and(|l| encloses_or_is(config, id, l)) {
                break;
            }
            chain.push(id);
            g = config.groups.get(id).and_then(|x| x.parent);
        }
        for id in chain.into_iter().rev() {
            if self.fatal.is_some() {
                return;
            }
            self.execute(input, out, &config.groups[id].statements);
        }
    }

    /// A function body. ISC stores a body's option settings in the
    /// caller's output state; an expression only holds that state to read
    /// it, so the body works on a copy and its settings stay inside the call.
    pub(crate) fn run_in(
        &mut self,
        o: Opts<'_, 'c>,
        result: Option<&mut Option<Value<'c>>>,
        body: &'c [Statement],
    ) -> bool {
        let mut scratch = match o.config {
            Some(c) => c.clone(),
            None => OptionState::new(),
        };
        self.exec_list(o.input, &mut scratch, result, body)
    }

    fn exec_list(
        &mut self,
        input: Option<&OptionState<'c>>,
        out: &mut OptionState<'c>,
        mut result: Option<&mut Option<Value<'c>>>,
        stmts: &'c [Statement],
    ) -> bool {
        for st in stmts {
            if self.fatal.is_some() {
                return false;
            }
            if result.as_ref().is_some_and(|r| r.is_some()) {
                break;
            }
            let o = Opts {
                input,
                config: None,
            };
            match st {
                Statement::If(ifs) => {
                    let cond = self
                        .boolean(
                            Opts {
                                config: Some(out),
                                ..o
                            },
                            &ifs.condition,
                        )
                        .unwrap_or(false);
                    let branch = if cond { &ifs.then } else { &ifs.otherwise };
                    if !self.exec_list(input, out, result.as_deref_mut(), branch) {
                        return false;
                    }
                }
                Statement::Switch(sw) => {
                    let opts = Opts { config: Some(out), ..o };
                    if let Some(at) = self.matching_case(opts, &sw.value, &sw.body) {
                        if !self.exec_list(input, out, result.as_deref_mut(), &sw.body[at..]) {
                            return false;
                        }
                    }
                }
                Statement::Case(_) | Statement::SwitchDefault => {}
                Statement::Break => return true,
                Statement::Add(class) => {
                    // ISC adds the class to the request; with no request it
                    // has nowhere to add it.
                    if self.ctx.packet.is_some() {
                        self.effects.push(Effect::AddClass(class.clone()));
                    }
                }
                Statement::Option(os) => {
                    if let Some(line) = out.set(os.op, OptionCache::from_statement(os)) {
                        self.log.push(line);
                    }
                }
                Statement::On(on) => {
                    if let Some(star) = self.on_star.as_mut() {
                        let body = if on.body.is_empty() {
                            None
                        } else {
                            Some(on.body.as_slice())
                        };
                        if on.events.expiry {
                            star.expiry = body;
                        }
                        if on.events.release {
                            star.release = body;
                        }
                        if on.events.commit {
                            star.commit = body;
                        }
                    }
                }
                Statement::Set {
                    binding,
                    name,
                    value,
                } => {
                    if !self.scopes.has_scope() {
                        self.error(format!("set {}: no scope", name));
                        continue;
                    }
                    self.scopes.set(name, None);
                    let v = match (binding, value) {
                        (Binding::Define, Expression::Function { params, body }) => {
                            Some(Value::Function(Some(Function { params, body })))
                        }
                        (Binding::Define, _) => Some(Value::Function(None)),
                        (Binding::Set, e) => self.evaluate(
                            Opts {
                                config: Some(out),
                                ..o
                            },
                            e,
                        ),
                    };
                    self.scopes.set(name, v);
                }
                Statement::Unset(name) => {
                    self.scopes.unset(name);
                }
                Statement::Eval(e) => {
                    self.evaluate(
                        Opts {
                            config: Some(out),
                            ..o
                        },
                        e,
                    );
                }
                Statement::Return(e) => {
                    let v = self.evaluate(
                        Opts {
                            config: Some(out),
                            ..o
                        },
                        e,
                    );
                    if let Some(slot) = result.as_deref_mut() {
                        *slot = v;
                    }
                }
                Statement::Execute { command, args } => self.execute_command(
                    Opts {
                        config: Some(out),
                        ..o
                    },
                    command,
                    args,
                ),
                Statement::Log { priority, message } => {
                    let Some(text) = self.data(
                        Opts {
                            config: Some(out),
                            ..o
                        },
                        message,
                    ) else {
                        continue;
                    };
                    // `%.*s` stops at a NUL.
                    let text = text.split(|&b| b == 0).next().unwrap_or(&[]).to_vec();
                    let p = match priority {
                        LogPriority::Fatal => {
                            self.log.push(LogLine {
                                priority: Priority::Fatal,
                                text: text.clone(),
                            });
                            self.fatal = Some(text);
                            return false;
                        }
                        LogPriority::Error => Priority::Error,
                        LogPriority::Debug => Priority::Debug,
                        LogPriority::Info => Priority::Info,
                    };
                    self.log.push(LogLine { priority: p, text });
                }
                // Decoding the vendor option into its space needs the
                // request's raw option 43 and the option universe; the
                // server does it before running statements.
                Statement::ParseVendorOption => {}
            }
        }
        true
    }

    /// ISC `find_matching_case`: where in `body` to start running.
    fn matching_case(
        &mut self,
        o: Opts<'_, 'c>,
        value: &'c Expression,
        body: &'c [Statement],
    ) -> Option<usize> {
        if value.is_data() {
            if let Some(v) = self.data(o, value) {
                for (i, st) in body.iter().enumerate() {
                    if let Statement::Case(c) = st {
                        if self.data(o, c).is_some_and(|c| c == v) {
                            return Some(i + 1);
                        }
                    }
                }
            }
        } else if let Some(v) = self.numeric(o, value) {
            for (i, st) in body.iter().enumerate() {
                if let Statement::Case(c) = st {
                    if self.numeric(o, c) == Some(v) {
                        return Some(i + 1);
                    }
                }
            }
        }
        body.iter()
            .position(|s| matches!(s, Statement::SwitchDefault))
            .map(|i| i + 1)
    }

    /// `execute("PROGRAM", ARGS...)`: ISC's debug lines, then the command
    /// as an effect unless an argument failed.
    fn execute_command(&mut self, o: Opts<'_, 'c>, command: &str, args: &'c [Expression]) {
        self.debug(format!("execute_statement argv[0] = {}", command));
        let mut argv = vec![command.as_bytes().to_vec()];
        for (i, a) in args.iter().enumerate() {
            let Some(d) = self.data(o, a) else {
                self.debug(format!("execute: bad arg {}", i + 1));
                return;
            };
            // The argument is a C string from here on.
            let d = d.split(|&b| b == 0).next().unwrap_or(&[]).to_vec();
            let mut line = format!("execute_statement argv[{}] = ", i + 1).into_bytes();
            line.extend_from_slice(&d);
            self.log.push(LogLine {
                priority: Priority::Debug,
                text: line,
            });
            argv.push(d);
        }
        self.effects.push(Effect::Execute(argv));
    }
}

/// Whether `candidate` is `group` or one of the scopes enclosing it: ISC
/// stops at the limiting scope and everything around it.
fn encloses_or_is(config: &Config, candidate: GroupId, group: GroupId) -> bool {
    let mut g = Some(group);
    while let Some(id) = g {
        if id == candidate {
            return true;
        }
        g = config.groups.get(id).and_then(|x| x.parent);
    }
    false
}
