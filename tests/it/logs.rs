//! CloudWatch Logs log groups, the first kind on the resource kernel, on both
//! emulators: create with retention, class and tags; a second run changes
//! nothing; retention, tags and the KMS key change in place; a new name
//! replaces; destroy removes it. The KMS-key change runs on moto only:
//! neither emulator has `AssociateKmsKey`, and `scripts/moto_server.py` adds
//! it to moto (LocalStack runs its own).

use std::collections::HashMap;

use strata::aws::logs::LogGroup;
use strata::engine::{CallCounter, Engine, Status};
use strata::prelude::*;
use strata_aws_testkit::{unique_stack, Emulator};

const KEY_A: &str = "arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555";
const KEY_B: &str = "arn:aws:kms:eu-central-1:123456789012:key/66666666-7777-8888-9999-000000000000";

fn stack(name: &str, group: &str, days: i64, team: &str, key: Option<&str>) -> Stack {
    let mut s = Stack::new(name, "eu-central-1");
    let mut g = LogGroup::named(group).retention_days(days).tag("team", team);
    if let Some(k) = key {
        g = g.kms_key_id(k);
    }
    let g = s.add("app-logs", g);
    s.add("audit-logs", LogGroup::new());
    s.export("arn", g.arn());
    s
}

async fn describe(logs: &aws_sdk_cloudwatchlogs::Client, name: &str) -> Option<aws_sdk_cloudwatchlogs::types::LogGroup> {
    let out = logs.describe_log_groups().log_group_name_prefix(name).send().await.unwrap();
    out.log_groups().iter().find(|g| g.log_group_name() == Some(name)).cloned()
}

async fn tags(logs: &aws_sdk_cloudwatchlogs::Client, arn: &str) -> HashMap<String, String> {
    logs.list_tags_for_resource().resource_arn(arn).send().await.unwrap().tags().cloned().unwrap_or_default()
}

