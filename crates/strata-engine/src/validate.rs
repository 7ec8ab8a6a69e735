//! Whole-program validation: every problem at once, before any API call.

use std::collections::{BTreeMap, HashMap};

use strata_core::{tags, Diagnostic, Invalid, Mode, ResourceDecl, Stack};

use crate::graph::DepGraph;
use crate::provider::Registry;

/// Names may use letters, digits and `-_./:`; `/` separates component prefixes.
fn check_name(d: &ResourceDecl, out: &mut Vec<Diagnostic>) {
    let ok_chars = d.name.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:".contains(c));
    if d.name.is_empty() || d.name.len() > 200 || !ok_chars {
        out.push(Diagnostic::new(
            &d.name,
            Some("name"),
            "logical names are 1-200 characters of letters, digits and - _ . / :",
        ));
    }
}

/// Validate the program. Returns the plan warnings, or every problem found.
pub fn validate(stack: &Stack, registry: &Registry) -> Result<Vec<Diagnostic>, Invalid> {
    let mut problems = Vec::new();
    let mut warnings = Vec::new();

    if stack.name().is_empty()
        || stack.name().len() > 64
        || !stack.name().chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        problems.push(Diagnostic::new(
            "stack",
            Some("name"),
            format!("stack name {:?} must be 1-64 letters, digits, - or _", stack.name()),
        ));
    }

    let mut seen: HashMap<&str, usize> = HashMap::new();
    for d in stack.resources() {
        check_name(d, &mut problems);
        *seen.entry(d.name.as_str()).or_default() += 1;
    }
    let mut dups: Vec<(&str, usize)> = seen.into_iter().filter(|(_, n)| *n > 1).collect();
    dups.sort();
    for (name, n) in dups {
        problems.push(Diagnostic::new(name, Some("name"), format!("declared {n} times; logical names must be unique")));
    }

    let mut by_kind: BTreeMap<&'static str, Vec<&ResourceDecl>> = BTreeMap::new();
    for d in stack.resources() {
        match registry.get(d.kind) {
            None => problems.push(Diagnostic::new(
                &d.name,
                None,
                format!("no provider for kind {} (is its cargo feature enabled?)", d.kind),
            )),
            Some(p) => {
                if let Some(tags_input) = d.inputs.get("tags") {
                    if let Some(t) = tags_input.known() {
                        for k in t.as_tags().keys() {
                            if tags::ALL.contains(&k.as_str()) {
                                problems.push(Diagnostic::field(
                                    &d.name,
                                    "tags",
                                    format!("tag key {k} is reserved for strata's state tags"),
                                ));
                            }
                        }
                    }
                }
                if matches!(d.mode, Mode::Managed) {
                    p.validate(d, stack, &mut problems);
                    p.warnings(d, stack, &mut warnings);
                    by_kind.entry(d.kind).or_default().push(d);
                }
                if d.options.protect && d.options.retain_on_delete {
                    // Legal, but worth knowing.
                    warnings.push(Diagnostic::new(&d.name, None, "protect and retain_on_delete are both set"));
                }
            }
        }
    }
    for (kind, decls) in &by_kind {
        if let Some(p) = registry.get(kind) {
            p.validate_all(decls, stack, &mut problems);
        }
    }

    problems.extend(DepGraph::dangling(stack));
    problems.extend(DepGraph::build(stack).cycles(stack));

    if problems.is_empty() {
        Ok(warnings)
    } else {
        problems.sort();
        problems.dedup();
        Err(Invalid(problems))
    }
}
