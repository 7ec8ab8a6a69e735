//! Secrets Manager: `aws:secretsmanager:Secret`.
//!
//! A secret's value is generated once (`GetRandomPassword`) or given by the
//! program, and is always an `Output<Secret<String>>`: plans, reports and logs
//! print `(secret)`. A generated value is never compared (it was generated
//! once); a given value is, and changes in place with `PutSecretValue`.
//! Discovery lists secrets with a tag-value filter and confirms the stack tag;
//! values are read with one `GetSecretValue` per secret (outputs need them).

strata_aws::sdk_client!(pub(crate) fn client = aws_sdk_secretsmanager, "secretsmanager");

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_secretsmanager::types::{Filter, FilterNameStringType, Tag};
use strata_core::{tags, Arg, Diagnostic, Input, Props, Resource, ResourceDecl, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, ErrorClass, Observed, OpContext, Provider, ProviderError, Registry};

use strata_aws::error::err;
use strata_aws::Aws;

pub fn register(aws: &Aws, r: &mut Registry) {
    r.register(Arc::new(SecretProvider { aws: aws.clone() }));
}

/// A secret.
///
/// ```
/// use strata_core::Stack;
/// use strata_aws_secretsmanager::Secret;
/// let mut stack = Stack::new("demo", "eu-central-1");
/// let header = stack.add("origin-header", Secret::generated(32).description("CloudFront to ALB shared header"));
/// let _value = header.value(); // Output<Secret<String>>
/// ```
#[derive(Clone, Debug)]
pub struct Secret {
    name: Option<String>,
    description: String,
    length: Option<i64>,
    value: Option<Input>,
    kms_key_id: Option<Input>,
    recovery_days: i64,
    tags: BTreeMap<String, Input>,
}

impl Secret {
    /// A random value of `length` letters and digits, generated once.
    pub fn generated(length: i64) -> Self {
        Secret {
            name: None,
            description: "Managed by strata".into(),
            length: Some(length),
            value: None,
            kms_key_id: None,
            recovery_days: 7,
            tags: BTreeMap::new(),
        }
    }
    /// A value given by the program (an output of another secret, for example).
    pub fn with_value(value: impl Into<Input>) -> Self {
        let v = match value.into() {
            Input::Known(v) if !v.is_secret() => Input::Known(Value::Secret(Box::new(v))),
            Input::Output(o) => Input::Output(o),
            other => other,
        };
        Secret { length: None, value: Some(v), ..Secret::generated(0) }
    }
    /// The secret's name (default: `<stack>/<logical name>`).
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.into());
        self
    }
    pub fn description(mut self, d: &str) -> Self {
        self.description = d.into();
        self
    }
    pub fn kms_key(mut self, key_id: impl Into<Arg<String>>) -> Self {
        self.kms_key_id = Some(key_id.into().into_input());
        self
    }
    /// Days AWS keeps a deleted secret recoverable (7-30), or 0 to delete at once.
    pub fn recovery_window_days(mut self, days: i64) -> Self {
        self.recovery_days = days;
        self
    }
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<Arg<String>>) -> Self {
        self.tags.insert(key.into(), value.into().into_input());
        self
    }
}

/// Outputs of a [`Secret`].
#[derive(Clone, Debug)]
pub struct SecretHandle(strata_core::RefCore);

impl From<strata_core::RefCore> for SecretHandle {
    fn from(c: strata_core::RefCore) -> Self {
        SecretHandle(c)
    }
}

impl SecretHandle {
    pub fn arn(&self) -> strata_core::Output<String> {
        self.0.output("arn")
    }
    pub fn secret_name(&self) -> strata_core::Output<String> {
        self.0.output("name")
    }
    /// The value, marked secret.
    pub fn value(&self) -> strata_core::Output<strata_core::Secret<String>> {
        self.0.output::<String>("value").secret()
    }
}

impl Resource for Secret {
    const KIND: &'static str = "aws:secretsmanager:Secret";
    type Handle = SecretHandle;
    fn into_inputs(self) -> BTreeMap<String, Input> {
        BTreeMap::from([
            ("name".to_string(), Input::from(self.name)),
            ("description".to_string(), Input::from(self.description)),
            ("generated_length".to_string(), Input::from(self.length)),
            ("value".to_string(), self.value.unwrap_or(Input::Known(Value::Null))),
            ("kms_key_id".to_string(), self.kms_key_id.unwrap_or(Input::Known(Value::Null))),
            ("recovery_window_days".to_string(), Input::from(self.recovery_days)),
            ("tags".to_string(), Input::Map(self.tags)),
        ])
    }
}

pub(crate) struct SecretProvider {
    aws: Aws,
}

/// A deterministic secret name: `<stack>/<logical name>`.
fn derived_name(stack: &str, name: &str) -> String {
    format!("{stack}/{name}").chars().map(|c| if c.is_ascii_alphanumeric() || "/_+=.@-".contains(c) { c } else { '-' }).collect()
}

