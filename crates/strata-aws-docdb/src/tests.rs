//! Neither moto nor LocalStack community implements DocumentDB (moto signs
//! it as `rds`, whose `CreateDBCluster` refuses `Engine=docdb`): each test
//! here checks strata's requests against the SDK's real request and response
//! shapes with `aws-smithy-mocks`, as its name says.
#![allow(clippy::unwrap_used)]

use aws_sdk_docdb::error::ErrorMetadata;
use aws_sdk_docdb::operation::add_tags_to_resource::AddTagsToResourceOutput;
use aws_sdk_docdb::operation::create_db_cluster::CreateDbClusterOutput;
use aws_sdk_docdb::operation::create_db_instance::CreateDbInstanceOutput;
use aws_sdk_docdb::operation::create_db_subnet_group::CreateDbSubnetGroupOutput;
use aws_sdk_docdb::operation::delete_db_cluster::DeleteDbClusterOutput;
use aws_sdk_docdb::operation::delete_db_instance::DeleteDbInstanceOutput;
use aws_sdk_docdb::operation::describe_db_clusters::{DescribeDBClustersError, DescribeDbClustersOutput};
use aws_sdk_docdb::operation::describe_db_instances::DescribeDbInstancesOutput;
use aws_sdk_docdb::operation::describe_db_subnet_groups::DescribeDbSubnetGroupsOutput;
use aws_sdk_docdb::operation::list_tags_for_resource::ListTagsForResourceOutput;
use aws_sdk_docdb::operation::modify_db_cluster::ModifyDbClusterOutput;
use aws_sdk_docdb::operation::modify_db_instance::ModifyDbInstanceOutput;
use aws_sdk_docdb::operation::remove_tags_from_resource::RemoveTagsFromResourceOutput;
use aws_sdk_docdb::types::error::DbClusterNotFoundFault;
use aws_sdk_docdb::types::{ClusterMasterUserSecret, DbCluster, DbInstance, DbSubnetGroup, Endpoint, Subnet, Tag, VpcSecurityGroupMembership};
use aws_sdk_docdb::Client;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use strata_aws::kernel::Kind;
use strata_core::{Tags, Value};
use strata_engine::{Diff, FieldChange, Observed};

use crate::cluster::{self, Clusters, DocDbClusterValues};
use crate::instance::{self, DocDbInstanceValues, Instances};
use crate::subnet_group::{self, DocDbSubnetGroupValues, SubnetGroups};

const ARN: &str = "arn:aws:rds:eu-central-1:123456789012:cluster:docs";
const SECRET: &str = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:rds!cluster-1111-AbCdEf";

fn stack_tags() -> Tags {
    Tags::from([("strata:stack".to_string(), "demo".to_string()), ("strata:resource".to_string(), "docs".to_string())])
}

fn is_docdb_filter(filters: &[aws_sdk_docdb::types::Filter]) -> bool {
    filters.iter().any(|f| f.name() == Some("engine") && f.values() == ["docdb"])
}

fn docdb_cluster(status: &str) -> DbCluster {
    DbCluster::builder()
        .db_cluster_identifier("docs")
        .db_cluster_arn(ARN)
        .engine("docdb")
        .engine_version("5.0.0")
        .status(status)
        .db_subnet_group("docs-subnets")
        .vpc_security_groups(VpcSecurityGroupMembership::builder().vpc_security_group_id("sg-0db").status("active").build())
        .port(27017)
        .master_username("catalog")
        .storage_encrypted(true)
        .kms_key_id("arn:aws:kms:eu-central-1:123456789012:key/1111")
        .backup_retention_period(7)
        .deletion_protection(true)
        .endpoint("docs.cluster-abc.eu-central-1.docdb.amazonaws.com")
        .reader_endpoint("docs.cluster-ro-abc.eu-central-1.docdb.amazonaws.com")
        .db_cluster_resource_id("cluster-ABCDEF")
        .master_user_secret(ClusterMasterUserSecret::builder().secret_arn(SECRET).secret_status("active").build())
        .build()
}

fn change(field: &str, old: Value, new: Value) -> FieldChange {
    FieldChange { field: field.into(), old: Some(old), new: Some(new), forces_replacement: false }
}

fn strs(l: &[&str]) -> Value {
    Value::List(l.iter().map(|s| Value::str(*s)).collect())
}

