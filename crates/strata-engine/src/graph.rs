//! The dependency graph of a stack's declarations, cycle detection and rendering.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use strata_core::{Diagnostic, ResourceId, Stack};

/// Edges point from a dependency to its dependent (`vpc -> subnet`).
#[derive(Debug, Clone)]
pub struct DepGraph {
    pub graph: DiGraph<ResourceId, ()>,
}

impl DepGraph {
    /// Build from the references between declarations. References to ids that
    /// do not exist in the stack are reported by [`DepGraph::dangling`].
    pub fn build(stack: &Stack) -> DepGraph {
        let mut graph = DiGraph::with_capacity(stack.resources().len(), stack.resources().len() * 2);
        for d in stack.resources() {
            graph.add_node(d.id);
        }
        for d in stack.resources() {
            for dep in d.deps() {
                if stack.owns(dep) {
                    graph.add_edge(NodeIndex::new(dep.0), NodeIndex::new(d.id.0), ());
                }
            }
        }
        DepGraph { graph }
    }

    /// References to resources that are not part of this stack (an output of
    /// another `Stack` value passed in by mistake).
    pub fn dangling(stack: &Stack) -> Vec<Diagnostic> {
        const HOW: &str = "refers to a resource of another stack; a stack reaches another stack's resources \
                           only through a stack reference (LookupQuery::StackRef)";
        let mut out = Vec::new();
        for d in stack.resources() {
            for (field, input) in &d.inputs {
                let mut deps = BTreeSet::new();
                input.deps(&mut deps);
                if deps.iter().any(|id| !stack.owns(*id)) {
                    out.push(Diagnostic::field(&d.name, field, HOW));
                }
            }
            if d.options.depends_on.iter().any(|id| !stack.owns(*id)) {
                out.push(Diagnostic::field(&d.name, "depends_on", HOW));
            }
        }
        for (name, input) in stack.exports() {
            let mut deps = BTreeSet::new();
            input.deps(&mut deps);
            if deps.iter().any(|id| !stack.owns(*id)) {
                out.push(Diagnostic::field("stack", &format!("export {name}"), HOW));
            }
        }
        out
    }

    /// One diagnostic per cycle, listing every member in a stable (sorted) order.
    pub fn cycles(&self, stack: &Stack) -> Vec<Diagnostic> {
        let mut cycles: Vec<Vec<String>> = tarjan_scc(&self.graph)
            .into_iter()
            .filter(|scc| scc.len() > 1 || scc.iter().any(|n| self.graph.contains_edge(*n, *n)))
            .map(|scc| {
                let mut names: Vec<String> =
                    scc.iter().filter_map(|n| stack.resource(self.graph[*n]).map(|d| d.name.clone())).collect();
                names.sort();
                names
            })
            .collect();
        cycles.sort();
        cycles
            .into_iter()
            .map(|names| {
                Diagnostic::new(
                    names.first().cloned().unwrap_or_default(),
                    None,
                    format!("dependency cycle between {}", names.join(", ")),
                )
            })
            .collect()
    }

    /// Declarations in an order where every dependency comes first; ties keep
    /// declaration order. Only valid on an acyclic graph.
    pub fn topo_order(&self) -> Vec<ResourceId> {
        let n = self.graph.node_count();
        let mut indeg: Vec<usize> =
            (0..n).map(|i| self.graph.neighbors_directed(NodeIndex::new(i), petgraph::Incoming).count()).collect();
        let mut ready: BTreeSet<usize> = (0..n).filter(|i| indeg[*i] == 0).collect();
        let mut out = Vec::with_capacity(n);
        while let Some(i) = ready.pop_first() {
            out.push(self.graph[NodeIndex::new(i)]);
            for m in self.graph.neighbors_directed(NodeIndex::new(i), petgraph::Outgoing) {
                indeg[m.index()] -= 1;
                if indeg[m.index()] == 0 {
                    ready.insert(m.index());
                }
            }
        }
        out
    }

    /// Graphviz DOT, nodes named by logical name and labelled with their kind.
    pub fn to_dot(&self, stack: &Stack) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "digraph {:?} {{", stack.name());
        let _ = writeln!(s, "  rankdir=LR;");
        let _ = writeln!(s, "  node [shape=box, fontname=\"monospace\"];");
        for d in stack.resources() {
            let style = if d.is_lookup() { ", style=dashed" } else { "" };
            let _ = writeln!(s, "  {:?} [label={:?}{}];", d.name, format!("{}\n{}", d.name, d.kind), style);
        }
        let mut edges: Vec<(String, String)> = self
            .graph
            .edge_indices()
            .filter_map(|e| {
                let (a, b) = self.graph.edge_endpoints(e)?;
                Some((stack.resource(self.graph[a])?.name.clone(), stack.resource(self.graph[b])?.name.clone()))
            })
            .collect();
        edges.sort();
        edges.dedup();
        for (a, b) in edges {
            let _ = writeln!(s, "  {a:?} -> {b:?};");
        }
        s.push_str("}\n");
        s
    }

    /// One line per resource with what it depends on, in dependency order.
    pub fn to_text(&self, stack: &Stack) -> String {
        let mut s = String::new();
        for id in self.topo_order() {
            let Some(d) = stack.resource(id) else { continue };
            let deps: Vec<&str> =
                d.deps().iter().filter_map(|x| stack.resource(*x)).map(|x| x.name.as_str()).collect();
            let _ = write!(s, "{} ({})", d.name, d.kind);
            if !deps.is_empty() {
                let _ = write!(s, " <- {}", deps.join(", "));
            }
            s.push('\n');
        }
        s
    }
}
