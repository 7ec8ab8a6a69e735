//! `aws:sqs:Queue`: a standard or FIFO queue with its timings, its
//! encryption, its dead-letter queue, its policy and its SNS subscriptions.
//!
//! The queue is known by its URL (what every SQS call takes). Creating a
//! queue whose name exists is refused rather than answered with the existing
//! queue, as `CreateQueue` would when the attributes match: a queue someone
//! else made is never taken over.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sqs::types::QueueAttributeName as A;
use strata_aws::error::{all_pages, err};
use strata_aws::kernel::{Created, Kind, Seen, Want};
use strata_aws::naming::{derived_id, IdRules};
use strata_aws::policy;
use strata_aws::Aws;
use strata_core::{Diagnostic, Props, ResourceDecl, Stack, Value};
use strata_engine::{Diff, DiscoverScope, ErrorClass, Observed, Op, OpContext, ProviderError};

use crate::{client, sns, SqsTags};

strata_aws::kind_fields! {
    /// An SQS queue.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_sqs::Queue;
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let dlq = stack.add("orders-dlq", Queue::new().message_retention_seconds(1_209_600));
    /// let orders = stack.add(
    ///     "orders",
    ///     Queue::new().visibility_timeout_seconds(60).dead_letter_queue(dlq.arn(), 5),
    /// );
    /// let _ = (orders.url(), orders.arn());
    /// ```
    pub struct Queue: "aws:sqs:Queue";
    values QueueValues;
    handle QueueHandle / QueueOutputs { arn, url, queue_name };
    fields {
        /// The queue's name (default: derived from the stack and the logical
        /// name; a FIFO queue's ends in `.fifo`).
        name: str [replace];
        /// A FIFO queue (exactly-once, ordered) rather than a standard one.
        fifo: bool [replace] = false;
        /// FIFO only: deduplicate by a hash of the body when a message has no deduplication id.
        content_based_deduplication: bool [update];
        /// Seconds a received message stays hidden from other consumers: 0 to 43200 (default 30).
        visibility_timeout_seconds: int [update] = 30;
        /// Seconds a message is kept: 60 to 1209600 (default 345600, four days).
        message_retention_seconds: int [update] = 345_600;
        /// Seconds every message is delayed: 0 to 900 (default 0).
        delay_seconds: int [update] = 0;
        /// The largest message, in bytes: 1024 to 1048576 (default: as AWS sets it).
        max_message_size: int [update];
        /// Seconds a receive waits for messages (long polling): 0 to 20 (default 0).
        receive_wait_time_seconds: int [update] = 0;
        /// Encrypt with SQS-owned keys (SSE-SQS; AWS's default for new queues).
        sqs_managed_sse: bool [update];
        /// Encrypt with this KMS key instead (SSE-KMS): a key id, ARN or alias.
        kms_key_id: str [update cleared];
        /// Seconds SQS reuses a data key before asking KMS again: 60 to 86400 (default 300).
        kms_data_key_reuse_seconds: int [update];
        /// The ARN of the dead-letter queue messages move to after `max_receive_count` receives.
        dead_letter_queue_arn: str [update cleared];
        /// Receives before a message moves to the dead-letter queue: 1 to 1000.
        max_receive_count: int [update cleared];
        /// The queue's resource policy (who may send or receive), besides the
        /// statements strata adds for the SNS subscriptions.
        policy: policy [update cleared];
        /// The ARNs of the SNS topics the queue is subscribed to.
        sns_topic_arns: strs [update] = Vec::<String>::new();
    }
}

impl Queue {
    /// A standard queue (encrypted with SSE-SQS, as AWS makes new queues).
    pub fn new() -> Self {
        Self::empty()
    }

    /// A queue with this name (a FIFO queue's ends in `.fifo`).
    pub fn named(name: impl Into<strata_core::Arg<String>>) -> Self {
        Self::empty().name(name)
    }

    /// A FIFO queue (its name, derived or not, ends in `.fifo`).
    pub fn new_fifo() -> Self {
        Self::empty().fifo(true)
    }

    /// Move a message to `queue_arn` after `max_receive_count` receives (redrive).
    pub fn dead_letter_queue(self, queue_arn: impl Into<strata_core::Arg<String>>, max_receive_count: i64) -> Self {
        self.dead_letter_queue_arn(queue_arn).max_receive_count(max_receive_count)
    }

