//! Targeted runs: a plan cut down to some resources (`--target NAME`, what
//! they depend on and, with `--target-dependents`, what depends on them),
//! or without some (`--exclude NAME` and what depends on it).
//!
//! The whole plan is made first (every kind is still discovered, so the cut
//! sees the cloud as it is); the cut keeps the chosen steps and drops the
//! rest, so that nothing outside it is created, changed or deleted. A
//! resource no longer declared is only deleted when it is named as a
//! target. A cut that would leave something broken is refused: a target
//! replaced while a resource outside the cut still uses it (the old copy
//! would be deleted under it). A name that matches nothing is an error that
//! lists the nearest names.

use std::collections::{BTreeSet, HashMap};

use strata_core::{Diagnostic, ResourceId, Stack};

use crate::plan::{Action, EngineError, Operation, Plan};

/// Which part of a plan to keep.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Keep only these resources and what they depend on (empty: all).
    pub targets: Vec<String>,
    /// With targets: keep what depends on them too.
    pub with_dependents: bool,
    /// Leave these resources and what depends on them out.
    pub exclude: Vec<String>,
}

impl Selection {
    /// True when the selection keeps the whole plan.
    pub fn is_all(&self) -> bool {
        self.targets.is_empty() && self.exclude.is_empty()
    }
}

/// The closure of `start` over `edges` (name to the names it reaches).
fn closure(start: &BTreeSet<ResourceId>, edges: &HashMap<ResourceId, Vec<ResourceId>>) -> BTreeSet<ResourceId> {
    let mut seen = start.clone();
    let mut todo: Vec<ResourceId> = start.iter().copied().collect();
    while let Some(n) = todo.pop() {
        for m in edges.get(&n).into_iter().flatten() {
            if seen.insert(*m) {
                todo.push(*m);
            }
        }
    }
    seen
}

/// The edit distance of two names, a swap of two neighbours counting as one
/// edit (for "did you mean": `web-gs` is one typo from `web-sg`).
fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

/// The (at most three) known names nearest `name`.
fn near<'a>(name: &str, known: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut scored: Vec<(usize, &str)> = known.map(|k| (if k.contains(name) || name.contains(k) { 0 } else { distance(name, k) }, k)).collect();
    scored.sort();
    scored.dedup();
    scored.into_iter().filter(|(d, _)| *d <= name.len().max(3) / 2 + 1).take(3).map(|(_, k)| k).collect()
}

impl Plan {
    /// The part of this plan `selection` keeps (the plan itself when it keeps
    /// everything). See the module docs.
    // The same error type as `Engine::plan`'s, so that a caller chains the two.
    #[allow(clippy::result_large_err)]
    pub fn select(mut self, stack: &Stack, selection: &Selection) -> Result<Plan, EngineError> {
        if selection.is_all() {
            return Ok(self);
        }
        let by_name: HashMap<&str, ResourceId> = stack.resources().iter().map(|d| (d.name.as_str(), d.id)).collect();
        let step_names: BTreeSet<&str> = self.steps.iter().map(|s| s.name.as_str()).collect();
        let mut problems = Vec::new();
        for name in selection.targets.iter().chain(&selection.exclude) {
            if !step_names.contains(name.as_str()) {
                let hint = near(name, step_names.iter().copied());
                let hint = if hint.is_empty() { String::new() } else { format!(": did you mean {}?", hint.iter().map(|h| format!("`{h}`")).collect::<Vec<_>>().join(", ")) };
                problems.push(Diagnostic::new(name.as_str(), None, format!("no resource of this stack is named `{name}`{hint}")));
            }
        }
        if !problems.is_empty() {
            return Err(EngineError::Refused(problems));
        }
        if self.operation == Operation::Destroy {
            return Ok(self.select_destroy(stack, selection));
        }
        let mut deps: HashMap<ResourceId, Vec<ResourceId>> = HashMap::new();
        let mut dependents: HashMap<ResourceId, Vec<ResourceId>> = HashMap::new();
        for d in stack.resources() {
            for dep in d.deps() {
                deps.entry(d.id).or_default().push(dep);
                dependents.entry(dep).or_default().push(d.id);
            }
        }
        let ids = |names: &[String]| names.iter().filter_map(|n| by_name.get(n.as_str()).copied()).collect::<BTreeSet<ResourceId>>();
        // Kept declarations: the targets and their dependencies (and dependents), or all.
        let mut keep: BTreeSet<ResourceId> = if selection.targets.is_empty() {
            stack.resources().iter().map(|d| d.id).collect()
        } else {
            let targets = ids(&selection.targets);
            let mut k = closure(&targets, &deps);
            if selection.with_dependents {
                let down = closure(&targets, &dependents);
                k.extend(closure(&down, &deps));
            }
            k
        };
        let excluded = closure(&ids(&selection.exclude), &dependents);
        keep.retain(|id| !excluded.contains(id));
        // Removals (resources no longer declared) only when named as targets.
        let named: BTreeSet<&str> = selection.targets.iter().map(String::as_str).collect();
        let excluded_names: BTreeSet<&str> = selection.exclude.iter().map(String::as_str).collect();
        self.steps.retain(|s| match s.decl {
            Some(d) => keep.contains(&d),
            None => named.contains(s.name.as_str()) && !excluded_names.contains(s.name.as_str()),
        });
        // A replaced resource's old copy is deleted once its dependents moved:
        // a dependent outside the cut would be left on a deleted copy.
        for s in self.steps.iter().filter(|s| s.action == Action::Replace) {
            let Some(d) = s.decl else { continue };
            let outside: Vec<&str> =
                dependents.get(&d).into_iter().flatten().filter(|x| !keep.contains(x)).filter_map(|x| stack.resource(*x)).map(|x| x.name.as_str()).collect();
            if !outside.is_empty() {
                problems.push(Diagnostic::new(
                    s.name.as_str(),
                    None,
                    format!(
                        "it is replaced, and {} outside the targeted part still use{} it: add {} as targets, or pass --target-dependents",
                        outside.iter().map(|o| format!("`{o}`")).collect::<Vec<_>>().join(", "),
                        if outside.len() == 1 { "s" } else { "" },
                        if outside.len() == 1 { "it" } else { "them" }
                    ),
                ));
            }
        }
        if !problems.is_empty() {
            return Err(EngineError::Refused(problems));
        }
        let mut what = Vec::new();
        if !selection.targets.is_empty() {
            let dependents = if selection.with_dependents { ", what depends on them" } else { "" };
            what.push(format!("only {}{dependents} and what they depend on", selection.targets.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", ")));
        }
        if !selection.exclude.is_empty() {
            what.push(format!("without {} and what depends on them", selection.exclude.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", ")));
        }
        let total = stack.resources().len();
        self.partial = Some(format!("{} ({} of {total} resources); nothing else is created, changed or deleted", what.join(", "), self.steps.len()));
        Ok(self)
    }

    /// A destroy cut: the targets and what depends on them (it would break
    /// without them), without the excluded ones and what they depend on.
    fn select_destroy(mut self, stack: &Stack, selection: &Selection) -> Plan {
        let mut deps: HashMap<String, Vec<String>> = HashMap::new();
        let mut dependents: HashMap<String, Vec<String>> = HashMap::new();
        for d in stack.resources() {
            for dep in d.deps().into_iter().filter_map(|x| stack.resource(x)) {
                deps.entry(d.name.clone()).or_default().push(dep.name.clone());
                dependents.entry(dep.name.clone()).or_default().push(d.name.clone());
            }
        }
        let reach = |start: &[String], edges: &HashMap<String, Vec<String>>| {
            let mut seen: BTreeSet<String> = start.iter().cloned().collect();
            let mut todo: Vec<String> = start.to_vec();
            while let Some(n) = todo.pop() {
                for m in edges.get(&n).into_iter().flatten() {
                    if seen.insert(m.clone()) {
                        todo.push(m.clone());
                    }
                }
            }
            seen
        };
        let all = selection.targets.is_empty();
        let doomed = reach(&selection.targets, &dependents);
        let spared = reach(&selection.exclude, &deps);
        let before = self.steps.len();
        self.steps.retain(|s| (all || doomed.contains(&s.name)) && !spared.contains(&s.name));
        let mut what = Vec::new();
        if !all {
            what.push(format!("only {} and what depends on them", selection.targets.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", ")));
        }
        if !selection.exclude.is_empty() {
            what.push(format!("without {} and what they depend on", selection.exclude.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", ")));
        }
        self.partial = Some(format!("{} ({} of {before} resources); nothing else is deleted", what.join(", "), self.steps.len()));
        self
    }
}

