//! MSK (Kafka) on moto (LocalStack's community edition has no MSK): a
//! provisioned cluster in two subnets with a security group, a customer KMS
//! key, TLS only, IAM authentication and broker logs; read back through the
//! SDK; re-planned empty; changed in place (Kafka version, broker type,
//! volume, broker count, logs off), each step on the version the last one
//! left; drift (tags) shown and repaired; a shrinking volume refused before
//! any call; new subnets replace it under a new derived name; destroy
//! removes it. moto leaves a new cluster `CREATING` forever and has none of
//! the in-place calls: finishing creation and the update calls are emulator
//! extensions (`scripts/moto_server.py`).

use strata::aws::ec2::{SecurityGroup, Subnet, Vpc};
use strata::aws::kms::Key;
use strata::aws::logs::LogGroup;
use strata::aws::msk::Cluster;
use strata::engine::CallCounter;
use strata::prelude::*;
use strata_aws_testkit::{unique_stack, Emulator};

#[derive(Clone)]
struct Want {
    version: &'static str,
    brokers: i64,
    instance: &'static str,
    volume: i64,
    logs: bool,
    third_subnet: bool,
}

fn stack(stack: &str, w: &Want) -> Stack {
    let mut s = Stack::new(stack, "eu-central-1");
    let vpc = s.add("vpc", Vpc::new("10.51.0.0/16"));
    let mut subnets = vec![
        s.add("kafka-a", Subnet::new(vpc.id(), "10.51.1.0/24", "eu-central-1a")).id(),
        s.add("kafka-b", Subnet::new(vpc.id(), "10.51.2.0/24", "eu-central-1b")).id(),
    ];
    if w.third_subnet {
        subnets.push(s.add("kafka-c", Subnet::new(vpc.id(), "10.51.3.0/24", "eu-central-1c")).id());
    }
    let sg = s.add("kafka-sg", SecurityGroup::new(vpc.id()).description("Kafka brokers"));
    let key = s.add("kafka-key", Key::new("Kafka data volumes"));
    let logs = s.add("kafka-logs", LogGroup::new().retention_days(7));
    let mut cluster = Cluster::new(w.version, w.brokers, w.instance, subnets).security_group(sg.id()).kms_key(key.arn()).iam_auth(true).volume_gb(w.volume).tag("team", "events");
    if w.logs {
        cluster = cluster.log_group(logs.group_name());
    }
    let cluster = s.add("events", cluster);
    s.export("arn", cluster.arn());
    s.export("name", cluster.cluster_name());
    s
}

/// Calls of `op` (any service) in `calls`.
fn count(calls: &strata::engine::CallStats, op: &str) -> u64 {
    calls.rows.iter().filter(|((_, o), _)| o == op).map(|(_, c)| c.calls).sum()
}

async fn describe(msk: &aws_sdk_kafka::Client, arn: &str) -> Option<aws_sdk_kafka::types::ClusterInfo> {
    msk.describe_cluster().cluster_arn(arn).send().await.ok()?.cluster_info().cloned()
}

