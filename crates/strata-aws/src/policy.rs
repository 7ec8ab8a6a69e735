//! IAM policy documents, typed: [`PolicyDocument`] and [`Statement`].
//!
//! A document is built from statements whose actions, resources, principals
//! and condition values are strings or outputs (an ARN another resource
//! exports). It becomes a structured input (a map), so the plan shows it field
//! by field and every output in it is a dependency.
//!
//! AWS keeps a policy as text and gives it back reformatted: URL-encoded
//! (IAM), a one-element list as a plain string, lists reordered, an account id
//! principal as its root ARN. [`canonical`] maps every spelling of the same
//! policy to one value, so the kernel compares desired and observed policies
//! after it (a `policy` field of [`crate::kind_fields!`]) and AWS's rewriting
//! never shows as a diff. [`render`] gives the JSON that is sent, [`parse`]
//! reads what AWS answers, [`problems`] is the validation before any call.
//!
//! ```
//! use strata_aws::policy::{PolicyDocument, Statement};
//! let trust = PolicyDocument::assumed_by("backup.amazonaws.com");
//! let read = PolicyDocument::new().statement(
//!     Statement::allow().actions(["s3:GetObject", "s3:ListBucket"]).resource("arn:aws:s3:::logs/*"),
//! );
//! let json = strata_aws::policy::render(&read.into_input().known().unwrap()).unwrap();
//! assert_eq!(json, r#"{"Statement":[{"Action":["s3:GetObject","s3:ListBucket"],"Effect":"Allow","Resource":["arn:aws:s3:::logs/*"]}],"Version":"2012-10-17"}"#);
//! # let _ = trust;
//! ```

use std::collections::BTreeMap;

use strata_core::{Arg, Input, Value};

/// The policy language version strata writes.
pub const VERSION: &str = "2012-10-17";

/// The principal types IAM knows.
pub const PRINCIPAL_TYPES: [&str; 4] = ["AWS", "Service", "Federated", "CanonicalUser"];

/// The keys of a statement whose values are lists of strings.
const LIST_KEYS: [&str; 4] = ["Action", "NotAction", "Resource", "NotResource"];

/// A policy document: a list of statements.
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct PolicyDocument {
    statements: Vec<Statement>,
}

impl PolicyDocument {
    /// An empty document (a document needs at least one statement).
    pub fn new() -> Self {
        Self::default()
    }

    /// A trust policy: `service` (`"ec2.amazonaws.com"`) may assume the role.
    pub fn assumed_by(service: impl Into<Arg<String>>) -> Self {
        Self::new().statement(Statement::allow().action("sts:AssumeRole").principal("Service", service))
    }

    /// Append a statement.
    pub fn statement(mut self, s: Statement) -> Self {
        self.statements.push(s);
        self
    }

    /// The document as a structured input (what a `policy` field holds).
    pub fn into_input(self) -> Input {
        Input::Map(BTreeMap::from([
            ("Version".to_string(), Input::from(VERSION)),
            ("Statement".to_string(), Input::List(self.statements.into_iter().map(Statement::into_input).collect())),
        ]))
    }
}

impl From<PolicyDocument> for Input {
    fn from(d: PolicyDocument) -> Input {
        d.into_input()
    }
}

/// One statement of a [`PolicyDocument`].
#[derive(Clone, Debug)]
#[must_use]
pub struct Statement {
    sid: Option<String>,
    effect: &'static str,
    lists: BTreeMap<&'static str, Vec<Input>>,
    principal_key: &'static str,
    principals: BTreeMap<String, Vec<Input>>,
    any_principal: bool,
    conditions: BTreeMap<String, BTreeMap<String, Vec<Input>>>,
}

impl Statement {
    fn with(effect: &'static str) -> Self {
        Statement {
            sid: None,
            effect,
            lists: BTreeMap::new(),
            principal_key: "Principal",
            principals: BTreeMap::new(),
            any_principal: false,
            conditions: BTreeMap::new(),
        }
    }

    /// A statement that allows.
    pub fn allow() -> Self {
        Self::with("Allow")
    }

