//! Discovery and planning: desired (the program) against actual (the tagged
//! resources found in the cloud) becomes a list of steps.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::sync::Arc;

use serde::Serialize;
use strata_core::{tags, Diagnostic, Invalid, Mode, Props, ResourceDecl, ResourceId, Resolver, Stack, Tags, Value};
use tokio::task::JoinSet;

use crate::graph::DepGraph;
use crate::index::{Coverage, IndexStore, StackIndex};
use crate::provider::{FieldChange, Observed, Provider, ProviderError, Registry};

/// What a step will do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    NoOp,
    Create,
    Update,
    Replace,
    Delete,
    /// Take over an existing resource by adding the state tags.
    Adopt,
    /// Stop managing: remove the state tags and leave the resource.
    Retain,
}

impl Action {
    pub fn symbol(self) -> &'static str {
        match self {
            Action::NoOp => " ",
            Action::Create => "+",
            Action::Update => "~",
            Action::Replace => "±",
            Action::Delete => "-",
            Action::Adopt => "&",
            Action::Retain => "!",
        }
    }
}

/// Apply (make the cloud match the program) or destroy (remove everything).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    Apply,
    Destroy,
}

/// One resource's part of a plan.
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    pub name: String,
    pub kind: &'static str,
    pub region: String,
    pub action: Action,
    /// Why a replacement or delete happens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<FieldChange>,
    /// The physical id, when the resource exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub physical_id: Option<String>,
    /// Desired properties as known at plan time (for creates).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desired: Option<Props>,
    #[serde(skip)]
    pub decl: Option<ResourceId>,
    #[serde(skip)]
    pub observed: Option<Observed>,
    /// A replacement the provider does not need (`apply --replace NAME`,
    /// `replace_on_changes`): carried out whatever the diff; the old copy is
    /// deleted first when nothing in the stack uses it (the new copy may
    /// need its name), and after the new copy and the dependents' move
    /// otherwise, as in every replacement.
    #[serde(skip)]
    pub forced: bool,
}

/// The plan: every step, warnings, and the outputs known so far.
#[derive(Clone, Debug, Serialize)]
pub struct Plan {
    pub stack: String,
    pub operation: Operation,
    pub steps: Vec<Step>,
    pub warnings: Vec<Diagnostic>,
    pub exports: BTreeMap<String, Value>,
    /// A targeted plan: what part of the stack it covers (see [`Plan::select`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partial: Option<String>,
    /// Read-only lookups resolved during planning.
    #[serde(skip)]
    pub(crate) lookups: HashMap<ResourceId, Observed>,
    /// What discovery listed, for the discovery index (see [`crate::index`]).
    #[serde(skip)]
    pub coverage: Coverage,
}

impl Plan {
    pub fn has_changes(&self) -> bool {
        self.steps.iter().any(|s| s.action != Action::NoOp)
    }

    /// Number of steps per action.
    pub fn counts(&self) -> BTreeMap<Action, usize> {
        let mut m = BTreeMap::new();
        for s in &self.steps {
            *m.entry(s.action).or_default() += 1;
        }
        m
    }