impl Plan {
    /// Replace these resources whatever their diff (`apply --replace NAME`):
    /// an unchanged or updated resource becomes a replacement (the old copy
    /// deleted first when nothing uses it, as its name may be needed again;
    /// otherwise the new copy first and the dependents moved to it before
    /// the old one goes); one
    /// not created yet is simply created. A name that matches no declared
    /// resource, or a protected resource, is refused.
    // The same error type as `Engine::plan`'s, so that a caller chains the two.
    #[allow(clippy::result_large_err)]
    pub fn force_replace(mut self, stack: &Stack, names: &[String]) -> Result<Plan, EngineError> {
        let known: Vec<String> = self.steps.iter().filter(|s| s.decl.is_some()).map(|s| s.name.clone()).collect();
        let mut problems = Vec::new();
        for name in names {
            let Some(step) = self.steps.iter_mut().find(|s| &s.name == name && s.decl.is_some()) else {
                let hint = near(name, known.iter().map(String::as_str));
                let hint = if hint.is_empty() { String::new() } else { format!(": did you mean {}?", hint.iter().map(|h| format!("`{h}`")).collect::<Vec<_>>().join(", ")) };
                problems.push(Diagnostic::new(name.as_str(), None, format!("no declared resource of this stack is named `{name}`{hint}")));
                continue;
            };
            let protected = step.decl.and_then(|d| stack.resource(d)).is_some_and(|d| d.options.protect) || step.observed.as_ref().is_some_and(|o| o.is_protected());
            match step.action {
                Action::Create => {}
                _ if protected => problems.push(Diagnostic::new(name.as_str(), None, "is protected: remove `protect` (and apply) before replacing it")),
                // Already replaced because the provider must: left as planned.
                Action::Replace => {}
                Action::NoOp | Action::Update => {
                    step.forced = true;
                    step.action = Action::Replace;
                    step.reason = Some("replacement asked for (--replace)".into());
                }
                other => problems.push(Diagnostic::new(name.as_str(), None, format!("cannot be replaced in this run: it is planned as {other:?}"))),
            }
        }
        if problems.is_empty() {
            Ok(self)
        } else {
            Err(EngineError::Refused(problems))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_names_are_suggested() {
        let known = ["web-sg", "web-lb", "db", "db-subnets"];
        assert_eq!(near("web-gs", known.iter().copied()).first(), Some(&"web-sg"));
        assert!(near("db", known.iter().copied()).contains(&"db"));
        assert!(near("zzzzzzzzzz", known.iter().copied()).is_empty());
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
