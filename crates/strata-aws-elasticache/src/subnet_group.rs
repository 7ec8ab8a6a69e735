//! `aws:elasticache:CacheSubnetGroup`: the subnets cache nodes may live in.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_elasticache::types::CacheSubnetGroup as Item;
use strata_aws::error::err;
use strata_aws::kernel::{Created, Kind, Seen, Want};
use strata_aws::naming::{derived_id, CACHE_SUBNET_GROUP};
use strata_aws::Aws;
use strata_core::{Arg, Diagnostic, Props, ResourceDecl, Stack, Value};
use strata_engine::{Diff, DiscoverScope, Observed, Op, OpContext, ProviderError};

use crate::CacheTags;

strata_aws::kind_fields! {
    /// A cache subnet group. Multi-AZ replication groups need subnets in two AZs.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_ec2::{Subnet, Vpc};
    /// use strata_aws_elasticache::CacheSubnetGroup;
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let vpc = stack.add("vpc", Vpc::new("10.0.0.0/16"));
    /// let b = stack.add("cache-b", Subnet::new(vpc.id(), "10.0.31.0/24", "eu-central-1b"));
    /// let c = stack.add("cache-c", Subnet::new(vpc.id(), "10.0.32.0/24", "eu-central-1c"));
    /// let group = stack.add("cache-subnets", CacheSubnetGroup::new([b.id(), c.id()]));
    /// let _ = group.group_name();
    /// ```
    pub struct CacheSubnetGroup: "aws:elasticache:CacheSubnetGroup";
    values CacheSubnetGroupValues;
    handle CacheSubnetGroupHandle / CacheSubnetGroupOutputs { group_name, arn, vpc_id };
    fields {
        /// An explicit name; default: derived from stack and logical name.
        name: str [replace];
        /// The group's description.
        description: str [update] = "Managed by strata";
        /// The subnets, in at least two AZs.
        subnet_ids: strs [update required];
    }
}

impl CacheSubnetGroup {
    /// A subnet group of these subnets.
    pub fn new<I: IntoIterator<Item = A>, A: Into<Arg<String>>>(subnets: I) -> Self {
        Self::empty().subnet_ids(subnets)
    }
}

type V = CacheSubnetGroupValues;

/// Delete a cache subnet group; "in use" is a dependency violation the engine
/// retries, "not found" is success.
pub(crate) async fn delete_group(c: &aws_sdk_elasticache::Client, name: &str) -> Result<(), ProviderError> {
    let r = c.delete_cache_subnet_group().cache_subnet_group_name(name).send().await;
    strata_aws::gone_ok(r.map(|_| ()).map_err(err("DeleteCacheSubnetGroup")))
}

/// The kind behind [`CacheSubnetGroup`].
pub(crate) struct SubnetGroups;

#[async_trait]
impl Kind for SubnetGroups {
    type Builder = CacheSubnetGroup;
    type Item = Item;
    type Tags = CacheTags;

