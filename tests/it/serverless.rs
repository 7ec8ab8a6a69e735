//! Serverless kinds on moto (LocalStack's community Lambda needs to download
//! runtimes, and its DynamoDB downloads DynamoDB Local: neither works
//! offline): DynamoDB tables and Lambda functions with their permissions,
//! created, read back through the SDK, re-planned empty, changed in place,
//! drift repaired, replaced, destroyed.

use std::path::{Path, PathBuf};

use aws_sdk_dynamodb::types::{BillingMode, ContinuousBackupsStatus, PointInTimeRecoveryStatus};
use strata::aws::dynamodb::{GlobalIndex, Table};
use strata::engine::{CallCounter, Engine};
use strata::prelude::*;
use strata_aws_testkit::{unique_stack, Emulator};

fn engine(aws: &strata::aws::Aws) -> Engine {
    crate::support::fast_engine(aws)
}

#[derive(Clone)]
struct T {
    sort: &'static str,
    provisioned: bool,
    by_status: bool,
    by_email: bool,
    stream: Option<&'static str>,
    ttl: Option<&'static str>,
    pitr: bool,
    protected: bool,
}

fn table_stack(stack: &str, t: &T) -> Stack {
    let mut s = Stack::new(stack, "eu-central-1");
    let mut table = Table::new("customer_id", "S").sort_key(t.sort, "S").point_in_time_recovery(t.pitr).deletion_protection(t.protected).tag("team", "orders");
    if t.provisioned {
        table = table.provisioned(5, 3);
    }
    if t.by_status {
        table = table.attribute("status", "S").global_index(GlobalIndex::new("by-status", "status").sort_key(t.sort).keys_only());
    }
    if t.by_email {
        table = table.attribute("email", "S").global_index(GlobalIndex::new("by-email", "email").include(["name", "city"]));
    }
    if let Some(v) = t.stream {
        table = table.stream(v);
    }
    if let Some(a) = t.ttl {
        table = table.ttl_attribute(a);
    }
    let table = s.add("orders", table);
    s.export("table", table.table_name());
    s.export("stream", table.stream_arn());
    s
}

async fn describe(ddb: &aws_sdk_dynamodb::Client, name: &str) -> Option<aws_sdk_dynamodb::types::TableDescription> {
    ddb.describe_table().table_name(name).send().await.ok()?.table().cloned()
}

async fn pitr(ddb: &aws_sdk_dynamodb::Client, name: &str) -> Option<PointInTimeRecoveryStatus> {
    let out = ddb.describe_continuous_backups().table_name(name).send().await.ok()?;
    out.continuous_backups_description()?.point_in_time_recovery_description()?.point_in_time_recovery_status().cloned()
}

