#![warn(missing_docs)]
//! Amazon DocumentDB: `aws:docdb:DbCluster`, `aws:docdb:DbInstance` and
//! `aws:docdb:DbSubnetGroup`.
//!
//! DocumentDB runs on RDS's control plane: its `DescribeDBClusters` and
//! `DescribeDBInstances` answer RDS and Neptune objects too (filtered here by
//! `engine = docdb`), and a DocumentDB subnet group *is* an RDS DB subnet
//! group. So a DocumentDB group carries the `strata:engine = docdb` state tag
//! and the two subnet-group kinds each claim only their own
//! ([`strata_aws::kernel::Kind::claims`]); RDS instances are claimed by engine.
//!
//! Neither emulator implements DocumentDB (moto signs it as `rds`, whose
//! `CreateDBCluster` refuses `Engine=docdb`): every SDK call here is a function
//! of an `aws_sdk_docdb::Client`, and the tests check the real request and
//! response shapes with `aws-smithy-mocks` (their names say so).

strata_aws::sdk_client!(pub(crate) fn client = aws_sdk_docdb, "docdb");

mod cluster;
mod instance;
mod subnet_group;

use std::sync::Arc;

use aws_sdk_docdb::types::{Filter, Tag};
use async_trait::async_trait;
use aws_sdk_docdb::Client;
use strata_aws::error::err;
use strata_aws::kernel::{KindProvider, Tagging};
use strata_aws::Aws;
use strata_core::Tags;
use strata_engine::{ProviderError, Registry};

pub use cluster::{DocDbCluster, DocDbClusterHandle, DocDbClusterOutputs, DocDbClusterValues};
pub use instance::{DocDbInstance, DocDbInstanceHandle, DocDbInstanceOutputs, DocDbInstanceValues};
pub use subnet_group::{DocDbSubnetGroup, DocDbSubnetGroupHandle, DocDbSubnetGroupOutputs, DocDbSubnetGroupValues};

/// The engine name DocumentDB objects carry.
pub(crate) const ENGINE: &str = "docdb";

/// Register the DocumentDB kinds.
pub fn register(aws: &Aws, r: &mut Registry) {
    r.register(Arc::new(KindProvider::new(aws, subnet_group::SubnetGroups)));
    r.register(Arc::new(KindProvider::new(aws, cluster::Clusters)));
    r.register(Arc::new(KindProvider::new(aws, instance::Instances)));
}

pub(crate) fn tags_of(list: &[Tag]) -> Tags {
    list.iter().filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string()))).collect()
}

pub(crate) fn sdk_tags(tags: &Tags) -> Vec<Tag> {
    tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

/// The filter that keeps DocumentDB's clusters and instances (RDS's and
/// Neptune's share the calls).
pub(crate) fn docdb_only() -> Filter {
    Filter::builder().name("engine").values(ENGINE).build()
}

/// Tags of DocumentDB resources, by ARN (`ListTagsForResource`,
/// `AddTagsToResource`, `RemoveTagsFromResource`).
pub(crate) struct DocDbTags;

pub(crate) async fn read_tags(c: &Client, arn: &str) -> Result<Tags, ProviderError> {
    let out = c.list_tags_for_resource().resource_name(arn).send().await.map_err(err("ListTagsForResource"))?;
    Ok(tags_of(out.tag_list()))
}

pub(crate) async fn write_tags(c: &Client, arn: &str, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
    if !remove.is_empty() {
        c.remove_tags_from_resource().resource_name(arn).set_tag_keys(Some(remove.to_vec())).send().await.map_err(err("RemoveTagsFromResource"))?;
    }
    if !add.is_empty() {
        c.add_tags_to_resource().resource_name(arn).set_tags(Some(sdk_tags(add))).send().await.map_err(err("AddTagsToResource"))?;
    }
    Ok(())
}

#[async_trait]
impl Tagging for DocDbTags {
    async fn read(aws: &Aws, region: &str, arn: &str) -> Result<Tags, ProviderError> {
        read_tags(&client(aws, region), arn).await
    }

    async fn write(aws: &Aws, region: &str, arn: &str, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        write_tags(&client(aws, region), arn, add, remove).await
    }
}

#[cfg(test)]
mod tests;