#[tokio::test]
async fn cluster_create_read_modify_delete_with_smithy_mocks_because_no_emulator_has_docdb() {
    let create = mock!(Client::create_db_cluster)
        .match_requests(|r| {
            r.db_cluster_identifier() == Some("docs")
                && r.engine() == Some("docdb")
                && r.engine_version() == Some("5.0.0")
                && r.db_subnet_group_name() == Some("docs-subnets")
                && r.vpc_security_group_ids() == ["sg-0db"]
                && r.master_username() == Some("catalog")
                // The password is DocumentDB's to make and keep in Secrets Manager.
                && r.manage_master_user_password() == Some(true)
                && r.master_user_password().is_none()
                && r.storage_encrypted() == Some(true)
                && r.deletion_protection() == Some(true)
                && r.backup_retention_period() == Some(7)
                && r.enable_cloudwatch_logs_exports().is_empty()
                && r.tags().iter().any(|t| t.key() == Some("strata:stack") && t.value() == Some("demo"))
        })
        .then_output(|| CreateDbClusterOutput::builder().db_cluster(docdb_cluster("creating")).build());
    // DescribeDBClusters answers RDS's and Neptune's clusters too: strata asks for docdb only, and drops any other.
    let aurora = DbCluster::builder().db_cluster_identifier("orders").engine("aurora-postgresql").status("available").build();
    let list = mock!(Client::describe_db_clusters)
        .match_requests(|r| is_docdb_filter(r.filters()) && r.db_cluster_identifier().is_none())
        .then_output(move || DescribeDbClustersOutput::builder().db_clusters(docdb_cluster("available")).db_clusters(aurora.clone()).build());
    let missing = mock!(Client::describe_db_clusters).match_requests(|r| r.db_cluster_identifier() == Some("gone")).then_error(|| {
        DescribeDBClustersError::DbClusterNotFoundFault(DbClusterNotFoundFault::builder().meta(ErrorMetadata::builder().code("DBClusterNotFoundFault").message("DBCluster gone not found.").build()).build())
    });
    let modify = mock!(Client::modify_db_cluster)
        .match_requests(|r| {
            r.db_cluster_identifier() == Some("docs")
                && r.apply_immediately() == Some(true)
                && r.backup_retention_period() == Some(14)
                && r.cloudwatch_logs_export_configuration().is_some_and(|c| c.enable_log_types() == ["audit"] && c.disable_log_types() == ["profiler"])
                // Unchanged fields are not sent.
                && r.engine_version().is_none()
                && r.deletion_protection().is_none()
                && r.port().is_none()
        })
        .then_output(|| ModifyDbClusterOutput::builder().build());
    let delete_with_snapshot = mock!(Client::delete_db_cluster)
        .match_requests(|r| r.db_cluster_identifier() == Some("docs") && r.skip_final_snapshot() == Some(false) && r.final_db_snapshot_identifier() == Some("docs-final-1700000000"))
        .then_output(|| DeleteDbClusterOutput::builder().build());
    let delete_without = mock!(Client::delete_db_cluster)
        .match_requests(|r| r.db_cluster_identifier() == Some("scratch") && r.skip_final_snapshot() == Some(true) && r.final_db_snapshot_identifier().is_none())
        .then_output(|| DeleteDbClusterOutput::builder().build());
    let c = mock_client!(aws_sdk_docdb, RuleMode::MatchAny, [&create, &list, &missing, &modify, &delete_with_snapshot, &delete_without]);

    let want = DocDbClusterValues {
        engine_version: Some("5.0.0".into()),
        subnet_group: Some("docs-subnets".into()),
        security_group_ids: Some(vec!["sg-0db".into()]),
        master_username: Some("catalog".into()),
        storage_encrypted: Some(true),
        deletion_protection: Some(true),
        backup_retention_days: Some(7),
        log_exports: Some(Vec::new()),
        tags: stack_tags(),
        ..DocDbClusterValues::default()
    };
    let made = cluster::create_cluster(&c, "docs", &want).await.unwrap().unwrap();
    assert!(!Clusters::settled(&made).unwrap(), "a creating cluster is waited for");

    let found = cluster::list_clusters(&c).await.unwrap();
    assert_eq!(found.iter().map(|d| d.db_cluster_identifier()).collect::<Vec<_>>(), [Some("docs")]);
    assert!(Clusters::settled(&found[0]).unwrap());
    let seen = Clusters::observe(&found[0]);
    assert_eq!((seen.values.port, seen.values.backup_retention_days, seen.values.deletion_protection), (Some(27017), Some(7), Some(true)));
    assert_eq!(seen.outputs.master_user_secret_arn.as_deref(), Some(SECRET));
    assert_eq!(seen.outputs.endpoint.as_deref(), Some("docs.cluster-abc.eu-central-1.docdb.amazonaws.com"));
    assert_eq!(seen.refs, ["sg-0db"]);
    assert!(cluster::describe_cluster(&c, "gone").await.unwrap().is_none(), "a missing cluster is absent, not an error");

    let next = DocDbClusterValues { backup_retention_days: Some(14), log_exports: Some(vec!["audit".into()]), ..want.clone() };
    let diff = Diff { changes: vec![change("backup_retention_days", Value::Int(7), Value::Int(14)), change("log_exports", strs(&["profiler"]), strs(&["audit"]))] };
    cluster::modify_cluster(&c, "docs", &next, &diff).await.unwrap();

    cluster::delete_cluster(&c, "docs", true, 1_700_000_000).await.unwrap();
    cluster::delete_cluster(&c, "scratch", false, 1_700_000_000).await.unwrap();
    assert_eq!(
        (create.num_calls(), list.num_calls(), missing.num_calls(), modify.num_calls(), delete_with_snapshot.num_calls(), delete_without.num_calls()),
        (1, 1, 1, 1, 1, 1)
    );
}

