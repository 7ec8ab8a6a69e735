//! The provider trait: what the engine needs from each resource kind.
//!
//! The engine performs no I/O except through this trait. The AWS crate
//! implements it once per resource kind; engine tests use the in-memory provider
//! in [`crate::memory`].

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::Serialize;
use strata_core::{tags, Diagnostic, LookupQuery, Props, ResourceDecl, Stack, Tags, Value};

/// A resource as it exists in the cloud.
#[derive(Clone, Debug, PartialEq)]
pub struct Observed {
    /// Provider kind, for example `aws:ec2:Vpc`.
    pub kind: &'static str,
    /// Physical id (`vpc-0abc…`, an ARN, a name).
    pub id: String,
    pub region: String,
    /// Current properties, in the same shape as the desired ones (including
    /// `tags` for taggable kinds), so that the two can be compared field by field.
    pub props: Props,
    /// Attributes other resources can read through outputs (`id`, `arn`, ...).
    pub outputs: Props,
    /// Physical ids of resources this one depends on (a subnet names its VPC):
    /// the engine uses them to order deletes of resources no longer declared.
    pub refs: Vec<String>,
}

impl Observed {
    pub fn new(kind: &'static str, id: impl Into<String>, region: impl Into<String>) -> Self {
        Observed {
            kind,
            id: id.into(),
            region: region.into(),
            props: Props::new(),
            outputs: Props::new(),
            refs: Vec::new(),
        }
    }

    pub fn tags(&self) -> Tags {
        self.props.get("tags").map(Value::as_tags).unwrap_or_default()
    }

    /// The stack named by the state tags.
    pub fn stack(&self) -> Option<String> {
        self.tags().get(tags::STACK).cloned()
    }

    /// The logical name recorded in the state tags.
    pub fn logical_name(&self) -> Option<String> {
        self.tags().get(tags::RESOURCE).cloned()
    }

    pub fn is_protected(&self) -> bool {
        self.tags().get(tags::PROTECT).map(String::as_str) == Some("true")
    }

    pub fn is_retained(&self) -> bool {
        self.tags().get(tags::RETAIN).map(String::as_str) == Some("true")
    }
}

/// One field that differs between desired and actual.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FieldChange {
    pub field: String,
    /// `None` when the field is absent in the cloud.
    pub old: Option<Value>,
    /// `None` when the field is to be removed.
    pub new: Option<Value>,
    /// Changing this field cannot be done in place.
    pub forces_replacement: bool,
}

/// The field-level difference between desired and actual.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Diff {
    pub changes: Vec<FieldChange>,
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    pub fn requires_replacement(&self) -> bool {
        self.changes.iter().any(|c| c.forces_replacement)
    }

    /// Human-readable reason for a replacement.
    pub fn replacement_reason(&self) -> Option<String> {
        let fields: Vec<&str> =
            self.changes.iter().filter(|c| c.forces_replacement).map(|c| c.field.as_str()).collect();
        (!fields.is_empty()).then(|| format!("{} cannot change in place", fields.join(", ")))
    }

    pub fn changed(&self, field: &str) -> Option<&FieldChange> {
        self.changes.iter().find(|c| c.field == field)
    }

    /// Mark changes to these fields (`replace_on_changes`) as forcing a
    /// replacement, as if the provider could not make them in place.
    pub fn forcing(mut self, fields: &[String]) -> Diff {
        for c in self.changes.iter_mut().filter(|c| fields.iter().any(|f| f == &c.field)) {
            c.forces_replacement = true;
        }
        self
    }

    /// Drop changes to ignored fields (`ignore_changes`); `tags.env` style
    /// entries ignore one tag.
    pub fn without(mut self, ignored: &[String]) -> Diff {
        if ignored.is_empty() {
            return self;
        }
        self.changes.retain(|c| !ignored.iter().any(|i| i == &c.field));
        let tag_keys: Vec<&str> = ignored.iter().filter_map(|i| i.strip_prefix("tags.")).collect();
        if !tag_keys.is_empty() {
            for c in self.changes.iter_mut().filter(|c| c.field == "tags") {
                let strip = |v: &Option<Value>| {
                    v.as_ref().map(|v| {
                        let mut t = v.as_tags();
                        t.retain(|k, _| !tag_keys.contains(&k.as_str()));
                        Value::from_tags(&t)
                    })
                };
                c.old = strip(&c.old);
                c.new = strip(&c.new);
            }
            self.changes.retain(|c| c.field != "tags" || c.old != c.new);
        }
        self
    }
}

