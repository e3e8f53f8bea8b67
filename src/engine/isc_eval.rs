//! [`ScopeEvaluator`] on the crate's full evaluator ([`crate::eval`]).
//!
//! Each option state pairs the reply's option state (ISC `cfg_options`)
//! with the request's options as ISC's `packet->options` holds them:
//! DHCP options by code, and the relay agent information split into the
//! `agent` space so that `option agent.circuit-id` works. The request's
//! state is built once per packet, on first use.
//!
//! Reply options follow ISC's `store_options`: an option whose format
//! starts with `E` (no value configured) or `e` (a value plus a space) gets
//! the encapsulation of the named space appended, so
//! `vendor-option-space` + `option space.x` lines produce option 43.
//!
//! Not kept between packets: variables bound with `set` outside a lease
//! event (ISC's lease scope), and the `add`/`execute` effects, which need
//! the shell.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::sync::OnceLock;

use crate::conf::ast::{Expression, OptionRef, Statement};
use crate::eval::{Bindings, Context, Effect, Evaluator, Host, LeaseView, NoHost, OnStar, OptionCache, OptionState, Opts, PacketView, Priority, Scopes};
use crate::options::table::SPACES;
use crate::options::SpaceId;

use super::eval::{format_has_text, EvalContext, LeaseEvents, ScopeEvaluator};
use super::outcome::LogLine;
use super::request::agent_suboption;

/// ISC `SV_VENDOR_OPTION_SPACE`.
const SV_VENDOR_OPTION_SPACE: u32 = 19;

/// An option state of the full evaluator, with the request's options.
#[derive(Debug, Default)]
pub struct IscState<'c> {
    /// The reply's options (ISC `cfg_options`).
    pub out: OptionState<'c>,
    input: OnceCell<OptionState<'static>>,
    /// `on` statements registered while running scopes with a lease.
    on_star: OnStar<'c>,
}

/// The full evaluator behind the engine's interface.
#[derive(Debug, Default)]
pub struct IscEvaluator<H: Host = NoHost> {
    /// Name look-ups and the host name.
    pub host: H,
    logs: Vec<LogLine>,
    commands: Vec<Vec<Vec<u8>>>,
}

impl IscEvaluator<NoHost> {
    /// An evaluator that resolves no names.
    pub fn new() -> Self {
        IscEvaluator { host: NoHost, logs: Vec::new(), commands: Vec::new() }
    }
}

/// The built-in options of one space as [`OptionRef`]s, with a direct index for
/// the one-byte codes that nearly every look-up asks for.
struct SpaceRefs {
    /// Sorted by code, the first definition of a code first.
    refs: Vec<OptionRef>,
    /// For codes 0..=255: 1 + the position in `refs`, 0 when not defined.
    small: [u16; 256],
}

/// The built-in options, per space, made once: every option of every request and
/// of every reply refers to one, and copying its three strings each time was a
/// good part of a request's cost.
fn builtin_refs() -> &'static [SpaceRefs] {
    static REFS: OnceLock<Vec<SpaceRefs>> = OnceLock::new();
    REFS.get_or_init(|| {
        SPACES
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mut refs: Vec<OptionRef> = s
                    .options
                    .iter()
                    .map(|o| OptionRef {
                        space: s.name.to_string(),
                        space_id: SpaceId::builtin(i),
                        code: o.code,
                        name: o.name.to_string(),
                        format: o.format.to_string(),
                        id: None,
                    })
                    .collect();
                refs.sort_by_key(|o| o.code);
                let mut small = [0u16; 256];
                for (at, o) in refs.iter().enumerate().rev() {
                    if let Some(slot) = small.get_mut(o.code as usize) {
                        *slot = at as u16 + 1;
                    }
                }
                SpaceRefs { refs, small }
            })
            .collect()
    })
}

/// The built-in definition of an option.
fn builtin(space: SpaceId, code: u32) -> Option<&'static OptionRef> {
    let s = builtin_refs().get(space.index())?;
    if let Some(&at) = s.small.get(code as usize) {
        return at.checked_sub(1).map(|at| &s.refs[usize::from(at)]);
    }
    s.refs.get(s.refs.partition_point(|o| o.code < code)).filter(|o| o.code == code)
}

/// The built-in format of an option; `X` for one the tables do not know.
fn builtin_format(space: SpaceId, code: u32) -> &'static str {
    builtin(space, code).map_or("X", |o| o.format.as_str())
}

/// The option as the built-in tables define it, or ISC's `unknown-N`.
fn option_ref(space: SpaceId, code: u32) -> Cow<'static, OptionRef> {
    match builtin(space, code) {
        Some(o) => Cow::Borrowed(o),
        None => {
            let space_name = SPACES.get(space.index()).map_or("dhcp", |s| s.name);
            Cow::Owned(OptionRef {
                space: space_name.to_string(),
                space_id: space,
                code,
                name: format!("unknown-{code}"),
                format: "X".to_string(),
                id: None,
            })
        }
    }
}

