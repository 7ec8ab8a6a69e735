//! The discovery index: in which regions, and of which kinds, a stack holds
//! anything. A hint that saves calls, not state that must not be lost.
//!
//! Without it a plan lists every kind of every enabled service in every
//! region the program names (so that a kind whose last declaration was
//! removed is still pruned): most of those lists answer nothing. With it, a
//! plan lists the kinds the program declares in each region, plus the
//! (region, kind) pairs the index says may hold something, and it also
//! reaches the regions the program no longer names (so that removing the
//! last resource of a region deletes it rather than forgetting it).
//!
//! Why it stays sound:
//! - Resources are still found by their state tags, never by the index; the
//!   index only says where to look. A declared kind is always listed, so a
//!   resource created a moment ago is never planned as a create again.
//! - Before the first mutating call of an apply the index is rewritten as a
//!   superset of everything that may exist when the apply ends (what it had,
//!   what the plan found, what the plan will create), so a run that dies
//!   halfway leaves an index that still covers what it made.
//! - After the apply, a pair is dropped only when this plan listed it
//!   successfully and every resource of it was deleted. A pair whose listing
//!   failed, or that a targeted plan did not cover, stays.
//! - No index (a first run, a lost object, `plan --rescan`) means the full
//!   discovery of before; the next apply writes the index again.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::apply::{Report, Status};

/// The (logical name, kind) of each resource an apply deleted or released.
pub type Gone<'a> = BTreeSet<(&'a str, &'static str)>;
use crate::plan::Plan;
use crate::provider::ProviderError;

/// The format version this engine reads and writes.
pub const INDEX_VERSION: u32 = 1;

/// Which kinds may hold resources of the stack, by region.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackIndex {
    /// [`INDEX_VERSION`]; an index of another version is ignored (full discovery).
    pub version: u32,
    /// Region -> kinds that may hold something there (a scanned index: no kinds, every kind is listed).
    pub held: BTreeMap<String, BTreeSet<String>>,
    /// Made by a scan of the account's regions for a stack without a recorded
    /// index: the plan lists every kind in every region the program names as
    /// well as in those the scan found (never written: an apply records what
    /// that discovery saw).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub scanned: bool,
}

impl StackIndex {
    /// An empty index of this version.
    pub fn new() -> Self {
        StackIndex { version: INDEX_VERSION, held: BTreeMap::new(), scanned: false }
    }

    /// An index made by a scan that found these regions (see [`StackIndex::scanned`]).
    pub fn scanned(regions: impl IntoIterator<Item = String>) -> Self {
        StackIndex { scanned: true, held: regions.into_iter().map(|r| (r, BTreeSet::new())).collect(), ..StackIndex::new() }
    }

    /// Record that `kind` may hold something in `region`.
    pub fn insert(&mut self, region: &str, kind: &str) {
        self.held.entry(region.to_string()).or_default().insert(kind.to_string());
    }

    /// Whether `kind` may hold something in `region`.
    pub fn holds(&self, region: &str, kind: &str) -> bool {
        self.held.get(region).is_some_and(|k| k.contains(kind))
    }

    /// Every (region, kind) pair.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.held.iter().flat_map(|(r, ks)| ks.iter().map(move |k| (r.as_str(), k.as_str())))
    }

    fn remove(&mut self, region: &str, kind: &str) {
        if let Some(ks) = self.held.get_mut(region) {
            ks.remove(kind);
            if ks.is_empty() {
                self.held.remove(region);
            }
        }
    }
}

/// Where a stack's index is kept (the AWS implementation: an object beside
/// the stack's lock).
#[async_trait]
pub trait IndexStore: Send + Sync + std::fmt::Debug {
    /// The stack's index; `None` when there is none (nothing was recorded yet).
    async fn read_index(&self, stack: &str) -> Result<Option<StackIndex>, ProviderError>;
    /// Replace the stack's index (called only while the stack's lock is held).
    async fn write_index(&self, stack: &str, index: &StackIndex) -> Result<(), ProviderError>;
}

/// An in-memory index store (tests).
#[derive(Debug, Default)]
pub struct MemoryIndex(std::sync::Mutex<BTreeMap<String, StackIndex>>);