/// Field-by-field comparison of every field present in `desired`.
///
/// Fields the program does not set are not compared (computed attributes and
/// server-side defaults stay out of the plan). Tags whose keys start with `aws:`
/// belong to AWS and are never compared.
pub fn default_diff(desired: &Props, actual: &Props, replace_fields: &[&str]) -> Diff {
    let mut changes = Vec::new();
    for (field, want) in desired {
        let have = actual.get(field);
        let (want_cmp, have_cmp) = if field == "tags" {
            let mut h = have.map(Value::as_tags).unwrap_or_default();
            h.retain(|k, _| !k.starts_with("aws:"));
            (want.clone(), Some(Value::from_tags(&h)))
        } else {
            (want.clone(), have.cloned())
        };
        let same = match (&want_cmp, &have_cmp) {
            (Value::Unknown, _) => false,
            (Value::Null, None) => true,
            (w, Some(h)) => w.expose() == h.expose(),
            (_, None) => false,
        };
        if !same {
            changes.push(FieldChange {
                field: field.clone(),
                old: have_cmp,
                new: Some(want_cmp),
                forces_replacement: replace_fields.contains(&field.as_str()),
            });
        }
    }
    Diff { changes }
}

/// The default [`Provider::lookup`], callable from an override: by id (a
/// read), by stack reference (a discovery of that stack, confirmed by tag);
/// lookups by filters are refused.
pub async fn default_lookup<P: Provider + ?Sized>(p: &P, region: &str, query: &LookupQuery) -> Result<Vec<Observed>, ProviderError> {
    match query {
        LookupQuery::ById(id) => Ok(p.read(region, id).await?.into_iter().collect()),
        LookupQuery::StackRef { stack, resource } => {
            let scope = DiscoverScope::new(stack.clone(), region);
            let found = p.discover(&scope).await?;
            Ok(found
                .into_iter()
                // Ownership is confirmed by tag, not trusted to the provider's filter.
                .filter(|o| o.stack().as_deref() == Some(stack.as_str()))
                .filter(|o| o.logical_name().as_deref() == Some(resource.as_str()))
                .collect())
        }
        LookupQuery::ByFilters(_) => Err(ProviderError::new(
            ErrorClass::Invalid,
            "lookup",
            format!("{} does not support lookups by filters", p.kind()),
        )),
    }
}

/// [`default_diff`], except that `derived` fields left unset by the program
/// (a name the provider derives on create) are not compared.
pub fn diff_with_derived(desired: &Props, actual: &Props, replace_fields: &[&str], derived: &[&str]) -> Diff {
    let mut want = desired.clone();
    want.retain(|k, v| !(derived.contains(&k.as_str()) && *v == Value::Null));
    default_diff(&want, actual, replace_fields)
}

/// What kind of failure a provider call met; decides retries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ErrorClass {
    /// Rate limited (`RequestLimitExceeded`, `Throttling`, HTTP 429): retry with back-off.
    Throttled,
    /// A 5xx or a timeout: retry with back-off.
    Transient,
    /// Eventual consistency: an object just created is not visible yet.
    NotFoundYet,
    /// Another object still depends on this one (EC2 `DependencyViolation`):
    /// retried by deletes for a bounded time.
    DependencyViolation,
    /// The object does not exist.
    NotFound,
    /// The request is wrong or not allowed; retrying will not help.
    Invalid,
    /// Missing or expired credentials.
    Auth,
    /// A timeout waiting for a state, or anything else.
    Fatal,
}

impl ErrorClass {
    pub fn is_retryable(self) -> bool {
        matches!(self, ErrorClass::Throttled | ErrorClass::Transient | ErrorClass::NotFoundYet)
    }
}

/// An error from a provider call, keeping the service's code, message and request id.
#[derive(Clone, Debug, PartialEq, thiserror::Error, Serialize)]
pub struct ProviderError {
    pub class: ErrorClass,
    /// The API operation, for example `CreateVpc`.
    pub operation: String,
    /// The service's error code, for example `InvalidVpcID.NotFound`.
    pub code: Option<String>,
    pub message: String,
    pub request_id: Option<String>,
}

