//! Typed outputs and the inputs that builders store.
//!
//! An [`Output<T>`] is a value that one resource produces during apply (a VPC id,
//! an ALB DNS name). Passing it into another resource's builder records a
//! dependency edge. Outputs are lazy: they hold the set of resources they read and
//! a function that computes the value once those resources are known.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use crate::stack::ResourceId;
use crate::value::Value;

/// Answers "what is attribute `attr` of resource `id`", or `None` while unknown.
pub trait Resolver {
    fn attribute(&self, id: ResourceId, attr: &str) -> Option<Value>;
}

type EvalFn = dyn Fn(&dyn Resolver) -> Option<Value> + Send + Sync;

/// An output with its type erased: what builders store.
#[derive(Clone)]
pub struct ErasedOutput {
    deps: BTreeSet<ResourceId>,
    /// The resource attribute this output reads directly, when it is a plain
    /// reference (used by validation to look at the source resource).
    source: Option<(ResourceId, String)>,
    secret: bool,
    eval: Arc<EvalFn>,
}

impl ErasedOutput {
    pub fn deps(&self) -> &BTreeSet<ResourceId> {
        &self.deps
    }

    /// For a direct attribute reference: the resource and attribute read.
    pub fn source(&self) -> Option<(ResourceId, &str)> {
        self.source.as_ref().map(|(id, a)| (*id, a.as_str()))
    }

    /// The output is marked secret (its value is masked everywhere).
    pub fn is_secret(&self) -> bool {
        self.secret
    }

    /// Evaluate; `Value::Unknown` if a dependency is not yet known.
    pub fn resolve(&self, r: &dyn Resolver) -> Value {
        match (self.eval)(r) {
            Some(v) if self.secret && !v.is_secret() => Value::Secret(Box::new(v)),
            Some(v) => v,
            None => Value::Unknown,
        }
    }
}

impl fmt::Debug for ErasedOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Output").field("deps", &self.deps).field("secret", &self.secret).finish()
    }
}

/// Conversion between Rust types and [`Value`] for typed outputs.
pub trait OutputValue: Sized + Send + Sync + 'static {
    fn into_value(self) -> Value;
    fn from_value(v: &Value) -> Option<Self>;
}

impl OutputValue for String {
    fn into_value(self) -> Value {
        Value::Str(self)
    }
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
}
impl OutputValue for i64 {
    fn into_value(self) -> Value {
        Value::Int(self)
    }
    fn from_value(v: &Value) -> Option<Self> {
        v.as_int()
    }
}
impl OutputValue for bool {
    fn into_value(self) -> Value {
        Value::Bool(self)
    }
    fn from_value(v: &Value) -> Option<Self> {
        v.as_bool()
    }
}
impl OutputValue for Value {
    fn into_value(self) -> Value {
        self
    }
    fn from_value(v: &Value) -> Option<Self> {
        Some(v.clone())
    }
}
impl<T: OutputValue> OutputValue for Vec<T> {
    fn into_value(self) -> Value {
        Value::List(self.into_iter().map(OutputValue::into_value).collect())
    }
    fn from_value(v: &Value) -> Option<Self> {
        v.as_list()?.iter().map(T::from_value).collect()
    }
}

/// A value that must never be printed. `Output<Secret<String>>` is how passwords
/// and shared secrets travel through a stack.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(v: T) -> Self {
        Secret(v)
    }
    /// The secret itself, for code that must send it somewhere.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(secret)")
    }
}

impl<T: OutputValue + Clone> OutputValue for Secret<T> {
    fn into_value(self) -> Value {
        Value::Secret(Box::new(self.0.into_value()))
    }
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Secret(inner) => T::from_value(inner).map(Secret),
            other => T::from_value(other).map(Secret),
        }
    }
}

/// A typed, lazily computed value produced by one or more resources.
pub struct Output<T> {
    inner: ErasedOutput,
    _t: PhantomData<fn() -> T>,
}

impl<T> Clone for Output<T> {
    fn clone(&self) -> Self {
        Output { inner: self.inner.clone(), _t: PhantomData }
    }
}

