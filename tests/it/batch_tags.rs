//! Tags read in one batch from the Resource Groups Tagging API
//! (`strata_aws::tagging_api`) on moto: a no-op plan of a stack of alarms and
//! caches reads their tags with one `GetResources` instead of one
//! `ListTagsForResource` each, and a delete confirms with the service's own
//! read that the resource is still the stack's (a stale batch answer must
//! never delete what is no longer the stack's).

use std::collections::BTreeMap;

use strata::aws::cloudwatch::{Compare, MetricAlarm};
use strata::engine::{CallCounter, OpContext, PollPolicy};
use strata::prelude::*;
use strata_aws_testkit::unique_stack;

use crate::support::{fast_engine, PrivateMoto};

const REGION: &str = "eu-central-1";

fn alarms(name: &str, n: usize) -> Stack {
    let mut s = Stack::new(name, REGION);
    for i in 0..n {
        s.add(format!("cpu-{i}"), MetricAlarm::new("Batch/Test", "CPUUtilization", "Average", Compare::GreaterThan, 80.0 + i as f64));
    }
    s
}

fn by_operation(counter: &dyn CallCounter, before: &strata::engine::CallStats) -> BTreeMap<String, u64> {
    let mut calls = BTreeMap::new();
    for ((service, op), c) in &counter.snapshot().since(before).rows {
        *calls.entry(format!("{service}:{op}")).or_insert(0) += c.calls;
    }
    calls
}

#[tokio::test(flavor = "multi_thread")]
async fn alarm_tags_come_from_one_tagging_api_call_and_a_delete_confirms_the_owner_on_moto() {
    let moto = PrivateMoto::start();
    let aws = strata_aws_testkit::aws(&moto.url, REGION).await;
    let counter = aws.counter();
    let engine = fast_engine(&aws);
    let name = unique_stack("batch-tags");
    let s = alarms(&name, 5);
    let report = engine.apply(&s, engine.plan(&s).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));

    let before = counter.snapshot();
    let plan = engine.plan(&s).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.render_text());
    let calls = by_operation(counter.as_ref(), &before);
    let tag_reads = calls.iter().filter(|(k, _)| k.starts_with("cloudwatch:ListTagsForResource")).map(|(_, n)| n).sum::<u64>();
    assert_eq!(tag_reads, 0, "the five alarms' tags came in the batch: {calls:?}");
    assert_eq!(calls.iter().filter(|(k, _)| k.ends_with(":GetResources")).map(|(_, n)| n).sum::<u64>(), 1, "{calls:?}");

    // The alarm loses this stack's tag outside strata after the plan saw it.
    let victim = plan.step("cpu-0").and_then(|x| x.observed.clone()).expect("cpu-0 observed");
    let conf = strata_aws_testkit::sdk_config(&moto.url, REGION).await;
    let cw = aws_sdk_cloudwatch::Client::new(&conf);
    let arn = victim.outputs.get("arn").and_then(|v| v.as_str()).expect("arn").to_string();
    cw.untag_resource().resource_arn(&arn).tag_keys(strata::tags::STACK).send().await.unwrap();
    let provider = strata::aws::registry(&aws).get(victim.kind).cloned().unwrap();
    let cx = OpContext {
        stack: name.clone(),
        name: "cpu-0".into(),
        region: REGION.into(),
        timeout: std::time::Duration::from_secs(30),
        poll: PollPolicy::default(),
        idempotency_token: String::new(),
    };
    let refused = provider.delete(&cx, &victim).await.expect_err("an alarm that is no longer the stack's is not deleted");
    assert!(refused.to_string().contains("no longer carries this stack's tags"), "{refused}");
    let left = cw.describe_alarms().alarm_names(&victim.id).send().await.unwrap();
    assert_eq!(left.metric_alarms().len(), 1, "the alarm is still there");
    // Deleting what is already gone succeeds (the confirmation reads it first).
    let other = plan.step("cpu-1").and_then(|x| x.observed.clone()).unwrap();
    cw.delete_alarms().alarm_names(&other.id).send().await.unwrap();
    provider.delete(&OpContext { name: "cpu-1".into(), ..cx.clone() }, &other).await.unwrap();

    let report = engine.apply(&s, engine.plan_destroy(&s).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
}
