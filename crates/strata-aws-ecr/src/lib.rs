#![warn(missing_docs)]
//! ECR for strata: `aws:ecr:Repository`, written on the resource kernel
//! ([`strata_aws::kernel`]).
//!
//! A repository owns its lifecycle policy (typed rules: keep the last N
//! images, expire untagged images after N days) and its repository policy
//! (a [`PolicyDocument`], for pulls from other accounts); neither carries
//! tags of its own, so neither is a resource of its own.

mod repository;

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_ecr::types::Tag;
use strata_aws::error::err;
use strata_aws::kernel::{KindProvider, Tagging};
use strata_aws::Aws;
use strata_core::Tags;
use strata_engine::{ErrorClass, ProviderError, Registry};

pub use repository::{LifecycleRule, Repository, RepositoryHandle, RepositoryOutputs, RepositoryValues};
pub use strata_aws::policy::{PolicyDocument, Statement};

strata_aws::sdk_client!(pub(crate) fn client = aws_sdk_ecr, "ecr");

/// Register the ECR kinds.
pub fn register(aws: &Aws, r: &mut Registry) {
    r.register(Arc::new(KindProvider::new(aws, repository::Repositories)));
}

/// Tags in ECR's shape.
pub(crate) fn sdk_tags(tags: &Tags) -> Result<Vec<Tag>, ProviderError> {
    tags.iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| ProviderError::new(ErrorClass::Invalid, "TagResource", format!("tag {k:?}: {e}")))
        })
        .collect()
}

/// Tags of ECR repositories, by ARN (`ListTagsForResource`, `TagResource`,
/// `UntagResource`).
pub(crate) struct EcrTags;

#[async_trait]
impl Tagging for EcrTags {
    async fn read(aws: &Aws, region: &str, arn: &str) -> Result<Tags, ProviderError> {
        let out = client(aws, region).list_tags_for_resource().resource_arn(arn).send().await.map_err(err("ListTagsForResource"))?;
        Ok(out.tags().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect())
    }

    async fn write(aws: &Aws, region: &str, arn: &str, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        let c = client(aws, region);
        if !remove.is_empty() {
            c.untag_resource().resource_arn(arn).set_tag_keys(Some(remove.to_vec())).send().await.map_err(err("UntagResource"))?;
        }
        if !add.is_empty() {
            c.tag_resource().resource_arn(arn).set_tags(Some(sdk_tags(add)?)).send().await.map_err(err("TagResource"))?;
        }
        Ok(())
    }
}
