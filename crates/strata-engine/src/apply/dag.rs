//! The action DAG of a plan: one node per action (apply, delete the old copy,
//! remove), the edges between them (a -> b: b waits for a), and each node's
//! priority (its own estimate plus the longest chain after it).

use std::collections::HashMap;
use std::time::Duration;

use strata_core::{ResourceId, Stack};

use crate::plan::{Action, Operation, Step};
use crate::provider::{Observed, Op, Registry};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum NodeKind {
    /// Make a declared resource match (create, update, replace, adopt, or nothing).
    Apply(usize),
    /// Delete the replaced old copy of a declared resource once its dependents moved.
    DeleteOld(usize),
    /// Delete or release a resource that is no longer declared.
    Remove(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum State {
    Waiting,
    Running,
    Done,
    Failed,
    Skipped,
}

pub(super) struct Node {
    pub(super) kind: NodeKind,
    pub(super) deps_left: usize,
    pub(super) dependents: Vec<usize>,
    pub(super) priority: Duration,
    pub(super) state: State,
}

/// The action DAG of a plan: nodes, edges (a -> b: b waits for a), priorities.
pub(super) struct Graph {
    pub(super) nodes: Vec<Node>,
    /// Declaration to its Apply node.
    pub(super) apply_node: HashMap<ResourceId, usize>,
    /// Step index of a planned replacement to its DeleteOld node.
    pub(super) delete_old_node: HashMap<usize, usize>,
}

impl Graph {
    pub(super) fn build(stack: &Stack, registry: &Registry, steps: &[Step], operation: Operation) -> Graph {
        let mut g = Graph { nodes: Vec::new(), apply_node: HashMap::new(), delete_old_node: HashMap::new() };
        g.add_nodes(stack, steps);
        let mut edges = g.declared_edges(stack, steps);
        edges.extend(g.delete_old_edges(stack, steps));
        edges.extend(g.removal_edges(steps));
        if operation == Operation::Destroy {
            edges.extend(g.destroy_edges(stack, steps));
        }
        edges.sort_unstable();
        edges.dedup();
        for &(a, b) in &edges {
            g.nodes[a].dependents.push(b);
            g.nodes[b].deps_left += 1;
        }
        g.prioritize(registry, steps);
        g
    }

    fn add_node(&mut self, kind: NodeKind) -> usize {
        self.nodes.push(Node { kind, deps_left: 0, dependents: Vec::new(), priority: Duration::ZERO, state: State::Waiting });
        self.nodes.len() - 1
    }

    fn add_nodes(&mut self, stack: &Stack, steps: &[Step]) {
        for (i, step) in steps.iter().enumerate() {
            let Some(d) = step.decl else {
                self.add_node(NodeKind::Remove(i));
                continue;
            };
            let n = self.add_node(NodeKind::Apply(i));
            self.apply_node.insert(d, n);
            // A forced replacement (`--replace`, `replace_on_changes`) of a
            // resource nothing uses deletes the old copy first: the new copy
            // may need its name (nothing changed that would give it another).
            let unused = !stack.resources().iter().any(|o| o.deps().contains(&d));
            let delete_first = stack.resource(d).is_some_and(|x| x.options.delete_before_replace) || (step.forced && unused);
            if step.action == Action::Replace && !delete_first {
                let m = self.add_node(NodeKind::DeleteOld(i));
                self.delete_old_node.insert(i, m);
            }
        }
    }

    /// A declared resource waits for the declarations it references.
    fn declared_edges(&self, stack: &Stack, steps: &[Step]) -> Vec<(usize, usize)> {
        let mut edges = Vec::new();
        for (n, node) in self.nodes.iter().enumerate() {
            let NodeKind::Apply(i) = node.kind else { continue };
            let Some(decl) = steps[i].decl.and_then(|d| stack.resource(d)) else { continue };
            edges.extend(decl.deps().into_iter().filter_map(|dep| self.apply_node.get(&dep)).map(|&m| (m, n)));
        }
        edges
    }

    /// Old copies go after the new one and after every declared dependent moved over.
    fn delete_old_edges(&self, stack: &Stack, steps: &[Step]) -> Vec<(usize, usize)> {
        let mut edges = Vec::new();
        for (&i, &m) in &self.delete_old_node {
            let Some(d) = steps[i].decl else { continue };
            if let Some(&a) = self.apply_node.get(&d) {
                edges.push((a, m));
            }
            for other in stack.resources().iter().filter(|o| o.deps().contains(&d)) {
                if let Some(&a) = self.apply_node.get(&other.id) {
                    edges.push((a, m));
                }
            }
        }
        edges
    }

    /// A removal waits for everything that referenced the removed resource:
    /// declared resources moving off it, and other removals.
    fn removal_edges(&self, steps: &[Step]) -> Vec<(usize, usize)> {
        let holders: Vec<(usize, &Observed)> = self
            .nodes
            .iter()
            .enumerate()
            .filter_map(|(n, node)| steps[step_index(node.kind)].observed.as_ref().map(|o| (n, o)))
            .collect();
        let mut edges = Vec::new();
        for (n, node) in self.nodes.iter().enumerate() {
            let NodeKind::Remove(i) = node.kind else { continue };
            let Some(target) = &steps[i].observed else { continue };
            for (m, holder) in &holders {
                if *m != n && holder.refs.iter().any(|r| r == &target.id) {
                    edges.push((*m, n));
                }
            }
        }
        edges
    }

    /// In a destroy, declared dependency order also orders removals (in reverse).
    fn destroy_edges(&self, stack: &Stack, steps: &[Step]) -> Vec<(usize, usize)> {
        let by_name: HashMap<&str, usize> = self
            .nodes
            .iter()
            .enumerate()
            .filter_map(|(n, node)| match node.kind {
                NodeKind::Remove(i) => Some((steps[i].name.as_str(), n)),
                _ => None,
            })
            .collect();
        let mut edges = Vec::new();
        for decl in stack.resources() {
            let Some(&child) = by_name.get(decl.name.as_str()) else { continue };
            for dep in decl.deps() {
                if let Some(parent) = stack.resource(dep).and_then(|p| by_name.get(p.name.as_str())) {
                    edges.push((child, *parent));
                }
            }
        }
        edges
    }

    /// Priorities: own estimate plus the longest chain of dependents.
    fn prioritize(&mut self, registry: &Registry, steps: &[Step]) {
        for n in topo(&self.nodes).into_iter().rev() {
            let tail = self.nodes[n].dependents.iter().map(|&m| self.nodes[m].priority).max().unwrap_or(Duration::ZERO);
            self.nodes[n].priority = estimate(registry, steps, self.nodes[n].kind) + tail;
        }
    }
}

/// The provider's estimate of one node's duration.
fn estimate(registry: &Registry, steps: &[Step], kind: NodeKind) -> Duration {
    let (i, op) = match kind {
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

pub(super) fn step_index(kind: NodeKind) -> usize {
    match kind {
        NodeKind::Apply(i) | NodeKind::DeleteOld(i) | NodeKind::Remove(i) => i,
    }
}
