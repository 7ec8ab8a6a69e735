//! An in-memory cloud for engine tests and scheduling benchmarks.
//!
//! Never a stand-in for an integration test: the AWS crate is tested against
//! real emulators. This cloud records every call, the concurrency it saw, and a
//! timeline, and can inject faults (throttling, transient errors, failures).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::time::Instant;

use async_trait::async_trait;
use strata_core::{Input, LookupQuery, Output, Props, RefCore, Resource, Tags, Value};

use crate::provider::{
    DiscoverScope, ErrorClass, Observed, Op, OpContext, Provider, ProviderError, Registry,
};

/// One recorded mutating or reading call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub kind: &'static str,
    pub op: &'static str,
    /// Logical name (or physical id for reads).
    pub target: String,
}

/// When an operation ran (for scheduling measurements).
#[derive(Clone, Debug)]
pub struct Span {
    pub name: String,
    pub op: &'static str,
    pub start: Duration,
    pub end: Duration,
}

#[derive(Default)]
struct State {
    resources: BTreeMap<String, Observed>,
    /// Idempotency tokens already used, to the id they created.
    tokens: HashMap<String, String>,
    next_id: u64,
    calls: Vec<Call>,
    in_flight: usize,
    max_in_flight: usize,
    timeline: Vec<Span>,
    /// Faults to return, by (logical name, op), consumed one per call.
    faults: HashMap<(String, &'static str), VecDeque<ErrorClass>>,
    /// Calls that panic, by (target, op), every time.
    panics: std::collections::HashSet<(String, &'static str)>,
}

/// The shared in-memory cloud behind every [`MemoryProvider`].
#[derive(Clone)]
pub struct MemoryCloud {
    state: Arc<Mutex<State>>,
    epoch: Instant,
    /// Scale for each resource's `latency_ms` property (1.0 = as written).
    pub time_scale: f64,
    /// A token bucket every create, update and delete draws from before it
    /// starts, like AWS's mutating-call buckets (benchmarks).
    mutation_bucket: Option<Arc<crate::ratelimit::TokenBucket>>,
}

impl std::fmt::Debug for MemoryCloud {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MemoryCloud")
    }
}

impl Default for MemoryCloud {
    fn default() -> Self {
        MemoryCloud { state: Arc::default(), epoch: Instant::now(), time_scale: 1.0, mutation_bucket: None }
    }
}

impl MemoryCloud {
    pub fn new() -> Self {
        Self::default()
    }

    /// Rate-limit creates, updates and deletes with `bucket`.
    pub fn with_mutation_bucket(mut self, bucket: crate::ratelimit::TokenBucket) -> Self {
        self.mutation_bucket = Some(Arc::new(bucket));
        self
    }

    async fn mutation_token(&self) {
        if let Some(b) = &self.mutation_bucket {
            b.acquire().await;
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means a test panicked; keep the data.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A registry with the memory kinds ([`Thing`] and [`Widget`]).
    pub fn registry(&self) -> Registry {
        let mut r = Registry::new();
        r.register(Arc::new(MemoryProvider { kind: Thing::KIND, cloud: self.clone() }));
        r.register(Arc::new(MemoryProvider { kind: Widget::KIND, cloud: self.clone() }));
        r
    }

    /// Every call so far.
    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.clone()
    }

    /// Calls that change something.
    pub fn mutations(&self) -> usize {
        self.lock().calls.iter().filter(|c| !matches!(c.op, "discover" | "read")).count()
    }

    pub fn clear_calls(&self) {
        let mut s = self.lock();
        s.calls.clear();
        s.timeline.clear();
        s.max_in_flight = 0;
    }

    /// The most operations that were in progress at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.lock().max_in_flight
    }

    pub fn timeline(&self) -> Vec<Span> {
        self.lock().timeline.clone()
    }

    /// Live resources.
    pub fn resources(&self) -> Vec<Observed> {
        self.lock().resources.values().cloned().collect()
    }

    /// The live resource with this logical name, if any.
    pub fn by_name(&self, name: &str) -> Option<Observed> {
        self.lock().resources.values().find(|o| o.logical_name().as_deref() == Some(name)).cloned()
    }

