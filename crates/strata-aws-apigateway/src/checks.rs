//! The REST API's checks: what AWS would refuse, found before any call.

use strata_core::{Diagnostic, Input, ResourceDecl, Value};

use crate::rest_api::RestApiValues as V;

const HTTP_METHODS: [&str; 8] = ["ANY", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"];

fn path_problem(path: &str) -> Option<String> {
    if !path.starts_with('/') {
        return Some(format!("{path:?}: a path starts with /"));
    }
    let segs: Vec<&str> = path.split('/').skip(1).collect();
    if path != "/" && segs.iter().any(|s| s.is_empty()) {
        return Some(format!("{path:?}: a path has no empty segment (and no trailing /)"));
    }
    for (i, s) in segs.iter().enumerate().filter(|(_, s)| !s.is_empty()) {
        let param = s.starts_with('{') && s.ends_with('}');
        if s.ends_with("+}") && i + 1 != segs.len() {
            return Some(format!("{path:?}: a greedy parameter ({s}) must be the last segment"));
        }
        let ok = if param {
            s.trim_start_matches('{').trim_end_matches('}').trim_end_matches('+').chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        } else {
            s.chars().all(|c| c.is_ascii_alphanumeric() || "-._~:@!$&'()*+,;=".contains(c))
        };
        if !ok {
            return Some(format!("{path:?}: {s:?} is not a path segment API Gateway takes"));
        }
    }
    None
}

pub(crate) fn rest_api(decl: &ResourceDecl, out: &mut Vec<Diagnostic>) {
    let r = &decl.name;
    let s = |f: &str| decl.known(f).and_then(|v| v.as_str().map(str::to_string));
    let endpoint = s(V::endpoint_type).unwrap_or_else(|| "REGIONAL".into());
    if !["REGIONAL", "PRIVATE", "EDGE"].contains(&endpoint.as_str()) {
        out.push(Diagnostic::field(r, V::endpoint_type, format!("{endpoint:?} is not an endpoint type (REGIONAL, PRIVATE or EDGE)")));
    }
    let has = |f: &str| !matches!(decl.inputs.get(f), None | Some(Input::Known(Value::Null)));
    if endpoint == "PRIVATE" && !has(V::policy) {
        out.push(Diagnostic::field(r, V::policy, "a private API needs a resource policy (AWS refuses to deploy one without it): see RestApi::private"));
    }
    let endpoints = matches!(decl.inputs.get(V::vpc_endpoint_ids), Some(Input::List(l)) if !l.is_empty());
    if endpoint != "PRIVATE" && endpoints {
        out.push(Diagnostic::field(r, V::vpc_endpoint_ids, "only a PRIVATE API is bound to VPC endpoints"));
    }
    if let Some(stage) = s(V::stage_name) {
        if stage.is_empty() || stage.len() > 128 || !stage.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            out.push(Diagnostic::field(r, V::stage_name, format!("{stage:?} is not a stage name (1 to 128 of A-Z a-z 0-9 - _)")));
        }
    }
    for f in [V::throttle_burst, V::throttle_rate] {
        if let Some(n) = decl.known(f).and_then(|v| v.as_int()).filter(|n| *n < 0) {
            out.push(Diagnostic::field(r, f, format!("{n} is not a limit (0 or more)")));
        }
    }
    if let Some(f) = s(V::access_log_format).filter(|f| !f.contains("$context.requestId") && !f.contains("$context.extendedRequestId")) {
        out.push(Diagnostic::field(r, V::access_log_format, format!("{f:?}: an access-log format must hold $context.requestId (AWS refuses it otherwise)")));
    }
    let Some(Input::List(methods)) = decl.inputs.get(V::methods) else { return };
    if methods.is_empty() {
        out.push(Diagnostic::field(r, V::methods, "a REST API needs at least one method: AWS deploys none without, so its stage would point at no deployment"));
    }
    let mut seen: Vec<(String, String)> = Vec::new();
    for m in methods {
        let Input::Map(m) = m else { continue };
        let k = |f: &str| match m.get(f) {
            Some(Input::Known(Value::Str(x))) => Some(x.clone()),
            _ => None,
        };
        let (Some(path), Some(method)) = (k("path"), k("http_method")) else { continue };
        if let Some(p) = path_problem(&path) {
            out.push(Diagnostic::field(r, V::methods, p));
        }
        if !HTTP_METHODS.contains(&method.as_str()) {
            out.push(Diagnostic::field(r, V::methods, format!("{method} {path}: {method:?} is not an HTTP method API Gateway takes ({})", HTTP_METHODS.join(", "))));
        }
        if seen.contains(&(path.clone(), method.clone())) {
            out.push(Diagnostic::field(r, V::methods, format!("{method} {path} is declared twice")));
        }
        if let Some(u) = k("uri").filter(|u| !u.starts_with("http://") && !u.starts_with("https://")) {
            out.push(Diagnostic::field(r, V::methods, format!("{method} {path}: {u:?} is not an http:// or https:// URL")));
        }
        seen.push((path, method));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_checked_and_split() {
        assert_eq!(crate::rest_api::prefixes("/a/{id}/b"), ["/a", "/a/{id}", "/a/{id}/b"]);
        assert!(crate::rest_api::prefixes("/").is_empty());
        assert_eq!(path_problem("/orders/{id}"), None);
        assert_eq!(path_problem("/{proxy+}"), None);
        assert!(path_problem("orders").is_some());
        assert!(path_problem("/a//b").is_some());
        assert!(path_problem("/a/").is_some());
        assert!(path_problem("/{proxy+}/x").is_some());
        assert!(path_problem("/a b").is_some());
    }

}