#[tokio::test(flavor = "multi_thread")]
async fn dynamodb_table_lifecycle_on_moto() {
    let url = Emulator::Moto.url();
    let name = unique_stack("ddb");
    let aws = strata_aws_testkit::aws(&url, "eu-central-1").await;
    let counter = aws.counter();
    let engine = engine(&aws);
    let ddb = aws_sdk_dynamodb::Client::new(&strata_aws_testkit::sdk_config(&url, "eu-central-1").await);
    let base = T { sort: "order_id", provisioned: false, by_status: true, by_email: false, stream: Some("NEW_AND_OLD_IMAGES"), ttl: Some("expires_at"), pitr: true, protected: true };

    let s = table_stack(&name, &base);
    let plan = engine.plan(&s).await.unwrap();
    let report = engine.apply(&s, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let table_name = report.exports["table"].as_str().unwrap().to_string();
    let t = describe(&ddb, &table_name).await.expect("the table exists");
    assert_eq!(t.billing_mode_summary().and_then(|b| b.billing_mode()), Some(&BillingMode::PayPerRequest));
    assert_eq!(t.key_schema().len(), 2);
    assert_eq!(t.global_secondary_indexes().iter().filter_map(|i| i.index_name()).collect::<Vec<_>>(), ["by-status"]);
    assert_eq!(t.deletion_protection_enabled(), Some(true));
    assert_eq!(report.exports["stream"].as_str(), t.latest_stream_arn(), "the stream ARN is an output");
    assert_eq!(pitr(&ddb, &table_name).await, Some(PointInTimeRecoveryStatus::Enabled));
    let ttl = ddb.describe_time_to_live().table_name(&table_name).send().await.unwrap();
    assert_eq!(ttl.time_to_live_description().and_then(|d| d.attribute_name()), Some("expires_at"));
    let tags = ddb.list_tags_of_resource().resource_arn(t.table_arn().unwrap()).send().await.unwrap();
    let tag = |k: &str| tags.tags().iter().find(|t| t.key() == k).map(|t| t.value().to_string());
    assert_eq!(tag("strata:stack"), Some(name.clone()));
    assert_eq!(tag("team").as_deref(), Some("orders"));

    let before = counter.snapshot();
    let plan = engine.plan(&s).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.render_text());
    assert!(engine.apply(&s, plan).await.is_success());
    assert_eq!(counter.snapshot().since(&before).mutating_calls(), 0, "a second run changes nothing");

    // In place: provisioned capacity, one index dropped and one added, no
    // stream, TTL on another attribute, no point-in-time recovery.
    let changed = T { provisioned: true, by_status: false, by_email: true, stream: None, ttl: Some("gone_at"), pitr: false, ..base.clone() };
    let s2 = table_stack(&name, &changed);
    let plan = engine.plan(&s2).await.unwrap();
    assert_eq!(plan.step("orders").unwrap().action, strata::Action::Update, "{}", plan.render_text());
    let report = engine.apply(&s2, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let t = describe(&ddb, &table_name).await.unwrap();
    assert_eq!(t.billing_mode_summary().and_then(|b| b.billing_mode()), Some(&BillingMode::Provisioned));
    assert_eq!(t.provisioned_throughput().and_then(|p| p.read_capacity_units()), Some(5));
    assert_eq!(t.global_secondary_indexes().iter().filter_map(|i| i.index_name()).collect::<Vec<_>>(), ["by-email"]);
    assert!(!t.stream_specification().is_some_and(|s| s.stream_enabled()), "the stream is off");
    assert_eq!(pitr(&ddb, &table_name).await, Some(PointInTimeRecoveryStatus::Disabled));
    let plan = engine.plan(&s2).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.render_text());

    // Drift: someone turns point-in-time recovery back on by hand.
    let spec = aws_sdk_dynamodb::types::PointInTimeRecoverySpecification::builder().point_in_time_recovery_enabled(true).build().unwrap();
    ddb.update_continuous_backups().table_name(&table_name).point_in_time_recovery_specification(spec).send().await.unwrap();
    let plan = engine.plan(&s2).await.unwrap();
    let step = plan.step("orders").unwrap();
    assert_eq!(step.action, strata::Action::Update, "{}", plan.render_text());
    assert!(step.changes.iter().any(|c| c.field == "point_in_time_recovery"), "{}", plan.render_text());
    assert!(engine.apply(&s2, plan).await.is_success());
    let backups = ddb.describe_continuous_backups().table_name(&table_name).send().await.unwrap();
    assert_eq!(backups.continuous_backups_description().map(|d| d.continuous_backups_status()), Some(&ContinuousBackupsStatus::Enabled));
    assert_eq!(pitr(&ddb, &table_name).await, Some(PointInTimeRecoveryStatus::Disabled), "repaired");

    // A protected table is not deleted: the destroy fails naming it.
    let plan = engine.plan_destroy(&s2).await.unwrap();
    let report = engine.apply(&s2, plan).await;
    assert!(!report.is_success());
    assert!(strata::cli::render_report(&report).contains("deletion protection"), "{}", strata::cli::render_report(&report));
    assert!(describe(&ddb, &table_name).await.is_some());

    // A new sort key replaces the table (a new derived name: made first).
    let rekeyed = T { sort: "placed_at", protected: false, ..changed.clone() };
    let s3 = table_stack(&name, &rekeyed);
    let plan = engine.plan(&s3).await.unwrap();
    assert_eq!(plan.step("orders").unwrap().action, strata::Action::Replace, "{}", plan.render_text());
    // The old table is still protected: turn it off first, as a user would.
    let s_off = table_stack(&name, &T { protected: false, ..changed.clone() });
    assert!(engine.apply(&s_off, engine.plan(&s_off).await.unwrap()).await.is_success());
    let plan = engine.plan(&s3).await.unwrap();
    let report = engine.apply(&s3, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let new_name = report.exports["table"].as_str().unwrap().to_string();
    assert_ne!(new_name, table_name);
    assert!(describe(&ddb, &table_name).await.is_none(), "the old table is deleted");

    let plan = engine.plan_destroy(&s3).await.unwrap();
    let report = engine.apply(&s3, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    assert!(describe(&ddb, &new_name).await.is_none());
}

/// A directory with a Python handler in it, fresh for each test.
fn code_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("strata-it-lambda-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("lib")).unwrap();
    std::fs::write(dir.join("index.py"), "from lib import util\n\ndef handler(event, context):\n    return util.answer()\n").unwrap();
    std::fs::write(dir.join("lib/util.py"), "def answer():\n    return 42\n").unwrap();
    dir
}

const SECRET: &str = "s3cr3t-never-printed-0451";

fn function_stack(stack: &str, dir: &Path, memory: i64, mode: &str, allow_topic: bool) -> Stack {
    use strata::aws::iam::{PolicyDocument, Role};
    use strata::aws::lambda::{Function, Permission};
    use strata::aws::sns::Topic;
    let mut s = Stack::new(stack, "eu-central-1");
    let role = s.add("orders-role", Role::new(PolicyDocument::assumed_by("lambda.amazonaws.com")));
    let f = s.add(
        "orders",
        Function::from_dir(dir, "python3.12", "index.handler", role.arn())
            .memory(memory)
            .timeout(10)
            .arm64()
            .env("MODE", mode)
            .secret_env("API_KEY", SECRET)
            .tag("team", "orders"),
    );
    let topic = s.add("events", Topic::new());
    if allow_topic {
        s.add("orders-from-events", Permission::new(f.function_name(), "sns.amazonaws.com").source_arn(topic.arn()));
    }
    s.export("function", f.function_name());
    s.export("invoke", f.invoke_arn());
    s
}

async fn config(lambda: &aws_sdk_lambda::Client, name: &str) -> Option<aws_sdk_lambda::operation::get_function_configuration::GetFunctionConfigurationOutput> {
    lambda.get_function_configuration().function_name(name).send().await.ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn lambda_function_and_permission_lifecycle_on_moto() {
    let url = Emulator::Moto.url();
    let name = unique_stack("fn");
    let aws = strata_aws_testkit::aws(&url, "eu-central-1").await;
    let counter = aws.counter();
    let engine = engine(&aws);
    let lambda = aws_sdk_lambda::Client::new(&strata_aws_testkit::sdk_config(&url, "eu-central-1").await);
    let dir = code_dir(&name);

    let s = function_stack(&name, &dir, 256, "live", true);
    let plan = engine.plan(&s).await.unwrap();
    let text = plan.render_text();
    assert!(text.contains("code_sha256"), "the plan shows the code hash: {text}");
    assert!(!text.contains(SECRET), "a secret environment value is never printed: {text}");
    let report = engine.apply(&s, plan).await;
    let rendered = strata::cli::render_report(&report);
    assert!(report.is_success(), "{rendered}");
    assert!(!rendered.contains(SECRET));
    let fname = report.exports["function"].as_str().unwrap().to_string();
    let c = config(&lambda, &fname).await.expect("the function exists");
    assert_eq!(c.memory_size(), Some(256));
    assert_eq!(c.handler(), Some("index.handler"));
    assert_eq!(c.architectures().first().map(|a| a.as_str()), Some("arm64"));
    let vars = c.environment().and_then(|e| e.variables()).cloned().unwrap_or_default();
    assert_eq!(vars.get("MODE").map(String::as_str), Some("live"));
    assert_eq!(vars.get("API_KEY").map(String::as_str), Some(SECRET), "the secret reaches the function");
    let sha = c.code_sha256().unwrap().to_string();
    assert!(report.exports["invoke"].as_str().unwrap().ends_with(&format!("function:{fname}/invocations")));
    let policy = lambda.get_policy().function_name(&fname).send().await.unwrap().policy().unwrap().to_string();
    assert!(policy.contains("sns.amazonaws.com") && policy.contains("strata-"), "{policy}");

    let before = counter.snapshot();
    let plan = engine.plan(&s).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.render_text());
    assert!(!plan.render_text().contains(SECRET));
    assert!(engine.apply(&s, plan).await.is_success());
    assert_eq!(counter.snapshot().since(&before).mutating_calls(), 0, "a second run changes nothing");

    // A file written again with the same bytes (a new mtime only): no change.
    std::thread::sleep(std::time::Duration::from_millis(30));
    std::fs::write(dir.join("lib/util.py"), "def answer():\n    return 42\n").unwrap();
    let s = function_stack(&name, &dir, 256, "live", true);
    let plan = engine.plan(&s).await.unwrap();
    assert!(!plan.has_changes(), "a new mtime is not a change: {}", plan.render_text());

    // One file edited: exactly one update, of the code hash.
    std::fs::write(dir.join("lib/util.py"), "def answer():\n    return 43\n").unwrap();
    let s = function_stack(&name, &dir, 256, "live", true);
    let plan = engine.plan(&s).await.unwrap();
    let changed: Vec<_> = plan.steps.iter().filter(|st| st.action != strata::Action::NoOp).collect();
    assert_eq!(changed.len(), 1, "{}", plan.render_text());
    assert_eq!(changed[0].name, "orders");
    assert_eq!(changed[0].action, strata::Action::Update);
    assert_eq!(changed[0].changes.iter().map(|c| c.field.as_str()).collect::<Vec<_>>(), ["code_sha256"], "{}", plan.render_text());
    let report = engine.apply(&s, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let new_sha = config(&lambda, &fname).await.unwrap().code_sha256().unwrap().to_string();
    assert_ne!(new_sha, sha, "the new code is uploaded");
    assert!(!engine.plan(&s).await.unwrap().has_changes());

    // Configuration in place: memory and a plain variable.
    let s = function_stack(&name, &dir, 512, "maintenance", true);
    let plan = engine.plan(&s).await.unwrap();
    assert_eq!(plan.step("orders").unwrap().action, strata::Action::Update, "{}", plan.render_text());
    assert!(plan.render_text().contains("maintenance"), "a plain value is shown: {}", plan.render_text());
    assert!(!plan.render_text().contains(SECRET));
    let report = engine.apply(&s, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let c = config(&lambda, &fname).await.unwrap();
    assert_eq!(c.memory_size(), Some(512));
    assert_eq!(c.environment().and_then(|e| e.variables()).and_then(|v| v.get("API_KEY")).map(String::as_str), Some(SECRET), "the secret is kept");

    // Drift: someone changes the secret by hand; the plan shows a change, masked.
    let mut vars = c.environment().and_then(|e| e.variables()).cloned().unwrap_or_default();
    vars.insert("API_KEY".into(), "theirs-0452".into());
    let env = aws_sdk_lambda::types::Environment::builder().set_variables(Some(vars)).build();
    lambda.update_function_configuration().function_name(&fname).environment(env).send().await.unwrap();
    let plan = engine.plan(&s).await.unwrap();
    assert_eq!(plan.step("orders").unwrap().action, strata::Action::Update, "{}", plan.render_text());
    let text = plan.render_text();
    assert!(!text.contains(SECRET) && !text.contains("theirs-0452"), "neither value is printed: {text}");
    assert!(engine.apply(&s, plan).await.is_success());
    let c = config(&lambda, &fname).await.unwrap();
    assert_eq!(c.environment().and_then(|e| e.variables()).and_then(|v| v.get("API_KEY")).map(String::as_str), Some(SECRET), "repaired");

    // Drift: the permission removed by hand is added again.
    let policy = lambda.get_policy().function_name(&fname).send().await.unwrap().policy().unwrap().to_string();
    let doc: serde_json::Value = serde_json::from_str(&policy).unwrap();
    let sid = doc["Statement"][0]["Sid"].as_str().unwrap().to_string();
    lambda.remove_permission().function_name(&fname).statement_id(&sid).send().await.unwrap();
    let plan = engine.plan(&s).await.unwrap();
    assert_eq!(plan.step("orders-from-events").unwrap().action, strata::Action::Create, "{}", plan.render_text());
    assert!(engine.apply(&s, plan).await.is_success());
    assert!(lambda.get_policy().function_name(&fname).send().await.unwrap().policy().unwrap().contains(&sid));

    // The permission removed from the program is removed from the policy.
    let s = function_stack(&name, &dir, 512, "maintenance", false);
    let plan = engine.plan(&s).await.unwrap();
    assert_eq!(plan.step("orders-from-events").unwrap().action, strata::Action::Delete, "{}", plan.render_text());
    assert!(engine.apply(&s, plan).await.is_success());
    assert!(lambda.get_policy().function_name(&fname).send().await.is_err(), "no statement is left");

    let plan = engine.plan_destroy(&s).await.unwrap();
    let report = engine.apply(&s, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    assert!(config(&lambda, &fname).await.is_none(), "the function is deleted");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_permission_on_a_function_of_no_stack_is_refused_on_moto() {
    use strata::aws::lambda::Permission;
    let url = Emulator::Moto.url();
    let name = unique_stack("perm");
    let aws = strata_aws_testkit::aws(&url, "eu-central-1").await;
    let engine = engine(&aws);
    let mut s = Stack::new(&name, "eu-central-1");
    s.add("theirs", Permission::new(format!("{name}-not-ours"), "sns.amazonaws.com"));
    let plan = engine.plan(&s).await.unwrap();
    let report = engine.apply(&s, plan).await;
    assert!(!report.is_success());
    assert!(strata::cli::render_report(&report).contains("not this stack's"), "{}", strata::cli::render_report(&report));
}

fn wiring_stack(stack: &str, dir: &Path, subscribed: bool, batch: i64) -> Stack {
    use strata::aws::iam::{PolicyDocument, Role};
    use strata::aws::lambda::{EventSourceMapping, Function};
    use strata::aws::sns::Topic;
    use strata::aws::sqs::Queue;
    let mut s = Stack::new(stack, "eu-central-1");
    let role = s.add("worker-role", Role::new(PolicyDocument::assumed_by("lambda.amazonaws.com")));
    let topic = s.add("events", Topic::new());
    let queue = s.add("jobs", Queue::new());
    let mut f = Function::from_dir(dir, "nodejs20.x", "index.handler", role.arn());
    if subscribed {
        f = f.subscribe(topic.arn());
    }
    let f = s.add("worker", f);
    s.add("worker-jobs", EventSourceMapping::new(f.function_name(), queue.arn()).batch_size(batch).batching_window(2).report_batch_item_failures(true));
    s.export("function", f.arn());
    s.export("topic", topic.arn());
    s
}

async fn lambda_subscriptions(sns: &aws_sdk_sns::Client, topic: &str) -> Vec<String> {
    let subs = sns.list_subscriptions_by_topic().topic_arn(topic).send().await.unwrap();
    subs.subscriptions().iter().filter(|s| s.protocol() == Some("lambda")).filter_map(|s| s.endpoint().map(str::to_string)).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn lambda_fed_by_a_topic_and_a_queue_on_moto() {
    let url = Emulator::Moto.url();
    let name = unique_stack("wire");
    let aws = strata_aws_testkit::aws(&url, "eu-central-1").await;
    let counter = aws.counter();
    let engine = engine(&aws);
    let conf = strata_aws_testkit::sdk_config(&url, "eu-central-1").await;
    let (lambda, sns) = (aws_sdk_lambda::Client::new(&conf), aws_sdk_sns::Client::new(&conf));
    let dir = code_dir(&name);

    let s = wiring_stack(&name, &dir, true, 20);
    let report = engine.apply(&s, engine.plan(&s).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let (function, topic) = (report.exports["function"].as_str().unwrap().to_string(), report.exports["topic"].as_str().unwrap().to_string());
    assert_eq!(lambda_subscriptions(&sns, &topic).await, vec![function.clone()], "the function is subscribed");
    let policy = lambda.get_policy().function_name(&function).send().await.unwrap().policy().unwrap().to_string();
    assert!(policy.contains("StrataSns") && policy.contains(&topic), "SNS may invoke it: {policy}");
    let esm_id = report.outcome("worker-jobs").unwrap().physical_id.clone().unwrap();
    let esm = lambda.get_event_source_mapping().uuid(&esm_id).send().await.unwrap();
    assert_eq!(esm.batch_size(), Some(20));
    assert_eq!(esm.function_arn(), Some(function.as_str()));
    let tags = lambda.list_tags().resource(esm.event_source_mapping_arn().unwrap()).send().await.unwrap();
    assert_eq!(tags.tags().and_then(|t| t.get("strata:stack")), Some(&name), "the mapping carries the stack's tags");

    let before = counter.snapshot();
    let plan = engine.plan(&s).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.render_text());
    assert!(engine.apply(&s, plan).await.is_success());
    assert_eq!(counter.snapshot().since(&before).mutating_calls(), 0, "a second run changes nothing");

    // Drift: someone unsubscribes the function by hand.
    let subs = sns.list_subscriptions_by_topic().topic_arn(&topic).send().await.unwrap();
    let sub = subs.subscriptions().iter().find(|s| s.protocol() == Some("lambda")).and_then(|s| s.subscription_arn()).unwrap().to_string();
    sns.unsubscribe().subscription_arn(sub).send().await.unwrap();
    let plan = engine.plan(&s).await.unwrap();
    let step = plan.step("worker").unwrap();
    assert_eq!(step.action, strata::Action::Update, "{}", plan.render_text());
    assert!(step.changes.iter().any(|c| c.field == "sns_topics"), "{}", plan.render_text());
    assert!(engine.apply(&s, plan).await.is_success());
    assert_eq!(lambda_subscriptions(&sns, &topic).await, vec![function.clone()], "subscribed again");

    // In place: a bigger batch, and the subscription removed from the program.
    let s2 = wiring_stack(&name, &dir, false, 100);
    let plan = engine.plan(&s2).await.unwrap();
    assert_eq!(plan.step("worker-jobs").unwrap().action, strata::Action::Update, "{}", plan.render_text());
    assert_eq!(plan.step("worker").unwrap().action, strata::Action::Update, "{}", plan.render_text());
    let report = engine.apply(&s2, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    assert_eq!(lambda.get_event_source_mapping().uuid(&esm_id).send().await.unwrap().batch_size(), Some(100));
    assert!(lambda_subscriptions(&sns, &topic).await.is_empty(), "unsubscribed");
    assert!(lambda.get_policy().function_name(&function).send().await.is_err(), "and SNS's permission removed");
    assert!(!engine.plan(&s2).await.unwrap().has_changes());

    // Destroy: the subscriptions go with the function (SNS would keep them).
    let s3 = wiring_stack(&name, &dir, true, 100);
    assert!(engine.apply(&s3, engine.plan(&s3).await.unwrap()).await.is_success());
    assert_eq!(lambda_subscriptions(&sns, &topic).await.len(), 1);
    let report = engine.apply(&s3, engine.plan_destroy(&s3).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    assert!(lambda.get_event_source_mapping().uuid(&esm_id).send().await.is_err(), "the mapping is deleted");
    assert!(lambda.get_function().function_name(&function).send().await.is_err(), "the function is deleted");
    let _ = std::fs::remove_dir_all(&dir);
}

fn api_stack(stack: &str, dir: &Path, full: bool) -> Stack {
    use strata::aws::apigatewayv2::{Authorizer, HttpApi, Route, VpcLink};
    use strata::aws::ec2::{SecurityGroup, Subnet, Vpc};
    use strata::aws::iam::{PolicyDocument, Role};
    use strata::aws::lambda::{Function, Permission};
    use strata::aws::logs::LogGroup;
    let mut s = Stack::new(stack, "eu-central-1");
    let role = s.add("orders-role", Role::new(PolicyDocument::assumed_by("lambda.amazonaws.com")));
    let f = s.add("orders", Function::from_dir(dir, "python3.12", "index.handler", role.arn()));
    let logs = s.add("api-logs", LogGroup::new().retention_days(30));
    let mut api = HttpApi::new()
        .cors_origins(vec!["https://shop.example.com".to_string()])
        .cors_methods(vec!["GET".to_string(), "POST".to_string()])
        .authorizer(Authorizer::jwt("users", "https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_Example", ["client-1"]))
        .route(Route::lambda("POST /orders", f.arn()).authorizer("users"))
        .access_logs(logs.arn());
    if full {
        api = api.route(Route::lambda("GET /orders/{id}", f.arn()).authorizer("users").scopes(["orders/read"])).route(Route::http("ANY /legacy/{proxy+}", "https://legacy.example.com/{proxy}"));
    } else {
        api = api.route(Route::lambda("GET /orders/{id}", f.arn()));
    }
    let api = s.add("public-api", api);
    s.add("orders-from-api", Permission::new(f.function_name(), "apigateway.amazonaws.com").source_arn(format_output("{}/*/*", &[api.execution_arn()])));
    let vpc = s.add("vpc", Vpc::new("10.60.0.0/16"));
    let a = s.add("link-a", Subnet::new(vpc.id(), "10.60.1.0/24", "eu-central-1a"));
    let b = s.add("link-b", Subnet::new(vpc.id(), "10.60.2.0/24", "eu-central-1b"));
    let sg = s.add("link-sg", SecurityGroup::new(vpc.id()));
    let link = s.add("to-services", VpcLink::new([a.id(), b.id()], [sg.id()]));
    s.export("api", api.id());
    s.export("endpoint", api.api_endpoint());
    s.export("execution", api.execution_arn());
    s.export("link", link.id());
    s
}

#[tokio::test(flavor = "multi_thread")]
async fn http_api_with_lambda_routes_jwt_and_a_vpc_link_on_moto() {
    use aws_sdk_apigatewayv2::types::AuthorizationType;
    let url = Emulator::Moto.url();
    let name = unique_stack("api");
    let aws = strata_aws_testkit::aws(&url, "eu-central-1").await;
    let counter = aws.counter();
    let engine = engine(&aws);
    let conf = strata_aws_testkit::sdk_config(&url, "eu-central-1").await;
    let (apigw, lambda) = (aws_sdk_apigatewayv2::Client::new(&conf), aws_sdk_lambda::Client::new(&conf));
    let dir = code_dir(&name);

    let s = api_stack(&name, &dir, true);
    let report = engine.apply(&s, engine.plan(&s).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let id = report.exports["api"].as_str().unwrap().to_string();
    let routes = apigw.get_routes().api_id(&id).send().await.unwrap().items().to_vec();
    let mut keys: Vec<&str> = routes.iter().filter_map(|r| r.route_key()).collect();
    keys.sort();
    assert_eq!(keys, ["ANY /legacy/{proxy+}", "GET /orders/{id}", "POST /orders"]);
    let integrations = apigw.get_integrations().api_id(&id).send().await.unwrap().items().to_vec();
    assert_eq!(integrations.len(), 2, "the two Lambda routes share one integration: {integrations:?}");
    let get = routes.iter().find(|r| r.route_key() == Some("GET /orders/{id}")).unwrap();
    assert_eq!(get.authorization_type(), Some(&AuthorizationType::Jwt));
    assert_eq!(get.authorization_scopes(), ["orders/read"]);
    let auth = apigw.get_authorizers().api_id(&id).send().await.unwrap().items().to_vec();
    assert_eq!(auth.len(), 1);
    assert_eq!(get.authorizer_id(), auth[0].authorizer_id());
    let stages = apigw.get_stages().api_id(&id).send().await.unwrap().items().to_vec();
    assert_eq!(stages.iter().filter_map(|s| s.stage_name()).collect::<Vec<_>>(), ["$default"]);
    assert_eq!(stages[0].auto_deploy(), Some(true));
    assert!(stages[0].access_log_settings().and_then(|l| l.destination_arn()).is_some_and(|d| d.contains(":log-group:")), "access logs on");
    let api = apigw.get_api().api_id(&id).send().await.unwrap();
    assert_eq!(api.tags().and_then(|t| t.get("strata:stack")), Some(&name));
    let execution = report.exports["execution"].as_str().unwrap();
    assert!(execution.starts_with("arn:aws:execute-api:eu-central-1:") && execution.ends_with(&id), "{execution}");
    let function = report.outcome("orders").unwrap().physical_id.clone().unwrap();
    let policy = lambda.get_policy().function_name(&function).send().await.unwrap().policy().unwrap().to_string();
    assert!(policy.contains(&format!("{execution}/*/*")), "the API may invoke the function: {policy}");
    let link = report.exports["link"].as_str().unwrap();
    let l = apigw.get_vpc_link().vpc_link_id(link).send().await.unwrap();
    assert_eq!(l.subnet_ids().len(), 2);
    assert_eq!(l.tags().and_then(|t| t.get("strata:stack")), Some(&name));

    let before = counter.snapshot();
    let plan = engine.plan(&s).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.render_text());
    assert!(engine.apply(&s, plan).await.is_success());
    assert_eq!(counter.snapshot().since(&before).mutating_calls(), 0, "a second run changes nothing");

    // Drift: someone deletes a route by hand.
    let post = routes.iter().find(|r| r.route_key() == Some("POST /orders")).and_then(|r| r.route_id()).unwrap();
    apigw.delete_route().api_id(&id).route_id(post).send().await.unwrap();
    let plan = engine.plan(&s).await.unwrap();
    let step = plan.step("public-api").unwrap();
    assert_eq!(step.action, strata::Action::Update, "{}", plan.render_text());
    assert!(step.changes.iter().any(|c| c.field == "routes"), "{}", plan.render_text());
    assert!(engine.apply(&s, plan).await.is_success());
    assert_eq!(apigw.get_routes().api_id(&id).send().await.unwrap().items().len(), 3, "the route is back");

    // In place: the legacy route gone, GET open to all.
    let s2 = api_stack(&name, &dir, false);
    let plan = engine.plan(&s2).await.unwrap();
    assert_eq!(plan.step("public-api").unwrap().action, strata::Action::Update, "{}", plan.render_text());
    let report = engine.apply(&s2, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let routes = apigw.get_routes().api_id(&id).send().await.unwrap().items().to_vec();
    assert_eq!(routes.len(), 2);
    let get = routes.iter().find(|r| r.route_key() == Some("GET /orders/{id}")).unwrap();
    assert_ne!(get.authorization_type(), Some(&AuthorizationType::Jwt));
    assert_eq!(apigw.get_integrations().api_id(&id).send().await.unwrap().items().len(), 1, "the unused HTTP integration is deleted");
    let p = engine.plan(&s2).await.unwrap();
    assert!(!p.has_changes(), "{}", p.render_text());

    let report = engine.apply(&s2, engine.plan_destroy(&s2).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    assert!(apigw.get_api().api_id(&id).send().await.is_err(), "the API is deleted");
    assert!(apigw.get_vpc_link().vpc_link_id(link).send().await.is_err(), "the link is deleted");
    let _ = std::fs::remove_dir_all(&dir);
}

fn users_stack(stack: &str, min_length: i64, mfa: &str, protected: bool, team: &str, callback: &str) -> Stack {
    use strata::aws::cognito::{UserPool, UserPoolClient};
    let mut s = Stack::new(stack, "eu-central-1");
    let prefix = format!("{}-login", stack.to_ascii_lowercase());
    let pool = s.add("users", UserPool::new().password_min_length(min_length).mfa(mfa).deletion_protection(protected).domain_prefix(prefix.as_str()).tag("team", team));
    let web = s.add("web", UserPoolClient::browser(pool.id(), [callback]).logout_urls(vec!["https://shop.example.com/".to_string()]));
    s.export("pool", pool.id());
    s.export("issuer", pool.issuer());
    s.export("client", web.client_id());
    s
}

#[tokio::test(flavor = "multi_thread")]
async fn cognito_user_pool_and_browser_client_on_moto() {
    let url = Emulator::Moto.url();
    let name = unique_stack("users");
    let aws = strata_aws_testkit::aws(&url, "eu-central-1").await;
    let counter = aws.counter();
    let engine = engine(&aws);
    let idp = aws_sdk_cognitoidentityprovider::Client::new(&strata_aws_testkit::sdk_config(&url, "eu-central-1").await);

    let s = users_stack(&name, 12, "OPTIONAL", true, "identity", "https://shop.example.com/callback");
    let report = engine.apply(&s, engine.plan(&s).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let pool_id = report.exports["pool"].as_str().unwrap().to_string();
    let pool = idp.describe_user_pool().user_pool_id(&pool_id).send().await.unwrap().user_pool().cloned().unwrap();
    let pw = pool.policies().and_then(|p| p.password_policy()).unwrap();
    assert_eq!(pw.minimum_length(), Some(12));
    assert!(pw.require_symbols());
    assert_eq!(pool.mfa_configuration().map(|m| m.as_str()), Some("OPTIONAL"));
    assert_eq!(pool.deletion_protection().map(|d| d.as_str()), Some("ACTIVE"));
    assert!(pool.domain().is_some_and(|d| d.ends_with("-login")), "the hosted-UI domain: {:?}", pool.domain());
    assert_eq!(pool.user_pool_tags().and_then(|t| t.get("strata:stack")), Some(&name));
    assert_eq!(report.exports["issuer"].as_str(), Some(format!("https://cognito-idp.eu-central-1.amazonaws.com/{pool_id}").as_str()));
    let client_id = report.exports["client"].as_str().unwrap().to_string();
    let c = idp.describe_user_pool_client().user_pool_id(&pool_id).client_id(&client_id).send().await.unwrap().user_pool_client().cloned().unwrap();
    assert!(c.client_secret().is_none(), "a browser client has no secret");
    assert_eq!(c.callback_urls(), ["https://shop.example.com/callback"]);
    assert_eq!(c.allowed_o_auth_flows().iter().map(|f| f.as_str()).collect::<Vec<_>>(), ["code"]);

    let before = counter.snapshot();
    let plan = engine.plan(&s).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.render_text());
    assert!(engine.apply(&s, plan).await.is_success());
    assert_eq!(counter.snapshot().since(&before).mutating_calls(), 0, "a second run changes nothing");

    // In place: a longer password, MFA required, another team tag, another callback.
    let s2 = users_stack(&name, 14, "ON", true, "platform", "https://shop.example.com/auth");
    let plan = engine.plan(&s2).await.unwrap();
    assert_eq!(plan.step("users").unwrap().action, strata::Action::Update, "{}", plan.render_text());
    assert_eq!(plan.step("web").unwrap().action, strata::Action::Update, "{}", plan.render_text());
    let report = engine.apply(&s2, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let pool = idp.describe_user_pool().user_pool_id(&pool_id).send().await.unwrap().user_pool().cloned().unwrap();
    assert_eq!(pool.policies().and_then(|p| p.password_policy()).and_then(|p| p.minimum_length()), Some(14));
    assert_eq!(pool.mfa_configuration().map(|m| m.as_str()), Some("ON"));
    assert_eq!(pool.user_pool_tags().and_then(|t| t.get("team")).map(String::as_str), Some("platform"));
    let c = idp.describe_user_pool_client().user_pool_id(&pool_id).client_id(&client_id).send().await.unwrap().user_pool_client().cloned().unwrap();
    assert_eq!(c.callback_urls(), ["https://shop.example.com/auth"]);
    let plan = engine.plan(&s2).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.render_text());

    // Drift: someone removes the client by hand; it is made again.
    idp.delete_user_pool_client().user_pool_id(&pool_id).client_id(&client_id).send().await.unwrap();
    let plan = engine.plan(&s2).await.unwrap();
    assert_eq!(plan.step("web").unwrap().action, strata::Action::Create, "{}", plan.render_text());
    assert!(engine.apply(&s2, plan).await.is_success());

    // A protected pool is not deleted: the destroy fails naming it.
    let report = engine.apply(&s2, engine.plan_destroy(&s2).await.unwrap()).await;
    assert!(!report.is_success());
    assert!(strata::cli::render_report(&report).contains("deletion protection"), "{}", strata::cli::render_report(&report));
    let s3 = users_stack(&name, 14, "ON", false, "platform", "https://shop.example.com/auth");
    assert!(engine.apply(&s3, engine.plan(&s3).await.unwrap()).await.is_success());
    let report = engine.apply(&s3, engine.plan_destroy(&s3).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    assert!(idp.describe_user_pool().user_pool_id(&pool_id).send().await.is_err(), "the pool is deleted");
}

fn domain_stack(stack: &str, path: &str) -> Stack {
    use strata::aws::apigatewayv2::{DomainName, HttpApi, Route};
    let mut s = Stack::new(stack, "eu-central-1");
    let api = s.add("api", HttpApi::new().route(Route::http("GET /status", "https://status.example.com/")));
    let cert = "arn:aws:acm:eu-central-1:123456789012:certificate/00000000-0000-0000-0000-000000000001";
    let d = s.add("api-domain", DomainName::new(&format!("api.{}.example.com", stack.to_ascii_lowercase()), cert).mapping(api.id(), "$default", path));
    s.export("target", d.target_domain_name());
    s.export("zone", d.hosted_zone_id());
    s.export("api", api.id());
    s
}

#[tokio::test(flavor = "multi_thread")]
async fn http_api_custom_domain_and_mappings_on_moto() {
    let url = Emulator::Moto.url();
    let name = unique_stack("dom");
    let aws = strata_aws_testkit::aws(&url, "eu-central-1").await;
    let counter = aws.counter();
    let engine = engine(&aws);
    let apigw = aws_sdk_apigatewayv2::Client::new(&strata_aws_testkit::sdk_config(&url, "eu-central-1").await);
    let domain = format!("api.{}.example.com", name.to_ascii_lowercase());

    let s = domain_stack(&name, "v1");
    let report = engine.apply(&s, engine.plan(&s).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    assert!(report.exports["target"].as_str().is_some_and(|t| t.ends_with(".execute-api.eu-central-1.amazonaws.com")), "an alias target: {:?}", report.exports["target"]);
    assert!(report.exports["zone"].as_str().is_some_and(|z| !z.is_empty()));
    let api = report.exports["api"].as_str().unwrap().to_string();
    let mappings = apigw.get_api_mappings().domain_name(&domain).send().await.unwrap().items().to_vec();
    assert_eq!(mappings.len(), 1);
    assert_eq!((mappings[0].api_id(), mappings[0].api_mapping_key(), mappings[0].stage()), (Some(api.as_str()), Some("v1"), Some("$default")));

    let before = counter.snapshot();
    let plan = engine.plan(&s).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.render_text());
    assert!(engine.apply(&s, plan).await.is_success());
    assert_eq!(counter.snapshot().since(&before).mutating_calls(), 0, "a second run changes nothing");

    // Another base path: the mapping is replaced, the domain kept.
    let s2 = domain_stack(&name, "v2");
    let plan = engine.plan(&s2).await.unwrap();
    assert_eq!(plan.step("api-domain").unwrap().action, strata::Action::Update, "{}", plan.render_text());
    assert!(engine.apply(&s2, plan).await.is_success());
    let mappings = apigw.get_api_mappings().domain_name(&domain).send().await.unwrap().items().to_vec();
    assert_eq!(mappings.iter().filter_map(|m| m.api_mapping_key()).collect::<Vec<_>>(), ["v2"]);
    assert!(!engine.plan(&s2).await.unwrap().has_changes());

    let report = engine.apply(&s2, engine.plan_destroy(&s2).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    assert!(apigw.get_domain_name().domain_name(&domain).send().await.is_err(), "the domain is deleted");
}

fn rotation_stack(stack: &str, dir: &Path, days: Option<i64>) -> Stack {
    use strata::aws::iam::{PolicyDocument, Role};
    use strata::aws::lambda::{Function, Permission};
    use strata::aws::secretsmanager::{Secret, SecretRotation};
    let mut s = Stack::new(stack, "eu-central-1");
    let role = s.add("rotator-role", Role::new(PolicyDocument::assumed_by("lambda.amazonaws.com")));
    let f = s.add("rotator", Function::from_dir(dir, "python3.12", "index.handler", role.arn()));
    let secret = s.add("db-password", Secret::generated(32).recovery_window_days(0).tag("team", "data"));
    let allowed = s.add("rotator-from-secrets", Permission::new(f.function_name(), "secretsmanager.amazonaws.com").source_arn(secret.arn()));
    if let Some(days) = days {
        s.add_with("db-password-rotation", SecretRotation::new(secret.arn(), f.arn(), days), ResourceOptions::new().depends_on(&allowed));
    }
    s.export("secret", secret.arn());
    s.export("function", f.arn());
    s
}

#[tokio::test(flavor = "multi_thread")]
async fn secret_rotation_by_a_function_lifecycle_on_moto() {
    let url = Emulator::Moto.url();
    let name = unique_stack("rot");
    let aws = strata_aws_testkit::aws(&url, "eu-central-1").await;
    let counter = aws.counter();
    let engine = engine(&aws);
    let sm = aws_sdk_secretsmanager::Client::new(&strata_aws_testkit::sdk_config(&url, "eu-central-1").await);
    let dir = code_dir("rotation");

    let s = rotation_stack(&name, &dir, Some(30));
    let report = engine.apply(&s, engine.plan(&s).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let (secret, function) = (report.exports["secret"].as_str().unwrap().to_string(), report.exports["function"].as_str().unwrap().to_string());
    let d = sm.describe_secret().secret_id(&secret).send().await.unwrap();
    assert_eq!(d.rotation_enabled(), Some(true));
    assert_eq!(d.rotation_lambda_arn(), Some(function.as_str()));
    assert_eq!(d.rotation_rules().and_then(|r| r.automatically_after_days()), Some(30));
    let tag = |d: &aws_sdk_secretsmanager::operation::describe_secret::DescribeSecretOutput, k: &str| d.tags().iter().find(|t| t.key() == Some(k)).and_then(|t| t.value()).map(str::to_string);
    assert_eq!(tag(&d, "strata:rotation").as_deref(), Some("db-password-rotation"), "the rotation is owned through the secret");
    assert_eq!(tag(&d, "team").as_deref(), Some("data"));

    // The rotation's tag is not the secret's drift: a second run changes nothing.
    let before = counter.snapshot();
    let plan = engine.plan(&s).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.render_text());
    assert!(engine.apply(&s, plan).await.is_success());
    assert_eq!(counter.snapshot().since(&before).mutating_calls(), 0, "a second run changes nothing");

    // A new period is an update of the rotation alone.
    let s2 = rotation_stack(&name, &dir, Some(7));
    let plan = engine.plan(&s2).await.unwrap();
    assert_eq!(plan.step("db-password-rotation").unwrap().action, strata::Action::Update, "{}", plan.render_text());
    assert_eq!(plan.step("db-password").unwrap().action, strata::Action::NoOp, "{}", plan.render_text());
    assert!(engine.apply(&s2, plan).await.is_success());
    let d = sm.describe_secret().secret_id(&secret).send().await.unwrap();
    assert_eq!(d.rotation_rules().and_then(|r| r.automatically_after_days()), Some(7));

    // Drift: rotation turned off by hand is turned on again.
    sm.cancel_rotate_secret().secret_id(&secret).send().await.unwrap();
    let plan = engine.plan(&s2).await.unwrap();
    assert_eq!(plan.step("db-password-rotation").unwrap().action, strata::Action::Create, "{}", plan.render_text());
    assert!(engine.apply(&s2, plan).await.is_success());
    assert_eq!(sm.describe_secret().secret_id(&secret).send().await.unwrap().rotation_enabled(), Some(true), "repaired");

    // The declaration removed: rotation is cancelled, the secret stays untouched.
    let s3 = rotation_stack(&name, &dir, None);
    let plan = engine.plan(&s3).await.unwrap();
    assert_eq!(plan.step("db-password-rotation").unwrap().action, strata::Action::Delete, "{}", plan.render_text());
    assert_eq!(plan.step("db-password").unwrap().action, strata::Action::NoOp, "{}", plan.render_text());
    assert!(engine.apply(&s3, plan).await.is_success());
    let d = sm.describe_secret().secret_id(&secret).send().await.unwrap();
    assert_ne!(d.rotation_enabled(), Some(true));
    assert_eq!(tag(&d, "strata:rotation"), None);
    assert!(!engine.plan(&s3).await.unwrap().has_changes());

    let report = engine.apply(&s2, engine.plan_destroy(&s2).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let _ = std::fs::remove_dir_all(&dir);
}