    /// A statement that denies.
    pub fn deny() -> Self {
        Self::with("Deny")
    }

    /// Its statement id.
    pub fn sid(mut self, sid: impl Into<String>) -> Self {
        self.sid = Some(sid.into());
        self
    }

    fn push(mut self, key: &'static str, v: impl Into<Arg<String>>) -> Self {
        self.lists.entry(key).or_default().push(v.into().into_input());
        self
    }

    /// One action (`"s3:GetObject"`, `"s3:*"`, `"*"`).
    pub fn action(self, a: impl Into<Arg<String>>) -> Self {
        self.push("Action", a)
    }

    /// Several actions.
    pub fn actions<A: Into<Arg<String>>>(self, actions: impl IntoIterator<Item = A>) -> Self {
        actions.into_iter().fold(self, Statement::action)
    }

    /// Every action but these (`NotAction`).
    pub fn not_actions<A: Into<Arg<String>>>(self, actions: impl IntoIterator<Item = A>) -> Self {
        actions.into_iter().fold(self, |s, a| s.push("NotAction", a))
    }

    /// One resource (an ARN, or an output giving one).
    pub fn resource(self, r: impl Into<Arg<String>>) -> Self {
        self.push("Resource", r)
    }

    /// Several resources.
    pub fn resources<R: Into<Arg<String>>>(self, resources: impl IntoIterator<Item = R>) -> Self {
        resources.into_iter().fold(self, Statement::resource)
    }

    /// Every resource but these (`NotResource`).
    pub fn not_resources<R: Into<Arg<String>>>(self, resources: impl IntoIterator<Item = R>) -> Self {
        resources.into_iter().fold(self, |s, r| s.push("NotResource", r))
    }

    /// A principal of a type (`"AWS"`, `"Service"`, `"Federated"`,
    /// `"CanonicalUser"`): an account, role ARN or service name.
    pub fn principal(mut self, kind: impl Into<String>, id: impl Into<Arg<String>>) -> Self {
        self.principals.entry(kind.into()).or_default().push(id.into().into_input());
        self
    }

    /// Anyone (`"Principal": "*"`).
    pub fn any_principal(mut self) -> Self {
        self.any_principal = true;
        self
    }

    /// The principals given are excluded (`NotPrincipal`).
    pub fn not_principal(mut self) -> Self {
        self.principal_key = "NotPrincipal";
        self
    }

    /// A condition: `operator` (`"StringEquals"`) on `key`
    /// (`"aws:SourceAccount"`) with these values.
    pub fn condition<V: Into<Arg<String>>>(mut self, operator: impl Into<String>, key: impl Into<String>, values: impl IntoIterator<Item = V>) -> Self {
        let slot = self.conditions.entry(operator.into()).or_default().entry(key.into()).or_default();
        slot.extend(values.into_iter().map(|v| v.into().into_input()));
        self
    }

    fn into_input(self) -> Input {
        let mut m = BTreeMap::from([("Effect".to_string(), Input::from(self.effect))]);
        if let Some(sid) = self.sid {
            m.insert("Sid".into(), Input::from(sid.as_str()));
        }
        for (k, v) in self.lists {
            m.insert(k.to_string(), Input::List(v));
        }
        if self.any_principal {
            m.insert(self.principal_key.to_string(), Input::from("*"));
        } else if !self.principals.is_empty() {
            let p = self.principals.into_iter().map(|(k, v)| (k, Input::List(v))).collect();
            m.insert(self.principal_key.to_string(), Input::Map(p));
        }
        if !self.conditions.is_empty() {
            let c = self
                .conditions
                .into_iter()
                .map(|(op, keys)| (op, Input::Map(keys.into_iter().map(|(k, v)| (k, Input::List(v))).collect())))
                .collect();
            m.insert("Condition".into(), Input::Map(c));
        }
        Input::Map(m)
    }
}

/// A scalar as policy text (`true` and `1` in a condition mean `"true"`, `"1"`).
fn text(v: &Value) -> Value {
    match v {
        Value::Bool(b) => Value::Str(b.to_string()),
        Value::Int(i) => Value::Str(i.to_string()),
        other => other.clone(),
    }
}

