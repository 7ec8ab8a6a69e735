#![warn(missing_docs)]
//! CloudWatch Logs for strata: `aws:logs:LogGroup`.
//!
//! The first service written on the resource kernel ([`strata_aws::kernel`]):
//! the crate holds only what is CloudWatch Logs' own, the client
//! ([`strata_aws::sdk_client!`]), the tag adapter and the kinds.

mod log_group;

use std::sync::Arc;

use strata_aws::kernel::KindProvider;
use strata_aws::Aws;
use strata_engine::Registry;

pub use log_group::{LogGroup, LogGroupHandle, LogGroupOutputs, LogGroupValues};

strata_aws::sdk_client!(pub(crate) fn client = aws_sdk_cloudwatchlogs, "logs");

/// Register the CloudWatch Logs kinds.
pub fn register(aws: &Aws, r: &mut Registry) {
    r.register(Arc::new(KindProvider::new(aws, log_group::LogGroups)));
}

strata_aws::tag_adapter! {
    /// Tags of CloudWatch Logs resources, by ARN (`ListTagsForResource`,
    /// `TagResource`, `UntagResource`).
    pub(crate) struct LogsTags;
    client: client, id: resource_arn,
    read: list_tags_for_resource("ListTagsForResource") |out| strata_aws::tags_from_map(out.tags()),
    untag: untag_resource("UntagResource"),
    tag: tag_resource("TagResource") |add| strata_aws::tags_to_map(add),
}
