//! Small readers of desired properties shared by the services' providers.

use strata_core::Props;

/// The list of strings in a prop.
pub fn strs(props: &Props, k: &str) -> Vec<String> {
    props
        .get(k)
        .and_then(strata_core::Value::as_list)
        .map(|l| l.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// A string prop.
pub fn str_of(props: &Props, k: &str) -> Option<String> {
    props.get(k).and_then(|v| v.as_str().map(str::to_string))
}

/// The stores' common check: do the subnets a subnet-group input names span
/// at least two AZs? `None` when the AZs are not known at plan time.
pub fn subnet_group_azs(stack: &strata_core::Stack, group: &strata_core::Input) -> Option<std::collections::BTreeSet<String>> {
    let (gid, _) = group.source()?;
    let g = stack.resource(gid)?;
    let strata_core::Input::List(subnets) = g.inputs.get("subnet_ids")? else { return None };
    subnet_azs(stack, subnets)
}

/// The AZs of subnets declared in the stack; `None` when one is not known at plan time.
pub fn subnet_azs(stack: &strata_core::Stack, subnets: &[strata_core::Input]) -> Option<std::collections::BTreeSet<String>> {
    let mut azs = std::collections::BTreeSet::new();
    for s in subnets {
        let (sid, _) = s.source()?;
        let az = stack.resource(sid)?.known("availability_zone")?;
        azs.insert(az.as_str()?.to_string());
    }
    Some(azs)
}

/// The checks every subnet group shares (RDS, ElastiCache): an explicit name
/// follows `rules` and is not `default`; at least two subnets, in two AZs.
pub fn validate_subnet_group(
    decl: &strata_core::ResourceDecl,
    stack: &strata_core::Stack,
    rules: crate::naming::IdRules,
    service: &str,
    out: &mut Vec<strata_core::Diagnostic>,
) {
    use strata_core::{Diagnostic, Input};
    if let Some(n) = decl.known("name").and_then(|v| v.as_str().map(str::to_string)) {
        if let Some(p) = crate::naming::id_problem(rules, &n) {
            out.push(Diagnostic::field(&decl.name, "name", p));
        } else if n.eq_ignore_ascii_case("default") {
            out.push(Diagnostic::field(&decl.name, "name", format!("\"default\" is reserved by {service}")));
        }
    }
    let subnets = match decl.inputs.get("subnet_ids") {
        Some(Input::List(l)) if l.len() >= 2 => l,
        _ => {
            out.push(Diagnostic::field(&decl.name, "subnet_ids", "a subnet group needs at least two subnets (in two AZs)"));
            return;
        }
    };
    if let Some(azs) = subnet_azs(stack, subnets) {
        if azs.len() < 2 {
            let azs: Vec<_> = azs.into_iter().collect();
            out.push(Diagnostic::field(&decl.name, "subnet_ids", format!("the subnets are all in {}; they must span two AZs", azs.join(", "))));
        }
    }
}

/// A daily (`03:00-04:00`) or, `with_day`, weekly (`sun:05:00-sun:06:00`)
/// window in UTC, as RDS and DocumentDB take them.
pub fn window_ok(w: &str, with_day: bool) -> bool {
    let time = |s: &str| {
        let b = s.as_bytes();
        b.len() == 5
            && b[2] == b':'
            && s[..2].parse::<u32>().is_ok_and(|h| h < 24)
            && s[3..].parse::<u32>().is_ok_and(|m| m < 60)
    };
    let point = |s: &str| {
        if with_day {
            let Some((d, t)) = s.split_once(':') else { return false };
            ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].contains(&d.to_ascii_lowercase().as_str()) && time(t)
        } else {
            time(s)
        }
    };
    w.split_once('-').is_some_and(|(a, b)| point(a) && point(b))
}