    /// Encrypt with this KMS key (SSE-KMS) instead of SQS-owned keys.
    pub fn kms_key(self, key: impl Into<strata_core::Arg<String>>) -> Self {
        self.kms_key_id(key)
    }

    /// Subscribe the queue to an SNS topic (its ARN or a topic's output); the
    /// queue's policy gets the statement that lets the topic send to it.
    pub fn subscribe(self, topic_arn: impl Into<strata_core::Arg<String>>) -> Self {
        self.push(V::sns_topic_arns, topic_arn.into().into_input())
    }
}

impl Default for Queue {
    fn default() -> Self {
        Self::new()
    }
}

type V = QueueValues;

/// The kind behind [`Queue`].
pub(crate) struct Queues;

/// A queue as read: its URL and, once completed, its attributes and the
/// topics it is subscribed to.
pub(crate) struct Item {
    url: String,
    attributes: HashMap<String, String>,
    subscribed: Vec<String>,
}

/// Queue names: 1 to 80 of letters, digits, `-` and `_` (a FIFO queue's
/// ending in `.fifo`, within the 80). Derived names leave room for `.fifo`.
const QUEUE_NAME: IdRules = IdRules { max_len: 75, min_len: 1, lowercase: false };

/// The `Sid` prefix of the statements strata writes for SNS subscriptions.
const SNS_SID: &str = "StrataSns";

fn derived_name(cx: &OpContext, fifo: bool) -> String {
    let id = derived_id(QUEUE_NAME, &cx.stack, &cx.name, if fifo { "fifo" } else { "standard" });
    if fifo {
        format!("{id}.fifo")
    } else {
        id
    }
}

fn name_of(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or(url)
}

fn invalid(op: &str, msg: String) -> ProviderError {
    ProviderError::new(ErrorClass::Invalid, op, msg)
}

/// The statement that lets `topic` send to `queue`.
fn sns_statement(queue_arn: &str, topic: &str) -> Value {
    let sid: String = topic.chars().filter(char::is_ascii_alphanumeric).collect();
    // A Sid is alphanumeric; the topic's ARN without its punctuation keeps it unique.
    let map = BTreeMap::from([
        ("Sid".to_string(), Value::str(format!("{SNS_SID}{sid}"))),
        ("Effect".to_string(), Value::str("Allow")),
        ("Principal".to_string(), Value::Map(BTreeMap::from([("Service".to_string(), Value::List(vec![Value::str("sns.amazonaws.com")]))]))),
        ("Action".to_string(), Value::List(vec![Value::str("sqs:SendMessage")])),
        ("Resource".to_string(), Value::List(vec![Value::str(queue_arn)])),
        (
            "Condition".to_string(),
            Value::Map(BTreeMap::from([(
                "ArnEquals".to_string(),
                Value::Map(BTreeMap::from([("aws:SourceArn".to_string(), Value::List(vec![Value::str(topic)]))])),
            )])),
        ),
    ]);
    Value::Map(map)
}

