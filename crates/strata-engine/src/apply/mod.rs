//! The reconciler: runs a plan's steps as a DAG of actions.
//!
//! One loop owns all state (as in cargo's job queue). An action starts the
//! moment its dependencies finish: there are no level barriers. At most
//! `parallelism` actions run at once; among ready actions, the one with the
//! longest remaining path (by each provider's duration estimate) starts first.
//! A failed action marks everything that depends on it as skipped while
//! independent branches go on (as in Terraform's walker). Cancellation starts
//! nothing new and lets in-flight calls finish.
//!
//! `Graph` builds the action DAG; `Walk` owns the loop's state and is the
//! only thing that changes it: every node ends Done, Failed or Skipped, a node
//! that ends always releases or skips its dependents, and a panic in provider
//! code (in an action's task or while preparing it) is that resource's failure.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::time::Duration;
use tokio::time::Instant;

use serde::Serialize;
use strata_core::{tags, Props, ResourceId, Stack, Tags, Value};
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::plan::{desired_props, Action, Operation, Outputs, Plan, ProviderRef, Step};

mod dag;
mod token;

use dag::{step_index, Graph, NodeKind, State};
pub(crate) use token::idempotency_token;
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
    let lookups = match rebase(stack, &mut steps, lookups, &planned_for) {
        Ok(lookups) => lookups,
        Err(why) => return refused(stack, operation, &steps, &why, started),
    };
    let graph = Graph::build(stack, registry, &steps, operation);
    let mut walk = Walk::new(stack, registry, config, events, steps, graph, &lookups);
    walk.run(cancel).await;
    walk.report(operation, started)
}

/// A plan refers to declarations by id. A plan made for another `Stack` value
/// of the same program (built twice) applies to this one when every id names
/// the same declaration here; a plan of another program does not (the error
/// says why).
fn rebase(
    stack: &Stack,
    steps: &mut [Step],
    lookups: HashMap<ResourceId, Observed>,
    planned_for: &str,
) -> Result<HashMap<ResourceId, Observed>, String> {
    let mut foreign = Vec::new();
    for step in steps.iter_mut() {
        let Some(id) = step.decl else { continue };
        let here = ResourceId(id.0, stack.serial());
        match stack.resource(here) {
            Some(d) if d.name == step.name => step.decl = Some(here),
            _ => foreign.push(step.name.clone()),
        }
    }
    if !foreign.is_empty() || planned_for != stack.name() {
        return Err(format!(
            "the plan was made for another program (stack `{planned_for}`; {} not declared here); plan again",
            if foreign.is_empty() { "names".to_string() } else { foreign.join(", ") }
        ));
    }
    // Lookups have no step; the steps' names above decide whether the plan is this program's.
    Ok(lookups.into_iter().map(|(id, o)| (ResourceId(id.0, stack.serial()), o)).collect())
}

/// The report of a plan that is not applied at all: every step skipped, with `why`.
/// Every step of `plan` skipped for `why`: nothing was changed.
pub(crate) fn refused_plan(stack: &Stack, plan: Plan, why: &str) -> Report {
    refused(stack, plan.operation, &plan.steps, why, Instant::now())
}

fn refused(stack: &Stack, operation: Operation, steps: &[Step], why: &str, started: Instant) -> Report {
    Report {
        stack: stack.name().to_string(),
        operation,
        outcomes: steps.iter().map(|s| outcome(s, Status::Skipped, Some(why.to_string()), 0, Duration::ZERO)).collect(),
        elapsed: started.elapsed(),
        cancelled: false,
        max_in_flight: 0,
        exports: BTreeMap::new(),
        api_calls: None,
    }
}

/// What the loop does with a node whose dependencies finished.
enum Prepared {
    /// Run this job in a task of its own.
    Job(Box<Job>, ProviderRef),
    /// Finished without a call (nothing to change).
    Inline(Done),
    /// Nothing to do at all (an old copy that was not replaced after all).
    Nothing,
    /// Cannot start: this is the node's failure.
    Fail(ProviderError),
}

enum Wake {
    Joined(Option<Result<(tokio::task::Id, Finished), tokio::task::JoinError>>),
    Cancelled,
}

