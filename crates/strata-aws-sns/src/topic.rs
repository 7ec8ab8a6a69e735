//! `aws:sns:Topic`, encrypted at rest (the AWS-managed `alias/aws/sns` key by
//! default), with its e-mail subscriptions as the `email_subscriptions` field.
//!
//! Subscriptions cannot carry tags, so they are a property of their topic:
//! compared with `ListSubscriptionsByTopic` and brought in line with
//! `Subscribe` and `Unsubscribe`. An e-mail subscription stays
//! `PendingConfirmation` until the recipient confirms it; AWS lets nobody
//! remove it before then (it lapses after three days).

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use strata_aws::error::err;
use strata_aws::kernel::{Created, Kind, Seen, Tagging, Want};
use strata_aws::Aws;
use strata_core::{tags, Diagnostic, Input, Props, ResourceDecl, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, Observed, Op, OpContext, ProviderError};

use crate::{client, sdk_tags, SnsTags};

strata_aws::kind_fields! {
    /// An SNS topic.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_sns::Topic;
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let alerts = stack.add("alerts", Topic::new().display_name("Alerts").email_subscription("ops@example.com"));
    /// let _ = (alerts.arn(), alerts.topic_name());
    /// ```
    pub struct Topic: "aws:sns:Topic";
    values TopicValues;
    handle TopicHandle / TopicOutputs { arn, topic_name };
    fields {
        /// An explicit name; default `<stack>-<logical name>`.
        name: str [replace];
        /// The name shown as the sender of e-mail notifications.
        display_name: str [update] = "";
        /// The KMS key that encrypts the messages at rest.
        kms_key_id: str [update] = "alias/aws/sns";
        /// The e-mail addresses subscribed to the topic.
        email_subscriptions: strs [update] = Vec::<String>::new();
    }
}

impl Topic {
    /// A topic encrypted with `alias/aws/sns`, without subscriptions.
    pub fn new() -> Self {
        Self::empty()
    }

    /// Encrypt with this KMS key instead of `alias/aws/sns`.
    pub fn kms_key(self, key: impl Into<strata_core::Arg<String>>) -> Self {
        self.kms_key_id(key)
    }

    /// Subscribe this e-mail address (besides the others).
    pub fn email_subscription(mut self, address: impl Into<String>) -> Self {
        if let Some(Input::List(l)) = self.inputs.get_mut(V::email_subscriptions) {
            l.push(Input::Known(Value::Str(address.into())));
        }
        self
    }
}

impl Default for Topic {
    fn default() -> Self {
        Self::new()
    }
}

type V = TopicValues;

/// The kind behind [`Topic`].
pub(crate) struct Topics;

/// A topic as read: its attributes, its e-mail endpoints and, when listed, its tags.
pub(crate) struct Item {
    arn: String,
    attrs: HashMap<String, String>,
    emails: Vec<String>,
    tags: Option<Tags>,
}

fn derived_name(stack: &str, logical: &str) -> String {
    format!("{stack}-{logical}").chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).take(256).collect()
}

/// The attributes strata sets: field, attribute and desired value.
fn attributes(v: &V) -> [(&'static str, &'static str, &str); 2] {
    let (display, key) = (v.display_name.as_deref(), v.kms_key_id.as_deref());
    [(V::display_name, "DisplayName", display.unwrap_or("")), (V::kms_key_id, "KmsMasterKeyId", key.unwrap_or(""))]
}

/// The topic's e-mail subscriptions: endpoint and subscription ARN
/// (`PendingConfirmation` for unconfirmed ones).
async fn subscriptions(aws: &Aws, region: &str, arn: &str) -> Result<Vec<(String, Option<String>)>, ProviderError> {
    let subs = client(aws, region).list_subscriptions_by_topic().topic_arn(arn).into_paginator().items().send();
    let subs = subs.collect::<Result<Vec<_>, _>>().await.map_err(err("ListSubscriptionsByTopic"))?;
    let email = subs.into_iter().filter(|s| s.protocol() == Some("email"));
    Ok(email.filter_map(|s| Some((s.endpoint()?.to_string(), s.subscription_arn().map(str::to_string)))).collect())
}

async fn sync_subscriptions(aws: &Aws, region: &str, arn: &str, want: Option<&[String]>) -> Result<(), ProviderError> {
    let (c, want, have) = (client(aws, region), want.unwrap_or(&[]), subscriptions(aws, region, arn).await?);
    for email in want.iter().filter(|e| !have.iter().any(|(h, _)| h == *e)) {
        c.subscribe().topic_arn(arn).protocol("email").endpoint(email).send().await.map_err(err("Subscribe"))?;
    }
    // Unconfirmed subscriptions cannot be removed (they lapse by themselves).
    for (_, sub) in have.iter().filter(|(h, s)| !want.contains(h) && s.as_deref().is_some_and(|s| s.starts_with("arn:"))) {
        c.unsubscribe().set_subscription_arn(sub.clone()).send().await.map_err(err("Unsubscribe"))?;
    }
    Ok(())
}

#[async_trait]
impl Kind for Topics {
    type Builder = Topic;
    type Item = Item;
    type Tags = SnsTags;

