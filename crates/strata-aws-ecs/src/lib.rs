#![warn(missing_docs)]
//! ECS for strata: `aws:ecs:Cluster`, written on the resource kernel
//! ([`strata_aws::kernel`]).
//!
//! Discovery is batched: `ListClusters` (100 a page) and one
//! `DescribeClusters` per 100 clusters with their tags and settings, so no
//! tag read per cluster.

mod cluster;

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_ecs::types::Tag;
use strata_aws::error::err;
use strata_aws::kernel::{KindProvider, Tagging};
use strata_aws::Aws;
use strata_core::Tags;
use strata_engine::{ProviderError, Registry};

pub use cluster::{Cluster, ClusterHandle, ClusterOutputs, ClusterValues};

strata_aws::sdk_client!(pub(crate) fn client = aws_sdk_ecs, "ecs");

/// Register the ECS kinds.
pub fn register(aws: &Aws, r: &mut Registry) {
    r.register(Arc::new(KindProvider::new(aws, cluster::Clusters)));
}

/// Tags in ECS's shape.
pub(crate) fn sdk_tags(tags: &Tags) -> Vec<Tag> {
    tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

/// ECS tags as strata tags.
pub(crate) fn tags_of(tags: &[Tag]) -> Tags {
    tags.iter().filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string()))).collect()
}

/// Tags of ECS resources, by ARN (`ListTagsForResource`, `TagResource`,
/// `UntagResource`).
pub(crate) struct EcsTags;

#[async_trait]
impl Tagging for EcsTags {
    async fn read(aws: &Aws, region: &str, arn: &str) -> Result<Tags, ProviderError> {
        let out = client(aws, region).list_tags_for_resource().resource_arn(arn).send().await.map_err(err("ListTagsForResource"))?;
        Ok(tags_of(out.tags()))
    }

    async fn write(aws: &Aws, region: &str, arn: &str, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        let c = client(aws, region);
        if !remove.is_empty() {
            c.untag_resource().resource_arn(arn).set_tag_keys(Some(remove.to_vec())).send().await.map_err(err("UntagResource"))?;
        }
        if !add.is_empty() {
            c.tag_resource().resource_arn(arn).set_tags(Some(sdk_tags(add))).send().await.map_err(err("TagResource"))?;
        }
        Ok(())
    }
}