fn sdk_tags(props: &Props) -> Vec<Tag> {
    strata_aws::desired_tags(props).into_iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

impl SecretProvider {
    async fn observe(&self, region: &str, arn: &str, name: &str, description: Option<&str>, kms: Option<&str>, tags: Tags) -> Result<Observed, ProviderError> {
        let value = crate::client(&self.aws, region)
            .get_secret_value()
            .secret_id(arn)
            .send()
            .await
            .map_err(err("GetSecretValue"))?
            .secret_string()
            .map(|s| Value::Secret(Box::new(Value::str(s))))
            .unwrap_or(Value::Null);
        let props = Props::from([
            ("name".into(), Value::str(name)),
            ("description".into(), Value::str(description.unwrap_or_default())),
            ("value".into(), value.clone()),
            ("kms_key_id".into(), kms.map(Value::str).unwrap_or(Value::Null)),
            ("tags".into(), Value::from_tags(&tags)),
        ]);
        let mut o = Observed::new(Secret::KIND, arn, region);
        o.props = props;
        o.outputs = Props::from([
            ("arn".into(), Value::str(arn)),
            ("id".into(), Value::str(arn)),
            ("name".into(), Value::str(name)),
            ("value".into(), value),
        ]);
        Ok(o)
    }
}

#[async_trait]
impl Provider for SecretProvider {
    fn kind(&self) -> &'static str {
        Secret::KIND
    }

    fn replace_fields(&self) -> &'static [&'static str] {
        &["name", "kms_key_id"]
    }

    fn validate(&self, decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        if let Some(n) = decl.known("generated_length").and_then(|v| v.as_int()) {
            if !(8..=4096).contains(&n) {
                out.push(Diagnostic::field(&decl.name, "generated_length", format!("{n} is outside 8-4096")));
            }
        }
        if let Some(d) = decl.known("recovery_window_days").and_then(|v| v.as_int()) {
            if d != 0 && !(7..=30).contains(&d) {
                out.push(Diagnostic::field(&decl.name, "recovery_window_days", format!("{d} must be 0 or 7-30")));
            }
        }
        if let Some(n) = decl.known("name").and_then(|v| v.as_str().map(str::to_string)) {
            if n.is_empty() || n.len() > 512 || !n.chars().all(|c| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c)) {
                out.push(Diagnostic::field(&decl.name, "name", "must be 1-512 of letters, digits and /_+=.@-"));
            }
        }
    }

    fn diff(&self, desired: &Props, actual: &Observed) -> Diff {
        let mut want = desired.clone();
        for f in ["generated_length", "recovery_window_days"] {
            want.remove(f);
        }
        if matches!(want.get("name"), Some(Value::Null) | None) {
            want.remove("name");
        }
        // A generated value is generated once.
        if desired.get("generated_length").is_some_and(|v| *v != Value::Null) {
            want.remove("value");
        }
        strata_engine::default_diff(&want, &actual.props, self.replace_fields())
    }

    async fn discover(&self, scope: &DiscoverScope) -> Result<Vec<Observed>, ProviderError> {
        let c = crate::client(&self.aws, &scope.region);
        let pages = c
            .list_secrets()
            .filters(Filter::builder().key(FilterNameStringType::TagKey).values(tags::STACK).build())
            .filters(Filter::builder().key(FilterNameStringType::TagValue).values(&scope.stack).build())
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(err("ListSecrets"))?;
        let list: Vec<_> = pages.iter().flat_map(|p| p.secret_list().iter().cloned()).collect();
        let mut out = Vec::new();
        for s in &list {
            let t: Tags = s.tags().iter().filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string()))).collect();
            if t.get(tags::STACK) != Some(&scope.stack) {
                continue;
            }
            let (Some(arn), Some(name)) = (s.arn(), s.name()) else { continue };
            out.push(self.observe(&scope.region, arn, name, s.description(), s.kms_key_id(), t).await?);
        }
        Ok(out)
    }

    async fn read(&self, region: &str, id: &str) -> Result<Option<Observed>, ProviderError> {
        let d = match crate::client(&self.aws, region).describe_secret().secret_id(id).send().await {
            Ok(d) => d,
            Err(e) => return strata_aws::not_found_none(strata_aws::error::from_sdk("DescribeSecret", e)),
        };
        let t: Tags = d.tags().iter().filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string()))).collect();
        let (Some(arn), Some(name)) = (d.arn(), d.name()) else { return Ok(None) };
        Ok(Some(self.observe(region, arn, name, d.description(), d.kms_key_id(), t).await?))
    }

    async fn create(&self, cx: &OpContext, desired: &Props) -> Result<Observed, ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        let name = desired.get("name").and_then(|v| v.as_str().map(str::to_string)).unwrap_or_else(|| derived_name(&cx.stack, &cx.name));
        let value = match desired.get("generated_length").and_then(Value::as_int) {
            Some(n) => c
                .get_random_password()
                .password_length(n)
                .exclude_punctuation(true)
                .send()
                .await
                .map_err(err("GetRandomPassword"))?
                .random_password()
                .map(str::to_string)
                .ok_or_else(|| ProviderError::new(ErrorClass::Fatal, "GetRandomPassword", "no password in the response"))?,
            None => desired
                .get("value")
                .map(Value::expose)
                .and_then(|v| v.as_str().map(str::to_string))
                .ok_or_else(|| ProviderError::new(ErrorClass::Invalid, "CreateSecret", "a secret needs a value or a generated length"))?,
        };
        // Secrets Manager wants a 32-64 character token: strata's is 42 (`strata-v1-` and 32 hex digits).
        let token = cx.idempotency_token.clone();
        if !(32..=64).contains(&token.len()) {
            return Err(ProviderError::new(ErrorClass::Fatal, "CreateSecret", format!("the idempotency token has {} characters, not 32-64", token.len())));
        }
        let out = c
            .create_secret()
            .name(&name)
            .client_request_token(token)
            .description(desired.get("description").and_then(Value::as_str).unwrap_or_default())
            .set_kms_key_id(desired.get("kms_key_id").and_then(|v| v.as_str().map(str::to_string)))
            .secret_string(&value)
            .set_tags(Some(sdk_tags(desired)))
            .send()
            .await
            .map_err(err("CreateSecret"))?;
        let arn = out.arn().ok_or_else(|| strata_aws::lacks("CreateSecret", "ARN", &cx.name))?.to_string();
        let mut o = Observed::new(Secret::KIND, &arn, &cx.region);
        o.props = desired.clone();
        o.props.insert("name".into(), Value::Str(name.clone()));
        o.props.insert("value".into(), Value::Secret(Box::new(Value::Str(value.clone()))));
        o.outputs = Props::from([
            ("arn".into(), Value::Str(arn.clone())),
            ("id".into(), Value::Str(arn)),
            ("name".into(), Value::Str(name)),
            ("value".into(), Value::Secret(Box::new(Value::Str(value)))),
        ]);
        Ok(o)
    }

    async fn update(&self, cx: &OpContext, actual: &Observed, desired: &Props, diff: &Diff) -> Result<Observed, ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        let mut o = actual.clone();
        if diff.changed("tags").is_some() {
            let want = strata_aws::desired_tags(desired);
            let have = actual.tags();
            let remove: Vec<String> = have.keys().filter(|k| !want.contains_key(*k) && !k.starts_with("aws:")).cloned().collect();
            if !remove.is_empty() {
                c.untag_resource().secret_id(&actual.id).set_tag_keys(Some(remove)).send().await.map_err(err("UntagResource"))?;
            }
            c.tag_resource().secret_id(&actual.id).set_tags(Some(sdk_tags(desired))).send().await.map_err(err("TagResource"))?;
            o.props.insert("tags".into(), Value::from_tags(&want));
        }
        if diff.changed("description").is_some() {
            c.update_secret()
                .secret_id(&actual.id)
                .description(desired.get("description").and_then(Value::as_str).unwrap_or_default())
                .send()
                .await
                .map_err(err("UpdateSecret"))?;
            o.props.insert("description".into(), desired.get("description").cloned().unwrap_or(Value::Null));
        }
        if diff.changed("value").is_some() {
            let v = desired.get("value").map(Value::expose).and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
            c.put_secret_value().secret_id(&actual.id).secret_string(&v).send().await.map_err(err("PutSecretValue"))?;
            let secret = Value::Secret(Box::new(Value::Str(v)));
            o.props.insert("value".into(), secret.clone());
            o.outputs.insert("value".into(), secret);
        }
        Ok(o)
    }

    async fn delete(&self, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let days = actual.props.get("recovery_window_days").and_then(Value::as_int).unwrap_or(7);
        let mut req = crate::client(&self.aws, &cx.region).delete_secret().secret_id(&actual.id);
        req = if days == 0 { req.force_delete_without_recovery(true) } else { req.recovery_window_in_days(days) };
        strata_aws::gone_ok(req.send().await.map(|_| ()).map_err(err("DeleteSecret")))
    }

    async fn set_tags(&self, cx: &OpContext, actual: &Observed, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        if !remove.is_empty() {
            c.untag_resource().secret_id(&actual.id).set_tag_keys(Some(remove.to_vec())).send().await.map_err(err("UntagResource"))?;
        }
        if !add.is_empty() {
            let t = add.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
            c.tag_resource().secret_id(&actual.id).set_tags(Some(t)).send().await.map_err(err("TagResource"))?;
        }
        Ok(())
    }
}
