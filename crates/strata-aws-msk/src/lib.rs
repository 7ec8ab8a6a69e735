#![warn(missing_docs)]
//! Amazon MSK (managed Kafka) for strata: `aws:msk:Cluster`, written on the
//! resource kernel ([`strata_aws::kernel`]).
//!
//! `ListClusters` answers each cluster's whole description, tags included,
//! so discovery is one paginated call a region and there is no tag read of
//! its own. A cluster takes 15 to 40 minutes to create on AWS: its estimate
//! puts it on the critical path (started first) and the kernel's waiter
//! polls it until `ACTIVE`.

mod cluster;

use std::collections::HashMap;
use std::sync::Arc;

use strata_aws::kernel::KindProvider;
use strata_aws::Aws;
use strata_core::Tags;
use strata_engine::Registry;

pub use cluster::{Cluster, ClusterHandle, ClusterOutputs, ClusterValues, CLIENT_BROKER, MONITORING_LEVELS};

strata_aws::sdk_client!(pub(crate) fn client = aws_sdk_kafka, "kafka");

/// Register the MSK kinds.
pub fn register(aws: &Aws, r: &mut Registry) {
    r.register(Arc::new(KindProvider::new(aws, cluster::Clusters)));
}

/// MSK tags as strata tags.
pub(crate) fn tags_of(tags: Option<&HashMap<String, String>>) -> Tags {
    tags.map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default()
}

/// Strata tags in MSK's shape.
pub(crate) fn sdk_tags(tags: &Tags) -> HashMap<String, String> {
    tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

strata_aws::tag_adapter! {
    /// Tags of MSK clusters, by ARN (`ListTagsForResource`, `TagResource`,
    /// `UntagResource`).
    pub(crate) struct MskTags;
    client: client, id: resource_arn,
    read: list_tags_for_resource("ListTagsForResource") |out| tags_of(out.tags()),
    untag: untag_resource("UntagResource"),
    tag: tag_resource("TagResource") |add| sdk_tags(add),
}