    /// Make the next `times` calls of `op` (`create`, `update`, `delete`) on
    /// resource `name` fail with `class`.
    pub fn inject(&self, name: &str, op: &'static str, class: ErrorClass, times: usize) {
        let mut s = self.lock();
        let q = s.faults.entry((name.to_string(), op)).or_default();
        q.extend(std::iter::repeat_n(class, times));
    }

    /// Make every call of `op` on `target` panic: `create`, `update`,
    /// `delete`, `set_tags` and `diff` take the logical name, `discover`
    /// takes `<kind>:<stack>` (as faults do).
    pub fn inject_panic(&self, target: &str, op: &'static str) {
        self.lock().panics.insert((target.to_string(), op));
    }

    fn panics(&self, target: &str, op: &'static str) -> bool {
        self.lock().panics.contains(&(target.to_string(), op))
    }

    /// Put a resource into the cloud directly (out-of-band changes, adoption).
    pub fn insert_raw(&self, kind: &'static str, region: &str, props: Props) -> String {
        let mut s = self.lock();
        s.next_id += 1;
        let id = format!("mem-{:06}", s.next_id);
        let mut o = Observed::new(kind, &id, region);
        o.outputs = props.clone();
        o.outputs.insert("id".into(), Value::str(&id));
        o.props = props;
        s.resources.insert(id.clone(), o);
        id
    }

    /// Change a live resource's property out of band (drift).
    pub fn set_prop(&self, id: &str, field: &str, value: Value) {
        if let Some(o) = self.lock().resources.get_mut(id) {
            o.props.insert(field.into(), value.clone());
            o.outputs.insert(field.into(), value);
        }
    }

    /// Remove a resource out of band.
    pub fn remove_raw(&self, id: &str) {
        self.lock().resources.remove(id);
    }

    fn begin(&self, kind: &'static str, op: &'static str, target: &str) -> Result<Duration, ProviderError> {
        let mut s = self.lock();
        s.calls.push(Call { kind, op, target: target.to_string() });
        if s.panics.contains(&(target.to_string(), op)) {
            drop(s);
            panic!("injected panic in {op} of {target}");
        }
        if let Some(q) = s.faults.get_mut(&(target.to_string(), op)) {
            if let Some(class) = q.pop_front() {
                return Err(ProviderError::new(class, op, format!("injected {class:?} on {target}"))
                    .with_code(format!("{class:?}")));
            }
        }
        s.in_flight += 1;
        s.max_in_flight = s.max_in_flight.max(s.in_flight);
        Ok(self.epoch.elapsed())
    }

    fn end(&self, name: &str, op: &'static str, start: Duration) {
        let mut s = self.lock();
        s.in_flight -= 1;
        let end = self.epoch.elapsed();
        s.timeline.push(Span { name: name.to_string(), op, start, end });
    }
}

/// Provider for the memory kinds.
pub struct MemoryProvider {
    kind: &'static str,
    cloud: MemoryCloud,
}

/// Sleep for the simulated latency; zero means no timer at all (a zero sleep
/// would still wait for the timer wheel's next tick).
async fn simulate(d: Duration) {
    if !d.is_zero() {
        tokio::time::sleep(d).await;
    }
}

fn latency(props: &Props, scale: f64) -> Duration {
    let ms = props.get("latency_ms").and_then(Value::as_int).unwrap_or(0).max(0) as f64;
    Duration::from_micros((ms * 1000.0 * scale) as u64)
}

fn refs_of(props: &Props, live: &BTreeMap<String, Observed>) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(v: &Value, live: &BTreeMap<String, Observed>, out: &mut Vec<String>) {
        match v {
            Value::Str(s) if live.contains_key(s) => out.push(s.clone()),
            Value::List(l) => l.iter().for_each(|x| walk(x, live, out)),
            _ => {}
        }
    }
    for (k, v) in props {
        if k != "tags" {
            walk(v, live, &mut out);
        }
    }
    out
}

