//! What API Gateway's two custom-domain kinds share (REST APIs'
//! `aws:apigateway:DomainName` and HTTP APIs' `aws:apigatewayv2:DomainName`):
//! the checks, and the `mappings` field: a list of maps `{api, stage, path}`
//! (the root as `""`), sorted by path, brought in line by deleting what is no
//! longer wanted and creating what is missing.

use std::collections::BTreeMap;

use strata_core::{Arg, Diagnostic, Input, Props, ResourceDecl, Value};

/// One mapping: (api id, stage, base path), the root as `""`.
pub type Mapping = (String, String, String);

/// The declared form of a mapping: `api`'s `stage` at base path `path`.
pub fn mapping_input(api: Arg<String>, stage: &str, path: &str) -> Input {
    Input::Map(BTreeMap::from([
        ("api".to_string(), api.into_input()),
        ("stage".to_string(), Input::Known(Value::str(stage))),
        ("path".to_string(), Input::Known(Value::str(path))),
    ]))
}

/// The observed form of a mapping.
pub fn mapping_value((api, stage, path): Mapping) -> Value {
    Value::Map(BTreeMap::from([("api".to_string(), Value::Str(api)), ("stage".to_string(), Value::Str(stage)), ("path".to_string(), Value::Str(path))]))
}

/// A mapping value's parts (`None` for a value that is not one).
pub fn mapping_of(v: &Value) -> Option<Mapping> {
    let m = v.as_map()?;
    let s = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_string);
    Some((s("api")?, s("stage")?, s("path").unwrap_or_default()))
}

/// Observed mappings as values, sorted by path (as [`normalize`] sorts).
pub fn observed(mappings: impl IntoIterator<Item = Mapping>) -> Vec<Value> {
    let mut l: Vec<Value> = mappings.into_iter().map(mapping_value).collect();
    l.sort_by_key(|v| mapping_of(v).map(|m| m.2));
    l
}

/// Sort the `mappings` prop by path, so that order never shows as a change.
pub fn normalize(props: &mut Props) {
    if let Some(Value::List(l)) = props.get_mut("mappings") {
        l.sort_by_key(|v| mapping_of(v).map(|m| m.2));
    }
}

/// What brings `have` (the service's mappings, read as [`Mapping`]s by
/// `key`) to `want` (the declared values): the mappings to delete, then the
/// ones to create.
pub fn changes<'a, M>(have: &'a [M], key: impl Fn(&M) -> Mapping, want: &[Value]) -> (Vec<&'a M>, Vec<Mapping>) {
    let wanted: Vec<Mapping> = want.iter().filter_map(mapping_of).collect();
    let had: Vec<Mapping> = have.iter().map(&key).collect();
    let delete = have.iter().zip(&had).filter(|(_, k)| !wanted.contains(k)).map(|(m, _)| m).collect();
    let create = wanted.into_iter().filter(|w| !had.contains(w)).collect();
    (delete, create)
}

/// The checks both kinds share:
/// `domain` is a domain name, `certificate_arn` an ACM certificate's ARN, and
/// the `path`s of the `mappings` are unique, without a leading or trailing
/// `/`, and none of `reserved` (API Gateway's own words for the root).
pub fn validate(decl: &ResourceDecl, reserved: &[&str], out: &mut Vec<Diagnostic>) {
    let r = &decl.name;
    if let Some(d) = decl.known("domain").and_then(|v| v.as_str().map(str::to_string)) {
        let ok = d.contains('.') && d.len() <= 253 && d.split('.').all(|l| !l.is_empty() && l.len() <= 63 && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        if !ok {
            out.push(Diagnostic::field(r, "domain", format!("{d:?} is not a domain name")));
        }
    }
    if let Some(c) = decl.known("certificate_arn").and_then(|v| v.as_str().map(str::to_string)).filter(|c| !c.starts_with("arn:") || !c.contains(":acm:")) {
        out.push(Diagnostic::field(r, "certificate_arn", format!("{c:?} is not an ACM certificate's ARN")));
    }
    let mut paths: Vec<&String> = Vec::new();
    let Some(Input::List(l)) = decl.inputs.get("mappings") else { return };
    for m in l {
        let Input::Map(m) = m else { continue };
        let Some(Input::Known(Value::Str(p))) = m.get("path") else { continue };
        if paths.contains(&p) {
            out.push(Diagnostic::field(r, "mappings", format!("two mappings at the base path {p:?}")));
        }
        if p.starts_with('/') || p.ends_with('/') || reserved.contains(&p.as_str()) {
            out.push(Diagnostic::field(r, "mappings", format!("{p:?}: a base path has no leading or trailing / (\"\" for the root)")));
        }
        paths.push(p);
    }
}
