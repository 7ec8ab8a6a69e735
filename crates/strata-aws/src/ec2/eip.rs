//! `aws:ec2:ElasticIp`: an Elastic IP address in the VPC domain. Its physical
//! id is the allocation id.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{DomainType, ResourceType};
use strata_core::{Arg, Input, Props, Resource, Tags, Value};
use strata_engine::{Diff, DiscoverScope, Observed, Op, OpContext, Provider, ProviderError};

use super::common::*;
use crate::error::err;
use crate::Aws;

/// An Elastic IP address.
///
/// ```
/// use strata_core::Stack;
/// use strata_aws::ec2::ElasticIp;
/// let mut stack = Stack::new("demo", "eu-central-1");
/// let eip = stack.add("nat-ip", ElasticIp::new());
/// let (_alloc, _ip) = (eip.allocation_id(), eip.public_ip());
/// ```
#[derive(Clone, Debug, Default)]
pub struct ElasticIp {
    tags: BTreeMap<String, Input>,
}

impl ElasticIp {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<Arg<String>>) -> Self {
        self.tags.insert(key.into(), value.into().into_input());
        self
    }
}

super::handle!(
    /// Outputs of an [`ElasticIp`].
    ElasticIpHandle { id: "id", allocation_id: "allocation_id", public_ip: "public_ip" }
);

impl Resource for ElasticIp {
    const KIND: &'static str = "aws:ec2:ElasticIp";
    type Handle = ElasticIpHandle;
    fn into_inputs(self) -> BTreeMap<String, Input> {
        BTreeMap::from([("tags".to_string(), Input::Map(self.tags))])
    }
}

pub(crate) struct EipProvider {
    pub(crate) aws: Aws,
}

fn observe(region: &str, a: &aws_sdk_ec2::types::Address) -> Observed {
    let id = a.allocation_id().unwrap_or_default();
    let mut o = observed(ElasticIp::KIND, id, region, Props::from([("tags".into(), tags_value(a.tags()))]));
    o.outputs.insert("allocation_id".into(), Value::str(id));
    o.outputs.insert("public_ip".into(), Value::str(a.public_ip().unwrap_or_default()));
    o
}

#[async_trait]
impl Provider for EipProvider {
    fn kind(&self) -> &'static str {
        ElasticIp::KIND
    }

    fn estimate(&self, _op: Op) -> Duration {
        Duration::from_secs(2)
    }

    async fn discover(&self, scope: &DiscoverScope) -> Result<Vec<Observed>, ProviderError> {
        // DescribeAddresses is not paginated: one call returns every address.
        let out = self
            .aws
            .ec2(&scope.region)
            .describe_addresses()
            .filters(stack_filter(scope))
            .send()
            .await
            .map_err(err("DescribeAddresses"))?;
        Ok(out.addresses().iter().map(|a| observe(&scope.region, a)).collect())
    }

    async fn read(&self, region: &str, id: &str) -> Result<Option<Observed>, ProviderError> {
        match self.aws.ec2(region).describe_addresses().allocation_ids(id).send().await {
            Ok(o) => Ok(o.addresses().first().map(|a| observe(region, a))),
            Err(e) => not_found_none(crate::error::from_sdk("DescribeAddresses", e)),
        }
    }

    async fn create(&self, cx: &OpContext, desired: &Props) -> Result<Observed, ProviderError> {
        let out = self
            .aws
            .ec2(&cx.region)
            .allocate_address()
            .domain(DomainType::Vpc)
            .tag_specifications(tag_spec(ResourceType::ElasticIp, desired))
            .send()
            .await
            .map_err(err("AllocateAddress"))?;
        let id = out.allocation_id().unwrap_or_default();
        let mut o = observed(ElasticIp::KIND, id, &cx.region, desired.clone());
        o.outputs.insert("allocation_id".into(), Value::str(id));
        o.outputs.insert("public_ip".into(), Value::str(out.public_ip().unwrap_or_default()));
        Ok(o)
    }

    async fn update(&self, cx: &OpContext, actual: &Observed, desired: &Props, _diff: &Diff) -> Result<Observed, ProviderError> {
        update_tags(&self.aws.ec2(&cx.region), &actual.id, actual, desired).await?;
        let mut o = actual.clone();
        o.props = desired.clone();
        Ok(o)
    }

    async fn delete(&self, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let r = self.aws.ec2(&cx.region).release_address().allocation_id(&actual.id).send().await;
        match r.map(|_| ()).map_err(err("ReleaseAddress")) {
            // Still associated (a NAT gateway being deleted): wait like a dependency.
            Err(mut e) if e.code.as_deref() == Some("InvalidIPAddress.InUse") => {
                e.class = strata_engine::ErrorClass::DependencyViolation;
                Err(e)
            }
            Err(e) if e.code.as_deref() == Some("InvalidAllocationID.NotFound") => Ok(()),
            other => gone_ok(other),
        }
    }

    async fn set_tags(&self, cx: &OpContext, actual: &Observed, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        provider_set_tags(&self.aws.ec2(&cx.region), actual, add, remove).await
    }
}