impl ProviderError {
    pub fn new(class: ErrorClass, operation: impl Into<String>, message: impl Into<String>) -> Self {
        ProviderError { class, operation: operation.into(), code: None, message: message.into(), request_id: None }
    }

    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    pub fn timeout(what: impl Into<String>, after: Duration) -> Self {
        ProviderError::new(
            ErrorClass::Fatal,
            "wait",
            format!("timed out after {}s waiting for {}; raise the resource's timeout if this is expected", after.as_secs(), what.into()),
        )
        .with_code("Timeout")
    }
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.operation)?;
        if let Some(code) = &self.code {
            write!(f, " failed with {code}")?;
        } else {
            f.write_str(" failed")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

/// How waiters poll: start at `initial`, double up to `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PollPolicy {
    pub initial: Duration,
    pub max: Duration,
}

impl Default for PollPolicy {
    fn default() -> Self {
        PollPolicy { initial: Duration::from_secs(2), max: Duration::from_secs(10) }
    }
}

/// Poll `check` until it returns `Some`, or fail after `timeout`.
///
/// `what` names the state waited for in the timeout message
/// (`"NAT gateway nat-0123 to become available"`).
pub async fn wait_until<T, F, Fut>(
    what: &str,
    timeout: Duration,
    poll: PollPolicy,
    mut check: F,
) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>, ProviderError>>,
{
    let start = tokio::time::Instant::now();
    let mut delay = poll.initial;
    loop {
        match check().await {
            Ok(Some(v)) => return Ok(v),
            Ok(None) => {}
            Err(e) if e.class.is_retryable() => {}
            Err(e) => return Err(e),
        }
        if start.elapsed() + delay > timeout {
            return Err(ProviderError::timeout(what, timeout));
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(poll.max);
    }
}

/// The operation a timeout or estimate is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Op {
    Create,
    Update,
    Delete,
}

/// What a provider gets with every mutating call.
#[derive(Clone, Debug)]
pub struct OpContext {
    pub stack: String,
    /// Logical name of the resource.
    pub name: String,
    pub region: String,
    /// Time limit for this operation, including waiting.
    pub timeout: Duration,
    pub poll: PollPolicy,
    /// A stable token for idempotent create calls (`ClientToken`): the same
    /// stack, resource and desired properties give the same token, so a retried
    /// or re-run create cannot make a second resource.
    pub idempotency_token: String,
}

/// What discovery is asked to find.
#[derive(Clone, Debug)]
pub struct DiscoverScope {
    pub stack: String,
    pub region: String,
    /// The discovery pass this call belongs to. Calls of one pass (one plan's
    /// discovery, every kind and region at once) may share the answers of
    /// identical list calls (two kinds listing the same security groups); 0
    /// means a call of its own that shares nothing (a lookup, or the check
    /// before a retried create, which must see the cloud as it is now).
    pub pass: u64,
}

impl DiscoverScope {
    /// A discovery of its own (pass 0: shares no answers).
    pub fn new(stack: impl Into<String>, region: impl Into<String>) -> Self {
        DiscoverScope { stack: stack.into(), region: region.into(), pass: 0 }
    }

    /// A new pass number, unique in this process.
    pub fn next_pass() -> u64 {
        static PASS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        PASS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }
}

