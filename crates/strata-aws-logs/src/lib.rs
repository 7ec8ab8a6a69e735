#![warn(missing_docs)]
//! CloudWatch Logs for strata: `aws:logs:LogGroup`.
//!
//! The first service written on the resource kernel ([`strata_aws::kernel`]):
//! the crate holds only what is CloudWatch Logs' own, the client
//! ([`strata_aws::sdk_client!`]), the tag adapter and the kinds.

mod log_group;

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use strata_aws::error::err;
use strata_aws::kernel::{KindProvider, Tagging};
use strata_aws::Aws;
use strata_core::Tags;
use strata_engine::{ProviderError, Registry};

pub use log_group::{LogGroup, LogGroupHandle, LogGroupOutputs, LogGroupValues};

strata_aws::sdk_client!(pub(crate) fn client = aws_sdk_cloudwatchlogs, "logs");

/// Register the CloudWatch Logs kinds.
pub fn register(aws: &Aws, r: &mut Registry) {
    r.register(Arc::new(KindProvider::new(aws, log_group::LogGroups)));
}

/// Tags of CloudWatch Logs resources, by ARN (`ListTagsForResource`,
/// `TagResource`, `UntagResource`).
pub(crate) struct LogsTags;

#[async_trait]
impl Tagging for LogsTags {
    async fn read(aws: &Aws, region: &str, arn: &str) -> Result<Tags, ProviderError> {
        let out = client(aws, region)
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .map_err(err("ListTagsForResource"))?;
        Ok(out.tags().map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default())
    }

    async fn write(aws: &Aws, region: &str, arn: &str, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        let c = client(aws, region);
        if !remove.is_empty() {
            c.untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(remove.to_vec()))
                .send()
                .await
                .map_err(err("UntagResource"))?;
        }
        if !add.is_empty() {
            let tags: HashMap<String, String> = add.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            c.tag_resource().resource_arn(arn).set_tags(Some(tags)).send().await.map_err(err("TagResource"))?;
        }
        Ok(())
    }
}
