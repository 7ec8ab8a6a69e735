//! `aws:ec2:ManagedPrefixList`: a managed prefix list, looked up (never
//! created): AWS's own (`com.amazonaws.global.cloudfront.origin-facing`, the
//! addresses CloudFront reaches origins from) or one that exists already. A
//! security group rule admits it with [`crate::Rule::prefix_list`], so that
//! no CIDR of AWS's is hard-coded.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_ec2::types::Filter;
use strata_aws::error::err;
use strata_aws::Aws;
use strata_core::{Input, LookupQuery, Props, Resource, Tags, Value};
use strata_engine::{Diff, DiscoverScope, ErrorClass, Observed, OpContext, Provider, ProviderError};

use super::common::*;

/// A managed prefix list, for lookups.
///
/// ```
/// use strata_core::Stack;
/// use strata_aws_ec2::ManagedPrefixList;
/// let mut stack = Stack::new("demo", "eu-central-1");
/// let cloudfront = stack.lookup::<ManagedPrefixList>("cloudfront", ManagedPrefixList::cloudfront_origin_facing());
/// let _ = cloudfront.id();
/// ```
#[derive(Clone, Debug)]
pub struct ManagedPrefixList;

impl ManagedPrefixList {
    /// The list named `name` (`com.amazonaws.global.cloudfront.origin-facing`).
    pub fn named(name: &str) -> LookupQuery {
        LookupQuery::ByFilters(vec![("prefix-list-name".into(), vec![name.into()])])
    }

    /// The addresses CloudFront connects to origins from (AWS-managed).
    pub fn cloudfront_origin_facing() -> LookupQuery {
        Self::named("com.amazonaws.global.cloudfront.origin-facing")
    }
}

super::handle!(
    /// Outputs of a [`ManagedPrefixList`] lookup.
    ManagedPrefixListHandle { id: "id", arn: "arn", prefix_list_name: "name" }
);

impl Resource for ManagedPrefixList {
    const KIND: &'static str = "aws:ec2:ManagedPrefixList";
    type Handle = ManagedPrefixListHandle;
    fn into_inputs(self) -> BTreeMap<String, Input> {
        BTreeMap::new()
    }
}

pub(crate) struct PrefixListProvider {
    pub(crate) aws: Aws,
}

fn list_observed(region: &str, p: &aws_sdk_ec2::types::ManagedPrefixList) -> Observed {
    let mut o = observed(ManagedPrefixList::KIND, p.prefix_list_id().unwrap_or_default(), region, Props::new());
    o.outputs.insert("arn".into(), Value::str(p.prefix_list_arn().unwrap_or_default()));
    o.outputs.insert("name".into(), Value::str(p.prefix_list_name().unwrap_or_default()));
    o
}

#[async_trait]
impl Provider for PrefixListProvider {
    fn kind(&self) -> &'static str {
        ManagedPrefixList::KIND
    }

    fn taggable(&self) -> bool {
        false
    }

    async fn discover(&self, _scope: &DiscoverScope) -> Result<Vec<Observed>, ProviderError> {
        // Prefix lists are only looked up, never managed: nothing to discover.
        Ok(Vec::new())
    }

    async fn read(&self, region: &str, id: &str) -> Result<Option<Observed>, ProviderError> {
        match crate::client(&self.aws, region).describe_managed_prefix_lists().prefix_list_ids(id).send().await {
            Ok(o) => Ok(o.prefix_lists().first().map(|p| list_observed(region, p))),
            Err(e) => not_found_none(strata_aws::error::from_sdk("DescribeManagedPrefixLists", e)),
        }
    }

    async fn lookup(&self, region: &str, query: &LookupQuery) -> Result<Vec<Observed>, ProviderError> {
        let LookupQuery::ByFilters(f) = query else {
            return strata_engine::default_lookup(self, region, query).await;
        };
        let mut req = crate::client(&self.aws, region).describe_managed_prefix_lists();
        for (k, v) in f {
            req = req.filters(Filter::builder().name(k).set_values(Some(v.clone())).build());
        }
        let out = req.send().await.map_err(err("DescribeManagedPrefixLists"))?;
        Ok(out.prefix_lists().iter().map(|p| list_observed(region, p)).collect())
    }

    async fn create(&self, _cx: &OpContext, _desired: &Props) -> Result<Observed, ProviderError> {
        Err(ProviderError::new(ErrorClass::Invalid, "create", "managed prefix lists are looked up with stack.lookup::<ManagedPrefixList>, not created"))
    }

    async fn update(&self, _cx: &OpContext, actual: &Observed, _d: &Props, _diff: &Diff) -> Result<Observed, ProviderError> {
        Ok(actual.clone())
    }

    async fn delete(&self, _cx: &OpContext, _actual: &Observed) -> Result<(), ProviderError> {
        Ok(())
    }

    async fn set_tags(&self, _cx: &OpContext, _a: &Observed, _add: &Tags, _remove: &[String]) -> Result<(), ProviderError> {
        Ok(())
    }
}
