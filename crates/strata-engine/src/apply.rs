//! The reconciler: runs a plan's steps as a DAG of actions.
//!
//! One loop owns all state (as in cargo's job queue). An action starts the
//! moment its dependencies finish: there are no level barriers. At most
//! `parallelism` actions run at once; among ready actions, the one with the
//! longest remaining path (by each provider's duration estimate) starts first.
//! A failed action marks everything that depends on it as skipped while
//! independent branches go on (as in Terraform's walker). Cancellation starts
//! nothing new and lets in-flight calls finish.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::time::Duration;
use tokio::time::Instant;

use rand::Rng;
use serde::Serialize;
use strata_core::{tags, Props, ResourceId, Stack, Tags, Value};
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::plan::{desired_props, Action, Operation, Outputs, Plan, ProviderRef};
use crate::provider::{
    CallStats, DiscoverScope, ErrorClass, Observed, Op, OpContext, PollPolicy, Provider, ProviderError, Registry,
};

/// Back-off for retryable errors: full jitter between zero and
/// `base * 2^attempt`, capped at `max_delay`.
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    pub base: Duration,
    pub max_delay: Duration,
    /// Attempts for throttling, transient and eventual-consistency errors.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { base: Duration::from_millis(500), max_delay: Duration::from_secs(20), max_attempts: 8 }
    }
}

/// Engine settings.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Most actions in flight at once (default 16).
    pub parallelism: usize,
    pub retry: RetryPolicy,
    pub poll: PollPolicy,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig { parallelism: 16, retry: RetryPolicy::default(), poll: PollPolicy::default() }
    }
}

/// How one resource ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Created,
    Updated,
    Replaced,
    Deleted,
    Unchanged,
    Adopted,
    Retained,
    Failed,
    Skipped,
}

/// One resource's result.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    pub name: String,
    pub kind: &'static str,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub physical_id: Option<String>,
    /// The error of a failure, or why a step was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Engine-level retries (on top of the SDK's own).
    pub retries: u32,
    #[serde(serialize_with = "secs")]
    pub elapsed: Duration,
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1000.0).round() / 1000.0)
}

/// What a run did.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub stack: String,
    pub operation: Operation,
    pub outcomes: Vec<Outcome>,
    #[serde(serialize_with = "secs")]
    pub elapsed: Duration,
    pub cancelled: bool,
    /// Highest number of actions in flight at once.
    pub max_in_flight: usize,
    pub exports: BTreeMap<String, Value>,
    /// API calls made, filled in by the caller from its call counter.
    pub api_calls: Option<CallStats>,
}

impl Report {
    pub fn counts(&self) -> BTreeMap<Status, usize> {
        let mut m = BTreeMap::new();
        for o in &self.outcomes {
            *m.entry(o.status).or_default() += 1;
        }
        m
    }

    pub fn count(&self, s: Status) -> usize {
        self.outcomes.iter().filter(|o| o.status == s).count()
    }

    pub fn is_success(&self) -> bool {
        !self.cancelled && self.count(Status::Failed) == 0 && self.count(Status::Skipped) == 0
    }

    pub fn outcome(&self, name: &str) -> Option<&Outcome> {
        self.outcomes.iter().find(|o| o.name == name)
    }

