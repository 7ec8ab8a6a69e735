//! Secure defaults, checked in the cloud: a program that asks for nothing
//! special gets encryption at rest wherever the service has it, IMDSv2,
//! default-deny security groups and the S3 public access block. Asking for
//! less is possible, and the plan says so, field by field.

use strata::aws::ec2::{Ami, Instance, Rule, SecurityGroup, Subnet, Vpc};
use strata::aws::elasticache::{CacheSubnetGroup, ReplicationGroup};
use strata::aws::kms::Key;
use strata::aws::opensearch::Domain;
use strata::aws::rds::{DbInstance, DbSubnetGroup};
use strata::aws::s3::Bucket;
use strata::aws::sns::Topic;
use strata::engine::Engine;
use strata::prelude::*;
use strata_aws_testkit::{unique_stack, Emulator};

const REGION: &str = "eu-central-1";

/// Every builder with its defaults, and (`risky`) the same with every
/// protection turned off by an explicit opt-out.
fn stack(name: &str, risky: bool) -> Stack {
    let mut s = Stack::new(name, REGION);
    let vpc = s.add("vpc", Vpc::new("10.60.0.0/16"));
    let b = s.add("b", Subnet::new(vpc.id(), "10.60.1.0/24", "eu-central-1b"));
    let c = s.add("c", Subnet::new(vpc.id(), "10.60.2.0/24", "eu-central-1c"));
    let mut sg = SecurityGroup::new(vpc.id()).ingress(Rule::tcp(443).cidr("0.0.0.0/0"));
    if risky {
        sg = sg.ingress(Rule::tcp(22).cidr("0.0.0.0/0"));
    }
    let sg = s.add("sg", sg);
    let ubuntu = s.lookup::<Ami>("ubuntu", Ami::ubuntu_2004());
    let mut vm = Instance::new(ubuntu.id(), "t3.micro", b.id()).security_group(sg.id());
    if risky {
        vm = vm.unencrypted_root_volume().allow_imdsv1();
    }
    s.add("vm", vm);
    let mut bucket = Bucket::new();
    if risky {
        bucket = bucket.allow_public_access();
    }
    s.add("bucket", bucket);
    let db_subnets = s.add("db-subnets", DbSubnetGroup::new([b.id(), c.id()]));
    let mut db = DbInstance::postgres("16", "db.t4g.micro").subnet_group(db_subnets.group_name()).skip_final_snapshot();
    if risky {
        db = db.unencrypted().publicly_accessible(true);
    }
    s.add("db", db);
    let cache_subnets = s.add("cache-subnets", CacheSubnetGroup::new([b.id(), c.id()]));
    let mut redis = ReplicationGroup::redis("7.1", "cache.t4g.small").subnet_group(cache_subnets.group_name());
    if risky {
        redis = redis.unencrypted_at_rest();
    }
    s.add("redis", redis);
    let mut search = Domain::new("OpenSearch_2.13", "t3.small.search").instances(2).subnets([b.id(), c.id()]);
    if risky {
        search = search.unencrypted_at_rest();
    }
    s.add("search", search);
    s.add("topic", Topic::new());
    s.add("key", Key::new("defaults"));
    s
}

