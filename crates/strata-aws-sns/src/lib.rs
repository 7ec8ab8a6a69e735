//! SNS: `aws:sns:Topic`, encrypted at rest (the AWS-managed `alias/aws/sns`
//! key by default), with e-mail subscriptions.
//!
//! Subscriptions cannot carry tags, so they are a property of their topic:
//! the topic's `email_subscriptions` are compared with
//! `ListSubscriptionsByTopic` and brought in line with `Subscribe` and
//! `Unsubscribe`. An e-mail subscription stays `PendingConfirmation` until the
//! recipient confirms it; AWS lets nobody remove it before then (it lapses
//! after three days).

strata_aws::sdk_client!(pub(crate) fn client = aws_sdk_sns, "sns");

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sns::types::Tag;
use strata_core::{tags, Arg, Diagnostic, Input, Props, Resource, ResourceDecl, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, Observed, Op, OpContext, Provider, ProviderError, Registry};

use strata_aws::error::err;
use strata_aws::props::{str_of, strs};
use strata_aws::Aws;

pub fn register(aws: &Aws, r: &mut Registry) {
    r.register(Arc::new(TopicProvider { aws: aws.clone() }));
}

/// An SNS topic.
///
/// ```
/// use strata_core::Stack;
/// use strata_aws_sns::Topic;
/// let mut stack = Stack::new("demo", "eu-central-1");
/// let alerts = stack.add("alerts", Topic::new().display_name("Alerts").email_subscription("ops@example.com"));
/// let _ = alerts.arn();
/// ```
#[derive(Clone, Debug)]
pub struct Topic {
    name: Option<String>,
    display_name: String,
    kms_key: Input,
    emails: Vec<String>,
    tags: BTreeMap<String, Input>,
}

impl Default for Topic {
    fn default() -> Self {
        Topic::new()
    }
}

impl Topic {
    pub fn new() -> Self {
        Topic { name: None, display_name: String::new(), kms_key: Input::from("alias/aws/sns"), emails: Vec::new(), tags: BTreeMap::new() }
    }
    /// An explicit name; default `<stack>-<logical name>`.
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.into());
        self
    }
    pub fn display_name(mut self, d: &str) -> Self {
        self.display_name = d.into();
        self
    }
    /// Encrypt with this KMS key instead of `alias/aws/sns`.
    pub fn kms_key(mut self, key: impl Into<Arg<String>>) -> Self {
        self.kms_key = key.into().into_input();
        self
    }
    pub fn email_subscription(mut self, address: &str) -> Self {
        self.emails.push(address.into());
        self
    }
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<Arg<String>>) -> Self {
        self.tags.insert(key.into(), value.into().into_input());
        self
    }
}

strata_aws::handle!(
    /// Outputs of a [`Topic`].
    TopicHandle { arn: "arn", topic_name: "name" }
);

impl Resource for Topic {
    const KIND: &'static str = "aws:sns:Topic";
    type Handle = TopicHandle;
    fn into_inputs(self) -> BTreeMap<String, Input> {
        let mut emails = self.emails;
        emails.sort();
        emails.dedup();
        BTreeMap::from([
            ("name".to_string(), Input::from(self.name)),
            ("display_name".to_string(), Input::from(self.display_name)),
            ("kms_key_id".to_string(), self.kms_key),
            ("email_subscriptions".to_string(), Input::Known(Value::List(emails.into_iter().map(Value::Str).collect()))),
            ("tags".to_string(), Input::Map(self.tags)),
        ])
    }
}

pub(crate) struct TopicProvider {
    aws: Aws,
}

fn derived_name(stack: &str, logical: &str) -> String {
    format!("{stack}-{logical}").chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).take(256).collect()
}

fn sdk_tags(tags: &Tags) -> Vec<Tag> {
    tags.iter().filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok()).collect()
}

impl TopicProvider {
    async fn tags_of(&self, region: &str, arn: &str) -> Result<Tags, ProviderError> {
        let out = crate::client(&self.aws, region).list_tags_for_resource().resource_arn(arn).send().await.map_err(err("ListTagsForResource"));
    // Deleted since it was listed: no tags, so not this stack's.
    let Some(out) = strata_aws::unless_gone(out)? else { return Ok(Tags::new()) };
        Ok(out.tags().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect())
    }

