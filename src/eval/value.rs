//! Values and variable scopes, as ISC's `binding_value` and `binding_scope`.
//!
//! A variable holds a boolean, a byte string, an unsigned number or a
//! function (ISC `binding_boolean`, `binding_data`, `binding_numeric`,
//! `binding_function`; the retired `binding_dns` is never made). ISC's
//! log lines name these types by their numbers ("binding type 2 in
//! evaluate_data_expression."), so [`Value::isc_type`] keeps them.
//!
//! Scopes chain outward. A lookup walks from the innermost scope out and
//! compares names without regard to ASCII case (ISC `find_binding` uses
//! `strcasecmp`). `set` changes the binding wherever the lookup finds it and
//! only creates a new one, in the innermost scope, when none exists; `unset`
//! keeps the binding but drops its value, so `defined(NAME)` is false
//! afterwards. A function call pushes a scope holding its arguments whose
//! outer scope is the caller's: ISC's functions see their caller's
//! variables (dynamic scoping).

use crate::conf::ast::Statement;

/// A function defined with `define NAME (PARAMS) { BODY }`, borrowed from
/// the configuration that defines it (ISC shares the definition too).
#[derive(Clone, Copy, Debug)]
pub struct Function<'c> {
    /// Parameter names.
    pub params: &'c [String],
    /// The body.
    pub body: &'c [Statement],
}

impl Function<'_> {
    /// The same definition (ISC compares `fundef` pointers).
    pub fn same(&self, other: &Function<'_>) -> bool {
        std::ptr::eq(self.params, other.params) && std::ptr::eq(self.body, other.body)
    }
}

/// The value of a variable or of an expression of run-time type.
#[derive(Clone, Debug)]
pub enum Value<'c> {
    /// `true` / `false`.
    Boolean(bool),
    /// A byte string.
    Data(Vec<u8>),
    /// An unsigned number (ISC's `unsigned long`, 64 bits on Linux).
    Numeric(u64),
    /// A function. `None` is what `define NAME = EXPR;` binds: ISC marks the
    /// variable as a function without a usable definition, so using it as
    /// anything else logs a type error and calling it does nothing.
    Function(Option<Function<'c>>),
}

impl<'c> Value<'c> {
    /// ISC's number for the value's type (`enum binding_value.type`).
    pub fn isc_type(&self) -> u32 {
        match self {
            Value::Boolean(_) => 0,
            Value::Data(_) => 1,
            Value::Numeric(_) => 2,
            Value::Function(_) => 4,
        }
    }

    /// ISC's equality of two values of the same type (`expr_equal`):
    /// functions are equal when they are the same definition.
    pub fn same_as(&self, other: &Value<'_>) -> Option<bool> {
        match (self, other) {
            (Value::Boolean(a), Value::Boolean(b)) => Some(a == b),
            (Value::Data(a), Value::Data(b)) => Some(a == b),
            (Value::Numeric(a), Value::Numeric(b)) => Some(a == b),
            (Value::Function(a), Value::Function(b)) => Some(match (a, b) {
                (Some(a), Some(b)) => a.same(b),
                (None, None) => true,
                _ => false,
            }),
            _ => None,
        }
    }
}

impl From<&crate::lease::BindingValue> for Value<'_> {
    fn from(v: &crate::lease::BindingValue) -> Self {
        match v {
            crate::lease::BindingValue::Data(d) => Value::Data(d.clone()),
            // The lease file holds what ISC printed with `%ld`; the bits are
            // the same unsigned long.
            crate::lease::BindingValue::Numeric(n) => Value::Numeric(*n as u64),
            crate::lease::BindingValue::Boolean(b) => Value::Boolean(*b),
        }
    }
}

impl Value<'_> {
    /// The value as the lease file stores it; functions are not stored.
    pub fn to_lease_binding(&self) -> Option<crate::lease::BindingValue> {
        match self {
            Value::Data(d) => Some(crate::lease::BindingValue::Data(d.clone())),
            Value::Numeric(n) => Some(crate::lease::BindingValue::Numeric(*n as i64)),
            Value::Boolean(b) => Some(crate::lease::BindingValue::Boolean(*b)),
            Value::Function(_) => None,
        }
    }
}

/// One scope's variables, newest first as ISC keeps them.
#[derive(Clone, Debug, Default)]
pub struct Bindings<'c> {
    entries: Vec<(String, Option<Value<'c>>)>,
}

impl<'c> Bindings<'c> {
    /// An empty scope.
    pub fn new() -> Bindings<'c> {
        Bindings::default()
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.entries
            .iter()
            .position(|(n, _)| n.eq_ignore_ascii_case(name))
    }

    /// The binding named `name` in this scope only: `Some(None)` when it
    /// exists without a value (after `unset`).
    pub fn get(&self, name: &str) -> Option<Option<&Value<'c>>> {
        self.position(name).map(|i| self.entries[i].1.as_ref())
    }

    /// Binds `name` in this scope, replacing an existing binding's value.
    pub fn insert(&mut self, name: &str, value: Option<Value<'c>>) {
        match self.position(name) {
            Some(i) => self.entries[i].1 = value,
            // ISC pushes new bindings at the head of the list.
            None => self.entries.insert(0, (name.to_string(), value)),
        }
    }

    /// Every binding, newest first, with its value if it has one.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Option<&Value<'c>>)> {
        self.entries.iter().map(|(n, v)| (n.as_str(), v.as_ref()))
    }

    /// True when the scope has no bindings at all.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The chain of scopes an evaluation sees: the caller's scope (ISC's