impl<T> fmt::Debug for Output<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

impl<T: OutputValue> Output<T> {
    /// An attribute of a resource; used by generated resource handles.
    pub fn attribute(id: ResourceId, attr: &str) -> Output<T> {
        let a = attr.to_string();
        Output {
            inner: ErasedOutput {
                deps: BTreeSet::from([id]),
                source: Some((id, a.clone())),
                secret: false,
                eval: Arc::new(move |r: &dyn Resolver| r.attribute(id, &a)),
            },
            _t: PhantomData,
        }
    }

    /// A constant, known at plan time; useful to unify code paths.
    pub fn known(v: T) -> Output<T>
    where
        T: Clone,
    {
        let value = v.into_value();
        Output {
            inner: ErasedOutput {
                deps: BTreeSet::new(),
                source: None,
                secret: false,
                eval: Arc::new(move |_: &dyn Resolver| Some(value.clone())),
            },
            _t: PhantomData,
        }
    }

    /// Transform the value once it is known.
    pub fn map<U: OutputValue>(&self, f: impl Fn(T) -> U + Send + Sync + 'static) -> Output<U> {
        let inner = self.inner.clone();
        Output {
            inner: ErasedOutput {
                deps: inner.deps.clone(),
                source: None,
                secret: inner.secret,
                eval: Arc::new(move |r: &dyn Resolver| {
                    let v = (inner.eval)(r)?;
                    Some(f(T::from_value(&v)?).into_value())
                }),
            },
            _t: PhantomData,
        }
    }

    /// Combine with another output.
    pub fn zip<U: OutputValue + Clone>(&self, other: &Output<U>) -> Output<(T, U)>
    where
        T: Clone,
    {
        let (a, b) = (self.inner.clone(), other.inner.clone());
        let deps = a.deps.union(&b.deps).copied().collect();
        Output {
            inner: ErasedOutput {
                deps,
                source: None,
                secret: a.secret || b.secret,
                eval: Arc::new(move |r: &dyn Resolver| {
                    Some(Value::List(vec![(a.eval)(r)?, (b.eval)(r)?]))
                }),
            },
            _t: PhantomData,
        }
    }

    /// Mark as secret: it will print as `(secret)` everywhere.
    pub fn secret(&self) -> Output<Secret<T>> {
        let mut inner = self.inner.clone();
        inner.secret = true;
        Output { inner, _t: PhantomData }
    }

    pub fn erase(&self) -> ErasedOutput {
        self.inner.clone()
    }

    /// Resolve now against a resolver (engine use).
    pub fn get(&self, r: &dyn Resolver) -> Option<T> {
        let v = (self.inner.eval)(r)?;
        T::from_value(&v)
    }
}

impl<T: OutputValue, U: OutputValue> OutputValue for (T, U) {
    fn into_value(self) -> Value {
        Value::List(vec![self.0.into_value(), self.1.into_value()])
    }
    fn from_value(v: &Value) -> Option<Self> {
        match v.as_list()? {
            [a, b] => Some((T::from_value(a)?, U::from_value(b)?)),
            _ => None,
        }
    }
}

/// Combine any number of string outputs into one (for example, to format them).
pub fn all(outputs: &[Output<String>]) -> Output<Vec<String>> {
    let parts: Vec<ErasedOutput> = outputs.iter().map(|o| o.inner.clone()).collect();
    let deps = parts.iter().flat_map(|p| p.deps.iter().copied()).collect();
    let secret = parts.iter().any(|p| p.secret);
    Output {
        inner: ErasedOutput {
            deps,
            source: None,
            secret,
            eval: Arc::new(move |r: &dyn Resolver| {
                let mut vals = Vec::with_capacity(parts.len());
                for p in &parts {
                    let v = (p.eval)(r)?;
                    vals.push(match v {
                        Value::Secret(inner) => *inner,
                        other => other,
                    });
                }
                Some(Value::List(vals))
            }),
        },
        _t: PhantomData,
    }
}