/// A string or a list of them as a sorted list without repeats (unknown
/// values, during planning, last).
fn sorted_list(v: &Value) -> Value {
    let mut items: Vec<Value> = match v {
        Value::List(l) => l.iter().map(text).collect(),
        Value::Null => Vec::new(),
        other => vec![text(other)],
    };
    items.sort_by(|a, b| match (a.as_str(), b.as_str()) {
        (Some(a), Some(b)) => a.cmp(b),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    items.dedup();
    Value::List(items)
}

/// An `AWS` principal as IAM stores it: an account id is its root ARN.
fn aws_principal(v: Value) -> Value {
    match v {
        Value::Str(s) if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) => Value::Str(format!("arn:aws:iam::{s}:root")),
        other => other,
    }
}

fn canonical_statement(s: &Value) -> Value {
    let Value::Map(m) = s else { return s.clone() };
    let mut out = BTreeMap::new();
    for (k, v) in m {
        let v = match k.as_str() {
            k if LIST_KEYS.contains(&k) => sorted_list(v),
            "Principal" | "NotPrincipal" => match v {
                Value::Map(p) => Value::Map(
                    p.iter()
                        .map(|(t, ids)| {
                            let Value::List(ids) = sorted_list(ids) else { return (t.clone(), ids.clone()) };
                            let ids = if t == "AWS" { ids.into_iter().map(aws_principal).collect() } else { ids };
                            (t.clone(), sorted_list(&Value::List(ids)))
                        })
                        .collect(),
                ),
                other => other.clone(),
            },
            "Condition" => match v {
                Value::Map(ops) => Value::Map(
                    ops.iter()
                        .map(|(op, keys)| match keys {
                            Value::Map(keys) => (op.clone(), Value::Map(keys.iter().map(|(k, v)| (k.clone(), sorted_list(v))).collect())),
                            other => (op.clone(), other.clone()),
                        })
                        .collect(),
                ),
                other => other.clone(),
            },
            _ => v.clone(),
        };
        out.insert(k.clone(), v);
    }
    Value::Map(out)
}

/// The one form of a policy that every spelling of it maps to: `Version`
/// set, `Statement` a list, every action, resource, principal and condition
/// value a sorted list of strings, an account-id principal its root ARN.
/// Values that are not a policy (null, unknown) are left as they are.
pub fn canonical(v: &Value) -> Value {
    let Value::Map(m) = v else { return v.clone() };
    let mut out = m.clone();
    out.entry("Version".into()).or_insert_with(|| Value::str(VERSION));
    if let Some(s) = m.get("Statement") {
        let list = match s {
            Value::List(l) => l.iter().map(canonical_statement).collect(),
            other => vec![canonical_statement(other)],
        };
        out.insert("Statement".into(), Value::List(list));
    }
    Value::Map(out)
}

fn to_json(v: &Value) -> Result<serde_json::Value, String> {
    Ok(match v {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Int(i) => serde_json::Value::from(*i),
        Value::Str(s) => serde_json::Value::String(s.clone()),
        Value::List(l) => serde_json::Value::Array(l.iter().map(to_json).collect::<Result<_, _>>()?),
        Value::Map(m) => serde_json::Value::Object(m.iter().map(|(k, v)| Ok((k.clone(), to_json(v)?))).collect::<Result<_, String>>()?),
        Value::Secret(_) => return Err("a policy cannot hold a secret value".into()),
        Value::Unknown => return Err("the policy still has a value that is not known yet".into()),
    })
}

/// The JSON text of a policy, in its canonical form.
pub fn render(v: &Value) -> Result<String, String> {
    to_json(&canonical(v)).map(|j| j.to_string())
}

fn from_json(j: serde_json::Value) -> Value {
    match j {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => n.as_i64().map_or_else(|| Value::Str(n.to_string()), Value::Int),
        serde_json::Value::String(s) => Value::Str(s),
        serde_json::Value::Array(a) => Value::List(a.into_iter().map(from_json).collect()),
        serde_json::Value::Object(o) => Value::Map(o.into_iter().map(|(k, v)| (k, from_json(v))).collect()),
    }
}

/// `%XX` escapes decoded (IAM answers policies URL-encoded, RFC 3986).
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (b[i], b.get(i + 1).copied().and_then(hex), b.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(h), Some(l)) => {
                // Two hex digits are at most 0xff.
                out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A policy as AWS answered it (JSON, URL-encoded or not), canonical.
pub fn parse(text: &str) -> Result<Value, String> {
    let text = if text.trim_start().starts_with('{') { text.to_string() } else { percent_decode(text) };
    let j: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("the policy AWS answered is not JSON: {e}"))?;
    Ok(canonical(&from_json(j)))
}

/// Whether a policy names principals (a trust or resource policy) or not
/// (an identity policy, attached to a role or user).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Principals {
    /// Every statement names its principals (a role's trust policy, a bucket policy).
    Required,
    /// No statement names principals (a role's inline or a managed policy).
    Forbidden,
}

