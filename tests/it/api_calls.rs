//! The API-call report counts what the emulator actually received.

use strata::engine::{CallCounter, Engine};
use strata::prelude::*;
use strata_aws_testkit::unique_stack;

use crate::network::small_network;
use crate::support::PrivateMoto;

#[tokio::test(flavor = "multi_thread")]
async fn call_counts_match_the_emulators_request_log() {
    let moto = PrivateMoto::start();
    let aws = strata_aws_testkit::aws(&moto.url, "eu-central-1").await;
    let counter = aws.counter();
    let engine = Engine::new(strata::aws::registry(&aws));
    let stack: Stack = small_network(&unique_stack("calls"), Variant::Base);

    moto.start_recording();
    let before = counter.snapshot();
    let plan = engine.plan(&stack).await.unwrap();
    let report = engine.apply(&stack, plan).await;
    assert!(report.is_success(), "{report:?}");
    let destroy = engine.plan_destroy(&stack).await.unwrap();
    assert!(engine.apply(&stack, destroy).await.is_success());
    let counted = counter.snapshot().since(&before);

    // Every attempt (first tries and retries) is one request the server saw.
    let mut ours = std::collections::BTreeMap::new();
    for ((_service, op), c) in &counted.rows {
        *ours.entry(op.clone()).or_insert(0u64) += c.calls + c.retries;
    }
    let theirs = moto.recorded_actions();
    assert!(!theirs.is_empty());
    assert_eq!(ours, theirs, "counter vs moto's request log");
    assert!(counted.mutating_calls() > 0);
}

use crate::network::Variant;

/// The no-op plan cost of the platform kinds (SQS, ECR, CloudTrail, bucket
/// policies, OIDC providers), per call, on a private moto so nothing else is
/// listed: each list is one call, each listed item one tag read where the
/// service has no tag filter (SQS, ECR, OIDC), and only the stack's own items
/// are read further. `docs/PERFORMANCE.md` quotes these figures.
#[tokio::test(flavor = "multi_thread")]
async fn platform_kinds_no_op_plan_cost_on_a_private_moto() {
    use strata::aws::cloudtrail::Trail;
    use strata::aws::ecr::{LifecycleRule, Repository};
    use strata::aws::iam::OpenIdConnectProvider;
    use strata::aws::s3::{Bucket, BucketPolicy};
    use strata::aws::sns::Topic;
    use strata::aws::sqs::Queue;

    let moto = PrivateMoto::start();
    let aws = strata_aws_testkit::aws(&moto.url, "eu-central-1").await;
    let counter = aws.counter();
    let engine = Engine::new(strata::aws::registry(&aws));
    let mut s = Stack::new(unique_stack("platform-calls"), "eu-central-1");
    let topic = s.add("events", Topic::new());
    let dlq = s.add("orders-dlq", Queue::new());
    s.add("orders", Queue::new().dead_letter_queue(dlq.arn(), 5).subscribe(topic.arn()));
    s.add("web-images", Repository::new().lifecycle_rule(LifecycleRule::keep_last(30)).policy(Repository::pulls_from(["111122223333"])));
    s.add("api-images", Repository::new());
    let bucket = s.add("trail-logs", Bucket::new().force_destroy(true));
    let arn = bucket.arn();
    let policy = s.add("trail-logs-policy", BucketPolicy::new(bucket.bucket_name(), Trail::bucket_policy(&arn, None, "123456789012")));
    s.add("audit", Trail::new(policy.bucket()));
    s.add("eks-oidc", OpenIdConnectProvider::new("https://oidc.eks.eu-central-1.amazonaws.com/id/PLATFORMCALLS").client_id("sts.amazonaws.com"));

    let plan = engine.plan(&s).await.unwrap();
    let report = engine.apply(&s, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));

    let before = counter.snapshot();
    let plan = engine.plan(&s).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.render_text());
    let counted = counter.snapshot().since(&before);
    let mut calls = std::collections::BTreeMap::new();
    for ((service, op), c) in &counted.rows {
        *calls.entry(format!("{service}:{op}")).or_insert(0u64) += c.calls;
    }
    eprintln!("no-op plan calls ({} in all): {calls:#?}", calls.values().sum::<u64>());
    let expected = [
        ("sqs:ListQueues", 1),
        ("sqs:ListQueueTags", 2),
        ("sqs:GetQueueAttributes", 2),
        // One for the topic's own (e-mail) subscriptions, one for the queue's.
        ("sns:ListSubscriptionsByTopic", 2),
        ("ecr:DescribeRepositories", 1),
        ("ecr:ListTagsForResource", 2),
        ("ecr:GetLifecyclePolicy", 2),
        ("ecr:GetRepositoryPolicy", 2),
        ("cloudtrail:DescribeTrails", 1),
        ("cloudtrail:ListTags", 1),
        ("cloudtrail:GetTrailStatus", 1),
        ("s3:ListBuckets", 1),
        ("s3:GetBucketTagging", 1),
        ("s3:GetBucketPolicy", 1),
        ("iam:ListOpenIDConnectProviders", 1),
        ("iam:ListOpenIDConnectProviderTags", 1),
        ("iam:GetOpenIDConnectProvider", 1),
    ];
    for (op, n) in expected {
        let key = calls.keys().find(|k| k.eq_ignore_ascii_case(op)).cloned().unwrap_or_default();
        assert_eq!(calls.get(&key).copied(), Some(n), "{op}: {calls:#?}");
    }

    let destroy = engine.plan_destroy(&s).await.unwrap();
    let report = engine.apply(&s, destroy).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
}
