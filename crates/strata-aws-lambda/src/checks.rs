//! The checks of a function's declaration, before any API call.

use strata_core::{Diagnostic, Input, ResourceDecl, Value};

use crate::function::{FunctionValues as V, DIRECT_UPLOAD_MAX};

/// The runtime families Lambda has, with the handler shape each takes.
const FAMILIES: [(&str, &str); 6] = [
    ("python", "module.function, such as index.handler"),
    ("nodejs", "file.export, such as index.handler"),
    ("ruby", "file.method, such as function.handler"),
    ("java", "package.Class::method, such as example.Handler::handleRequest"),
    ("dotnet", "Assembly::Namespace.Class::Method"),
    ("provided", "any name the custom runtime reads, such as bootstrap"),
];

/// Variables Lambda sets itself: a function cannot set them.
const RESERVED: [&str; 17] = [
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
];

fn ident(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// Whether `handler` has the shape `family`'s runtimes take.
pub(crate) fn handler_fits(family: &str, handler: &str) -> bool {
    match family {
        "python" | "nodejs" | "ruby" => handler.rsplit_once('.').is_some_and(|(file, f)| {
            !file.is_empty() && ident(f) && file.chars().all(|c| c.is_ascii_alphanumeric() || "_-./".contains(c)) && !file.starts_with('/')
        }),
        "java" => {
            let (class, method) = handler.split_once("::").map_or((handler, None), |(c, m)| (c, Some(m)));
            class.split('.').all(ident) && method.is_none_or(ident)
        }
        "dotnet" => {
            let parts: Vec<&str> = handler.split("::").collect();
            parts.len() == 3 && parts.iter().all(|p| !p.is_empty() && p.split('.').all(ident))
        }
        _ => !handler.is_empty() && handler.len() <= 128,
    }
}

pub(crate) fn function(decl: &ResourceDecl, out: &mut Vec<Diagnostic>) {
    let r = &decl.name;
    let known = |f: &str| decl.known(f).and_then(|v| v.as_str().map(str::to_string));
    let int = |f: &str| decl.known(f).and_then(|v| v.as_int());
    if let Some(p) = known(V::name).and_then(|n| strata_aws::naming::dashed_name_problem("Lambda function", &n, 64, false)) {
        out.push(Diagnostic::field(r, V::name, p));
    }
    if let Some(p) = known(V::code_problem) {
        out.push(Diagnostic::field(r, "code", p));
    }
    let has_archive = decl.inputs.contains_key(V::code_path);
    let has_s3 = decl.inputs.get(V::code_s3).is_some_and(|i| !matches!(i, Input::Known(Value::Null)));
    if !has_archive && !has_s3 {
        out.push(Diagnostic::field(r, "code", "the function has no code: use Function::from_zip, from_dir or from_s3"));
    }
    if let Some(size) = int(V::code_size).filter(|s| *s > DIRECT_UPLOAD_MAX) {
        out.push(Diagnostic::field(r, "code", format!("the archive is {size} bytes; Lambda takes at most {DIRECT_UPLOAD_MAX} directly: upload it to S3 and use Function::from_s3")));
    }
    if let Some(loc) = known(V::code_s3) {
        let ok = loc.strip_prefix("s3://").and_then(|p| p.split('#').next()).and_then(|p| p.split_once('/')).is_some_and(|(b, k)| !b.is_empty() && !k.is_empty());
        if !ok {
            out.push(Diagnostic::field(r, V::code_s3, format!("{loc:?} is not s3://bucket/key")));
        }
    }
    if let Some(rt) = known(V::runtime) {
        match FAMILIES.iter().find(|(f, _)| rt.starts_with(f)) {
            None => {
                let names: Vec<&str> = FAMILIES.iter().map(|(f, _)| *f).collect();
                out.push(Diagnostic::field(r, V::runtime, format!("{rt:?} is not a Lambda runtime (python3.x, nodejs2x.x, java21, ...: the families are {})", names.join(", "))));
            }
            Some((family, shape)) => {
                if let Some(h) = known(V::handler).filter(|h| !handler_fits(family, h)) {
                    out.push(Diagnostic::field(r, V::handler, format!("{h:?} is not a {rt} handler ({shape})")));
                }
            }
        }
    }
    if let Some(m) = int(V::memory).filter(|m| !(128..=10_240).contains(m)) {
        out.push(Diagnostic::field(r, V::memory, format!("{m} MB: Lambda takes 128 to 10,240 MB")));
    }
    if let Some(t) = int(V::timeout).filter(|t| !(1..=900).contains(t)) {
        out.push(Diagnostic::field(r, V::timeout, format!("{t} s: Lambda takes 1 to 900 seconds")));
    }
    if let Some(a) = known(V::architecture).filter(|a| a != "x86_64" && a != "arm64") {
        out.push(Diagnostic::field(r, V::architecture, format!("{a:?} is neither x86_64 nor arm64")));
    }
    if let Some(n) = int(V::reserved_concurrency).filter(|n| *n < 0) {
        out.push(Diagnostic::field(r, V::reserved_concurrency, format!("{n}: reserved concurrency is 0 or more")));
    }
    for f in [V::role, V::kms_key_arn] {
        if let Some(a) = known(f).filter(|a| !a.starts_with("arn:")) {
            out.push(Diagnostic::field(r, f, format!("{a:?}: give the ARN")));
        }
    }
    let count = |f: &str| match decl.inputs.get(f) {
        Some(Input::List(l)) => l.len(),
        _ => 0,
    };
    match (count(V::subnets), count(V::security_groups)) {
        (0, 0) => {}
        (0, _) => out.push(Diagnostic::field(r, V::subnets, "security groups without subnets: a function in a VPC needs both")),
        (_, 0) => out.push(Diagnostic::field(r, V::security_groups, "subnets without security groups: a function in a VPC needs both")),
        _ => {}
    }
    let mut size = 0usize;
    let mut seen = std::collections::BTreeSet::new();
    if let Some(Input::List(vars)) = decl.inputs.get(V::environment) {
        for var in vars {
            let Input::Map(m) = var else { continue };
            let Some(Input::Known(Value::Str(name))) = m.get("name") else { continue };
            let name_ok = name.len() >= 2 && name.starts_with(|c: char| c.is_ascii_alphabetic()) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !name_ok {
                out.push(Diagnostic::field(r, V::environment, format!("{name:?} is not a variable name (a letter, then letters, digits or _)")));
            }
            if RESERVED.contains(&name.as_str()) {
                out.push(Diagnostic::field(r, V::environment, format!("{name} is set by Lambda itself")));
            }
            if !seen.insert(name.clone()) {
                out.push(Diagnostic::field(r, V::environment, format!("{name} is set twice")));
            }
            size += name.len();
            // The value's length only: a secret value is never shown.
            if let Some(Input::Known(v)) = m.get("value") {
                size += v.expose().as_str().map_or(0, str::len);
            }
        }
    }
    if size > 4096 {
        out.push(Diagnostic::field(r, V::environment, format!("the variables take {size} bytes; Lambda allows 4 KB (keep large values in Secrets Manager or SSM)")));
    }
}

#[cfg(test)]
mod tests {
    use super::handler_fits;

    #[test]
    fn handlers_fit_their_runtime_family() {
        assert!(handler_fits("python", "index.handler"));
        assert!(handler_fits("python", "app/main.lambda_handler"));
        assert!(!handler_fits("python", "index"));
        assert!(!handler_fits("python", "index."));
        assert!(!handler_fits("nodejs", "handler"));
        assert!(handler_fits("java", "example.Handler::handleRequest"));
        assert!(handler_fits("java", "example.Handler"));
        assert!(!handler_fits("java", "index.handler.js::"));
        assert!(handler_fits("dotnet", "Orders::Orders.Function::Handle"));
        assert!(!handler_fits("dotnet", "Orders.Function"));
        assert!(handler_fits("provided", "bootstrap"));
    }
}