fn action_problem(a: &str) -> Option<String> {
    if a == "*" {
        return None;
    }
    let ok = a.split_once(':').is_some_and(|(service, action)| {
        !service.is_empty()
            && service.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
            && !action.is_empty()
            && action.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'*' || c == b'?')
    });
    (!ok).then(|| format!("action {a:?} is not `service:Action` shaped (like \"s3:GetObject\" or \"s3:*\")"))
}

/// What is wrong with a policy (values not known yet are not checked).
pub fn problems(v: &Value, principals: Principals) -> Vec<String> {
    let mut out = Vec::new();
    let Value::Map(m) = v else {
        if !matches!(v, Value::Unknown | Value::Null) {
            out.push("is not a policy document".into());
        }
        return out;
    };
    let statements = match m.get("Statement") {
        Some(Value::List(l)) => l.clone(),
        Some(s @ Value::Map(_)) => vec![s.clone()],
        _ => Vec::new(),
    };
    if statements.is_empty() {
        out.push("has no statements (a policy needs at least one)".into());
    }
    for (i, s) in statements.iter().enumerate() {
        let n = i + 1;
        let Value::Map(s) = s else {
            out.push(format!("statement {n} is not a statement"));
            continue;
        };
        match s.get("Effect").and_then(Value::as_str) {
            Some("Allow" | "Deny") => {}
            other => out.push(format!("statement {n}: effect {other:?} is neither Allow nor Deny")),
        }
        let listed = |k: &str| match s.get(k).map(sorted_list) {
            Some(Value::List(l)) => l,
            _ => Vec::new(),
        };
        let (actions, not_actions) = (listed("Action"), listed("NotAction"));
        if actions.is_empty() && not_actions.is_empty() {
            out.push(format!("statement {n} has no actions"));
        }
        for a in actions.iter().chain(&not_actions).filter_map(Value::as_str) {
            out.extend(action_problem(a).map(|p| format!("statement {n}: {p}")));
        }
        let principal = s.get("Principal").or_else(|| s.get("NotPrincipal"));
        match (principal, principals) {
            (None, Principals::Required) => out.push(format!("statement {n} names no principal (who it applies to)")),
            (Some(_), Principals::Forbidden) => {
                out.push(format!("statement {n} names a principal, which a policy attached to an identity cannot have"))
            }
            _ => {}
        }
        match principal {
            Some(Value::Map(p)) => {
                for (t, ids) in p {
                    if !PRINCIPAL_TYPES.contains(&t.as_str()) {
                        out.push(format!("statement {n}: principal type {t:?} is not one of {PRINCIPAL_TYPES:?}"));
                    }
                    if matches!(sorted_list(ids), Value::List(l) if l.is_empty()) {
                        out.push(format!("statement {n}: principal type {t:?} names no principal"));
                    }
                }
            }
            Some(Value::Str(s)) if s != "*" => {
                out.push(format!("statement {n}: principal {s:?} has no type (write it as {{\"AWS\": ...}}, {{\"Service\": ...}}, ...)"))
            }
            _ => {}
        }
        if listed("Resource").is_empty() && listed("NotResource").is_empty() && principals == Principals::Forbidden {
            out.push(format!("statement {n} has no resources"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(d: PolicyDocument) -> Value {
        d.into_input().known().unwrap_or(Value::Null)
    }

    #[test]
    fn aws_rewrites_of_a_policy_are_the_same_policy() {
        let ours = known(
            PolicyDocument::new().statement(
                Statement::allow()
                    .actions(["s3:PutObject", "s3:GetObject"])
                    .resource("arn:aws:s3:::b/*")
                    .principal("AWS", "123456789012")
                    .condition("Bool", "aws:SecureTransport", ["true"]),
            ),
        );
        // As IAM answers it: URL-encoded, a one-element list as a string,
        // reordered, the account as its root ARN, a boolean as JSON.
        let theirs = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22AWS%22%3A%22arn%3Aaws%3Aiam%3A%3A123456789012%3Aroot%22%7D%2C%22Action%22%3A%5B%22s3%3AGetObject%22%2C%22s3%3APutObject%22%5D%2C%22Resource%22%3A%22arn%3Aaws%3As3%3A%3A%3Ab%2F*%22%2C%22Condition%22%3A%7B%22Bool%22%3A%7B%22aws%3ASecureTransport%22%3Atrue%7D%7D%7D%7D";
        assert_eq!(parse(theirs).unwrap(), canonical(&ours));
        assert_eq!(parse(&render(&ours).unwrap()).unwrap(), canonical(&ours), "what is sent reads back the same");
    }

    #[test]
    fn a_changed_action_is_a_different_policy() {
        let a = known(PolicyDocument::new().statement(Statement::allow().action("s3:GetObject").resource("*")));
        let b = known(PolicyDocument::new().statement(Statement::allow().action("s3:PutObject").resource("*")));
        assert_ne!(canonical(&a), canonical(&b));
    }

    #[test]
    fn bad_policies_are_named() {
        let empty = known(PolicyDocument::new());
        assert!(problems(&empty, Principals::Forbidden)[0].contains("no statements"));
        let shape = known(PolicyDocument::new().statement(Statement::allow().action("GetObject").resource("*")));
        assert!(problems(&shape, Principals::Forbidden)[0].contains("\"GetObject\" is not `service:Action` shaped"));
        let untyped = Value::Map(BTreeMap::from([(
            "Statement".to_string(),
            Value::List(vec![Value::Map(BTreeMap::from([
                ("Effect".to_string(), Value::str("Allow")),
                ("Action".to_string(), Value::str("sts:AssumeRole")),
                ("Principal".to_string(), Value::str("backup.amazonaws.com")),
            ]))]),
        )]));
        assert!(problems(&untyped, Principals::Required).iter().any(|p| p.contains("has no type")), "{:?}", problems(&untyped, Principals::Required));
        let trust = known(PolicyDocument::assumed_by("ec2.amazonaws.com"));
        assert!(problems(&trust, Principals::Required).is_empty(), "{:?}", problems(&trust, Principals::Required));
        assert!(problems(&trust, Principals::Forbidden).iter().any(|p| p.contains("names a principal")));
        let no_principal = known(PolicyDocument::new().statement(Statement::allow().action("sts:AssumeRole")));
        assert!(problems(&no_principal, Principals::Required).iter().any(|p| p.contains("names no principal")));
    }

    #[test]
    fn unknown_values_during_planning_are_not_errors() {
        let mut v = known(PolicyDocument::new().statement(Statement::allow().action("s3:GetObject").resource("x")));
        if let Value::Map(m) = &mut v {
            if let Some(Value::List(s)) = m.get_mut("Statement") {
                if let Some(Value::Map(st)) = s.get_mut(0) {
                    st.insert("Resource".into(), Value::List(vec![Value::Unknown]));
                }
            }
        }
        assert!(problems(&v, Principals::Forbidden).is_empty());
        assert!(render(&v).is_err(), "an unknown value cannot be sent");
    }
}