    const DERIVED: &'static [&'static str] = &[V::name];

    fn id(t: &Item) -> Option<&str> {
        Some(&t.arn)
    }

    fn carried_tags(t: &Item) -> Option<Tags> {
        t.tags.clone()
    }

    fn observe(t: &Item) -> Seen<Topic> {
        let name = t.arn.rsplit(':').next().map(str::to_string);
        let attr = |k: &str| t.attrs.get(k).filter(|v| !v.is_empty()).cloned();
        Seen {
            values: V {
                name: name.clone(),
                display_name: Some(attr("DisplayName").unwrap_or_default()),
                kms_key_id: attr("KmsMasterKeyId"),
                email_subscriptions: Some(t.emails.clone()),
                ..V::default()
            },
            outputs: TopicOutputs { arn: Some(t.arn.clone()), topic_name: name },
            refs: Vec::new(),
        }
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Item>, ProviderError> {
        let topics = client(aws, &scope.region).list_topics().into_paginator().items().send();
        let topics = topics.collect::<Result<Vec<_>, _>>().await.map_err(err("ListTopics"))?;
        // ListTopics has no tag filter: every topic's tags are read, and only
        // the stack's topics are read in full (carrying the tags just read).
        let mut out = Vec::new();
        for arn in topics.iter().filter_map(|t| t.topic_arn()) {
            let t = strata_aws::unless_gone(SnsTags::read(aws, &scope.region, arn).await)?;
            let Some(t) = t.filter(|t| t.get(tags::STACK) == Some(&scope.stack)) else { continue };
            out.extend(strata_aws::unless_gone(self.get(aws, &scope.region, arn).await)?.flatten().map(|i| Item { tags: Some(t), ..i }));
        }
        Ok(out)
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Item>, ProviderError> {
        let out = client(aws, region).get_topic_attributes().topic_arn(id).send().await.map_err(err("GetTopicAttributes"))?;
        let emails = subscriptions(aws, region, id).await?.into_iter().map(|(e, _)| e).collect();
        Ok(Some(Item { arn: id.to_string(), attrs: out.attributes().cloned().unwrap_or_default(), emails, tags: None }))
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, Topic>) -> Result<Created<Item>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let name = v.name.clone().unwrap_or_else(|| derived_name(&cx.stack, &cx.name));
        let attrs = attributes(v).into_iter().filter(|a| !a.2.is_empty()).map(|(_, k, v)| (k.to_string(), v.to_string())).collect();
        // CreateTopic is idempotent by name (with the same attributes and tags).
        let out = client(aws, &cx.region).create_topic().name(&name).set_attributes(Some(attrs)).set_tags(Some(sdk_tags(&v.tags)));
        let out = out.send().await.map_err(err("CreateTopic"))?;
        let arn = out.topic_arn().ok_or_else(|| strata_aws::lacks("CreateTopic", "TopicArn", &cx.name))?;
        sync_subscriptions(aws, &cx.region, arn, v.email_subscriptions.as_deref()).await?;
        // The kernel keeps the desired fields and takes the name from the ARN: no read-back.
        Ok(Created::Item(Item { arn: arn.to_string(), attrs: HashMap::new(), emails: Vec::new(), tags: None }))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, Topic>, diff: &Diff) -> Result<(), ProviderError> {
        let (v, region) = (&want.values, &want.cx.region);
        for (_, attr, value) in attributes(v).into_iter().filter(|a| diff.changed(a.0).is_some()) {
            let set = client(aws, region).set_topic_attributes().topic_arn(&actual.id).attribute_name(attr).attribute_value(value);
            set.send().await.map_err(err("SetTopicAttributes"))?;
        }
        if diff.changed(V::email_subscriptions).is_some() {
            sync_subscriptions(aws, region, &actual.id, v.email_subscriptions.as_deref()).await?;
        }
        Ok(())
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        client(aws, &cx.region).delete_topic().topic_arn(&actual.id).send().await.map(|_| ()).map_err(err("DeleteTopic"))
    }

    fn validate(decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        if let Some(n) = decl.known(V::name).and_then(|v| v.as_str().map(str::to_string)) {
            if n.is_empty() || n.len() > 256 || !n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                out.push(Diagnostic::field(&decl.name, V::name, format!("{n:?} must be 1-256 letters, digits, - or _")));
            }
        }
        for e in decl.known(V::email_subscriptions).and_then(|v| v.as_list().map(<[Value]>::to_vec)).unwrap_or_default() {
            let e = e.as_str().unwrap_or_default().to_string();
            let ok = e.split_once('@').is_some_and(|(user, host)| !user.is_empty() && host.contains('.') && !host.ends_with('.'));
            if !ok {
                out.push(Diagnostic::field(&decl.name, V::email_subscriptions, format!("{e:?} is not an e-mail address")));
            }
        }
    }

    fn normalize(props: &mut Props) {
        if let Some(Value::List(l)) = props.get_mut(V::email_subscriptions) {
            l.sort();
            l.dedup();
        }
    }

    fn estimate(_op: Op) -> Duration {
        Duration::from_secs(2)
    }
}
