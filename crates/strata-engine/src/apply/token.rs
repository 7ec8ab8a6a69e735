//! Idempotency tokens: a canonical, versioned encoding of a create's intent.

use strata_core::{Props, Value};

/// The version of the token encoding; a change of encoding changes the prefix.
const TOKEN_VERSION: &str = "v1";

/// A deterministic token for a create's intent: the same stack, resource and
/// desired properties give the same token, so a create retried after a crash
/// cannot launch twice. It is the SHA-256 of a canonical encoding (JSON, keys
/// sorted, no spaces; secrets as `"(secret)"`, so nothing derived from a secret
/// leaves the process), never of a `Debug` or `Display` rendering.
pub(crate) fn idempotency_token(stack: &str, name: &str, desired: &Props) -> String {
    use sha2::{Digest, Sha256};
    let mut canon = String::new();
    canon.push_str("{\"desired\":");
    canonical(&Value::Map(desired.clone()), &mut canon);
    canon.push_str(",\"name\":");
    canonical(&Value::str(name), &mut canon);
    canon.push_str(",\"stack\":");
    canonical(&Value::str(stack), &mut canon);
    canon.push_str(",\"v\":1}");
    let digest = Sha256::digest(canon.as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("strata-{TOKEN_VERSION}-{hex}")
}

/// Canonical JSON of a value: maps in key order (a `BTreeMap`'s), strings
/// escaped as JSON, no whitespace.
fn canonical(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Str(s) => out.push_str(&serde_json::Value::String(s.clone()).to_string()),
        Value::List(items) => {
            out.push('[');
            for (k, item) in items.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push('{');
            for (k, (key, item)) in m.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String(key.clone()).to_string());
                out.push(':');
                canonical(item, out);
            }
            out.push('}');
        }
        Value::Secret(_) => out.push_str("\"(secret)\""),
        Value::Unknown => out.push_str("\"(unknown)\""),
    }
}
