//! EC2 instances, AMI lookups, key pairs and Elastic IP association, on both emulators.

use aws_sdk_ec2::types::Filter;
use strata::aws::ec2::{Ami, ElasticIp, Instance, KeyPair, Rule, SecurityGroup, Subnet, Vpc};
use strata::engine::{CallCounter, Engine, Status};
use strata::prelude::*;
use strata_aws_testkit::{ec2_client, ec2_leftovers, unique_stack, Emulator};

const REGION: &str = "eu-central-1";
const PUBLIC_KEY: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDOHhNVnjhN4mLWiAI3Ye0TuQpHZFxNuMyDVzkYhB5HWy8kBMJXHBb2ldoDBIgwhKtMqX3LGMLtWxu9v2aSbnH5aMRtC3fvZmlv3ea9Ex3T7QnsKb8HxbDRn6DjVa4H4fdJvx1fS1ITaJlGdk4ycFbWMG2crZ5pkU5PAEeLrvkVMFXYHkxoTRuRYEYmH6KusFnhNJdTp39ejLW5gMDsgvgGM3Z07rTmvVT8dhj3ZO4WmhdsuF1n/tT6q5K8j1UD2Ax41m1h6H0ZE41l84h4fyt1MkJSG2NMhQjZ+BjTC4gHjAS9EJ8Ub+m7ZG/IF2PubODAqq9LpfmmoFpr2hXwZnzT strata@test";

fn bastion_stack(name: &str, instance_type: &str, user_data: &str) -> Stack {
    let mut s = Stack::new(name, REGION);
    s.default_tag("env", "test");
    let vpc = s.add("vpc", Vpc::new("10.30.0.0/16"));
    let public = s.add("public-b", Subnet::new(vpc.id(), "10.30.11.0/24", "eu-central-1b").public());
    let sg = s.add("bastion-sg", SecurityGroup::new(vpc.id()).ingress(Rule::tcp(22).cidr("203.0.113.0/24")));
    let key = s.add("ops-key", KeyPair::import(format!("{name}-ops"), PUBLIC_KEY));
    let ubuntu = s.lookup::<Ami>("ubuntu", Ami::newest("099720109477", "ubuntu/images/hvm-ssd/ubuntu-*"));
    let bastion = s.add(
        "bastion-host-1",
        Instance::new(ubuntu.id(), instance_type, public.id())
            .security_group(sg.id())
            .root_volume_gb(20)
            .key_name(key.key_name())
            .user_data(user_data)
            .tag("Name", "bastion-host-1"),
    );
    let ip = s.add("bastion-ip", ElasticIp::new().instance(bastion.id()));
    s.export("bastion_public_ip", ip.public_ip());
    s.export("bastion_id", bastion.id());
    s
}

