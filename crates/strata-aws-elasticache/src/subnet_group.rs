//! `aws:elasticache:CacheSubnetGroup`: the subnets cache nodes may live in.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use strata_core::{tags, Arg, Diagnostic, Input, Props, Resource, ResourceDecl, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, Observed, Op, OpContext, Provider, ProviderError};

use super::{sdk_tags, tags_of};
use strata_aws::props::{str_of, strs};
use strata_aws::error::err;
use strata_aws::naming::{derived_id, CACHE_SUBNET_GROUP};
use strata_aws::Aws;

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
#[derive(Clone, Debug)]
pub struct CacheSubnetGroup {
    name: Option<String>,
    description: String,
    subnets: Vec<Input>,
    tags: BTreeMap<String, Input>,
}

impl CacheSubnetGroup {
    pub fn new<I: IntoIterator<Item = A>, A: Into<Arg<String>>>(subnets: I) -> Self {
        CacheSubnetGroup {
            name: None,
            description: "Managed by strata".into(),
            subnets: subnets.into_iter().map(|s| s.into().into_input()).collect(),
            tags: BTreeMap::new(),
        }
    }
    /// An explicit name; default: derived from stack and logical name.
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.into());
        self
    }
    pub fn description(mut self, d: &str) -> Self {
        self.description = d.into();
        self
    }
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<Arg<String>>) -> Self {
        self.tags.insert(key.into(), value.into().into_input());
        self
    }
}

strata_aws::handle!(
    /// Outputs of a [`CacheSubnetGroup`].
    CacheSubnetGroupHandle { group_name: "name", arn: "arn", vpc_id: "vpc_id" }
);

impl Resource for CacheSubnetGroup {
    const KIND: &'static str = "aws:elasticache:CacheSubnetGroup";
    type Handle = CacheSubnetGroupHandle;
    fn into_inputs(self) -> BTreeMap<String, Input> {
        BTreeMap::from([
            ("name".to_string(), Input::from(self.name)),
            ("description".to_string(), Input::from(self.description)),
            ("subnet_ids".to_string(), Input::List(self.subnets)),
            ("tags".to_string(), Input::Map(self.tags)),
        ])
    }
}

/// Delete a cache subnet group; "in use" is a dependency violation the engine
/// retries, "not found" is success.
pub(crate) async fn delete_group(c: &aws_sdk_elasticache::Client, name: &str) -> Result<(), ProviderError> {
    let r = c.delete_cache_subnet_group().cache_subnet_group_name(name).send().await;
    strata_aws::gone_ok(r.map(|_| ()).map_err(err("DeleteCacheSubnetGroup")))
}

pub(crate) struct SubnetGroupProvider {
    pub(crate) aws: Aws,
}

fn observe(region: &str, g: &aws_sdk_elasticache::types::CacheSubnetGroup, tags: Tags) -> Observed {
    let name = g.cache_subnet_group_name().unwrap_or_default();
    let mut subnets: Vec<Value> = g.subnets().iter().filter_map(|s| s.subnet_identifier()).map(Value::str).collect();
    subnets.sort();
    let mut o = Observed::new(CacheSubnetGroup::KIND, name, region);
    o.refs = subnets.iter().filter_map(|v| v.as_str().map(str::to_string)).collect();
    o.props = Props::from([
        ("name".into(), Value::str(name)),
        ("description".into(), Value::str(g.cache_subnet_group_description().unwrap_or_default())),
        ("subnet_ids".into(), Value::List(subnets)),
        ("tags".into(), Value::from_tags(&tags)),
    ]);
    o.outputs = Props::from([
        ("id".into(), Value::str(name)),
        ("name".into(), Value::str(name)),
        ("arn".into(), Value::str(g.arn().unwrap_or_default())),
        ("vpc_id".into(), Value::str(g.vpc_id().unwrap_or_default())),
    ]);
    o
}