    pub fn step(&self, name: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.name == name)
    }

    /// One-line summary: `2 to create, 1 to update, 0 to replace, 0 to delete, 5 unchanged`.
    pub fn summary(&self) -> String {
        let c = self.counts();
        let n = |a| c.get(&a).copied().unwrap_or(0);
        let mut s = format!(
            "{} to create, {} to update, {} to replace, {} to delete, {} unchanged",
            n(Action::Create),
            n(Action::Update),
            n(Action::Replace),
            n(Action::Delete),
            n(Action::NoOp)
        );
        if n(Action::Adopt) > 0 {
            let _ = write!(s, ", {} to adopt", n(Action::Adopt));
        }
        if n(Action::Retain) > 0 {
            let _ = write!(s, ", {} to release (retain)", n(Action::Retain));
        }
        if self.partial.is_some() {
            s.push_str(" (partial: targeted)");
        }
        s
    }

    /// A human view in the spirit of `terraform plan`. Secrets print as `(secret)`.
    pub fn render_text(&self) -> String {
        let mut s = String::new();
        let verb = match self.operation {
            Operation::Apply => "plan",
            Operation::Destroy => "destroy plan",
        };
        let _ = writeln!(s, "strata {verb} for stack `{}`\n", self.stack);
        if let Some(p) = &self.partial {
            let _ = writeln!(s, "PARTIAL {verb}: {p}.\n");
        }
        for w in &self.warnings {
            let _ = writeln!(s, "warning: {w}");
        }
        if !self.warnings.is_empty() {
            s.push('\n');
        }
        for step in self.steps.iter().filter(|s| s.action != Action::NoOp) {
            let id = step.physical_id.as_deref().map(|i| format!(" {i}")).unwrap_or_default();
            let _ = write!(s, "  {} {} ({}){}", step.action.symbol(), step.name, step.kind, id);
            match step.action {
                Action::Adopt => s.push_str("  adopt"),
                Action::Retain => s.push_str("  retain: stop managing, keep in AWS"),
                _ => {}
            }
            if let Some(r) = &step.reason {
                let _ = write!(s, "  ({r})");
            }
            s.push('\n');
            if step.action == Action::Create {
                if let Some(d) = &step.desired {
                    for (k, v) in d.iter().filter(|(_, v)| **v != Value::Null) {
                        let _ = writeln!(s, "      {k}: {v}");
                    }
                }
            }
            for c in &step.changes {
                let old = c.old.as_ref().map(ToString::to_string).unwrap_or_else(|| "(none)".into());
                let new = c.new.as_ref().map(ToString::to_string).unwrap_or_else(|| "(none)".into());
                let force = if c.forces_replacement { "  # forces replacement" } else { "" };
                let _ = writeln!(s, "      {}: {} -> {}{}", c.field, old, new, force);
            }
        }
        if !self.has_changes() {
            let _ = writeln!(s, "  No changes. The cloud matches the program.");
        }
        let _ = writeln!(s, "\nPlan: {}.", self.summary());
        s
    }

    /// A stable JSON document of the plan.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// Known outputs, by resource.
#[derive(Default, Debug, Clone)]
pub(crate) struct Outputs(pub HashMap<ResourceId, Props>);

impl Resolver for Outputs {
    fn attribute(&self, id: ResourceId, attr: &str) -> Option<Value> {
        self.0.get(&id)?.get(attr).cloned()
    }
}

/// Errors that stop a plan.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{0}")]
    Invalid(#[from] Invalid),
    #[error("discovering {kind} in {region} failed: {source}")]
    Discovery { kind: String, region: String, source: ProviderError },
    #[error("the plan was refused:\n{}", .0.iter().map(|d| format!("  - {d}")).collect::<Vec<_>>().join("\n"))]
    Refused(Vec<Diagnostic>),
}

/// The state tags and the program's tags merged into the desired `tags`.
pub(crate) fn desired_props(
    stack: &Stack,
    decl: &ResourceDecl,
    provider: &dyn Provider,
    known: &dyn Resolver,
) -> Props {
    let mut props: Props = decl.inputs.iter().map(|(k, v)| (k.clone(), v.resolve(known))).collect();
    if provider.taggable() {
        let mut t: Tags = stack.default_tags().clone();
        if let Some(user) = props.get("tags") {
            t.extend(user.as_tags());
        }
        t.insert(tags::STACK.into(), stack.name().into());
        t.insert(tags::RESOURCE.into(), decl.name.clone());
        if decl.options.protect {
            t.insert(tags::PROTECT.into(), "true".into());
        }
        if decl.options.retain_on_delete {
            t.insert(tags::RETAIN.into(), "true".into());
        }
        props.insert("tags".into(), Value::from_tags(&t));
    } else {
        props.remove("tags");
    }
    provider.normalize(&mut props);
    props
}

