//! EKS on moto (LocalStack's community edition has no EKS): a cluster with a
//! private and public endpoint (one allowed CIDR), control-plane logs and
//! secrets encryption, a spot node group with labels and a taint, and a
//! Fargate profile; read back through the SDK; re-planned empty; changed in
//! place (the Kubernetes version one minor step, the endpoint CIDRs, the
//! logs; the group's scaling, labels and taints); drift shown and repaired;
//! new instance types replace the group; an add-on's version changes in
//! place; destroy removes all four. moto's `UpdateClusterConfig` merging,
//! `UpdateClusterVersion` and the add-on calls are emulator extensions
//! (`scripts/moto_server.py`); the add-on requests' real shapes are also
//! checked with aws-smithy-mocks in `strata-aws-eks`.

use strata::aws::ec2::{Subnet, Vpc};
use strata::aws::eks::{Addon, Cluster, FargateProfile, NodeGroup, Taint};
use strata::engine::CallCounter;
use strata::prelude::*;
use strata_aws_testkit::{unique_stack, Emulator};

const ROLE: &str = "arn:aws:iam::123456789012:role/eks-cluster";
const NODE_ROLE: &str = "arn:aws:iam::123456789012:role/eks-node";
const POD_ROLE: &str = "arn:aws:iam::123456789012:role/eks-pods";
const KEY: &str = "arn:aws:kms:eu-central-1:123456789012:key/0d2f2b2c-1111-2222-3333-444455556666";

#[derive(Clone)]
struct Want {
    version: &'static str,
    cidrs: Vec<&'static str>,
    logs: Vec<&'static str>,
    scaling: (i64, i64, i64),
    tier: &'static str,
    taint: bool,
    types: Vec<&'static str>,
    cni: &'static str,
    namespace: &'static str,
}