#[async_trait]
impl Provider for SubnetGroupProvider {
    fn kind(&self) -> &'static str {
        CacheSubnetGroup::KIND
    }

    fn replace_fields(&self) -> &'static [&'static str] {
        &["name"]
    }

    fn validate(&self, decl: &ResourceDecl, stack: &Stack, out: &mut Vec<Diagnostic>) {
        strata_aws::props::validate_subnet_group(decl, stack, CACHE_SUBNET_GROUP, "ElastiCache", out);
    }

    fn normalize(&self, props: &mut Props) {
        if let Some(Value::List(l)) = props.get_mut("subnet_ids") {
            l.sort();
        }
    }

    fn diff(&self, desired: &Props, actual: &Observed) -> Diff {
        strata_engine::diff_with_derived(desired, &actual.props, self.replace_fields(), &["name"])
    }

    fn estimate(&self, _op: Op) -> Duration {
        Duration::from_secs(3)
    }

    fn default_timeout(&self, op: Op) -> Duration {
        // A delete waits (retrying "in use") until the cache nodes in it are gone.
        match op {
            Op::Delete => Duration::from_secs(40 * 60),
            _ => Duration::from_secs(5 * 60),
        }
    }

    async fn discover(&self, scope: &DiscoverScope) -> Result<Vec<Observed>, ProviderError> {
        let groups = crate::client(&self.aws, &scope.region)
            .describe_cache_subnet_groups()
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(err("DescribeCacheSubnetGroups"))?;
        let mut out = Vec::new();
        for g in &groups {
            if g.cache_subnet_group_name().is_none_or(|n| n.starts_with("default")) {
                continue;
            }
            let t = tags_of(&self.aws, &scope.region, g.arn().unwrap_or_default()).await?;
            if t.get(tags::STACK) == Some(&scope.stack) {
                out.push(observe(&scope.region, g, t));
            }
        }
        Ok(out)
    }

    async fn read(&self, region: &str, id: &str) -> Result<Option<Observed>, ProviderError> {
        let r = crate::client(&self.aws, region).describe_cache_subnet_groups().cache_subnet_group_name(id).send().await;
        let out = match r {
            Ok(o) => o,
            Err(e) => return strata_aws::not_found_none(strata_aws::error::from_sdk("DescribeCacheSubnetGroups", e)),
        };
        let Some(g) = out.cache_subnet_groups().first() else { return Ok(None) };
        let t = tags_of(&self.aws, region, g.arn().unwrap_or_default()).await?;
        Ok(Some(observe(region, g, t)))
    }

    async fn create(&self, cx: &OpContext, desired: &Props) -> Result<Observed, ProviderError> {
        let name = str_of(desired, "name").unwrap_or_else(|| derived_id(CACHE_SUBNET_GROUP, &cx.stack, &cx.name, ""));
        let out = crate::client(&self.aws, &cx.region)
            .create_cache_subnet_group()
            .cache_subnet_group_name(&name)
            .cache_subnet_group_description(str_of(desired, "description").unwrap_or_default())
            .set_subnet_ids(Some(strs(desired, "subnet_ids")))
            .set_tags(Some(sdk_tags(desired)))
            .send()
            .await
            .map_err(err("CreateCacheSubnetGroup"))?;
        let g = out.cache_subnet_group().cloned().unwrap_or_else(|| aws_sdk_elasticache::types::CacheSubnetGroup::builder().build());
        let mut o = observe(&cx.region, &g, strata_aws::desired_tags(desired));
        o.id = name.clone();
        o.props = desired.clone();
        o.props.insert("name".into(), Value::Str(name.clone()));
        o.outputs.insert("id".into(), Value::Str(name.clone()));
        o.outputs.insert("name".into(), Value::Str(name));
        Ok(o)
    }

    async fn update(&self, cx: &OpContext, actual: &Observed, desired: &Props, diff: &Diff) -> Result<Observed, ProviderError> {
        if diff.changed("tags").is_some() {
            super::sync_tags(&self.aws, cx, actual, desired).await?;
        }
        if diff.changed("subnet_ids").is_some() || diff.changed("description").is_some() {
            crate::client(&self.aws, &cx.region)
                .modify_cache_subnet_group()
                .cache_subnet_group_name(&actual.id)
                .cache_subnet_group_description(str_of(desired, "description").unwrap_or_default())
                .set_subnet_ids(Some(strs(desired, "subnet_ids")))
                .send()
                .await
                .map_err(err("ModifyCacheSubnetGroup"))?;
        }
        let mut o = actual.clone();
        o.props = desired.clone();
        o.props.insert("name".into(), Value::str(&actual.id));
        Ok(o)
    }

    async fn delete(&self, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        // Still used by an instance being deleted: classified as a dependency
        // violation, which the engine retries until the delete timeout.
        delete_group(&crate::client(&self.aws, &cx.region), &actual.id).await
    }

    async fn set_tags(&self, cx: &OpContext, actual: &Observed, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        super::set_tags(&self.aws, cx, actual, add, remove).await
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