fn statements(doc: &Value) -> Vec<Value> {
    match doc.as_map().and_then(|m| m.get("Statement")) {
        Some(Value::List(l)) => l.clone(),
        Some(s @ Value::Map(_)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn is_ours(statement: &Value) -> bool {
    statement.as_map().and_then(|m| m.get("Sid")).and_then(Value::as_str).is_some_and(|s| s.starts_with(SNS_SID))
}

/// The topic a statement of ours is for.
fn topic_of(statement: &Value) -> Option<String> {
    let cond = statement.as_map()?.get("Condition")?.as_map()?.get("ArnEquals")?.as_map()?.get("aws:SourceArn")?;
    match cond {
        Value::List(l) => l.first().and_then(Value::as_str).map(str::to_string),
        other => other.as_str().map(str::to_string),
    }
}

/// The policy as the program declared it (the statements that are not
/// ours) and the topics of our statements.
fn split_policy(text: Option<&str>) -> (Option<Value>, Vec<String>) {
    let Some(text) = text.filter(|t| !t.trim().is_empty()) else { return (None, Vec::new()) };
    let Ok(doc) = policy::parse(text) else {
        // A policy strata cannot read shows as a change to the declared one.
        return (Some(Value::str(text)), Vec::new());
    };
    let (ours, theirs): (Vec<Value>, Vec<Value>) = statements(&doc).into_iter().partition(is_ours);
    let topics = ours.iter().filter_map(topic_of).collect();
    if theirs.is_empty() {
        return (None, topics);
    }
    let mut m = doc.as_map().cloned().unwrap_or_default();
    m.insert("Statement".into(), Value::List(theirs));
    (Some(policy::canonical(&Value::Map(m))), topics)
}

/// The policy to write: the declared one with a statement per topic.
fn full_policy(declared: Option<&Value>, queue_arn: &str, topics: &[String]) -> Result<String, ProviderError> {
    if declared.is_none() && topics.is_empty() {
        return Ok(String::new());
    }
    let mut m = declared.and_then(Value::as_map).cloned().unwrap_or_default();
    let mut list: Vec<Value> = declared.map(statements).unwrap_or_default();
    list.extend(topics.iter().map(|t| sns_statement(queue_arn, t)));
    m.insert("Statement".into(), Value::List(list));
    policy::render(&Value::Map(m)).map_err(|e| invalid("SetQueueAttributes", format!("`policy`: {e}")))
}

/// The redrive policy to write ("" removes it).
fn redrive(v: &V) -> String {
    match (&v.dead_letter_queue_arn, v.max_receive_count) {
        (Some(arn), Some(n)) => serde_json::json!({ "deadLetterTargetArn": arn, "maxReceiveCount": n }).to_string(),
        _ => String::new(),
    }
}

/// The attributes a create or an update writes, from the desired values
/// (all of them at once: moto forgets a policy that a later
/// `SetQueueAttributes` leaves out).
fn attributes(v: &V, queue_arn: &str, creating: bool) -> Result<HashMap<A, String>, ProviderError> {
    let mut a = HashMap::new();
    let mut int = |k: A, x: Option<i64>| {
        if let Some(x) = x {
            a.insert(k, x.to_string());
        }
    };
    int(A::VisibilityTimeout, v.visibility_timeout_seconds);
    int(A::MessageRetentionPeriod, v.message_retention_seconds);
    int(A::DelaySeconds, v.delay_seconds);
    int(A::MaximumMessageSize, v.max_message_size);
    int(A::ReceiveMessageWaitTimeSeconds, v.receive_wait_time_seconds);
    int(A::KmsDataKeyReusePeriodSeconds, v.kms_data_key_reuse_seconds);
    if creating && v.fifo == Some(true) {
        a.insert(A::FifoQueue, "true".into());
    }
    if let Some(b) = v.content_based_deduplication {
        a.insert(A::ContentBasedDeduplication, b.to_string());
    }
    match (&v.kms_key_id, v.sqs_managed_sse) {
        (Some(key), _) => {
            a.insert(A::KmsMasterKeyId, key.clone());
            a.insert(A::SqsManagedSseEnabled, "false".into());
        }
        (None, sse) => {
            if !creating {
                a.insert(A::KmsMasterKeyId, String::new());
            }
            if let Some(b) = sse {
                a.insert(A::SqsManagedSseEnabled, b.to_string());
            }
        }
    }
    let r = redrive(v);
    if !(creating && r.is_empty()) {
        a.insert(A::RedrivePolicy, r);
    }
    let p = full_policy(v.policy.as_ref(), queue_arn, v.sns_topic_arns.as_deref().unwrap_or_default())?;
    if !(creating && p.is_empty()) {
        a.insert(A::Policy, p);
    }
    Ok(a)
}

/// The queue's ARN from its URL (`https://host/<account>/<name>`), for the
/// policy of a queue being created.
fn arn_of(region: &str, url: &str) -> Option<String> {
    let mut parts = url.rsplit('/');
    let name = parts.next()?;
    let account = parts.next()?;
    Some(format!("arn:aws:sqs:{region}:{account}:{name}"))
}

async fn read(aws: &Aws, region: &str, url: &str) -> Result<Item, ProviderError> {
    let out = client(aws, region)
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(A::All)
        .send()
        .await
        .map_err(err("GetQueueAttributes"))?;
    let attributes = out.attributes().map(|m| m.iter().map(|(k, v)| (k.as_str().to_string(), v.clone())).collect()).unwrap_or_default();
    Ok(Item { url: url.to_string(), attributes, subscribed: Vec::new() })
}

/// The topics of `topics` the queue `queue_arn` is subscribed to, with the
/// subscription ARNs (one `ListSubscriptionsByTopic` per topic).
async fn subscriptions(aws: &Aws, topics: &[String], queue_arn: &str) -> Result<Vec<(String, String)>, ProviderError> {
    let mut found = Vec::new();
    for topic in topics {
        let region = topic.split(':').nth(3).unwrap_or_default();
        let pages = match all_pages(sns(aws, region).list_subscriptions_by_topic().topic_arn(topic).into_paginator().send(), "ListSubscriptionsByTopic").await {
            Ok(p) => p,
            // A deleted topic has no subscriptions.
            Err(e) if e.class == ErrorClass::NotFound => continue,
            Err(e) => return Err(e),
        };
        for s in pages.iter().flat_map(|p| p.subscriptions()) {
            if s.protocol() == Some("sqs") && s.endpoint() == Some(queue_arn) {
                if let Some(arn) = s.subscription_arn().filter(|a| a.starts_with("arn:")) {
                    found.push((topic.clone(), arn.to_string()));
                }
            }
        }
    }
    Ok(found)
}

fn attr<'a>(item: &'a Item, a: &A) -> Option<&'a str> {
    item.attributes.get(a.as_str()).map(String::as_str)
}

fn int_attr(item: &Item, a: &A) -> Option<i64> {
    attr(item, a).and_then(|s| s.parse().ok())
}

#[async_trait]
impl Kind for Queues {
    type Builder = Queue;
    type Item = Item;
    type Tags = SqsTags;

    const DERIVED: &'static [&'static str] = &[V::name];
    const TAGS_BY_ID: bool = true;
    const LOOKALIKE: &'static str = "name";
    const TRUST_POLICIES: &'static [&'static str] = &[V::policy];

    fn id(item: &Item) -> Option<&str> {
        Some(&item.url)
    }

    fn observe(item: &Item) -> Seen<Queue> {
        let (declared_policy, _) = split_policy(attr(item, &A::Policy));
        let redrive: Option<serde_json::Value> = attr(item, &A::RedrivePolicy).and_then(|r| serde_json::from_str(r).ok());
        let dlq = redrive.as_ref().and_then(|r| r.get("deadLetterTargetArn")).and_then(|v| v.as_str()).map(str::to_string);
        let max = redrive.as_ref().and_then(|r| r.get("maxReceiveCount")).and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()));
        let fifo = attr(item, &A::FifoQueue) == Some("true");
        let mut topics = item.subscribed.clone();
        topics.sort();
        let name = name_of(&item.url).to_string();
        Seen {
            values: V {
                name: Some(name.clone()),
                fifo: Some(fifo),
                content_based_deduplication: attr(item, &A::ContentBasedDeduplication).map(|s| s == "true"),
                visibility_timeout_seconds: int_attr(item, &A::VisibilityTimeout),
                message_retention_seconds: int_attr(item, &A::MessageRetentionPeriod),
                delay_seconds: int_attr(item, &A::DelaySeconds),
                max_message_size: int_attr(item, &A::MaximumMessageSize),
                receive_wait_time_seconds: int_attr(item, &A::ReceiveMessageWaitTimeSeconds),
                sqs_managed_sse: attr(item, &A::SqsManagedSseEnabled).map(|s| s == "true"),
                kms_key_id: attr(item, &A::KmsMasterKeyId).filter(|k| !k.is_empty()).map(str::to_string),
                kms_data_key_reuse_seconds: int_attr(item, &A::KmsDataKeyReusePeriodSeconds),
                dead_letter_queue_arn: dlq,
                max_receive_count: max,
                policy: declared_policy,
                sns_topic_arns: Some(topics),
                ..V::default()
            },
            outputs: QueueOutputs { arn: attr(item, &A::QueueArn).map(str::to_string), url: Some(item.url.clone()), queue_name: Some(name) },
            refs: Vec::new(),
        }
    }

    async fn complete(&self, aws: &Aws, region: &str, item: Item) -> Result<Item, ProviderError> {
        let mut item = if item.attributes.is_empty() { read(aws, region, &item.url).await? } else { item };
        let (_, topics) = split_policy(attr(&item, &A::Policy));
        if let Some(arn) = attr(&item, &A::QueueArn).map(str::to_string) {
            item.subscribed = subscriptions(aws, &topics, &arn).await?.into_iter().map(|(t, _)| t).collect();
        }
        Ok(item)
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Item>, ProviderError> {
        // ListQueues has no tag filter: the kernel reads each queue's tags
        // (bounded) and completes only the stack's own.
        let pages = all_pages(client(aws, &scope.region).list_queues().max_results(1000).into_paginator().send(), "ListQueues").await?;
        let urls = pages.iter().flat_map(|p| p.queue_urls());
        Ok(urls.map(|u| Item { url: u.clone(), attributes: HashMap::new(), subscribed: Vec::new() }).collect())
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Item>, ProviderError> {
        // The kernel completes it (the subscriptions) when it reads it.
        read(aws, region, id).await.map(Some)
    }

    async fn lookalikes(&self, aws: &Aws, region: &str, want: &V) -> Result<Vec<Item>, ProviderError> {
        let Some(name) = &want.name else { return Ok(Vec::new()) };
        match client(aws, region).get_queue_url().queue_name(name).send().await {
            Ok(out) => Ok(out.queue_url().map(|u| Item { url: u.to_string(), attributes: HashMap::new(), subscribed: Vec::new() }).into_iter().collect()),
            Err(e) => match err("GetQueueUrl")(e) {
                e if e.class == ErrorClass::NotFound => Ok(Vec::new()),
                e => Err(e),
            },
        }
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, Queue>) -> Result<Created<Item>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let c = client(aws, &cx.region);
        let name = v.name.clone().unwrap_or_else(|| derived_name(cx, v.fifo == Some(true)));
        // CreateQueue answers an existing queue with the same attributes
        // with its URL: refuse instead, so nobody's queue is taken over.
        match c.get_queue_url().queue_name(&name).send().await {
            Ok(_) => {
                return Err(ProviderError::new(
                    ErrorClass::Invalid,
                    "CreateQueue",
                    format!("a queue named {name:?} already exists in {} and is not this stack's", cx.region),
                ))
            }
            Err(e) => match err("GetQueueUrl")(e) {
                e if e.class == ErrorClass::NotFound => {}
                e => return Err(e),
            },
        }
        // The policy names the queue's ARN, known once it exists: it is set
        // with the subscriptions after the create.
        let mut first = attributes(v, "", true)?;
        first.remove(&A::Policy);
        let out = c
            .create_queue()
            .queue_name(&name)
            .set_attributes(Some(first))
            .set_tags(Some(v.tags.clone().into_iter().collect()))
            .send()
            .await
            .map_err(err("CreateQueue"))?;
        let url = out.queue_url().ok_or_else(|| strata_aws::lacks("CreateQueue", "QueueUrl", &cx.name))?.to_string();
        let topics = v.sns_topic_arns.clone().unwrap_or_default();
        if v.policy.is_some() || !topics.is_empty() {
            let arn = arn_of(&cx.region, &url).ok_or_else(|| strata_aws::lacks("CreateQueue", "a queue URL with an account", &cx.name))?;
            let p = full_policy(v.policy.as_ref(), &arn, &topics)?;
            c.set_queue_attributes().queue_url(&url).attributes(A::Policy, p).send().await.map_err(err("SetQueueAttributes"))?;
            for t in &topics {
                subscribe(aws, t, &arn).await?;
            }
        }
        Ok(Created::Id(url))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, Queue>, diff: &Diff) -> Result<(), ProviderError> {
        let v = &want.values;
        let arn = actual.outputs.get("arn").and_then(Value::as_str).ok_or_else(|| strata_aws::lacks("GetQueueAttributes", "QueueArn", &want.cx.name))?;
        client(aws, &want.cx.region)
            .set_queue_attributes()
            .queue_url(&actual.id)
            .set_attributes(Some(attributes(v, arn, false)?))
            .send()
            .await
            .map_err(err("SetQueueAttributes"))?;
        if diff.changed(V::sns_topic_arns).is_some() {
            let want_topics = v.sns_topic_arns.clone().unwrap_or_default();
            let have: Vec<String> = actual.props.get(V::sns_topic_arns).and_then(Value::as_list).unwrap_or_default().iter().filter_map(Value::as_str).map(str::to_string).collect();
            for t in want_topics.iter().filter(|t| !have.contains(t)) {
                subscribe(aws, t, arn).await?;
            }
            let gone: Vec<String> = have.into_iter().filter(|t| !want_topics.contains(t)).collect();
            unsubscribe(aws, &gone, arn).await?;
        }
        Ok(())
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        // A deleted queue's subscriptions would keep failing deliveries: remove them first.
        let topics: Vec<String> = actual.props.get(V::sns_topic_arns).and_then(Value::as_list).unwrap_or_default().iter().filter_map(Value::as_str).map(str::to_string).collect();
        if let Some(arn) = actual.outputs.get("arn").and_then(Value::as_str) {
            unsubscribe(aws, &topics, arn).await?;
        }
        client(aws, &cx.region).delete_queue().queue_url(&actual.id).send().await.map(|_| ()).map_err(err("DeleteQueue"))
    }

    fn normalize(props: &mut Props) {
        // Subscriptions have no order.
        if let Some(Value::List(l)) = props.get_mut(V::sns_topic_arns) {
            l.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
            l.dedup();
        }
    }

    fn validate(decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        let fifo = decl.known(V::fifo).and_then(|v| v.as_bool()) == Some(true);
        if let Some(name) = decl.known(V::name).and_then(|v| v.as_str().map(str::to_string)) {
            let stem = name.strip_suffix(".fifo").unwrap_or(&name);
            let ok = !stem.is_empty() && name.len() <= 80 && stem.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !ok {
                out.push(Diagnostic::field(&decl.name, V::name, format!("{name:?} is not a queue name (1 to 80 of A-Z a-z 0-9 - _, a FIFO queue's ending in .fifo)")));
            } else if fifo != name.ends_with(".fifo") {
                let why = if fifo { "a FIFO queue's name must end in .fifo" } else { "only a FIFO queue's name ends in .fifo (set fifo(true))" };
                out.push(Diagnostic::field(&decl.name, V::name, format!("{name:?}: {why}")));
            }
        }
        let ranges: [(&str, i64, i64); 6] = [
            (V::visibility_timeout_seconds, 0, 43_200),
            (V::message_retention_seconds, 60, 1_209_600),
            (V::delay_seconds, 0, 900),
            (V::max_message_size, 1024, 1_048_576),
            (V::receive_wait_time_seconds, 0, 20),
            (V::kms_data_key_reuse_seconds, 60, 86_400),
        ];
        for (field, lo, hi) in ranges {
            if let Some(x) = decl.known(field).and_then(|v| v.as_int()) {
                if !(lo..=hi).contains(&x) {
                    out.push(Diagnostic::field(&decl.name, field, format!("{x} is out of range ({lo} to {hi})")));
                }
            }
        }
        if let Some(n) = decl.known(V::max_receive_count).and_then(|v| v.as_int()) {
            if !(1..=1000).contains(&n) {
                out.push(Diagnostic::field(&decl.name, V::max_receive_count, format!("{n} is out of range (1 to 1000 receives)")));
            }
        }
        if !fifo && decl.known(V::content_based_deduplication).and_then(|v| v.as_bool()).is_some() {
            out.push(Diagnostic::field(&decl.name, V::content_based_deduplication, "applies to FIFO queues only (set fifo(true))"));
        }
        let has = |f: &str| decl.inputs.get(f).is_some_and(|i| !matches!(i, strata_core::Input::Known(Value::Null)));
        if has(V::kms_key_id) && decl.known(V::sqs_managed_sse).and_then(|v| v.as_bool()) == Some(true) {
            out.push(Diagnostic::field(&decl.name, V::sqs_managed_sse, "cannot be on with a KMS key (kms_key_id): a queue has one kind of encryption"));
        }
        if has(V::kms_data_key_reuse_seconds) && !has(V::kms_key_id) {
            out.push(Diagnostic::field(&decl.name, V::kms_data_key_reuse_seconds, "applies only with a KMS key (kms_key_id)"));
        }
        if has(V::dead_letter_queue_arn) != has(V::max_receive_count) {
            out.push(Diagnostic::field(&decl.name, V::max_receive_count, "a dead-letter queue needs both its ARN and max_receive_count (use dead_letter_queue)"));
        }
        if let Some(arn) = decl.known(V::dead_letter_queue_arn).and_then(|v| v.as_str().map(str::to_string)) {
            if !arn.starts_with("arn:") || !arn.contains(":sqs:") {
                out.push(Diagnostic::field(&decl.name, V::dead_letter_queue_arn, format!("{arn:?} is not a queue ARN")));
            } else if fifo != arn.ends_with(".fifo") {
                out.push(Diagnostic::field(&decl.name, V::dead_letter_queue_arn, format!("{arn:?}: a FIFO queue's dead-letter queue is a FIFO queue, a standard queue's a standard one")));
            }
        }
        if let Some(Value::List(topics)) = decl.known(V::sns_topic_arns) {
            for t in topics.iter().filter_map(Value::as_str) {
                if !t.starts_with("arn:") || t.split(':').nth(2) != Some("sns") {
                    out.push(Diagnostic::field(&decl.name, V::sns_topic_arns, format!("{t:?} is not an SNS topic ARN")));
                }
            }
        }
    }

    fn estimate(_op: Op) -> Duration {
        Duration::from_secs(1)
    }
}

