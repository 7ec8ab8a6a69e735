//! The Resource Groups Tagging API as a batch tag read: within one discovery
//! pass, one paged `GetResources` per region (filtered by the stack's tag and
//! by the resource types the registered kinds declare, 100 a page) answers
//! the tags of the stack's resources of services without a tag filter, in
//! place of one tag read per listed item (13 CloudWatch alarms: 13 calls).
//!
//! It only ever saves reads, it never decides alone:
//! - a listed item the answer does not name (not the stack's, or made a
//!   moment ago: the API is eventually consistent, and covers only some
//!   resource types on the emulators) has its tags read on its own, as
//!   before, so a resource just created is never planned again;
//! - a delete confirms the owner's tags with the service's own read first
//!   (`KindProvider::delete`), so a stale answer never deletes what is no
//!   longer the stack's;
//! - a failed call means no answer (each item read on its own).
//!
//! [`holds_any`] asks the same API whether a region holds anything of a
//! stack at all (the region scan of `strata_aws_ec2::regions`).

use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_resourcegroupstagging::types::TagFilter;
use strata_core::{tags, Tags};
use strata_engine::DiscoverScope;

use crate::Aws;

crate::sdk_client!(pub fn client = aws_sdk_resourcegroupstagging, "tagging");

fn stack_filter(stack: &str) -> TagFilter {
    TagFilter::builder().key(tags::STACK).values(stack).build()
}

/// Whether `region` holds at least one resource tagged for `stack`, as far
/// as the tagging API reports (one item a page). Two attempts only: a region
/// that cannot answer (an emulator that does not know it) fails fast.
pub async fn holds_any(aws: &Aws, region: &str, stack: &str) -> Result<bool, strata_engine::ProviderError> {
    use aws_sdk_resourcegroupstagging::config::{retry::RetryConfig, Builder};
    let out = client(aws, region)
        .get_resources()
        .tag_filters(stack_filter(stack))
        .resources_per_page(1)
        .customize()
        .config_override(Builder::default().retry_config(RetryConfig::standard().with_max_attempts(2)))
        .send()
        .await
        .map_err(crate::error::err("GetResources"))?;
    Ok(!out.resource_tag_mapping_list().is_empty())
}

/// The tags of the stack's resources in `scope.region` of the registered
/// types, by ARN, shared by every kind of the pass; `None` outside a pass,
/// when no type is registered, or when the call failed.
pub async fn stack_tags(aws: &Aws, scope: &DiscoverScope) -> Option<Arc<HashMap<String, Tags>>> {
    let types = aws.tagging_types();
    if scope.pass == 0 || types.is_empty() {
        return None;
    }
    let key = format!("tagging-api:{}:{}", scope.region, scope.stack);
    let answer = aws
        .shared_lists()
        .get(scope, key, || async {
            let pages = client(aws, &scope.region)
                .get_resources()
                .tag_filters(stack_filter(&scope.stack))
                .set_resource_type_filters(Some(types.iter().map(|t| (*t).to_string()).collect()))
                .resources_per_page(100)
                .into_paginator()
                .items()
                .send();
            let items = crate::error::all_pages(pages, "GetResources").await?;
            Ok(items
                .into_iter()
                .filter_map(|m| {
                    let arn = m.resource_arn()?.to_string();
                    let t: Tags = m.tags().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect();
                    Some((arn, t))
                })
                .collect::<HashMap<String, Tags>>())
        })
        .await;
    match answer {
        Ok(map) => Some(map),
        Err(e) => {
            tracing::debug!(region = %scope.region, error = %e, "no tagging-API answer; each item's tags are read on their own");
            None
        }
    }
}