#[test]
fn a_failed_cluster_stops_the_wait_with_its_state() {
    let e = Clusters::settled(&docdb_cluster("inaccessible-encryption-credentials")).unwrap_err();
    assert!(e.to_string().contains("DocumentDB cluster docs failed: inaccessible-encryption-credentials"), "{e}");
    assert_eq!(Clusters::life(&docdb_cluster("deleting")), strata_aws::kernel::Life::Leaving);
}

#[test]
fn a_protected_cluster_refuses_the_delete_plan_and_says_how_to_proceed() {
    let mut o = Observed::new("aws:docdb:DbCluster", "docs", "eu-central-1");
    o.props.insert("deletion_protection".into(), Value::Bool(true));
    let why = Clusters::delete_refusal(&o).unwrap();
    assert!(why.contains("deletion_protection(false)"), "{why}");
    o.props.insert("deletion_protection".into(), Value::Bool(false));
    assert!(Clusters::delete_refusal(&o).is_none());
}

#[tokio::test]
async fn instance_create_list_modify_delete_with_smithy_mocks_because_no_emulator_has_docdb() {
    let one = || {
        DbInstance::builder()
            .db_instance_identifier("docs-1")
            .db_instance_arn("arn:aws:rds:eu-central-1:123456789012:db:docs-1")
            .engine("docdb")
            .db_instance_status("available")
            .db_cluster_identifier("docs")
            .db_instance_class("db.r6g.large")
            .availability_zone("eu-central-1a")
            .promotion_tier(1)
            .auto_minor_version_upgrade(true)
            .endpoint(Endpoint::builder().address("docs-1.abc.eu-central-1.docdb.amazonaws.com").port(27017).build())
            .build()
    };
    let create = mock!(Client::create_db_instance)
        .match_requests(|r| {
            r.db_instance_identifier() == Some("docs-1")
                && r.engine() == Some("docdb")
                && r.db_cluster_identifier() == Some("docs")
                && r.db_instance_class() == Some("db.r6g.large")
                && r.promotion_tier() == Some(1)
                && r.tags().iter().any(|t| t.key() == Some("strata:resource"))
        })
        .then_output(move || CreateDbInstanceOutput::builder().db_instance(one()).build());
    let postgres = DbInstance::builder().db_instance_identifier("orders-db").engine("postgres").db_instance_status("available").build();
    let list = mock!(Client::describe_db_instances)
        .match_requests(|r| is_docdb_filter(r.filters()))
        .then_output(move || DescribeDbInstancesOutput::builder().db_instances(one()).db_instances(postgres.clone()).build());
    let modify = mock!(Client::modify_db_instance)
        .match_requests(|r| r.db_instance_identifier() == Some("docs-1") && r.db_instance_class() == Some("db.r6g.xlarge") && r.apply_immediately() == Some(true) && r.promotion_tier().is_none())
        .then_output(|| ModifyDbInstanceOutput::builder().build());
    let delete = mock!(Client::delete_db_instance).match_requests(|r| r.db_instance_identifier() == Some("docs-1")).then_output(|| DeleteDbInstanceOutput::builder().build());
    let c = mock_client!(aws_sdk_docdb, RuleMode::MatchAny, [&create, &list, &modify, &delete]);

    let want = DocDbInstanceValues { cluster: Some("docs".into()), instance_class: Some("db.r6g.large".into()), promotion_tier: Some(1), tags: stack_tags(), ..DocDbInstanceValues::default() };
    let made = instance::create_instance(&c, "docs-1", &want).await.unwrap().unwrap();
    assert_eq!(Instances::id(&made), Some("docs-1"));
    let found = instance::list_instances(&c).await.unwrap();
    assert_eq!(found.len(), 1, "the PostgreSQL instance is RDS's, not this kind's");
    let seen = Instances::observe(&found[0]);
    assert_eq!((seen.values.cluster.as_deref(), seen.values.promotion_tier), (Some("docs"), Some(1)));
    assert_eq!(seen.refs, ["docs"]);

    let next = DocDbInstanceValues { instance_class: Some("db.r6g.xlarge".into()), ..want.clone() };
    let diff = Diff { changes: vec![change("instance_class", Value::str("db.r6g.large"), Value::str("db.r6g.xlarge"))] };
    instance::modify_instance(&c, "docs-1", &next, &diff).await.unwrap();
    instance::delete_instance(&c, "docs-1").await.unwrap();
    assert_eq!((create.num_calls(), list.num_calls(), modify.num_calls(), delete.num_calls()), (1, 1, 1, 1));
}