/// A received option's cache.
fn received(space: SpaceId, code: u32, bytes: &[u8]) -> OptionCache<'static> {
    OptionCache { option: option_ref(space, code), value: crate::eval::CacheValue::Data(Cow::Owned(bytes.to_vec())) }
}

/// ISC's `packet->options` for a request.
fn input_state(cx: &EvalContext<'_>) -> OptionState<'static> {
    let mut st = OptionState::new();
    let Some(p) = cx.packet else { return st };
    for o in p.options {
        st.save(received(SpaceId::DHCP, u32::from(o.code), &o.data));
        if o.code == 82 {
            let mut at = 0;
            while let Some(&code) = o.data.get(at) {
                let Some(v) = agent_suboption(&o.data[at..], code) else { break };
                st.save(received(SpaceId::AGENT, u32::from(code), v));
                at += 2 + v.len();
            }
        }
    }
    st
}

fn context<'a>(cx: &'a EvalContext<'a>) -> Context<'a> {
    Context {
        packet: cx.packet.map(|p| PacketView { raw: p.raw, known: p.known }),
        lease: cx.lease.map(|l| LeaseView {
            address: l.address,
            ends: l.ends,
            is_static: l.is_static,
            host_name: l.host_name.as_deref(),
            hardware: &l.hardware,
        }),
        client_state: None,
        now: cx.now,
    }
}

impl<H: Host> IscEvaluator<H> {
    /// An evaluator with a name-resolving host.
    pub fn with_host(host: H) -> Self {
        IscEvaluator { host, logs: Vec::new(), commands: Vec::new() }
    }

    /// Runs `f` with an evaluator over `cx`, keeping its log lines.
    fn with<'c, T>(&mut self, cx: &EvalContext<'_>, f: impl FnOnce(&mut Evaluator<'_, 'c>) -> T) -> T {
        let mut bindings = Bindings::new();
        let ctx = context(cx);
        let mut ev = Evaluator::new(ctx, &mut self.host, Scopes::new(&mut bindings));
        let r = f(&mut ev);
        for e in std::mem::take(&mut ev.effects) {
            if let Effect::Execute(argv) = e {
                self.commands.push(argv);
            }
        }
        for l in ev.take_log() {
            let text = String::from_utf8_lossy(&l.text).into_owned();
            self.logs.push(match l.priority {
                Priority::Fatal | Priority::Error => LogLine::error(text),
                Priority::Info => LogLine::info(text),
                Priority::Debug => LogLine::debug(text),
            });
        }
        r
    }
}

impl<H: Host> ScopeEvaluator for IscEvaluator<H> {
    type State<'c> = IscState<'c>;

    fn new_state<'c>(&mut self) -> Self::State<'c> {
        IscState::default()
    }

