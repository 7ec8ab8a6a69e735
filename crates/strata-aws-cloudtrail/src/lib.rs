#![warn(missing_docs)]
//! CloudTrail for strata: `aws:cloudtrail:Trail`, written on the resource
//! kernel ([`strata_aws::kernel`]).
//!
//! Discovery is batched: one `DescribeTrails` (without shadow trails, so a
//! multi-region trail is seen only in its home region) and one `ListTags` per
//! 20 trails, then one `GetTrailStatus` per trail of the stack.

mod trail;

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_cloudtrail::types::Tag;
use strata_aws::error::{all_pages, err};
use strata_aws::kernel::{KindProvider, Tagging};
use strata_aws::Aws;
use strata_core::Tags;
use strata_engine::{ErrorClass, ProviderError, Registry};

pub use trail::{Trail, TrailHandle, TrailOutputs, TrailValues};

strata_aws::sdk_client!(pub(crate) fn client = aws_sdk_cloudtrail, "cloudtrail");

/// Register the CloudTrail kinds.
pub fn register(aws: &Aws, r: &mut Registry) {
    r.register(Arc::new(KindProvider::new(aws, trail::Trails)));
}

/// Tags in CloudTrail's shape.
pub(crate) fn sdk_tags(tags: &Tags) -> Result<Vec<Tag>, ProviderError> {
    tags.iter()
        .map(|(k, v)| {
            Tag::builder().key(k).value(v).build().map_err(|e| ProviderError::new(ErrorClass::Invalid, "AddTags", format!("tag {k:?}: {e}")))
        })
        .collect()
}

/// The tags of up to 20 trails (ARNs) in one `ListTags`.
pub(crate) async fn tags_of(aws: &Aws, region: &str, arns: &[String]) -> Result<Vec<(String, Tags)>, ProviderError> {
    let pages = all_pages(client(aws, region).list_tags().set_resource_id_list(Some(arns.to_vec())).into_paginator().send(), "ListTags").await?;
    let mut out = Vec::new();
    for r in pages.iter().flat_map(|p| p.resource_tag_list()) {
        let tags = r.tags_list().iter().map(|t| (t.key().to_string(), t.value().unwrap_or_default().to_string())).collect();
        out.extend(r.resource_id().map(|id| (id.to_string(), tags)));
    }
    Ok(out)
}

/// Tags of trails, by ARN (`ListTags`, `AddTags`, `RemoveTags`).
pub(crate) struct TrailTags;

#[async_trait]
impl Tagging for TrailTags {
    async fn read(aws: &Aws, region: &str, arn: &str) -> Result<Tags, ProviderError> {
        Ok(tags_of(aws, region, &[arn.to_string()]).await?.into_iter().next().map(|(_, t)| t).unwrap_or_default())
    }

    async fn write(aws: &Aws, region: &str, arn: &str, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        let c = client(aws, region);
        if !remove.is_empty() {
            let keys = remove
                .iter()
                .map(|k| Tag::builder().key(k).build().map_err(|e| ProviderError::new(ErrorClass::Invalid, "RemoveTags", format!("tag {k:?}: {e}"))))
                .collect::<Result<Vec<_>, _>>()?;
            c.remove_tags().resource_id(arn).set_tags_list(Some(keys)).send().await.map_err(err("RemoveTags"))?;
        }
        if !add.is_empty() {
            c.add_tags().resource_id(arn).set_tags_list(Some(sdk_tags(add)?)).send().await.map_err(err("AddTags"))?;
        }
        Ok(())
    }
}
