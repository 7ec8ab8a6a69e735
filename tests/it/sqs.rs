//! SQS queues on both emulators: a standard queue with a dead-letter queue,
//! a declared policy and an SNS subscription, and a FIFO queue; created,
//! read back through the SDK, re-planned empty, changed in place, drift
//! shown and repaired, replaced by a new name, destroyed. A queue someone
//! else made with the declared name is not taken over.

use std::collections::HashMap;

use aws_sdk_sqs::types::QueueAttributeName as A;
use strata::aws::sns::Topic;
use strata::aws::sqs::{PolicyDocument, Queue, Statement};
use strata::engine::{CallCounter, Engine, Status};
use strata::prelude::*;
use strata_aws_testkit::{unique_stack, Emulator};

const ACCOUNT_ROOT: &str = "arn:aws:iam::123456789012:root";

#[derive(Clone)]
struct Want {
    name: String,
    visibility: i64,
    dlq: bool,
    subscribed: bool,
    team: &'static str,
}

fn stack(stack: &str, w: &Want) -> Stack {
    let mut s = Stack::new(stack, "eu-central-1");
    let topic = s.add("events", Topic::new());
    let dlq = s.add("orders-dlq", Queue::new().message_retention_seconds(1_209_600));
    let mut q = Queue::named(&w.name)
        .visibility_timeout_seconds(w.visibility)
        .receive_wait_time_seconds(10)
        .policy(PolicyDocument::new().statement(
            Statement::allow().principal("AWS", ACCOUNT_ROOT).actions(["sqs:ReceiveMessage", "sqs:DeleteMessage"]).resource("*"),
        ))
        .tag("team", w.team);
    if w.dlq {
        q = q.dead_letter_queue(dlq.arn(), 5);
    }
    if w.subscribed {
        q = q.subscribe(topic.arn());
    }
    let q = s.add("orders", q);
    s.add("ledger", Queue::new_fifo().content_based_deduplication(true));
    s.export("url", q.url());
    s.export("arn", q.arn());
    s.export("topic", topic.arn());
    s.export("dlq", dlq.arn());
    s
}

async fn attributes(sqs: &aws_sdk_sqs::Client, url: &str) -> HashMap<String, String> {
    let out = sqs.get_queue_attributes().queue_url(url).attribute_names(A::All).send().await.unwrap();
    out.attributes().unwrap().iter().map(|(k, v)| (k.as_str().to_string(), v.clone())).collect()
}

async fn url_of(sqs: &aws_sdk_sqs::Client, name: &str) -> Option<String> {
    sqs.get_queue_url().queue_name(name).send().await.ok().and_then(|o| o.queue_url().map(str::to_string))
}

async fn subscribed(sns: &aws_sdk_sns::Client, topic: &str, queue_arn: &str) -> bool {
    let out = sns.list_subscriptions_by_topic().topic_arn(topic).send().await.unwrap();
    out.subscriptions().iter().any(|s| s.protocol() == Some("sqs") && s.endpoint() == Some(queue_arn))
}