    fn execute<'c>(&mut self, cx: &EvalContext<'_>, state: &mut Self::State<'c>, statements: &'c [Statement]) {
        let IscState { out, input, on_star } = state;
        let input = input.get_or_init(|| input_state(cx));
        // ISC registers `on` statements in the lease's `on_star` when the
        // statements run for a lease, and drops them otherwise.
        let has_lease = cx.lease.is_some();
        *on_star = self.with(cx, |ev| {
            if has_lease {
                ev.on_star = Some(*on_star);
            }
            ev.execute(Some(input), out, statements);
            ev.on_star.unwrap_or(*on_star)
        });
    }

    fn option(&mut self, cx: &EvalContext<'_>, state: &Self::State<'_>, space: SpaceId, code: u32) -> Option<Vec<u8>> {
        let cache = state.out.lookup(space, code)?;
        let input = state.input.get_or_init(|| input_state(cx));
        self.with(cx, |ev| ev.option_cache(Opts { input: Some(input), config: Some(&state.out) }, cache))
    }

    fn has_option(&self, state: &Self::State<'_>, space: SpaceId, code: u32) -> bool {
        state.out.lookup(space, code).is_some()
    }

    fn set_option(&mut self, state: &mut Self::State<'_>, space: SpaceId, code: u32, value: Vec<u8>) {
        let option = match state.out.lookup(space, code) {
            Some(c) => c.option.clone(),
            None => option_ref(space, code),
        };
        state.out.save(OptionCache { option, value: crate::eval::CacheValue::Data(Cow::Owned(value)) });
    }

    fn delete_option(&mut self, state: &mut Self::State<'_>, space: SpaceId, code: u32) {
        state.out.delete(space, code);
    }

    fn option_codes(&self, state: &Self::State<'_>, space: SpaceId) -> Vec<u32> {
        state.out.space(space).iter().map(|c| c.option.code).collect()
    }

    fn reply_option(&mut self, cx: &EvalContext<'_>, state: &Self::State<'_>, code: u8) -> Option<Vec<u8>> {
        let code = u32::from(code);
        let cache = state.out.lookup(SpaceId::DHCP, code);
        let format: &str = cache.map_or_else(|| builtin_format(SpaceId::DHCP, code), |c| c.option.format.as_str());
        let input = state.input.get_or_init(|| input_state(cx));
        let o = Opts { input: Some(input), config: Some(&state.out) };
        let encapsulates = (cache.is_none() && format.starts_with('E')) || (cache.is_some() && format.starts_with('e'));
        let mut encapsulation = None;
        if encapsulates {
            let start = format.find('E').map_or(format.len(), |i| i + 1);
            let name = format[start..].split('.').next().unwrap_or("").to_string();
            let space = if name.is_empty() {
                // `E.`: the space `vendor-option-space` names.
                state
                    .out
                    .lookup(SpaceId::SERVER, SV_VENDOR_OPTION_SPACE)
                    .and_then(|c| self.with(cx, |ev| ev.option_cache(o, c)))
                    .map(|v| String::from_utf8_lossy(&v).into_owned())
            } else {
                Some(name)
            };
            // ISC's space encapsulators give nothing for a space the state
            // holds no option of (nwip would otherwise say "no data").
            if let Some(space) = space.filter(|s| !s.is_empty() && state.out.space_id(s).is_some()) {
                encapsulation = self.with(cx, |ev| ev.encapsulate_space(o, &state.out, &space));
            }
        }
        let value = match cache {
            Some(c) => {
                let v = self.with(cx, |ev| ev.option_cache(o, c))?;
                if v.is_empty() {
                    return None;
                }
                v
            }
            None => Vec::new(),
        };
        match (value, encapsulation) {
            (v, None) if v.is_empty() => None,
            (v, None) => Some(v),
            (mut v, Some(e)) => {
                v.extend(e);
                Some(v)
            }
        }
    }

    fn has_text(&self, state: &Self::State<'_>, code: u8) -> bool {
        match state.out.lookup(SpaceId::DHCP, u32::from(code)) {
            Some(c) => format_has_text(&c.option.format),
            None => super::eval::builtin_dhcp_option_has_text(code),
        }
    }

    fn boolean<'c>(&mut self, cx: &EvalContext<'_>, state: Option<&Self::State<'c>>, expr: &'c Expression) -> Option<bool> {
        let own;
        let input: &OptionState<'c> = match state {
            Some(s) => s.input.get_or_init(|| input_state(cx)),
            None => {
                own = input_state(cx);
                &own
            }
        };
        let config = state.map(|s| &s.out);
        self.with(cx, |ev| ev.boolean(Opts { input: Some(input), config }, expr))
    }

    fn data<'c>(&mut self, cx: &EvalContext<'_>, state: Option<&Self::State<'c>>, expr: &'c Expression) -> Option<Vec<u8>> {
        let own;
        let input: &OptionState<'c> = match state {
            Some(s) => s.input.get_or_init(|| input_state(cx)),
            None => {
                own = input_state(cx);
                &own
            }
        };
        let config = state.map(|s| &s.out);
        self.with(cx, |ev| ev.data(Opts { input: Some(input), config }, expr))
    }

    fn lease_events<'c>(&self, state: &Self::State<'c>) -> LeaseEvents<'c> {
        LeaseEvents { commit: state.on_star.commit, expiry: state.on_star.expiry, release: state.on_star.release }
    }

    fn run_event(&mut self, cx: &EvalContext<'_>, statements: &[Statement]) {
        let input = input_state(cx);
        let mut out = OptionState::new();
        self.with(cx, |ev| ev.execute(Some(&input), &mut out, statements));
    }

    fn take_logs(&mut self) -> Vec<LogLine> {
        std::mem::take(&mut self.logs)
    }

    fn take_commands(&mut self) -> Vec<Vec<Vec<u8>>> {
        std::mem::take(&mut self.commands)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The index finds what a scan of the table finds: the first definition of each
    /// code, in every space, for one-byte codes and beyond.
    #[test]
    fn builtin_is_the_tables_first_definition() {
        for (i, space) in SPACES.iter().enumerate() {
            for code in (0..300).chain([1000, 65535, 70000]) {
                let want = space.options.iter().find(|o| o.code == code);
                let got = builtin(SpaceId::builtin(i), code);
                assert_eq!(got.map(|o| o.name.as_str()), want.map(|o| o.name), "{} {code}", space.name);
                assert_eq!(got.map(|o| o.format.as_str()), want.map(|o| o.format), "{} {code}", space.name);
            }
        }
        assert_eq!(builtin_format(SpaceId::DHCP, 53), "B");
        assert_eq!(option_ref(SpaceId::DHCP, 250).name, "unknown-250");
    }
}