/// A resource kind's provider.
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// The kind this provider manages, equal to the builder's `Resource::KIND`.
    fn kind(&self) -> &'static str;

    /// Fields that cannot change in place: a difference forces replacement.
    fn replace_fields(&self) -> &'static [&'static str] {
        &[]
    }

    /// Whether the kind carries tags. Untaggable kinds (associations, rules)
    /// are identified through a tagged parent and get no `tags` property.
    fn taggable(&self) -> bool {
        true
    }

    /// Checks on one declaration, before any API call. Push every problem found.
    fn validate(&self, _decl: &ResourceDecl, _stack: &Stack, _out: &mut Vec<Diagnostic>) {}

    /// Checks across every declaration of this kind (overlaps, collisions).
    fn validate_all(&self, _decls: &[&ResourceDecl], _stack: &Stack, _out: &mut Vec<Diagnostic>) {}

    /// Warnings shown with the plan (insecure but legal settings).
    fn warnings(&self, _decl: &ResourceDecl, _stack: &Stack, _out: &mut Vec<Diagnostic>) {}

    /// Bring desired or actual properties to a canonical form before they are
    /// compared (sort sets, fill defaults).
    fn normalize(&self, _props: &mut Props) {}

    /// Desired against actual. The default compares every desired field.
    fn diff(&self, desired: &Props, actual: &Observed) -> Diff {
        default_diff(desired, &actual.props, self.replace_fields())
    }

    /// A warning shown with an in-place update that disrupts the resource
    /// (an instance-type change stops and starts the instance).
    fn update_warning(&self, _diff: &Diff) -> Option<String> {
        None
    }

    /// Resources without strata's tags that have the identity a create of
    /// `desired` would give (a VPC with the same CIDR): candidates for a
    /// resource whose state tags were removed outside strata. Asked only for
    /// planned creates; the plan warns and names them.
    async fn untagged_lookalikes(&self, _region: &str, _desired: &Props) -> Result<Vec<String>, ProviderError> {
        Ok(Vec::new())
    }

    /// What [`Provider::untagged_lookalikes`] compares, for the warning.
    fn lookalike_identity(&self) -> &'static str {
        "identity"
    }

    /// Why the cloud itself would refuse to delete this resource (a database
    /// with deletion protection on), so that a plan that deletes or replaces
    /// it is refused before anything changes, rather than failing halfway.
    fn delete_refusal(&self, _actual: &Observed) -> Option<String> {
        None
    }

    /// Typical duration, used to start the critical path first.
    fn estimate(&self, _op: Op) -> Duration {
        Duration::from_secs(5)
    }

    /// Typical duration for one resource, given its properties (a Multi-AZ
    /// database takes longer than a single-AZ one). Defaults to [`Provider::estimate`].
    fn estimate_for(&self, op: Op, _props: &Props) -> Duration {
        self.estimate(op)
    }

    /// Time limit when the program sets none.
    fn default_timeout(&self, _op: Op) -> Duration {
        Duration::from_secs(600)
    }

    /// Every live resource of this kind in `scope.region` tagged with
    /// `strata:stack = scope.stack`, found with batched (paginated, filtered)
    /// calls, never one call per resource.
    async fn discover(&self, scope: &DiscoverScope) -> Result<Vec<Observed>, ProviderError>;

    /// One resource by physical id, tagged or not (lookups and adoption).
    async fn read(&self, region: &str, id: &str) -> Result<Option<Observed>, ProviderError>;

    /// A read-only lookup. The default ([`default_lookup`]) handles ids and
    /// stack references.
    async fn lookup(&self, region: &str, query: &LookupQuery) -> Result<Vec<Observed>, ProviderError> {
        default_lookup(self, region, query).await
    }

    /// Create the resource with its tags, wait until it is usable, return it.
    async fn create(&self, cx: &OpContext, desired: &Props) -> Result<Observed, ProviderError>;

    /// Change the fields in `diff` in place, wait, return the new state.
    async fn update(
        &self,
        cx: &OpContext,
        actual: &Observed,
        desired: &Props,
        diff: &Diff,
    ) -> Result<Observed, ProviderError>;

    /// Delete and wait until gone. Deleting what is already gone succeeds.
    async fn delete(&self, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError>;

    /// Add and remove tags (retain-on-delete drops the state tags this way).
    async fn set_tags(
        &self,
        cx: &OpContext,
        actual: &Observed,
        add: &Tags,
        remove: &[String],
    ) -> Result<(), ProviderError>;
}

/// The providers an engine can use, by kind.
#[derive(Clone, Default)]
pub struct Registry {
    providers: BTreeMap<&'static str, Arc<dyn Provider>>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.providers.keys()).finish()
    }
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn register(&mut self, p: Arc<dyn Provider>) -> &mut Self {
        self.providers.insert(p.kind(), p);
        self
    }

    pub fn get(&self, kind: &str) -> Option<&Arc<dyn Provider>> {
        self.providers.get(kind)
    }

    pub fn kinds(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.providers.keys().copied()
    }
}

