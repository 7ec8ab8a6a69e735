#![warn(missing_docs)]
//! SNS for strata: `aws:sns:Topic`, encrypted at rest, with e-mail
//! subscriptions.
//!
//! Written on the resource kernel ([`strata_aws::kernel`]): the crate holds
//! the client, the tag adapter and the kind.

mod topic;

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_sns::types::Tag;
use strata_aws::error::err;
use strata_aws::kernel::{KindProvider, Tagging};
use strata_aws::Aws;
use strata_core::Tags;
use strata_engine::{ProviderError, Registry};

pub use topic::{Topic, TopicHandle, TopicOutputs, TopicValues};

strata_aws::sdk_client!(pub(crate) fn client = aws_sdk_sns, "sns");

/// Register the SNS kinds.
pub fn register(aws: &Aws, r: &mut Registry) {
    r.register(Arc::new(KindProvider::new(aws, topic::Topics)));
}

/// Tags in SNS's form.
pub(crate) fn sdk_tags(tags: &Tags) -> Vec<Tag> {
    tags.iter().filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok()).collect()
}

/// Tags of SNS topics, by ARN (`ListTagsForResource`, `TagResource`,
/// `UntagResource`).
pub(crate) struct SnsTags;

#[async_trait]
impl Tagging for SnsTags {
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
            c.tag_resource().resource_arn(arn).set_tags(Some(sdk_tags(add))).send().await.map_err(err("TagResource"))?;
        }
        Ok(())
    }
}
