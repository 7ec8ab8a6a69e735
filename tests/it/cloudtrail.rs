//! CloudTrail trails and S3 bucket policies on moto (LocalStack's community
//! edition has no CloudTrail): a trail with the bucket policy CloudTrail
//! requires, CloudWatch Logs delivery through a role, log file validation
//! and logging on; read back through the SDK; re-planned empty; changed in
//! place (logging stopped, delivery removed); drift in the trail and in the
//! bucket policy shown and repaired; a new name replaces; destroy removes
//! the trail and the policy. A policy for someone else's bucket is refused.

use strata::aws::cloudtrail::Trail;
use strata::aws::iam::{PolicyDocument, Role, Statement};
use strata::aws::logs::LogGroup;
use strata::aws::s3::{Bucket, BucketPolicy};
use strata::engine::{CallCounter, Engine};
use strata::prelude::*;
use strata_aws_testkit::{unique_stack, Emulator};

const ACCOUNT: &str = "123456789012";

#[derive(Clone)]
struct Want {
    trail: String,
    logging: bool,
    validation: bool,
    to_logs: bool,
}

fn stack(stack: &str, w: &Want) -> Stack {
    let mut s = Stack::new(stack, "eu-central-1");
    let bucket = s.add("trail-logs", Bucket::new().force_destroy(true));
    let arn = bucket.arn();
    let policy = s.add("trail-logs-policy", BucketPolicy::new(bucket.bucket_name(), Trail::bucket_policy(&arn, Some("audit"), ACCOUNT)));
    let mut t = Trail::new(policy.bucket()).name(&w.trail).s3_key_prefix("audit").logging(w.logging).log_file_validation(w.validation);
    if w.to_logs {
        let group = s.add("trail-events", LogGroup::new().retention_days(90));
        let role = s.add(
            "trail-to-logs",
            Role::new(PolicyDocument::assumed_by("cloudtrail.amazonaws.com")).inline_policy(
                "deliver",
                PolicyDocument::new().statement(Statement::allow().actions(["logs:CreateLogStream", "logs:PutLogEvents"]).resource(group.arn())),
            ),
        );
        t = t.cloud_watch_logs(group.arn(), role.arn());
    }
    let t = s.add("audit", t.tag("team", "security"));
    s.export("trail", t.arn());
    s.export("bucket", bucket.bucket_name());
    s
}

async fn trail(ct: &aws_sdk_cloudtrail::Client, name: &str) -> Option<aws_sdk_cloudtrail::types::Trail> {
    let out = ct.describe_trails().include_shadow_trails(false).send().await.unwrap();
    out.trail_list().iter().find(|t| t.name() == Some(name)).cloned()
}

async fn logging(ct: &aws_sdk_cloudtrail::Client, name: &str) -> Option<bool> {
    ct.get_trail_status().name(name).send().await.unwrap().is_logging()
}

async fn bucket_policy(s3: &aws_sdk_s3::Client, bucket: &str) -> Option<String> {
    s3.get_bucket_policy().bucket(bucket).send().await.ok().and_then(|o| o.policy().map(str::to_string))
}

