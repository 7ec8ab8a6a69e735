//! ElastiCache: `aws:elasticache:CacheSubnetGroup`, Redis
//! `aws:elasticache:ReplicationGroup` and Memcached `aws:elasticache:CacheCluster`.
//!
//! ElastiCache's describe calls carry no tags: each kind is listed in one
//! paginated call, and the tags of each listed item are read to confirm
//! ownership (AWS's `default` subnet group and the member clusters of
//! replication groups are skipped without a read).
//!
//! A deleted replication group or cache cluster stays `deleting` for minutes
//! (forever on moto); a delete returns once ElastiCache reports `deleting`, and
//! what depends on it (its subnet group) retries "in use" until it is gone.

strata_aws::sdk_client!(pub(crate) fn client = aws_sdk_elasticache, "elasticache");

mod cache_cluster;
mod replication_group;
mod subnet_group;

use std::sync::Arc;

use aws_sdk_elasticache::types::Tag;
use strata_core::Tags;
use strata_engine::{ProviderError, Registry};

use strata_aws::error::err;
use strata_aws::Aws;

pub use cache_cluster::{CacheCluster, CacheClusterHandle, CacheClusterOutputs, CacheClusterValues};
pub use replication_group::{ReplicationGroup, ReplicationGroupHandle, ReplicationGroupOutputs, ReplicationGroupValues};
pub use subnet_group::{CacheSubnetGroup, CacheSubnetGroupHandle, CacheSubnetGroupOutputs, CacheSubnetGroupValues};

pub fn register(aws: &Aws, r: &mut Registry) {
    r.register(Arc::new(strata_aws::kernel::KindProvider::new(aws, subnet_group::SubnetGroups)));
    r.register(Arc::new(strata_aws::kernel::KindProvider::new(aws, replication_group::ReplicationGroups)));
    r.register(Arc::new(strata_aws::kernel::KindProvider::new(aws, cache_cluster::CacheClusters)));
}

pub(crate) fn tag_list(tags: &Tags) -> Vec<Tag> {
    tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

/// ElastiCache tags by ARN, for the kinds on the resource kernel.
pub(crate) struct CacheTags;

#[async_trait::async_trait]
impl strata_aws::kernel::Tagging for CacheTags {
    const TAGGING_API_TYPE: Option<&'static str> = Some("elasticache");
    async fn read(aws: &Aws, region: &str, arn: &str) -> Result<Tags, ProviderError> {
        tags_of(aws, region, arn).await
    }
    async fn write(aws: &Aws, region: &str, arn: &str, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        write_tags(aws, region, arn, add, remove).await
    }
}

/// Every cache cluster of the scope's region: one paginated list per
/// discovery pass, shared by the Memcached and replication-group kinds.
pub(crate) async fn all_cache_clusters(
    aws: &strata_aws::Aws,
    scope: &strata_engine::DiscoverScope,
) -> Result<std::sync::Arc<Vec<aws_sdk_elasticache::types::CacheCluster>>, strata_engine::ProviderError> {
    let key = format!("elasticache:DescribeCacheClusters:{}", scope.region);
    aws.shared_lists()
        .get(scope, key, || async {
            let pages = crate::client(aws, &scope.region).describe_cache_clusters().into_paginator().items().send();
            strata_aws::error::all_pages(pages, "DescribeCacheClusters").await
        })
        .await
}

/// Tags of one ElastiCache resource by ARN.
pub(crate) async fn tags_of(aws: &Aws, region: &str, arn: &str) -> Result<Tags, ProviderError> {
    let out = crate::client(aws, region)
        .list_tags_for_resource()
        .resource_name(arn)
        .send()
        .await
        .map_err(err("ListTagsForResource"));
    // Deleted since it was listed: no tags, so not this stack's.
    let Some(out) = strata_aws::unless_gone(out)? else { return Ok(Tags::new()) };
    Ok(out.tag_list().iter().filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string()))).collect())
}

/// Add and remove tags on the resource `arn`.
async fn write_tags(aws: &Aws, region: &str, arn: &str, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
    let c = crate::client(aws, region);
    if !remove.is_empty() {
        c.remove_tags_from_resource()
            .resource_name(arn)
            .set_tag_keys(Some(remove.to_vec()))
            .send()
            .await
            .map_err(err("RemoveTagsFromResource"))?;
    }
    if !add.is_empty() {
        c.add_tags_to_resource().resource_name(arn).set_tags(Some(tag_list(add))).send().await.map_err(err("AddTagsToResource"))?;
    }
    Ok(())
}

/// Known engine versions by engine.
pub(crate) fn version_problem(engine: &str, version: &str) -> Option<String> {
    let known: &[&str] = match engine {
        "redis" => &["6.0", "6.2", "7.0", "7.1"],
        "valkey" => &["7.2", "8.0"],
        "memcached" => &["1.6.6", "1.6.12", "1.6.17", "1.6.22"],
        _ => return Some(format!("unknown engine {engine:?}; strata manages redis, valkey and memcached")),
    };
    if known.iter().any(|k| version == *k || version.strip_prefix(k).is_some_and(|r| r.starts_with('.'))) {
        None
    } else {
        Some(format!("unknown {engine} version {version:?}; known: {}", known.join(", ")))
    }
}

/// ElastiCache node types look like `cache.m6g.large`.
pub(crate) fn node_type_problem(t: &str) -> Option<String> {
    (!(t.starts_with("cache.") && t.split('.').count() == 3))
        .then(|| format!("{t:?} is not a node type such as cache.m6g.large"))
}
