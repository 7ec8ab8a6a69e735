//! strata's engine: validation, the dependency graph, plans and the reconciler.
//!
//! The engine performs no I/O except through the [`Provider`] trait. Build an
//! [`Engine`] from a [`Registry`] of providers, then [`Engine::plan`] and
//! [`Engine::apply`] a [`strata_core::Stack`].

mod apply;
mod graph;
pub mod index;
pub mod memory;
pub mod lock;
mod plan;
mod target;
pub mod ratelimit;
pub mod provider;
mod validate;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use strata_core::{Diagnostic, Invalid, Stack};
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

pub use apply::{EngineConfig, Event, Outcome, Report, RetryPolicy, Status};
pub use graph::DepGraph;
pub use index::{IndexStore, StackIndex};
pub use plan::{Action, EngineError, Operation, Plan, Step};
pub use target::Selection;
pub use provider::*;

/// Plans and applies stacks with a set of providers.
#[derive(Debug, Clone)]
pub struct Engine {
    registry: Registry,
    config: EngineConfig,
    cancel: CancellationToken,
    events: Option<UnboundedSender<Event>>,
    index: Option<Arc<dyn IndexStore>>,
}

impl Engine {
    pub fn new(registry: Registry) -> Self {
        Engine { registry, config: EngineConfig::default(), cancel: CancellationToken::new(), events: None, index: None }
    }

    /// Keep the stack's discovery index in `store` (see [`index`]): plans
    /// read it to list only the kinds and regions that may hold something,
    /// applies write it. Without one, every plan lists every kind.
    pub fn with_index(mut self, store: Arc<dyn IndexStore>) -> Self {
        self.index = Some(store);
        self
    }

    pub fn with_config(mut self, config: EngineConfig) -> Self {
        self.config = config;
        self
    }

    /// Send progress events to `tx` (for a live view).
    pub fn with_events(mut self, tx: UnboundedSender<Event>) -> Self {
        self.events = Some(tx);
        self
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Cancel this token (Ctrl-C) to start nothing new and finish what is in flight.
    pub fn cancel_token(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// Check the whole program without any API call. Returns plan warnings.
    pub fn validate(&self, stack: &Stack) -> Result<Vec<Diagnostic>, Invalid> {
        validate::validate(stack, &self.registry)
    }

    /// Discover what exists for the stack and compare it with the program.
    pub async fn plan(&self, stack: &Stack) -> Result<Plan, EngineError> {
        plan::plan(stack, &self.registry, self.index.as_deref(), Operation::Apply).await
    }

    /// A plan that deletes everything tagged with the stack.
    pub async fn plan_destroy(&self, stack: &Stack) -> Result<Plan, EngineError> {
        plan::plan(stack, &self.registry, self.index.as_deref(), Operation::Destroy).await
    }

    /// The part of the stack's plan (`Operation::Apply`) or destroy plan
    /// that `selection` keeps, with `replace` forced to replacements (see
    /// [`Plan::select`] and [`Plan::force_replace`]). What refuses a plan
    /// (a protected resource that would be deleted, say) refuses this one
    /// only when it concerns a resource inside the part.
    pub async fn plan_part(&self, stack: &Stack, operation: Operation, selection: &Selection, replace: &[String]) -> Result<Plan, EngineError> {
        let (whole, problems) = plan::plan_unrefused(stack, &self.registry, self.index.as_deref(), operation).await?;
        let planned: std::collections::BTreeSet<String> = whole.steps.iter().map(|s| s.name.clone()).collect();
        let part = whole.force_replace(stack, replace)?.select(stack, selection)?;
        let kept: std::collections::BTreeSet<&str> = part.steps.iter().map(|s| s.name.as_str()).collect();
        let mut problems: Vec<_> = problems.into_iter().filter(|d| !planned.contains(&d.resource) || kept.contains(d.resource.as_str())).collect();
        if !problems.is_empty() {
            problems.sort();
            return Err(EngineError::Refused(problems));
        }
        Ok(part)
    }

    /// Carry out a plan made from the same stack. With an index store, the
    /// index is first widened to cover whatever the apply may make (refused,
    /// with nothing changed, when that write fails), then narrowed to what
    /// is left (a failure there only warns: the wider index stays sound).
    pub async fn apply(&self, stack: &Stack, plan: Plan) -> Report {
        let Some(store) = &self.index else {
            return apply::apply(stack, &self.registry, plan, &self.config, &self.cancel, self.events.as_ref()).await;
        };
        let before = index::before_apply(&plan);
        if plan.coverage.hint.as_ref() != Some(&before) {
            if let Err(e) = store.write_index(stack.name(), &before).await {
                return apply::refused_plan(stack, plan, &format!("cannot record the stack's discovery index before changing anything: {e}"));
            }
        }
        let basis = index::Basis::of(&plan);
        let report = apply::apply(stack, &self.registry, plan, &self.config, &self.cancel, self.events.as_ref()).await;
        let after = index::after_apply(&basis, &before, &index::gone(&report));
        if after != before {
            if let Err(e) = store.write_index(stack.name(), &after).await {
                tracing::warn!(stack = stack.name(), error = %e, "cannot narrow the discovery index; it still covers everything (sound, only more calls)");
            }
        }
        report
    }

    /// For a plan with nothing to apply: record the index that its discovery
    /// shows (exactly the pairs that hold something), when it differs from
    /// the one read. Call only while holding the stack's lock.
    pub async fn record_index(&self, stack: &Stack, plan: &Plan) -> Result<(), ProviderError> {
        let Some(store) = &self.index else { return Ok(()) };
        let before = index::before_apply(plan);
        let after = index::after_apply(&index::Basis::of(plan), &before, &index::Gone::new());
        if plan.coverage.hint.as_ref() != Some(&after) {
            store.write_index(stack.name(), &after).await?;
        }
        Ok(())
    }
}