    pub fn failures(&self) -> impl Iterator<Item = &Outcome> {
        self.outcomes.iter().filter(|o| o.status == Status::Failed)
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// Progress events for a live view.
#[derive(Clone, Debug)]
pub enum Event {
    Started { name: String, action: Action },
    Retrying { name: String, attempt: u32, error: String },
    Finished { name: String, status: Status, elapsed: Duration },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NodeKind {
    /// Make a declared resource match (create, update, replace, adopt, or nothing).
    Apply(usize),
    /// Delete the replaced old copy of a declared resource once its dependents moved.
    DeleteOld(usize),
    /// Delete or release a resource that is no longer declared.
    Remove(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Waiting,
    Running,
    Done,
    Failed,
    Skipped,
}

struct Node {
    kind: NodeKind,
    deps_left: usize,
    dependents: Vec<usize>,
    priority: Duration,
    state: State,
}

/// Result of one action, sent back to the loop.
struct Finished {
    node: usize,
    result: Result<Done, ProviderError>,
    retries: u32,
    elapsed: Duration,
}

enum Done {
    Applied { status: Status, observed: Box<Observed>, old: Option<Box<Observed>> },
    Deleted,
    Released,
}

/// The reconciler's entry point. See the module docs.
pub(crate) async fn apply(
    stack: &Stack,
    registry: &Registry,
    plan: Plan,
    config: &EngineConfig,
    cancel: &CancellationToken,
    events: Option<&UnboundedSender<Event>>,
) -> Report {
    let started = Instant::now();
    let Plan { mut steps, lookups, operation, stack: planned_for, .. } = plan;
    // A plan refers to declarations by id. A plan made for another `Stack`
    // value of the same program (built twice) applies to this one when every
    // id names the same declaration here; a plan of another program does not.
    let mut foreign = Vec::new();
    let mut rebase = |id: ResourceId, name: &str| -> ResourceId {
        let here = ResourceId(id.0, stack.serial());
        match stack.resource(here) {
            Some(d) if d.name == name => here,
            _ => {
                foreign.push(name.to_string());
                id
            }
        }
    };
    for step in &mut steps {
        if let Some(d) = step.decl {
            step.decl = Some(rebase(d, &step.name));
        }
    }
    // Lookups have no step; the steps' names above decide whether the plan is this program's.
    let lookups: HashMap<ResourceId, Observed> = lookups.into_iter().map(|(id, o)| (ResourceId(id.0, stack.serial()), o)).collect();
    if !foreign.is_empty() || planned_for != stack.name() {
        let why = format!(
            "the plan was made for another program (stack `{planned_for}`; {} not declared here); plan again",
            if foreign.is_empty() { "names".to_string() } else { foreign.join(", ") }
        );
        let outcomes = steps
            .iter()
            .map(|s| Outcome {
                name: s.name.clone(),
                kind: s.kind,
                status: Status::Skipped,
                physical_id: s.physical_id.clone(),
                detail: Some(why.clone()),
                retries: 0,
                elapsed: Duration::ZERO,
            })
            .collect();
        return Report {
            stack: stack.name().to_string(),
            operation,
            outcomes,
            elapsed: started.elapsed(),
            cancelled: false,
            max_in_flight: 0,
            exports: BTreeMap::new(),
            api_calls: None,
        };
    }

    // Nodes, and a map from declaration to its Apply node.
    let mut nodes: Vec<Node> = Vec::new();
    let mut apply_node: HashMap<ResourceId, usize> = HashMap::new();
    let mut delete_old_node: HashMap<usize, usize> = HashMap::new();
    let new_node = |nodes: &mut Vec<Node>, kind| {
        nodes.push(Node { kind, deps_left: 0, dependents: Vec::new(), priority: Duration::ZERO, state: State::Waiting });
        nodes.len() - 1
    };
    for (i, step) in steps.iter().enumerate() {
        match (step.decl, step.action) {
            (Some(d), action) => {
                let n = new_node(&mut nodes, NodeKind::Apply(i));
                apply_node.insert(d, n);
                if action == Action::Replace && !stack.resource(d).is_some_and(|x| x.options.delete_before_replace) {
                    let m = new_node(&mut nodes, NodeKind::DeleteOld(i));
                    delete_old_node.insert(i, m);
                }
            }
            (None, _) => {
                new_node(&mut nodes, NodeKind::Remove(i));
            }
        }
    }

    // Edges (a -> b: b waits for a).
    let mut edges: Vec<(usize, usize)> = Vec::new();
    for (n, node) in nodes.iter().enumerate() {
        let NodeKind::Apply(i) = node.kind else { continue };
        let Some(decl) = steps[i].decl.and_then(|d| stack.resource(d)) else { continue };
        for dep in decl.deps() {
            if let Some(&m) = apply_node.get(&dep) {
                edges.push((m, n));
            }
        }
    }
    // Old copies go after the new one and after every declared dependent moved over.
    for (&i, &m) in &delete_old_node {
        let Some(d) = steps[i].decl else { continue };
        if let Some(&a) = apply_node.get(&d) {
            edges.push((a, m));
        }
        for other in stack.resources() {
            if other.deps().contains(&d) {
                if let Some(&a) = apply_node.get(&other.id) {
                    edges.push((a, m));
                }
            }
        }
    }
    // A removal waits for everything that referenced the removed resource:
    // declared resources moving off it, and other removals.
    let holders: Vec<(usize, &Observed)> = nodes
        .iter()
        .enumerate()
        .filter_map(|(n, node)| match node.kind {
            NodeKind::Apply(i) | NodeKind::DeleteOld(i) | NodeKind::Remove(i) => steps[i].observed.as_ref().map(|o| (n, o)),
        })
        .collect();
    for (n, node) in nodes.iter().enumerate() {
        let NodeKind::Remove(i) = node.kind else { continue };
        let Some(target) = &steps[i].observed else { continue };
        for (m, holder) in &holders {
            if *m != n && holder.refs.iter().any(|r| r == &target.id) {
                edges.push((*m, n));
            }
        }
    }
    // In a destroy, declared dependency order also orders removals (in reverse).
    if operation == Operation::Destroy {
        let by_name: HashMap<&str, usize> = nodes
            .iter()
            .enumerate()
            .filter_map(|(n, node)| match node.kind {
                NodeKind::Remove(i) => Some((steps[i].name.as_str(), n)),
                _ => None,
            })
            .collect();
        for decl in stack.resources() {
            let Some(&child) = by_name.get(decl.name.as_str()) else { continue };
            for dep in decl.deps() {
                if let Some(parent) = stack.resource(dep).and_then(|p| by_name.get(p.name.as_str())) {
                    edges.push((child, *parent));
                }
            }
        }
    }
    edges.sort_unstable();
    edges.dedup();
    for &(a, b) in &edges {
        nodes[a].dependents.push(b);
        nodes[b].deps_left += 1;
    }

    // Priorities: own estimate plus the longest chain of dependents.
    let estimate = |node: &Node| -> Duration {
        let (i, op) = match node.kind {
            NodeKind::Apply(i) => (
                i,
                match steps[i].action {
                    Action::NoOp => return Duration::ZERO,
                    Action::Create | Action::Replace => Op::Create,
                    _ => Op::Update,
                },
            ),
            NodeKind::DeleteOld(i) | NodeKind::Remove(i) => (i, Op::Delete),
        };
        let props = steps[i].desired.as_ref().or(steps[i].observed.as_ref().map(|o| &o.props));
        match (registry.get(steps[i].kind), props) {
            (Some(p), Some(props)) => p.estimate_for(op, props),
            (Some(p), None) => p.estimate(op),
            (None, _) => Duration::from_secs(5),
        }
    };
    let order = topo(&nodes);
    for &n in order.iter().rev() {
        let tail = nodes[n].dependents.iter().map(|&m| nodes[m].priority).max().unwrap_or(Duration::ZERO);
        nodes[n].priority = estimate(&nodes[n]) + tail;
    }

    let mut outputs = Outputs::default();
    for (id, o) in &lookups {
        outputs.0.insert(*id, o.outputs.clone());
    }
    let mut outcomes: Vec<Option<Outcome>> = vec![None; steps.len()];
    let mut replaced_old: HashMap<usize, Observed> = HashMap::new();

    let mut ready: BinaryHeap<(Duration, Reverse<usize>)> = BinaryHeap::new();
    for (n, node) in nodes.iter().enumerate() {
        if node.deps_left == 0 {
            ready.push((node.priority, Reverse(n)));
        }
    }
    let mut running: JoinSet<Finished> = JoinSet::new();
    let mut in_flight = 0usize;
    let mut max_in_flight = 0usize;
    let mut cancelled = false;
    let parallelism = config.parallelism.max(1);

    loop {
        while in_flight < parallelism && !cancelled {
            let Some((_, Reverse(n))) = ready.pop() else { break };
            if nodes[n].state != State::Waiting {
                continue;
            }
            let step_index = match nodes[n].kind {
                NodeKind::Apply(i) | NodeKind::DeleteOld(i) | NodeKind::Remove(i) => i,
            };
            let step = &steps[step_index];
            let Some(provider) = registry.get(step.kind).cloned() else {
                let err = ProviderError::new(ErrorClass::Fatal, "plan", format!("no provider for {}", step.kind));
                finish(&mut nodes, &mut ready, &mut outcomes, &steps, n, Err(err), 0, Duration::ZERO, events);
                continue;
            };
            let decl = step.decl.and_then(|d| stack.resource(d));
            let timeouts = decl.map(|d| d.options.timeouts.clone()).unwrap_or_default();
            let cx = |op: Op, token_src: &Props| OpContext {
                stack: stack.name().to_string(),
                name: step.name.clone(),
                region: step.region.clone(),
                timeout: match op {
                    Op::Create => timeouts.create,
                    Op::Update => timeouts.update,
                    Op::Delete => timeouts.delete,
                }
                .unwrap_or_else(|| provider.default_timeout(op)),
                poll: config.poll,
                idempotency_token: idempotency_token(stack.name(), &step.name, token_src),
            };
            let job: Job = match nodes[n].kind {
                NodeKind::Apply(_) => {
                    let Some(decl) = decl else { continue };
                    let desired = desired_props(stack, decl, provider.as_ref(), &outputs);
                    if desired.values().any(Value::has_unknown) {
                        let err = ProviderError::new(
                            ErrorClass::Fatal,
                            "resolve",
                            "an input is still unknown after its dependencies finished",
                        );
                        finish(&mut nodes, &mut ready, &mut outcomes, &steps, n, Err(err), 0, Duration::ZERO, events);
                        continue;
                    }
                    match (&step.observed, step.action) {
                        (Some(o), Action::Adopt) => {
                            let diff = provider.diff(&desired, o).without(&decl.options.ignore_changes);
                            Job::Adopt { cx: cx(Op::Update, &desired), actual: o.clone(), desired, diff }
                        }
                        (None, _) => Job::Create { cx: cx(Op::Create, &desired), desired },
                        (Some(o), _) => {
                            let diff = provider.diff(&desired, o).without(&decl.options.ignore_changes);
                            if diff.is_empty() {
                                let done =
                                    Done::Applied { status: Status::Unchanged, observed: Box::new(o.clone()), old: None };
                                complete_inline(&mut nodes, &mut ready, &mut outcomes, &steps, n, done, &mut outputs, &mut replaced_old);
                                continue;
                            } else if diff.requires_replacement() {
                                // Without a planned delete-old step (an unplanned replacement),
                                // delete first so that the old copy cannot leak.
                                let before = decl.options.delete_before_replace
                                    || !delete_old_node.contains_key(&step_index);
                                Job::Replace { cx: cx(Op::Create, &desired), delete_cx: cx(Op::Delete, &desired), old: o.clone(), desired, delete_first: before }
                            } else {
                                Job::Update { cx: cx(Op::Update, &desired), actual: o.clone(), desired, diff }
                            }
                        }
                    }
                }
                NodeKind::DeleteOld(i) => match replaced_old.remove(&i) {
                    Some(old) => Job::Delete { cx: cx(Op::Delete, &Props::new()), actual: old },
                    None => {
                        // Nothing was replaced after all (the apply found no difference).
                        nodes[n].state = State::Done;
                        release_dependents(&mut nodes, &mut ready, n);
                        continue;
                    }
                },
                NodeKind::Remove(_) => {
                    let Some(o) = step.observed.clone() else { continue };
                    if step.action == Action::Retain {
                        Job::Release { cx: cx(Op::Update, &Props::new()), actual: o }
                    } else {
                        Job::Delete { cx: cx(Op::Delete, &Props::new()), actual: o }
                    }
                }
            };
            let action = match (&job, nodes[n].kind) {
                (Job::Create { .. }, _) => Action::Create,
                (Job::Update { .. }, _) => Action::Update,
                (Job::Replace { .. }, _) => Action::Replace,
                (Job::Adopt { .. }, _) => Action::Adopt,
                (Job::Release { .. }, _) => Action::Retain,
                (Job::Delete { .. }, _) => Action::Delete,
            };
            if let Some(tx) = events {
                let _ = tx.send(Event::Started { name: step.name.clone(), action });
            }
            tracing::info!(resource = %step.name, kind = step.kind, ?action, "starting");
            nodes[n].state = State::Running;
            in_flight += 1;
            max_in_flight = max_in_flight.max(in_flight);
            let retry = config.retry;
            let tx = events.cloned();
            let name = step.name.clone();
            running.spawn(run_job(n, provider, job, retry, name, tx));
        }

        if in_flight == 0 {
            break;
        }
        tokio::select! {
            biased;
            joined = running.join_next() => {
                let Some(joined) = joined else { break };
                in_flight -= 1;
                let f = match joined {
                    Ok(f) => f,
                    Err(e) => {
                        tracing::error!("an action task panicked: {e}");
                        continue;
                    }
                };
                match f.result {
                    Ok(done) => {
                        let node = f.node;
                        record_done(&mut nodes, &mut outcomes, &steps, node, done, f.retries, f.elapsed, &mut outputs, &mut replaced_old, events);
                        release_dependents(&mut nodes, &mut ready, node);
                    }
                    Err(e) => finish(&mut nodes, &mut ready, &mut outcomes, &steps, f.node, Err(e), f.retries, f.elapsed, events),
                }
            }
            _ = cancel.cancelled(), if !cancelled => {
                tracing::warn!("cancelled: starting nothing new, waiting for {in_flight} action(s) in flight");
                cancelled = true;
            }
        }
    }

    // Anything not run: skipped, because of cancellation or an upstream failure.
    for node in &nodes {
        if node.state == State::Waiting {
            let i = match node.kind {
                NodeKind::Apply(i) | NodeKind::DeleteOld(i) | NodeKind::Remove(i) => i,
            };
            if outcomes[i].is_none() {
                let reason = if cancelled { "cancelled before it started" } else { "not started" };
                outcomes[i] = Some(outcome(&steps[i], Status::Skipped, Some(reason.into()), 0, Duration::ZERO));
            }
        }
    }
    let exports = stack.exports().iter().map(|(k, v)| (k.clone(), v.resolve(&outputs))).collect();
    Report {
        stack: stack.name().to_string(),
        operation,
        outcomes: outcomes.into_iter().flatten().collect(),
        elapsed: started.elapsed(),
        cancelled,
        max_in_flight,
        exports,
        api_calls: None,
    }
}

fn topo(nodes: &[Node]) -> Vec<usize> {
    let mut indeg: Vec<usize> = nodes.iter().map(|n| n.deps_left).collect();
    let mut stack: Vec<usize> = (0..nodes.len()).filter(|&n| indeg[n] == 0).collect();
    let mut out = Vec::with_capacity(nodes.len());
    while let Some(n) = stack.pop() {
        out.push(n);
        for &m in &nodes[n].dependents {
            indeg[m] -= 1;
            if indeg[m] == 0 {
                stack.push(m);
            }
        }
    }
    out
}

/// A deterministic token: the same stack, resource and desired properties give
/// the same token, so a create retried after a crash cannot launch twice.
fn idempotency_token(stack: &str, name: &str, desired: &Props) -> String {
    // FNV-1a over a canonical rendering; stable across runs and platforms.
    let mut h: u64 = 0xcbf29ce484222325;
    let canon = format!("{stack}\u{0}{name}\u{0}{:?}", desired.iter().map(|(k, v)| (k, v.expose())).collect::<Vec<_>>());
    for b in canon.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("strata-{h:016x}")
}

enum Job {
    Create { cx: OpContext, desired: Props },
    Update { cx: OpContext, actual: Observed, desired: Props, diff: crate::provider::Diff },
    Adopt { cx: OpContext, actual: Observed, desired: Props, diff: crate::provider::Diff },
    Replace { cx: OpContext, delete_cx: OpContext, old: Observed, desired: Props, delete_first: bool },
    Delete { cx: OpContext, actual: Observed },
    Release { cx: OpContext, actual: Observed },
}

fn retryable(e: &ProviderError, op: Op) -> bool {
    e.class.is_retryable() || (op == Op::Delete && e.class == ErrorClass::DependencyViolation)
}

/// Run `f` with retries on retryable errors, inside `cx.timeout`.
async fn with_retry<T, F, Fut>(
    op: Op,
    cx: &OpContext,
    policy: RetryPolicy,
    retries: &mut u32,
    name: &str,
    events: &Option<UnboundedSender<Event>>,
    mut f: F,
) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ProviderError>>,
{
    let deadline = Instant::now() + cx.timeout;
    let mut attempt: u32 = 0;
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        let result = match tokio::time::timeout(remaining, f()).await {
            Ok(r) => r,
            Err(_) => Err(ProviderError::timeout(format!("{} to finish", cx.name), cx.timeout)),
        };
        match result {
            Ok(v) => return Ok(v),
            Err(e) if retryable(&e, op) => {
                attempt += 1;
                // Dependency violations wait for other deletions: bounded by time, not attempts.
                let out_of_attempts = e.class != ErrorClass::DependencyViolation && attempt >= policy.max_attempts;
                let cap = policy.base.saturating_mul(1u32 << attempt.min(16)).min(policy.max_delay);
                let delay = Duration::from_millis(rand::rng().random_range(0..=cap.as_millis().max(1) as u64));
                if out_of_attempts || Instant::now() + delay >= deadline {
                    return Err(e);
                }
                *retries += 1;
                tracing::warn!(resource = name, attempt, error = %e, "retrying in {delay:?}");
                if let Some(tx) = events {
                    let _ = tx.send(Event::Retrying { name: name.to_string(), attempt, error: e.to_string() });
                }
                tokio::time::sleep(delay).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// A create that is safe to retry. A failed attempt may still have made the
/// resource (the create call succeeded, a later call of the same step did
/// not), so before trying again it looks for it by its state tags and
/// finishes that one (update to the desired state) instead of making a
/// second. `old` is the resource being replaced, which carries the same name.
async fn create_once(
    p: &dyn Provider,
    cx: &OpContext,
    desired: &Props,
    attempted: &std::sync::atomic::AtomicBool,
    old: Option<&str>,
) -> Result<Observed, ProviderError> {
    if attempted.swap(true, std::sync::atomic::Ordering::SeqCst) {
        let scope = DiscoverScope::new(cx.stack.clone(), cx.region.clone());
        let found = p
            .discover(&scope)
            .await?
            .into_iter()
            .find(|o| o.logical_name().as_deref() == Some(cx.name.as_str()) && Some(o.id.as_str()) != old);
        if let Some(found) = found {
            tracing::warn!(resource = %cx.name, id = %found.id, "the failed create attempt made the resource: finishing it instead of creating another");
            let diff = p.diff(desired, &found);
            if diff.is_empty() {
                return Ok(found);
            }
            return p.update(cx, &found, desired, &diff).await;
        }
    }
    p.create(cx, desired).await
}

async fn run_job(
    node: usize,
    provider: ProviderRef,
    job: Job,
    policy: RetryPolicy,
    name: String,
    events: Option<UnboundedSender<Event>>,
) -> Finished {
    let started = Instant::now();
    let mut retries = 0u32;
    let p = provider.as_ref();
    let result = match job {
        Job::Create { cx, desired } => {
            let attempted = std::sync::atomic::AtomicBool::new(false);
            with_retry(Op::Create, &cx, policy, &mut retries, &name, &events, || create_once(p, &cx, &desired, &attempted, None))
                .await
                .map(|observed| Done::Applied { status: Status::Created, observed: Box::new(observed), old: None })
        }
        Job::Update { cx, actual, desired, diff } => {
            with_retry(Op::Update, &cx, policy, &mut retries, &name, &events, || p.update(&cx, &actual, &desired, &diff))
                .await
                .map(|observed| Done::Applied { status: Status::Updated, observed: Box::new(observed), old: None })
        }
        Job::Adopt { cx, actual, desired, diff } => {
            with_retry(Op::Update, &cx, policy, &mut retries, &name, &events, || p.update(&cx, &actual, &desired, &diff))
                .await
                .map(|observed| Done::Applied { status: Status::Adopted, observed: Box::new(observed), old: None })
        }
        Job::Replace { cx, delete_cx, old, desired, delete_first } => {
            let attempted = std::sync::atomic::AtomicBool::new(false);
            let old_id = Some(old.id.as_str());
            if delete_first {
                match with_retry(Op::Delete, &delete_cx, policy, &mut retries, &name, &events, || p.delete(&delete_cx, &old)).await {
                    Err(e) => Err(e),
                    Ok(()) => with_retry(Op::Create, &cx, policy, &mut retries, &name, &events, || create_once(p, &cx, &desired, &attempted, old_id))
                        .await
                        .map(|observed| Done::Applied { status: Status::Replaced, observed: Box::new(observed), old: None }),
                }
            } else {
                with_retry(Op::Create, &cx, policy, &mut retries, &name, &events, || create_once(p, &cx, &desired, &attempted, old_id))
                    .await
                    .map(|observed| Done::Applied { status: Status::Replaced, observed: Box::new(observed), old: Some(Box::new(old.clone())) })
            }
        }
        Job::Delete { cx, actual } => {
            with_retry(Op::Delete, &cx, policy, &mut retries, &name, &events, || p.delete(&cx, &actual))
                .await
                .map(|()| Done::Deleted)
        }
        Job::Release { cx, actual } => {
            let remove: Vec<String> = tags::ALL.iter().map(|s| s.to_string()).collect();
            let add = Tags::new();
            with_retry(Op::Update, &cx, policy, &mut retries, &name, &events, || p.set_tags(&cx, &actual, &add, &remove))
                .await
                .map(|()| Done::Released)
        }
    };
    Finished { node, result, retries, elapsed: started.elapsed() }
}

fn step_index(kind: NodeKind) -> usize {
    match kind {
        NodeKind::Apply(i) | NodeKind::DeleteOld(i) | NodeKind::Remove(i) => i,
    }
}

fn outcome(step: &crate::plan::Step, status: Status, detail: Option<String>, retries: u32, elapsed: Duration) -> Outcome {
    Outcome {
        name: step.name.clone(),
        kind: step.kind,
        status,
        physical_id: step.physical_id.clone(),
        detail,
        retries,
        elapsed,
    }
}

#[allow(clippy::too_many_arguments)]
fn record_done(
    nodes: &mut [Node],
    outcomes: &mut [Option<Outcome>],
    steps: &[crate::plan::Step],
    n: usize,
    done: Done,
    retries: u32,
    elapsed: Duration,
    outputs: &mut Outputs,
    replaced_old: &mut HashMap<usize, Observed>,
    events: Option<&UnboundedSender<Event>>,
) {
    nodes[n].state = State::Done;
    let i = step_index(nodes[n].kind);
    let step = &steps[i];
    let status = match (nodes[n].kind, done) {
        (NodeKind::Apply(_), Done::Applied { status, observed, old }) => {
            if let Some(d) = step.decl {
                outputs.0.insert(d, observed.outputs.clone());
            }
            if let Some(old) = old {
                replaced_old.insert(i, *old);
            }
            let mut o = outcome(step, status, None, retries, elapsed);
            o.physical_id = Some(observed.id.clone());
            outcomes[i] = Some(o);
            status
        }
        (NodeKind::DeleteOld(_), _) => {
            // The Apply outcome (Replaced) stays; add the retries and time of the delete.
            if let Some(o) = outcomes[i].as_mut() {
                o.retries += retries;
                o.elapsed += elapsed;
            }
            Status::Replaced
        }
        (_, Done::Released) => {
            outcomes[i] = Some(outcome(step, Status::Retained, None, retries, elapsed));
            Status::Retained
        }
        _ => {
            outcomes[i] = Some(outcome(step, Status::Deleted, None, retries, elapsed));
            Status::Deleted
        }
    };
    tracing::info!(resource = %step.name, ?status, elapsed_ms = elapsed.as_millis() as u64, "finished");
    if let Some(tx) = events {
        let _ = tx.send(Event::Finished { name: step.name.clone(), status, elapsed });
    }
}

#[allow(clippy::too_many_arguments)]
fn complete_inline(
    nodes: &mut [Node],
    ready: &mut BinaryHeap<(Duration, Reverse<usize>)>,
    outcomes: &mut [Option<Outcome>],
    steps: &[crate::plan::Step],
    n: usize,
    done: Done,
    outputs: &mut Outputs,
    replaced_old: &mut HashMap<usize, Observed>,
) {
    record_done(nodes, outcomes, steps, n, done, 0, Duration::ZERO, outputs, replaced_old, None);
    release_dependents(nodes, ready, n);
}

fn release_dependents(nodes: &mut [Node], ready: &mut BinaryHeap<(Duration, Reverse<usize>)>, n: usize) {
    let dependents = nodes[n].dependents.clone();
    for m in dependents {
        nodes[m].deps_left -= 1;
        if nodes[m].deps_left == 0 && nodes[m].state == State::Waiting {
            ready.push((nodes[m].priority, Reverse(m)));
        }
    }
}

/// Record a failure and skip everything downstream of it.
#[allow(clippy::too_many_arguments)]
fn finish(
    nodes: &mut [Node],
    _ready: &mut BinaryHeap<(Duration, Reverse<usize>)>,
    outcomes: &mut [Option<Outcome>],
    steps: &[crate::plan::Step],
    n: usize,
    result: Result<(), ProviderError>,
    retries: u32,
    elapsed: Duration,
    events: Option<&UnboundedSender<Event>>,
) {
    let Err(e) = result else { return };
    nodes[n].state = State::Failed;
    let i = step_index(nodes[n].kind);
    let failed_name = steps[i].name.clone();
    tracing::error!(resource = %failed_name, error = %e, "failed");
    outcomes[i] = Some(outcome(&steps[i], Status::Failed, Some(e.to_string()), retries, elapsed));
    if let Some(tx) = events {
        let _ = tx.send(Event::Finished { name: failed_name.clone(), status: Status::Failed, elapsed });
    }
    let mut stack = nodes[n].dependents.clone();
    while let Some(m) = stack.pop() {
        if nodes[m].state != State::Waiting {
            continue;
        }
        nodes[m].state = State::Skipped;
        let j = step_index(nodes[m].kind);
        if outcomes[j].is_none() {
            outcomes[j] = Some(outcome(
                &steps[j],
                Status::Skipped,
                Some(format!("upstream failed: {failed_name}")),
                0,
                Duration::ZERO,
            ));
            if let Some(tx) = events {
                let _ = tx.send(Event::Finished { name: steps[j].name.clone(), status: Status::Skipped, elapsed: Duration::ZERO });
            }
        }
        stack.extend(nodes[m].dependents.iter().copied());
    }
}