/// `*scope`: global, lease or class scope) and one scope per function call
/// in progress, innermost last.
#[derive(Debug)]
pub struct Scopes<'s, 'c> {
    /// The caller's scope; `None` stands for ISC's null scope pointer, in
    /// which `set` cannot bind ("set NAME: no scope").
    base: Option<&'s mut Bindings<'c>>,
    frames: Vec<Bindings<'c>>,
}

impl<'s, 'c> Scopes<'s, 'c> {
    /// Scopes over the caller's bindings.
    pub fn new(base: &'s mut Bindings<'c>) -> Scopes<'s, 'c> {
        Scopes {
            base: Some(base),
            frames: Vec::new(),
        }
    }

    /// No scope at all (ISC passes a null scope pointer).
    pub fn none() -> Scopes<'s, 'c> {
        Scopes {
            base: None,
            frames: Vec::new(),
        }
    }

    /// True when there is a scope to bind in.
    pub fn has_scope(&self) -> bool {
        self.base.is_some() || !self.frames.is_empty()
    }

    /// ISC `find_binding`: the innermost binding of that name.
    pub fn find(&self, name: &str) -> Option<Option<&Value<'c>>> {
        for f in self.frames.iter().rev() {
            if let Some(b) = f.get(name) {
                return Some(b);
            }
        }
        self.base.as_ref().and_then(|b| b.get(name))
    }

    /// The value bound to `name`, if it has one.
    pub fn value(&self, name: &str) -> Option<&Value<'c>> {
        self.find(name).flatten()
    }

    /// `set`: changes the binding where [`Scopes::find`] finds it, else
    /// binds in the innermost scope. Returns false when there is no scope.
    pub fn set(&mut self, name: &str, value: Option<Value<'c>>) -> bool {
        for f in self.frames.iter_mut().rev() {
            if f.get(name).is_some() {
                f.insert(name, value);
                return true;
            }
        }
        if let Some(b) = self.base.as_deref_mut() {
            if b.get(name).is_some() || self.frames.is_empty() {
                b.insert(name, value);
                return true;
            }
        }
        match self.frames.last_mut() {
            Some(f) => {
                f.insert(name, value);
                true
            }
            None => false,
        }
    }

    /// `unset`: drops the value of the innermost binding of that name;
    /// false when there is none.
    pub fn unset(&mut self, name: &str) -> bool {
        if self.find(name).is_none() {
            return false;
        }
        self.set(name, None)
    }

    /// Enters a function call with its arguments bound.
    pub(crate) fn push(&mut self, frame: Bindings<'c>) {
        self.frames.push(frame);
    }

    /// Leaves a function call.
    pub(crate) fn pop(&mut self) {
        self.frames.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_changes_the_binding_where_it_is_found() {
        let mut global = Bindings::new();
        global.insert("Host", Some(Value::Numeric(1)));
        let mut s = Scopes::new(&mut global);
        let mut args = Bindings::new();
        args.insert("a", Some(Value::Boolean(true)));
        s.push(args);
        // Names compare without case; the outer binding is changed.
        assert!(s.set("HOST", Some(Value::Numeric(2))));
        // A new name goes to the innermost scope.
        assert!(s.set("fresh", Some(Value::Data(b"x".to_vec()))));
        s.pop();
        assert!(s.value("fresh").is_none());
        assert!(matches!(s.value("host"), Some(Value::Numeric(2))));
    }

    #[test]
    fn unset_keeps_the_binding_without_value() {
        let mut global = Bindings::new();
        let mut s = Scopes::new(&mut global);
        assert!(!s.unset("v"));
        s.set("v", Some(Value::Numeric(3)));
        assert!(s.unset("v"));
        assert_eq!(s.find("v").map(|v| v.is_some()), Some(false));
        assert!(global.get("v").is_some());
    }

    #[test]
    fn no_scope_cannot_bind() {
        let mut s = Scopes::none();
        assert!(!s.has_scope());
        assert!(!s.set("v", Some(Value::Numeric(1))));
    }

    #[test]
    fn isc_type_numbers() {
        assert_eq!(Value::Boolean(true).isc_type(), 0);
        assert_eq!(Value::Data(vec![]).isc_type(), 1);
        assert_eq!(Value::Numeric(0).isc_type(), 2);
        assert_eq!(Value::Function(None).isc_type(), 4);
        let (p1, b1) = (vec!["a".to_string()], vec![Statement::Break]);
        let (p2, b2) = (vec!["a".to_string()], vec![Statement::Break]);
        let f = Function {
            params: &p1,
            body: &b1,
        };
        let a = Value::Function(Some(f));
        assert_eq!(a.same_as(&Value::Function(Some(f))), Some(true));
        let g = Function {
            params: &p2,
            body: &b2,
        };
        assert_eq!(a.same_as(&Value::Function(Some(g))), Some(false));
        assert_eq!(a.same_as(&Value::Numeric(1)), None);
    }
}