impl MemoryIndex {
    /// What is stored for `stack`.
    pub fn get(&self, stack: &str) -> Option<StackIndex> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).get(stack).cloned()
    }
}

#[async_trait]
impl IndexStore for MemoryIndex {
    async fn read_index(&self, stack: &str) -> Result<Option<StackIndex>, ProviderError> {
        Ok(self.get(stack))
    }
    async fn write_index(&self, stack: &str, index: &StackIndex) -> Result<(), ProviderError> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).insert(stack.to_string(), index.clone());
        Ok(())
    }
}

/// What a plan's discovery knew, for the index written around its apply.
#[derive(Clone, Debug, Default)]
pub struct Coverage {
    /// The index the plan read (`None`: it had none and discovered everything).
    pub hint: Option<StackIndex>,
    /// The (region, kind) pairs listed successfully.
    pub listed: BTreeSet<(String, String)>,
    /// The pairs whose listing failed (an undeclared kind: a warning).
    pub failed: BTreeSet<(String, String)>,
    /// The pairs of every resource of the stack the plan found (a targeted
    /// plan keeps steps for only some of them).
    pub held: BTreeSet<(String, String)>,
}

/// The index to write before the first mutating call of `plan`'s apply: a
/// superset of what may exist when it ends.
pub fn before_apply(plan: &Plan) -> StackIndex {
    let cov = &plan.coverage;
    let mut ix = match &cov.hint {
        // A scan's regions were listed in full: what they hold is in the steps below.
        Some(h) if !h.scanned => h.clone(),
        _ => StackIndex::new(),
    };
    ix.version = INDEX_VERSION;
    for (r, k) in cov.failed.iter().chain(&cov.held) {
        ix.insert(r, k);
    }
    for s in &plan.steps {
        ix.insert(&s.region, s.kind);
    }
    ix
}

/// What [`after_apply`] needs of a plan (kept while the plan itself is consumed by the apply).
#[derive(Clone, Debug)]
pub struct Basis {
    steps: Vec<(String, &'static str, String)>,
    listed: BTreeSet<(String, String)>,
    partial: bool,
}

impl Basis {
    /// The steps' names, kinds and regions, the pairs listed, and whether the plan is targeted.
    pub fn of(plan: &Plan) -> Basis {
        Basis {
            steps: plan.steps.iter().map(|s| (s.name.clone(), s.kind, s.region.clone())).collect(),
            listed: plan.coverage.listed.clone(),
            partial: plan.partial.is_some(),
        }
    }
}

/// The resources an apply deleted or released (no longer the stack's).
pub fn gone(report: &Report) -> Gone<'_> {
    report.outcomes.iter().filter(|o| matches!(o.status, Status::Deleted | Status::Retained)).map(|o| (o.name.as_str(), o.kind)).collect()
}

/// The index after the apply: `before` without the pairs this plan listed
/// whose every resource is `gone` now. A targeted plan drops nothing (it did
/// not see the whole stack).
pub fn after_apply(plan: &Basis, before: &StackIndex, gone: &Gone<'_>) -> StackIndex {
    let mut ix = before.clone();
    if plan.partial {
        return ix;
    }
    let remaining: BTreeSet<(&str, &str)> = plan
        .steps
        .iter()
        .filter(|(name, kind, _)| !gone.contains(&(name.as_str(), *kind)))
        .map(|(_, kind, region)| (region.as_str(), *kind))
        .collect();
    for (r, k) in &plan.listed {
        if !remaining.contains(&(r.as_str(), k.as_str())) {
            ix.remove(r, k);
        }
    }
    ix
}

/// A store that reads as empty and writes through: `plan --rescan` (every
/// kind is listed again, and an apply records what that full discovery saw).
#[derive(Debug)]
pub struct Rescan(pub std::sync::Arc<dyn IndexStore>);

#[async_trait]
impl IndexStore for Rescan {
    async fn read_index(&self, _stack: &str) -> Result<Option<StackIndex>, ProviderError> {
        Ok(None)
    }
    async fn write_index(&self, stack: &str, index: &StackIndex) -> Result<(), ProviderError> {
        self.0.write_index(stack, index).await
    }
}