#[tokio::test(flavor = "multi_thread")]
async fn trail_lifecycle_on_moto() {
    let url = Emulator::Moto.url();
    let name = unique_stack("trail");
    let aws = strata_aws_testkit::aws(&url, "eu-central-1").await;
    let counter = aws.counter();
    let engine = crate::support::fast_engine(&aws);
    let conf = strata_aws_testkit::sdk_config(&url, "eu-central-1").await;
    let ct = aws_sdk_cloudtrail::Client::new(&conf);
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&conf).force_path_style(true).build());
    let base = Want { trail: format!("{name}-audit"), logging: true, validation: true, to_logs: true };

    let s = stack(&name, &base);
    let plan = engine.plan(&s).await.unwrap();
    let report = engine.apply(&s, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let bucket = report.exports["bucket"].as_str().unwrap().to_string();
    let t = trail(&ct, &base.trail).await.expect("the trail exists");
    assert_eq!(t.s3_bucket_name(), Some(bucket.as_str()));
    assert_eq!(t.s3_key_prefix(), Some("audit"));
    assert_eq!(t.is_multi_region_trail(), Some(true));
    assert_eq!(t.log_file_validation_enabled(), Some(true));
    assert!(t.cloud_watch_logs_log_group_arn().is_some_and(|a| a.ends_with(":*")), "{t:?}");
    assert!(t.cloud_watch_logs_role_arn().is_some_and(|a| a.contains(":role/")));
    assert_eq!(logging(&ct, &base.trail).await, Some(true), "the trail is started");
    let tags = ct.list_tags().resource_id_list(t.trail_arn().unwrap()).send().await.unwrap();
    let tags = tags.resource_tag_list()[0].tags_list().to_vec();
    assert!(tags.iter().any(|t| t.key() == "strata:stack" && t.value() == Some(name.as_str())), "{tags:?}");
    let p = bucket_policy(&s3, &bucket).await.expect("the bucket has CloudTrail's policy");
    assert!(p.contains("cloudtrail.amazonaws.com") && p.contains(&format!("audit/AWSLogs/{ACCOUNT}/*")), "{p}");
    assert!(p.contains(&format!("strata:{name}:trail-logs-policy")), "the policy is known by its Id: {p}");

    let before = counter.snapshot();
    let plan = engine.plan(&s).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.render_text());
    assert!(engine.apply(&s, plan).await.is_success());
    assert_eq!(counter.snapshot().since(&before).mutating_calls(), 0, "a second run changes nothing");

    // In place: logging stopped, validation off, no CloudWatch Logs delivery.
    let changed = Want { logging: false, validation: false, to_logs: false, ..base.clone() };
    let s2 = stack(&name, &changed);
    let plan = engine.plan(&s2).await.unwrap();
    assert_eq!(plan.step("audit").unwrap().action, strata::Action::Update, "{}", plan.render_text());
    let report = engine.apply(&s2, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let t = trail(&ct, &base.trail).await.unwrap();
    assert_eq!(t.log_file_validation_enabled(), Some(false));
    assert!(t.cloud_watch_logs_log_group_arn().is_none_or(str::is_empty), "{t:?}");
    assert_eq!(logging(&ct, &base.trail).await, Some(false));
    assert!(!engine.plan(&s2).await.unwrap().has_changes());

    // Drift: someone starts the trail and rewrites the bucket policy (keeping its Id).
    ct.start_logging().name(&base.trail).send().await.unwrap();
    let theirs = format!(
        r#"{{"Version":"2012-10-17","Id":"strata:{name}:trail-logs-policy","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::{bucket}/*"}}]}}"#
    );
    s3.put_bucket_policy().bucket(&bucket).policy(theirs).send().await.unwrap();
    let plan = engine.plan(&s2).await.unwrap();
    let text = plan.render_text();
    assert_eq!(plan.step("audit").unwrap().action, strata::Action::Update, "{text}");
    assert_eq!(plan.step("trail-logs-policy").unwrap().action, strata::Action::Update, "{text}");
    assert!(engine.apply(&s2, plan).await.is_success());
    assert_eq!(logging(&ct, &base.trail).await, Some(false));
    assert!(bucket_policy(&s3, &bucket).await.unwrap().contains("cloudtrail.amazonaws.com"));
    assert!(!engine.plan(&s2).await.unwrap().has_changes());

    // A new name replaces the trail.
    let renamed = Want { trail: format!("{name}-audit-v2"), ..changed.clone() };
    let s3_stack = stack(&name, &renamed);
    let plan = engine.plan(&s3_stack).await.unwrap();
    assert_eq!(plan.step("audit").unwrap().action, strata::Action::Replace, "{}", plan.render_text());
    let report = engine.apply(&s3_stack, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    assert!(trail(&ct, &base.trail).await.is_none(), "the old trail is deleted");
    assert!(trail(&ct, &renamed.trail).await.is_some());

    let plan = engine.plan_destroy(&s3_stack).await.unwrap();
    let report = engine.apply(&s3_stack, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    assert!(trail(&ct, &renamed.trail).await.is_none());
    assert!(s3.head_bucket().bucket(&bucket).send().await.is_err(), "the bucket is deleted");
}

/// A bucket policy for a bucket without the stack's tag is refused, and the
/// bucket's own policy is left as it was.
#[tokio::test(flavor = "multi_thread")]
async fn a_policy_for_someone_elses_bucket_is_refused_on_moto() {
    let url = Emulator::Moto.url();
    let name = unique_stack("bpol-theirs");
    let aws = strata_aws_testkit::aws(&url, "eu-central-1").await;
    let engine = Engine::new(strata::aws::registry(&aws));
    let conf = strata_aws_testkit::sdk_config(&url, "eu-central-1").await;
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&conf).force_path_style(true).build());
    let bucket = format!("{name}-theirs");
    s3.create_bucket()
        .bucket(&bucket)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuCentral1)
                .build(),
        )
        .send()
        .await
        .unwrap();

    let mut s = Stack::new(&name, "eu-central-1");
    let doc = PolicyDocument::new().statement(
        Statement::allow().principal("AWS", ACCOUNT).action("s3:GetObject").resource(format!("arn:aws:s3:::{bucket}/*")),
    );
    s.add("policy", BucketPolicy::new(bucket.as_str(), doc));
    let plan = engine.plan(&s).await.unwrap();
    assert_eq!(plan.step("policy").unwrap().action, strata::Action::Create);
    let report = engine.apply(&s, plan).await;
    assert!(!report.is_success(), "a policy for someone else's bucket fails");
    assert!(strata::cli::render_report(&report).contains("is not this stack's"), "{}", strata::cli::render_report(&report));
    assert!(bucket_policy(&s3, &bucket).await.is_none(), "their bucket is untouched");
    s3.delete_bucket().bucket(&bucket).send().await.unwrap();
}