async fn log_group_lifecycle(emulator: Emulator) {
    let url = emulator.url();
    let name = unique_stack("logs");
    let aws = strata_aws_testkit::aws(&url, "eu-central-1").await;
    let counter = aws.counter();
    let engine = crate::support::fast_engine(&aws);
    let logs = aws_sdk_cloudwatchlogs::Client::new(&strata_aws_testkit::sdk_config(&url, "eu-central-1").await);
    let group = format!("/{name}/app");
    let moto = emulator == Emulator::Moto;
    let key = moto.then_some(KEY_A);

    let base = stack(&name, &group, 30, "web", key);
    let plan = engine.plan(&base).await.unwrap();
    let report = engine.apply(&base, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    assert_eq!(report.outcome("app-logs").unwrap().physical_id.as_deref(), Some(group.as_str()));
    let g = describe(&logs, &group).await.expect("the log group exists");
    assert_eq!(g.retention_in_days(), Some(30));
    assert_eq!(g.kms_key_id(), key);
    let arn = report.exports["arn"].as_str().unwrap().to_string();
    assert!(arn.starts_with("arn:aws:logs:eu-central-1:") && !arn.ends_with(":*"), "{arn}");
    let t = tags(&logs, &arn).await;
    assert_eq!(t.get("strata:stack"), Some(&name));
    assert_eq!(t.get("strata:resource").map(String::as_str), Some("app-logs"));
    assert_eq!(t.get("team").map(String::as_str), Some("web"));
    let derived = format!("/strata/{name}/audit-logs");
    assert!(describe(&logs, &derived).await.is_some(), "the unnamed group gets a derived name");

    let before = counter.snapshot();
    let plan = engine.plan(&base).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.render_text());
    assert!(engine.apply(&base, plan).await.is_success());
    assert_eq!(counter.snapshot().since(&before).mutating_calls(), 0, "a second run changes nothing");

    let changed = stack(&name, &group, 90, "platform", moto.then_some(KEY_B));
    let plan = engine.plan(&changed).await.unwrap();
    assert_eq!(plan.step("app-logs").unwrap().action, strata::Action::Update, "{}", plan.render_text());
    assert!(plan.step("audit-logs").is_none_or(|s| s.action == strata::Action::NoOp), "{}", plan.render_text());
    let report = engine.apply(&changed, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    assert_eq!(report.count(Status::Updated), 1);
    let g = describe(&logs, &group).await.unwrap();
    assert_eq!(g.retention_in_days(), Some(90));
    if moto {
        assert_eq!(g.kms_key_id(), Some(KEY_B));
    }
    assert_eq!(tags(&logs, &arn).await.get("team").map(String::as_str), Some("platform"));
    let plan = engine.plan(&changed).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.render_text());

    let renamed_group = format!("/{name}/app-v2");
    let renamed = stack(&name, &renamed_group, 90, "platform", moto.then_some(KEY_B));
    let plan = engine.plan(&renamed).await.unwrap();
    assert_eq!(plan.step("app-logs").unwrap().action, strata::Action::Replace, "{}", plan.render_text());
    let report = engine.apply(&renamed, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    assert!(describe(&logs, &group).await.is_none(), "the old group is deleted");
    assert!(describe(&logs, &renamed_group).await.is_some());

    let plan = engine.plan_destroy(&renamed).await.unwrap();
    let report = engine.apply(&renamed, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    assert!(describe(&logs, &renamed_group).await.is_none());
    assert!(describe(&logs, &derived).await.is_none());
}

/// A log group someone else made with the name a stack declares is not
/// taken over: the plan names it as a look-alike, and the create fails
/// without touching it.
async fn an_untagged_group_with_the_name_is_not_taken_over(emulator: Emulator) {
    let url = emulator.url();
    let name = unique_stack("logs-theirs");
    let aws = strata_aws_testkit::aws(&url, "eu-central-1").await;
    let engine = Engine::new(strata::aws::registry(&aws));
    let logs = aws_sdk_cloudwatchlogs::Client::new(&strata_aws_testkit::sdk_config(&url, "eu-central-1").await);
    let group = format!("/{name}/theirs");
    logs.create_log_group().log_group_name(&group).tags("owner", "someone-else").send().await.unwrap();

    let mut s = Stack::new(&name, "eu-central-1");
    s.add("app-logs", LogGroup::named(&group).retention_days(7));
    let plan = engine.plan(&s).await.unwrap();
    assert_eq!(plan.step("app-logs").unwrap().action, strata::Action::Create);
    let text = plan.render_text();
    assert!(text.contains(&group), "the plan names the look-alike: {text}");
    let report = engine.apply(&s, plan).await;
    assert!(!report.is_success(), "creating over someone else's group fails");
    let g = describe(&logs, &group).await.unwrap();
    assert_eq!(g.retention_in_days(), None, "their group is untouched");
    let arn = g.log_group_arn().map(str::to_string).unwrap_or_else(|| g.arn().unwrap().trim_end_matches(":*").to_string());
    let t = tags(&logs, &arn).await;
    assert!(!t.contains_key("strata:stack"), "{t:?}");
    logs.delete_log_group().log_group_name(&group).send().await.unwrap();
}

mod localstack {
    #[tokio::test(flavor = "multi_thread")]
    async fn log_group_lifecycle() {
        super::log_group_lifecycle(strata_aws_testkit::Emulator::LocalStack).await
    }
    #[tokio::test(flavor = "multi_thread")]
    async fn an_untagged_group_with_the_name_is_not_taken_over() {
        super::an_untagged_group_with_the_name_is_not_taken_over(strata_aws_testkit::Emulator::LocalStack).await
    }
}

mod moto {
    #[tokio::test(flavor = "multi_thread")]
    async fn log_group_lifecycle() {
        super::log_group_lifecycle(strata_aws_testkit::Emulator::Moto).await
    }
    #[tokio::test(flavor = "multi_thread")]
    async fn an_untagged_group_with_the_name_is_not_taken_over() {
        super::an_untagged_group_with_the_name_is_not_taken_over(strata_aws_testkit::Emulator::Moto).await
    }
}