/// API calls made during a run, per service and operation. Filled by the
/// provider crate (the AWS crate counts with an SDK interceptor).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CallStats {
    /// `(service, operation)` to counts.
    #[serde(serialize_with = "serialize_call_rows")]
    pub rows: BTreeMap<(String, String), CallCount>,
}

/// Counts for one operation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CallCount {
    /// Logical calls (one per operation invocation).
    pub calls: u64,
    /// Extra attempts the SDK made after a failed one.
    pub retries: u64,
    /// Attempts answered with a throttling error.
    pub throttles: u64,
    /// Calls that ended in an error.
    pub errors: u64,
    /// True for operations that change something.
    pub mutating: bool,
}

fn serialize_call_rows<S: serde::Serializer>(
    rows: &BTreeMap<(String, String), CallCount>,
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(rows.len()))?;
    for ((service, operation), c) in rows {
        #[derive(Serialize)]
        struct Row<'a> {
            service: &'a str,
            operation: &'a str,
            #[serde(flatten)]
            count: &'a CallCount,
        }
        seq.serialize_element(&Row { service, operation, count: c })?;
    }
    seq.end()
}

impl CallStats {
    pub fn total_calls(&self) -> u64 {
        self.rows.values().map(|c| c.calls).sum()
    }
    pub fn mutating_calls(&self) -> u64 {
        self.rows.values().filter(|c| c.mutating).map(|c| c.calls).sum()
    }
    pub fn retries(&self) -> u64 {
        self.rows.values().map(|c| c.retries).sum()
    }
    pub fn throttles(&self) -> u64 {
        self.rows.values().map(|c| c.throttles).sum()
    }
    /// Counts in `self` minus `earlier` (for one phase of a run).
    pub fn since(&self, earlier: &CallStats) -> CallStats {
        let mut rows = BTreeMap::new();
        for (k, c) in &self.rows {
            let e = earlier.rows.get(k).copied().unwrap_or_default();
            let d = CallCount {
                calls: c.calls - e.calls.min(c.calls),
                retries: c.retries - e.retries.min(c.retries),
                throttles: c.throttles - e.throttles.min(c.throttles),
                errors: c.errors - e.errors.min(c.errors),
                mutating: c.mutating,
            };
            if d.calls > 0 || d.retries > 0 {
                rows.insert(k.clone(), d);
            }
        }
        CallStats { rows }
    }
}

/// A source of API call counts (the AWS crate's interceptor implements it).
pub trait CallCounter: Send + Sync {
    fn snapshot(&self) -> CallStats;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_compares_desired_fields_only_and_ignores_aws_tags() {
        let desired: Props = [
            ("cidr".to_string(), Value::str("10.0.0.0/16")),
            ("tags".to_string(), Value::from_tags(&[("env".to_string(), "prod".to_string())].into())),
        ]
        .into();
        let mut actual = desired.clone();
        actual.insert("state".into(), Value::str("available"));
        actual.insert(
            "tags".into(),
            Value::from_tags(
                &[("env".to_string(), "prod".to_string()), ("aws:cloudformation".to_string(), "x".to_string())]
                    .into(),
            ),
        );
        assert!(default_diff(&desired, &actual, &["cidr"]).is_empty());
        actual.insert("cidr".into(), Value::str("10.1.0.0/16"));
        let d = default_diff(&desired, &actual, &["cidr"]);
        assert!(d.requires_replacement());
        assert_eq!(d.replacement_reason().as_deref(), Some("cidr cannot change in place"));
    }

    #[test]
    fn ignore_changes_on_one_tag() {
        let d = Diff {
            changes: vec![FieldChange {
                field: "tags".into(),
                old: Some(Value::from_tags(&[("a".to_string(), "1".to_string())].into())),
                new: Some(Value::from_tags(&[("a".to_string(), "2".to_string())].into())),
                forces_replacement: false,
            }],
        };
        assert!(d.without(&["tags.a".to_string()]).is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn waiter_times_out_with_a_clear_message() {
        let poll = PollPolicy { initial: Duration::from_secs(1), max: Duration::from_secs(4) };
        let err = wait_until("thing to be ready", Duration::from_secs(20), poll, || async {
            Ok::<Option<()>, ProviderError>(None)
        })
        .await
        .unwrap_err();
        assert!(err.to_string().contains("timed out after 20s waiting for thing to be ready"), "{err}");
    }
}
