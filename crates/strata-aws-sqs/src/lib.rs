#![warn(missing_docs)]
//! SQS for strata: `aws:sqs:Queue`, written on the resource kernel
//! ([`strata_aws::kernel`]).
//!
//! A queue owns its policy and its SNS topic subscriptions: SNS
//! subscriptions carry no tags, so with no state file they could not be
//! found as resources of their own. `Queue::subscribe(topic_arn)` subscribes
//! the queue to the topic and adds the statement that lets the topic send to
//! it to the queue's policy; the statements strata writes are named
//! (`Sid` `StrataSns…`), so they are told apart from the program's own when
//! the policy is read back, and the subscriptions are read with one
//! `ListSubscriptionsByTopic` per subscribed topic.

mod queue;

use std::sync::Arc;

use async_trait::async_trait;
use strata_aws::error::err;
use strata_aws::kernel::{KindProvider, Tagging};
use strata_aws::Aws;
use strata_core::Tags;
use strata_engine::{ProviderError, Registry};

pub use queue::{Queue, QueueHandle, QueueOutputs, QueueValues};
pub use strata_aws::policy::{PolicyDocument, Statement};

strata_aws::sdk_client!(pub(crate) fn client = aws_sdk_sqs, "sqs");
strata_aws::sdk_client!(pub(crate) fn sns = aws_sdk_sns, "sns");

/// Register the SQS kinds.
pub fn register(aws: &Aws, r: &mut Registry) {
    r.register(Arc::new(KindProvider::new(aws, queue::Queues)));
}

/// Tags of queues, by queue URL (`ListQueueTags`, `TagQueue`, `UntagQueue`).
pub(crate) struct SqsTags;

#[async_trait]
impl Tagging for SqsTags {
    async fn read(aws: &Aws, region: &str, url: &str) -> Result<Tags, ProviderError> {
        let out = client(aws, region).list_queue_tags().queue_url(url).send().await.map_err(err("ListQueueTags"))?;
        Ok(out.tags().map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default())
    }

    async fn write(aws: &Aws, region: &str, url: &str, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        let c = client(aws, region);
        if !remove.is_empty() {
            c.untag_queue().queue_url(url).set_tag_keys(Some(remove.to_vec())).send().await.map_err(err("UntagQueue"))?;
        }
        if !add.is_empty() {
            c.tag_queue()
                .queue_url(url)
                .set_tags(Some(add.iter().map(|(k, v)| (k.clone(), v.clone())).collect()))
                .send()
                .await
                .map_err(err("TagQueue"))?;
        }
        Ok(())
    }
}