/// Every region the stack touches.
pub(crate) fn regions(stack: &Stack) -> BTreeSet<String> {
    let mut r: BTreeSet<String> = stack.resources().iter().map(|d| stack.region_of(d)).collect();
    r.insert(stack.region().to_string());
    r
}

/// The kind of a discovery task that ended without a known kind (cannot happen).
const UNATTRIBUTED: &str = "(a discovery task)";

/// What one plan's discovery lists: every (region, kind) pair to ask.
///
/// Without an index, every kind in every region the program names (so that a
/// kind whose last declaration was removed is still pruned). With one, the
/// kinds the program declares in each region, and the pairs the index says
/// may hold something, in whatever region (so that a region the program no
/// longer names is still pruned).
fn pairs_to_list(stack: &Stack, registry: &Registry, hint: Option<&StackIndex>) -> BTreeSet<(String, &'static str)> {
    let mut pairs = BTreeSet::new();
    match hint {
        None => {
            for region in regions(stack) {
                pairs.extend(registry.kinds().map(|k| (region.clone(), k)));
            }
        }
        // A scan of the account's regions: every kind, in the program's regions and the regions found.
        Some(ix) if ix.scanned => {
            for region in regions(stack).into_iter().chain(ix.held.keys().cloned()) {
                pairs.extend(registry.kinds().map(|k| (region.clone(), k)));
            }
        }
        Some(ix) => {
            for d in stack.resources().iter().filter(|d| !d.is_lookup()) {
                pairs.insert((stack.region_of(d), d.kind));
            }
            for (region, kind) in ix.pairs() {
                // A kind this build does not have cannot be listed (nor pruned); it stays in the index.
                if let Some(k) = registry.kinds().find(|k| *k == kind) {
                    pairs.insert((region.to_string(), k));
                }
            }
        }
    }
    pairs
}

/// The stack's index, or `None` (full discovery) when there is none, it is of
/// another version, or it cannot be read (a warning).
async fn read_hint(stack: &Stack, index: Option<&dyn IndexStore>, warnings: &mut Vec<Diagnostic>) -> Option<StackIndex> {
    match index?.read_index(stack.name()).await {
        Ok(Some(ix)) if ix.version == crate::index::INDEX_VERSION => Some(ix),
        Ok(Some(ix)) => {
            warnings.push(Diagnostic::new(
                "stack",
                None,
                format!("the discovery index is of version {} (this strata reads {}); every kind is listed", ix.version, crate::index::INDEX_VERSION),
            ));
            None
        }
        Ok(None) => None,
        Err(e) => {
            warnings.push(Diagnostic::new("stack", None, format!("cannot read the discovery index ({e}); every kind is listed")));
            None
        }
    }
}