#[async_trait]
impl Provider for MemoryProvider {
    fn kind(&self) -> &'static str {
        self.kind
    }

    fn diff(&self, desired: &Props, actual: &Observed) -> crate::provider::Diff {
        if let Some(name) = actual.logical_name() {
            if self.cloud.panics(&name, "diff") {
                panic!("injected panic in diff of {name}");
            }
        }
        crate::provider::default_diff(desired, &actual.props, self.replace_fields())
    }

    fn replace_fields(&self) -> &'static [&'static str] {
        &["immutable"]
    }

    fn estimate(&self, _op: Op) -> Duration {
        Duration::from_millis(1)
    }

    fn estimate_for(&self, _op: Op, props: &Props) -> Duration {
        latency(props, 1.0).max(Duration::from_micros(1))
    }

    fn validate(&self, decl: &strata_core::ResourceDecl, _stack: &strata_core::Stack, out: &mut Vec<strata_core::Diagnostic>) {
        if let Some(Value::Int(n)) = decl.known("size") {
            if !(0..=100).contains(&n) {
                out.push(strata_core::Diagnostic::field(&decl.name, "size", format!("{n} is outside 0-100")));
            }
        }
    }

    async fn discover(&self, scope: &DiscoverScope) -> Result<Vec<Observed>, ProviderError> {
        // Faults for discovery are injected as `<kind>:<stack>`.
        self.cloud.begin(self.kind, "discover", &format!("{}:{}", self.kind, scope.stack))?;
        let mut s = self.cloud.lock();
        s.in_flight -= 1;
        Ok(s
            .resources
            .values()
            .filter(|o| o.kind == self.kind && o.region == scope.region && o.stack().as_deref() == Some(&scope.stack))
            .cloned()
            .collect())
    }

    async fn read(&self, region: &str, id: &str) -> Result<Option<Observed>, ProviderError> {
        self.cloud.begin(self.kind, "read", id)?;
        let mut s = self.cloud.lock();
        s.in_flight -= 1;
        Ok(s.resources.get(id).filter(|o| o.kind == self.kind && o.region == region).cloned())
    }

    async fn lookup(&self, region: &str, query: &LookupQuery) -> Result<Vec<Observed>, ProviderError> {
        match query {
            LookupQuery::ByFilters(filters) => {
                self.cloud.begin(self.kind, "read", "filters")?;
                let mut s = self.cloud.lock();
                s.in_flight -= 1;
                Ok(s.resources
                    .values()
                    .filter(|o| o.kind == self.kind && o.region == region)
                    .filter(|o| {
                        filters.iter().all(|(k, vals)| {
                            o.props.get(k).and_then(Value::as_str).is_some_and(|v| vals.iter().any(|x| x == v))
                        })
                    })
                    .cloned()
                    .collect())
            }
            LookupQuery::ById(id) => Ok(self.read(region, id).await?.into_iter().collect()),
            LookupQuery::StackRef { stack, resource } => {
                let scope = DiscoverScope::new(stack.clone(), region);
                let found = self.discover(&scope).await?;
                Ok(found.into_iter().filter(|o| o.logical_name().as_deref() == Some(resource)).collect())
            }
        }
    }

    async fn create(&self, cx: &OpContext, desired: &Props) -> Result<Observed, ProviderError> {
        self.cloud.mutation_token().await;
        let start = self.cloud.begin(self.kind, "create", &cx.name)?;
        simulate(latency(desired, self.cloud.time_scale)).await;
        let mut s = self.cloud.lock();
        // Idempotency: a create with a token already used returns that resource.
        let existing = s.tokens.get(&cx.idempotency_token).and_then(|id| s.resources.get(id)).cloned();
        let o = match existing {
            Some(o) => o,
            None => {
                s.next_id += 1;
                let id = format!("mem-{:06}", s.next_id);
                let mut o = Observed::new(self.kind, &id, &cx.region);
                o.props = desired.clone();
                o.outputs = desired.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                o.outputs.insert("id".into(), Value::str(&id));
                o.outputs.insert("token".into(), Value::str(&cx.idempotency_token));
                o.refs = refs_of(desired, &s.resources);
                s.tokens.insert(cx.idempotency_token.clone(), id.clone());
                s.resources.insert(id, o.clone());
                o
            }
        };
        // `create-after` faults: the resource is made, then the step fails (a
        // later call of the create, e.g. a tag or attribute call). Like a
        // resource type without idempotency tokens, the token is forgotten.
        if let Some(class) = s.faults.get_mut(&(cx.name.clone(), "create-after")).and_then(|q| q.pop_front()) {
            s.tokens.remove(&cx.idempotency_token);
            drop(s);
            self.cloud.end(&cx.name, "create", start);
            return Err(ProviderError::new(class, "create", format!("injected {class:?} after creating {}", cx.name)));
        }
        drop(s);
        self.cloud.end(&cx.name, "create", start);
        Ok(o)
    }

    async fn update(
        &self,
        cx: &OpContext,
        actual: &Observed,
        desired: &Props,
        _diff: &crate::provider::Diff,
    ) -> Result<Observed, ProviderError> {
        self.cloud.mutation_token().await;
        let start = self.cloud.begin(self.kind, "update", &cx.name)?;
        simulate(latency(desired, self.cloud.time_scale)).await;
        let mut s = self.cloud.lock();
        let refs = refs_of(desired, &s.resources);
        let Some(o) = s.resources.get_mut(&actual.id) else {
            drop(s);
            self.cloud.end(&cx.name, "update", start);
            return Err(ProviderError::new(ErrorClass::NotFound, "update", format!("{} is gone", actual.id)));
        };
        for (k, v) in desired {
            o.props.insert(k.clone(), v.clone());
            o.outputs.insert(k.clone(), v.clone());
        }
        o.refs = refs;
        let o = o.clone();
        drop(s);
        self.cloud.end(&cx.name, "update", start);
        Ok(o)
    }

    async fn delete(&self, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        self.cloud.mutation_token().await;
        let start = self.cloud.begin(self.kind, "delete", &cx.name)?;
        simulate(latency(&actual.props, self.cloud.time_scale)).await;
        let mut s = self.cloud.lock();
        // Like EC2: a resource that others still reference cannot be deleted.
        let holder = s.resources.values().find(|o| o.refs.contains(&actual.id)).map(|o| o.id.clone());
        if let Some(h) = holder {
            s.in_flight -= 1;
            return Err(ProviderError::new(
                ErrorClass::DependencyViolation,
                "delete",
                format!("{} is still referenced by {h}", actual.id),
            )
            .with_code("DependencyViolation"));
        }
        s.resources.remove(&actual.id);
        drop(s);
        self.cloud.end(&cx.name, "delete", start);
        Ok(())
    }

    async fn set_tags(&self, cx: &OpContext, actual: &Observed, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        let start = self.cloud.begin(self.kind, "set_tags", &cx.name)?;
        let mut s = self.cloud.lock();
        if let Some(o) = s.resources.get_mut(&actual.id) {
            let mut t = o.tags();
            t.extend(add.clone());
            t.retain(|k, _| !remove.contains(k));
            o.props.insert("tags".into(), Value::from_tags(&t));
        }
        drop(s);
        self.cloud.end(&cx.name, "set_tags", start);
        Ok(())
    }
}

