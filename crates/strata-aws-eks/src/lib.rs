#![warn(missing_docs)]
//! EKS for strata: `aws:eks:Cluster`, `aws:eks:NodeGroup`,
//! `aws:eks:FargateProfile` and `aws:eks:Addon`, written on the resource kernel
//! ([`strata_aws::kernel`]).
//!
//! EKS has no tag filter and no batch describe: discovery lists the clusters
//! once a pass (shared by the three kinds), describes each cluster (its
//! tags come with it), and lists and describes the node groups and Fargate
//! profiles and add-ons of the clusters (their tags come with them too), so there is no
//! tag read of its own.
//!
//! A cluster takes 10 to 15 minutes to create on AWS, a node group 3 to 5:
//! their estimates put them on the critical path (started first), and the
//! kernel's waiter polls them until `ACTIVE`.

mod addon;
mod cluster;
mod fargate_profile;
mod node_group;

use std::collections::HashMap;
use std::sync::Arc;

use strata_aws::error::all_pages;
use strata_aws::kernel::KindProvider;
use strata_aws::Aws;
use strata_core::Tags;
use strata_engine::{DiscoverScope, OpContext, ProviderError, Registry};

pub use addon::{Addon, AddonHandle, AddonOutputs, AddonValues};
pub use cluster::{Cluster, ClusterHandle, ClusterOutputs, ClusterValues};
pub use fargate_profile::{FargateProfile, FargateProfileHandle, FargateProfileOutputs, FargateProfileValues};
pub use node_group::{NodeGroup, NodeGroupHandle, NodeGroupOutputs, NodeGroupValues, Taint};

strata_aws::sdk_client!(pub(crate) fn client = aws_sdk_eks, "eks");

/// Register the EKS kinds.
pub fn register(aws: &Aws, r: &mut Registry) {
    r.register(Arc::new(KindProvider::new(aws, cluster::Clusters)));
    r.register(Arc::new(KindProvider::new(aws, node_group::NodeGroups)));
    r.register(Arc::new(KindProvider::new(aws, fargate_profile::FargateProfiles)));
    r.register(Arc::new(KindProvider::new(aws, addon::Addons)));
}

/// EKS tags as strata tags.
pub(crate) fn tags_of(tags: Option<&HashMap<String, String>>) -> Tags {
    tags.map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default()
}

/// Strata tags in EKS's shape.
pub(crate) fn sdk_tags(tags: &Tags) -> HashMap<String, String> {
    tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// The derived name of a node group or Fargate profile, salted with the
/// fields that replace it: a replacement is created before the old copy is
/// deleted, and two of one cluster cannot share a name.
pub(crate) fn salted_name(cx: &OpContext, salt: &str) -> String {
    let rules = strata_aws::naming::IdRules { max_len: 63, min_len: 1, lowercase: false };
    strata_aws::naming::derived_id(rules, &cx.stack, &cx.name, salt)
}

/// The error for a create whose name is taken: by this resource's own old
/// copy (an explicit name replaced create-first), or by someone else's.
pub(crate) fn name_taken(op: &str, what: &str, cluster: &str, name: &str, arn: &str, theirs: &Tags, ours: &Tags) -> ProviderError {
    use strata_core::tags::{RESOURCE, STACK};
    let own = theirs.get(STACK).is_some() && theirs.get(STACK) == ours.get(STACK) && theirs.get(RESOURCE) == ours.get(RESOURCE);
    let message = if own {
        format!("cluster {cluster:?} already has the {what} {name:?} ({arn}): it is this resource's old copy, and a replacement is created before the old copy is deleted; leave the name unset (a derived name differs per copy) or set `delete_before_replace`")
    } else {
        format!("cluster {cluster:?} already has a {what} {name:?} ({arn}) that is not this stack's")
    };
    ProviderError::new(strata_engine::ErrorClass::Invalid, op, message)
}

/// Why `name` is not an EKS name of at most `max` characters.
pub(crate) fn name_problem(name: &str, max: usize) -> Option<String> {
    strata_aws::naming::dashed_name_problem("EKS", name, max, true)
}

/// The names of the region's clusters, listed once a discovery pass.
pub(crate) async fn cluster_names(aws: &Aws, scope: &DiscoverScope) -> Result<Arc<Vec<String>>, ProviderError> {
    let key = format!("eks:ListClusters:{}", scope.region);
    aws.shared_lists()
        .get(scope, key, || async {
            let pages = all_pages(client(aws, &scope.region).list_clusters().max_results(100).into_paginator().send(), "ListClusters").await?;
            Ok(pages.iter().flat_map(|p| p.clusters()).cloned().collect::<Vec<String>>())
        })
        .await
}

/// `(cluster, name)` of a sub-resource id `<cluster>/<name>`.
pub(crate) fn split_id(id: &str) -> Option<(&str, &str)> {
    id.split_once('/')
}

strata_aws::tag_adapter! {
    /// Tags of EKS resources, by ARN (`ListTagsForResource`, `TagResource`,
    /// `UntagResource`).
    pub(crate) struct EksTags;
    client: client, id: resource_arn,
    read: list_tags_for_resource("ListTagsForResource") |out| tags_of(out.tags()),
    untag: untag_resource("UntagResource"),
    tag: tag_resource("TagResource") |add| sdk_tags(add),
}
