//! The checks of an HTTP API's declaration (route keys, authorizers, route
//! targets, CORS, limits, logs, stage), before any API call.

use strata_core::{Diagnostic, Input, ResourceDecl, Value};

use crate::http_api::HttpApiValues as V;

const METHODS: [&str; 8] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"];

/// Why `key` is not a route key (`$default`, or `METHOD /path` with
/// `{param}` segments and a greedy `{proxy+}` last).
pub(crate) fn route_key_problem(key: &str) -> Option<String> {
    if key == "$default" {
        return None;
    }
    let shape = "route keys are `METHOD /path` (GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY) or $default";
    let Some((method, path)) = key.split_once(' ') else { return Some(format!("{key:?} is not a route key: {shape}")) };
    if !METHODS.contains(&method) {
        return Some(format!("{key:?}: {method:?} is not a method ({shape})"));
    }
    if !path.starts_with('/') || path.contains(' ') || path.contains("//") {
        return Some(format!("{key:?}: the path must start with / ({shape})"));
    }
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    for (i, s) in segments.iter().enumerate() {
        if s.starts_with('{') != s.ends_with('}') {
            return Some(format!("{key:?}: {s:?} is not a path segment (a name, or {{param}})"));
        }
        if s.ends_with("+}") && i + 1 != segments.len() {
            return Some(format!("{key:?}: a greedy {s} must be the last segment"));
        }
    }
    None
}

/// An HTTP API's own checks, before any API call.
pub(crate) fn http_api(decl: &ResourceDecl, out: &mut Vec<Diagnostic>) {
    let r = &decl.name;
    let list = |f: &str| match decl.inputs.get(f) {
        Some(Input::List(l)) => l.clone(),
        _ => Vec::new(),
    };
    let known_str = |i: Option<&Input>| match i {
        Some(Input::Known(Value::Str(s))) => Some(s.clone()),
        _ => None,
    };
    let mut authorizers = Vec::new();
    for a in list(V::authorizers) {
        let Input::Map(m) = a else { continue };
        let Some(name) = known_str(m.get("name")) else { continue };
        if authorizers.contains(&name) {
            out.push(Diagnostic::field(r, V::authorizers, format!("two authorizers are named {name:?}")));
        }
        if let Some(i) = known_str(m.get("issuer")).filter(|i| !i.starts_with("https://")) {
            out.push(Diagnostic::field(r, V::authorizers, format!("authorizer {name:?}: the issuer {i:?} is not an https:// URL")));
        }
        if matches!(m.get("audience"), Some(Input::List(l)) if l.is_empty()) {
            out.push(Diagnostic::field(r, V::authorizers, format!("authorizer {name:?} names no audience (the app client ids)")));
        }
        authorizers.push(name);
    }
    let mut keys = Vec::new();
    for route in list(V::routes) {
        let Input::Map(m) = route else { continue };
        let Some(key) = known_str(m.get("route_key")) else { continue };
        if let Some(p) = route_key_problem(&key) {
            out.push(Diagnostic::field(r, V::routes, p));
        }
        if keys.contains(&key) {
            out.push(Diagnostic::field(r, V::routes, format!("two routes have the key {key:?}")));
        }
        let auth = known_str(m.get("authorizer"));
        if let Some(a) = auth.as_ref().filter(|a| !authorizers.contains(a)) {
            out.push(Diagnostic::field(r, V::routes, format!("route {key:?} names the authorizer {a:?}, which is not declared (add .authorizer(Authorizer::jwt({a:?}, ...)))")));
        }
        if auth.is_none() && matches!(m.get("scopes"), Some(Input::Known(Value::List(l))) if !l.is_empty()) {
            out.push(Diagnostic::field(r, V::routes, format!("route {key:?} asks for scopes without an authorizer")));
        }
        let ty = known_str(m.get("integration_type"));
        if let Some(uri) = known_str(m.get("integration_uri")) {
            let private = !matches!(m.get("connection_id"), Some(Input::Known(Value::Null)) | None);
            match (ty.as_deref(), private) {
                (Some("AWS_PROXY"), _) if !(uri.starts_with("arn:") && uri.contains(":lambda:") && uri.contains(":function:")) => {
                    out.push(Diagnostic::field(r, V::routes, format!("route {key:?}: {uri:?} is not a Lambda function's ARN")));
                }
                (Some("HTTP_PROXY"), false) if !(uri.starts_with("https://") || uri.starts_with("http://")) => {
                    out.push(Diagnostic::field(r, V::routes, format!("route {key:?}: {uri:?} is not an http(s):// URL")));
                }
                (Some("HTTP_PROXY"), true) if !(uri.starts_with("arn:") && uri.contains(":elasticloadbalancing:") && uri.contains(":listener/")) => {
                    out.push(Diagnostic::field(r, V::routes, format!("route {key:?}: a private route targets a load balancer listener's ARN, not {uri:?}")));
                }
                _ => {}
            }
        }
        keys.push(key);
    }
    let origins: Vec<String> = match decl.known(V::cors_origins) {
        Some(Value::List(l)) => l.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        _ => Vec::new(),
    };
    for o in origins.iter().filter(|o| *o != "*" && !(o.starts_with("https://") || o.starts_with("http://"))) {
        out.push(Diagnostic::field(r, V::cors_origins, format!("{o:?} is not an origin (https://host, or *)")));
    }
    for f in [V::throttle_burst, V::throttle_rate, V::cors_max_age] {
        if let Some(n) = decl.known(f).and_then(|v| v.as_int()).filter(|n| *n < 0) {
            out.push(Diagnostic::field(r, f, format!("{n}: must be 0 or more")));
        }
    }
    if let Some(a) = decl.known(V::access_log_arn).and_then(|v| v.as_str().map(str::to_string)).filter(|a| !a.starts_with("arn:") || !a.contains(":logs:")) {
        out.push(Diagnostic::field(r, V::access_log_arn, format!("{a:?} is not a CloudWatch Logs group's ARN")));
    }
    if let Some(s) = decl.known(V::stage_name).and_then(|v| v.as_str().map(str::to_string)) {
        let ok = s == "$default" || (!s.is_empty() && s.len() <= 128 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        if !ok {
            out.push(Diagnostic::field(r, V::stage_name, format!("{s:?} is not a stage name ($default, or 1 to 128 of A-Z a-z 0-9 - _)")));
        }
    }
}
