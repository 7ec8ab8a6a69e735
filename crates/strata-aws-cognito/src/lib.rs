#![warn(missing_docs)]
//! Cognito for strata: `aws:cognito:UserPool` and `aws:cognito:UserPoolClient`,
//! written on the resource kernel ([`strata_aws::kernel`]).
//!
//! A user pool is tagged, but `ListUserPools` answers neither tags nor
//! settings: each pool is described (`DescribeUserPool` carries its
//! `UserPoolTags`), once a discovery pass, and the pools' list is shared
//! with the clients' discovery. Ownership is confirmed by those tags. A pool's
//! hosted-UI domain (a prefix) is a field of the pool. App clients carry no
//! tags: a client is known by its name, `<stack>.<logical name>` (each part
//! escaped to letters and digits), looked for only in the stack's own
//! pools, and made only in a pool carrying the stack's tag.

mod client;
mod pool;

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_cognitoidentityprovider::types::UserPoolType;
use strata_aws::error::err;
use strata_aws::kernel::{KindProvider, Tagging};
use strata_aws::Aws;
use strata_core::Tags;
use strata_engine::{DiscoverScope, ProviderError, Registry};

pub use client::{UserPoolClient, UserPoolClientHandle, UserPoolClientOutputs, UserPoolClientValues};
pub use pool::{UserPool, UserPoolHandle, UserPoolOutputs, UserPoolValues};

strata_aws::sdk_client!(pub(crate) fn client = aws_sdk_cognitoidentityprovider, "cognito-idp");

/// Register the Cognito kinds.
pub fn register(aws: &Aws, r: &mut Registry) {
    r.register(Arc::new(KindProvider::new(aws, pool::Pools)));
    r.register(Arc::new(KindProvider::new(aws, client::Clients)));
}

pub(crate) fn tags_of(p: &UserPoolType) -> Tags {
    p.user_pool_tags().map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default()
}

/// The pool id in a pool ARN (`...:userpool/<id>`), or the id itself.
pub(crate) fn pool_id(arn_or_id: &str) -> &str {
    arn_or_id.rsplit_once("userpool/").map_or(arn_or_id, |(_, id)| id)
}

pub(crate) async fn describe(aws: &Aws, region: &str, id: &str) -> Result<Option<UserPoolType>, ProviderError> {
    let out = strata_aws::found(client(aws, region).describe_user_pool().user_pool_id(id).send().await.map_err(err("DescribeUserPool")))?;
    Ok(out.and_then(|o| o.user_pool().cloned()))
}

/// Every pool of the region, described: `ListUserPools`, then one
/// `DescribeUserPool` each; once a discovery pass, shared by pools and clients.
pub(crate) async fn listed_pools(aws: &Aws, scope: &DiscoverScope) -> Result<Arc<Vec<UserPoolType>>, ProviderError> {
    let key = format!("cognito-idp:DescribeUserPool:{}", scope.region);
    aws.shared_lists()
        .get(scope, key, || async {
            let pages = client(aws, &scope.region).list_user_pools().max_results(60).into_paginator().items().send();
            let listed = pages.collect::<Result<Vec<_>, _>>().await.map_err(err("ListUserPools"))?;
            let mut out = Vec::new();
            for id in listed.iter().filter_map(|p| p.id()) {
                out.extend(describe(aws, &scope.region, id).await?);
            }
            Ok(out)
        })
        .await
}

/// Tags of user pools, by ARN: read from `DescribeUserPool`'s `UserPoolTags`,
/// written with `TagResource` and `UntagResource`.
pub(crate) struct PoolTags;

#[async_trait]
impl Tagging for PoolTags {
    async fn read(aws: &Aws, region: &str, arn: &str) -> Result<Tags, ProviderError> {
        Ok(describe(aws, region, pool_id(arn)).await?.map(|p| tags_of(&p)).unwrap_or_default())
    }

    async fn write(aws: &Aws, region: &str, arn: &str, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        let c = client(aws, region);
        if !remove.is_empty() {
            c.untag_resource().resource_arn(arn).set_tag_keys(Some(remove.to_vec())).send().await.map_err(err("UntagResource"))?;
        }
        if !add.is_empty() {
            c.tag_resource().resource_arn(arn).set_tags(Some(add.iter().map(|(k, v)| (k.clone(), v.clone())).collect())).send().await.map_err(err("TagResource"))?;
        }
        Ok(())
    }
}