/// One batched discovery per kind and region, concurrently. Resources whose
/// tags name another stack are dropped (ownership is confirmed by tag, not
/// trusted to the provider's filter).
/// Kinds the program does not declare are still discovered where the index
/// says they may hold something, or everywhere without an index (so that
/// removing the last resource of a kind prunes it), but a failure there (a
/// service an emulator lacks, or one the credentials may not read) is a
/// warning, not an error: nothing of that kind is pruned in this run.
pub(crate) async fn discover(
    stack: &Stack,
    registry: &Registry,
    index: Option<&dyn IndexStore>,
    warnings: &mut Vec<Diagnostic>,
) -> Result<(Vec<Observed>, Coverage), EngineError> {
    let declared: BTreeSet<&str> = stack.resources().iter().map(|d| d.kind).collect();
    let hint = read_hint(stack, index, warnings).await;
    let mut coverage = Coverage { hint: hint.clone(), ..Coverage::default() };
    let mut set = JoinSet::new();
    // Each task's kind and region, so that a task that panicked is still accounted for.
    let mut task_of = HashMap::new();
    // One pass: kinds that list the same things share the answers.
    let pass = crate::provider::DiscoverScope::next_pass();
    for (region, kind) in pairs_to_list(stack, registry, hint.as_ref()) {
        let Some(p) = registry.get(kind).cloned() else { continue };
        let scope = crate::provider::DiscoverScope { stack: stack.name().into(), region: region.clone(), pass };
        let handle = set.spawn(async move {
            let r = p.discover(&scope).await;
            (kind, scope.region, r)
        });
        task_of.insert(handle.id(), (kind, region));
    }
    let mut found = Vec::new();
    let mut first_err = None;
    while let Some(joined) = set.join_next_with_id().await {
        // A discovery that panicked counts as one that failed: for a declared
        // kind the plan fails (its resources would look absent and be created
        // again); for an undeclared one nothing of it is pruned.
        let (kind, region, r) = match joined {
            Ok((_, done)) => done,
            Err(e) => {
                // Every task is registered when it is spawned; one that is not fails the plan below.
                let (kind, region) = task_of.remove(&e.id()).unwrap_or((UNATTRIBUTED, String::new()));
                let err = if e.is_panic() {
                    crate::apply::panicked("discover", e.into_panic().as_ref())
                } else {
                    ProviderError::new(crate::provider::ErrorClass::Fatal, "discover", format!("the discovery task ended: {e}"))
                };
                (kind, region, Err(err))
            }
        };
        // A listed resource without an id cannot be addressed (nor told apart
        // from another): the kind's discovery fails instead of matching it.
        let r = r.and_then(|list| match list.iter().any(|o| o.id.is_empty()) {
            true => Err(ProviderError::new(
                crate::provider::ErrorClass::Fatal,
                "discover",
                format!("a listed {kind} has no id, so strata cannot address it"),
            )),
            false => Ok(list),
        });
        match r {
            Ok(list) => {
                coverage.listed.insert((region, kind.to_string()));
                found.extend(list.into_iter().filter(|o| o.stack().as_deref() == Some(stack.name())));
            }
            Err(source) if !declared.contains(kind) && kind != UNATTRIBUTED => {
                warnings.push(Diagnostic::new(
                    "stack",
                    None,
                    format!("cannot list {kind} in {region} ({source}); resources of that kind are not pruned in this run"),
                ));
                coverage.failed.insert((region, kind.to_string()));
            }
            Err(source) => {
                first_err.get_or_insert(EngineError::Discovery { kind: kind.into(), region, source });
            }
        }
    }
    if let Some(e) = first_err {
        return Err(e);
    }
    // Stable order regardless of completion order.
    found.sort_by(|a, b| (a.kind, &a.id, &a.region).cmp(&(b.kind, &b.id, &b.region)));
    let found = dedup_global(stack, found);
    coverage.held = found.iter().map(|o| (o.region.clone(), o.kind.to_string())).collect();
    Ok((found, coverage))
}

/// A resource of a global service (a Route 53 record) can be seen from every
/// region the stack lists: one physical resource, several observations. Keep
/// one, seen from the region its declaration names (or the stack's region).
fn dedup_global(stack: &Stack, found: Vec<Observed>) -> Vec<Observed> {
    let home = |o: &Observed| -> String {
        let name = o.logical_name().unwrap_or_default();
        stack
            .resources()
            .iter()
            .find(|d| d.name == name && d.kind == o.kind)
            .map(|d| stack.region_of(d))
            .unwrap_or_else(|| stack.region().to_string())
    };
    let mut out: Vec<Observed> = Vec::with_capacity(found.len());
    for o in found {
        match out.last_mut() {
            Some(prev) if prev.kind == o.kind && prev.id == o.id => {
                if o.region == home(&o) {
                    *prev = o;
                }
            }
            _ => out.push(o),
        }
    }
    out
}