/// `format!` for outputs: `{}` placeholders are filled in order.
///
/// ```
/// use strata_core::{format_output, Output};
/// let host = Output::known("db.internal".to_string());
/// let url = format_output("mysql://{}:{}", &[host, Output::known("3306".to_string())]);
/// # let _ = url;
/// ```
pub fn format_output(template: &str, args: &[Output<String>]) -> Output<String> {
    let t = template.to_string();
    all(args).map(move |vals: Vec<String>| {
        let mut out = String::new();
        let mut rest = t.as_str();
        let mut it = vals.iter();
        while let Some(pos) = rest.find("{}") {
            out.push_str(&rest[..pos]);
            out.push_str(it.next().map(String::as_str).unwrap_or("{}"));
            rest = &rest[pos + 2..];
        }
        out.push_str(rest);
        out
    })
}

/// What a builder field holds: a known value, an output, or a structure of them.
#[derive(Clone, Debug)]
pub enum Input {
    Known(Value),
    Output(ErasedOutput),
    List(Vec<Input>),
    Map(BTreeMap<String, Input>),
}

impl Input {
    /// The same input, marked secret all the way down: a builder field that
    /// holds a secret wraps whatever it is given (a plain string included), so
    /// that no plan, report, log or error can print it.
    pub fn into_secret(self) -> Input {
        match self {
            Input::Known(Value::Secret(v)) => Input::Known(Value::Secret(v)),
            Input::Known(v) => Input::Known(Value::Secret(Box::new(v))),
            Input::Output(mut o) => {
                o.secret = true;
                Input::Output(o)
            }
            Input::List(items) => Input::List(items.into_iter().map(Input::into_secret).collect()),
            Input::Map(m) => Input::Map(m.into_iter().map(|(k, v)| (k, v.into_secret())).collect()),
        }
    }

    /// Resolve against what is known so far.
    pub fn resolve(&self, r: &dyn Resolver) -> Value {
        match self {
            Input::Known(v) => v.clone(),
            Input::Output(o) => o.resolve(r),
            Input::List(items) => Value::List(items.iter().map(|i| i.resolve(r)).collect()),
            Input::Map(m) => Value::Map(m.iter().map(|(k, v)| (k.clone(), v.resolve(r))).collect()),
        }
    }

    /// The value if it needs no resource output (validation uses this).
    pub fn known(&self) -> Option<Value> {
        let v = self.partial();
        (!v.has_unknown()).then_some(v)
    }

    /// The value as far as it is known before any resource exists: each
    /// resource output in it is [`Value::Unknown`] (validation of structured
    /// fields uses this).
    pub fn partial(&self) -> Value {
        struct Nothing;
        impl Resolver for Nothing {
            fn attribute(&self, _: ResourceId, _: &str) -> Option<Value> {
                None
            }
        }
        self.resolve(&Nothing)
    }

    /// Every resource this input reads.
    pub fn deps(&self, out: &mut BTreeSet<ResourceId>) {
        match self {
            Input::Known(_) => {}
            Input::Output(o) => out.extend(o.deps.iter().copied()),
            Input::List(items) => items.iter().for_each(|i| i.deps(out)),
            Input::Map(m) => m.values().for_each(|i| i.deps(out)),
        }
    }

    /// Some part of this input is secret (a secret value, or an output marked
    /// secret): validation uses this to refuse a secret where it would be
    /// stored in the clear, without printing it.
    pub fn is_secret(&self) -> bool {
        match self {
            Input::Known(v) => v.is_secret(),
            Input::Output(o) => o.secret,
            Input::List(items) => items.iter().any(Input::is_secret),
            Input::Map(m) => m.values().any(Input::is_secret),
        }
    }

    /// When this input is a direct reference to a resource attribute.
    pub fn source(&self) -> Option<(ResourceId, &str)> {
        match self {
            Input::Output(o) => o.source(),
            _ => None,
        }
    }
}

impl<T: Into<Value>> From<T> for Input {
    fn from(v: T) -> Self {
        Input::Known(v.into())
    }
}

impl<T> From<Output<T>> for Input {
    fn from(o: Output<T>) -> Self {
        Input::Output(o.inner)
    }
}