    /// E-mail endpoints by subscription ARN (`PendingConfirmation` for unconfirmed ones).
    async fn subscriptions(&self, region: &str, arn: &str) -> Result<Vec<(String, String)>, ProviderError> {
        let pages = crate::client(&self.aws, region)
            .list_subscriptions_by_topic()
            .topic_arn(arn)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(err("ListSubscriptionsByTopic"))?;
        Ok(pages
            .iter()
            .flat_map(|p| p.subscriptions().iter())
            .filter(|s| s.protocol() == Some("email"))
            .filter_map(|s| Some((s.endpoint()?.to_string(), s.subscription_arn().unwrap_or_default().to_string())))
            .collect())
    }

    async fn observe(&self, region: &str, arn: &str, tags: Tags) -> Result<Option<Observed>, ProviderError> {
        let attrs = match crate::client(&self.aws, region).get_topic_attributes().topic_arn(arn).send().await {
            Ok(a) => a.attributes().cloned().unwrap_or_default(),
            Err(e) => return strata_aws::not_found_none(strata_aws::error::from_sdk("GetTopicAttributes", e)),
        };
        let subs = self.subscriptions(region, arn).await?;
        let mut emails: Vec<Value> = subs.iter().map(|(e, _)| Value::str(e)).collect();
        emails.sort();
        emails.dedup();
        let name = arn.rsplit(':').next().unwrap_or_default();
        let attr = |k: &str| attrs.get(k).filter(|v| !v.is_empty()).map(Value::str).unwrap_or(Value::Null);
        let mut o = Observed::new(Topic::KIND, arn, region);
        o.props = Props::from([
            ("name".into(), Value::str(name)),
            ("display_name".into(), Value::str(attrs.get("DisplayName").map(String::as_str).unwrap_or_default())),
            ("kms_key_id".into(), attr("KmsMasterKeyId")),
            ("email_subscriptions".into(), Value::List(emails)),
            ("tags".into(), Value::from_tags(&tags)),
        ]);
        o.outputs = Props::from([("id".into(), Value::str(arn)), ("arn".into(), Value::str(arn)), ("name".into(), Value::str(name))]);
        Ok(Some(o))
    }

    async fn sync_subscriptions(&self, region: &str, arn: &str, desired: &Props) -> Result<(), ProviderError> {
        let c = crate::client(&self.aws, region);
        let want = strs(desired, "email_subscriptions");
        let have = self.subscriptions(region, arn).await?;
        for email in want.iter().filter(|e| !have.iter().any(|(h, _)| h == *e)) {
            c.subscribe().topic_arn(arn).protocol("email").endpoint(email).send().await.map_err(err("Subscribe"))?;
        }
        for (_, sub) in have.iter().filter(|(h, _)| !want.contains(h)) {
            // Unconfirmed subscriptions cannot be removed (they lapse by themselves).
            if sub.starts_with("arn:") {
                c.unsubscribe().subscription_arn(sub).send().await.map_err(err("Unsubscribe"))?;
            }
        }
        Ok(())
    }
}

