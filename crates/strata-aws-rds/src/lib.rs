//! RDS: `aws:rds:DbSubnetGroup`, `aws:rds:DbParameterGroup` and
//! `aws:rds:DbInstance` (MySQL and PostgreSQL, read replicas).
//!
//! DB instances carry their tags in `DescribeDBInstances`, so one paginated call
//! finds every instance of a stack. Subnet and parameter groups do not: they are
//! listed in one call each and their tags read per group (skipping AWS's
//! `default*` groups) to confirm ownership.

strata_aws::sdk_client!(pub(crate) fn client = aws_sdk_rds, "rds");

mod instance;
mod parameter_group;
mod subnet_group;

use std::sync::Arc;

use aws_sdk_rds::types::Tag;
use strata_core::{Props, Tags};
use strata_engine::{Observed, OpContext, ProviderError, Registry};

use strata_aws::error::err;
use strata_aws::Aws;

pub use instance::{DbEngine, DbInstance, DbInstanceHandle};
pub use parameter_group::{DbParameterGroup, DbParameterGroupHandle, DbParameterGroupOutputs, DbParameterGroupValues};
pub use subnet_group::{DbSubnetGroup, DbSubnetGroupHandle, DbSubnetGroupOutputs, DbSubnetGroupValues};

/// Register the RDS kinds.
pub fn register(aws: &Aws, r: &mut Registry) {
    r.register(Arc::new(strata_aws::kernel::KindProvider::new(aws, subnet_group::SubnetGroups)));
    r.register(Arc::new(strata_aws::kernel::KindProvider::new(aws, parameter_group::Groups)));
    r.register(Arc::new(instance::InstanceProvider { aws: aws.clone() }));
}

pub(crate) fn sdk_tags(props: &Props) -> Vec<Tag> {
    tag_list(&strata_aws::desired_tags(props))
}

pub(crate) fn tag_list(tags: &Tags) -> Vec<Tag> {
    tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

/// RDS tags by ARN, for the kinds on the resource kernel.
pub(crate) struct RdsTags;

#[async_trait::async_trait]
impl strata_aws::kernel::Tagging for RdsTags {
    const TAGGING_API_TYPE: Option<&'static str> = Some("rds");
    async fn read(aws: &Aws, region: &str, arn: &str) -> Result<Tags, ProviderError> {
        tags_of(aws, region, arn).await
    }
    async fn write(aws: &Aws, region: &str, arn: &str, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        write_tags(aws, region, arn, add, remove).await
    }
}

pub(crate) fn tags_from(list: &[Tag]) -> Tags {
    list.iter().filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string()))).collect()
}

/// Tags of one RDS resource by ARN.
pub(crate) async fn tags_of(aws: &Aws, region: &str, arn: &str) -> Result<Tags, ProviderError> {
    let out = crate::client(aws, region)
        .list_tags_for_resource()
        .resource_name(arn)
        .send()
        .await
        .map_err(err("ListTagsForResource"));
    // Deleted since it was listed: no tags, so not this stack's.
    let Some(out) = strata_aws::unless_gone(out)? else { return Ok(Tags::new()) };
    Ok(tags_from(out.tag_list()))
}

/// Add and remove tags on the resource whose ARN is `outputs.arn`.
pub(crate) async fn set_tags(aws: &Aws, cx: &OpContext, actual: &Observed, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
    let arn = actual.outputs.get("arn").and_then(|v| v.as_str()).unwrap_or(&actual.id).to_string();
    write_tags(aws, &cx.region, &arn, add, remove).await
}

/// Add and remove tags on the resource `arn`.
async fn write_tags(aws: &Aws, region: &str, arn: &str, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
    let c = crate::client(aws, region);
    if !remove.is_empty() {
        c.remove_tags_from_resource()
            .resource_name(arn)
            .set_tag_keys(Some(remove.to_vec()))
            .send()
            .await
            .map_err(err("RemoveTagsFromResource"))?;
    }
    if !add.is_empty() {
        c.add_tags_to_resource().resource_name(arn).set_tags(Some(tag_list(add))).send().await.map_err(err("AddTagsToResource"))?;
    }
    Ok(())
}

/// Bring the tags of `actual` to the desired ones.
pub(crate) async fn sync_tags(aws: &Aws, cx: &OpContext, actual: &Observed, desired: &Props) -> Result<(), ProviderError> {
    let (add, remove) = strata_aws::tag_changes(&actual.tags(), &strata_aws::desired_tags(desired));
    set_tags(aws, cx, actual, &add, &remove).await
}

