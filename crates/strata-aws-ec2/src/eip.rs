//! `aws:ec2:ElasticIp`: an Elastic IP address in the VPC domain, optionally
//! associated with an instance (the association is a property of the tagged
//! address: associations cannot carry tags). Its physical id is the
//! allocation id.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{DomainType, ResourceType};
use strata_core::{Arg, Input, Props, Resource, Tags, Value};
use strata_engine::{wait_until, Diff, DiscoverScope, Observed, Op, OpContext, Provider, ProviderError};

use super::common::*;
use strata_aws::error::err;
use strata_aws::Aws;

/// An Elastic IP address.
///
/// ```
/// use strata_core::Stack;
/// use strata_aws_ec2::ElasticIp;
/// let mut stack = Stack::new("demo", "eu-central-1");
/// let eip = stack.add("nat-ip", ElasticIp::new());
/// let (_alloc, _ip) = (eip.allocation_id(), eip.public_ip());
/// ```
#[derive(Clone, Debug, Default)]
pub struct ElasticIp {
    instance_id: Option<Input>,
    tags: BTreeMap<String, Input>,
}

impl ElasticIp {
    pub fn new() -> Self {
        Self::default()
    }
    /// Associate the address with an instance (a bastion's fixed IP).
    pub fn instance(mut self, instance_id: impl Into<Arg<String>>) -> Self {
        self.instance_id = Some(instance_id.into().into_input());
        self
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
        BTreeMap::from([
            ("instance_id".to_string(), self.instance_id.unwrap_or(Input::Known(Value::Null))),
            ("tags".to_string(), Input::Map(self.tags)),
        ])
    }
}

pub(crate) struct EipProvider {
    pub(crate) aws: Aws,
}

fn observe(region: &str, a: &aws_sdk_ec2::types::Address) -> Observed {
    let id = a.allocation_id().unwrap_or_default();
    // Emulators answer "" for an unassociated address.
    let instance = a.instance_id().filter(|i| !i.is_empty()).map(Value::str).unwrap_or(Value::Null);
    let mut o = observed(
        ElasticIp::KIND,
        id,
        region,
        Props::from([("instance_id".into(), instance.clone()), ("tags".into(), tags_value(a.tags()))]),
    );
    if let Some(i) = instance.as_str() {
        o.refs.push(i.to_string());
    }
    let assoc = a.association_id().filter(|i| !i.is_empty());
    o.outputs.insert("association_id".into(), assoc.map(Value::str).unwrap_or(Value::Null));
    o.outputs.insert("allocation_id".into(), Value::str(id));
    o.outputs.insert("public_ip".into(), Value::str(a.public_ip().unwrap_or_default()));
    o
}

impl EipProvider {
    async fn associate(&self, region: &str, allocation: &str, instance: &str) -> Result<(), ProviderError> {
        crate::client(&self.aws, region)
            .associate_address()
            .allocation_id(allocation)
            .instance_id(instance)
            .send()
            .await
            .map_err(err("AssociateAddress"))?;
        Ok(())
    }

    async fn disassociate(&self, region: &str, actual: &Observed) -> Result<(), ProviderError> {
        let Some(assoc) = actual.outputs.get("association_id").and_then(|v| v.as_str().map(str::to_string)) else {
            return Ok(());
        };
        let r = crate::client(&self.aws, region).disassociate_address().association_id(assoc).send().await;
        match r.map(|_| ()).map_err(err("DisassociateAddress")) {
            Err(e) if e.code.as_deref() == Some("InvalidAssociationID.NotFound") => Ok(()),
            other => gone_ok(other),
        }
    }
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
        let out = crate::client(&self.aws, &scope.region)
            .describe_addresses()
            .filters(stack_filter(scope))
            .send()
            .await
            .map_err(err("DescribeAddresses"))?;
        Ok(out.addresses().iter().map(|a| observe(&scope.region, a)).collect())
    }

    async fn read(&self, region: &str, id: &str) -> Result<Option<Observed>, ProviderError> {
        match crate::client(&self.aws, region).describe_addresses().allocation_ids(id).send().await {
            Ok(o) => Ok(o.addresses().first().map(|a| observe(region, a))),
            Err(e) => not_found_none(strata_aws::error::from_sdk("DescribeAddresses", e)),
        }
    }

    async fn create(&self, cx: &OpContext, desired: &Props) -> Result<Observed, ProviderError> {
        let out = crate::client(&self.aws, &cx.region)
            .allocate_address()
            .domain(DomainType::Vpc)
            .tag_specifications(tag_spec(ResourceType::ElasticIp, desired))
            .send()
            .await
            .map_err(err("AllocateAddress"))?;
        let id = out.allocation_id().ok_or_else(|| strata_aws::lacks("AllocateAddress", "AllocationId", &cx.name))?;
        if let Some(instance) = s(desired, "instance_id") {
            self.associate(&cx.region, id, &instance).await?;
        }
        // An address just allocated may not be visible yet (eventual consistency).
        let what = format!("address {id} to become visible");
        let mut o = wait_until(&what, cx.timeout, cx.poll, || self.read(&cx.region, id)).await?;
        o.props = desired.clone();
        Ok(o)
    }

    async fn update(&self, cx: &OpContext, actual: &Observed, desired: &Props, diff: &Diff) -> Result<Observed, ProviderError> {
        if diff.changed("tags").is_some() {
            update_tags(&crate::client(&self.aws, &cx.region), &actual.id, actual, desired).await?;
        }
        if diff.changed("instance_id").is_some() {
            self.disassociate(&cx.region, actual).await?;
            if let Some(instance) = s(desired, "instance_id") {
                self.associate(&cx.region, &actual.id, &instance).await?;
            }
        }
        let mut o = self.read(&cx.region, &actual.id).await?.unwrap_or_else(|| actual.clone());
        o.props = desired.clone();
        Ok(o)
    }

    async fn delete(&self, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        if s(&actual.props, "instance_id").is_some() {
            self.disassociate(&cx.region, actual).await?;
        }
        let r = crate::client(&self.aws, &cx.region).release_address().allocation_id(&actual.id).send().await;
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
        provider_set_tags(&crate::client(&self.aws, &cx.region), actual, add, remove).await
    }
}
