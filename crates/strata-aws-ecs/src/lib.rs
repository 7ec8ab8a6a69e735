#![warn(missing_docs)]
//! ECS for strata: `aws:ecs:Cluster`, `aws:ecs:TaskDefinition` and
//! `aws:ecs:Service`, written on the resource kernel ([`strata_aws::kernel`]).
//!
//! Discovery is batched: `ListClusters` (100 a page, once a pass for both
//! clusters and services) and one `DescribeClusters` per 100 clusters with
//! their tags and settings; `ListServices` per cluster and one
//! `DescribeServices` per 10 services with their tags; task definitions have
//! no batch describe, so one `DescribeTaskDefinition` (with its tags) per
//! family, not per revision (see [`TaskDefinition`]).

mod cluster;
mod service;
mod task_definition;

use std::sync::Arc;

use aws_sdk_ecs::types::Tag;
use strata_aws::error::all_pages;
use strata_aws::kernel::KindProvider;
use strata_aws::Aws;
use strata_core::Tags;
use strata_engine::{DiscoverScope, OpContext, ProviderError, Registry};

pub use cluster::{Cluster, ClusterHandle, ClusterOutputs, ClusterValues};
pub use service::{Service, ServiceHandle, ServiceOutputs, ServiceValues};
pub use task_definition::{Container, TaskDefinition, TaskDefinitionHandle, TaskDefinitionOutputs, TaskDefinitionValues};

strata_aws::sdk_client!(pub(crate) fn client = aws_sdk_ecs, "ecs");

/// Register the ECS kinds.
pub fn register(aws: &Aws, r: &mut Registry) {
    r.register(Arc::new(KindProvider::new(aws, cluster::Clusters)));
    r.register(Arc::new(KindProvider::new(aws, task_definition::TaskDefinitions)));
    r.register(Arc::new(KindProvider::new(aws, service::Services)));
}

/// The derived name of a cluster or task definition family: `<stack>-<logical name>`.
pub(crate) fn ecs_name(cx: &OpContext) -> String {
    strata_aws::naming::dashed_name(&cx.stack, &cx.name, 255)
}

/// Why `name` is not an ECS name (cluster, service, family).
pub(crate) fn name_problem(name: &str) -> Option<String> {
    strata_aws::naming::dashed_name_problem("ECS", name, 255, false)
}

/// The region's clusters with their tags and settings, listed and described
/// once a discovery pass (clusters and services both need them).
pub(crate) async fn clusters(aws: &Aws, scope: &DiscoverScope) -> Result<Arc<Vec<aws_sdk_ecs::types::Cluster>>, ProviderError> {
    let key = format!("ecs:DescribeClusters:{}", scope.region);
    aws.shared_lists()
        .get(scope, key, || async {
            let c = client(aws, &scope.region);
            let pages = all_pages(c.list_clusters().max_results(100).into_paginator().send(), "ListClusters").await?;
            let arns: Vec<String> = pages.iter().flat_map(|p| p.cluster_arns()).cloned().collect();
            let mut out = Vec::new();
            for chunk in arns.chunks(100) {
                out.extend(cluster::describe(aws, &scope.region, chunk).await?);
            }
            Ok(out)
        })
        .await
}

/// Tags in ECS's shape.
pub(crate) fn sdk_tags(tags: &Tags) -> Vec<Tag> {
    tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

/// ECS tags as strata tags.
pub(crate) fn tags_of(tags: &[Tag]) -> Tags {
    tags.iter().filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string()))).collect()
}

strata_aws::tag_adapter! {
    /// Tags of ECS resources, by ARN (`ListTagsForResource`, `TagResource`,
    /// `UntagResource`).
    pub(crate) struct EcsTags;
    client: client, id: resource_arn,
    read: list_tags_for_resource("ListTagsForResource") |out| tags_of(out.tags()),
    untag: untag_resource("UntagResource"),
    tag: tag_resource("TagResource") |add| sdk_tags(add),
}
