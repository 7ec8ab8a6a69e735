//! `aws:ec2:ElasticIp`: an Elastic IP address in the VPC domain, optionally
//! associated with an instance (the association is a property of the tagged
//! address: associations cannot carry tags). Its physical id is the
//! allocation id.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{Address as Item, DomainType, ResourceType};
use strata_aws::error::err;
use strata_aws::kernel::{Created, Kind, Seen, Want};
use strata_aws::Aws;
use strata_core::Tags;
use strata_engine::{Diff, DiscoverScope, ErrorClass, Observed, Op, OpContext, ProviderError};

use super::common::{stack_filter, tags_of_list, tags_spec, Ec2Tags};

strata_aws::kind_fields! {
    /// An Elastic IP address.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_ec2::ElasticIp;
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let eip = stack.add("nat-ip", ElasticIp::new());
    /// let (_alloc, _ip) = (eip.allocation_id(), eip.public_ip());
    /// ```
    pub struct ElasticIp: "aws:ec2:ElasticIp";
    values ElasticIpValues;
    handle ElasticIpHandle / ElasticIpOutputs { allocation_id, public_ip, association_id };
    fields {
        /// The instance the address is associated with (a bastion's fixed IP).
        instance_id: str [update cleared];
    }
}

impl ElasticIp {
    /// An address, not associated.
    pub fn new() -> Self {
        Self::empty()
    }

    /// Associate the address with an instance (a bastion's fixed IP).
    pub fn instance(self, instance_id: impl Into<strata_core::Arg<String>>) -> Self {
        self.instance_id(instance_id)
    }
}

impl Default for ElasticIp {
    fn default() -> Self {
        Self::new()
    }
}

type V = ElasticIpValues;

/// The kind behind [`ElasticIp`].
pub(crate) struct ElasticIps;

/// Emulators answer "" for an unassociated address.
fn non_empty(s: Option<&str>) -> Option<String> {
    s.filter(|s| !s.is_empty()).map(str::to_string)
}

async fn associate(aws: &Aws, region: &str, allocation: &str, instance: &str) -> Result<(), ProviderError> {
    crate::client(aws, region)
        .associate_address()
        .allocation_id(allocation)
        .instance_id(instance)
        .send()
        .await
        .map(|_| ())
        .map_err(err("AssociateAddress"))
}

async fn disassociate(aws: &Aws, region: &str, actual: &Observed) -> Result<(), ProviderError> {
    let Some(assoc) = actual.outputs.get("association_id").and_then(|v| v.as_str().map(str::to_string)) else {
        return Ok(());
    };
    match crate::client(aws, region).disassociate_address().association_id(assoc).send().await {
        Ok(_) => Ok(()),
        Err(e) => match strata_aws::error::from_sdk("DisassociateAddress", e) {
            e if e.class == ErrorClass::NotFound => Ok(()),
            e => Err(e),
        },
    }
}

#[async_trait]
impl Kind for ElasticIps {
    type Builder = ElasticIp;
    type Item = Item;
    type Tags = Ec2Tags;

    fn id(a: &Item) -> Option<&str> {
        a.allocation_id()
    }

    fn carried_tags(a: &Item) -> Option<Tags> {
        Some(tags_of_list(a.tags()))
    }

    fn observe(a: &Item) -> Seen<ElasticIp> {
        let instance = non_empty(a.instance_id());
        Seen {
            values: V { instance_id: instance.clone(), ..V::default() },
            outputs: ElasticIpOutputs {
                allocation_id: a.allocation_id().map(str::to_string),
                public_ip: a.public_ip().map(str::to_string),
                association_id: non_empty(a.association_id()),
            },
            refs: instance.into_iter().collect(),
        }
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Item>, ProviderError> {
        // DescribeAddresses is not paginated: one call returns every address.
        let out = crate::client(aws, &scope.region)
            .describe_addresses()
            .filters(stack_filter(scope))
            .send()
            .await
            .map_err(err("DescribeAddresses"))?;
        Ok(out.addresses().to_vec())
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Item>, ProviderError> {
        let out = crate::client(aws, region).describe_addresses().allocation_ids(id).send().await.map_err(err("DescribeAddresses"))?;
        Ok(out.addresses().first().cloned())
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, ElasticIp>) -> Result<Created<Item>, ProviderError> {
        let cx = want.cx;
        let out = crate::client(aws, &cx.region)
            .allocate_address()
            .domain(DomainType::Vpc)
            .tag_specifications(tags_spec(ResourceType::ElasticIp, &want.values.tags))
            .send()
            .await
            .map_err(err("AllocateAddress"))?;
        let id = out.allocation_id().ok_or_else(|| strata_aws::lacks("AllocateAddress", "AllocationId", &cx.name))?;
        if let Some(instance) = &want.values.instance_id {
            associate(aws, &cx.region, id, instance).await?;
        }
        // Read back: an address just allocated may not be visible yet.
        Ok(Created::Id(id.to_string()))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, ElasticIp>, _diff: &Diff) -> Result<(), ProviderError> {
        let region = &want.cx.region;
        disassociate(aws, region, actual).await?;
        match &want.values.instance_id {
            Some(instance) => associate(aws, region, &actual.id, instance).await,
            None => Ok(()),
        }
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        disassociate(aws, &cx.region, actual).await?;
        match crate::client(aws, &cx.region).release_address().allocation_id(&actual.id).send().await {
            Ok(_) => Ok(()),
            Err(e) => {
                let mut e = strata_aws::error::from_sdk("ReleaseAddress", e);
                // Still associated (a NAT gateway being deleted): wait like a dependency.
                if e.code.as_deref() == Some("InvalidIPAddress.InUse") {
                    e.class = ErrorClass::DependencyViolation;
                }
                Err(e)
            }
        }
    }

    fn estimate(_op: Op) -> Duration {
        Duration::from_secs(2)
    }
}