#[tokio::test(flavor = "multi_thread")]
async fn msk_cluster_lifecycle_on_moto_with_creation_and_updates_as_emulator_extensions() {
    let url = Emulator::Moto.url();
    let name = unique_stack("msk");
    let aws = strata_aws_testkit::aws(&url, "eu-central-1").await;
    let counter = aws.counter();
    let engine = crate::support::fast_engine(&aws);
    let msk = aws_sdk_kafka::Client::new(&strata_aws_testkit::sdk_config(&url, "eu-central-1").await);
    let base = Want { version: "3.5.1", brokers: 2, instance: "kafka.t3.small", volume: 100, logs: true, third_subnet: false };

    let s = stack(&name, &base);
    let plan = engine.plan(&s).await.unwrap();
    let report = engine.apply(&s, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let arn = report.exports["arn"].as_str().unwrap().to_string();
    let c = describe(&msk, &arn).await.expect("the cluster exists");
    assert_eq!(c.state(), Some(&aws_sdk_kafka::types::ClusterState::Active));
    assert_eq!(c.number_of_broker_nodes(), Some(2));
    let nodes = c.broker_node_group_info().unwrap();
    assert_eq!(nodes.client_subnets().len(), 2);
    assert_eq!(nodes.security_groups().len(), 1);
    assert_eq!(nodes.instance_type(), Some("kafka.t3.small"));
    let enc = c.encryption_info().unwrap();
    assert!(enc.encryption_at_rest().and_then(|e| e.data_volume_kms_key_id()).is_some_and(|k| k.starts_with("arn:aws:kms:")));
    assert_eq!(enc.encryption_in_transit().and_then(|t| t.client_broker()).map(|b| b.as_str()), Some("TLS"));
    assert_eq!(enc.encryption_in_transit().and_then(|t| t.in_cluster()), Some(true));
    assert_eq!(c.client_authentication().and_then(|a| a.sasl()).and_then(|s| s.iam()).and_then(|i| i.enabled()), Some(true));
    let cw = c.logging_info().and_then(|l| l.broker_logs()).and_then(|b| b.cloud_watch_logs()).unwrap();
    assert_eq!(cw.enabled(), Some(true));
    assert_eq!(c.tags().and_then(|t| t.get("strata:stack")), Some(&name));
    assert_eq!(c.tags().and_then(|t| t.get("team")).map(String::as_str), Some("events"));

    let before = counter.snapshot();
    let plan = engine.plan(&s).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.render_text());
    assert!(engine.apply(&s, plan).await.is_success());
    assert_eq!(counter.snapshot().since(&before).mutating_calls(), 0, "a second run changes nothing");

    // In place, one operation after another on MSK's current version.
    let changed = Want { version: "3.6.0", brokers: 4, instance: "kafka.m5.large", volume: 200, logs: false, ..base.clone() };
    let s2 = stack(&name, &changed);
    let plan = engine.plan(&s2).await.unwrap();
    assert_eq!(plan.step("events").unwrap().action, strata::Action::Update, "{}", plan.render_text());
    let before = counter.snapshot();
    let report = engine.apply(&s2, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let calls = counter.snapshot().since(&before);
    for op in ["UpdateClusterKafkaVersion", "UpdateBrokerType", "UpdateBrokerStorage", "UpdateBrokerCount", "UpdateMonitoring"] {
        assert_eq!(count(&calls, op), 1, "{op} once");
    }
    let c = describe(&msk, &arn).await.unwrap();
    assert_eq!(c.current_broker_software_info().and_then(|s| s.kafka_version()), Some("3.6.0"));
    assert_eq!(c.number_of_broker_nodes(), Some(4));
    assert_eq!(c.broker_node_group_info().and_then(|n| n.instance_type()), Some("kafka.m5.large"));
    let volume = c.broker_node_group_info().and_then(|n| n.storage_info()).and_then(|s| s.ebs_storage_info()).and_then(|e| e.volume_size());
    assert_eq!(volume, Some(200));
    let cw = c.logging_info().and_then(|l| l.broker_logs()).and_then(|b| b.cloud_watch_logs());
    assert_ne!(cw.and_then(|c| c.enabled()), Some(true), "broker logs are off");
    let plan = engine.plan(&s2).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.render_text());

    // Drift: a tag changed by hand is shown and put back.
    msk.tag_resource().resource_arn(&arn).tags("team", "someone-else").send().await.unwrap();
    let plan = engine.plan(&s2).await.unwrap();
    let step = plan.step("events").unwrap();
    assert_eq!(step.action, strata::Action::Update, "{}", plan.render_text());
    assert!(engine.apply(&s2, plan).await.is_success());
    let c = describe(&msk, &arn).await.unwrap();
    assert_eq!(c.tags().and_then(|t| t.get("team")).map(String::as_str), Some("events"), "repaired");

    // A shrinking volume is refused before any MSK call.
    let s3 = stack(&name, &Want { volume: 150, ..changed.clone() });
    let before = counter.snapshot();
    let report = engine.apply(&s3, engine.plan(&s3).await.unwrap()).await;
    assert!(!report.is_success());
    assert!(strata::cli::render_report(&report).contains("cannot shrink"), "{}", strata::cli::render_report(&report));
    assert_eq!(count(&counter.snapshot().since(&before), "UpdateBrokerStorage"), 0);

    // A third subnet replaces the cluster, under a new derived name.
    let s4 = stack(&name, &Want { third_subnet: true, brokers: 3, ..changed.clone() });
    let plan = engine.plan(&s4).await.unwrap();
    assert_eq!(plan.step("events").unwrap().action, strata::Action::Replace, "{}", plan.render_text());
    let report = engine.apply(&s4, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let new_arn = report.exports["arn"].as_str().unwrap().to_string();
    assert_ne!(new_arn, arn);
    assert!(describe(&msk, &arn).await.is_none(), "the old cluster is deleted");
    assert_eq!(describe(&msk, &new_arn).await.and_then(|c| c.number_of_broker_nodes()), Some(3));

    let report = engine.apply(&s4, engine.plan_destroy(&s4).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    assert!(describe(&msk, &new_arn).await.is_none());
}