#[tokio::test(flavor = "multi_thread")]
async fn secure_defaults_in_the_cloud_on_moto() {
    let url = Emulator::Moto.url();
    let name = unique_stack("secure");
    let aws = strata_aws_testkit::aws(&url, REGION).await;
    let engine = crate::support::fast_engine(&aws);
    let conf = strata_aws_testkit::sdk_config(&url, REGION).await;
    let s = stack(&name, false);
    let plan = engine.plan(&s).await.unwrap();
    assert!(plan.warnings.is_empty(), "defaults draw no warning: {:?}", plan.warnings);
    let report = engine.apply(&s, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let id = |n: &str| report.outcome(n).and_then(|o| o.physical_id.clone()).unwrap();

    // Default-deny: only the declared ingress, no egress at all.
    let ec2 = aws_sdk_ec2::Client::new(&conf);
    let sg = ec2.describe_security_groups().group_ids(id("sg")).send().await.unwrap();
    let sg = &sg.security_groups()[0];
    assert_eq!(sg.ip_permissions().len(), 1, "{sg:?}");
    assert!(sg.ip_permissions_egress().is_empty(), "no egress unless declared: {sg:?}");

    // IMDSv2 and an encrypted root volume.
    let vm = ec2.describe_instances().instance_ids(id("vm")).send().await.unwrap();
    let vm = &vm.reservations()[0].instances()[0];
    assert_eq!(vm.metadata_options().and_then(|m| m.http_tokens()).map(|t| t.as_str()), Some("required"));
    let vols = ec2
        .describe_volumes()
        .filters(aws_sdk_ec2::types::Filter::builder().name("attachment.instance-id").values(id("vm")).build())
        .send()
        .await
        .unwrap();
    assert!(vols.volumes().iter().all(|v| v.encrypted() == Some(true)) && !vols.volumes().is_empty(), "{vols:?}");

    // S3: public access block on, encrypted.
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&conf).force_path_style(true).build());
    let pab = s3.get_public_access_block().bucket(id("bucket")).send().await.unwrap();
    let pab = pab.public_access_block_configuration().unwrap();
    assert_eq!(
        (pab.block_public_acls(), pab.ignore_public_acls(), pab.block_public_policy(), pab.restrict_public_buckets()),
        (Some(true), Some(true), Some(true), Some(true))
    );
    let enc = s3.get_bucket_encryption().bucket(id("bucket")).send().await.unwrap();
    assert!(enc.server_side_encryption_configuration().is_some_and(|c| !c.rules().is_empty()));

    // Stores: encrypted at rest.
    let rds = aws_sdk_rds::Client::new(&conf);
    let db = rds.describe_db_instances().db_instance_identifier(id("db")).send().await.unwrap();
    assert_eq!(db.db_instances()[0].storage_encrypted(), Some(true));
    assert_eq!(db.db_instances()[0].publicly_accessible(), Some(false));
    let ec = aws_sdk_elasticache::Client::new(&conf);
    let rg = ec.describe_replication_groups().replication_group_id(id("redis")).send().await.unwrap();
    assert_eq!(rg.replication_groups()[0].at_rest_encryption_enabled(), Some(true));
    assert_eq!(rg.replication_groups()[0].transit_encryption_enabled(), Some(true));
    let os = aws_sdk_opensearch::Client::new(&conf);
    let d = os.describe_domain().domain_name(id("search")).send().await.unwrap();
    let d = d.domain_status().unwrap();
    assert_eq!(d.encryption_at_rest_options().and_then(|e| e.enabled()), Some(true));
    assert_eq!(d.node_to_node_encryption_options().and_then(|e| e.enabled()), Some(true));
    assert_eq!(d.domain_endpoint_options().and_then(|e| e.enforce_https()), Some(true));
    let sns = aws_sdk_sns::Client::new(&conf);
    let attrs = sns.get_topic_attributes().topic_arn(id("topic")).send().await.unwrap();
    assert!(attrs.attributes().is_some_and(|a| a.get("KmsMasterKeyId").is_some_and(|k| !k.is_empty())), "{attrs:?}");
    let kms = aws_sdk_kms::Client::new(&conf);
    let key = report.outcome("key").and_then(|o| o.physical_id.clone()).unwrap();
    let rotation = kms.get_key_rotation_status().key_id(&key).send().await.unwrap();
    assert!(rotation.key_rotation_enabled(), "yearly rotation by default");

    let report = engine.apply(&s, engine.plan_destroy(&s).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
}

/// Turning protections off is allowed, and each opt-out is a plan warning that
/// names the resource and the field; the usual public web ports draw none.
#[tokio::test(flavor = "multi_thread")]
async fn opting_out_of_protection_is_warned_in_the_plan() {
    let url = Emulator::Moto.url();
    let aws = strata_aws_testkit::aws(&url, REGION).await;
    let engine = Engine::new(strata::aws::registry(&aws));
    let plan = engine.plan(&stack(&unique_stack("risky"), true)).await.unwrap();
    let got: Vec<(String, Option<String>)> = plan.warnings.iter().map(|d| (d.resource.clone(), d.field.clone())).collect();
    for (resource, field) in [
        ("sg", "ingress"),
        ("vm", "root_volume_encrypted"),
        ("vm", "imdsv2_required"),
        ("bucket", "block_public"),
        ("db", "storage_encrypted"),
        ("db", "publicly_accessible"),
        ("redis", "at_rest_encryption"),
        ("search", "encryption_at_rest"),
    ] {
        assert!(got.contains(&(resource.to_string(), Some(field.to_string()))), "no warning for {resource}.{field}: {got:?}");
    }
    let sg = plan.warnings.iter().filter(|d| d.resource == "sg").map(|d| d.message.clone()).collect::<Vec<_>>();
    assert_eq!(sg.len(), 1, "only port 22 is flagged, not 443: {sg:?}");
    assert!(sg[0].contains("22-22"), "{sg:?}");
    assert_eq!(got.len(), 8, "{got:?}");
}