/// Group discovered resources by logical name; two live resources claiming one
/// name are an error and nothing is changed.
fn index_by_name(found: Vec<Observed>, problems: &mut Vec<Diagnostic>) -> BTreeMap<String, Observed> {
    let mut by_name: BTreeMap<String, Vec<Observed>> = BTreeMap::new();
    for o in found {
        let name = o.logical_name().unwrap_or_default();
        by_name.entry(name).or_default().push(o);
    }
    let mut out = BTreeMap::new();
    for (name, mut list) in by_name {
        if name.is_empty() {
            let ids: Vec<String> = list.iter().map(|o| o.id.clone()).collect();
            problems.push(Diagnostic::new(
                "stack",
                None,
                format!("resources {} carry this stack's tag but no strata:resource tag", ids.join(", ")),
            ));
        } else if list.len() > 1 {
            let ids: Vec<String> = list.iter().map(|o| format!("{} {}", o.kind, o.id)).collect();
            problems.push(Diagnostic::new(
                &name,
                None,
                format!(
                    "{} live resources claim this logical name ({}); remove the duplicates' strata tags or delete them, then run again",
                    list.len(),
                    ids.join(", ")
                ),
            ));
        } else if let Some(o) = list.pop() {
            out.insert(name, o);
        }
    }
    out
}

async fn resolve_lookups(
    stack: &Stack,
    registry: &Registry,
    problems: &mut Vec<Diagnostic>,
) -> HashMap<ResourceId, Observed> {
    let mut out = HashMap::new();
    for d in stack.resources() {
        let Mode::Lookup(query) = &d.mode else { continue };
        let Some(p) = registry.get(d.kind) else { continue };
        let region = stack.region_of(d);
        match p.lookup(&region, query).await {
            Ok(mut list) if list.len() == 1 => {
                if let Some(o) = list.pop() {
                    out.insert(d.id, o);
                }
            }
            Ok(list) if list.is_empty() => {
                problems.push(Diagnostic::new(&d.name, None, format!("lookup {query:?} found nothing in {region}")))
            }
            Ok(list) => problems.push(Diagnostic::new(
                &d.name,
                None,
                format!("lookup {query:?} found {} resources; narrow it to one", list.len()),
            )),
            Err(e) => problems.push(Diagnostic::new(&d.name, None, format!("lookup failed: {e}"))),
        }
    }
    out
}

pub(crate) async fn plan(
    stack: &Stack,
    registry: &Registry,
    index: Option<&dyn IndexStore>,
    operation: Operation,
) -> Result<Plan, EngineError> {
    let (plan, mut problems) = plan_unrefused(stack, registry, index, operation).await?;
    if !problems.is_empty() {
        problems.sort();
        return Err(EngineError::Refused(problems));
    }
    Ok(plan)
}