/// Remove the queue's subscriptions to `topics`.
async fn unsubscribe(aws: &Aws, topics: &[String], queue_arn: &str) -> Result<(), ProviderError> {
    for (topic, sub) in subscriptions(aws, topics, queue_arn).await? {
        let region = topic.split(':').nth(3).unwrap_or_default();
        sns(aws, region).unsubscribe().subscription_arn(sub).send().await.map_err(err("Unsubscribe"))?;
    }
    Ok(())
}

/// Subscribe the queue to the topic (idempotent for the same endpoint).
async fn subscribe(aws: &Aws, topic: &str, queue_arn: &str) -> Result<(), ProviderError> {
    let region = topic.split(':').nth(3).ok_or_else(|| invalid("Subscribe", format!("{topic:?} is not a topic ARN")))?;
    sns(aws, region)
        .subscribe()
        .topic_arn(topic)
        .protocol("sqs")
        .endpoint(queue_arn)
        .return_subscription_arn(true)
        .send()
        .await
        .map(|_| ())
        .map_err(err("Subscribe"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const Q: &str = "arn:aws:sqs:eu-central-1:123456789012:orders";
    const T: &str = "arn:aws:sns:eu-central-1:123456789012:events";

    #[test]
    fn our_statements_are_told_apart_from_the_declared_ones() {
        let declared = policy::canonical(&strata_aws::policy::PolicyDocument::new()
            .statement(strata_aws::policy::Statement::allow().principal("AWS", "arn:aws:iam::123456789012:root").action("sqs:ReceiveMessage").resource(Q))
            .into_input()
            .known()
            .unwrap_or(Value::Null));
        let text = full_policy(Some(&declared), Q, &[T.to_string()]).unwrap();
        let (back, topics) = split_policy(Some(&text));
        assert_eq!(topics, vec![T.to_string()]);
        assert_eq!(back, Some(declared));
        let only_ours = full_policy(None, Q, &[T.to_string()]).unwrap();
        assert_eq!(split_policy(Some(&only_ours)), (None, vec![T.to_string()]));
        assert_eq!(full_policy(None, Q, &[]).unwrap(), "");
        assert_eq!(split_policy(Some("")), (None, Vec::new()));
    }

    #[test]
    fn a_derived_fifo_name_ends_in_fifo_within_80() {
        let cx = OpContext {
            stack: "a-very-long-stack-name-that-goes-on-and-on".into(),
            name: "a-very-long-logical-name-that-goes-on-too".into(),
            region: "eu-central-1".into(),
            timeout: Duration::from_secs(1),
            poll: strata_engine::PollPolicy::default(),
            idempotency_token: String::new(),
        };
        let name = derived_name(&cx, true);
        assert!(name.ends_with(".fifo") && name.len() <= 80, "{name}");
        assert_ne!(derived_name(&cx, false), name.trim_end_matches(".fifo"));
    }
}