async fn converge(engine: &Engine, stack: &Stack) -> strata::Report {
    let plan = engine.plan(stack).await.unwrap();
    let report = engine.apply(stack, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    report
}

async fn instance_lifecycle(emulator: Emulator) {
    let url = emulator.url();
    let name = unique_stack("bastion");
    let aws = strata_aws_testkit::aws(&url, REGION).await;
    let counter = aws.counter();
    let engine = crate::support::fast_engine(&aws);
    let ec2 = ec2_client(&url, REGION).await;
    let tag = || Filter::builder().name("tag:strata:stack").values(&name).build();
    let live = || Filter::builder().name("instance-state-name").values("pending").values("running").values("stopped").build();

    // Apply and verify independently.
    let base = bastion_stack(&name, "t3.micro", "#!/bin/bash\necho v1\n");
    let report = converge(&engine, &base).await;
    assert_eq!(report.count(Status::Created), 6);
    let images = ec2
        .describe_images()
        .owners("099720109477")
        .filters(Filter::builder().name("name").values("ubuntu/images/hvm-ssd/ubuntu-*").build())
        .send()
        .await
        .unwrap();
    let newest = images.images().iter().max_by_key(|i| i.creation_date().map(str::to_string)).unwrap();
    let out = ec2.describe_instances().filters(tag()).filters(live()).send().await.unwrap();
    let instances: Vec<_> = out.reservations().iter().flat_map(|r| r.instances()).collect();
    assert_eq!(instances.len(), 1);
    let i = instances[0];
    assert_eq!(i.image_id(), newest.image_id(), "the newest matching AMI");
    assert_eq!(i.instance_type().map(|t| t.as_str()), Some("t3.micro"));
    assert_eq!(i.key_name(), Some(format!("{name}-ops").as_str()));
    assert_eq!(
        i.metadata_options().and_then(|m| m.http_tokens()).map(|t| t.as_str()),
        Some("required"),
        "IMDSv2 by default"
    );
    let root = i.block_device_mappings()[0].ebs().and_then(|e| e.volume_id()).unwrap();
    let vol = ec2.describe_volumes().volume_ids(root).send().await.unwrap();
    let vol = &vol.volumes()[0];
    assert_eq!(vol.size(), Some(20));
    assert_eq!(vol.encrypted(), Some(true), "encrypted root volume by default");
    assert!(i.tags().iter().any(|t| t.key() == Some("env") && t.value() == Some("test")));
    let first_id = i.instance_id().unwrap().to_string();
    let addrs = ec2.describe_addresses().filters(tag()).send().await.unwrap();
    assert_eq!(addrs.addresses()[0].instance_id(), Some(first_id.as_str()), "the bastion's own EIP");
    assert!(report.exports["bastion_public_ip"].as_str().is_some_and(|ip| !ip.is_empty()));

    // Re-apply: nothing to do, no mutating call.
    let before = counter.snapshot();
    let plan = engine.plan(&base).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.render_text());
    assert!(engine.apply(&base, plan).await.is_success());
    assert_eq!(counter.snapshot().since(&before).mutating_calls(), 0);

    // In place: a new instance type (stop, modify, start).
    let bigger = bastion_stack(&name, "t3.small", "#!/bin/bash\necho v1\n");
    let plan = engine.plan(&bigger).await.unwrap();
    let step = plan.step("bastion-host-1").unwrap();
    assert_eq!(step.action, strata::Action::Update, "{}", plan.render_text());
    assert_eq!(step.reason.as_deref(), Some("warning: the instance is stopped, resized and started again"));
    converge(&engine, &bigger).await;
    let out = ec2.describe_instances().instance_ids(&first_id).send().await.unwrap();
    let i = &out.reservations()[0].instances()[0];
    assert_eq!(i.instance_type().map(|t| t.as_str()), Some("t3.small"));
    assert_eq!(i.state().and_then(|s| s.name()).map(|s| s.as_str()), Some("running"));

    // Replacement: new user data.
    let replaced = bastion_stack(&name, "t3.small", "#!/bin/bash\necho v2\n");
    let plan = engine.plan(&replaced).await.unwrap();
    let step = plan.step("bastion-host-1").unwrap();
    assert_eq!(step.action, strata::Action::Replace);
    assert_eq!(step.reason.as_deref(), Some("user_data_sha256 cannot change in place"));
    assert!(!plan.render_text().contains("echo v2"), "user data is secret in the plan");
    converge(&engine, &replaced).await;
    let out = ec2.describe_instances().filters(tag()).filters(live()).send().await.unwrap();
    let ids: Vec<&str> = out.reservations().iter().flat_map(|r| r.instances()).filter_map(|i| i.instance_id()).collect();
    assert_eq!(ids.len(), 1);
    assert_ne!(ids[0], first_id);
    let addrs = ec2.describe_addresses().filters(tag()).send().await.unwrap();
    assert_eq!(addrs.addresses()[0].instance_id(), Some(ids[0]), "the EIP moved to the new instance");
    assert!(!engine.plan(&replaced).await.unwrap().has_changes());

    // Destroy: nothing left.
    let plan = engine.plan_destroy(&replaced).await.unwrap();
    let report = engine.apply(&replaced, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    assert_eq!(ec2_leftovers(&ec2, &name).await, Vec::<String>::new());
}

/// A key pair's material is never read back: its digest is kept in a state
/// tag, compared, and a different key replaces the pair; the tag is not among
/// the pair's own tags.
async fn key_pair_digest(emulator: Emulator) {
    let url = emulator.url();
    let name = unique_stack("keys");
    let aws = strata_aws_testkit::aws(&url, REGION).await;
    let engine = Engine::new(strata::aws::registry(&aws));
    let ec2 = ec2_client(&url, REGION).await;
    let stack = |key: &str| {
        let mut s = Stack::new(&name, REGION);
        s.add("ops-key", KeyPair::import(format!("{name}-ops"), key).tag("team", "ops"));
        s
    };
    let one = stack(PUBLIC_KEY);
    converge(&engine, &one).await;
    let pairs = ec2.describe_key_pairs().key_names(format!("{name}-ops")).send().await.unwrap();
    let tags = pairs.key_pairs()[0].tags();
    let digest = tags.iter().find(|t| t.key() == Some(strata::tags::PUBLIC_KEY_SHA256)).and_then(|t| t.value());
    assert_eq!(digest.map(str::len), Some(64), "{tags:?}");
    assert!(tags.iter().any(|t| t.key() == Some("team")));
    assert!(!engine.plan(&one).await.unwrap().has_changes(), "the digest matches: no changes");

    let other = stack("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ0xotherkey ops@example");
    let plan = engine.plan(&other).await.unwrap();
    let step = plan.step("ops-key").unwrap();
    assert_eq!(step.action, strata::Action::Replace, "{}", plan.render_text());
    assert_eq!(step.reason.as_deref(), Some("public_key_sha256 cannot change in place"));

    let plan = engine.plan_destroy(&one).await.unwrap();
    assert!(engine.apply(&one, plan).await.is_success());
    assert_eq!(ec2_leftovers(&ec2, &name).await, Vec::<String>::new());
}

mod localstack {
    #[tokio::test(flavor = "multi_thread")]
    async fn instance_lifecycle() {
        super::instance_lifecycle(strata_aws_testkit::Emulator::LocalStack).await
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn key_pair_digest() {
        super::key_pair_digest(strata_aws_testkit::Emulator::LocalStack).await
    }
}

mod moto {
    #[tokio::test(flavor = "multi_thread")]
    async fn instance_lifecycle() {
        super::instance_lifecycle(strata_aws_testkit::Emulator::Moto).await
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn key_pair_digest() {
        super::key_pair_digest(strata_aws_testkit::Emulator::Moto).await
    }
}