    const DERIVED: &'static [&'static str] = &[V::name];

    fn id(g: &Item) -> Option<&str> {
        g.cache_subnet_group_name()
    }

    fn tag_target(g: &Item) -> Option<String> {
        g.arn().map(str::to_string)
    }

    fn observe(g: &Item) -> Seen<CacheSubnetGroup> {
        let subnets: Vec<String> = g.subnets().iter().filter_map(|s| s.subnet_identifier()).map(str::to_string).collect();
        Seen {
            values: V {
                name: g.cache_subnet_group_name().map(str::to_string),
                description: g.cache_subnet_group_description().map(str::to_string),
                subnet_ids: Some(subnets.clone()),
                ..V::default()
            },
            outputs: CacheSubnetGroupOutputs {
                group_name: g.cache_subnet_group_name().map(str::to_string),
                arn: g.arn().map(str::to_string),
                vpc_id: g.vpc_id().map(str::to_string),
            },
            refs: subnets,
        }
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Item>, ProviderError> {
        let pages = crate::client(aws, &scope.region).describe_cache_subnet_groups().into_paginator().items().send();
        let groups = strata_aws::error::all_pages(pages, "DescribeCacheSubnetGroups").await?;
        // AWS's `default` group is never a stack's: no tag read for it.
        Ok(groups.into_iter().filter(|g| g.cache_subnet_group_name().is_some_and(|n| !n.starts_with("default"))).collect())
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Item>, ProviderError> {
        let out = crate::client(aws, region)
            .describe_cache_subnet_groups()
            .cache_subnet_group_name(id)
            .send()
            .await
            .map_err(err("DescribeCacheSubnetGroups"))?;
        Ok(out.cache_subnet_groups().first().cloned())
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, CacheSubnetGroup>) -> Result<Created<Item>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let name = v.name.clone().unwrap_or_else(|| derived_id(CACHE_SUBNET_GROUP, &cx.stack, &cx.name, ""));
        let out = crate::client(aws, &cx.region)
            .create_cache_subnet_group()
            .cache_subnet_group_name(&name)
            .cache_subnet_group_description(v.description.clone().unwrap_or_default())
            .set_subnet_ids(v.subnet_ids.clone())
            .set_tags(Some(crate::tag_list(&v.tags)))
            .send()
            .await
            .map_err(err("CreateCacheSubnetGroup"))?;
        Ok(match out.cache_subnet_group() {
            Some(g) if g.cache_subnet_group_name().is_some() => Created::Item(g.clone()),
            _ => Created::Id(name),
        })
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, CacheSubnetGroup>, _diff: &Diff) -> Result<(), ProviderError> {
        crate::client(aws, &want.cx.region)
            .modify_cache_subnet_group()
            .cache_subnet_group_name(&actual.id)
            .cache_subnet_group_description(want.values.description.clone().unwrap_or_default())
            .set_subnet_ids(want.values.subnet_ids.clone())
            .send()
            .await
            .map(|_| ())
            .map_err(err("ModifyCacheSubnetGroup"))
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        // Still used by a cluster being deleted: a dependency violation, which
        // the engine retries until the delete timeout.
        delete_group(&crate::client(aws, &cx.region), &actual.id).await
    }

    fn validate(decl: &ResourceDecl, stack: &Stack, out: &mut Vec<Diagnostic>) {
        strata_aws::props::validate_subnet_group(decl, stack, CACHE_SUBNET_GROUP, "ElastiCache", out);
    }

    fn normalize(props: &mut Props) {
        if let Some(Value::List(l)) = props.get_mut(V::subnet_ids) {
            l.sort();
        }
    }

    fn default_timeout(op: Op) -> Duration {
        // A delete waits (retrying "in use") until the cache nodes in it are gone.
        match op {
            Op::Delete => Duration::from_secs(40 * 60),
            _ => Duration::from_secs(5 * 60),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use aws_sdk_elasticache::error::ErrorMetadata;
    use aws_sdk_elasticache::operation::delete_cache_subnet_group::{DeleteCacheSubnetGroupError, DeleteCacheSubnetGroupOutput};
    use aws_sdk_elasticache::types::error::{CacheSubnetGroupInUse, CacheSubnetGroupNotFoundFault};
    use aws_sdk_elasticache::Client;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use strata_engine::ErrorClass;

    /// moto answers `DeleteCacheSubnetGroup` with HTTP 500 (not implemented), so
    /// the delete is tested against the SDK's real request and error shapes.
    #[tokio::test]
    async fn delete_cache_subnet_group_with_smithy_mocks_because_moto_lacks_it() {
        let deleted = mock!(Client::delete_cache_subnet_group)
            .match_requests(|r| r.cache_subnet_group_name() == Some("free"))
            .then_output(|| DeleteCacheSubnetGroupOutput::builder().build());
        let in_use = mock!(Client::delete_cache_subnet_group)
            .match_requests(|r| r.cache_subnet_group_name() == Some("busy"))
            .then_error(|| {
                DeleteCacheSubnetGroupError::CacheSubnetGroupInUse(
                    CacheSubnetGroupInUse::builder()
                        .message("still used by a cache cluster")
                        .meta(ErrorMetadata::builder().code("CacheSubnetGroupInUse").message("still used").build())
                        .build(),
                )
            });
        let gone = mock!(Client::delete_cache_subnet_group)
            .match_requests(|r| r.cache_subnet_group_name() == Some("gone"))
            .then_error(|| {
                DeleteCacheSubnetGroupError::CacheSubnetGroupNotFoundFault(
                    CacheSubnetGroupNotFoundFault::builder()
                        .meta(ErrorMetadata::builder().code("CacheSubnetGroupNotFoundFault").build())
                        .build(),
                )
            });
        let client = mock_client!(aws_sdk_elasticache, RuleMode::MatchAny, [&deleted, &in_use, &gone]);
        super::delete_group(&client, "free").await.unwrap();
        let e = super::delete_group(&client, "busy").await.unwrap_err();
        assert_eq!(e.class, ErrorClass::DependencyViolation, "{e}");
        assert_eq!(e.code.as_deref(), Some("CacheSubnetGroupInUse"));
        super::delete_group(&client, "gone").await.unwrap();
        assert_eq!((deleted.num_calls(), in_use.num_calls(), gone.num_calls()), (1, 1, 1));
    }
}