async fn queue_lifecycle(emulator: Emulator) {
    let url = emulator.url();
    let name = unique_stack("sqs");
    let aws = strata_aws_testkit::aws(&url, "eu-central-1").await;
    let counter = aws.counter();
    let engine = crate::support::fast_engine(&aws);
    let conf = strata_aws_testkit::sdk_config(&url, "eu-central-1").await;
    let (sqs, sns) = (aws_sdk_sqs::Client::new(&conf), aws_sdk_sns::Client::new(&conf));
    let base = Want { name: format!("{name}-orders"), visibility: 60, dlq: true, subscribed: true, team: "shop" };

    let s = stack(&name, &base);
    let plan = engine.plan(&s).await.unwrap();
    let report = engine.apply(&s, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let q = report.exports["url"].as_str().unwrap().to_string();
    let arn = report.exports["arn"].as_str().unwrap().to_string();
    let topic = report.exports["topic"].as_str().unwrap().to_string();
    let dlq = report.exports["dlq"].as_str().unwrap().to_string();
    assert_eq!(report.outcome("orders").unwrap().physical_id.as_deref(), Some(q.as_str()));
    let a = attributes(&sqs, &q).await;
    assert_eq!(a["VisibilityTimeout"], "60");
    assert_eq!(a["ReceiveMessageWaitTimeSeconds"], "10");
    let redrive: serde_json::Value = serde_json::from_str(&a["RedrivePolicy"]).unwrap();
    assert_eq!(redrive["deadLetterTargetArn"], dlq.as_str());
    assert_eq!(redrive["maxReceiveCount"].as_i64().or_else(|| redrive["maxReceiveCount"].as_str()?.parse().ok()), Some(5));
    let policy = strata::aws::policy::parse(&a["Policy"]).unwrap();
    let text = strata::aws::policy::render(&policy).unwrap();
    assert!(text.contains(ACCOUNT_ROOT) && text.contains("sns.amazonaws.com") && text.contains(&topic), "{text}");
    assert!(subscribed(&sns, &topic, &arn).await, "the queue is subscribed to the topic");
    let tags = sqs.list_queue_tags().queue_url(&q).send().await.unwrap().tags().cloned().unwrap_or_default();
    assert_eq!(tags.get("strata:stack"), Some(&name));
    assert_eq!(tags.get("team").map(String::as_str), Some("shop"));
    let fifo_url = report.outcome("ledger").unwrap().physical_id.clone().unwrap();
    assert!(fifo_url.ends_with(".fifo"), "{fifo_url}");
    let fa = attributes(&sqs, &fifo_url).await;
    assert_eq!(fa.get("FifoQueue").map(String::as_str), Some("true"));
    assert_eq!(fa.get("ContentBasedDeduplication").map(String::as_str), Some("true"));

    let before = counter.snapshot();
    let plan = engine.plan(&s).await.unwrap();
    assert!(!plan.has_changes(), "AWS's form of the policy is not a diff: {}", plan.render_text());
    assert!(engine.apply(&s, plan).await.is_success());
    assert_eq!(counter.snapshot().since(&before).mutating_calls(), 0, "a second run changes nothing");

    // In place: the timeout, the tags; the dead-letter queue and the subscription go.
    let changed = Want { visibility: 120, dlq: false, subscribed: false, team: "payments", ..base.clone() };
    let s2 = stack(&name, &changed);
    let plan = engine.plan(&s2).await.unwrap();
    assert_eq!(plan.step("orders").unwrap().action, strata::Action::Update, "{}", plan.render_text());
    let report = engine.apply(&s2, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    assert_eq!(report.count(Status::Updated), 1);
    let a = attributes(&sqs, &q).await;
    assert_eq!(a["VisibilityTimeout"], "120");
    assert!(a.get("RedrivePolicy").is_none_or(|r| r.is_empty() || r == "{}"), "{a:?}");
    assert!(!subscribed(&sns, &topic, &arn).await, "the subscription is removed");
    let text = strata::aws::policy::render(&strata::aws::policy::parse(&a["Policy"]).unwrap()).unwrap();
    assert!(text.contains(ACCOUNT_ROOT) && !text.contains("sns.amazonaws.com"), "the declared policy stays, the topic's statement goes: {text}");
    let plan = engine.plan(&s2).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.render_text());

    // Drift: someone changes the timeout and subscribes nothing; shown, then repaired.
    sqs.set_queue_attributes().queue_url(&q).attributes(A::VisibilityTimeout, "5").send().await.unwrap();
    let plan = engine.plan(&s2).await.unwrap();
    let step = plan.step("orders").unwrap();
    assert_eq!(step.action, strata::Action::Update, "{}", plan.render_text());
    assert!(plan.render_text().contains("visibility_timeout_seconds"), "{}", plan.render_text());
    assert!(engine.apply(&s2, plan).await.is_success());
    assert_eq!(attributes(&sqs, &q).await["VisibilityTimeout"], "120");
    // Subscribed again: the subscription and its statement come back.
    let s3 = stack(&name, &Want { subscribed: true, ..changed.clone() });
    let plan = engine.plan(&s3).await.unwrap();
    assert!(engine.apply(&s3, plan).await.is_success());
    assert!(subscribed(&sns, &topic, &arn).await);
    assert!(!engine.plan(&s3).await.unwrap().has_changes());

    // A new name replaces the queue.
    let renamed = Want { name: format!("{name}-orders-v2"), subscribed: true, ..changed.clone() };
    let s4 = stack(&name, &renamed);
    let plan = engine.plan(&s4).await.unwrap();
    assert_eq!(plan.step("orders").unwrap().action, strata::Action::Replace, "{}", plan.render_text());
    let report = engine.apply(&s4, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    assert!(url_of(&sqs, &base.name).await.is_none(), "the old queue is deleted");
    assert!(!subscribed(&sns, &topic, &arn).await, "and its subscription");
    let new_url = url_of(&sqs, &renamed.name).await.expect("the new queue exists");
    let new_arn = attributes(&sqs, &new_url).await["QueueArn"].clone();
    assert!(subscribed(&sns, &topic, &new_arn).await);

    let plan = engine.plan_destroy(&s4).await.unwrap();
    let report = engine.apply(&s4, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    assert!(url_of(&sqs, &renamed.name).await.is_none());
    assert!(sqs.get_queue_attributes().queue_url(&fifo_url).send().await.is_err(), "the FIFO queue is deleted");
}

/// A queue someone else made with the declared name is not taken over, even
/// with the same attributes (where `CreateQueue` would answer its URL).
async fn an_untagged_queue_with_the_name_is_not_taken_over(emulator: Emulator) {
    let url = emulator.url();
    let name = unique_stack("sqs-theirs");
    let aws = strata_aws_testkit::aws(&url, "eu-central-1").await;
    let engine = Engine::new(strata::aws::registry(&aws));
    let sqs = aws_sdk_sqs::Client::new(&strata_aws_testkit::sdk_config(&url, "eu-central-1").await);
    let theirs = format!("{name}-theirs");
    let q = sqs.create_queue().queue_name(&theirs).tags("owner", "someone-else").send().await.unwrap().queue_url().unwrap().to_string();

    let mut s = Stack::new(&name, "eu-central-1");
    s.add("orders", Queue::named(&theirs));
    let plan = engine.plan(&s).await.unwrap();
    assert_eq!(plan.step("orders").unwrap().action, strata::Action::Create);
    assert!(plan.render_text().contains(&q), "the plan names the look-alike: {}", plan.render_text());
    let report = engine.apply(&s, plan).await;
    assert!(!report.is_success(), "creating over someone else's queue fails");
    let tags = sqs.list_queue_tags().queue_url(&q).send().await.unwrap().tags().cloned().unwrap_or_default();
    assert!(!tags.contains_key("strata:stack"), "{tags:?}");
    assert_eq!(tags.get("owner").map(String::as_str), Some("someone-else"));
    sqs.delete_queue().queue_url(&q).send().await.unwrap();
}

mod localstack {
    #[tokio::test(flavor = "multi_thread")]
    async fn queue_lifecycle() {
        super::queue_lifecycle(strata_aws_testkit::Emulator::LocalStack).await
    }
    #[tokio::test(flavor = "multi_thread")]
    async fn an_untagged_queue_with_the_name_is_not_taken_over() {
        super::an_untagged_queue_with_the_name_is_not_taken_over(strata_aws_testkit::Emulator::LocalStack).await
    }
}

mod moto {
    #[tokio::test(flavor = "multi_thread")]
    async fn queue_lifecycle() {
        super::queue_lifecycle(strata_aws_testkit::Emulator::Moto).await
    }
    #[tokio::test(flavor = "multi_thread")]
    async fn an_untagged_queue_with_the_name_is_not_taken_over() {
        super::an_untagged_queue_with_the_name_is_not_taken_over(strata_aws_testkit::Emulator::Moto).await
    }
}