/// The loop's state, owned in one place (cargo's `job_queue`). Every node ends
/// in Done, Failed or Skipped, and a node that ends always releases or skips
/// its dependents (Terraform's `dag/walk.go`): a panicked action is that
/// resource's failure, and a step is never left without an outcome.
struct Walk<'a> {
    stack: &'a Stack,
    registry: &'a Registry,
    config: &'a EngineConfig,
    events: Option<&'a UnboundedSender<Event>>,
    steps: Vec<Step>,
    graph: Graph,
    outputs: Outputs,
    outcomes: Vec<Option<Outcome>>,
    /// Old copies of replaced resources, by step, for their DeleteOld nodes.
    replaced_old: HashMap<usize, Observed>,
    ready: BinaryHeap<(Duration, Reverse<usize>)>,
    running: JoinSet<Finished>,
    /// Each running task's node and start, to account for a task that panicked.
    task_node: HashMap<tokio::task::Id, (usize, Instant)>,
    max_in_flight: usize,
    cancelled: bool,
}

impl<'a> Walk<'a> {
    fn new(
        stack: &'a Stack,
        registry: &'a Registry,
        config: &'a EngineConfig,
        events: Option<&'a UnboundedSender<Event>>,
        steps: Vec<Step>,
        graph: Graph,
        lookups: &HashMap<ResourceId, Observed>,
    ) -> Walk<'a> {
        let mut outputs = Outputs::default();
        for (id, o) in lookups {
            outputs.0.insert(*id, o.outputs.clone());
        }
        let ready = graph
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, node)| node.deps_left == 0)
            .map(|(n, node)| (node.priority, Reverse(n)))
            .collect();
        let outcomes = vec![None; steps.len()];
        Walk {
            stack,
            registry,
            config,
            events,
            steps,
            graph,
            outputs,
            outcomes,
            replaced_old: HashMap::new(),
            ready,
            running: JoinSet::new(),
            task_node: HashMap::new(),
            max_in_flight: 0,
            cancelled: false,
        }
    }

    async fn run(&mut self, cancel: &CancellationToken) {
        loop {
            self.dispatch();
            if self.running.is_empty() {
                break;
            }
            let wake = tokio::select! {
                biased;
                joined = self.running.join_next_with_id() => Wake::Joined(joined),
                _ = cancel.cancelled(), if !self.cancelled => Wake::Cancelled,
            };
            match wake {
                Wake::Joined(Some(joined)) => self.on_joined(joined),
                Wake::Joined(None) => break,
                Wake::Cancelled => {
                    tracing::warn!("cancelled: starting nothing new, waiting for {} action(s) in flight", self.running.len());
                    self.cancelled = true;
                }
            }
        }
        self.settle();
    }

    /// Start ready nodes, longest remaining path first, up to the parallelism.
    fn dispatch(&mut self) {
        let parallelism = self.config.parallelism.max(1);
        while self.running.len() < parallelism && !self.cancelled {
            let Some((_, Reverse(n))) = self.ready.pop() else { break };
            if self.graph.nodes[n].state != State::Waiting {
                continue;
            }
            match self.prepare(n) {
                Prepared::Job(job, provider) => self.spawn(n, *job, provider),
                Prepared::Inline(done) => self.complete(n, done, 0, Duration::ZERO),
                Prepared::Nothing => {
                    self.graph.nodes[n].state = State::Done;
                    self.release(n);
                }
                Prepared::Fail(e) => self.fail(n, e, 0, Duration::ZERO),
            }
        }
    }

    /// The job of node `n`. Provider code that runs here (desired props,
    /// normalisation, diff) is guarded: a panic is this node's failure.
    fn prepare(&mut self, n: usize) -> Prepared {
        let kind = self.graph.nodes[n].kind;
        let i = step_index(kind);
        let Some(provider) = self.registry.get(self.steps[i].kind).cloned() else {
            return Prepared::Fail(ProviderError::new(ErrorClass::Fatal, "plan", format!("no provider for {}", self.steps[i].kind)));
        };
        if let NodeKind::DeleteOld(_) = kind {
            return match self.replaced_old.remove(&i) {
                Some(old) => Prepared::Job(Box::new(Job::Delete { cx: self.cx(i, &provider, Op::Delete, &Props::new()), actual: old }), provider),
                // Nothing was replaced after all (the apply found no difference).
                None => Prepared::Nothing,
            };
        }
        let this = &*self;
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| this.job_for(kind, &provider))) {
            Ok(Ok(Some(job))) => Prepared::Job(Box::new(job), provider),
            Ok(Ok(None)) => match &self.steps[i].observed {
                Some(o) => Prepared::Inline(Done::Applied { status: Status::Unchanged, observed: Box::new(o.clone()), old: None }),
                None => Prepared::Fail(internal("no change planned for a resource that does not exist")),
            },
            Ok(Err(e)) => Prepared::Fail(e),
            Err(panic) => Prepared::Fail(panicked("prepare", panic.as_ref())),
        }
    }

    /// The job for an Apply or Remove node; `None` when a declared resource
    /// already matches.
    fn job_for(&self, kind: NodeKind, provider: &ProviderRef) -> Result<Option<Job>, ProviderError> {
        let i = step_index(kind);
        let step = &self.steps[i];
        let cx = |op: Op, token_src: &Props| self.cx(i, provider, op, token_src);
        if let NodeKind::Remove(_) = kind {
            let Some(o) = step.observed.clone() else {
                return Err(internal("a removal step without the resource it removes"));
            };
            return Ok(Some(if step.action == Action::Retain {
                Job::Release { cx: cx(Op::Update, &Props::new()), actual: o }
            } else {
                Job::Delete { cx: cx(Op::Delete, &Props::new()), actual: o }
            }));
        }
        let Some(decl) = step.decl.and_then(|d| self.stack.resource(d)) else {
            return Err(internal("a step whose declaration is not in this stack"));
        };
        let desired = desired_props(self.stack, decl, provider.as_ref(), &self.outputs);
        if desired.values().any(Value::has_unknown) {
            return Err(ProviderError::new(ErrorClass::Fatal, "resolve", "an input is still unknown after its dependencies finished"));
        }
        let Some(o) = &step.observed else {
            return Ok(Some(Job::Create { cx: cx(Op::Create, &desired), desired }));
        };
        let diff = provider.diff(&desired, o).without(&decl.options.ignore_changes).forcing(&decl.options.replace_on_changes);
        Ok(Some(if step.action == Action::Adopt {
            Job::Adopt { cx: cx(Op::Update, &desired), actual: o.clone(), desired, diff }
        } else if diff.is_empty() && !step.forced {
            return Ok(None);
        } else if diff.requires_replacement() || step.forced {
            // Without a planned delete-old step (an unplanned replacement),
            // delete first so that the old copy cannot leak.
            let delete_first = decl.options.delete_before_replace || !self.graph.delete_old_node.contains_key(&i);
            // The new copy's create token names the copy it replaces: a
            // replacement with unchanged props (`--replace`) must not get the
            // old copy back for the token it was created with.
            let mut token_src = desired.clone();
            token_src.insert("\u{0}replaces".into(), Value::str(&o.id));
            Job::Replace { cx: cx(Op::Create, &token_src), delete_cx: cx(Op::Delete, &desired), old: o.clone(), desired, delete_first }
        } else {
            Job::Update { cx: cx(Op::Update, &desired), actual: o.clone(), desired, diff }
        }))
    }

    fn cx(&self, i: usize, provider: &ProviderRef, op: Op, token_src: &Props) -> OpContext {
        let step = &self.steps[i];
        let timeouts = step.decl.and_then(|d| self.stack.resource(d)).map(|d| d.options.timeouts.clone()).unwrap_or_default();
        OpContext {
            stack: self.stack.name().to_string(),
            name: step.name.clone(),
            region: step.region.clone(),
            timeout: match op {
                Op::Create => timeouts.create,
                Op::Update => timeouts.update,
                Op::Delete => timeouts.delete,
            }
            .unwrap_or_else(|| provider.default_timeout(op)),
            poll: self.config.poll,
            idempotency_token: idempotency_token(self.stack.name(), &step.name, token_src),
        }
    }

    fn spawn(&mut self, n: usize, job: Job, provider: ProviderRef) {
        let step = &self.steps[step_index(self.graph.nodes[n].kind)];
        let action = match &job {
            Job::Create { .. } => Action::Create,
            Job::Update { .. } => Action::Update,
            Job::Replace { .. } => Action::Replace,
            Job::Adopt { .. } => Action::Adopt,
            Job::Release { .. } => Action::Retain,
            Job::Delete { .. } => Action::Delete,
        };
        if let Some(tx) = self.events {
            let _ = tx.send(Event::Started { name: step.name.clone(), action });
        }
        tracing::info!(resource = %step.name, kind = step.kind, ?action, "starting");
        let name = step.name.clone();
        self.graph.nodes[n].state = State::Running;
        let handle = self.running.spawn(run_job(n, provider, job, self.config.retry, name, self.events.cloned()));
        self.task_node.insert(handle.id(), (n, Instant::now()));
        self.max_in_flight = self.max_in_flight.max(self.running.len());
    }

    fn on_joined(&mut self, joined: Result<(tokio::task::Id, Finished), tokio::task::JoinError>) {
        match joined {
            Ok((id, f)) => {
                self.task_node.remove(&id);
                match f.result {
                    Ok(done) => self.complete(f.node, done, f.retries, f.elapsed),
                    Err(e) => self.fail(f.node, e, f.retries, f.elapsed),
                }
            }
            Err(e) => {
                let Some((n, started)) = self.task_node.remove(&e.id()) else {
                    // Every task is registered when it is spawned; settle() accounts for any node left Running.
                    tracing::error!("an action task that the loop does not know ended: {e}");
                    return;
                };
                let err = if e.is_panic() { panicked("action", e.into_panic().as_ref()) } else { internal(&format!("the action's task ended: {e}")) };
                self.fail(n, err, 0, started.elapsed());
            }
        }
    }

    /// Node `n` finished: record it and release its dependents.
    fn complete(&mut self, n: usize, done: Done, retries: u32, elapsed: Duration) {
        self.graph.nodes[n].state = State::Done;
        let kind = self.graph.nodes[n].kind;
        let i = step_index(kind);
        let step = &self.steps[i];
        let status = match (kind, done) {
            (NodeKind::Apply(_), Done::Applied { status, observed, old }) => {
                if let Some(d) = step.decl {
                    self.outputs.0.insert(d, observed.outputs.clone());
                }
                if let Some(old) = old {
                    self.replaced_old.insert(i, *old);
                }
                let mut o = outcome(step, status, None, retries, elapsed);
                o.physical_id = Some(observed.id.clone());
                self.outcomes[i] = Some(o);
                status
            }
            (NodeKind::DeleteOld(_), _) => {
                // The Apply outcome (Replaced) stays; add the retries and time of the delete.
                if let Some(o) = self.outcomes[i].as_mut() {
                    o.retries += retries;
                    o.elapsed += elapsed;
                }
                Status::Replaced
            }
            (_, Done::Released) => {
                self.outcomes[i] = Some(outcome(step, Status::Retained, None, retries, elapsed));
                Status::Retained
            }
            _ => {
                self.outcomes[i] = Some(outcome(step, Status::Deleted, None, retries, elapsed));
                Status::Deleted
            }
        };
        tracing::info!(resource = %step.name, ?status, elapsed_ms = elapsed.as_millis() as u64, "finished");
        if let Some(tx) = self.events {
            let _ = tx.send(Event::Finished { name: step.name.clone(), status, elapsed });
        }
        self.release(n);
    }

    fn release(&mut self, n: usize) {
        let dependents = std::mem::take(&mut self.graph.nodes[n].dependents);
        for &m in &dependents {
            let node = &mut self.graph.nodes[m];
            node.deps_left -= 1;
            if node.deps_left == 0 && node.state == State::Waiting {
                self.ready.push((node.priority, Reverse(m)));
            }
        }
        self.graph.nodes[n].dependents = dependents;
    }

    /// Node `n` failed: record the error and skip everything downstream of it.
    fn fail(&mut self, n: usize, e: ProviderError, retries: u32, elapsed: Duration) {
        self.graph.nodes[n].state = State::Failed;
        let i = step_index(self.graph.nodes[n].kind);
        let failed_name = self.steps[i].name.clone();
        tracing::error!(resource = %failed_name, error = %e, "failed");
        // A failed DeleteOld keeps its step's failure (the new copy exists; the old one is still there).
        self.outcomes[i] = Some(outcome(&self.steps[i], Status::Failed, Some(e.to_string()), retries, elapsed));
        if let Some(tx) = self.events {
            let _ = tx.send(Event::Finished { name: failed_name.clone(), status: Status::Failed, elapsed });
        }
        let mut stack = self.graph.nodes[n].dependents.clone();
        while let Some(m) = stack.pop() {
            if self.graph.nodes[m].state != State::Waiting {
                continue;
            }
            self.graph.nodes[m].state = State::Skipped;
            let j = step_index(self.graph.nodes[m].kind);
            if self.outcomes[j].is_none() {
                self.skip(j, format!("upstream failed: {failed_name}"));
            }
            stack.extend(self.graph.nodes[m].dependents.iter().copied());
        }
    }

    fn skip(&mut self, i: usize, why: String) {
        self.outcomes[i] = Some(outcome(&self.steps[i], Status::Skipped, Some(why), 0, Duration::ZERO));
        if let Some(tx) = self.events {
            let _ = tx.send(Event::Finished { name: self.steps[i].name.clone(), status: Status::Skipped, elapsed: Duration::ZERO });
        }
    }

    /// After the loop: every node that did not run is accounted for, and every
    /// step has an outcome (nothing is ever silently lost).
    fn settle(&mut self) {
        for n in 0..self.graph.nodes.len() {
            let i = step_index(self.graph.nodes[n].kind);
            match self.graph.nodes[n].state {
                State::Waiting if self.outcomes[i].is_none() => {
                    let why = if self.cancelled { "cancelled before it started" } else { "not started: a dependency never finished" };
                    self.skip(i, why.into());
                }
                State::Running => {
                    // Cannot happen: the loop runs until no task is left.
                    self.outcomes[i] = Some(outcome(&self.steps[i], Status::Failed, Some("internal: the action never reported back".into()), 0, Duration::ZERO));
                }
                _ => {}
            }
        }
        for i in 0..self.steps.len() {
            if self.outcomes[i].is_none() {
                self.outcomes[i] = Some(outcome(&self.steps[i], Status::Failed, Some("internal: the step has no outcome".into()), 0, Duration::ZERO));
            }
        }
    }

    fn report(self, operation: Operation, started: Instant) -> Report {
        let exports = self.stack.exports().iter().map(|(k, v)| (k.clone(), v.resolve(&self.outputs))).collect();
        Report {
            stack: self.stack.name().to_string(),
            operation,
            outcomes: self.outcomes.into_iter().flatten().collect(),
            elapsed: started.elapsed(),
            cancelled: self.cancelled,
            max_in_flight: self.max_in_flight,
            exports,
            api_calls: None,
        }
    }
}

fn internal(what: &str) -> ProviderError {
    ProviderError::new(ErrorClass::Fatal, "engine", format!("internal: {what}"))
}

/// A panic of provider code as that resource's (or kind's) failure: "panicked: MESSAGE".
pub(crate) fn panicked(operation: &str, payload: &(dyn std::any::Any + Send)) -> ProviderError {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(a panic without a message)".into());
    ProviderError::new(ErrorClass::Fatal, operation, format!("panicked: {message}"))
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
                let delay = Duration::from_millis(fastrand::u64(0..=cap.as_millis().max(1) as u64));
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
    let made = p.create(cx, desired).await?;
    if made.id.is_empty() {
        // Never let an empty id flow into dependents (or into the next plan).
        return Err(ProviderError::new(
            crate::provider::ErrorClass::Fatal,
            "create",
            format!("the create of `{}` ({}) answered without an id", cx.name, p.kind()),
        ));
    }
    Ok(made)
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


fn outcome(step: &Step, status: Status, detail: Option<String>, retries: u32, elapsed: Duration) -> Outcome {
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