fn stack(stack: &str, name: &str, w: &Want) -> Stack {
    let mut s = Stack::new(stack, "eu-central-1");
    let vpc = s.add("vpc", Vpc::new("10.50.0.0/16"));
    let a = s.add("nodes-a", Subnet::new(vpc.id(), "10.50.1.0/24", "eu-central-1a"));
    let b = s.add("nodes-b", Subnet::new(vpc.id(), "10.50.2.0/24", "eu-central-1b"));
    let cluster = s.add(
        "apps",
        Cluster::new(w.version, ROLE, [a.id(), b.id()]).name(name).public_endpoint(w.cidrs.clone()).secrets_kms_key(KEY).log_types(w.logs.iter().map(|l| l.to_string()).collect::<Vec<_>>()).tag("team", "platform"),
    );
    let mut group = NodeGroup::new(cluster.cluster_name(), NODE_ROLE, [a.id(), b.id()], w.types.clone()).spot().scaling(w.scaling.0, w.scaling.1, w.scaling.2).label("tier", w.tier);
    if w.taint {
        group = group.taint(Taint::no_schedule("capacity", "spot"));
    }
    let group = s.add("back-end", group);
    s.add("vpc-cni", Addon::new(cluster.cluster_name(), "vpc-cni").version(w.cni).configuration(r#"{"env":{"ENABLE_PREFIX_DELEGATION":"true"}}"#));
    s.add("batch", FargateProfile::new(cluster.cluster_name(), POD_ROLE, [a.id(), b.id()]).selector(w.namespace, [("runs-on", "fargate")]));
    s.export("cluster", cluster.cluster_name());
    s.export("issuer", cluster.oidc_issuer());
    s.export("group", group.nodegroup_name());
    s
}

#[tokio::test(flavor = "multi_thread")]
async fn cluster_node_group_and_fargate_profile_lifecycle_on_moto() {
    let url = Emulator::Moto.url();
    let name = unique_stack("eks");
    let aws = strata_aws_testkit::aws(&url, "eu-central-1").await;
    let counter = aws.counter();
    let engine = crate::support::fast_engine(&aws);
    let eks = aws_sdk_eks::Client::new(&strata_aws_testkit::sdk_config(&url, "eu-central-1").await);
    let cluster = format!("{name}-apps");
    let w = Want { version: "1.29", cidrs: vec!["203.0.113.0/24"], logs: vec!["api", "audit"], scaling: (1, 3, 2), tier: "back-end", taint: true, types: vec!["m6i.large", "m5.large"], cni: "v1.18.3-eksbuild.1", namespace: "batch" };

    let s = stack(&name, &cluster, &w);
    let plan = engine.plan(&s).await.unwrap();
    let report = engine.apply(&s, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let c = eks.describe_cluster().name(&cluster).send().await.unwrap().cluster().cloned().expect("the cluster");
    let vpc = c.resources_vpc_config().unwrap();
    assert_eq!(c.version(), Some("1.29"));
    assert!(vpc.endpoint_private_access() && vpc.endpoint_public_access());
    assert_eq!(vpc.public_access_cidrs(), ["203.0.113.0/24".to_string()]);
    assert_eq!(vpc.subnet_ids().len(), 2);
    assert_eq!(c.encryption_config().first().and_then(|e| e.provider()).and_then(|p| p.key_arn()), Some(KEY));
    assert!(c.tags().is_some_and(|t| t.get("strata:stack") == Some(&name)), "{:?}", c.tags());
    assert!(report.exports["issuer"].as_str().is_some_and(|i| i.starts_with("https://")));
    let group = report.exports["group"].as_str().unwrap().to_string();
    let g = eks.describe_nodegroup().cluster_name(&cluster).nodegroup_name(&group).send().await.unwrap().nodegroup().cloned().unwrap();
    assert_eq!(g.capacity_type().map(|c| c.as_str()), Some("SPOT"));
    let sc = g.scaling_config().unwrap();
    assert_eq!((sc.min_size(), sc.max_size(), sc.desired_size()), (Some(1), Some(3), Some(2)));
    assert_eq!(g.labels().and_then(|l| l.get("tier")).map(String::as_str), Some("back-end"));
    assert_eq!(g.taints().len(), 1);
    let profiles = eks.list_fargate_profiles().cluster_name(&cluster).send().await.unwrap();
    assert_eq!(profiles.fargate_profile_names().len(), 1);
    let cni = eks.describe_addon().cluster_name(&cluster).addon_name("vpc-cni").send().await.unwrap().addon().cloned().unwrap();
    assert_eq!(cni.addon_version(), Some("v1.18.3-eksbuild.1"));
    assert!(cni.configuration_values().is_some_and(|c| c.contains("ENABLE_PREFIX_DELEGATION")));

    let before = counter.snapshot();
    let plan = engine.plan(&s).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.render_text());
    assert!(engine.apply(&s, plan).await.is_success());
    assert_eq!(counter.snapshot().since(&before).mutating_calls(), 0, "a second run changes nothing");

    // In place: version, endpoint CIDRs, logs; scaling, labels, taints.
    let w2 = Want { version: "1.30", cidrs: vec!["198.51.100.0/24", "203.0.113.0/24"], logs: vec!["api", "audit", "scheduler"], scaling: (1, 5, 3), tier: "api", taint: false, cni: "v1.19.0-eksbuild.1", ..w.clone() };
    let s2 = stack(&name, &cluster, &w2);
    let plan = engine.plan(&s2).await.unwrap();
    assert_eq!(plan.step("apps").unwrap().action, strata::Action::Update, "{}", plan.render_text());
    assert_eq!(plan.step("back-end").unwrap().action, strata::Action::Update, "{}", plan.render_text());
    assert_eq!(plan.step("vpc-cni").unwrap().action, strata::Action::Update, "{}", plan.render_text());
    let report = engine.apply(&s2, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let c = eks.describe_cluster().name(&cluster).send().await.unwrap().cluster().cloned().unwrap();
    assert_eq!(c.version(), Some("1.30"));
    let vpc = c.resources_vpc_config().unwrap();
    assert_eq!(vpc.public_access_cidrs().len(), 2);
    assert_eq!(vpc.subnet_ids().len(), 2, "the endpoint update keeps the subnets");
    let g = eks.describe_nodegroup().cluster_name(&cluster).nodegroup_name(&group).send().await.unwrap().nodegroup().cloned().unwrap();
    assert_eq!(g.scaling_config().and_then(|s| s.max_size()), Some(5));
    assert_eq!(g.labels().and_then(|l| l.get("tier")).map(String::as_str), Some("api"));
    assert!(g.taints().is_empty());
    let cni = eks.describe_addon().cluster_name(&cluster).addon_name("vpc-cni").send().await.unwrap().addon().cloned().unwrap();
    assert_eq!(cni.addon_version(), Some("v1.19.0-eksbuild.1"));
    let plan = engine.plan(&s2).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.render_text());

    // Drift: someone turns the control-plane logs off by hand.
    let off = aws_sdk_eks::types::Logging::builder()
        .cluster_logging(aws_sdk_eks::types::LogSetup::builder().types(aws_sdk_eks::types::LogType::Api).types(aws_sdk_eks::types::LogType::Audit).types(aws_sdk_eks::types::LogType::Scheduler).enabled(false).build())
        .build();
    eks.update_cluster_config().name(&cluster).logging(off).send().await.unwrap();
    let plan = engine.plan(&s2).await.unwrap();
    assert!(plan.render_text().contains("log_types"), "{}", plan.render_text());
    assert!(engine.apply(&s2, plan).await.is_success());
    assert!(!engine.plan(&s2).await.unwrap().has_changes(), "the logs are back on");

    // Drift: someone scales the group by hand.
    let hand = aws_sdk_eks::types::NodegroupScalingConfig::builder().min_size(1).max_size(5).desired_size(4).build();
    eks.update_nodegroup_config().cluster_name(&cluster).nodegroup_name(&group).scaling_config(hand).send().await.unwrap();
    let plan = engine.plan(&s2).await.unwrap();
    assert!(plan.render_text().contains("desired_size"), "{}", plan.render_text());
    assert!(engine.apply(&s2, plan).await.is_success());
    let g = eks.describe_nodegroup().cluster_name(&cluster).nodegroup_name(&group).send().await.unwrap().nodegroup().cloned().unwrap();
    assert_eq!(g.scaling_config().and_then(|s| s.desired_size()), Some(3));

    // New instance types replace the group; another namespace replaces the
    // Fargate profile (each created before its old copy is deleted).
    let s3 = stack(&name, &cluster, &Want { types: vec!["c6i.large"], namespace: "jobs", ..w2 });
    let plan = engine.plan(&s3).await.unwrap();
    assert_eq!(plan.step("back-end").unwrap().action, strata::Action::Replace, "{}", plan.render_text());
    assert_eq!(plan.step("batch").unwrap().action, strata::Action::Replace, "{}", plan.render_text());
    let report = engine.apply(&s3, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let groups = eks.list_nodegroups().cluster_name(&cluster).send().await.unwrap();
    assert_eq!(groups.nodegroups().len(), 1, "the old group is deleted: {:?}", groups.nodegroups());
    let profiles = eks.list_fargate_profiles().cluster_name(&cluster).send().await.unwrap();
    assert_eq!(profiles.fargate_profile_names().len(), 1, "the old profile is deleted");
    assert!(!engine.plan(&s3).await.unwrap().has_changes());

    let plan = engine.plan_destroy(&s3).await.unwrap();
    let report = engine.apply(&s3, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    assert!(eks.describe_cluster().name(&cluster).send().await.is_err(), "the cluster is gone");
}
