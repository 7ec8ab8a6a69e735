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

use aws_sdk_ecr::types::Tag;
use strata_aws::kernel::KindProvider;
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

strata_aws::tag_adapter! {
    /// Tags of ECR repositories, by ARN (`ListTagsForResource`, `TagResource`,
    /// `UntagResource`).
    pub(crate) struct EcrTags;
    client: client, id: resource_arn,
    read: list_tags_for_resource("ListTagsForResource") |out| out.tags().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect(),
    untag: untag_resource("UntagResource"),
    tag: tag_resource("TagResource") |add| sdk_tags(add)?,
}