#[async_trait]
impl Provider for TopicProvider {
    fn kind(&self) -> &'static str {
        Topic::KIND
    }

    fn replace_fields(&self) -> &'static [&'static str] {
        &["name"]
    }

    fn validate(&self, decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        if let Some(n) = decl.known("name").and_then(|v| v.as_str().map(str::to_string)) {
            if n.is_empty() || n.len() > 256 || !n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                out.push(Diagnostic::field(&decl.name, "name", format!("{n:?} must be 1-256 letters, digits, - or _")));
            }
        }
        for e in decl.known("email_subscriptions").and_then(|v| v.as_list().map(<[Value]>::to_vec)).unwrap_or_default() {
            let e = e.as_str().unwrap_or_default().to_string();
            let ok = e.split_once('@').is_some_and(|(user, host)| !user.is_empty() && host.contains('.') && !host.ends_with('.'));
            if !ok {
                out.push(Diagnostic::field(&decl.name, "email_subscriptions", format!("{e:?} is not an e-mail address")));
            }
        }
    }

    fn diff(&self, desired: &Props, actual: &Observed) -> Diff {
        strata_engine::diff_with_derived(desired, &actual.props, self.replace_fields(), &["name"])
    }

    fn estimate(&self, _op: Op) -> Duration {
        Duration::from_secs(2)
    }

    async fn discover(&self, scope: &DiscoverScope) -> Result<Vec<Observed>, ProviderError> {
        let pages = crate::client(&self.aws, &scope.region)
            .list_topics()
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(err("ListTopics"))?;
        let mut out = Vec::new();
        for arn in pages.iter().flat_map(|p| p.topics().iter()).filter_map(|t| t.topic_arn()) {
            let t = match self.tags_of(&scope.region, arn).await {
                Ok(t) => t,
                Err(e) if e.class == strata_engine::ErrorClass::NotFound => continue,
                Err(e) => return Err(e),
            };
            if t.get(tags::STACK) == Some(&scope.stack) {
                out.extend(self.observe(&scope.region, arn, t).await?);
            }
        }
        Ok(out)
    }

    async fn read(&self, region: &str, id: &str) -> Result<Option<Observed>, ProviderError> {
        let t = match self.tags_of(region, id).await {
            Ok(t) => t,
            Err(e) => return strata_aws::not_found_none(e),
        };
        self.observe(region, id, t).await
    }

    async fn create(&self, cx: &OpContext, desired: &Props) -> Result<Observed, ProviderError> {
        let name = str_of(desired, "name").unwrap_or_else(|| derived_name(&cx.stack, &cx.name));
        let mut attrs = std::collections::HashMap::new();
        if let Some(d) = str_of(desired, "display_name").filter(|d| !d.is_empty()) {
            attrs.insert("DisplayName".to_string(), d);
        }
        if let Some(k) = str_of(desired, "kms_key_id") {
            attrs.insert("KmsMasterKeyId".to_string(), k);
        }
        // CreateTopic is idempotent by name (with the same attributes and tags).
        let out = crate::client(&self.aws, &cx.region)
            .create_topic()
            .name(&name)
            .set_attributes(Some(attrs))
            .set_tags(Some(sdk_tags(&strata_aws::desired_tags(desired))))
            .send()
            .await
            .map_err(err("CreateTopic"))?;
        let arn = out.topic_arn().ok_or_else(|| strata_aws::lacks("CreateTopic", "TopicArn", &cx.name))?.to_string();
        self.sync_subscriptions(&cx.region, &arn, desired).await?;
        let mut o = Observed::new(Topic::KIND, &arn, &cx.region);
        o.props = desired.clone();
        o.props.insert("name".into(), Value::str(&name));
        o.outputs = Props::from([("id".into(), Value::str(&arn)), ("arn".into(), Value::str(&arn)), ("name".into(), Value::str(&name))]);
        Ok(o)
    }

    async fn update(&self, cx: &OpContext, actual: &Observed, desired: &Props, diff: &Diff) -> Result<Observed, ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        if diff.changed("tags").is_some() {
            let want = strata_aws::desired_tags(desired);
            let remove: Vec<String> = actual.tags().keys().filter(|k| !want.contains_key(*k)).cloned().collect();
            self.set_tags(cx, actual, &want, &remove).await?;
        }
        for (field, attr) in [("display_name", "DisplayName"), ("kms_key_id", "KmsMasterKeyId")] {
            if diff.changed(field).is_some() {
                c.set_topic_attributes()
                    .topic_arn(&actual.id)
                    .attribute_name(attr)
                    .attribute_value(str_of(desired, field).unwrap_or_default())
                    .send()
                    .await
                    .map_err(err("SetTopicAttributes"))?;
            }
        }
        if diff.changed("email_subscriptions").is_some() {
            self.sync_subscriptions(&cx.region, &actual.id, desired).await?;
        }
        let mut o = actual.clone();
        let name = actual.props.get("name").cloned();
        o.props = desired.clone();
        if let Some(n) = name {
            o.props.insert("name".into(), n);
        }
        Ok(o)
    }

    async fn delete(&self, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let r = crate::client(&self.aws, &cx.region).delete_topic().topic_arn(&actual.id).send().await;
        strata_aws::gone_ok(r.map(|_| ()).map_err(err("DeleteTopic")))
    }

    async fn set_tags(&self, cx: &OpContext, actual: &Observed, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        if !remove.is_empty() {
            c.untag_resource().resource_arn(&actual.id).set_tag_keys(Some(remove.to_vec())).send().await.map_err(err("UntagResource"))?;
        }
        if !add.is_empty() {
            c.tag_resource().resource_arn(&actual.id).set_tags(Some(sdk_tags(add))).send().await.map_err(err("TagResource"))?;
        }
        Ok(())
    }
}