/// Handle for memory resources: any attribute is an output.
#[derive(Clone, Debug)]
pub struct MemoryHandle(RefCore);

impl From<RefCore> for MemoryHandle {
    fn from(c: RefCore) -> Self {
        MemoryHandle(c)
    }
}

impl MemoryHandle {
    pub fn id(&self) -> Output<String> {
        self.0.output("id")
    }
    pub fn attr(&self, name: &str) -> Output<String> {
        self.0.output(name)
    }
}

macro_rules! memory_kind {
    ($(#[$m:meta])* $name:ident, $kind:literal) => {
        $(#[$m])*
        #[derive(Clone, Debug, Default)]
        pub struct $name {
            fields: BTreeMap<String, Input>,
        }

        impl $name {
            pub fn new() -> Self {
                Self::default()
            }
            /// Set a field to a value or an output.
            pub fn set(mut self, field: &str, value: impl Into<Input>) -> Self {
                self.fields.insert(field.to_string(), value.into());
                self
            }
            /// Simulated latency of each operation, in milliseconds.
            pub fn latency_ms(self, ms: i64) -> Self {
                self.set("latency_ms", ms)
            }
        }

        impl Resource for $name {
            const KIND: &'static str = $kind;
            type Handle = MemoryHandle;
            fn into_inputs(self) -> BTreeMap<String, Input> {
                self.fields
            }
        }
    };
}

memory_kind!(
    /// A generic in-memory resource: any fields, `immutable` forces replacement.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_engine::memory::Thing;
    /// let mut stack = Stack::new("demo", "mem-1");
    /// let a = stack.add("a", Thing::new().set("size", 3i64));
    /// stack.add("b", Thing::new().set("parent", a.id()));
    /// ```
    Thing,
    "mem:Thing"
);
memory_kind!(
    /// A second in-memory kind, to test behaviour across kinds.
    Widget,
    "mem:Widget"
);