/// The whole plan and the problems that refuse it (each naming its
/// resource), for a caller that cuts the plan before judging them.
pub(crate) async fn plan_unrefused(
    stack: &Stack,
    registry: &Registry,
    index: Option<&dyn IndexStore>,
    operation: Operation,
) -> Result<(Plan, Vec<Diagnostic>), EngineError> {
    let mut warnings = crate::validate::validate(stack, registry)?;
    let (found, coverage) = discover(stack, registry, index, &mut warnings).await?;
    let mut problems = Vec::new();
    let mut by_name = index_by_name(found, &mut problems);
    let lookups = resolve_lookups(stack, registry, &mut problems).await;

    let mut known = Outputs::default();
    for (id, o) in &lookups {
        known.0.insert(*id, o.outputs.clone());
    }

    let graph = DepGraph::build(stack);
    let mut steps = Vec::new();
    if operation == Operation::Apply {
        for id in graph.topo_order() {
            let Some(decl) = stack.resource(id) else { continue };
            if decl.is_lookup() {
                continue;
            }
            let Some(provider) = registry.get(decl.kind) else { continue };
            let desired = desired_props(stack, decl, provider.as_ref(), &known);
            let region = stack.region_of(decl);
            let mut observed = by_name.remove(&decl.name);
            if let Some(o) = &observed {
                if o.kind != decl.kind {
                    // Same name, different kind: the old one is pruned, the new created.
                    if let Some(old) = observed.take() {
                        by_name.insert(format!("{}\u{0}{}", decl.name, old.kind), old);
                    }
                }
            }
            let step = match observed {
                None => plan_missing(stack, decl, provider.as_ref(), &region, desired, &mut problems, &mut warnings).await,
                // Provider code (normalize, diff) runs here: a panic refuses the plan, naming the resource.
                Some(o) => match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    plan_existing(decl, provider.as_ref(), &region, desired, o, &mut problems)
                })) {
                    Ok(step) => step,
                    Err(panic) => {
                        let e = crate::apply::panicked("plan", panic.as_ref());
                        problems.push(Diagnostic::new(&decl.name, None, format!("planning it failed: {e}")));
                        continue;
                    }
                },
            };
            if matches!(step.action, Action::NoOp | Action::Update | Action::Adopt) {
                if let Some(o) = &step.observed {
                    known.0.insert(id, o.outputs.clone());
                }
            }
            steps.push(step);
        }
    }
    // Whatever is left is tagged for this stack but not (or no longer) declared.
    for (_, o) in by_name {
        let name = o.logical_name().unwrap_or_default();
        let action = if o.is_retained() { Action::Retain } else { Action::Delete };
        if action == Action::Delete && o.is_protected() {
            problems.push(Diagnostic::new(
                &name,
                None,
                format!(
                    "{} {} is protected and would be deleted; remove `protect` from it (and apply) before {}",
                    o.kind,
                    o.id,
                    if operation == Operation::Destroy { "destroying the stack" } else { "removing it" }
                ),
            ));
        }
        if action == Action::Delete {
            if let Some(why) = registry.get(o.kind).and_then(|p| p.delete_refusal(&o)) {
                problems.push(Diagnostic::new(&name, None, why));
            }
        }
        let reason = match operation {
            Operation::Apply => "no longer declared",
            Operation::Destroy => "destroy",
        };
        steps.push(Step {
            name,
            kind: o.kind,
            region: o.region.clone(),
            action,
            reason: Some(reason.into()),
            changes: Vec::new(),
            physical_id: Some(o.id.clone()),
            desired: None,
            decl: None,
            observed: Some(o),
            forced: false,
        });
    }
    let exports = stack.exports().iter().map(|(k, v)| (k.clone(), v.resolve(&known))).collect();
    Ok((Plan { stack: stack.name().into(), operation, steps, warnings, exports, partial: None, lookups, coverage }, problems))
}

async fn plan_missing(
    stack: &Stack,
    decl: &ResourceDecl,
    provider: &dyn Provider,
    region: &str,
    desired: Props,
    problems: &mut Vec<Diagnostic>,
    warnings: &mut Vec<Diagnostic>,
) -> Step {
    let mut step = Step {
        name: decl.name.clone(),
        kind: decl.kind,
        region: region.to_string(),
        action: Action::Create,
        reason: None,
        changes: Vec::new(),
        physical_id: None,
        desired: Some(desired.clone()),
        decl: Some(decl.id),
        observed: None,
        forced: false,
    };
    let Some(adopt_id) = &decl.options.adopt else {
        // A resource that lost its state tags is not found by discovery; never
        // create its twin without saying so.
        match provider.untagged_lookalikes(region, &desired).await {
            Ok(ids) if !ids.is_empty() => warnings.push(Diagnostic::new(
                &decl.name,
                None,
                format!(
                    "will be created, but {} without strata's tags {} the same identity ({}); if that is this resource \
                     and it lost its tags, adopt it (ResourceOptions::adopt(\"{}\")) instead of creating a second one",
                    ids.join(", "),
                    if ids.len() == 1 { "has" } else { "have" },
                    provider.lookalike_identity(),
                    ids[0]
                ),
            )),
            Ok(_) => {}
            // The check is a courtesy: a failed read does not block the plan.
            Err(e) => warnings.push(Diagnostic::new(&decl.name, None, format!("could not look for untagged look-alikes: {e}"))),
        }
        return step;
    };
    match provider.read(region, adopt_id).await {
        Ok(Some(o)) => {
            if let Some(owner) = o.stack().filter(|s| s != stack.name()) {
                problems.push(Diagnostic::new(
                    &decl.name,
                    Some("adopt"),
                    format!("{adopt_id} is managed by stack `{owner}`; it cannot be adopted"),
                ));
            }
            let diff = provider.diff(&desired, &o).without(&decl.options.ignore_changes);
            if diff.requires_replacement() {
                problems.push(Diagnostic::new(
                    &decl.name,
                    Some("adopt"),
                    format!(
                        "{adopt_id} differs from the program in fields that cannot change in place ({}); fix the program to match it",
                        diff.replacement_reason().unwrap_or_default()
                    ),
                ));
            }
            step.action = Action::Adopt;
            step.physical_id = Some(o.id.clone());
            step.changes = diff.changes;
            step.desired = None;
            step.observed = Some(o);
        }
        Ok(None) => problems.push(Diagnostic::new(
            &decl.name,
            Some("adopt"),
            format!("{adopt_id} does not exist in {region}; nothing to adopt"),
        )),
        Err(e) => problems.push(Diagnostic::new(&decl.name, Some("adopt"), format!("reading {adopt_id} failed: {e}"))),
    }
    step
}

