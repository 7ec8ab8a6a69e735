#![warn(missing_docs)]
//! CloudWatch for strata: `aws:cloudwatch:MetricAlarm`, on the resource
//! kernel ([`strata_aws::kernel`]), and [`defaults`], which adds the alarms
//! worth having for an instance, an ALB, an RDS instance, a Redis group and an
//! OpenSearch domain.
//!
//! `PutMetricAlarm` both creates and updates (by name); tags are set at
//! creation and changed with `TagResource`/`UntagResource`. Discovery: one
//! paginated `DescribeAlarms`, then the tags of each alarm (CloudWatch has no
//! tag filter).

mod alarm;
pub mod defaults;

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_cloudwatch::types::Tag;
use strata_aws::error::err;
use strata_aws::kernel::{KindProvider, Tagging};
use strata_aws::Aws;
use strata_core::Tags;
use strata_engine::{ProviderError, Registry};

pub use alarm::{Compare, MetricAlarm, MetricAlarmHandle, MetricAlarmOutputs, MetricAlarmValues};

strata_aws::sdk_client!(pub(crate) fn client = aws_sdk_cloudwatch, "cloudwatch");

/// Register the CloudWatch kinds.
pub fn register(aws: &Aws, r: &mut Registry) {
    r.register(Arc::new(KindProvider::new(aws, alarm::Alarms)));
}

pub(crate) fn tag_list(tags: &Tags) -> Vec<Tag> {
    tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

/// Tags of CloudWatch resources, by ARN (`ListTagsForResource`,
/// `TagResource`, `UntagResource`).
pub(crate) struct CloudWatchTags;

#[async_trait]
impl Tagging for CloudWatchTags {
    const TAGGING_API_TYPE: Option<&'static str> = Some("cloudwatch:alarm");
    async fn read(aws: &Aws, region: &str, arn: &str) -> Result<Tags, ProviderError> {
        let out = client(aws, region).list_tags_for_resource().resource_arn(arn).send().await.map_err(err("ListTagsForResource"));
        // Deleted since it was listed: no tags, so not this stack's.
        let Some(out) = strata_aws::unless_gone(out)? else { return Ok(Tags::new()) };
        Ok(out.tags().iter().filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string()))).collect())
    }

    async fn write(aws: &Aws, region: &str, arn: &str, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        let c = client(aws, region);
        if !remove.is_empty() {
            c.untag_resource().resource_arn(arn).set_tag_keys(Some(remove.to_vec())).send().await.map_err(err("UntagResource"))?;
        }
        if !add.is_empty() {
            c.tag_resource().resource_arn(arn).set_tags(Some(tag_list(add))).send().await.map_err(err("TagResource"))?;
        }
        Ok(())
    }
}
