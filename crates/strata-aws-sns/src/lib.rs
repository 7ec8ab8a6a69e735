#![warn(missing_docs)]
//! SNS for strata: `aws:sns:Topic`, encrypted at rest, with e-mail
//! subscriptions.
//!
//! Written on the resource kernel ([`strata_aws::kernel`]): the crate holds
//! the client, the tag adapter and the kind.

mod topic;

use std::sync::Arc;

use aws_sdk_sns::types::Tag;
use strata_aws::kernel::KindProvider;
use strata_aws::Aws;
use strata_core::Tags;
use strata_engine::Registry;

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

strata_aws::tag_adapter! {
    /// Tags of SNS topics, by ARN (`ListTagsForResource`, `TagResource`,
    /// `UntagResource`).
    pub(crate) struct SnsTags;
    client: client, id: resource_arn,
    read: list_tags_for_resource("ListTagsForResource") |out| out.tags().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect(),
    untag: untag_resource("UntagResource"),
    tag: tag_resource("TagResource") |add| sdk_tags(add),
    tagging_api: "sns",
}