fn plan_existing(
    decl: &ResourceDecl,
    provider: &dyn Provider,
    region: &str,
    desired: Props,
    mut o: Observed,
    problems: &mut Vec<Diagnostic>,
) -> Step {
    provider.normalize(&mut o.props);
    let base = provider.diff(&desired, &o).without(&decl.options.ignore_changes);
    let natural = base.requires_replacement();
    let diff = base.forcing(&decl.options.replace_on_changes);
    let (action, reason) = if diff.is_empty() {
        (Action::NoOp, None)
    } else if diff.requires_replacement() {
        (Action::Replace, diff.replacement_reason())
    } else {
        (Action::Update, provider.update_warning(&diff).map(|w| format!("warning: {w}")))
    };
    if action == Action::Replace {
        if let Some(why) = provider.delete_refusal(&o) {
            problems.push(Diagnostic::new(&decl.name, None, format!("must be replaced, but {why}")));
        }
    }
    if action == Action::Replace && (decl.options.protect || o.is_protected()) {
        problems.push(Diagnostic::new(
            &decl.name,
            diff.changes.iter().find(|c| c.forces_replacement).map(|c| c.field.as_str()),
            format!(
                "is protected but the program requires replacing it ({}); revert the change or remove `protect`",
                reason.clone().unwrap_or_default()
            ),
        ));
    }
    Step {
        name: decl.name.clone(),
        kind: decl.kind,
        region: region.to_string(),
        action,
        reason,
        changes: diff.changes,
        physical_id: Some(o.id.clone()),
        desired: None,
        decl: Some(decl.id),
        observed: Some(o),
        // A replacement only `replace_on_changes` asks for.
        forced: action == Action::Replace && !natural,
    }
}

/// Shared handle type used by the reconciler.
pub(crate) type ProviderRef = Arc<dyn Provider>;

#[cfg(test)]
mod dedup_tests {
    use super::*;

    fn seen(region: &str, id: &str) -> Observed {
        let tags = Value::Map(BTreeMap::from([
            (tags::STACK.to_string(), Value::str("s")),
            (tags::RESOURCE.to_string(), Value::str("rec")),
        ]));
        Observed {
            kind: "test:Record",
            id: id.into(),
            region: region.into(),
            props: BTreeMap::from([("tags".to_string(), tags)]),
            outputs: BTreeMap::new(),
            refs: Vec::new(),
        }
    }

    #[test]
    fn a_global_resource_seen_from_two_regions_is_one_resource_from_its_home_region() {
        let stack = Stack::new("s", "eu-central-1");
        let found = vec![seen("eu-central-1", "zone/rec"), seen("us-east-1", "zone/rec"), seen("us-east-1", "zone/other")];
        let kept = dedup_global(&stack, found);
        let ids: Vec<(&str, &str)> = kept.iter().map(|o| (o.id.as_str(), o.region.as_str())).collect();
        assert_eq!(ids, vec![("zone/rec", "eu-central-1"), ("zone/other", "us-east-1")]);
    }
}