#[tokio::test]
async fn subnet_group_is_marked_as_documentdb_with_smithy_mocks_because_no_emulator_has_docdb() {
    let group = || {
        DbSubnetGroup::builder()
            .db_subnet_group_name("docs-subnets")
            .db_subnet_group_description("Managed by strata")
            .db_subnet_group_arn("arn:aws:rds:eu-central-1:123456789012:subgrp:docs-subnets")
            .vpc_id("vpc-0a")
            .subnets(Subnet::builder().subnet_identifier("subnet-0a").build())
            .subnets(Subnet::builder().subnet_identifier("subnet-0b").build())
            .build()
    };
    let create = mock!(Client::create_db_subnet_group)
        .match_requests(|r| {
            r.db_subnet_group_name() == Some("docs-subnets")
                && r.subnet_ids() == ["subnet-0a", "subnet-0b"]
                && r.tags().iter().any(|t| t.key() == Some("strata:engine") && t.value() == Some("docdb"))
        })
        .then_output(move || CreateDbSubnetGroupOutput::builder().db_subnet_group(group()).build());
    let default = DbSubnetGroup::builder().db_subnet_group_name("default").build();
    let list = mock!(Client::describe_db_subnet_groups).then_output(move || DescribeDbSubnetGroupsOutput::builder().db_subnet_groups(group()).db_subnet_groups(default.clone()).build());
    let c = mock_client!(aws_sdk_docdb, RuleMode::MatchAny, [&create, &list]);

    // Declared props are normalized (the engine field is set), and the kernel writes that field as the state tag.
    let mut props = strata_core::Props::new();
    SubnetGroups::normalize(&mut props);
    assert_eq!(props.get("engine"), Some(&Value::str("docdb")));
    assert_eq!(SubnetGroups::TAG_FIELDS, [("strata:engine", "engine")]);
    let mut tags = stack_tags();
    tags.insert("strata:engine".into(), "docdb".into());
    let want = DocDbSubnetGroupValues { description: Some("Managed by strata".into()), subnet_ids: Some(vec!["subnet-0a".into(), "subnet-0b".into()]), tags, ..DocDbSubnetGroupValues::default() };
    subnet_group::create_group(&c, "docs-subnets", &want).await.unwrap().unwrap();
    let found = subnet_group::list_groups(&c).await.unwrap();
    assert_eq!(found.iter().map(|g| g.db_subnet_group_name()).collect::<Vec<_>>(), [Some("docs-subnets")], "AWS's default group is never read");

    // RDS lists the same group: only the one marked docdb is this kind's, and RDS's kind leaves it.
    let mut tags = stack_tags();
    assert!(!SubnetGroups::claims(&tags));
    tags.insert("strata:engine".into(), "docdb".into());
    assert!(SubnetGroups::claims(&tags));
    assert_eq!((create.num_calls(), list.num_calls()), (1, 1));
}

#[tokio::test]
async fn tags_read_added_and_removed_by_arn_with_smithy_mocks_because_no_emulator_has_docdb() {
    let read = mock!(Client::list_tags_for_resource)
        .match_requests(|r| r.resource_name() == Some(ARN))
        .then_output(|| ListTagsForResourceOutput::builder().tag_list(Tag::builder().key("strata:stack").value("demo").build()).tag_list(Tag::builder().key("team").value("catalog").build()).build());
    let add = mock!(Client::add_tags_to_resource)
        .match_requests(|r| r.resource_name() == Some(ARN) && r.tags().len() == 1 && r.tags()[0].key() == Some("owner") && r.tags()[0].value() == Some("shop"))
        .then_output(|| AddTagsToResourceOutput::builder().build());
    let remove = mock!(Client::remove_tags_from_resource)
        .match_requests(|r| r.resource_name() == Some(ARN) && r.tag_keys() == ["team"])
        .then_output(|| RemoveTagsFromResourceOutput::builder().build());
    let c = mock_client!(aws_sdk_docdb, RuleMode::MatchAny, [&read, &add, &remove]);

    let tags = crate::read_tags(&c, ARN).await.unwrap();
    assert_eq!(tags.get("team").map(String::as_str), Some("catalog"));
    crate::write_tags(&c, ARN, &Tags::from([("owner".to_string(), "shop".to_string())]), &["team".to_string()]).await.unwrap();
    // Nothing to change: no call.
    crate::write_tags(&c, ARN, &Tags::new(), &[]).await.unwrap();
    assert_eq!((read.num_calls(), add.num_calls(), remove.num_calls()), (1, 1, 1));
}