impl<T> From<&Output<T>> for Input {
    fn from(o: &Output<T>) -> Self {
        Input::Output(o.inner.clone())
    }
}

/// A typed builder argument: a plain value or an [`Output`] of the same type.
#[derive(Clone, Debug)]
pub struct Arg<T>(pub Input, PhantomData<fn() -> T>);

impl<T> Arg<T> {
    pub fn into_input(self) -> Input {
        self.0
    }
}

impl From<&str> for Arg<String> {
    fn from(s: &str) -> Self {
        Arg(Input::Known(Value::str(s)), PhantomData)
    }
}
impl From<String> for Arg<String> {
    fn from(s: String) -> Self {
        Arg(Input::Known(Value::Str(s)), PhantomData)
    }
}
impl From<&String> for Arg<String> {
    fn from(s: &String) -> Self {
        Arg(Input::Known(Value::Str(s.clone())), PhantomData)
    }
}
impl From<i64> for Arg<i64> {
    fn from(v: i64) -> Self {
        Arg(Input::Known(Value::Int(v)), PhantomData)
    }
}
impl From<bool> for Arg<bool> {
    fn from(v: bool) -> Self {
        Arg(Input::Known(Value::Bool(v)), PhantomData)
    }
}
impl<T> From<Output<T>> for Arg<T> {
    fn from(o: Output<T>) -> Self {
        Arg(Input::Output(o.inner), PhantomData)
    }
}
impl<T> From<&Output<T>> for Arg<T> {
    fn from(o: &Output<T>) -> Self {
        Arg(Input::Output(o.inner.clone()), PhantomData)
    }
}
impl<T> From<Output<Secret<T>>> for Arg<T> {
    fn from(o: Output<Secret<T>>) -> Self {
        let mut inner = o.inner;
        inner.secret = true;
        Arg(Input::Output(inner), PhantomData)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Map(HashMap<(ResourceId, String), Value>);
    impl Resolver for Map {
        fn attribute(&self, id: ResourceId, attr: &str) -> Option<Value> {
            self.0.get(&(id, attr.to_string())).cloned()
        }
    }

    #[test]
    fn map_zip_format_and_secret() {
        let a = ResourceId(0, 0);
        let b = ResourceId(1, 0);
        let host: Output<String> = Output::attribute(a, "address");
        let port: Output<i64> = Output::attribute(b, "port");
        let url = format_output("{}:{}", &[host.clone(), port.map(|p| p.to_string())]);
        assert_eq!(url.inner.deps, BTreeSet::from([a, b]));
        let empty = Map(HashMap::new());
        assert_eq!(url.get(&empty), None);
        let r = Map(HashMap::from([
            ((a, "address".to_string()), Value::str("db")),
            ((b, "port".to_string()), Value::Int(3306)),
        ]));
        assert_eq!(url.get(&r).as_deref(), Some("db:3306"));
        let s = host.secret();
        assert!(Input::from(&s).resolve(&r).is_secret());
        assert_eq!(host.zip(&port).get(&r), Some(("db".to_string(), 3306)));
    }

    #[test]
    fn into_secret_marks_plain_values_outputs_and_nested_inputs() {
        let none = Map(HashMap::new());
        let plain = Input::from("hunter2").into_secret().resolve(&none);
        assert!(plain.is_secret());
        assert_eq!(plain.to_string(), "(secret)");
        assert_eq!(plain.expose(), Value::str("hunter2"));
        // Already secret: not wrapped twice.
        let twice = Input::from("x").into_secret().into_secret().resolve(&none);
        assert_eq!(twice, Value::Secret(Box::new(Value::str("x"))));
        let nested = Input::List(vec![Input::from("a"), Input::Map([("k".to_string(), Input::from("b"))].into())]).into_secret();
        let shown = format!("{}", nested.resolve(&none));
        assert!(!shown.contains("\"a\"") && !shown.contains("\"b\""), "{shown}");
        assert_eq!(shown.matches("(secret)").count(), 2, "{shown}");
    }
}
